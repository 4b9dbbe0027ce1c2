//! SIGTERM with browsers connected and writes in flight: GeoLedger stops
//! taking writes, ends the live streams, answers what is in flight, commits
//! its offsets and exits within 10 s; every write it accepted is applied, and
//! nothing it did not accept is.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::json;

const FIRST: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_browsers_and_writes_in_flight_stops_within_10_s_and_loses_nothing() {
    let world = Owned(World::new("sigterm"));
    let server = world.server();
    let token = world.token();
    let api = Api::new(&server, &token);
    let first = json!({"city_name": "Startpur", "state": "Kerala", "latitude": 10.0, "longitude": 76.3});
    api.post("/api/v1/location-updates/cities", &first).await;
    api.eventually("/api/v1/cities/Startpur/Kerala", FIRST, |c, _| c == 200).await;

    // Three browsers on the live stream.
    let http = reqwest::Client::new();
    let mut streams = Vec::new();
    for _ in 0..3 {
        streams.push(http.get(server.url("/api/v1/stream")).bearer_auth(&token).send().await.unwrap());
    }
    // Four writers, each writing cities one after the other until one is refused.
    let (accepted, attempted) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Vec::new())));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (http, url, token) = (http.clone(), server.url("/api/v1/location-updates/cities"), token.clone());
        let (accepted, attempted) = (accepted.clone(), attempted.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..1000 {
                let name = format!("Termpur {w}-{i}");
                let body = json!({"city_name": name, "state": "Kerala", "latitude": 10.0, "longitude": 76.3});
                attempted.lock().unwrap().push(name.clone());
                let sent = http.post(&url).bearer_auth(&token).json(&body).send().await;
                if !sent.is_ok_and(|r| r.status() == 202) {
                    break;
                }
                accepted.lock().unwrap().push(name);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (took, clean) = tokio::task::spawn_blocking(move || server.stop()).await.unwrap();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(clean, "exited with success");
    // Every live stream has ended.
    for mut stream in streams {
        let ended =
            tokio::time::timeout(Duration::from_secs(2), async { while let Ok(Some(_)) = stream.chunk().await {} })
                .await;
        assert!(ended.is_ok(), "a live stream was left open");
    }
    for w in writers {
        w.await.unwrap();
    }
    let (accepted, attempted) = (accepted.lock().unwrap().clone(), attempted.lock().unwrap().clone());
    assert!(!accepted.is_empty() && accepted.len() < attempted.len(), "{} of {}", accepted.len(), attempted.len());

    // Started again: every accepted write is there, once; nothing never attempted.
    let server = world.server();
    let api = Api::new(&server, &token);
    let listed = api
        .eventually("/api/v1/cities?state=Kerala&limit=100", FIRST, |c, b| {
            let names: HashSet<&str> =
                b["cities"].as_array().into_iter().flatten().filter_map(|c| c["name"].as_str()).collect();
            c == 200 && accepted.iter().all(|a| names.contains(a.as_str()))
        })
        .await;
    let names: Vec<&str> = listed["cities"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    let unique: HashSet<&&str> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "each once: {names:?}");
    let strangers: Vec<&&str> =
        names.iter().filter(|n| **n != "Startpur" && !attempted.iter().any(|a| a == *n)).collect();
    assert!(strangers.is_empty(), "{strangers:?}");
}
