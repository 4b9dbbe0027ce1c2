//! The lookups for the services that book trips, and for scripts: the
//! nearest live pincodes and cities to a place (one, or a batch), and the
//! search box. Answered from the indexes in memory (`index::lookup`).

use app::domain::lookup::{Hits, NearestBatch, NearestResults};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;

use super::bodies::ErrorBody;
use super::{json_body, Answer};
use crate::http::state::AppState;

/// The query of a nearest lookup, as text: each part is checked and named.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NearestParams {
    /// Latitude, in degrees (India: 6 to 37.6).
    #[param(example = "19.076")]
    lat: Option<String>,
    /// Longitude, in degrees (India: 68 to 97.5).
    #[param(example = "72.8777")]
    lon: Option<String>,
    /// How many pincodes and how many cities (default 1, at most 50).
    limit: Option<String>,
}

/// The live pincodes and cities nearest a place, nearest first, each with
/// its distance: which pincode and city a pickup point is in.
#[utoipa::path(
    get, path = "/api/v1/lookup/nearest", tag = "lookup",
    params(NearestParams),
    responses(
        (status = 200, description = "The nearest pincodes and cities", body = app::domain::lookup::Nearest),
        (status = 422, description = "A missing, non-numeric or out-of-range `lat`, `lon`, `limit`", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn nearest(
    State(s): State<AppState>,
    Query(p): Query<NearestParams>,
) -> Answer<Json<app::domain::lookup::Nearest>> {
    Ok(Json(s.queries.nearest(p.lat.as_deref(), p.lon.as_deref(), p.limit.as_deref())?))
}

/// Nearest lookups for up to 1,000 places at once, answered in their order.
#[utoipa::path(
    post, path = "/api/v1/lookup/nearest", tag = "lookup",
    request_body(content = NearestBatch, description = "The places, and how many of each kind per place"),
    responses(
        (status = 200, description = "One answer per place, in order", body = NearestResults),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 413, description = "More than 1,000 places", body = ErrorBody),
        (status = 422, description = "A bad place (`points[3].lat`) or `limit`", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn nearest_batch(State(s): State<AppState>, body: Bytes) -> Answer<Json<NearestResults>> {
    Ok(Json(s.queries.nearest_batch(&json_body(&body)?)?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What was typed: a state's name, code or alias, a pincode's first
    /// digits, or a city's name or alternate name (its start).
    #[param(example = "bomb")]
    q: Option<String>,
}

/// A search box over states, pincodes and cities (current and alternate
/// names): at most 20 results, each with where to go.
#[utoipa::path(
    get, path = "/api/v1/lookup", tag = "lookup",
    params(SearchParams),
    responses((status = 200, description = "What the search finds", body = Hits)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn search(State(s): State<AppState>, Query(p): Query<SearchParams>) -> Json<Hits> {
    Json(s.queries.search(p.q.as_deref().unwrap_or_default()))
}
