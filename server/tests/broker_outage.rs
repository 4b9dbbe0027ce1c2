//! Writes while the broker is down: a clear 503 in bounded time, nothing written;
//! writes work again when it is back, without a restart.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

#[tokio::test]
async fn writes_answer_503_while_the_broker_is_down_and_work_again_after() {
    let kafka = PrivateKafka::start();
    let world = Owned(World::on("outage", &kafka.brokers()).with("GEOLEDGER_PUBLISH_TIMEOUT_MS", "3000"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let (code, body) = api
        .post(
            "/api/v1/location-updates/cities",
            &json!({"city_name": "Agra", "state": "UP", "latitude": 27.17, "longitude": 78.0}),
        )
        .await;
    assert_eq!(code, 202, "{body}");
    api.eventually("/api/v1/cities/Agra/UP", Duration::from_secs(30), |c, _| c == 200).await;

    kafka.stop();
    let started = Instant::now();
    let (code, body) = api
        .post(
            "/api/v1/location-updates/cities",
            &json!({"city_name": "Noida", "state": "UP", "latitude": 28.5, "longitude": 77.4}),
        )
        .await;
    let took = started.elapsed();
    assert_eq!(code, 503, "{body}");
    assert!(took < Duration::from_secs(10), "the 503 took {took:?}");
    assert!(body["error"].as_str().unwrap().contains("nothing was saved"), "{body}");

    kafka.restart();
    let (code, body) = loop {
        let (code, body) = api
            .post(
                "/api/v1/location-updates/cities",
                &json!({"city_name": "Mathura", "state": "UP", "latitude": 27.49, "longitude": 77.67}),
            )
            .await;
        if code != 503 || started.elapsed() > Duration::from_secs(90) {
            break (code, body);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    assert_eq!(code, 202, "{body}");
    api.eventually("/api/v1/cities/Mathura/UP", Duration::from_secs(60), |c, _| c == 200).await;
    // The refused write never appears.
    let (code, _) = api.get("/api/v1/cities/Noida/UP").await;
    assert_eq!(code, 404);
    let (_, list) = api.get("/api/v1/cities").await;
    assert_eq!(list["cities"].as_array().unwrap().len(), 2, "{list}");
}
