//! Kafka as the status pages read it (`/api/v1/kafka/…`): the cluster, a
//! consumer group and its lag history, a topic's messages, and the dead
//! letters with redrive and discard.

use app::domain::dead_letter::{ActionOutcome, DeadLetterPage};
use app::domain::error::AppError;
use app::domain::kafka::{MessagePage, MessageQuery, Start};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::Value;

use super::bodies::{ClusterAnswer, ErrorBody, GroupAnswer, LagAnswer, LetterIds};
use super::{object_body, Answer};
use crate::error::Error;
use crate::http::state::AppState;
use crate::service::Actor;

/// The cluster: brokers, topics (partitions, watermarks, configuration, the
/// groups reading each), and every consumer group with its lag.
#[utoipa::path(
    get, path = "/api/v1/kafka/cluster", tag = "kafka",
    responses((status = 200, description = "The cluster and its groups", body = ClusterAnswer)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn kafka_cluster(State(s): State<AppState>) -> Answer<Json<ClusterAnswer>> {
    let (cluster, groups) = s.kafka_admin.cluster().await?;
    Ok(Json(ClusterAnswer { cluster, groups }))
}

/// One consumer group: state, coordinator, assignor, members, and per
/// partition the committed offset, the log end offset and the lag — the
/// numbers `kafka-consumer-groups --describe` prints.
#[utoipa::path(
    get, path = "/api/v1/kafka/groups/{id}", tag = "kafka",
    params(("id" = String, Path, description = "The group's id")),
    responses(
        (status = 200, description = "The group", body = GroupAnswer),
        (status = 404, description = "No such group", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn kafka_group(State(s): State<AppState>, Path(id): Path<String>) -> Answer<Json<GroupAnswer>> {
    let group = s.kafka_admin.group(&id).await?.ok_or_else(|| Error::not_found(format!("no consumer group {id}")))?;
    let total_lag = group.total_lag();
    Ok(Json(GroupAnswer { group, total_lag }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageParams {
    /// One partition; all when absent.
    partition: Option<i32>,
    /// From this offset on.
    offset: Option<i64>,
    /// From this time on (milliseconds since 1970).
    after: Option<i64>,
    /// Before this time (milliseconds since 1970).
    before: Option<i64>,
    /// Messages a look (default 50).
    limit: Option<usize>,
}

/// A topic's messages, newest first: the newest (no `offset`, `after` or
/// `before`), from an offset, from a time or before it; one partition or all.
/// Read by a consumer that joins no group and commits nothing.
#[utoipa::path(
    get, path = "/api/v1/kafka/topics/{name}/messages", tag = "kafka",
    params(("name" = String, Path, description = "The topic"), MessageParams),
    responses(
        (status = 200, description = "The messages; `older` and `newer` look around them", body = MessagePage),
        (status = 404, description = "No such topic or partition", body = ErrorBody),
        (status = 422, description = "More than one of offset, after and before", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn kafka_messages(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Query(p): Query<MessageParams>,
) -> Answer<Json<MessagePage>> {
    let start = match (p.offset, p.after, p.before) {
        (Some(o), None, None) => Start::Offset(o),
        (None, Some(t), None) => Start::After(t),
        (None, None, Some(t)) => Start::Before(t),
        (None, None, None) => Start::Latest,
        _ => return Err(AppError::invalid("offset", "give at most one of offset, after and before").into()),
    };
    let query = MessageQuery { partition: p.partition, start, limit: p.limit.unwrap_or(50) };
    let page = s.kafka_admin.messages(&name, query).await?;
    Ok(Json(page.ok_or_else(|| Error::not_found(format!("no topic {name} (or no such partition)")))?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LagParams {
    /// Seconds back from now (default 900, from 60 to 86400).
    window: Option<u64>,
}

/// A group's lag history: its samples over the window, oldest first, and the
/// events it consumed per second over it.
#[utoipa::path(
    get, path = "/api/v1/kafka/groups/{id}/lag", tag = "kafka",
    params(("id" = String, Path, description = "The group's id"), LagParams),
    responses((status = 200, description = "The samples and the rate", body = LagAnswer)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn kafka_lag(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(p): Query<LagParams>,
) -> Answer<Json<LagAnswer>> {
    let history = s.lag_samples.history(&id, p.window.unwrap_or(900)).await?;
    let rate = history.rate();
    Ok(Json(LagAnswer { history, rate }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadLetterParams {
    /// List the handled ones too.
    handled: Option<bool>,
}

/// The newest dead letters (up to 5,000), newest first; the handled ones only
/// with `handled=true`.
#[utoipa::path(
    get, path = "/api/v1/kafka/dead-letters", tag = "kafka",
    params(DeadLetterParams),
    responses((status = 200, description = "The dead letters", body = DeadLetterPage)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn dead_letters(
    State(s): State<AppState>,
    Query(p): Query<DeadLetterParams>,
) -> Answer<Json<DeadLetterPage>> {
    Ok(Json(s.dead_letters.list(p.handled.unwrap_or(false)).await?))
}

/// The dead letters a body `{"ids": ["partition-offset", …]}` names.
fn letter_ids(body: &Bytes) -> Answer<Vec<String>> {
    let LetterIds { ids } = serde_json::from_value(Value::Object(object_body(body)?))
        .map_err(|_| AppError::invalid("ids", "must be a list of dead letter ids (partition-offset)"))?;
    if ids.is_empty() {
        return Err(AppError::invalid("ids", "name at least one dead letter").into());
    }
    Ok(ids)
}

/// Sends dead letters back to their original topics, once each (bytes
/// unchanged, `geoledger.redrives` one higher): for each, where it landed or
/// why not. If Kafka fails, that letter and the rest wait as they were.
#[utoipa::path(
    post, path = "/api/v1/kafka/dead-letters/redrive", tag = "kafka",
    request_body = LetterIds,
    responses(
        (status = 200, description = "What became of each", body = Vec<ActionOutcome>),
        (status = 422, description = "No ids, or not a list of them", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn redrive_dead_letters(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> Answer<Json<Vec<ActionOutcome>>> {
    Ok(Json(s.dead_letters.redrive(&letter_ids(&body)?, &actor).await?))
}

/// Marks dead letters handled, recording who and when.
#[utoipa::path(
    post, path = "/api/v1/kafka/dead-letters/discard", tag = "kafka",
    request_body = LetterIds,
    responses(
        (status = 200, description = "What became of each", body = Vec<ActionOutcome>),
        (status = 422, description = "No ids, or not a list of them", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn discard_dead_letters(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> Answer<Json<Vec<ActionOutcome>>> {
    Ok(Json(s.dead_letters.discard(&letter_ids(&body)?, &actor).await?))
}
