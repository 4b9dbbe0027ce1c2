//! More than one instance behind one address: they share the materializer's
//! group, every browser hears of every change whichever instance applied it
//! (and once), and an instance killed hands its partitions to the others
//! without losing a change.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use geoledger::pipeline::kafka::settled;
use rdkafka::consumer::Consumer;
use serde_json::{json, Value};

const FIRST: Duration = Duration::from_secs(45);

fn city(name: &str) -> Value {
    json!({"city_name": name, "state": "Kerala", "latitude": 10.0, "longitude": 76.3})
}

#[tokio::test]
async fn two_instances_share_the_group_every_browser_hears_every_change_and_one_killed_loses_nothing() {
    let world = Owned(World::new("instances").with("GEOLEDGER_LAG_SAMPLE_SECS", "1"));
    let (a, b) = (world.server(), world.server());
    let token = world.token();
    let (api_a, api_b) = (Api::new(&a, &token), Api::new(&b, &token));
    let group = world.topic("geoledger-materializer");
    let path = format!("/api/v1/kafka/groups/{group}");
    let stable = api_a
        .eventually(&path, FIRST, |c, g| {
            c == 200 && g["state"] == "Stable" && g["members"].as_array().is_some_and(|m| m.len() == 2)
        })
        .await;
    // Each instance owns some of the city topic's partitions.
    let city_topic = world.topic("city-updates");
    for member in stable["members"].as_array().unwrap() {
        let owns = member["assignment"].as_array().unwrap().iter().any(|p| p[0] == city_topic.as_str());
        assert!(owns, "{member}");
    }

    // A browser on B; 24 changes written through A.
    let mut stream = api_b.stream().await;
    let mut text = String::new();
    let mut written = HashSet::new();
    for i in 0..24 {
        let (code, published) = api_a.post("/api/v1/location-updates/cities", &city(&format!("Fanpur {i}"))).await;
        assert_eq!(code, 202, "{published}");
        written.insert(published["event_id"].as_str().unwrap().to_string());
    }
    let mut heard = Vec::new();
    while heard.iter().collect::<HashSet<_>>().len() < written.len() {
        let notice = next_event(&mut stream, &mut text, "change", |d| {
            d["outcome"] == "applied" && written.contains(d["event_id"].as_str().unwrap_or_default())
        })
        .await;
        heard.push(notice["event_id"].as_str().unwrap().to_string());
    }
    // B read every change back into its own index (a batch at a time) before
    // telling of it: what it told of, it lists.
    let (code, listed) = api_b.get("/api/v1/cities?q=fanpur&limit=100").await;
    assert_eq!(code, 200, "{listed}");
    assert_eq!(listed["cities"].as_array().unwrap().len(), written.len(), "{listed}");
    // …and its activity feed holds each change, whichever instance applied it.
    let (code, feed) = api_b.get("/api/v1/activity?limit=100").await;
    assert_eq!(code, 200, "{feed}");
    let fed: HashSet<String> =
        feed["entries"].as_array().unwrap().iter().map(|e| e["event_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(fed, written, "{feed}");
    // …each once: no instance's notice is told twice.
    let later = events_for(&mut stream, &mut text, "change", Duration::from_secs(3)).await;
    heard.extend(later.iter().filter_map(|d| d["event_id"].as_str().map(str::to_string)));
    let twice: Vec<_> = heard.iter().filter(|id| heard.iter().filter(|h| h == id).count() > 1).collect();
    assert!(twice.is_empty(), "heard twice: {twice:?}");

    // Both sample the group's lag (each second, once the group has committed
    // offsets); the history keeps one sample a period, not one an instance.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let (history, periods) = loop {
        let (_, history) = api_a.get(&format!("{path}/lag?window=60")).await;
        let periods: Vec<i64> =
            history["samples"].as_array().unwrap().iter().map(|s| s["at"].as_i64().unwrap() / 1000).collect();
        if periods.len() >= 3 || tokio::time::Instant::now() > deadline {
            break (history, periods);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(periods.len() >= 3, "{history}");
    assert_eq!(periods.iter().collect::<HashSet<_>>().len(), periods.len(), "one sample a second: {periods:?}");

    // A is killed: its partitions move to B, and the changes written now are all applied.
    a.kill();
    let mut after = Vec::new();
    for i in 0..10 {
        let name = format!("Afterpur {i}");
        let (code, _) = api_b.post("/api/v1/location-updates/cities", &city(&name)).await;
        assert_eq!(code, 202);
        after.push(name);
    }
    let everyone = api_b
        .eventually("/api/v1/cities?state=Kerala&limit=100", FIRST, |c, b| {
            c == 200 && b["cities"].as_array().is_some_and(|c| c.len() >= 34)
        })
        .await;
    let names: HashSet<&str> =
        everyone["cities"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    let wanted: Vec<String> = (0..24).map(|i| format!("Fanpur {i}")).chain(after).collect();
    let lost: Vec<&String> = wanted.iter().filter(|n| !names.contains(n.as_str())).collect();
    assert_eq!(lost, Vec::<&String>::new(), "lost");
    assert_eq!(names.len(), 34, "each once");
}

#[tokio::test]
async fn pincodes_waiting_for_their_city_while_their_partitions_move_away_and_back_are_applied() {
    // The watchdog is kept out of it (600 s): the consumer itself must read
    // again what it paused before the partitions moved.
    let world = Owned(
        World::new("instances_moved")
            .with("GEOLEDGER_CITY_WAIT_RETRIES", "200")
            .with("GEOLEDGER_MATERIALIZER_STALL_SECS", "600"),
    );
    let a = world.server();
    let token = world.token();
    let api_a = Api::new(&a, &token);
    let group = world.topic("geoledger-materializer");
    let members = |n: usize| {
        move |c: u16, g: &Value| {
            c == 200 && g["state"] == "Stable" && g["members"].as_array().is_some_and(|m| m.len() == n)
        }
    };
    let path = format!("/api/v1/kafka/groups/{group}");
    api_a.eventually(&path, FIRST, members(1)).await;

    // Pincodes of a city that is not there yet, on every partition of their topic:
    // A parks the first of each partition and pauses it.
    let codes: Vec<String> = (0..30).map(|i| format!("6820{i:02}")).collect();
    let rows: Vec<Value> = codes
        .iter()
        .map(|c| json!({"pincode": c, "city_name": "Movepur", "state": "Kerala", "latitude": 10.0, "longitude": 76.3}))
        .collect();
    let (code, body) = api_a.post("/api/v1/location-updates/pincodes/bulk", &json!(rows)).await;
    assert_eq!(code, 202, "{body}");
    let consumer = plain_consumer(&world);
    let topic = world.topic("pincode-updates");
    for partition in 0..3 {
        let (low, high) = settled(|| consumer.fetch_watermarks(&topic, partition, Duration::from_secs(10))).unwrap();
        assert!(high > low, "partition {partition} holds a pincode");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    // B joins: some of those partitions move to it, past A's next retry; then B leaves.
    let b = world.server();
    api_a.eventually(&path, FIRST, members(2)).await;
    tokio::time::sleep(Duration::from_secs(7)).await;
    let (_, clean) = b.stop();
    assert!(clean, "B stopped cleanly");
    api_a.eventually(&path, FIRST, members(1)).await;

    // The city comes: every pincode is applied, on whichever partition it waited.
    let (code, body) = api_a.post("/api/v1/location-updates/cities", &city("Movepur")).await;
    assert_eq!(code, 202, "{body}");
    for c in &codes {
        api_a.eventually(&format!("/api/v1/pincodes/{c}"), FIRST, |code, _| code == 200).await;
    }
    api_a
        .eventually("/api/v1/location-updates/kafka/health", FIRST, |c, b| c == 200 && b["group"]["total_lag"] == 0)
        .await;
}
