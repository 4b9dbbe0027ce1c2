//! The materializer's watchdog against the real broker and store: a consumer
//! frozen by a fail point (`materializer::freeze`: it holds its first batch
//! unapplied and polls no more) is found stalled, shown so on `/readyz` and
//! `kafka/health`, counted in `/metrics`, replaced by a new consumer, and
//! every event is applied once.
//!
//! The fail point exists in `cargo test` builds only (the `failpoints`
//! feature, on by default; cargo-leptos builds without it).

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::*;
use futures::TryStreamExt;
use mongodb::bson::{doc, Document};
use serde_json::{json, Value};

const CITIES: usize = 30;

/// The `materializer` line of a `/readyz` body.
fn materializer_check(readyz: &Value) -> Value {
    readyz["backends"].as_array().unwrap().iter().find(|b| b["name"] == "materializer").cloned().unwrap_or_default()
}

/// The value of an unlabelled counter in `/metrics`.
async fn counter(server: &Server, name: &str) -> Option<f64> {
    let text = reqwest::get(server.url("/metrics")).await.unwrap().text().await.unwrap();
    text.lines().find_map(|l| l.strip_prefix(&format!("{name} "))?.trim().parse().ok())
}

#[tokio::test]
async fn a_frozen_materializer_is_shown_stalled_rebuilt_and_applies_every_event_once() {
    // Frozen twice (its first consumer and the one that replaces it), so the
    // stalled state lasts a whole stall time where a test can see it.
    let world = Owned(
        World::new("watchdog")
            .with("FAILPOINTS", "materializer::freeze=2*return")
            .with("GEOLEDGER_MATERIALIZER_STALL_SECS", "3")
            .with("GEOLEDGER_LAG_SAMPLE_SECS", "1"),
    );
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let mut stream = api.stream().await;
    assert_eq!(counter(&server, "geoledger_materializer_restarts_total").await, Some(0.0), "shown from the start");

    let mut ids = Vec::new();
    for i in 0..CITIES {
        let city = json!({"city_name": format!("Watchpur {i}"), "state": "Bihar", "latitude": 25.0 + i as f64 / 100.0,
                          "longitude": 85.0});
        let (code, body) = api.post("/api/v1/location-updates/cities", &city).await;
        assert_eq!(code, 202, "{body}");
        ids.push(body["event_id"].as_str().unwrap().to_string());
    }

    // While it lasts: /readyz is 503 and says why; so does kafka/health.
    let readyz = api
        .eventually("/readyz", Duration::from_secs(60), |code, body| {
            code == 503 && materializer_check(body)["status"] == "down"
        })
        .await;
    let check = materializer_check(&readyz);
    let detail = check["detail"].as_str().unwrap();
    assert!(detail.starts_with("stalled, restarting: "), "{detail}");
    assert!(detail.contains("events waiting on its partitions"), "why: {detail}");
    assert_eq!(readyz["failing"], json!(["materializer"]), "{readyz}");
    let (code, health) = api.get("/api/v1/location-updates/kafka/health").await;
    assert_eq!((code, health["materializer"]["label"].as_str()), (503, Some("stalled, restarting")), "{health}");
    assert!(health["reason"].as_str().unwrap().starts_with("the materializer is stalled, restarting"), "{health}");

    // Then every city is there, each once, and it is ready again.
    let cities = api
        .eventually("/api/v1/cities?state=Bihar&limit=100", Duration::from_secs(120), |code, body| {
            code == 200 && body["cities"].as_array().is_some_and(|c| c.len() == CITIES)
        })
        .await;
    assert_eq!(cities["cities"].as_array().unwrap().len(), CITIES);
    let stored: Vec<Document> =
        world.db().await.collection("cities").find(doc! {}).await.unwrap().try_collect().await.unwrap();
    assert_eq!(stored.len(), CITIES, "each city once");
    let readyz = api.eventually("/readyz", Duration::from_secs(30), |code, _| code == 200).await;
    let detail = materializer_check(&readyz)["detail"].as_str().unwrap().to_string();
    assert!(detail.starts_with("consuming: reads "), "{detail}");
    assert!(detail.ends_with("(its consumer was rebuilt 2 times)"), "{detail}");
    assert_eq!(counter(&server, "geoledger_materializer_restarts_total").await, Some(2.0));

    // Applied once each: one notice an event on the live stream, none twice,
    // and the applied count is the number of events (a redelivered event is
    // counted again).
    let mut text = String::new();
    let mut notices: BTreeMap<String, usize> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while notices.len() < CITIES && Instant::now() < deadline {
        for n in events_for(&mut stream, &mut text, "change", Duration::from_secs(1)).await {
            assert_eq!(n["outcome"], "applied", "{n}");
            *notices.entry(n["event_id"].as_str().unwrap().to_string()).or_default() += 1;
        }
    }
    for n in events_for(&mut stream, &mut text, "change", Duration::from_secs(2)).await {
        *notices.entry(n["event_id"].as_str().unwrap().to_string()).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = ids.iter().map(|id| (id.clone(), 1)).collect();
    assert_eq!(notices, expected, "one applied notice for each event, none twice");
    let applied = reqwest::get(server.url("/metrics")).await.unwrap().text().await.unwrap();
    let line = applied.lines().find(|l| l.starts_with("geoledger_events_applied_total{type=\"city.created.v1\"}"));
    assert_eq!(line.and_then(|l| l.rsplit(' ').next()), Some(CITIES.to_string().as_str()), "{applied}");
}
