//! Import jobs (`/api/v1/imports`): a CSV file sent as the body or in a
//! multipart form starts a job (202); jobs and their reports are read back.

use app::domain::error::AppError;
use app::domain::import::format::Format;
use app::domain::import::job::{Door, ImportJob, JobReport};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use super::bodies::{ErrorBody, ImportList, RevertParams};
use super::{content_type, Answer};
use crate::http::state::AppState;
use crate::import::Upload;
use crate::service::Actor;

/// An uploaded file, as a CSV body or a multipart form: its import job, started.
pub(super) async fn receive(s: &AppState, headers: &HeaderMap, body: Body, upload: Upload) -> Answer<ImportJob> {
    let kind = content_type(headers);
    if kind == "multipart/form-data" {
        let raw = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let boundary =
            multer::parse_boundary(raw).map_err(|e| AppError::BadRequest(format!("the form has no boundary: {e}")))?;
        let form = multer::Multipart::new(body.into_data_stream(), boundary);
        return s.importer.start_multipart(form, upload).await;
    }
    if !matches!(kind.as_str(), "text/csv" | "application/csv" | "text/plain" | "application/octet-stream") {
        return Err(AppError::BadRequest(format!(
            "send the file as text/csv or multipart/form-data (a field named file), not {kind}"
        ))
        .into());
    }
    s.importer.start(body.into_data_stream(), upload).await
}

pub(super) fn started(job: ImportJob) -> Response {
    (StatusCode::ACCEPTED, Json(job)).into_response()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `cities`, `pincodes` or `india-post`; `auto` or none: read from the header row.
    format: Option<String>,
    /// Check, compare and report; publish nothing.
    #[serde(default)]
    dry_run: bool,
    /// The file's name, as the job shows it (a body sent as `text/csv` has none).
    file_name: Option<String>,
}

/// Imports a CSV file: the body as `text/csv`, or a multipart form with the
/// file in `file` (and `format`, `dry_run` fields). Every row is checked with
/// the domain's rules; what changed is published, paced by the materializer.
#[utoipa::path(
    post, path = "/api/v1/imports", tag = "imports",
    params(ImportParams),
    request_body(description = "The CSV file, or a form with it in `file`", content(
        (String = "text/csv"),
        (String = "multipart/form-data"),
    )),
    responses(
        (status = 202, description = "The job, started", body = ImportJob),
        (status = 413, description = "Over GEOLEDGER_IMPORT_MAX_BYTES; nothing published", body = ErrorBody),
        (status = 422, description = "An unknown format", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_import(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(p): Query<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> Answer<Response> {
    let format = p.format.as_deref().filter(|f| *f != "auto").map(Format::parse).transpose();
    let format = format.map_err(|m| AppError::invalid("format", m))?;
    let name = p.file_name.unwrap_or_else(|| "upload.csv".into());
    let upload = Upload { door: Door::Api, ..Upload::new(&name, format, p.dry_run, actor) };
    Ok(started(receive(&s, &headers, body, upload).await?))
}

/// The 50 newest import jobs.
#[utoipa::path(
    get, path = "/api/v1/imports", tag = "imports",
    responses((status = 200, description = "The newest jobs, newest first", body = ImportList)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_imports(State(s): State<AppState>) -> Answer<Json<ImportList>> {
    Ok(Json(ImportList { imports: s.importer.recent(50).await? }))
}

/// A job and the first 1,000 lines of its report.
#[utoipa::path(
    get, path = "/api/v1/imports/{id}", tag = "imports",
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job and the first lines of its report", body = JobReport),
        (status = 404, description = "No such job", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_import(State(s): State<AppState>, Path(id): Path<String>) -> Answer<Json<JobReport>> {
    Ok(Json(s.importer.report(&id).await?))
}

/// A job's whole report, as a CSV download (`line,column,kind,message`).
#[utoipa::path(
    get, path = "/api/v1/imports/{id}/report.csv", tag = "imports",
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The report", content_type = "text/csv", body = String),
        (status = 404, description = "No such job", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn import_report_csv(State(s): State<AppState>, Path(id): Path<String>) -> Answer<Response> {
    let csv = s.importer.report_csv(&id).await?;
    let disposition = format!("attachment; filename=\"import-{id}-report.csv\"");
    let headers =
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)];
    Ok((headers, csv).into_response())
}

/// Reverts a finished import, as a new job through the import engine: the
/// cities and pincodes it created are soft-deleted, those it changed get
/// their previous values back; one changed since is left as it is and
/// listed in the new job's report, unless `force`. Reverting a revert
/// restores the import.
#[utoipa::path(
    post, path = "/api/v1/imports/{id}/revert", tag = "imports",
    params(("id" = String, Path, description = "The job to revert"), RevertParams),
    responses(
        (status = 202, description = "The revert's job, started (`reverts`: the job it reverts)", body = ImportJob),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "The job is still running, or was a dry run", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revert_import(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    Query(p): Query<RevertParams>,
) -> Answer<Response> {
    Ok(started(s.importer.start_revert(&id, p.force, actor, Door::Api).await?))
}
