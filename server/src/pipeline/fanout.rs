//! Applied changes told across instances. Instances behind one address share
//! the materializer's group, so each applies only the partitions it owns; yet
//! every browser, whichever instance it is connected to, must hear of every
//! change (and an author's toast must reach "applied").
//!
//! So each instance publishes the notices of what it applied to the notices
//! topic, and every instance reads that topic from its end (joining no group,
//! committing nothing) and tells its own browsers what the others applied.
//!
//! Invariant: a browser hears of each change once: of its own instance's
//! changes straight from the materializer, of the others' from the topic (an
//! instance skips its own notices, known by their `instance` header). The
//! topic is not a record: a notice lost while Kafka is away costs a browser a
//! refetch, never data.

use std::sync::Arc;
use std::time::Duration;

use app::domain::notice::{ChangeNotice, Notice, Outcome};
use app::domain::quality::parse_finding_id;
use futures::FutureExt;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::FutureRecord;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio::sync::watch;

use super::kafka::{Kafka, KafkaContext, KafkaError};
use super::notices::Notices;
use crate::index::{Changed, ReadIndex};
use crate::store::Store;

const INSTANCE: &str = "instance";
/// A notice's type for "a quality finding was accepted" (its `entity_id` is
/// the finding's id): the other instances read the acceptance back from MongoDB.
pub const QUALITY_ACCEPTED: &str = "quality.accepted";
/// At most this many notices are relayed as one batch (the materializer's batch size).
const RELAY_BATCH: usize = 1000;

#[derive(Clone)]
pub struct Fanout {
    kafka: Arc<Kafka>,
    /// This process, among the instances: its notices carry it.
    instance: Arc<str>,
}

impl Fanout {
    pub fn new(kafka: Arc<Kafka>) -> Self {
        Fanout { kafka, instance: uuid::Uuid::now_v7().to_string().into() }
    }

    /// Tells the other instances of a change this one handled. Not awaited:
    /// the materializer never waits on a notice.
    pub fn publish(&self, notice: &ChangeNotice) {
        let Ok(payload) = serde_json::to_vec(notice) else { return };
        let topic = self.kafka.config.notices_topic();
        let headers = OwnedHeaders::new().insert(Header { key: INSTANCE, value: Some(&*self.instance) });
        let record = FutureRecord::to(&topic).key(&notice.entity_id).payload(&payload).headers(headers);
        if let Err((e, _)) = self.kafka.producer().send_result(record) {
            tracing::debug!(entity = %notice.entity_id, error = %e, "a notice not told to the other instances");
        }
    }

    /// Reads the other instances' notices until shutdown: what has arrived is
    /// one batch, whose changes are read back into this instance's index at
    /// once (one `$in`), then told to its browsers.
    pub async fn relay(
        self,
        notices: Notices,
        index: Arc<ReadIndex>,
        store: Store,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let consumer = match self.reader() {
            Ok(c) => c,
            Err(e) => return tracing::error!(error = %e, "the other instances' changes cannot be heard"),
        };
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                received = consumer.recv() => match received {
                    Ok(m) => {
                        let mut batch: Vec<ChangeNotice> = self.others_notice(&m).into_iter().collect();
                        while batch.len() < RELAY_BATCH {
                            match consumer.recv().now_or_never() {
                                Some(Ok(m)) => batch.extend(self.others_notice(&m)),
                                _ => break,
                            }
                        }
                        Self::take_acceptances(&mut batch, &index, &store).await;
                        let changed: Vec<Changed> = batch
                            .iter()
                            .filter(|n| n.outcome == Outcome::Applied)
                            .filter_map(|n| Changed::of(&n.event_type, &n.entity_id))
                            .collect();
                        if !changed.is_empty() {
                            let applied: Vec<String> = batch
                                .iter()
                                .filter(|n| n.outcome == Outcome::Applied)
                                .map(|n| n.event_id.clone())
                                .collect();
                            tokio::join!(index.refresh(&store, &changed), index.log_events(&store, &applied));
                        }
                        for notice in batch {
                            notices.send(Notice::Change(notice));
                        }
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "reading the notices");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                },
            }
        }
    }

    /// Reads back the acceptances another instance made, and takes their
    /// notices out of the batch (browsers hear of them as a `quality` event).
    async fn take_acceptances(batch: &mut Vec<ChangeNotice>, index: &ReadIndex, store: &Store) {
        for n in batch.iter().filter(|n| n.event_type == QUALITY_ACCEPTED) {
            let Some(id) = parse_finding_id(&n.entity_id) else { continue };
            match store.acceptance(id).await {
                Ok(Some(acceptance)) => index.accepted(id, acceptance),
                Ok(None) => tracing::warn!(finding = %n.entity_id, "an acceptance told of is not in MongoDB"),
                Err(e) => tracing::warn!(finding = %n.entity_id, error = %e, "an acceptance could not be read back"),
            }
        }
        batch.retain(|n| n.event_type != QUALITY_ACCEPTED);
    }

    /// The notice a message carries, unless this instance sent it.
    fn others_notice(&self, m: &BorrowedMessage<'_>) -> Option<ChangeNotice> {
        let own = m.headers().and_then(|h| h.iter().find(|h| h.key == INSTANCE)).and_then(|h| h.value);
        if own == Some(self.instance.as_bytes()) {
            return None;
        }
        serde_json::from_slice::<ChangeNotice>(m.payload().unwrap_or_default())
            .inspect_err(|e| tracing::debug!(error = %e, "a notice that does not read"))
            .ok()
    }

    /// A reader of every partition of the notices topic, from its end.
    fn reader(&self) -> Result<StreamConsumer<KafkaContext>, KafkaError> {
        let topic = self.kafka.config.notices_topic();
        let consumer: StreamConsumer<KafkaContext> = self
            .kafka
            .consumer_config()
            .set("group.id", format!("{}geoledger-notices-{}", self.kafka.config.topic_prefix, self.instance))
            .set("enable.auto.commit", "false")
            // Notices are small (about 300 bytes): 2 MB read ahead holds thousands, a
            // second of an import's; the event consumers read 8 MB ahead.
            .set("queued.max.messages.kbytes", "2048")
            .create_with_context(self.kafka.context())?;
        let metadata = consumer.fetch_metadata(Some(&topic), Duration::from_secs(10)).map_err(KafkaError::Metadata)?;
        let mut assignment = TopicPartitionList::new();
        for p in metadata.topics().iter().flat_map(|t| t.partitions()) {
            assignment.add_partition_offset(&topic, p.id(), Offset::End).map_err(KafkaError::Metadata)?;
        }
        consumer.assign(&assignment)?;
        Ok(consumer)
    }
}
