//! What becomes of one message: applied (or found applied already), waiting
//! for its city, dead-lettered; and what is told of it once done (its
//! history entry, the index, the browsers, the other instances).
//!
//! MongoDB away (unreachable, stepping down) is waited for, as long as it takes,
//! with nothing committed meanwhile; MongoDB refusing an event (one it cannot
//! store) is tried `STORE_REFUSALS` times, then the event is dead-lettered and
//! consumption goes on. Every wait tells the watchdog that the materializer is
//! alive and waiting, not stalled.

use std::time::Duration;

use app::domain::dead_letter::RedriveOutcome;
use app::domain::event::{Change, Envelope};
use app::domain::notice::{ChangeNotice, Notice, Outcome};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::FutureRecord;
use tokio::sync::watch;

use super::{sleep_unless_shutdown, Materializer};
use crate::index::Changed;
use crate::pipeline::backoff::Backoff;
use crate::pipeline::event::{self, from_letter};
use crate::store::{is_unreachable, Applied, AppliedEvent, ApplyError, HistoryRecord, Pending, Position};
use crate::telemetry::metrics;

/// While MongoDB is away, before trying again.
const STORE_AWAY: Backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
/// How many times MongoDB may refuse an event before it is dead-lettered.
const STORE_REFUSALS: u32 = 3;

/// What became of one message.
pub(super) enum Step {
    /// Applied or dead-lettered: its offset may be stored, once this is told.
    Done(Box<Told>),
    /// Its city is not there yet: try again after a wait (this many retries done).
    Wait(u32),
    /// The server is stopping before the message was handled.
    Stopped,
}

/// What a handled message makes known: its history entry, what to take
/// into the index, and the notice for the browsers and the other instances.
pub(super) struct Told {
    history: Option<HistoryRecord>,
    changed: Option<Changed>,
    notice: ChangeNotice,
}

impl Materializer {
    /// Writes history entries, waiting while MongoDB is away. False when the
    /// server stopped meanwhile.
    async fn record(&self, history: &[HistoryRecord], shutdown: &watch::Receiver<bool>) -> bool {
        let mut away = 0u32;
        while let Err(e) = self.store.record(history).await {
            if !is_unreachable(&e) {
                // The read model holds the changes; only their history lines are lost.
                tracing::error!(entries = history.len(), error = %e, "cannot write the history");
                break;
            }
            let wait = STORE_AWAY.wait(away);
            away += 1;
            tracing::warn!(error = %e, ?wait, "writing the history: MongoDB is away, trying again");
            self.watchdog.waiting();
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
    pub(super) async fn tell(&self, told: Vec<Told>, shutdown: &watch::Receiver<bool>) -> bool {
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
        let logged: Vec<_> = history.iter().filter_map(HistoryRecord::logged).collect();
        self.index.log(&logged);
        for t in told {
            self.fanout.publish(&t.notice);
            self.notices.send(Notice::Change(t.notice));
        }
        true
    }

    /// Applies (or dead-letters) one message; `attempt` retries were done before.
    pub(super) async fn step(&self, m: &OwnedMessage, attempt: u32, shutdown: &mut watch::Receiver<bool>) -> Step {
        self.step_all(&[m], &[attempt], shutdown).await.pop().expect("one step per message")
    }

    /// Applies (or dead-letters) messages of different keys together (one
    /// `Store::apply_all`); `attempts[k]` retries were done before message `k`.
    /// While MongoDB is away the ones not applied are tried again, as long as it
    /// takes; one MongoDB refuses is tried `STORE_REFUSALS` times, then
    /// dead-lettered. One step per message, in order.
    pub(super) async fn step_all(
        &self,
        messages: &[&OwnedMessage],
        attempts: &[u32],
        shutdown: &mut watch::Receiver<bool>,
    ) -> Vec<Step> {
        let mut steps: Vec<Option<Step>> = messages.iter().map(|_| None).collect();
        let mut decoded = Vec::new();
        for (k, m) in messages.iter().enumerate() {
            match event::read(*m) {
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
                    Ok(done) => {
                        let redrive = self.settle_redrive(m, event, &done.applied).await;
                        Some(self.applied(m, event, change, *pos, done, redrive))
                    }
                    Err(ApplyError::CityMissing(city)) if attempts[*k] < self.retry.attempts => {
                        tracing::debug!(
                            entity = %event.subject,
                            %city,
                            retry = attempts[*k] + 1,
                            "a pincode waits for its city"
                        );
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
                                event_id = %event.id,
                                event_type = %event.event_type,
                                entity = %event.subject,
                                refusals = refusals[j],
                                of = STORE_REFUSALS,
                                error = %e,
                                "MongoDB refused an event"
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
                    let wait = STORE_AWAY.wait(away);
                    away += 1;
                    tracing::warn!(events = again.len(), error = %e, ?wait, "applying: MongoDB is away, trying again");
                    wait
                }
                None => STORE_AWAY.first * again.iter().map(|&j| refusals[j]).max().unwrap_or(1),
            };
            if !again.is_empty() {
                self.watchdog.waiting();
            }
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

    /// An applied message: counted, and what it makes known (a superseded
    /// redrive changed nothing: no history entry).
    fn applied(
        &self,
        m: &OwnedMessage,
        event: &Envelope,
        change: &Change,
        pos: Position,
        done: AppliedEvent,
        redrive: Option<RedriveOutcome>,
    ) -> Step {
        metrics::event_applied(&event.event_type);
        if done.applied == Applied::AlreadyApplied {
            let (p, o) = (pos.partition, pos.offset);
            tracing::debug!(
                event_id = %event.id,
                entity = %event.subject,
                partition = p,
                offset = o,
                "already applied"
            );
        }
        let (id, event_type, subject) = (event.id.clone(), event.event_type.clone(), event.subject.clone());
        let notice = notice(m, id, event_type, subject, change.coordinates(), Outcome::Applied);
        let changed = match done.written {
            Some(entity) => Some(Changed::Written(Box::new(entity))),
            None => Changed::of(&event.event_type, &event.subject),
        };
        let history = (redrive != Some(RedriveOutcome::Superseded)).then(|| done.history.from_topic(m.topic()));
        Step::Done(Box::new(Told { history, changed, notice }))
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
        let (topic, partition, offset) = (m.topic(), m.partition(), m.offset());
        tracing::warn!(topic, partition, offset, reason, "dead-lettering an event");
        let dlt = self.kafka.config.dead_letter_topic();
        loop {
            let mut record = FutureRecord::to(&dlt).headers(dead_letter_headers(m, reason));
            if let Some(k) = m.key() {
                record = record.key(k);
            }
            if let Some(p) = m.payload() {
                record = record.payload(p);
            }
            match self.kafka.producer().send(record, self.kafka.config.publish_timeout()).await {
                Ok(_) => break,
                Err((e, _)) => {
                    tracing::warn!(topic = %dlt, error = %e, "cannot write a dead letter; retrying");
                    self.watchdog.waiting();
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
                tracing::warn!(%job, error = %e, "cannot count a dead-lettered event of an import");
            }
        }
        if let Some(letter) = from_letter(m) {
            self.tell_letter(&letter, &RedriveOutcome::FailedAgain { reason: reason.to_string() }).await;
        }
        metrics::event_dead_lettered(&event_type);
        let notice = notice(m, id, event_type, entity, None, Outcome::Failed { reason: reason.to_string() });
        Step::Done(Box::new(Told { history: None, changed: None, notice }))
    }
}

/// A dead letter's headers: the original message's, then where it came from
/// (`dlt.original.topic`, `.partition`, `.offset`) and why it failed (`dlt.error`).
fn dead_letter_headers(m: &OwnedMessage, reason: &str) -> OwnedHeaders {
    let (partition, offset) = (m.partition().to_string(), m.offset().to_string());
    let mut headers = OwnedHeaders::new();
    if let Some(original) = m.headers() {
        for h in original.iter() {
            headers = headers.insert(Header { key: h.key, value: h.value });
        }
    }
    headers
        .insert(Header { key: "dlt.original.topic", value: Some(m.topic()) })
        .insert(Header { key: "dlt.original.partition", value: Some(partition.as_str()) })
        .insert(Header { key: "dlt.original.offset", value: Some(offset.as_str()) })
        .insert(Header { key: "dlt.error", value: Some(reason) })
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

#[cfg(test)]
mod tests {
    use rdkafka::message::Timestamp;

    use super::*;

    #[test]
    fn a_dead_letter_keeps_the_original_headers_and_says_where_it_came_from_and_why() {
        let original = OwnedHeaders::new().insert(Header { key: "ce_type", value: Some("city.created") });
        let m = OwnedMessage::new(None, None, "cities".into(), Timestamp::NotAvailable, 4, 1207, Some(original));
        let headers = dead_letter_headers(&m, "city 'x' does not exist");
        let read: Vec<(String, String)> = headers
            .iter()
            .map(|h| (h.key.to_string(), String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned()))
            .collect();
        let expected = [
            ("ce_type", "city.created"),
            ("dlt.original.topic", "cities"),
            ("dlt.original.partition", "4"),
            ("dlt.original.offset", "1207"),
            ("dlt.error", "city 'x' does not exist"),
        ];
        assert_eq!(read, expected.map(|(k, v)| (k.to_string(), v.to_string())));
    }
}
