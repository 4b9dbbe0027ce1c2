//! The embedded consumer: reads the event topics, applies each event to the read
//! model, then stores its offset, and tells every browser what happened.
//!
//! Invariant: an offset is stored (and so committed) only after its event's
//! write to MongoDB, or after the event was copied to the dead-letter topic. A
//! crash in between redelivers the event, and the store's position guard makes
//! the redelivery a no-op: at-least-once delivery, exactly-once effect.
//!
//! - `batch`: one consumer's life: messages in batches, applied in rounds by
//!   key, a pincode waiting for its city parked with its partition paused;
//! - `plan`: the rounds by key and what each partition stores, pure;
//! - `parking`: the pincodes waiting for their city, pure;
//! - `steps`: what becomes of one message: applied, waiting, dead-lettered,
//!   and what is told of it;
//! - `redrive`: what became of a redriven event, told to its dead letter;
//! - here: the consumer itself, and its supervision. A consumer runs until
//!   the server stops or the [`Watchdog`] finds it stalled; then it leaves the
//!   group (committing what it stored: only what was applied) and a new one
//!   joins. Whatever the old one held unapplied (a batch, parked pincodes) was
//!   never stored, so the new one reads it again from the committed offsets.
//!   A consumer that cannot be made is tried again, never given up on.

mod batch;
mod parking;
mod plan;
mod redrive;
mod steps;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::error::{KafkaError as ClientError, KafkaResult};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::TopicPartitionList;
use tokio::sync::watch;

use super::backoff::Backoff;
use super::fanout::Fanout;
use super::kafka::{Kafka, KafkaContext};
use super::notices::Notices;
use super::watchdog::Watchdog;
use crate::index::ReadIndex;
use crate::store::{DeadLetterHandlings, ImportJobs, Store};
use crate::telemetry::metrics;

/// How long a consumer being replaced may take to leave the group before the
/// new one joins anyway (its member is then dropped by the session timeout).
const LEAVE_TIMEOUT: Duration = Duration::from_secs(15);
/// After a consumer could not be made or subscribed.
const REMAKE: Backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(10));

/// How long to wait for a pincode's city before dead-lettering it.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub backoff: Backoff,
}

pub struct Materializer {
    pub kafka: Arc<Kafka>,
    pub store: Store,
    pub notices: Notices,
    /// Told of each change before anyone else is.
    pub index: Arc<ReadIndex>,
    /// The other instances, told of every change this one handles.
    pub fanout: Fanout,
    /// Where an import's dead-lettered events are counted.
    pub imports: ImportJobs,
    pub retry: RetryPolicy,
    /// Finds the consumer stalled; told when it waits for something outside it.
    pub watchdog: Arc<Watchdog>,
    /// Where a redriven event's outcome is recorded, with its dead letter.
    pub handlings: DeadLetterHandlings,
}

/// The materializer's consumer.
type EventConsumer = StreamConsumer<MaterializerContext>;

/// The client context of the materializer's consumer: GeoLedger's (logs,
/// reachability), and what its rebalances tell.
pub struct MaterializerContext {
    kafka: KafkaContext,
    watchdog: Arc<Watchdog>,
    /// Rebalances so far: a batch or parked message read before the last one
    /// is read again from the committed offsets.
    rebalances: AtomicU64,
    /// Whether the last commit failed (said once when they start failing, once when they work again).
    commits_failing: AtomicBool,
}

impl ClientContext for MaterializerContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        self.kafka.log(level, fac, message)
    }

    fn error(&self, error: ClientError, reason: &str) {
        self.kafka.error(error, reason)
    }
}

impl ConsumerContext for MaterializerContext {
    /// Partitions come and go only here (eager rebalancing: every partition is
    /// revoked, then the new assignment given). librdkafka keeps a partition
    /// paused across a revoke and a new assignment, so a partition paused for a
    /// pincode that was then revoked would never be read again: every assigned
    /// partition is resumed, and the consume loop forgets what it held.
    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(partitions) => {
                if let Err(e) = consumer.resume(partitions) {
                    tracing::warn!(error = %e, "cannot resume the partitions just assigned");
                }
                let held: BTreeSet<(String, i32)> =
                    partitions.elements().iter().map(|e| (e.topic().to_string(), e.partition())).collect();
                tracing::info!(partitions = held.len(), assigned = ?held, "materializer assigned partitions");
                self.watchdog.assigned(held);
            }
            Rebalance::Revoke(partitions) => {
                tracing::info!(partitions = partitions.count(), "materializer's partitions revoked");
                self.watchdog.assigned(BTreeSet::new());
            }
            Rebalance::Error(e) => tracing::warn!(error = %e, "materializer rebalance failed"),
        }
        self.rebalances.fetch_add(1, Ordering::SeqCst);
    }

    /// Commits run every 200 ms; a failing one is logged when they start
    /// failing and when they work again, not every time.
    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        match result {
            // Nothing stored since the last commit: nothing to commit, nothing wrong.
            Err(ClientError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => {
                if !self.commits_failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %e, partitions = offsets.count(), "the materializer's commits fail");
                }
            }
            Ok(()) => {
                if self.commits_failing.swap(false, Ordering::Relaxed) {
                    tracing::info!(partitions = offsets.count(), "the materializer's commits work again");
                }
            }
        }
    }
}

impl MaterializerContext {
    fn rebalances(&self) -> u64 {
        self.rebalances.load(Ordering::SeqCst)
    }
}

/// Why a consumer's life ended.
enum Ended {
    /// The server is stopping.
    Shutdown,
    /// The watchdog found it stalled.
    Stalled,
}

impl Materializer {
    /// Runs the consumer until `shutdown` turns true.
    pub fn spawn(self: Arc<Self>, shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move { self.run(shutdown).await })
    }

    fn consumer(&self) -> Result<EventConsumer, ClientError> {
        let config = &self.kafka.config;
        let mut settings = self.kafka.consumer_config();
        settings
            .set("group.id", config.group())
            .set("enable.auto.commit", "true")
            // Often: an import keeps pace with what is committed (GEOLEDGER_IMPORT_AHEAD).
            .set("auto.commit.interval.ms", "200")
            // An offset is stored by hand, after the event's write to MongoDB.
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "1000")
            // Eager: a rebalance revokes every partition and reads each one
            // given again from its committed offset (MaterializerContext).
            .set("partition.assignment.strategy", "range,roundrobin");
        let context = MaterializerContext {
            kafka: self.kafka.context(),
            watchdog: self.watchdog.clone(),
            rebalances: 0.into(),
            commits_failing: false.into(),
        };
        settings.create_with_context(context)
    }

    /// Consumers one after another: each until the server stops (then it
    /// commits what it applied, and leaves), or until the watchdog finds it
    /// stalled (then it leaves, and a new one joins the group).
    async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let config = &self.kafka.config;
        let topics = [config.city_topic(), config.pincode_topic()];
        let mut failures = 0u32;
        loop {
            let consumer = match self.consumer().and_then(|c| c.subscribe(&[&topics[0], &topics[1]]).map(|()| c)) {
                Ok(c) => c,
                Err(e) => {
                    let wait = REMAKE.wait(failures);
                    failures += 1;
                    tracing::error!(error = %e, ?wait, "cannot make the materializer's consumer; trying again");
                    if !sleep_unless_shutdown(wait, &mut shutdown).await {
                        return;
                    }
                    continue;
                }
            };
            failures = 0;
            tracing::info!(city = %topics[0], pincode = %topics[1], "materializer consuming");
            let ended = tokio::select! {
                () = self.consume(&consumer, &mut shutdown) => Ended::Shutdown,
                () = self.watchdog.stalled() => Ended::Stalled,
            };
            match ended {
                Ended::Shutdown => {
                    leave(consumer).await;
                    tracing::info!("materializer stopped");
                    return;
                }
                Ended::Stalled => {
                    metrics::materializer_restarted();
                    leave(consumer).await;
                    self.watchdog.restarted();
                    tracing::warn!("materializer's consumer rebuilt; it joins the group again");
                    if *shutdown.borrow() {
                        return;
                    }
                }
            }
        }
    }
}

/// The consumer commits the offsets it stored (all of events applied, so a
/// restart or the next consumer goes on from there), leaves its group and is
/// closed, off the async threads: librdkafka blocks while it says goodbye.
/// Waited for up to `LEAVE_TIMEOUT`.
async fn leave(consumer: EventConsumer) {
    let closing = tokio::task::spawn_blocking(move || {
        if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
            tracing::debug!(error = %e, "the last commit of a consumer leaving");
        }
        consumer.unsubscribe();
        drop(consumer);
    });
    if tokio::time::timeout(LEAVE_TIMEOUT, closing).await.is_err() {
        tracing::warn!(timeout = ?LEAVE_TIMEOUT, "the materializer's old consumer has not left the group; going on");
    }
}

/// Pauses (or resumes) one partition.
fn set_paused(consumer: &EventConsumer, topic: &str, partition: i32, paused: bool) {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, partition);
    let result = if paused { consumer.pause(&tpl) } else { consumer.resume(&tpl) };
    if let Err(e) = result {
        let what = if paused { "pause" } else { "resume" };
        tracing::warn!(topic, partition, error = %e, "cannot {what} a partition");
    }
}

/// Sleeps, or returns false at once when the server is shutting down.
async fn sleep_unless_shutdown(wait: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(wait) => true,
        _ = shutdown.changed() => false,
    }
}
