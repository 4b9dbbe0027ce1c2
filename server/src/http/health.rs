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
use serde::Serialize;

use super::rest::bodies::{
    GroupHealth, KafkaClusterHealth, KafkaHealth, MaterializerAnswer, PartitionHealth, TopicStatus,
};
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

/// The process is up.
pub async fn healthz() -> impl IntoResponse {
    Json(Alive { status: Status::Ok })
}

#[derive(Serialize)]
pub struct Alive {
    status: Status,
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let r = readiness(&state).await;
    let code = if r.is_ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(r))
}

/// The brokers and the controller, whether each of GeoLedger's topics exists
/// (with its partitions), and the materializer's group with its lag, total and
/// per partition: 200, or 503 with the reason (no token needed).
#[utoipa::path(
    get, path = "/api/v1/location-updates/kafka/health", tag = "health",
    responses(
        (status = 200, description = "Kafka, the topics and the materializer are well", body = KafkaHealth),
        (status = 503, description = "Something is not: `reason` says what", body = KafkaHealth),
    ),
    security(())
)]
pub async fn kafka_health(State(state): State<AppState>) -> Response {
    let kafka = check_kafka(&state.kafka, state.config.health_timeout()).await;
    let config = &state.kafka.config;
    let roles = [
        ("city", config.city_topic()),
        ("pincode", config.pincode_topic()),
        ("dead_letter", config.dead_letter_topic()),
    ];
    let health = state.watchdog.health();
    let materializer = MaterializerAnswer {
        state: health.state,
        label: health.state.label().to_string(),
        detail: health.detail.clone(),
        restarts: health.restarts,
    };
    let mut reasons = Vec::new();
    if !kafka.is_ok() {
        reasons.push(kafka.detail.clone());
    }
    if health.state == MaterializerState::Stalled {
        reasons.push(format!("the materializer is {}: {}", health.state.label(), health.detail));
    }
    let cluster = match state.kafka_admin.cluster().await {
        Ok((cluster, groups)) => {
            let topic_status = roles
                .iter()
                .map(|(role, name)| {
                    let found = cluster.topics.iter().find(|t| &t.name == name);
                    if found.is_none() {
                        reasons.push(format!("topic {name} does not exist"));
                    }
                    TopicStatus {
                        role: role.to_string(),
                        name: name.clone(),
                        exists: found.is_some(),
                        partitions: found.map(|t| t.partitions.len()),
                    }
                })
                .collect();
            let group = match groups.iter().find(|g| g.id == config.group()) {
                Some(g) => GroupHealth {
                    id: g.id.clone(),
                    state: g.state.clone(),
                    total_lag: Some(g.total_lag()),
                    partitions: g
                        .partitions
                        .iter()
                        .map(|p| PartitionHealth {
                            topic: p.topic.clone(),
                            partition: p.partition,
                            committed: p.committed,
                            end: p.end,
                            lag: p.lag(),
                        })
                        .collect(),
                },
                None => {
                    GroupHealth { id: config.group(), state: "Unknown".into(), total_lag: None, partitions: vec![] }
                }
            };
            Some(KafkaClusterHealth {
                cluster_id: cluster.id,
                controller: cluster.controller,
                brokers: cluster.brokers,
                topic_status,
                group,
            })
        }
        Err(e) => {
            reasons.push(e.to_string());
            None
        }
    };
    let ok = reasons.is_empty();
    let body = KafkaHealth {
        status: if ok { Status::Ok } else { Status::Down },
        reason: reasons.into_iter().next(),
        kafka,
        topics: roles.iter().map(|(role, name)| (role.to_string(), name.clone())).collect(),
        consumer_group: config.group(),
        materializer,
        cluster,
    };
    let code = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(body)).into_response()
}
