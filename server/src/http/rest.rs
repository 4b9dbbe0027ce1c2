//! The REST API for scripts (`/api/v1`), with the seed's paths and bodies.
//! Handlers are thin: the guard has authenticated, each calls one service
//! function, and an `Error` answers for itself (`http::error`).

use app::domain::city::CityListQuery;
use app::domain::dead_letter::{ActionOutcome, DeadLetterPage};
use app::domain::error::AppError;
use app::domain::geo::BBox;
use app::domain::import::format::Format;
use app::domain::import::job::{Door, ImportJob, JobReport};
use app::domain::kafka::{MessagePage, MessageQuery, Start};
use app::domain::map::{MapQuery, MapView};
use app::domain::write::Published;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::error::answer;
use super::state::AppState;
use super::{guard, health, sse};
use crate::error::Error;
use crate::import::spool::human_bytes;
use crate::import::Upload;
use crate::service::{Actor, BulkOutcome};

type Answer<T> = Result<T, Error>;

pub fn routes(state: &AppState) -> Router<AppState> {
    let writes = Router::new()
        .route("/cities", post(create_city))
        .route("/cities/bulk", post(create_cities))
        .route("/cities/{name}/{state}", put(update_city).delete(delete_city))
        .route("/cities/{name}/{state}/restore", post(restore_city))
        .route("/pincodes", post(upsert_pincode))
        .route("/pincodes/bulk", post(upsert_pincodes))
        .route("/pincodes/{code}", delete(delete_pincode));
    let protected = Router::new()
        .nest("/location-updates", writes)
        .route("/cities", get(list_cities))
        .route("/cities/{name}/{state}", get(get_city))
        .route("/map", get(map_view))
        .route("/pincodes/{code}", get(get_pincode))
        .route("/stream", get(sse::stream))
        .route("/imports", post(create_import).get(list_imports))
        .route("/imports/{id}", get(get_import))
        .route("/imports/{id}/report.csv", get(import_report_csv))
        .route("/kafka/cluster", get(kafka_cluster))
        .route("/kafka/groups/{id}", get(kafka_group))
        .route("/kafka/groups/{id}/lag", get(kafka_lag))
        .route("/kafka/topics/{name}/messages", get(kafka_messages))
        .route("/kafka/dead-letters", get(dead_letters))
        .route("/kafka/dead-letters/redrive", post(redrive_dead_letters))
        .route("/kafka/dead-letters/discard", post(discard_dead_letters))
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

async fn create_city(State(s): State<AppState>, Extension(actor): Extension<Actor>, body: Bytes) -> Answer<Response> {
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

/// Many cities: a JSON array (checked whole, then published), or a CSV file
/// (an import job).
async fn create_cities(
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

/// Many pincodes, as `create_cities` takes cities.
async fn upsert_pincodes(
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
    let mut body = json!({ "count": published.len(), "unchanged": unchanged, "events": published });
    let Some(failure) = failure else { return (StatusCode::ACCEPTED, Json(body)).into_response() };
    let public = answer(Error::Kafka(failure));
    body["error"] = json!(format!(
        "{public}: {} row(s) were not published (see \"unpublished\"); the {} in \"events\" were",
        unpublished.len(),
        body["count"]
    ));
    body["unpublished"] = json!(unpublished);
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

/// The content type's essence: `text/csv; charset=utf-8` is `text/csv`.
fn content_type(headers: &HeaderMap) -> String {
    let raw = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    raw.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
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

/// An uploaded file, as a CSV body or a multipart form: its import job, started.
async fn receive(s: &AppState, headers: &HeaderMap, body: Body, upload: Upload) -> Answer<ImportJob> {
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

fn started(job: ImportJob) -> Response {
    (StatusCode::ACCEPTED, Json(job)).into_response()
}

#[derive(Deserialize)]
struct ImportParams {
    format: Option<String>,
    #[serde(default)]
    dry_run: bool,
    file_name: Option<String>,
}

/// `POST /imports?format=&dry_run=&file_name=`: a CSV body or a multipart form.
async fn create_import(
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

/// The newest import jobs.
async fn list_imports(State(s): State<AppState>) -> Answer<Json<Value>> {
    Ok(Json(json!({ "imports": s.importer.recent(50).await? })))
}

/// A job and the first lines of its report.
async fn get_import(State(s): State<AppState>, Path(id): Path<String>) -> Answer<Json<JobReport>> {
    Ok(Json(s.importer.report(&id).await?))
}

/// A job's whole report, as a CSV download.
async fn import_report_csv(State(s): State<AppState>, Path(id): Path<String>) -> Answer<Response> {
    let csv = s.importer.report_csv(&id).await?;
    let disposition = format!("attachment; filename=\"import-{id}-report.csv\"");
    let headers =
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)];
    Ok((headers, csv).into_response())
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

#[derive(Deserialize)]
struct MapParams {
    /// west,south,east,north
    bbox: String,
    zoom: u8,
}

/// What the map draws of one view (`Queries::map_view`), as the UI's map gets it.
async fn map_view(State(s): State<AppState>, Query(p): Query<MapParams>) -> Answer<Json<MapView>> {
    let bbox = BBox::parse(&p.bbox).map_err(|m| AppError::invalid("bbox", m))?;
    Ok(Json(s.queries.map_view(MapQuery { bbox, zoom: p.zoom })))
}

async fn get_city(State(s): State<AppState>, Path((name, state)): Path<(String, String)>) -> Answer<Json<Value>> {
    let city = s.queries.find_city(&name, &state).await?;
    Ok(Json(serde_json::to_value(city).unwrap_or_default()))
}

async fn get_pincode(State(s): State<AppState>, Path(code): Path<String>) -> Answer<Json<Value>> {
    let pincode = s.queries.pincode(&code).await?;
    Ok(Json(serde_json::to_value(pincode).unwrap_or_default()))
}

/// The cluster: brokers, topics (partitions, watermarks, configuration, the
/// groups reading each), and every consumer group with its lag.
async fn kafka_cluster(State(s): State<AppState>) -> Answer<Json<Value>> {
    let (cluster, groups) = s.kafka_admin.cluster().await?;
    Ok(Json(json!({ "cluster": cluster, "groups": groups })))
}

/// One consumer group: state, coordinator, assignor, members, and per
/// partition the committed offset, the log end offset and the lag.
async fn kafka_group(State(s): State<AppState>, Path(id): Path<String>) -> Answer<Json<Value>> {
    let group = s.kafka_admin.group(&id).await?.ok_or_else(|| Error::not_found(format!("no consumer group {id}")))?;
    let total = group.total_lag();
    let mut body = serde_json::to_value(&group).unwrap_or_default();
    body["total_lag"] = json!(total);
    Ok(Json(body))
}

#[derive(Deserialize)]
struct MessageParams {
    partition: Option<i32>,
    offset: Option<i64>,
    /// Milliseconds since 1970.
    after: Option<i64>,
    before: Option<i64>,
    limit: Option<usize>,
}

/// A topic's messages: the newest, from an offset, or from or before a time;
/// one partition or all (`older` and `newer` are the looks around this one).
async fn kafka_messages(
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

#[derive(Deserialize)]
struct LagParams {
    /// Seconds back from now (default 15 minutes, at most 24 hours).
    window: Option<u64>,
}

/// A group's lag history: its samples over the window, oldest first, and the
/// events it consumed per second over it.
async fn kafka_lag(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(p): Query<LagParams>,
) -> Answer<Json<Value>> {
    let history = s.lag_samples.history(&id, p.window.unwrap_or(900)).await?;
    let rate = history.rate();
    let mut body = serde_json::to_value(&history).unwrap_or_default();
    body["rate"] = json!(rate);
    Ok(Json(body))
}

#[derive(Deserialize)]
struct DeadLetterParams {
    /// Show the handled ones too.
    handled: Option<bool>,
}

/// The dead letters waiting (and the handled ones with `handled=true`), newest first.
async fn dead_letters(State(s): State<AppState>, Query(p): Query<DeadLetterParams>) -> Answer<Json<DeadLetterPage>> {
    Ok(Json(s.dead_letters.list(p.handled.unwrap_or(false)).await?))
}

/// The dead letters a body `{"ids": ["partition-offset", …]}` names.
fn letter_ids(body: &Bytes) -> Answer<Vec<String>> {
    let ids = object_body(body)?.remove("ids").unwrap_or(Value::Null);
    let ids: Vec<String> = serde_json::from_value(ids)
        .map_err(|_| AppError::invalid("ids", "must be a list of dead letter ids (partition-offset)"))?;
    if ids.is_empty() {
        return Err(AppError::invalid("ids", "name at least one dead letter").into());
    }
    Ok(ids)
}

/// Sends dead letters back to their topics: for each, where it landed or why not.
async fn redrive_dead_letters(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> Answer<Json<Vec<ActionOutcome>>> {
    Ok(Json(s.dead_letters.redrive(&letter_ids(&body)?, &actor).await?))
}

/// Marks dead letters handled: for each, done or why not.
async fn discard_dead_letters(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> Answer<Json<Vec<ActionOutcome>>> {
    Ok(Json(s.dead_letters.discard(&letter_ids(&body)?, &actor).await?))
}
