//! The data quality findings, for scripts: every rule's counts, a page of
//! findings (by rule, state and status), and accepting one with a reason.

use app::domain::quality::{Finding, FindingsPage, QualitySummary};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::Value;

use super::bodies::ErrorBody;
use super::{object_body, Answer};
use crate::http::state::AppState;
use crate::service::quality::FindingsAsked;
use crate::service::Actor;

/// Every rule with its open and accepted findings, and the open ones in all.
#[utoipa::path(
    get, path = "/api/v1/quality", tag = "quality",
    responses((status = 200, description = "The counts per rule", body = QualitySummary)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn summary(State(s): State<AppState>) -> Json<QualitySummary> {
    Json(s.quality.summary())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingsParams {
    /// One rule's findings (`pincode_far_from_city`, …).
    rule: Option<String>,
    /// One state's (any of its names).
    state: Option<String>,
    /// `open` (the default) or `accepted`.
    status: Option<String>,
    /// `next_cursor` of the page before.
    cursor: Option<String>,
    /// At most this many (default 50, at most 500).
    limit: Option<String>,
}

/// A page of findings, in the order rule, state, id.
#[utoipa::path(
    get, path = "/api/v1/quality/findings", tag = "quality",
    params(FindingsParams),
    responses(
        (status = 200, description = "A page of findings", body = FindingsPage),
        (status = 422, description = "An unknown `rule`, `state` or `status`, or a bad `limit`", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn findings(State(s): State<AppState>, Query(p): Query<FindingsParams>) -> Answer<Json<FindingsPage>> {
    let asked = FindingsAsked {
        rule: p.rule.as_deref(),
        state: p.state.as_deref(),
        status: p.status.as_deref(),
        cursor: p.cursor.as_deref(),
        limit: p.limit.as_deref(),
    };
    Ok(Json(s.quality.findings(&asked)?))
}

/// The body of an acceptance: its schema, for the document (the handler
/// reads it field by field, so a missing reason is a 422 that names it).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AcceptBody {
    /// Why the finding is right as it is.
    #[schema(example = "two villages, both real")]
    pub reason: String,
}

/// Accepts a finding with a reason: it leaves the open list, with who,
/// when and why kept, until its facts change.
#[utoipa::path(
    post, path = "/api/v1/quality/findings/{id}/accept", tag = "quality",
    params(("id" = String, Path, description = "The finding's id")),
    request_body(content = AcceptBody, description = "Why"),
    responses(
        (status = 200, description = "The finding, accepted", body = Finding),
        (status = 400, description = "The body is not a JSON object", body = ErrorBody),
        (status = 404, description = "No such finding (fixed, or its facts changed)", body = ErrorBody),
        (status = 422, description = "No `reason`, or one over 500 characters", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn accept(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer<Json<Finding>> {
    let body = object_body(&body)?;
    let reason = body.get("reason").and_then(Value::as_str);
    Ok(Json(s.quality.accept(&id, reason, &actor).await?))
}
