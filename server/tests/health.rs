//! /healthz and /readyz against the real broker and store.

mod common;

use std::time::{Duration, Instant};

use app::domain::health::{Readiness, Status};
use common::*;

async fn readyz(server: &Server) -> (u16, Readiness, Duration) {
    let started = Instant::now();
    let response = reqwest::get(server.url("/readyz")).await.expect("GET /readyz");
    let code = response.status().as_u16();
    let body: Readiness = response.json().await.expect("/readyz answers JSON");
    (code, body, started.elapsed())
}

fn status_of(r: &Readiness, name: &str) -> Status {
    r.backends.iter().find(|b| b.name == name).unwrap_or_else(|| panic!("no {name} entry in {r:?}")).status
}

/// Polls /readyz until it answers `want`, for at most `limit`; returns the answer
/// and how long it took.
async fn readyz_until(server: &Server, want: u16, limit: Duration) -> (Readiness, Duration) {
    let started = Instant::now();
    loop {
        let (code, body, took) = readyz(server).await;
        assert!(took < Duration::from_secs(5), "/readyz took {took:?}");
        if code == want {
            return (body, started.elapsed());
        }
        assert!(started.elapsed() < limit, "/readyz still answers {code} after {limit:?}: {body:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn readyz_follows_the_broker_down_and_back_up() {
    let kafka = PrivateKafka::start();
    let world = Owned(World::on("readyz_broker", &kafka.brokers()));
    let server = world.server();

    // Both backends answer: 200, and each entry says ok with a latency.
    let (ready, _) = readyz_until(&server, 200, Duration::from_secs(30)).await;
    assert_eq!(ready.status, Status::Ok);
    assert!(ready.failing.is_empty());
    assert_eq!(status_of(&ready, "kafka"), Status::Ok);
    assert_eq!(status_of(&ready, "mongodb"), Status::Ok);
    assert_eq!(status_of(&ready, "materializer"), Status::Ok, "this instance's materializer is not stalled");
    assert!(ready.backends.iter().all(|b| b.latency_ms >= 0.0));

    // The broker goes away: 503 naming Kafka (and only Kafka) within 5 seconds.
    kafka.stop();
    let (down, took) = readyz_until(&server, 503, Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(5), "503 came after {took:?}");
    assert_eq!(down.status, Status::Down);
    assert_eq!(down.failing, vec!["kafka".to_string()]);
    assert_eq!(status_of(&down, "kafka"), Status::Down);
    assert_eq!(status_of(&down, "mongodb"), Status::Ok);
    let kafka_entry = down.backends.iter().find(|b| b.name == "kafka").unwrap();
    assert!(!kafka_entry.detail.is_empty(), "the Kafka entry explains the failure");

    // The broker comes back: the same server process is ready again.
    kafka.restart();
    let (again, _) = readyz_until(&server, 200, Duration::from_secs(60)).await;
    assert_eq!(status_of(&again, "kafka"), Status::Ok);
}

#[tokio::test]
async fn readyz_names_mongodb_when_it_is_unreachable() {
    let nothing_there = format!("mongodb://127.0.0.1:{}/geoledger", free_port());
    let server = Server::start(&shared_kafka(), &nothing_there);
    let (code, body, took) = readyz(&server).await;
    assert_eq!(code, 503);
    assert!(took < Duration::from_secs(5), "/readyz took {took:?}");
    // The read index cannot load without MongoDB: it says so, and waits.
    assert_eq!(body.failing, vec!["mongodb".to_string(), "index".to_string()]);
    assert_eq!(status_of(&body, "kafka"), Status::Ok);
    let index = body.backends.iter().find(|b| b.name == "index").unwrap();
    assert_eq!(index.detail, "loading the cities and pincodes from MongoDB");
}

#[tokio::test]
async fn healthz_answers_while_backends_are_down() {
    let server =
        Server::start(&format!("127.0.0.1:{}", free_port()), &format!("mongodb://127.0.0.1:{}/x", free_port()));
    let response = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}
