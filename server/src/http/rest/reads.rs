//! The reads of cities, pincodes and the map, answered from the indexes in
//! memory and `_id` lookups (`service::Queries`), as the UI's pages get them.

use app::domain::activity::{ActivityPage, ActivityQuery};
use app::domain::city::{City, CityListQuery, CityPage};
use app::domain::error::AppError;
use app::domain::geo::BBox;
use app::domain::history::{HistoryPage, HistoryQuery};
use app::domain::map::{MapQuery, MapView};
use app::domain::pincode::Pincode;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;

use super::bodies::ErrorBody;
use super::writes::CityPath;
use super::Answer;
use crate::http::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Any name, code or alias of a state.
    state: Option<String>,
    /// A name prefix: any case, Latin accents or not.
    q: Option<String>,
    /// `west,south,east,north`: the most populous cities in that box first.
    bbox: Option<String>,
    /// List soft-deleted cities too.
    #[serde(default)]
    include_deleted: bool,
    /// `next_cursor` of the page before.
    cursor: Option<String>,
    /// Cities a page (default 100, at most 1,000).
    limit: Option<usize>,
}

/// Lists cities by id (or, in a box, by population), a page at a time.
#[utoipa::path(
    get, path = "/api/v1/cities", tag = "cities",
    params(ListParams),
    responses(
        (status = 200, description = "A page of cities; `next_cursor` asks for the next", body = CityPage),
        (status = 422, description = "A bad `bbox` or `cursor`", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_cities(State(s): State<AppState>, Query(p): Query<ListParams>) -> Answer<Json<CityPage>> {
    let bbox = p.bbox.as_deref().map(BBox::parse).transpose().map_err(|m| AppError::invalid("bbox", m))?;
    let query = CityListQuery {
        state: p.state.unwrap_or_default(),
        q: p.q.unwrap_or_default(),
        include_deleted: p.include_deleted,
        cursor: p.cursor,
        limit: p.limit.unwrap_or(100),
        bbox,
    };
    Ok(Json(s.queries.list_cities(query).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MapParams {
    /// `west,south,east,north`
    #[param(example = "68,6,97.5,37.6")]
    bbox: String,
    /// The map's zoom, 0–19.
    #[param(example = 5)]
    zoom: u8,
}

/// What the map draws of one view: cities (and from zoom 10 pincodes) one by
/// one up to 500 in view, in clusters past that; past zoom 11 the 2,000 most
/// populous.
#[utoipa::path(
    get, path = "/api/v1/map", tag = "cities",
    params(MapParams),
    responses(
        (status = 200, description = "The view's points and clusters", body = MapView),
        (status = 422, description = "A bad `bbox`", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn map_view(State(s): State<AppState>, Query(p): Query<MapParams>) -> Answer<Json<MapView>> {
    let bbox = BBox::parse(&p.bbox).map_err(|m| AppError::invalid("bbox", m))?;
    Ok(Json(s.queries.map_view(MapQuery { bbox, zoom: p.zoom })))
}

/// One city, with its pincodes.
#[utoipa::path(
    get, path = "/api/v1/cities/{name}/{state}", tag = "cities",
    params(CityPath),
    responses(
        (status = 200, description = "The city", body = City),
        (status = 404, description = "No such city, or no such state", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_city(State(s): State<AppState>, Path(CityPath { name, state }): Path<CityPath>) -> Answer<Json<City>> {
    Ok(Json(s.queries.find_city(&name, &state).await?))
}

/// One pincode.
#[utoipa::path(
    get, path = "/api/v1/pincodes/{code}", tag = "pincodes",
    params(("code" = String, Path, description = "The pincode: six digits")),
    responses(
        (status = 200, description = "The pincode", body = Pincode),
        (status = 404, description = "No such pincode", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_pincode(State(s): State<AppState>, Path(code): Path<String>) -> Answer<Json<Pincode>> {
    Ok(Json(s.queries.pincode(&code).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// `next_cursor` of the page before.
    cursor: Option<String>,
    /// Entries a page (default 50, at most 200).
    limit: Option<String>,
}

impl HistoryParams {
    fn query(&self) -> Result<HistoryQuery, AppError> {
        HistoryQuery::read(self.cursor.as_deref(), self.limit.as_deref()).map_err(AppError::Invalid)
    }
}

/// A city's history, its pincodes' events included, newest first: each
/// event with what it changed, field by field, and where its message is.
#[utoipa::path(
    get, path = "/api/v1/cities/{name}/{state}/history", tag = "cities",
    params(CityPath, HistoryParams),
    responses(
        (status = 200, description = "A page of the history", body = HistoryPage),
        (status = 404, description = "No such city, or no such state", body = ErrorBody),
        (status = 422, description = "A bad `cursor` or `limit`", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn city_history(
    State(s): State<AppState>,
    Path(CityPath { name, state }): Path<CityPath>,
    Query(p): Query<HistoryParams>,
) -> Answer<Json<HistoryPage>> {
    let q = p.query()?;
    let city = s.queries.find_city(&name, &state).await?;
    Ok(Json(s.queries.history(&city.id, &q).await?))
}

/// A pincode's history, newest first.
#[utoipa::path(
    get, path = "/api/v1/pincodes/{code}/history", tag = "pincodes",
    params(("code" = String, Path, description = "The pincode: six digits"), HistoryParams),
    responses(
        (status = 200, description = "A page of the history", body = HistoryPage),
        (status = 404, description = "No such pincode", body = ErrorBody),
        (status = 422, description = "A malformed pincode, a bad `cursor` or `limit`", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn pincode_history(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(p): Query<HistoryParams>,
) -> Answer<Json<HistoryPage>> {
    let q = p.query()?;
    let pincode = s.queries.checked_pincode(&code).await?;
    Ok(Json(s.queries.history(&pincode.fields.pincode, &q).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityParams {
    /// Who made the change: an admin's email, `token:<name>`, `cli:<user>`.
    actor: Option<String>,
    /// An event type (`city.updated.v1`), or a kind of entity: `city`, `pincode`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    event_type: Option<String>,
    /// The import job the change came from.
    job: Option<String>,
    /// A city id or a pincode: its history only (a city's holds its pincodes').
    entity: Option<String>,
    /// `next_cursor` of the page before: older entries.
    before: Option<String>,
    /// Entries a page (default 50, at most 200).
    limit: Option<String>,
}

/// The newest changes across every city and pincode, each as a history entry
/// with its entity; every filter given must hold. Served from an index on
/// time in memory, then the entries by `_id`.
#[utoipa::path(
    get, path = "/api/v1/activity", tag = "history",
    params(ActivityParams),
    responses(
        (status = 200, description = "A page of the feed, newest first", body = ActivityPage),
        (status = 422, description = "A bad `type`, `before` or `limit`", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn activity(State(s): State<AppState>, Query(p): Query<ActivityParams>) -> Answer<Json<ActivityPage>> {
    let q = ActivityQuery::read(
        p.actor.as_deref(),
        p.event_type.as_deref(),
        p.job.as_deref(),
        p.entity.as_deref(),
        p.before.as_deref(),
        p.limit.as_deref(),
    )
    .map_err(AppError::Invalid)?;
    Ok(Json(s.queries.activity(&q).await?))
}
