//! A three-broker KRaft cluster on loopback (`scripts/services start --brokers
//! 3`): GeoLedger's topics keep three copies and need two in sync, and a broker
//! killed in the middle of an import loses nothing.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use futures::TryStreamExt;
use mongodb::bson::{doc, Document};

/// `rows` cities, one a line, after the header.
fn cities(rows: usize) -> (Vec<u8>, BTreeSet<String>) {
    let mut out = b"city_name,state,latitude,longitude\n".to_vec();
    let mut names = BTreeSet::new();
    for i in 0..rows {
        let name = format!("Tripur {i:05}");
        out.extend_from_slice(format!("{name},Tripura,{:.4},91.5\n", 22.0 + (i % 2000) as f64 / 1000.0).as_bytes());
        names.insert(name);
    }
    (out, names)
}

#[tokio::test]
async fn a_broker_of_three_killed_mid_import_loses_nothing() {
    let kafka = PrivateService::kafka_cluster(3);
    let world = Owned(
        World::on("three_brokers", &kafka.brokers())
            .with("GEOLEDGER_TOPIC_REPLICATION", "3")
            .with("GEOLEDGER_PUBLISH_TIMEOUT_MS", "30000"),
    );
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let city_topic = world.topic("city-updates");
    // The quorum forms and GeoLedger creates its topics.
    let cluster = api
        .eventually("/api/v1/kafka/cluster", Duration::from_secs(60), |c, b| {
            c == 200
                && b["cluster"]["brokers"].as_array().map(Vec::len) == Some(3)
                && config_of(b, &city_topic, "min.insync.replicas").is_some()
        })
        .await;
    assert_eq!(config_of(&cluster, &city_topic, "min.insync.replicas"), Some("2"));
    let topic = cluster["cluster"]["topics"].as_array().unwrap().iter().find(|t| t["name"] == city_topic.as_str());
    let replicas =
        topic.unwrap()["partitions"].as_array().unwrap().iter().all(|p| p["replicas"].as_array().unwrap().len() == 3);
    assert!(replicas, "three copies of every partition");

    let (file, names) = cities(20_000);
    let (code, job) = api.post_raw("/api/v1/imports?file_name=tripura.csv&format=cities", "text/csv", file).await;
    assert_eq!(code, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    api.eventually(&format!("/api/v1/imports/{id}"), Duration::from_secs(120), |_, b| {
        b["job"]["changes"]["published"].as_u64() > Some(0)
    })
    .await;
    // A broker dies, as a crash would: the other two carry on.
    kafka.kill_node(2);
    let report = api.wait_for_job(&id, Duration::from_secs(300)).await;
    assert_eq!(report["job"]["status"], "done", "{}", report["job"]);
    assert_eq!(report["job"]["changes"]["published"], 20_000);
    assert_eq!(report["job"]["changes"]["unpublished"], 0);

    let db = world.db().await;
    let stored: Vec<String> = db
        .collection::<Document>("cities")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .iter()
        .map(|d| d.get_str("name").unwrap().to_string())
        .collect();
    let lost = names.iter().filter(|n| !stored.contains(n)).count();
    assert_eq!(lost, 0, "lost");
    assert_eq!(stored.len(), names.len(), "each city once");
}
