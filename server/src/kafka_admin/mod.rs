//! The Kafka status pages' reads: the cluster (brokers, controller, id), its
//! topics (partitions, watermarks, configuration), and its consumer groups
//! (members, committed offsets, lag). Read as Kafka's own tools read them, so
//! the numbers agree with `kafka-consumer-groups`: lag is the log end offset
//! (the high watermark) minus the committed offset, partition by partition.
//!
//! Nothing here joins a group or commits: a group's offsets are read through
//! the admin API (`group_offsets`).

mod group_offsets;
mod messages;
pub mod sampler;

pub use messages::message;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use app::domain::kafka::{
    coordinator_partition, decode_assignment, Broker, Cluster, Group, GroupLag, Member, Partition, PartitionLag, Topic,
};
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::TopicPartitionListElem;
use rdkafka::{Offset, TopicPartitionList};

use self::group_offsets::committed_offsets_of;
use crate::pipeline::kafka::{all_metadata, settled, KafkaContext};
use crate::pipeline::{Kafka, KafkaError};

/// The topic configuration the pages show.
const SHOWN_CONFIG: &[&str] =
    &["retention.ms", "retention.bytes", "cleanup.policy", "min.insync.replicas", "compression.type"];

/// Kafka's topic of committed offsets, whose partition leaders coordinate groups.
const OFFSETS_TOPIC: &str = "__consumer_offsets";

#[derive(Clone)]
pub struct KafkaAdmin {
    kafka: Arc<Kafka>,
    /// Metadata, watermarks and the group list (it joins no group).
    reader: Arc<BaseConsumer<KafkaContext>>,
    /// Configuration and the groups' committed offsets.
    admin: Arc<AdminClient<KafkaContext>>,
    timeout: Duration,
}

/// The low and high watermark of each partition, by topic and partition.
pub type Watermarks = BTreeMap<(String, i32), (i64, i64)>;

/// A topic's partitions as the metadata has them (no watermarks yet).
struct TopicMeta {
    name: String,
    partitions: Vec<(i32, i32, Vec<i32>, Vec<i32>)>,
}

/// Runs a blocking librdkafka call off the async runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, KafkaError> + Send + 'static,
) -> Result<T, KafkaError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| KafkaError::Client(rdkafka::error::KafkaError::Canceled))?
}

impl KafkaAdmin {
    pub fn new(kafka: Arc<Kafka>, timeout: Duration) -> Result<Self, KafkaError> {
        let reader: BaseConsumer<KafkaContext> = kafka.client_config().create_with_context(kafka.context())?;
        let admin: AdminClient<KafkaContext> = kafka.client_config().create_with_context(kafka.context())?;
        Ok(KafkaAdmin { kafka, reader: Arc::new(reader), admin: Arc::new(admin), timeout })
    }

    /// True for GeoLedger's own topics (its events and its dead letters).
    fn is_geoledger(&self, topic: &str) -> bool {
        let c = &self.kafka.config;
        [c.city_topic(), c.pincode_topic(), c.dead_letter_topic()].iter().any(|t| t == topic)
    }

    /// The metadata of every topic, the cluster's id and controller, and its brokers.
    async fn metadata(&self) -> Result<(Vec<TopicMeta>, Vec<Broker>, Option<String>, Option<i32>), KafkaError> {
        let (reader, timeout) = (self.reader.clone(), self.timeout);
        blocking(move || {
            let client = reader.client();
            let metadata = all_metadata(client, timeout)?;
            let brokers = metadata
                .brokers()
                .iter()
                .map(|b| Broker { id: b.id(), host: b.host().to_string(), port: b.port(), rack: None })
                .collect();
            let topics = metadata
                .topics()
                .iter()
                .map(|t| TopicMeta {
                    name: t.name().to_string(),
                    partitions: t
                        .partitions()
                        .iter()
                        .map(|p| (p.id(), p.leader(), p.replicas().to_vec(), p.isr().to_vec()))
                        .collect(),
                })
                .collect();
            let id = client.fetch_cluster_id(timeout);
            // SAFETY: the client is alive for the call; librdkafka returns the
            // controller's broker id, or -1 when it does not know it in time.
            let controller =
                unsafe { rdkafka::bindings::rd_kafka_controllerid(client.native_ptr(), timeout.as_millis() as i32) };
            Ok((topics, brokers, id, (controller >= 0).then_some(controller)))
        })
        .await
    }

    /// The low and high watermark of every partition of these topics, asked
    /// in two batched ListOffsets rounds (earliest, latest) rather than one
    /// round trip a partition (764 topics took 15 s that way); a partition the
    /// broker could not answer for (its topic went away meanwhile) is left out.
    async fn watermarks(&self, topics: &[TopicMeta]) -> Result<Watermarks, KafkaError> {
        let mut wanted = TopicPartitionList::new();
        for topic in topics {
            for partition in &topic.partitions {
                wanted.add_partition(&topic.name, partition.0);
            }
        }
        let (reader, timeout) = (self.reader.clone(), self.timeout);
        blocking(move || {
            // Asked as a time, Beginning (-2) is read by ListOffsets as "the
            // earliest offset", End (-1) as "the latest".
            let at = |time: Offset| {
                let mut list = wanted.clone();
                list.set_all_offsets(time).map_err(KafkaError::Metadata)?;
                settled(|| reader.offsets_for_times(list.clone(), timeout)).map_err(KafkaError::Metadata)
            };
            let (earliest, latest) = (at(Offset::Beginning)?, at(Offset::End)?);
            let offset = |e: &TopicPartitionListElem| match (e.error(), e.offset()) {
                (Ok(()), Offset::Offset(o)) => Some(o),
                _ => None,
            };
            let mut marks = BTreeMap::new();
            for high in latest.elements() {
                let low = earliest.find_partition(high.topic(), high.partition());
                if let (Some(low), Some(high_offset)) = (low.as_ref().and_then(offset), offset(&high)) {
                    marks.insert((high.topic().to_string(), high.partition()), (low, high_offset));
                }
            }
            Ok(marks)
        })
        .await
    }

    /// The shown configuration of these topics, and each broker's rack.
    /// (librdkafka takes one broker resource a call: the topics go together,
    /// each broker on its own, all at once.)
    async fn configs(&self, topics: &[String], brokers: &[i32]) -> BTreeMap<String, Vec<(String, String)>> {
        let topic_specs: Vec<ResourceSpecifier> = topics.iter().map(|t| ResourceSpecifier::Topic(t)).collect();
        let mut calls = vec![topic_specs];
        calls.extend(brokers.iter().map(|b| vec![ResourceSpecifier::Broker(*b)]));
        let options = AdminOptions::new().request_timeout(Some(self.timeout));
        let answers =
            futures::future::join_all(calls.iter().map(|specs| self.admin.describe_configs(specs, &options))).await;
        let mut out = BTreeMap::new();
        let found = calls.iter().zip(answers).filter_map(|(specs, answer)| Some(specs.iter().zip(answer.ok()?)));
        for (spec, result) in found.flatten() {
            let Ok(resource) = result else { continue };
            let key = match spec {
                ResourceSpecifier::Topic(t) => t.to_string(),
                ResourceSpecifier::Broker(b) => format!("broker:{b}"),
                ResourceSpecifier::Group(g) => format!("group:{g}"),
            };
            let shown = resource
                .entries
                .iter()
                .filter(|e| SHOWN_CONFIG.contains(&e.name.as_str()) || e.name == "broker.rack")
                .filter_map(|e| e.value.clone().map(|v| (e.name.clone(), v)))
                .collect();
            out.insert(key, shown);
        }
        out
    }

    /// Every group's id, state, assignor and members.
    async fn group_list(&self) -> Result<Vec<(String, String, String, Vec<Member>)>, KafkaError> {
        let (reader, timeout) = (self.reader.clone(), self.timeout);
        blocking(move || {
            let list = reader.fetch_group_list(None, timeout).map_err(KafkaError::Metadata)?;
            Ok(list
                .groups()
                .iter()
                .filter(|g| g.protocol_type() == "consumer" || g.protocol_type().is_empty())
                .map(|g| {
                    let members = g
                        .members()
                        .iter()
                        .map(|m| Member {
                            id: m.id().to_string(),
                            client_id: m.client_id().to_string(),
                            host: m.client_host().to_string(),
                            assignment: m.assignment().and_then(decode_assignment).unwrap_or_default(),
                        })
                        .collect();
                    (g.name().to_string(), g.state().to_string(), g.protocol().to_string(), members)
                })
                .collect())
        })
        .await
    }

    /// The cluster whole: brokers, topics with their watermarks and
    /// configuration, and the groups reading each topic with their lag.
    pub async fn cluster(&self) -> Result<(Cluster, Vec<Group>), KafkaError> {
        let (metas, mut brokers, id, controller) = self.metadata().await?;
        let marks = self.watermarks(&metas).await?;
        let names: Vec<String> = metas.iter().map(|t| t.name.clone()).collect();
        let broker_ids: Vec<i32> = brokers.iter().map(|b| b.id).collect();
        let configs = self.configs(&names, &broker_ids).await;
        for b in &mut brokers {
            let rack =
                configs.get(&format!("broker:{}", b.id)).and_then(|c| c.iter().find(|(k, _)| k == "broker.rack"));
            b.rack = rack.map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
        }
        let groups = self.groups_of(&metas, &marks, None).await?;
        let topics = metas
            .into_iter()
            .map(|t| {
                let partitions = t
                    .partitions
                    .iter()
                    .map(|(id, leader, replicas, isr)| {
                        let (low, high) = marks.get(&(t.name.clone(), *id)).copied().unwrap_or((0, 0));
                        Partition { id: *id, leader: *leader, replicas: replicas.clone(), isr: isr.clone(), low, high }
                    })
                    .collect();
                let groups = groups
                    .iter()
                    .filter(|g| g.partitions.iter().any(|p| p.topic == t.name))
                    .map(|g| GroupLag {
                        group: g.id.clone(),
                        lag: g.partitions.iter().filter(|p| p.topic == t.name).filter_map(PartitionLag::lag).sum(),
                    })
                    .collect();
                Topic {
                    internal: t.name.starts_with("__"),
                    geoledger: self.is_geoledger(&t.name),
                    event_log: [self.kafka.config.city_topic(), self.kafka.config.pincode_topic()].contains(&t.name),
                    config: configs.get(&t.name).cloned().unwrap_or_default(),
                    name: t.name,
                    partitions,
                    groups,
                }
            })
            .collect();
        let read_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        Ok((Cluster { id, controller, brokers, topics, read_at }, groups))
    }

    /// Every consumer group (or only the one named), with where it is on every
    /// partition it is given or has committed on.
    async fn groups_of(
        &self,
        metas: &[TopicMeta],
        marks: &Watermarks,
        only: Option<&str>,
    ) -> Result<Vec<Group>, KafkaError> {
        let offsets_partitions = metas.iter().find(|t| t.name == OFFSETS_TOPIC).map(|t| t.partitions.clone());
        let every: BTreeSet<(String, i32)> = metas
            .iter()
            .filter(|t| !t.name.starts_with("__"))
            .flat_map(|t| t.partitions.iter().map(|p| (t.name.clone(), p.0)))
            .collect();
        let listed: Vec<_> = self.group_list().await?.into_iter().filter(|g| only.is_none_or(|o| o == g.0)).collect();
        let ids: Vec<String> = listed.iter().map(|g| g.0.clone()).collect();
        let (admin, timeout) = (self.admin.clone(), self.timeout);
        let mut committed_by_group = blocking(move || Ok(committed_offsets_of(admin.inner(), &ids, timeout))).await?;
        let mut groups = Vec::new();
        for (id, state, assignor, members) in listed {
            let mut committed = committed_by_group.remove(&id).unwrap_or_default();
            committed.retain(|key, _| every.contains(key));
            let assigned: BTreeMap<(String, i32), String> =
                members.iter().flat_map(|m| m.assignment.iter().map(|tp| (tp.clone(), m.client_id.clone()))).collect();
            let keys: BTreeSet<(String, i32)> = committed.keys().chain(assigned.keys()).cloned().collect();
            let partitions = keys
                .into_iter()
                .map(|key| PartitionLag {
                    committed: committed.get(&key).copied(),
                    end: marks.get(&key).map(|m| m.1).unwrap_or(0),
                    member: assigned.get(&key).cloned(),
                    topic: key.0,
                    partition: key.1,
                })
                .collect();
            let coordinator = offsets_partitions.as_ref().and_then(|parts| {
                let wanted = coordinator_partition(&id, parts.len() as i32);
                parts.iter().find(|p| p.0 == wanted).map(|p| p.1)
            });
            groups.push(Group { id, state, coordinator, assignor, members, partitions });
        }
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(groups)
    }

    /// Every group that has committed on these topics, with its lag on them
    /// partition by partition; and every partition of these topics with its
    /// low and high watermarks.
    pub async fn lag_on(&self, topics: &[String]) -> Result<(Vec<Group>, Watermarks), KafkaError> {
        let (metas, ..) = self.metadata().await?;
        let metas: Vec<TopicMeta> = metas.into_iter().filter(|t| topics.contains(&t.name)).collect();
        let marks = self.watermarks(&metas).await?;
        let groups = self.groups_of(&metas, &marks, None).await?;
        Ok((groups.into_iter().filter(|g| g.partitions.iter().any(|p| p.committed.is_some())).collect(), marks))
    }

    /// One group, by id (None: Kafka knows no such group).
    pub async fn group(&self, id: &str) -> Result<Option<Group>, KafkaError> {
        let (metas, ..) = self.metadata().await?;
        let marks = self.watermarks(&metas).await?;
        Ok(self.groups_of(&metas, &marks, Some(id)).await?.into_iter().next())
    }
}
