//! `/healthz` (the process is up) and `/readyz` (every backend answers).

use crate::backend::Backend;
use app::domain::health::{BackendCheck, Readiness, Status};
use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

/// Runs one check and times it.
pub async fn timed(
    name: &str,
    target: &str,
    check: impl Future<Output = Result<String, String>>,
) -> BackendCheck {
    let started = Instant::now();
    let outcome = check.await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (status, detail) = match outcome {
        Ok(detail) => (Status::Ok, detail),
        Err(error) => (Status::Down, error),
    };
    BackendCheck { name: name.into(), status, target: target.into(), latency_ms, detail }
}

/// Checks every backend at once.
pub async fn readiness(backend: &Backend) -> Readiness {
    let timeout = backend.config.health_timeout();
    let (kafka, mongo) = tokio::join!(backend.kafka.check(timeout), backend.mongo.check(timeout));
    let checked_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    Readiness::new(vec![kafka, mongo], checked_at)
}

pub async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

pub async fn readyz(State(backend): State<Arc<Backend>>) -> impl IntoResponse {
    let r = readiness(&backend).await;
    let code = if r.is_ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(r))
}
