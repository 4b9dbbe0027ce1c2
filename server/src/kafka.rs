//! The Kafka client GeoLedger keeps for its whole life.

use crate::config::KafkaConfig;
use app::domain::event::Envelope;
use app::domain::health::BackendCheck;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::FutureRecord;
use rdkafka::client::ClientContext;
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub struct Kafka {
    pub brokers: String,
    pub config: KafkaConfig,
    pub producer: FutureProducer<KafkaContext>,
    /// Shared with the producer's context.
    all_down: Arc<AtomicBool>,
}

/// Reports the cluster going away once, and coming back once, instead of
/// librdkafka's error every few hundred milliseconds while it is away.
pub struct KafkaContext {
    all_down: Arc<AtomicBool>,
}

impl ClientContext for KafkaContext {
    /// librdkafka's own log repeats every failed connection; what matters also
    /// reaches `error`, so its log goes to debug unless it is critical.
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical => {
                tracing::error!(target: "librdkafka", "{fac}: {message}")
            }
            _ => tracing::debug!(target: "librdkafka", "{fac}: {message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::AllBrokersDown) => {
                if !self.all_down.swap(true, Ordering::Relaxed) {
                    tracing::warn!("Kafka is unreachable: {reason}");
                }
            }
            // One broker connection failing; AllBrokersDown follows if it was the last.
            Some(RDKafkaErrorCode::BrokerTransportFailure) => tracing::debug!("Kafka connection failed: {reason}"),
            _ => tracing::warn!("Kafka client error: {error}: {reason}"),
        }
    }
}

impl Kafka {
    /// A context for another client of this cluster, sharing the reachability flag.
    pub fn context(&self) -> KafkaContext {
        KafkaContext { all_down: self.all_down.clone() }
    }

    /// The settings every GeoLedger client shares.
    pub fn client_config(brokers: &str) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", brokers)
            .set("client.id", "geoledger")
            // Notice a broker that went away quickly, and come back quickly.
            .set("socket.connection.setup.timeout.ms", "3000")
            .set("reconnect.backoff.ms", "100")
            .set("reconnect.backoff.max.ms", "2000");
        c
    }

    /// Creates the producer. librdkafka connects in the background and reconnects
    /// by itself, so this succeeds while the brokers are down; readiness tells.
    pub fn connect(brokers: &str, config: &KafkaConfig) -> anyhow::Result<Self> {
        let all_down = Arc::new(AtomicBool::new(false));
        let producer = Self::client_config(brokers)
            // Each write is acknowledged by every in-sync replica, once and in order.
            .set("enable.idempotence", "true")
            .set("acks", "all")
            // A write the cluster cannot take within this time fails; it is not kept.
            .set("message.timeout.ms", config.publish_timeout_ms.to_string())
            .set("linger.ms", "5")
            .set("compression.type", "lz4")
            .create_with_context(KafkaContext { all_down: all_down.clone() })?;
        Ok(Kafka { brokers: brokers.to_string(), config: config.clone(), producer, all_down })
    }

    /// Creates GeoLedger's topics where missing (partitions and replication from
    /// the configuration). Topics that exist are left as they are.
    pub async fn ensure_topics(&self) -> Result<(), String> {
        let admin: AdminClient<KafkaContext> = Self::client_config(&self.brokers)
            .create_with_context(self.context())
            .map_err(|e| e.to_string())?;
        let names = [self.config.city_topic(), self.config.pincode_topic(), self.config.dead_letter_topic()];
        let topics: Vec<NewTopic> = names
            .iter()
            .map(|n| NewTopic::new(n, self.config.partitions, TopicReplication::Fixed(self.config.replication)))
            .collect();
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        let results = admin.create_topics(&topics, &options).await.map_err(|e| e.to_string())?;
        for result in results {
            match result {
                Ok(name) => tracing::info!("created topic {name}"),
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((name, code)) => return Err(format!("cannot create topic {name}: {code}")),
            }
        }
        Ok(())
    }

    /// Publishes one event, keyed by its subject, and waits for the broker's
    /// acknowledgement: where it landed, or why it could not.
    pub async fn publish(&self, topic: &str, event: &Envelope) -> Result<(i32, i64), String> {
        let payload = serde_json::to_vec(event).map_err(|e| e.to_string())?;
        let headers = OwnedHeaders::new()
            .insert(Header { key: "ce_specversion", value: Some(event.specversion.as_str()) })
            .insert(Header { key: "ce_id", value: Some(event.id.as_str()) })
            .insert(Header { key: "ce_type", value: Some(event.event_type.as_str()) })
            .insert(Header { key: "ce_source", value: Some(event.source.as_str()) })
            .insert(Header { key: "content-type", value: Some("application/cloudevents+json") });
        let record = FutureRecord::to(topic).key(&event.subject).payload(&payload).headers(headers);
        let limit = self.config.publish_timeout();
        // librdkafka gives up after message.timeout.ms; the outer limit only guards
        // against a send that never even gets queued.
        match tokio::time::timeout(limit + Duration::from_secs(2), self.producer.send(record, limit)).await {
            Ok(Ok(delivery)) => Ok((delivery.partition, delivery.offset)),
            Ok(Err((e, _))) => Err(describe_kafka_error(&e)),
            Err(_) => Err(format!("the broker did not confirm the write within {} ms", limit.as_millis())),
        }
    }

    /// Fetches the cluster's metadata: ok when a broker answers within `timeout`.
    pub async fn check(&self, timeout: Duration) -> BackendCheck {
        let producer = self.producer.clone();
        let all_down = self.all_down.clone();
        crate::health::timed("kafka", &self.brokers, async move {
            tokio::task::spawn_blocking(move || {
                let metadata = producer
                    .client()
                    .fetch_metadata(None, timeout)
                    .map_err(|e| format!("cluster metadata not fetched: {e}"))?;
                if all_down.swap(false, Ordering::Relaxed) {
                    tracing::info!("Kafka is reachable again");
                }
                let brokers = metadata.brokers().len();
                let topics = metadata.topics().iter().filter(|t| !t.name().starts_with("__")).count();
                Ok(format!("{} broker{}, {} topic{}", brokers, plural(brokers), topics, plural(topics)))
            })
            .await
            .map_err(|e| format!("metadata task failed: {e}"))?
        })
        .await
    }
}

/// A Kafka error in words an admin can act on.
pub fn describe_kafka_error(e: &KafkaError) -> String {
    match e.rdkafka_error_code() {
        Some(RDKafkaErrorCode::MessageTimedOut) => {
            "Kafka did not accept the change in time (is the broker running?); nothing was saved".into()
        }
        Some(RDKafkaErrorCode::AllBrokersDown) | Some(RDKafkaErrorCode::BrokerTransportFailure) => {
            "Kafka is unreachable; nothing was saved".into()
        }
        _ => format!("Kafka refused the change: {e}; nothing was saved"),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl rdkafka::consumer::ConsumerContext for KafkaContext {}
