//! `geoledger replay`: rebuilds the read model from offset 0 of both event
//! topics into fresh collections (cities, pincodes and the history), then swaps
//! them in for the live ones.
//!
//! Invariant: a replay never drops a change. It refuses while the
//! materializer's group has members (a server applying changes the swap would
//! overwrite), and when a partition no longer starts at offset 0 (its first
//! events were deleted by retention), unless forced.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use mongodb::bson::doc;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::kafka::Kafka;
use crate::config::Config;
use crate::store::{ApplyError, Mongo, Store};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReplayReport {
    pub events: u64,
    pub applied: u64,
    /// Events the live materializer dead-lettered too (undecodable, or not applicable).
    pub skipped: u64,
}

/// Replays into `<name>_replay`, then renames over the live collections.
pub async fn replay(config: &Config, force: bool) -> anyhow::Result<ReplayReport> {
    let kafka = Kafka::connect(&config.kafka_brokers, &config.kafka)?;
    refuse_unsafe(&kafka, force)?;
    let mongo = Mongo::connect(&config.mongodb_uri).await?;
    let report = rebuild(config, &kafka, &mongo).await;
    mongo.close().await;
    report
}

async fn rebuild(config: &Config, kafka: &Kafka, mongo: &Mongo) -> anyhow::Result<ReplayReport> {
    let db = &mongo.db;
    let fresh = Store::named(db, "cities_replay", "pincodes_replay", "history_replay");
    fresh.cities.drop().await?;
    fresh.pincodes.drop().await?;
    fresh.history.drop().await?;
    fresh.ensure_indexes().await?;

    let mut report = ReplayReport::default();
    // Cities first, then pincodes: every pincode then finds its city, as it did live.
    for topic in [config.kafka.city_topic(), config.kafka.pincode_topic()] {
        replay_topic(kafka, &topic, &fresh, &mut report).await.with_context(|| format!("replaying {topic}"))?;
    }

    let admin = mongo.client.database("admin");
    for (from, to) in [("cities_replay", "cities"), ("pincodes_replay", "pincodes"), ("history_replay", "history")] {
        admin
            .run_command(doc! {
                "renameCollection": format!("{}.{from}", db.name()),
                "to": format!("{}.{to}", db.name()),
                "dropTarget": true,
            })
            .await
            .with_context(|| format!("swapping {from} in for {to}"))?;
    }
    Ok(report)
}

/// Says why a replay now would drop changes, if it would.
fn refuse_unsafe(kafka: &Kafka, force: bool) -> anyhow::Result<()> {
    let timeout = Duration::from_secs(10);
    let client: BaseConsumer<_> = kafka.client_config().create_with_context(kafka.context())?;
    let group = kafka.config.group();
    let groups = client.fetch_group_list(Some(&group), timeout).context("reading the materializer's group")?;
    let members = groups.groups().iter().find(|g| g.name() == group).map(|g| g.members().len()).unwrap_or(0);
    if members > 0 {
        anyhow::bail!(
            "the materializer's group {group} has {members} live member(s): a GeoLedger server is applying changes, \
             and swapping a replayed read model in would drop them. Stop every server of this group first."
        );
    }
    let mut lost = Vec::new();
    for topic in [kafka.config.city_topic(), kafka.config.pincode_topic()] {
        let metadata = client.fetch_metadata(Some(&topic), timeout)?;
        for p in metadata.topics().iter().flat_map(|t| t.partitions()) {
            let (low, _) = client.fetch_watermarks(&topic, p.id(), timeout)?;
            if low > 0 {
                lost.push(format!("{topic}/{} starts at offset {low} ({low} events deleted)", p.id()));
            }
        }
    }
    if !lost.is_empty() && !force {
        anyhow::bail!(
            "the event log no longer holds every event: {}. A replay would rebuild without them; \
             run `geoledger replay --force` to rebuild from what is left.",
            lost.join("; ")
        );
    }
    for l in &lost {
        tracing::warn!(partitions = %l, "replaying without the deleted events");
    }
    Ok(())
}

async fn replay_topic(kafka: &Kafka, topic: &str, store: &Store, report: &mut ReplayReport) -> anyhow::Result<()> {
    let consumer: BaseConsumer<_> = kafka
        .consumer_config()
        .set("group.id", format!("geoledger-replay-{}", uuid::Uuid::now_v7()))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .create_with_context(kafka.context())?;
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let partitions: Vec<i32> = metadata.topics().iter().flat_map(|t| t.partitions().iter().map(|p| p.id())).collect();
    // The end of each partition now: events published during the replay are the
    // live materializer's to apply.
    let mut ends = HashMap::new();
    let mut assignment = TopicPartitionList::new();
    for p in partitions {
        let (low, high) = consumer.fetch_watermarks(topic, p, Duration::from_secs(10))?;
        if high > low {
            ends.insert(p, high);
            assignment.add_partition_offset(topic, p, Offset::Beginning)?;
        }
    }
    if ends.is_empty() {
        return Ok(());
    }
    consumer.assign(&assignment)?;
    while !ends.is_empty() {
        let Some(message) = consumer.poll(Duration::from_secs(10)) else {
            anyhow::bail!("no message from {topic} for 10 s while {} partition(s) were unfinished", ends.len());
        };
        let (pos, decoded) = super::event::read(&message?);
        report.events += 1;
        match decoded {
            Ok((event, change)) => match store.apply(&event, &change, pos).await {
                Ok(done) => {
                    store.record(&[done.history.from_topic(topic)]).await?;
                    report.applied += 1;
                }
                Err(ApplyError::Store(e)) => return Err(e.into()),
                Err(_) => report.skipped += 1,
            },
            Err(_) => report.skipped += 1,
        }
        if ends.get(&pos.partition).is_some_and(|end| pos.offset + 1 >= *end) {
            ends.remove(&pos.partition);
        }
    }
    Ok(())
}
