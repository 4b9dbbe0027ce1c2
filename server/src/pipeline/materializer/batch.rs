//! The embedded consumer: reads the event topics, applies each event to the read
//! model, then stores its offset, and tells every browser what happened.
//!
//! Invariant: an offset is stored (and so committed) only after its event's
//! write to MongoDB, or after the event was copied to the dead-letter topic. A
//! crash in between redelivers the event, and the store's position guard makes
//! the redelivery a no-op: at-least-once delivery, exactly-once effect.
//!
//! Events come in batches (what the consumer holds, up to `BATCH`), applied in
//! rounds: the first event of every key together (one `Store::apply_all`, a
//! few MongoDB commands for the whole round), then the second of the keys that
//! have one, and so on, so a key's events stay in order. Then, per partition,
//! the offset of the last event before the first one not done is stored. The
//! batch's history entries are written in one command and its changes taken
//! into the index (as written, or read back), before the offsets are stored
//! and anyone is told of them.
//!
//! MongoDB away (unreachable, stepping down) is waited for, as long as it takes,
//! with nothing committed meanwhile; MongoDB refusing an event (one it cannot
//! store) is tried `STORE_REFUSALS` times, then the event is dead-lettered and
//! consumption goes on.
//!
//! One consumer for both topics: a pincode waiting for its city pauses only its
//! own partition, so the city (on the other topic) is never held back.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use app::domain::event::{Change, Envelope};
use app::domain::notice::{ChangeNotice, Notice, Outcome};
use futures::FutureExt;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::FutureRecord;
use rdkafka::TopicPartitionList;
use tokio::sync::watch;
use tokio::time::Instant;

use super::fanout::Fanout;
use super::kafka::{Kafka, KafkaContext};
use super::notices::Notices;
use crate::config::KafkaConfig;
use crate::index::{Changed, ReadIndex};
use crate::store::{
    is_unreachable, Applied, AppliedEvent, ApplyError, HistoryRecord, ImportJobs, Pending, Position, Store,
};
use crate::telemetry::metrics;

/// While MongoDB is away: the first wait before trying again, doubling up to the last.
const STORE_AWAY_FIRST_WAIT: Duration = Duration::from_millis(200);
const STORE_AWAY_MAX_WAIT: Duration = Duration::from_secs(5);
/// How many times MongoDB may refuse an event before it is dead-lettered.
const STORE_REFUSALS: u32 = 3;
/// At most this many messages are handled as one batch.
const BATCH: usize = 1000;

/// How long to wait for a pincode's city before dead-lettering it.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl RetryPolicy {
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.first_backoff.saturating_mul(2u32.saturating_pow(attempt)).min(self.max_backoff)
    }
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
}

/// A pincode message waiting for its city, its partition paused meanwhile.
struct Parked {
    message: OwnedMessage,
    /// Retries done so far.
    attempt: u32,
    due: Instant,
    /// The partition's messages after it, in order, each done or not: their
    /// offsets are stored after its own.
    held: Vec<(OwnedMessage, bool)>,
}

/// What became of one message.
enum Step {
    /// Applied or dead-lettered: its offset may be stored, once this is told.
    Done(Box<Told>),
    /// Its city is not there yet: try again after a wait (this many retries done).
    Wait(u32),
    /// The server is stopping before the message was handled.
    Stopped,
}

/// What a handled message makes known: its history entry, what to take
/// into the index, and the notice for the browsers and the other instances.
struct Told {
    history: Option<HistoryRecord>,
    changed: Option<Changed>,
    notice: ChangeNotice,
}

/// Where one message of a batch got to.
#[derive(Clone, Copy, PartialEq)]
enum Reached {
    Done,
    Wait(u32),
    Stopped,
    /// Not tried: an earlier event of its key waits.
    NotTried,
}

impl Materializer {
    /// Runs the consumer until `shutdown` turns true.
    pub fn spawn(self: Arc<Self>, shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move { self.run(shutdown).await })
    }

    fn consumer(&self, config: &KafkaConfig) -> Result<StreamConsumer<KafkaContext>, rdkafka::error::KafkaError> {
        self.kafka
            .consumer_config()
            .set("group.id", config.group())
            .set("enable.auto.commit", "true")
            // Often: an import keeps pace with what is committed (GEOLEDGER_IMPORT_AHEAD).
            .set("auto.commit.interval.ms", "200")
            // An offset is stored by hand, after the event's write to MongoDB.
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "1000")
            .create_with_context(self.kafka.context())
    }

    /// One consumer for both topics. A pincode whose city has not arrived pauses
    /// only its own partition while it waits; everything else goes on (the city
    /// among it), and the consumer keeps polling, so group rebalances go through.
    async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let config = &self.kafka.config;
        let topics = [config.city_topic(), config.pincode_topic()];
        let consumer = match self.consumer(config) {
            Ok(c) => c,
            Err(e) => return tracing::error!("cannot create the materializer's consumer: {e}"),
        };
        if let Err(e) = consumer.subscribe(&[&topics[0], &topics[1]]) {
            return tracing::error!("cannot subscribe to {topics:?}: {e}");
        }
        tracing::info!("materializer consuming {} and {}", topics[0], topics[1]);
        let mut parked: Vec<Parked> = Vec::new();
        'consume: loop {
            let next_due = parked.iter().map(|p| p.due).min();
            let wake = async move {
                match next_due {
                    Some(due) => tokio::time::sleep_until(due).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = wake => {
                    let now = Instant::now();
                    let (due, later): (Vec<Parked>, Vec<Parked>) = parked.drain(..).partition(|p| p.due <= now);
                    parked = later;
                    for p in due {
                        if !owns(&consumer, &p.message) {
                            // Revoked while waiting: the partition's new owner reads it again.
                            continue;
                        }
                        if !self.unpark(&consumer, p, &mut parked, &mut shutdown).await {
                            break 'consume;
                        }
                    }
                }
                received = consumer.recv() => match received {
                    Ok(m) => {
                        let mut batch = vec![m.detach()];
                        while batch.len() < BATCH {
                            match consumer.recv().now_or_never() {
                                Some(Ok(m)) => batch.push(m.detach()),
                                _ => break,
                            }
                        }
                        if !self.handle(&consumer, batch, &mut parked, &shutdown).await {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::debug!("materializer: {e}");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                },
            }
        }
        // Commit what was applied before leaving, so a restart goes on from here.
        if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
            tracing::debug!("final commit: {e}");
        }
        tracing::info!("materializer stopped");
    }

    /// Sets a message aside until its next try, `attempt` retries done.
    fn park(&self, message: OwnedMessage, attempt: u32, held: Vec<(OwnedMessage, bool)>) -> Parked {
        Parked { due: Instant::now() + self.retry.backoff(attempt - 1), attempt, message, held }
    }

    /// Handles one batch: the messages of one key in order, different keys at
    /// once; tells what was done; stores, per partition, the offset of the last
    /// message before the first one not done, and parks that one (and holds the
    /// rest of its partition behind it) when it waits for its city. False when
    /// the server is stopping.
    async fn handle(
        &self,
        consumer: &StreamConsumer<KafkaContext>,
        batch: Vec<OwnedMessage>,
        parked: &mut Vec<Parked>,
        shutdown: &watch::Receiver<bool>,
    ) -> bool {
        // A partition with a message waiting for its city: the rest waits behind it.
        let mut fresh = Vec::with_capacity(batch.len());
        for m in batch {
            match parked.iter_mut().find(|p| same_partition(&p.message, &m)) {
                Some(p) => p.held.push((m, false)),
                None => fresh.push(m),
            }
        }
        let mut chains: Vec<Vec<usize>> = Vec::new();
        let mut chain_of: HashMap<(&str, i32, &[u8]), usize> = HashMap::new();
        for (i, m) in fresh.iter().enumerate() {
            let at = *chain_of.entry((m.topic(), m.partition(), m.key().unwrap_or_default())).or_insert_with(|| {
                chains.push(Vec::new());
                chains.len() - 1
            });
            chains[at].push(i);
        }
        // Round by round: the next message of every key whose messages so far are done.
        let mut shutdown = shutdown.clone();
        let mut next = vec![0usize; chains.len()];
        let mut active: Vec<usize> = (0..chains.len()).collect();
        let mut stepped: Vec<(usize, Step)> = Vec::with_capacity(fresh.len());
        while !active.is_empty() {
            let round: Vec<usize> = active.iter().map(|&c| chains[c][next[c]]).collect();
            let messages: Vec<&OwnedMessage> = round.iter().map(|&i| &fresh[i]).collect();
            let steps = self.step_all(&messages, &vec![0; round.len()], &mut shutdown).await;
            let mut still = Vec::new();
            for ((&c, &i), step) in active.iter().zip(&round).zip(steps) {
                let done = matches!(step, Step::Done(_));
                stepped.push((i, step));
                next[c] += 1;
                if done && next[c] < chains[c].len() {
                    still.push(c);
                }
            }
            active = still;
        }
        let mut reached = vec![Reached::NotTried; fresh.len()];
        let mut told = Vec::new();
        for (i, step) in stepped {
            reached[i] = match step {
                Step::Done(t) => {
                    told.push((i, *t));
                    Reached::Done
                }
                Step::Wait(attempt) => Reached::Wait(attempt),
                Step::Stopped => Reached::Stopped,
            };
        }
        told.sort_by_key(|(i, _)| *i);
        if !self.tell(told.into_iter().map(|(_, t)| t).collect(), &shutdown).await {
            return false;
        }

        let mut stopping = false;
        let mut messages: Vec<Option<OwnedMessage>> = fresh.into_iter().map(Some).collect();
        let mut partitions: Vec<(String, i32)> = Vec::new();
        for m in messages.iter().flatten() {
            let p = (m.topic().to_string(), m.partition());
            if !partitions.contains(&p) {
                partitions.push(p);
            }
        }
        for (topic, partition) in partitions {
            let of_partition: Vec<usize> = (0..messages.len())
                .filter(|&i| messages[i].as_ref().is_some_and(|m| m.topic() == topic && m.partition() == partition))
                .collect();
            let first_not_done = of_partition.iter().position(|&i| reached[i] != Reached::Done);
            let done = &of_partition[..first_not_done.unwrap_or(of_partition.len())];
            if let Some(&last) = done.last() {
                store(consumer, messages[last].as_ref().expect("a message of the batch"));
            }
            let Some(first) = first_not_done else { continue };
            let i = of_partition[first];
            match reached[i] {
                Reached::Wait(attempt) => {
                    let held = of_partition[first + 1..]
                        .iter()
                        .filter_map(|&j| messages[j].take().map(|m| (m, reached[j] == Reached::Done)))
                        .collect();
                    let message = messages[i].take().expect("a message of the batch");
                    set_paused(consumer, &message, true);
                    parked.push(self.park(message, attempt, held));
                }
                _ => stopping = true,
            }
        }
        !stopping
    }

    /// A parked message's wait is over: tries it again, then the messages held
    /// behind it, in order, until one waits (parked again) or all are done (its
    /// partition resumed). False when the server is stopping.
    async fn unpark(
        &self,
        consumer: &StreamConsumer<KafkaContext>,
        p: Parked,
        parked: &mut Vec<Parked>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> bool {
        let resume = p.message.clone();
        let mut queue: VecDeque<(OwnedMessage, bool, u32)> =
            std::iter::once((p.message, false, p.attempt)).chain(p.held.into_iter().map(|(m, d)| (m, d, 0))).collect();
        while let Some((m, done, attempt)) = queue.pop_front() {
            if !done {
                match self.step(&m, attempt, shutdown).await {
                    Step::Done(told) => {
                        if !self.tell(vec![*told], shutdown).await {
                            return false;
                        }
                    }
                    Step::Wait(attempt) => {
                        let held = queue.into_iter().map(|(m, d, _)| (m, d)).collect();
                        parked.push(self.park(m, attempt, held));
                        return true;
                    }
                    Step::Stopped => return false,
                }
            }
            store(consumer, &m);
        }
        set_paused(consumer, &resume, false);
        true
    }

    /// Writes history entries, waiting while MongoDB is away. False when the
    /// server stopped meanwhile.
    async fn record(&self, history: &[HistoryRecord], shutdown: &watch::Receiver<bool>) -> bool {
        let mut away = 0u32;
        while let Err(e) = self.store.record(history).await {
            if !is_unreachable(&e) {
                // The read model holds the changes; only their history lines are lost.
                tracing::error!("cannot write {} history entries: {e}", history.len());
                break;
            }
            let wait = away_wait(away);
            away += 1;
            tracing::warn!("writing the history: {e}; MongoDB is away, trying again in {wait:?}");
            if !sleep_unless_shutdown(wait, &mut shutdown.clone()).await {
                return false;
            }
        }
        true
    }

    /// Writes the history entries, takes what changed into the index, then
    /// tells this instance's browsers and the other instances. False when the
    /// server stopped while MongoDB was away (the offsets are then not stored,
    /// and the events come again).
    async fn tell(&self, told: Vec<Told>, shutdown: &watch::Receiver<bool>) -> bool {
        let history: Vec<HistoryRecord> = told.iter().filter_map(|t| t.history.clone()).collect();
        let changed: Vec<Changed> = told.iter().filter_map(|t| t.changed.clone()).collect();
        // Both read or write what MongoDB already holds: side by side.
        let (recorded, ()) = tokio::join!(self.record(&history, shutdown), async {
            if !changed.is_empty() {
                self.index.refresh(&self.store, &changed).await;
            }
        });
        if !recorded {
            return false;
        }
        for t in told {
            self.fanout.publish(&t.notice);
            self.notices.send(Notice::Change(t.notice));
        }
        true
    }

    /// Applies (or dead-letters) one message; `attempt` retries were done before.
    async fn step(&self, m: &OwnedMessage, attempt: u32, shutdown: &mut watch::Receiver<bool>) -> Step {
        self.step_all(&[m], &[attempt], shutdown).await.pop().expect("one step per message")
    }

    /// Applies (or dead-letters) messages of different keys together (one
    /// `Store::apply_all`); `attempts[k]` retries were done before message `k`.
    /// While MongoDB is away the ones not applied are tried again, as long as it
    /// takes; one MongoDB refuses is tried `STORE_REFUSALS` times, then
    /// dead-lettered. One step per message, in order.
    async fn step_all(
        &self,
        messages: &[&OwnedMessage],
        attempts: &[u32],
        shutdown: &mut watch::Receiver<bool>,
    ) -> Vec<Step> {
        let mut steps: Vec<Option<Step>> = messages.iter().map(|_| None).collect();
        let mut decoded = Vec::new();
        for (k, m) in messages.iter().enumerate() {
            match super::event::read(*m) {
                (pos, Ok((event, change))) => decoded.push((k, pos, event, change)),
                (_, Err(reason)) => steps[k] = Some(self.dead_letter(m, None, &reason, shutdown).await),
            }
        }
        let mut pending: Vec<usize> = (0..decoded.len()).collect();
        let mut refusals = vec![0u32; decoded.len()];
        let mut away = 0u32;
        while !pending.is_empty() {
            let items: Vec<Pending> = pending
                .iter()
                .map(|&j| Pending { event: &decoded[j].2, change: &decoded[j].3, pos: decoded[j].1 })
                .collect();
            let results = self.store.apply_all(&items).await;
            let (mut again, mut unreachable) = (Vec::new(), None);
            for (&j, result) in pending.iter().zip(results) {
                let (k, pos, event, change) = &decoded[j];
                let m = messages[*k];
                let step = match result {
                    Ok(done) => Some(self.applied(m, event, change, *pos, done)),
                    Err(ApplyError::CityMissing(city)) if attempts[*k] < self.retry.attempts => {
                        tracing::debug!("pincode {} waits for city {city} (retry {})", event.subject, attempts[*k] + 1);
                        Some(Step::Wait(attempts[*k] + 1))
                    }
                    Err(e @ (ApplyError::CityMissing(_) | ApplyError::Rejected(_))) => {
                        Some(self.dead_letter(m, Some(event), &e.to_string(), shutdown).await)
                    }
                    Err(ApplyError::Store(e)) if is_unreachable(&e) => {
                        // MongoDB is away: wait, longer each time, and try again; never skip an event.
                        unreachable = Some(e);
                        again.push(j);
                        None
                    }
                    Err(e @ (ApplyError::Store(_) | ApplyError::Refused(_))) => {
                        // MongoDB answers, and refuses this event: it would refuse it forever.
                        refusals[j] += 1;
                        if refusals[j] >= STORE_REFUSALS {
                            let reason = format!("{e} ({} times)", refusals[j]);
                            Some(self.dead_letter(m, Some(event), &reason, shutdown).await)
                        } else {
                            tracing::warn!(
                                "{} {} ({} of {STORE_REFUSALS}): {e}",
                                event.event_type,
                                event.subject,
                                refusals[j]
                            );
                            again.push(j);
                            None
                        }
                    }
                };
                steps[*k] = step;
            }
            let wait = match &unreachable {
                Some(e) => {
                    let wait = away_wait(away);
                    away += 1;
                    tracing::warn!("applying {} events: {e}; MongoDB is away, trying again in {wait:?}", again.len());
                    wait
                }
                None => STORE_AWAY_FIRST_WAIT * again.iter().map(|&j| refusals[j]).max().unwrap_or(1),
            };
            if !again.is_empty() && !sleep_unless_shutdown(wait, shutdown).await {
                for &j in &again {
                    steps[decoded[j].0] = Some(Step::Stopped);
                }
                break;
            }
            pending = again;
        }
        steps.into_iter().map(|s| s.expect("every message stepped")).collect()
    }

    /// An applied message: counted, and what it makes known.
    fn applied(&self, m: &OwnedMessage, event: &Envelope, change: &Change, pos: Position, done: AppliedEvent) -> Step {
        metrics::event_applied(&event.event_type);
        if done.applied == Applied::AlreadyApplied {
            let (p, o) = (pos.partition, pos.offset);
            tracing::debug!("{} {} at {p}/{o}: already applied", event.event_type, event.subject);
        }
        let (id, event_type, subject) = (event.id.clone(), event.event_type.clone(), event.subject.clone());
        let notice = notice(m, id, event_type, subject, change.coordinates(), Outcome::Applied);
        let changed = match done.written {
            Some(entity) => Some(Changed::Written(Box::new(entity))),
            None => Changed::of(&event.event_type, &event.subject),
        };
        Step::Done(Box::new(Told { history: Some(done.history), changed, notice }))
    }

    /// Copies the message, bytes unchanged, to the dead-letter topic with headers
    /// saying where it came from and why it failed. Retries until the broker takes
    /// it: a message is never dropped.
    async fn dead_letter(
        &self,
        m: &OwnedMessage,
        event: Option<&Envelope>,
        reason: &str,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Step {
        tracing::warn!("dead-lettering {}/{}@{}: {reason}", m.topic(), m.partition(), m.offset());
        let dlt = self.kafka.config.dead_letter_topic();
        let (partition, offset) = (m.partition().to_string(), m.offset().to_string());
        loop {
            let mut headers = OwnedHeaders::new();
            if let Some(original) = m.headers() {
                for h in original.iter() {
                    headers = headers.insert(Header { key: h.key, value: h.value });
                }
            }
            headers = headers
                .insert(Header { key: "dlt.original.topic", value: Some(m.topic()) })
                .insert(Header { key: "dlt.original.partition", value: Some(partition.as_str()) })
                .insert(Header { key: "dlt.original.offset", value: Some(offset.as_str()) })
                .insert(Header { key: "dlt.error", value: Some(reason) });
            let mut record = FutureRecord::to(&dlt).headers(headers);
            if let Some(k) = m.key() {
                record = record.key(k);
            }
            if let Some(p) = m.payload() {
                record = record.payload(p);
            }
            match self.kafka.producer.send(record, self.kafka.config.publish_timeout()).await {
                Ok(_) => break,
                Err((e, _)) => {
                    tracing::warn!("cannot write to {dlt}: {e}; retrying");
                    if !sleep_unless_shutdown(Duration::from_secs(1), shutdown).await {
                        return Step::Stopped;
                    }
                }
            }
        }
        // An event that could not even be decoded is known by its Kafka key alone.
        let key = || m.key().map(|k| String::from_utf8_lossy(k).into_owned()).unwrap_or_default();
        let (id, event_type, entity) = match event {
            Some(e) => (e.id.clone(), e.event_type.clone(), e.subject.clone()),
            None => (String::new(), String::new(), key()),
        };
        // An import's event: its job counts it failed, and its report says why.
        if let Some(job) = event.and_then(|e| e.importjob.as_deref()) {
            let what = format!("{} {entity}: {reason}", event_type.split('.').next().unwrap_or("event"));
            if let Err(e) = self.imports.record_failed(job, what).await {
                tracing::warn!("cannot record a dead-lettered event of import {job}: {e}");
            }
        }
        metrics::event_dead_lettered(&event_type);
        let notice = notice(m, id, event_type, entity, None, Outcome::Failed { reason: reason.to_string() });
        Step::Done(Box::new(Told { history: None, changed: None, notice }))
    }
}

/// How long to wait before trying MongoDB again, `away` waits done.
fn away_wait(away: u32) -> Duration {
    STORE_AWAY_FIRST_WAIT.saturating_mul(2u32.saturating_pow(away)).min(STORE_AWAY_MAX_WAIT)
}

/// The notice of a handled message: what it was, where it was, what became of it.
fn notice(
    m: &OwnedMessage,
    event_id: String,
    event_type: String,
    entity_id: String,
    at: Option<(f64, f64)>,
    outcome: Outcome,
) -> ChangeNotice {
    ChangeNotice {
        event_id,
        event_type,
        entity_id,
        latitude: at.map(|a| a.0),
        longitude: at.map(|a| a.1),
        topic: m.topic().to_string(),
        partition: m.partition(),
        offset: m.offset(),
        outcome,
    }
}

fn same_partition(a: &OwnedMessage, b: &OwnedMessage) -> bool {
    a.partition() == b.partition() && a.topic() == b.topic()
}

fn store(consumer: &StreamConsumer<KafkaContext>, m: &OwnedMessage) {
    if let Err(e) = consumer.store_offset(m.topic(), m.partition(), m.offset()) {
        tracing::warn!("cannot store the offset of {}/{}@{}: {e}", m.topic(), m.partition(), m.offset());
    }
}

/// Pauses (or resumes) the message's partition.
fn set_paused(consumer: &StreamConsumer<KafkaContext>, m: &OwnedMessage, paused: bool) {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(m.topic(), m.partition());
    let result = if paused { consumer.pause(&tpl) } else { consumer.resume(&tpl) };
    if let Err(e) = result {
        tracing::warn!("cannot {} {}/{}: {e}", if paused { "pause" } else { "resume" }, m.topic(), m.partition());
    }
}

/// True while the message's partition is still assigned to this consumer.
fn owns(consumer: &StreamConsumer<KafkaContext>, m: &OwnedMessage) -> bool {
    consumer
        .assignment()
        .map(|a| a.elements().iter().any(|e| e.topic() == m.topic() && e.partition() == m.partition()))
        .unwrap_or(false)
}

/// Sleeps, or returns false at once when the server is shutting down.
async fn sleep_unless_shutdown(wait: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(wait) => true,
        _ = shutdown.changed() => false,
    }
}
