//! The embedded consumer: reads the event topics, applies each event to the read
//! model, then stores its offset, and tells every browser what happened.
//!
//! One consumer per topic, in one group: a pincode waiting for its city (on the
//! other topic) never holds the city back.

use crate::config::KafkaConfig;
use crate::kafka::{Kafka, KafkaContext};
use crate::store::{ApplyError, Applied, Position, Store};
use app::domain::event::Envelope;
use app::domain::notice::{ChangeNotice, Outcome};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::FutureRecord;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

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
    pub notices: broadcast::Sender<ChangeNotice>,
    pub retry: RetryPolicy,
}

impl Materializer {
    /// Starts one consumer per event topic; they stop when `shutdown` turns true.
    pub fn spawn(self: Arc<Self>, shutdown: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        let config = &self.kafka.config;
        [config.city_topic(), config.pincode_topic()]
            .into_iter()
            .map(|topic| {
                let me = self.clone();
                let shutdown = shutdown.clone();
                tokio::spawn(async move { me.run(topic, shutdown).await })
            })
            .collect()
    }

    fn consumer(&self, config: &KafkaConfig) -> Result<StreamConsumer<KafkaContext>, rdkafka::error::KafkaError> {
        Kafka::client_config(&self.kafka.brokers)
            .set("group.id", config.group())
            .set("enable.auto.commit", "true")
            .set("auto.commit.interval.ms", "1000")
            // An offset is stored by hand, after the event's write to MongoDB.
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "1000")
            .create_with_context(self.kafka.context())
    }

    async fn run(&self, topic: String, mut shutdown: watch::Receiver<bool>) {
        let consumer = match self.consumer(&self.kafka.config) {
            Ok(c) => c,
            Err(e) => return tracing::error!("cannot create the consumer for {topic}: {e}"),
        };
        if let Err(e) = consumer.subscribe(&[&topic]) {
            return tracing::error!("cannot subscribe to {topic}: {e}");
        }
        tracing::info!("materializer consuming {topic}");
        loop {
            let message = tokio::select! {
                _ = shutdown.changed() => break,
                m = consumer.recv() => m,
            };
            match message {
                Ok(m) => {
                    if !self.handle(&m, &mut shutdown).await {
                        break;
                    }
                    if let Err(e) = consumer.store_offset_from_message(&m) {
                        tracing::warn!("cannot store the offset of {}/{}@{}: {e}", m.topic(), m.partition(), m.offset());
                    }
                }
                Err(e) => {
                    tracing::debug!("consumer of {topic}: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        // Commit what was applied before leaving, so a restart goes on from here.
        if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
            tracing::debug!("final commit for {topic}: {e}");
        }
        tracing::info!("materializer for {topic} stopped");
    }

    /// Applies (or dead-letters) one message. False when shutting down before it
    /// was handled: then its offset must not be stored.
    async fn handle(&self, m: &BorrowedMessage<'_>, shutdown: &mut watch::Receiver<bool>) -> bool {
        let pos = Position { partition: m.partition(), offset: m.offset() };
        let decoded = Envelope::decode(m.payload().unwrap_or_default()).and_then(|env| env.change().map(|c| (env, c)));
        let (event, change) = match decoded {
            Ok(ok) => ok,
            Err(reason) => return self.dead_letter(m, None, &reason, shutdown).await,
        };
        let mut attempt = 0;
        loop {
            match self.store.apply(&event, &change, pos).await {
                Ok(applied) => {
                    if applied == Applied::AlreadyApplied {
                        tracing::debug!("{} {} at {}/{}: already applied", event.event_type, event.subject, pos.partition, pos.offset);
                    }
                    let (latitude, longitude) = change.coordinates().unzip();
                    self.notify(m, &event, latitude, longitude, Outcome::Applied);
                    return true;
                }
                Err(ApplyError::CityMissing(city)) if attempt < self.retry.attempts => {
                    let wait = self.retry.backoff(attempt);
                    tracing::debug!("pincode {} waits {wait:?} for city {city}", event.subject);
                    attempt += 1;
                    if !sleep_unless_shutdown(wait, shutdown).await {
                        return false;
                    }
                }
                Err(e @ (ApplyError::CityMissing(_) | ApplyError::Rejected(_))) => {
                    return self.dead_letter(m, Some(&event), &e.to_string(), shutdown).await;
                }
                Err(ApplyError::Store(e)) => {
                    // MongoDB is away: wait and try again; never skip an event.
                    tracing::warn!("applying {} {}: {e}; retrying", event.event_type, event.subject);
                    if !sleep_unless_shutdown(Duration::from_secs(1), shutdown).await {
                        return false;
                    }
                }
            }
        }
    }

    fn notify(&self, m: &BorrowedMessage<'_>, event: &Envelope, latitude: Option<f64>, longitude: Option<f64>, outcome: Outcome) {
        // No subscriber is fine: nobody is watching.
        let _ = self.notices.send(ChangeNotice {
            event_id: event.id.clone(),
            event_type: event.event_type.clone(),
            entity_id: event.subject.clone(),
            latitude,
            longitude,
            topic: m.topic().to_string(),
            partition: m.partition(),
            offset: m.offset(),
            outcome,
        });
    }

    /// Copies the message, bytes unchanged, to the dead-letter topic with headers
    /// saying where it came from and why it failed. Retries until the broker takes
    /// it: a message is never dropped.
    async fn dead_letter(&self, m: &BorrowedMessage<'_>, event: Option<&Envelope>, reason: &str, shutdown: &mut watch::Receiver<bool>) -> bool {
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
                        return false;
                    }
                }
            }
        }
        let unknown = Envelope {
            specversion: String::new(),
            id: String::new(),
            source: String::new(),
            event_type: String::new(),
            subject: m.key().map(|k| String::from_utf8_lossy(k).into_owned()).unwrap_or_default(),
            time: String::new(),
            datacontenttype: String::new(),
            dataschema: String::new(),
            actor: String::new(),
            data: serde_json::Value::Null,
        };
        self.notify(m, event.unwrap_or(&unknown), None, None, Outcome::Failed { reason: reason.to_string() });
        true
    }
}

/// Sleeps, or returns false at once when the server is shutting down.
async fn sleep_unless_shutdown(wait: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(wait) => true,
        _ = shutdown.changed() => false,
    }
}
