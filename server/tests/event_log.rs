//! The event log is GeoLedger's system of record: its topics keep every event,
//! a topic that deletes events is reported, and a replay never drops a change
//! (not while a server consumes, not from a log that lost its first events
//! unless forced).

mod common;

use std::time::Duration;

use common::*;
use geoledger::pipeline::kafka::settled;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::Consumer;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::ClientConfig;
use serde_json::{json, Value};

const FIRST: Duration = Duration::from_secs(30);

fn admin(world: &World) -> AdminClient<DefaultClientContext> {
    ClientConfig::new().set("bootstrap.servers", &world.brokers).create().unwrap()
}

#[tokio::test]
async fn the_event_topics_keep_every_event_and_one_that_deletes_events_is_reported() {
    let world = Owned(World::new("event_log"));
    // Someone made the city topic before GeoLedger did, with Kafka's default week.
    let city_topic = world.topic("city-updates");
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let week = NewTopic::new(&city_topic, 3, TopicReplication::Fixed(1)).set("retention.ms", "604800000");
    let made = admin(&world).create_topics(&[week], &options).await.unwrap();
    assert!(made[0].is_ok(), "{made:?}");

    let server = world.server();
    let api = Api::new(&server, &world.token());
    let (code, cluster) = api.get("/api/v1/kafka/cluster").await;
    assert_eq!(code, 200, "{cluster}");
    // What GeoLedger created keeps every event; what it found is left as it is.
    for name in ["pincode-updates", "location-updates.DLT"] {
        assert_eq!(config_of(&cluster, &world.topic(name), "retention.ms"), Some("-1"), "{name}");
        assert_eq!(config_of(&cluster, &world.topic(name), "retention.bytes"), Some("-1"), "{name}");
    }
    assert_eq!(config_of(&cluster, &city_topic, "retention.ms"), Some("604800000"));

    // Ready (nothing is down), with a warning that names the topic and what to do.
    let res = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(res.status(), 200);
    let ready: Value = res.json().await.unwrap();
    let warnings: Vec<String> = serde_json::from_value(ready["warnings"].clone()).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains(&format!("event topic {city_topic} deletes events after 7 days")), "{warnings:?}");
    assert!(warnings[0].ends_with("set retention.ms=-1"), "{warnings:?}");
}

#[tokio::test]
async fn a_replay_refuses_while_a_server_consumes_and_when_the_log_lost_its_first_events() {
    let world = Owned(World::new("replay_guard"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    for (name, lat) in [("Kochi", 9.93), ("Kollam", 8.89), ("Kannur", 11.87)] {
        let city = json!({"city_name": name, "state": "Kerala", "latitude": lat, "longitude": 76.3});
        let (code, _) = api.post("/api/v1/location-updates/cities", &city).await;
        assert_eq!(code, 202);
    }
    api.eventually("/api/v1/cities?state=Kerala", FIRST, |_, b| b["cities"].as_array().is_some_and(|c| c.len() == 3))
        .await;

    // A server is applying changes: a replay would swap over them.
    let (ok, _, why) = cli_outcome(&["replay"], &world.env());
    assert!(!ok);
    assert!(why.contains("has 1 live member(s)"), "{why}");
    let db = world.db().await;
    let names = db.list_collection_names().await.unwrap();
    assert!(!names.iter().any(|n| n.ends_with("_replay")), "refused before touching anything: {names:?}");
    server.stop();

    // The log lost the first event of a partition: refused, naming it, unless forced.
    let topic = world.topic("city-updates");
    let mut below = TopicPartitionList::new();
    let partition = (0..3)
        .find(|p| {
            let (low, high) =
                settled(|| plain_consumer(&world).fetch_watermarks(&topic, *p, Duration::from_secs(5))).unwrap();
            high > low
        })
        .unwrap();
    below.add_partition_offset(&topic, partition, Offset::Offset(1)).unwrap();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    admin(&world).delete_records(&below, &options).await.unwrap();
    let (ok, _, why) = cli_outcome(&["replay"], &world.env());
    assert!(!ok);
    assert!(why.contains(&format!("{topic}/{partition} starts at offset 1 (1 events deleted)")), "{why}");
    assert!(why.contains("geoledger replay --force"), "{why}");

    let out = cli(&["replay", "--force"], &world.env());
    assert!(out.contains("replayed 2 events: 2 applied"), "{out}");
}
