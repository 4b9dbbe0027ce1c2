//! The writes (`/api/v1/location-updates/…`): each validates its body with the
//! domain's rules, publishes one event per change, and answers once Kafka
//! acknowledged (202, where the event landed). The bulk routes take a JSON
//! array (checked whole, then published in batches) or a CSV file (an import
//! job).

use app::domain::error::AppError;
use app::domain::import::format::Format;
use app::domain::import::job::ImportJob;
use app::domain::write::Published;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::Value;

use super::bodies::{BulkAnswer, BulkResponses, CityChanges, ErrorBody, NewCity, PincodeInput, RevertParams};
use super::imports::{receive, started};
use super::{accepted, content_type, json_body, object_body, Answer};
use crate::error::Error;
use crate::http::error::answer;
use crate::http::state::AppState;
use crate::import::spool::human_bytes;
use crate::import::Upload;
use crate::service::{Actor, BulkOutcome};

/// Creates a city.
#[utoipa::path(
    post, path = "/api/v1/location-updates/cities", tag = "cities",
    request_body = NewCity,
    responses(
        (status = 202, description = "Published: where the event landed", body = Published),
        (status = 409, description = "A city of that name is in that state already", body = ErrorBody),
        (status = 422, description = "Invalid input: every bad field, with why", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_city(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> Answer<Response> {
    Ok(accepted(s.commands.create_city(&actor, &object_body(&body)?).await?))
}

/// What a bulk route was sent: a CSV file (its import job, started) or a
/// JSON array of rows.
enum Bulk {
    Started(Box<ImportJob>),
    Rows(Vec<Value>),
}

async fn bulk(s: &AppState, actor: &Actor, headers: &HeaderMap, body: Body, format: Format) -> Answer<Bulk> {
    if !is_json(headers) {
        let upload = Upload::new(&format!("{}.csv", format.name()), Some(format), false, actor.clone());
        return Ok(Bulk::Started(Box::new(receive(s, headers, body, upload).await?)));
    }
    let limits = &s.config.limits;
    match json_body(&read_json(body, limits.json_max_bytes).await?)? {
        Value::Array(rows) if rows.len() > limits.bulk_max_rows => Err(AppError::TooLarge(format!(
            "a JSON bulk request may carry at most {} rows, not {} (send a CSV file to import more)",
            limits.bulk_max_rows,
            rows.len()
        ))
        .into()),
        Value::Array(rows) => Ok(Bulk::Rows(rows)),
        _ => Err(AppError::invalid("body", format!("must be a JSON array of {}", format.name())).into()),
    }
}

/// Creates many cities: a JSON array (one bad row, or a city there already,
/// refuses the batch, naming each bad row and field; then published in
/// batches), or a CSV file of GeoLedger cities (`text/csv`: an import job).
#[utoipa::path(
    post, path = "/api/v1/location-updates/cities/bulk", tag = "cities",
    request_body(description = "A JSON array of cities, or a CSV file (`text/csv`) in the cities format", content(
        (Vec<NewCity> = "application/json"),
        (String = "text/csv"),
    )),
    responses(BulkResponses),
    security(("bearer" = []))
)]
pub async fn create_cities(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    body: Body,
) -> Answer<Response> {
    match bulk(&s, &actor, &headers, body, Format::Cities).await? {
        Bulk::Started(job) => Ok(started(*job)),
        Bulk::Rows(rows) => Ok(bulk_answer(s.commands.create_cities(&actor, &rows).await?)),
    }
}

/// Adds or changes many pincodes, as the cities' bulk route takes cities;
/// pincodes there already as sent count as `unchanged` and are not published.
#[utoipa::path(
    post, path = "/api/v1/location-updates/pincodes/bulk", tag = "pincodes",
    request_body(description = "A JSON array of pincodes, or a CSV file (`text/csv`) in the pincodes format", content(
        (Vec<PincodeInput> = "application/json"),
        (String = "text/csv"),
    )),
    responses(BulkResponses),
    security(("bearer" = []))
)]
pub async fn upsert_pincodes(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    body: Body,
) -> Answer<Response> {
    match bulk(&s, &actor, &headers, body, Format::Pincodes).await? {
        Bulk::Started(job) => Ok(started(*job)),
        Bulk::Rows(rows) => Ok(bulk_answer(s.commands.upsert_pincodes(&actor, &rows).await?)),
    }
}

/// 202 with the events published; when Kafka failed partway, 503 naming the
/// rows (by index) that were not published — the others were.
fn bulk_answer(outcome: BulkOutcome) -> Response {
    let BulkOutcome { published, unchanged, unpublished, failure } = outcome;
    let mut body = BulkAnswer { count: published.len(), unchanged, events: published, error: None, unpublished: None };
    let Some(failure) = failure else { return (StatusCode::ACCEPTED, Json(body)).into_response() };
    let public = answer(Error::Kafka(failure));
    body.error = Some(format!(
        "{public}: {} row(s) were not published (see \"unpublished\"); the {} in \"events\" were",
        unpublished.len(),
        body.count
    ));
    body.unpublished = Some(unpublished);
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

fn is_json(headers: &HeaderMap) -> bool {
    matches!(content_type(headers).as_str(), "application/json" | "")
}

/// A JSON body, up to its limit.
async fn read_json(body: Body, limit: usize) -> Answer<Bytes> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        AppError::TooLarge(format!(
            "a JSON body may have at most {} (send a CSV file to import more)",
            human_bytes(limit as u64)
        ))
        .into()
    })
}

/// Changes the fields sent of a city.
#[utoipa::path(
    put, path = "/api/v1/location-updates/cities/{name}/{state}", tag = "cities",
    params(CityPath),
    request_body = CityChanges,
    responses(
        (status = 202, description = "Published: where the event landed", body = Published),
        (status = 404, description = "No such city", body = ErrorBody),
        (status = 409, description = "The new name is taken in that state", body = ErrorBody),
        (status = 422, description = "Invalid input: every bad field, with why", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_city(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(CityPath { name, state }): Path<CityPath>,
    body: Bytes,
) -> Answer<Response> {
    Ok(accepted(s.commands.update_city(&actor, &name, &state, &object_body(&body)?).await?))
}

/// Reverts one change: publishes an event that puts back the `before`
/// values of the fields it changed (a create is undone by a soft delete, a
/// delete by a restore), marked `reverts: event_id`.
#[utoipa::path(
    post, path = "/api/v1/history/{event_id}/revert", tag = "cities",
    params(("event_id" = String, Path, description = "The change's event id, from its history entry"), RevertParams),
    responses(
        (status = 202, description = "Published: where the revert's event landed", body = Published),
        (status = 404, description = "No such change in the history, or its entity is gone", body = ErrorBody),
        (status = 409, description = "A later change changed the same fields (named, with it), or the entity \
            is that way already", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revert_change(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(event_id): Path<String>,
    Query(p): Query<RevertParams>,
) -> Answer<Response> {
    Ok(accepted(s.commands.revert(&actor, event_id.trim(), p.force).await?))
}

/// Soft-deletes a city (it can be restored).
#[utoipa::path(
    delete, path = "/api/v1/location-updates/cities/{name}/{state}", tag = "cities",
    params(CityPath),
    responses(
        (status = 202, description = "Published: where the event landed", body = Published),
        (status = 404, description = "No such city", body = ErrorBody),
        (status = 409, description = "Deleted already", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_city(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(CityPath { name, state }): Path<CityPath>,
) -> Answer<Response> {
    Ok(accepted(s.commands.delete_city(&actor, &name, &state).await?))
}

/// Restores a soft-deleted city.
#[utoipa::path(
    post, path = "/api/v1/location-updates/cities/{name}/{state}/restore", tag = "cities",
    params(CityPath),
    responses(
        (status = 202, description = "Published: where the event landed", body = Published),
        (status = 404, description = "No such city", body = ErrorBody),
        (status = 409, description = "Not deleted", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn restore_city(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(CityPath { name, state }): Path<CityPath>,
) -> Answer<Response> {
    Ok(accepted(s.commands.restore_city(&actor, &name, &state).await?))
}

/// Adds or changes a pincode (moving it between cities).
#[utoipa::path(
    post, path = "/api/v1/location-updates/pincodes", tag = "pincodes",
    request_body = PincodeInput,
    responses(
        (status = 202, description = "Published: where the event landed", body = Published),
        (status = 422, description = "Invalid input: every bad field, with why", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn upsert_pincode(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> Answer<Response> {
    Ok(accepted(s.commands.upsert_pincode(&actor, &object_body(&body)?).await?))
}

/// Soft-deletes a pincode.
#[utoipa::path(
    delete, path = "/api/v1/location-updates/pincodes/{code}", tag = "pincodes",
    params(("code" = String, Path, description = "The pincode: six digits")),
    responses(
        (status = 202, description = "Published: where the event landed", body = Published),
        (status = 404, description = "No such pincode", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_pincode(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(code): Path<String>,
) -> Answer<Response> {
    Ok(accepted(s.commands.delete_pincode(&actor, &code).await?))
}

/// A city in a path: `/{name}/{state}`, URL-encoded, matched ignoring case.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CityPath {
    /// The city's name.
    #[param(example = "Noida")]
    pub name: String,
    /// The state: its official name, code or a common alias.
    #[param(example = "UP")]
    pub state: String,
}
