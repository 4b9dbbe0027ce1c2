//! The REST API for scripts (`/api/v1`), with the seed's paths and bodies.
//! Handlers are thin: the guard has authenticated, each calls one service
//! function, and an `Error` answers for itself (`http::error`).

use app::domain::city::CityListQuery;
use app::domain::error::AppError;
use app::domain::geo::BBox;
use app::domain::write::Published;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::state::AppState;
use super::{guard, health, sse};
use crate::error::Error;
use crate::service::Actor;

type Answer<T> = Result<T, Error>;

pub fn routes(state: &AppState) -> Router<AppState> {
    let writes = Router::new()
        .route("/cities", post(create_city))
        .route("/cities/bulk", post(create_cities))
        .route("/cities/{name}/{state}", put(update_city).delete(delete_city))
        .route("/cities/{name}/{state}/restore", post(restore_city))
        .route("/pincodes", post(upsert_pincode))
        .route("/pincodes/{code}", delete(delete_pincode));
    let protected = Router::new()
        .nest("/location-updates", writes)
        .route("/cities", get(list_cities))
        .route("/cities/{name}/{state}", get(get_city))
        .route("/pincodes/{code}", get(get_pincode))
        .route("/stream", get(sse::stream))
        .route_layer(middleware::from_fn_with_state(state.clone(), guard::require_token));
    Router::new()
        .merge(protected)
        .route("/location-updates/kafka/health", get(health::kafka_health))
        .fallback(|| async { Error::not_found("no such API route".into()) })
}

fn accepted(p: Published) -> Response {
    (StatusCode::ACCEPTED, Json(p)).into_response()
}

/// Parses a body as JSON, with a 400 that says what is wrong.
fn json_body(body: &Bytes) -> Answer<Value> {
    serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")).into())
}

fn object_body(body: &Bytes) -> Answer<Map<String, Value>> {
    match json_body(body)? {
        Value::Object(m) => Ok(m),
        _ => Err(AppError::invalid("body", "must be a JSON object").into()),
    }
}

async fn create_city(State(s): State<AppState>, Extension(actor): Extension<Actor>, body: Bytes) -> Answer<Response> {
    Ok(accepted(s.commands.create_city(&actor, &object_body(&body)?).await?))
}

async fn create_cities(State(s): State<AppState>, Extension(actor): Extension<Actor>, body: Bytes) -> Answer<Response> {
    let Value::Array(rows) = json_body(&body)? else {
        return Err(AppError::invalid("body", "must be a JSON array of cities").into());
    };
    let published = s.commands.create_cities(&actor, &rows).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "count": published.len(), "events": published }))).into_response())
}

async fn update_city(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path((name, state)): Path<(String, String)>,
    body: Bytes,
) -> Answer<Response> {
    Ok(accepted(s.commands.update_city(&actor, &name, &state, &object_body(&body)?).await?))
}

async fn delete_city(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path((name, state)): Path<(String, String)>,
) -> Answer<Response> {
    Ok(accepted(s.commands.delete_city(&actor, &name, &state).await?))
}

async fn restore_city(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path((name, state)): Path<(String, String)>,
) -> Answer<Response> {
    Ok(accepted(s.commands.restore_city(&actor, &name, &state).await?))
}

async fn upsert_pincode(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> Answer<Response> {
    Ok(accepted(s.commands.upsert_pincode(&actor, &object_body(&body)?).await?))
}

async fn delete_pincode(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(code): Path<String>,
) -> Answer<Response> {
    Ok(accepted(s.commands.delete_pincode(&actor, &code).await?))
}

#[derive(Deserialize)]
struct ListParams {
    state: Option<String>,
    q: Option<String>,
    /// west,south,east,north
    bbox: Option<String>,
    #[serde(default)]
    include_deleted: bool,
    cursor: Option<String>,
    limit: Option<usize>,
}

/// The listing the UI's list and map use too (`Queries::list_cities`).
async fn list_cities(State(s): State<AppState>, Query(p): Query<ListParams>) -> Answer<Json<Value>> {
    let bbox = p.bbox.as_deref().map(BBox::parse).transpose().map_err(|m| AppError::invalid("bbox", m))?;
    let query = CityListQuery {
        state: p.state.unwrap_or_default(),
        q: p.q.unwrap_or_default(),
        include_deleted: p.include_deleted,
        cursor: p.cursor,
        limit: p.limit.unwrap_or(100),
        bbox,
    };
    let page = s.queries.list_cities(query).await?;
    Ok(Json(json!({ "cities": page.cities, "next_cursor": page.next_cursor })))
}

async fn get_city(State(s): State<AppState>, Path((name, state)): Path<(String, String)>) -> Answer<Json<Value>> {
    let city = s.queries.find_city(&name, &state).await?;
    Ok(Json(serde_json::to_value(city).unwrap_or_default()))
}

async fn get_pincode(State(s): State<AppState>, Path(code): Path<String>) -> Answer<Json<Value>> {
    let pincode = s.queries.pincode(&code).await?;
    Ok(Json(serde_json::to_value(pincode).unwrap_or_default()))
}
