//! MongoDB stopped for 30 s while events arrive: the materializer waits,
//! commits nothing, and catches up when it is back; readiness and the Kafka
//! health report the outage meanwhile. Nothing lost, nothing applied twice.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use app::domain::city::validate_new_city;
use app::domain::event::{Change, CityData};
use common::*;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use serde_json::{json, Value};

const OUTAGE: Duration = Duration::from_secs(30);

async fn get(url: &str) -> (u16, Value) {
    let res = reqwest::get(url).await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

/// Polls a public route until `ok` holds for (status, body), or panics after `limit`.
async fn until(url: &str, limit: Duration, ok: impl Fn(u16, &Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let (code, body) = get(url).await;
        if ok(code, &body) {
            return body;
        }
        assert!(started.elapsed() < limit, "GET {url}: {code} {body}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn mongodb_stopped_for_30_s_during_consumption_is_waited_for_then_caught_up() {
    let mongo = PrivateService::mongo();
    let mut world = World::new("store_outage");
    world.mongodb_uri = mongo.mongodb_uri("store_outage");
    let world = Owned(world);
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let first = json!({"city_name": "Beforepur", "state": "Kerala", "latitude": 10.0, "longitude": 76.3});
    api.post("/api/v1/location-updates/cities", &first).await;
    api.eventually("/api/v1/cities/Beforepur/Kerala", Duration::from_secs(30), |c, _| c == 200).await;

    mongo.stop();
    let stopped = Instant::now();
    // Twenty events arrive meanwhile, from a producer of their own (the API
    // itself answers 503 while it cannot check names).
    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", &world.brokers).create().unwrap();
    let topic = world.topic("city-updates");
    let mut names = Vec::new();
    for i in 0..20 {
        let name = format!("Outagepur {i}");
        let record = json!({"city_name": name, "state": "Kerala", "latitude": 10.0, "longitude": 76.3});
        let fields = validate_new_city(record.as_object().unwrap()).unwrap();
        let change = Change::CityCreated(CityData { id: fields.new_id(), fields });
        let time = chrono::Utc::now().to_rfc3339();
        let event = change.into_envelope(uuid::Uuid::now_v7().to_string(), time, "/elsewhere", "outage-test");
        let payload = serde_json::to_vec(&event).unwrap();
        producer
            .send(FutureRecord::to(&topic).key(&event.subject).payload(&payload), Duration::from_secs(10))
            .await
            .unwrap();
        names.push(name);
    }
    let (code, _) = api.post("/api/v1/location-updates/cities", &first).await;
    assert_eq!(code, 503, "a write that cannot be checked is refused, not half-done");

    // Meanwhile: not ready, naming MongoDB; the materializer's lag shows the waiting events.
    let ready = until(&server.url("/readyz"), OUTAGE, |c, _| c == 503).await;
    assert_eq!(ready["failing"], json!(["mongodb"]));
    // (Lag counts where the group has committed: the partitions it read before.)
    until(&server.url("/api/v1/location-updates/kafka/health"), OUTAGE, |_, b| {
        b["group"]["total_lag"].as_i64().is_some_and(|l| l >= 1)
    })
    .await;
    tokio::time::sleep(OUTAGE.saturating_sub(stopped.elapsed())).await;

    // Back: every event applied, once; the lag drains.
    mongo.restart();
    let listed = api
        .eventually("/api/v1/cities?state=Kerala&limit=100", Duration::from_secs(60), |c, b| {
            c == 200 && b["cities"].as_array().is_some_and(|c| c.len() >= 21)
        })
        .await;
    let found: Vec<&str> = listed["cities"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    let lost: Vec<&String> = names.iter().filter(|n| !found.contains(&n.as_str())).collect();
    assert!(lost.is_empty(), "lost {lost:?}");
    assert_eq!(found.iter().collect::<HashSet<_>>().len(), found.len(), "each once");
    assert_eq!(found.len(), 21);
    until(&server.url("/api/v1/location-updates/kafka/health"), Duration::from_secs(30), |c, b| {
        c == 200 && b["group"]["total_lag"] == 0
    })
    .await;
}
