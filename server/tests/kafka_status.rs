//! The Kafka status numbers against known counts (messages produced, records
//! deleted, offsets committed) and against what Kafka's own consumer-groups
//! tool reports for the same group at the same moment.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use geoledger::pipeline::kafka::settled;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::ClientConfig;
use serde_json::{json, Value};

/// Where `scripts/services` keeps Kafka's jars (scripts/test says so).
fn kafka_home() -> PathBuf {
    if let Ok(home) = std::env::var("GEOLEDGER_KAFKA_HOME") {
        return PathBuf::from(home);
    }
    let cache = PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/geoledger");
    std::fs::read_dir(&cache)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("kafka-")))
        .expect("Kafka's jars: run scripts/services first")
}

/// A group on one partition: topic, partition, committed offset, log end
/// offset, lag (None where nothing is committed).
type Row = (String, i32, Option<i64>, i64, Option<i64>);

/// `kafka-consumer-groups --describe --group GROUP`, as rows of
/// (topic, partition, current offset, log end offset, lag); "-" is None.
fn consumer_groups_tool(brokers: &str, group: &str) -> Vec<Row> {
    let classpath = format!("{}/libs/*", kafka_home().display());
    let out = std::process::Command::new("java")
        .args(["-Xmx256m", "-cp", &classpath, "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"])
        .args(["--bootstrap-server", brokers, "--describe", "--group", group])
        .output()
        .expect("run java");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let number = |s: &str| s.parse::<i64>().ok();
    let mut rows: Vec<_> = text
        .lines()
        .filter(|l| l.starts_with(group))
        .map(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            (c[1].to_string(), c[2].parse().unwrap(), number(c[3]), number(c[4]).unwrap(), number(c[5]))
        })
        .collect();
    rows.sort();
    rows
}

/// GeoLedger's rows for the same group, in the same shape.
fn geoledger_rows(group: &Value) -> Vec<Row> {
    let mut rows: Vec<_> = group["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let committed = p["committed"].as_i64();
            let end = p["end"].as_i64().unwrap();
            (
                p["topic"].as_str().unwrap().to_string(),
                p["partition"].as_i64().unwrap() as i32,
                committed,
                end,
                committed.map(|c| end - c),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn watermarks_counts_and_lag_match_what_was_produced_deleted_and_committed_and_what_kafka_reports() {
    let world = Owned(World::new("kafka_status"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let brokers = world.brokers.clone();

    // A topic of this test's own: 3 partitions, 10, 7 and 4 messages.
    let topic = world.topic("probe");
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", &brokers).create().unwrap();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let made = admin.create_topics(&[NewTopic::new(&topic, 3, TopicReplication::Fixed(1))], &options).await.unwrap();
    assert!(made[0].is_ok(), "{made:?}");
    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", &brokers).create().unwrap();
    for (partition, count) in [(0, 10), (1, 7), (2, 4)] {
        for i in 0..count {
            let payload = format!("m{i}");
            let record = FutureRecord::to(&topic).partition(partition).key("k").payload(&payload);
            producer.send(record, Duration::from_secs(10)).await.unwrap();
        }
    }
    // The first 3 messages of partition 0 are deleted: its low watermark moves to 3.
    let mut below = TopicPartitionList::new();
    below.add_partition_offset(&topic, 0, Offset::Offset(3)).unwrap();
    admin.delete_records(&below, &options).await.unwrap();

    // A group commits 6 on partition 0 and 7 on partition 1, nothing on 2.
    let group = world.topic("probe-readers");
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut commits = TopicPartitionList::new();
    commits.add_partition_offset(&topic, 0, Offset::Offset(6)).unwrap();
    commits.add_partition_offset(&topic, 1, Offset::Offset(7)).unwrap();
    consumer.commit(&commits, CommitMode::Sync).unwrap();

    let (code, body) = api.get("/api/v1/kafka/cluster").await;
    assert_eq!(code, 200, "{body}");
    let probe = body["cluster"]["topics"].as_array().unwrap().iter().find(|t| t["name"] == topic.as_str()).unwrap();
    let marks: Vec<(i64, i64)> = probe["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["low"].as_i64().unwrap(), p["high"].as_i64().unwrap()))
        .collect();
    assert_eq!(marks, [(3, 10), (0, 7), (0, 4)]);
    assert_eq!(probe["internal"], false);
    assert_eq!(probe["groups"], json!([{ "group": group, "lag": 4 }]), "10 - 6 on partition 0, none on 1");
    assert!(
        body["cluster"]["topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "__consumer_offsets" && t["internal"] == true),
        "Kafka's own topics are listed, marked internal"
    );
    assert_eq!(body["cluster"]["brokers"].as_array().unwrap().len(), 1);
    assert!(body["cluster"]["id"].as_str().is_some_and(|id| !id.is_empty()), "{}", body["cluster"]);

    let (code, mine) = api.get(&format!("/api/v1/kafka/groups/{group}")).await;
    assert_eq!(code, 200, "{mine}");
    assert_eq!(mine["total_lag"], 4);
    assert_eq!(mine["state"], "Empty");
    assert!(mine["coordinator"].as_i64().is_some(), "{mine}");
    let expected = vec![(topic.clone(), 0, Some(6), 10, Some(4)), (topic.clone(), 1, Some(7), 7, Some(0))];
    assert_eq!(geoledger_rows(&mine), expected);
    assert_eq!(consumer_groups_tool(&brokers, &group), expected, "Kafka's own tool says the same");

    // The materializer's group, live, after some events: the same as the tool too.
    let (code, _) = api
        .post(
            "/api/v1/location-updates/cities",
            &json!({"city_name": "Agra", "state": "UP",
        "latitude": 27.17, "longitude": 78.0}),
        )
        .await;
    assert_eq!(code, 202);
    api.eventually("/api/v1/cities/Agra/UP", Duration::from_secs(30), |c, _| c == 200).await;
    // Offsets are committed every second: once they are, both readings agree.
    let materializer = world.topic("geoledger-materializer");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, ours) = api.get(&format!("/api/v1/kafka/groups/{materializer}")).await;
        let tool = consumer_groups_tool(&brokers, &materializer);
        let (_, again) = api.get(&format!("/api/v1/kafka/groups/{materializer}")).await;
        if geoledger_rows(&ours) == tool && geoledger_rows(&again) == tool && tool.iter().any(|r| r.2.is_some()) {
            assert_eq!(ours["total_lag"], 0, "{ours}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "ours {ours}\ntool {tool:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // The health route names the group, its lag, and each of GeoLedger's topics.
    let health: Value =
        reqwest::get(server.url("/api/v1/location-updates/kafka/health")).await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["group"]["total_lag"], 0);
    assert_eq!(health["group"]["state"], "Stable");
    let topics: Vec<(String, bool, i64)> = health["topic_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (t["role"].as_str().unwrap().to_string(), t["exists"].as_bool().unwrap(), t["partitions"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(topics, [("city".into(), true, 3), ("pincode".into(), true, 3), ("dead_letter".into(), true, 3)]);
    let _ = admin.delete_topics(&[&topic], &options).await;
}

#[tokio::test]
async fn the_message_browser_pages_by_offset_and_seeks_by_time_reading_as_no_group() {
    let world = Owned(World::new("kafka_messages"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let brokers = world.brokers.clone();
    let topic = world.topic("browse");
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", &brokers).create().unwrap();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    admin.create_topics(&[NewTopic::new(&topic, 2, TopicReplication::Fixed(1))], &options).await.unwrap();
    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", &brokers).create().unwrap();
    // Partition 0: 30 messages a second apart; partition 1: 10, half a second after each of the first 10.
    let t0 = 1_790_000_000_000i64;
    for (partition, count, shift) in [(0, 30, 0), (1, 10, 500)] {
        for i in 0..count {
            let (key, value) = (format!("k{i}"), format!("{{\"n\": {i}, \"p\": {partition}}}"));
            let record = FutureRecord::to(&topic)
                .partition(partition)
                .key(&key)
                .payload(&value)
                .timestamp(t0 + i * 1000 + shift);
            producer.send(record, Duration::from_secs(10)).await.unwrap();
        }
    }
    let look = |query: String| {
        let api = &api;
        let path = format!("/api/v1/kafka/topics/{topic}/messages?{query}");
        async move {
            let (code, page) = api.get(&path).await;
            assert_eq!(code, 200, "{path}: {page}");
            let shown: Vec<(i64, i64)> = page["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| (m["partition"].as_i64().unwrap(), m["offset"].as_i64().unwrap()))
                .collect();
            (shown, page)
        }
    };
    let offsets = |shown: &[(i64, i64)]| shown.iter().map(|m| m.1).collect::<Vec<_>>();

    // The newest 10 of partition 0, newest first; older and newer by offset.
    let (shown, page) = look("partition=0&limit=10".into()).await;
    assert_eq!(offsets(&shown), (20..30).rev().collect::<Vec<_>>());
    assert_eq!(page["older"]["start"], json!({"Offset": 10}));
    assert!(page["newer"].is_null(), "nothing newer than the newest");
    let (shown, page) = look("partition=0&limit=10&offset=10".into()).await;
    assert_eq!(offsets(&shown), (10..20).rev().collect::<Vec<_>>());
    assert_eq!(
        (page["older"]["start"].clone(), page["newer"]["start"].clone()),
        (json!({"Offset": 0}), json!({"Offset": 20}))
    );
    let (shown, page) = look("partition=0&limit=10&offset=0".into()).await;
    assert_eq!(offsets(&shown), (0..10).rev().collect::<Vec<_>>());
    assert!(page["older"].is_null(), "nothing older than offset 0");

    // By time, across both partitions.
    let (shown, _) = look(format!("after={}&limit=50", t0 + 25_000)).await;
    assert_eq!(shown, (25..30).rev().map(|o| (0, o)).collect::<Vec<_>>(), "25 s on: partition 0's last five");
    let (shown, _) = look(format!("before={}&limit=50", t0 + 5_000)).await;
    let mut expected: Vec<(i64, i64)> = (0..5).flat_map(|i| [(0, i), (1, i)]).collect();
    expected.reverse();
    assert_eq!(shown, expected, "older than 5 s: five of each, newest first");
    let (shown, _) = look("limit=5".into()).await;
    assert_eq!(shown, (25..30).rev().map(|o| (0, o)).collect::<Vec<_>>(), "the newest five of the topic");

    // A message reads as its key, headers and formatted value.
    let (_, page) = look("partition=1&limit=1".into()).await;
    let m = &page["messages"][0];
    assert_eq!((m["key"].as_str(), m["json"].as_bool()), (Some("k9"), Some(true)));
    assert_eq!(m["value"], "{\n  \"n\": 9,\n  \"p\": 1\n}");
    assert_eq!(m["timestamp"], t0 + 9000 + 500);

    let (code, _) = api.get(&format!("/api/v1/kafka/topics/{topic}/messages?partition=7")).await;
    assert_eq!(code, 404, "no partition 7");
    // Looking joined no group and committed nothing: Kafka knows no group of it.
    let (_, cluster) = api.get("/api/v1/kafka/cluster").await;
    let browse = cluster["cluster"]["topics"].as_array().unwrap().iter().find(|t| t["name"] == topic.as_str()).unwrap();
    assert_eq!(browse["groups"], json!([]));
    let _ = admin.delete_topics(&[&topic], &options).await;
}

#[tokio::test]
async fn the_lag_history_is_sampled_kept_across_a_restart_and_alerts_only_after_the_lag_lasts() {
    // Sampled every second; an alert once the materializer's lag has been
    // over -1 (so always) for two seconds: the first samples are no alert yet.
    let world = Owned(
        World::new("lag_history")
            .with("GEOLEDGER_LAG_SAMPLE_SECS", "1")
            .with("GEOLEDGER_LAG_ALERT", "-1")
            .with("GEOLEDGER_LAG_ALERT_SECS", "2"),
    );
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let materializer = world.topic("geoledger-materializer");
    api.post(
        "/api/v1/location-updates/cities",
        &json!({"city_name": "Noida", "state": "UP", "latitude": 28.5,
        "longitude": 77.3}),
    )
    .await;
    api.eventually("/api/v1/cities/Noida/UP", Duration::from_secs(60), |s, _| s == 200).await;

    // A second group on the city topic, 3 behind: it has lag of its own.
    let city_topic = world.topic("city-updates");
    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", &world.brokers).create().unwrap();
    for i in 0..3 {
        let payload = format!("not an event {i}");
        let record = FutureRecord::to(&city_topic).partition(1).key("probe").payload(&payload);
        producer.send(record, Duration::from_secs(10)).await.unwrap();
    }
    let behind = world.topic("behind-readers");
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &world.brokers)
        .set("group.id", &behind)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let (_, end) = settled(|| consumer.fetch_watermarks(&city_topic, 1, Duration::from_secs(10))).unwrap();
    let mut commits = TopicPartitionList::new();
    commits.add_partition_offset(&city_topic, 1, Offset::Offset(end - 3)).unwrap();
    consumer.commit(&commits, CommitMode::Sync).unwrap();

    // The live stream: lag reports, the materializer's alert only once it has lasted.
    let mut stream = api.stream().await;
    let mut text = String::new();
    let has = |report: &Value, group: &str| report["groups"].as_array().unwrap().iter().any(|g| g["group"] == group);
    let alerted = next_event(&mut stream, &mut text, "lag", |r| !r["alert"].is_null()).await;
    let alert = &alerted["alert"];
    assert_eq!(alert["group"], json!(materializer));
    assert_eq!((alert["lag"].as_i64(), alert["threshold"].as_i64()), (Some(0), Some(-1)));
    let lasted = alerted["at"].as_i64().unwrap() - alert["since"].as_i64().unwrap();
    assert!(lasted >= 2000, "an alert only once the lag has lasted 2 s: {alerted}");
    let behind_now = next_event(&mut stream, &mut text, "lag", |r| has(r, &behind)).await;
    let lag_of = |r: &Value, group: &str| {
        r["groups"].as_array().unwrap().iter().find(|g| g["group"] == group).map(|g| g["lag"].as_i64().unwrap())
    };
    assert_eq!(lag_of(&behind_now, &behind), Some(3));
    assert!(lag_of(&behind_now, &materializer).is_some(), "{behind_now}");

    // The history, over REST.
    let path = format!("/api/v1/kafka/groups/{behind}/lag?window=900");
    let (status, history) = api.get(&path).await;
    assert_eq!(status, 200, "{history}");
    let samples = history["samples"].as_array().unwrap().clone();
    assert!(!samples.is_empty(), "{history}");
    assert!(samples.iter().all(|s| s["lag"] == 3 && s["consumed"] == end - 3), "{history}");
    assert!(samples.windows(2).all(|w| w[0]["at"].as_i64() < w[1]["at"].as_i64()), "oldest first: {history}");
    assert_eq!(history["rate"], json!(if samples.len() > 1 { Some(0.0) } else { None }), "it reads nothing");

    // Stopped with a live stream open (the stream ends, the server goes), then
    // restarted, the server still has every sample it took before.
    server.stop();
    let ended = tokio::time::timeout(Duration::from_secs(5), stream.chunk()).await;
    assert!(matches!(ended, Ok(Ok(None)) | Ok(Err(_))), "the live stream ended: {ended:?}");
    let server = world.server();
    let api = Api::new(&server, &api.token);
    let (_, after) = api.get(&path).await;
    let kept = after["samples"].as_array().unwrap();
    assert!(kept.len() >= samples.len(), "{after}");
    assert_eq!(kept[..samples.len()], samples[..], "the samples from before the restart");
}
