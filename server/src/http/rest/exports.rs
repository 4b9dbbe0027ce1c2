//! Exports (`/api/v1/export/…`): every city or pincode of a filter as CSV,
//! GeoJSON or NDJSON, streamed, with the Kafka offsets it is consistent
//! with in the `GeoLedger-Offsets` header (`crate::export`).

use app::domain::export::{offsets_text, ExportKind, ExportQuery, OFFSETS_HEADER};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio_stream::wrappers::ReceiverStream;

use super::bodies::ErrorBody;
use super::Answer;
use crate::error::Error;
use crate::http::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (the import format; the default), `geojson` or `ndjson`.
    format: Option<String>,
    /// Any name, code or alias of a state: only its cities or pincodes.
    state: Option<String>,
    /// Soft-deleted ones too (`deleted_at` set). A CSV of them imported back restores them.
    #[serde(default)]
    include_deleted: bool,
}

/// Every city of the filter, streamed. `GeoLedger-Offsets` names the
/// positions the file is consistent with (each `topic:partition:offset`, the
/// next to read): load the file, follow the topic from there, and skip an
/// event at or before a row's `position`.
#[utoipa::path(
    get, path = "/api/v1/export/cities", tag = "exports",
    params(ExportParams),
    responses(
        (status = 200, description = "The file", headers(("GeoLedger-Offsets" = String)), content(
            (String = "text/csv"), (String = "application/geo+json"), (String = "application/x-ndjson"),
        )),
        (status = 422, description = "A bad `format` or `state`", body = ErrorBody),
        (status = 503, description = "Kafka cannot say the offsets", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn export_cities(State(s): State<AppState>, Query(p): Query<ExportParams>) -> Answer<Response> {
    export(&s, ExportKind::Cities, p).await
}

/// Every pincode of the filter, streamed, as `export/cities` does.
#[utoipa::path(
    get, path = "/api/v1/export/pincodes", tag = "exports",
    params(ExportParams),
    responses(
        (status = 200, description = "The file", headers(("GeoLedger-Offsets" = String)), content(
            (String = "text/csv"), (String = "application/geo+json"), (String = "application/x-ndjson"),
        )),
        (status = 422, description = "A bad `format` or `state`", body = ErrorBody),
        (status = 503, description = "Kafka cannot say the offsets", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn export_pincodes(State(s): State<AppState>, Query(p): Query<ExportParams>) -> Answer<Response> {
    export(&s, ExportKind::Pincodes, p).await
}

async fn export(s: &AppState, kind: ExportKind, p: ExportParams) -> Answer<Response> {
    let query =
        ExportQuery::read(p.format.as_deref(), p.state.as_deref(), p.include_deleted).map_err(Error::invalid)?;
    let format = query.format;
    let export = s.exporter.start(kind, query).await?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let disposition = format!("attachment; filename=\"{}-{stamp}.{}\"", kind.name(), format.name());
    let offsets = HeaderValue::from_str(&offsets_text(&export.offsets)).unwrap_or(HeaderValue::from_static(""));
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(format.content_type())),
        (header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static(""))),
        (HeaderName::from_static("geoledger-offsets"), offsets),
        (header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(OFFSETS_HEADER)),
    ];
    Ok((headers, Body::from_stream(ReceiverStream::new(export.body))).into_response())
}
