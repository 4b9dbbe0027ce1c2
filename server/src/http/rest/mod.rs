//! The REST API for scripts (`/api/v1`), with the seed's paths and bodies.
//! Handlers are thin: the guard has authenticated, each calls one service
//! function, and an `Error` answers for itself (`http::error`).
//!
//! Invariant: every route here is in the OpenAPI document (`http::openapi`),
//! each handler described by its `#[utoipa::path]` beside it, and answers
//! with a typed body whose schema the document holds (a test checks both).

use app::domain::error::AppError;
use app::domain::write::Published;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde_json::{Map, Value};

use super::state::AppState;
use super::{guard, health, sse};
use crate::error::Error;

pub mod bodies;
pub mod exports;
pub mod imports;
pub mod kafka;
pub mod lookup;
pub mod quality;
pub mod reads;
pub mod writes;

type Answer<T> = Result<T, Error>;

pub fn routes(state: &AppState) -> Router<AppState> {
    let writes = Router::new()
        .route("/cities", post(writes::create_city))
        .route("/cities/bulk", post(writes::create_cities))
        .route("/cities/{name}/{state}", put(writes::update_city).delete(writes::delete_city))
        .route("/cities/{name}/{state}/restore", post(writes::restore_city))
        .route("/pincodes", post(writes::upsert_pincode))
        .route("/pincodes/bulk", post(writes::upsert_pincodes))
        .route("/pincodes/{code}", delete(writes::delete_pincode));
    let protected = Router::new()
        .nest("/location-updates", writes)
        .route("/cities", get(reads::list_cities))
        .route("/cities/{name}/{state}", get(reads::get_city))
        .route("/cities/{name}/{state}/history", get(reads::city_history))
        .route("/map", get(reads::map_view))
        .route("/pincodes/{code}", get(reads::get_pincode))
        .route("/pincodes/{code}/history", get(reads::pincode_history))
        .route("/history/{event_id}/revert", post(writes::revert_change))
        .route("/activity", get(reads::activity))
        .route("/export/cities", get(exports::export_cities))
        .route("/export/pincodes", get(exports::export_pincodes))
        .route("/lookup", get(lookup::search))
        .route("/lookup/nearest", get(lookup::nearest).post(lookup::nearest_batch))
        .route("/quality", get(quality::summary))
        .route("/quality/findings", get(quality::findings))
        .route("/quality/findings/{id}/accept", post(quality::accept))
        .route("/stream", get(sse::stream))
        .route("/imports", post(imports::create_import).get(imports::list_imports))
        .route("/imports/{id}", get(imports::get_import))
        .route("/imports/{id}/report.csv", get(imports::import_report_csv))
        .route("/imports/{id}/revert", post(imports::revert_import))
        .route("/kafka/cluster", get(kafka::kafka_cluster))
        .route("/kafka/groups/{id}", get(kafka::kafka_group))
        .route("/kafka/groups/{id}/lag", get(kafka::kafka_lag))
        .route("/kafka/topics/{name}/messages", get(kafka::kafka_messages))
        .route("/kafka/dead-letters", get(kafka::dead_letters))
        .route("/kafka/dead-letters/redrive", post(kafka::redrive_dead_letters))
        .route("/kafka/dead-letters/discard", post(kafka::discard_dead_letters))
        .route_layer(middleware::from_fn_with_state(state.clone(), guard::require_token))
        // What the JSON bodies read whole (`Bytes`) may take.
        .layer(DefaultBodyLimit::max(state.config.limits.json_max_bytes));
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

/// The content type's essence: `text/csv; charset=utf-8` is `text/csv`.
fn content_type(headers: &HeaderMap) -> String {
    let raw = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    raw.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}
