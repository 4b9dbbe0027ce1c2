//! How far the materializer's consumer group has got: the offsets it has
//! committed, read without joining the group. An offset is committed only
//! after its event was applied (or dead-lettered), so an event before the
//! committed offset of its partition is in the read model.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::kafka::{Kafka, KafkaContext, KafkaError};

/// Reads the committed offsets of the materializer's group.
#[derive(Clone)]
pub struct GroupPosition {
    consumer: Arc<BaseConsumer<KafkaContext>>,
}

impl GroupPosition {
    /// A client of the group that never subscribes, so never joins it.
    pub fn new(kafka: &Kafka) -> Result<Self, KafkaError> {
        let consumer: BaseConsumer<KafkaContext> = kafka
            .client_config()
            .set("group.id", kafka.config.group())
            .set("enable.auto.commit", "false")
            .create_with_context(kafka.context())?;
        Ok(GroupPosition { consumer: Arc::new(consumer) })
    }

    /// The next offset the group will read on each of these partitions (a
    /// partition where it has committed nothing is left out).
    pub async fn committed(&self, partitions: &[(String, i32)]) -> Result<HashMap<(String, i32), i64>, KafkaError> {
        let (consumer, partitions) = (self.consumer.clone(), partitions.to_vec());
        let read = move || committed_offsets(&consumer, &partitions, Duration::from_secs(5));
        tokio::task::spawn_blocking(read).await.map_err(|_| KafkaError::Client(rdkafka::error::KafkaError::Canceled))?
    }

    /// The group's position on every partition of `topic`, in partition
    /// order: the next offset it will read (0 where it has committed nothing,
    /// so from the start: the event topics keep their history).
    pub async fn whole_topic(&self, topic: &str) -> Result<Vec<(i32, i64)>, KafkaError> {
        let (consumer, topic) = (self.consumer.clone(), topic.to_string());
        let read = move || {
            let timeout = Duration::from_secs(5);
            let metadata = consumer.fetch_metadata(Some(&topic), timeout).map_err(KafkaError::Metadata)?;
            let partitions: Vec<(String, i32)> = metadata
                .topics()
                .iter()
                .flat_map(|t| t.partitions().iter().map(|p| (t.name().to_string(), p.id())))
                .collect();
            let committed: HashMap<(String, i32), i64> = committed_offsets(&consumer, &partitions, timeout)?;
            let mut offsets: Vec<(i32, i64)> =
                partitions.into_iter().map(|key| (key.1, committed.get(&key).copied().unwrap_or(0))).collect();
            offsets.sort_unstable();
            Ok(offsets)
        };
        tokio::task::spawn_blocking(read).await.map_err(|_| KafkaError::Client(rdkafka::error::KafkaError::Canceled))?
    }
}

/// What the group of `consumer` (a client that never subscribes) has committed
/// on these partitions: the next offset it will read on each where it has one.
/// Blocking.
pub fn committed_offsets<T>(
    consumer: &BaseConsumer<KafkaContext>,
    partitions: &[(String, i32)],
    timeout: Duration,
) -> Result<T, KafkaError>
where
    T: FromIterator<((String, i32), i64)>,
{
    let mut list = TopicPartitionList::new();
    for (topic, partition) in partitions {
        list.add_partition(topic, *partition);
    }
    let found = consumer.committed_offsets(list, timeout).map_err(KafkaError::Metadata)?;
    // A partition the coordinator could not answer for is an error of the
    // whole read, never a partition where nothing was committed.
    if let Some(e) = found.elements().iter().find_map(|e| e.error().err()) {
        return Err(KafkaError::Metadata(e));
    }
    Ok(found
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some(((e.topic().to_string(), e.partition()), o)),
            _ => None,
        })
        .collect())
}
