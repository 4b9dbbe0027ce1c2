//! The REST API for scripts (`/api/v1`), with the seed's paths and bodies.
//! Handlers are thin: authenticate, call one service function, map its errors.

use crate::backend::Backend;
use crate::service::{Actor, Published, ServiceError};
use app::domain::city::CityListQuery;
use app::domain::write::Refusal;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State as AxumState};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Extension, Json, Router};
use futures::Stream;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::wrappers::{errors::BroadcastStreamRecvError, BroadcastStream};
use tokio_stream::StreamExt;

type Shared = AxumState<Arc<Backend>>;

pub fn routes(backend: Arc<Backend>) -> Router {
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
        .route("/stream", get(stream))
        .route_layer(middleware::from_fn_with_state(backend.clone(), require_token));
    Router::new()
        .merge(protected)
        .route("/location-updates/kafka/health", get(kafka_health))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such API route") })
        .with_state(backend)
}

/// An error as JSON: `{"error": "...", "errors": [{field, message}]}`.
pub struct ApiError(StatusCode, Value);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

impl ApiError {
    fn new(code: StatusCode, message: impl Into<String>) -> Self {
        ApiError(code, json!({ "error": message.into() }))
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Invalid(errors) => ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": format!("invalid input: {errors}"), "errors": errors.errors }),
            ),
            Refusal::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m),
            Refusal::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
            Refusal::Unavailable(m) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, m),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        Refusal::from(e).into()
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn accepted(p: Published) -> Response {
    (StatusCode::ACCEPTED, Json(p)).into_response()
}

/// Parses a body as JSON, with a 400 that says what is wrong.
fn json_body(body: &Bytes) -> ApiResult<Value> {
    serde_json::from_slice(body).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("the body is not valid JSON: {e}")))
}

fn object_body(body: &Bytes) -> ApiResult<Map<String, Value>> {
    match json_body(body)? {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "the body must be a JSON object")),
    }
}

/// `Authorization: Bearer <token>`; the token's name becomes the events' actor.
/// A signed-in admin's browser may also read (GET) with its session cookie.
async fn require_token(AxumState(backend): Shared, session: tower_sessions::Session, mut request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let unauthorized = |m: &str| {
        let mut r = ApiError::new(StatusCode::UNAUTHORIZED, m).into_response();
        r.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        r
    };
    let Some(token) = token else {
        if request.method() == axum::http::Method::GET {
            if let Ok(Some(email)) = session.get::<String>(app::api::SESSION_USER).await {
                request.extensions_mut().insert(Actor::admin(email));
                return next.run(request).await;
            }
        }
        return unauthorized("an API token is required: Authorization: Bearer <token> (geoledger token create --name NAME)");
    };
    match backend.tokens.verify(token).await {
        Ok(Some(name)) => {
            request.extensions_mut().insert(Actor::token(&name));
            next.run(request).await
        }
        Ok(None) => unauthorized("the API token is not valid (revoked, or never issued)"),
        Err(e) => {
            tracing::error!("checking a token: {e}");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the database is unavailable").into_response()
        }
    }
}

async fn create_city(AxumState(b): Shared, Extension(actor): Extension<Actor>, body: Bytes) -> ApiResult<Response> {
    Ok(accepted(b.create_city(&actor, &object_body(&body)?).await?))
}

async fn create_cities(AxumState(b): Shared, Extension(actor): Extension<Actor>, body: Bytes) -> ApiResult<Response> {
    let Value::Array(rows) = json_body(&body)? else {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "the body must be a JSON array of cities"));
    };
    let published = b.create_cities(&actor, &rows).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "count": published.len(), "events": published }))).into_response())
}

async fn update_city(AxumState(b): Shared, Extension(actor): Extension<Actor>, Path((name, state)): Path<(String, String)>, body: Bytes) -> ApiResult<Response> {
    Ok(accepted(b.update_city(&actor, &name, &state, &object_body(&body)?).await?))
}

async fn delete_city(AxumState(b): Shared, Extension(actor): Extension<Actor>, Path((name, state)): Path<(String, String)>) -> ApiResult<Response> {
    Ok(accepted(b.delete_city(&actor, &name, &state).await?))
}

async fn restore_city(AxumState(b): Shared, Extension(actor): Extension<Actor>, Path((name, state)): Path<(String, String)>) -> ApiResult<Response> {
    Ok(accepted(b.restore_city(&actor, &name, &state).await?))
}

async fn upsert_pincode(AxumState(b): Shared, Extension(actor): Extension<Actor>, body: Bytes) -> ApiResult<Response> {
    Ok(accepted(b.upsert_pincode(&actor, &object_body(&body)?).await?))
}

async fn delete_pincode(AxumState(b): Shared, Extension(actor): Extension<Actor>, Path(code): Path<String>) -> ApiResult<Response> {
    Ok(accepted(b.delete_pincode(&actor, &code).await?))
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

/// One listing for scripts and the UI alike: `app::api::Backend::list_cities`.
async fn list_cities(AxumState(b): Shared, Query(p): Query<ListParams>) -> ApiResult<Json<Value>> {
    use app::api::Backend as _;
    let bbox = match p.bbox.as_deref() {
        Some(raw) => Some(parse_bbox(raw).map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("bbox: {m}")))?),
        None => None,
    };
    let query = CityListQuery {
        state: p.state.unwrap_or_default(),
        q: p.q.unwrap_or_default(),
        include_deleted: p.include_deleted,
        cursor: p.cursor,
        limit: p.limit.unwrap_or(100),
        bbox,
    };
    let page = b.list_cities(query).await?;
    Ok(Json(json!({ "cities": page.cities, "next_cursor": page.next_cursor })))
}

fn parse_bbox(raw: &str) -> Result<[f64; 4], String> {
    let parts: Vec<f64> = raw.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| format!("'{raw}' is not west,south,east,north in degrees"))?;
    let [w, s, e, n]: [f64; 4] = parts.try_into().map_err(|_| format!("'{raw}' needs 4 numbers: west,south,east,north"))?;
    if !(w < e && s < n && (-180.0..=180.0).contains(&w) && (-180.0..=180.0).contains(&e) && (-90.0..=90.0).contains(&s) && (-90.0..=90.0).contains(&n)) {
        return Err(format!("'{raw}' is not a box: west < east and south < north, in degrees"));
    }
    Ok([w, s, e, n])
}

async fn get_city(AxumState(b): Shared, Path((name, state)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    let city = b.find_city(&name, &state).await?;
    Ok(Json(serde_json::to_value(city).unwrap_or_default()))
}

async fn get_pincode(AxumState(b): Shared, Path(code): Path<String>) -> ApiResult<Json<Value>> {
    let p = b.store.pincode(code.trim()).await.map_err(ServiceError::from)?;
    let p = p.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no pincode {}", code.trim())))?;
    Ok(Json(serde_json::to_value(p).unwrap_or_default()))
}

async fn kafka_health(AxumState(b): Shared) -> Response {
    let check = b.kafka.check(b.config.health_timeout()).await;
    let code = if check.is_ok() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let topics = json!({
        "city": b.kafka.config.city_topic(),
        "pincode": b.kafka.config.pincode_topic(),
        "dead_letter": b.kafka.config.dead_letter_topic(),
    });
    (code, Json(json!({ "kafka": check, "topics": topics, "consumer_group": b.kafka.config.group() }))).into_response()
}

/// Every change the materializer handles, as server-sent events named `change`.
async fn stream(AxumState(b): Shared) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let notices = BroadcastStream::new(b.notices.subscribe()).filter_map(|n| match n {
        Ok(notice) => Some(Ok(Event::default().event("change").json_data(&notice).unwrap_or_default())),
        // A slow subscriber missed some: tell it to refetch what it shows.
        Err(BroadcastStreamRecvError::Lagged(missed)) => Some(Ok(Event::default().event("resync").data(missed.to_string()))),
    });
    Sse::new(notices).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("keep-alive"))
}
