//! `/healthz` (the process is up), `/readyz` (every backend answers), and the
//! Kafka check of the REST API (`/api/v1/location-updates/kafka/health`).

use std::future::Future;
use std::time::{Duration, Instant};

use app::domain::health::{BackendCheck, MaterializerState, Readiness, Status};
use app::domain::kafka::retention_warning;
use app::format::indian;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::state::AppState;
use crate::index::ReadIndex;
use crate::pipeline::Kafka;
use crate::store::Mongo;

/// Runs one check and times it.
async fn timed(name: &str, target: String, check: impl Future<Output = Result<String, String>>) -> BackendCheck {
    let started = Instant::now();
    let outcome = check.await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (status, detail) = match outcome {
        Ok(detail) => (Status::Ok, detail),
        Err(error) => (Status::Down, error),
    };
    BackendCheck { name: name.into(), status, target, latency_ms, detail }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Kafka: ok when a broker gives the cluster's metadata within `timeout`.
pub async fn check_kafka(kafka: &Kafka, timeout: Duration) -> BackendCheck {
    timed("kafka", kafka.brokers.clone(), async {
        let cluster = kafka.cluster_summary(timeout).await.map_err(|e| e.to_string())?;
        let (brokers, topics) = (cluster.brokers, cluster.topics);
        Ok(format!("{brokers} broker{}, {topics} topic{}", plural(brokers), plural(topics)))
    })
    .await
}

/// MongoDB: ok when it answers a ping within `timeout`.
pub async fn check_mongo(mongo: &Mongo, timeout: Duration) -> BackendCheck {
    let target = format!("{} (database {})", mongo.target, mongo.db.name());
    timed("mongodb", target, async {
        match tokio::time::timeout(timeout, mongo.ping()).await {
            Ok(Ok(())) => Ok("ping answered".to_string()),
            Ok(Err(e)) => Err(format!("ping failed: {e}")),
            Err(_) => Err(format!("no answer to ping within {} ms", timeout.as_millis())),
        }
    })
    .await
}

/// The read index: ready once loaded whole.
fn check_index(index: &ReadIndex) -> BackendCheck {
    let sizes = index.sizes();
    let (status, detail) = if index.is_loaded() {
        let (cities, pincodes) = (indian(sizes.cities as u64), indian(sizes.pincodes as u64));
        (Status::Ok, format!("{cities} cities and {pincodes} pincodes in memory"))
    } else {
        (Status::Down, "loading the cities and pincodes from MongoDB".to_string())
    };
    BackendCheck { name: "index".into(), status, target: "memory".into(), latency_ms: 0.0, detail }
}

/// Checks every backend at once, and this instance's materializer (down
/// while its watchdog has it stalled, restarting).
pub async fn readiness(state: &AppState) -> Readiness {
    let (kafka, timeout) = (&state.kafka, state.config.health_timeout());
    let (kafka_check, mongo_check) = tokio::join!(check_kafka(kafka, timeout), check_mongo(&state.mongo, timeout));
    let checked_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let kafka_ok = kafka_check.is_ok();
    let checks = vec![kafka_check, mongo_check, check_index(&state.index), state.watchdog.health().check()];
    let mut readiness = Readiness::new(checks, checked_at);
    if kafka_ok {
        match kafka.event_topic_retention(timeout).await {
            Ok(topics) => readiness
                .warnings
                .extend(topics.iter().filter_map(|(topic, ms)| retention_warning(topic, ms.as_deref()))),
            Err(e) => readiness.warnings.push(format!("the event topics' retention could not be read: {e}")),
        }
    }
    readiness
}

pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let r = readiness(&state).await;
    let code = if r.is_ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(r))
}

/// The brokers and the controller, whether each of GeoLedger's topics exists
/// (with its partitions), and the materializer's group with its lag, total and
/// per partition: 200, or 503 with the reason (no token needed).
pub async fn kafka_health(State(state): State<AppState>) -> Response {
    let check = check_kafka(&state.kafka, state.config.health_timeout()).await;
    let config = &state.kafka.config;
    let roles = [
        ("city", config.city_topic()),
        ("pincode", config.pincode_topic()),
        ("dead_letter", config.dead_letter_topic()),
    ];
    let topics: serde_json::Map<String, serde_json::Value> =
        roles.iter().map(|(role, name)| (role.to_string(), json!(name))).collect();
    let materializer = state.watchdog.health();
    let mut body = json!({
        "kafka": check, "topics": topics, "consumer_group": config.group(),
        "materializer": { "state": materializer.state, "label": materializer.state.label(),
                          "detail": materializer.detail, "restarts": materializer.restarts },
    });
    let mut reasons = Vec::new();
    if !check.is_ok() {
        reasons.push(check.detail.clone());
    }
    if materializer.state == MaterializerState::Stalled {
        reasons.push(format!("the materializer is {}: {}", materializer.state.label(), materializer.detail));
    }
    match state.kafka_admin.cluster().await {
        Ok((cluster, groups)) => {
            let topic_status: Vec<serde_json::Value> = roles
                .iter()
                .map(|(role, name)| {
                    let found = cluster.topics.iter().find(|t| &t.name == name);
                    if found.is_none() {
                        reasons.push(format!("topic {name} does not exist"));
                    }
                    json!({ "role": role, "name": name, "exists": found.is_some(),
                            "partitions": found.map(|t| t.partitions.len()) })
                })
                .collect();
            let group = groups.iter().find(|g| g.id == config.group());
            body["cluster_id"] = json!(cluster.id);
            body["controller"] = json!(cluster.controller);
            body["brokers"] = json!(cluster.brokers);
            body["topic_status"] = json!(topic_status);
            body["group"] = match group {
                Some(g) => json!({
                    "id": g.id, "state": g.state, "total_lag": g.total_lag(),
                    "partitions": g.partitions.iter().map(|p| json!({
                        "topic": p.topic, "partition": p.partition, "committed": p.committed,
                        "end": p.end, "lag": p.lag(),
                    })).collect::<Vec<_>>(),
                }),
                None => json!({ "id": config.group(), "state": "Unknown", "total_lag": null, "partitions": [] }),
            };
        }
        Err(e) => reasons.push(e.to_string()),
    }
    let ok = reasons.is_empty();
    body["status"] = json!(if ok { "ok" } else { "down" });
    body["reason"] = json!(reasons.first());
    let code = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(body)).into_response()
}
