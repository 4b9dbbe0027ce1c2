//! The Kafka client GeoLedger keeps for its whole life: the producer every
//! write goes through, topic set-up, and the cluster check behind readiness.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use app::domain::event::{Envelope, Stream};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError as ClientError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;

use super::renewal::Renewal;
use crate::config::KafkaConfig;
use crate::telemetry::metrics;

/// What went wrong with Kafka, in words an admin can act on.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    /// The write was not acknowledged within the publish timeout.
    #[error("Kafka did not accept the change in time (is the broker running?)")]
    TimedOut,
    #[error("Kafka is unreachable")]
    Unreachable,
    #[error("Kafka refused the change: {0}")]
    Refused(ClientError),
    #[error("the event could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
    /// A client (admin, consumer) could not be created or set up.
    #[error("Kafka client: {0}")]
    Client(#[from] ClientError),
    #[error("cannot create topic {topic}: {code}")]
    CreateTopic { topic: String, code: RDKafkaErrorCode },
    #[error("cluster metadata not fetched: {0}")]
    Metadata(ClientError),
    /// The brokers would not let GeoLedger in: its SASL credentials or TLS
    /// settings are wrong (librdkafka's own words).
    #[error("Kafka refused GeoLedger's connection: {0}")]
    SignInRefused(String),
}

impl KafkaError {
    /// Why a write was not delivered.
    fn undelivered(e: ClientError) -> Self {
        match e.rdkafka_error_code() {
            Some(RDKafkaErrorCode::MessageTimedOut) => KafkaError::TimedOut,
            Some(RDKafkaErrorCode::AllBrokersDown | RDKafkaErrorCode::BrokerTransportFailure) => {
                KafkaError::Unreachable
            }
            _ => KafkaError::Refused(e),
        }
    }
}

/// What the cluster check saw.
pub struct ClusterSummary {
    pub brokers: usize,
    /// Topics other than Kafka's own (`__consumer_offsets`, …).
    pub topics: usize,
}

pub struct Kafka {
    pub brokers: String,
    pub config: KafkaConfig,
    /// Every write's producer; made anew when it stops delivering (`renewal`).
    producer: RwLock<FutureProducer<KafkaContext>>,
    renewal: Renewal,
    /// Shared with every client's context.
    reach: Arc<Reach>,
}

/// What the clients saw of the cluster: whether every broker is away, and
/// why the last refused connection was refused (cleared once metadata is read).
#[derive(Default)]
struct Reach {
    all_down: AtomicBool,
    refused: Mutex<Option<String>>,
}

/// Reports the cluster going away once, and coming back once, instead of
/// librdkafka's error every few hundred milliseconds while it is away; keeps
/// why a connection was refused, for readiness to say.
pub struct KafkaContext {
    reach: Arc<Reach>,
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

    fn error(&self, error: ClientError, reason: &str) {
        match error.rdkafka_error_code() {
            Some(
                RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SaslAuthenticationFailed | RDKafkaErrorCode::SSL,
            ) => {
                let first = self.reach.refused.lock().unwrap_or_else(|e| e.into_inner()).replace(reason.to_string());
                if first.is_none() {
                    tracing::warn!(%reason, "Kafka refused the connection");
                }
            }
            Some(RDKafkaErrorCode::AllBrokersDown) => {
                if !self.reach.all_down.swap(true, Ordering::Relaxed) {
                    tracing::warn!(%reason, "Kafka is unreachable");
                }
            }
            // One broker connection failing; AllBrokersDown follows if it was the last.
            Some(RDKafkaErrorCode::BrokerTransportFailure) => tracing::debug!(%reason, "Kafka connection failed"),
            _ => tracing::warn!(%error, %reason, "Kafka client error"),
        }
    }
}

impl rdkafka::consumer::ConsumerContext for KafkaContext {}

impl Kafka {
    /// A context for another client of this cluster, sharing the reachability flag.
    pub fn context(&self) -> KafkaContext {
        KafkaContext { reach: self.reach.clone() }
    }

    /// The settings every GeoLedger client of this cluster shares.
    pub fn client_config(&self) -> ClientConfig {
        Self::settings(&self.brokers, &self.config)
    }

    /// The settings every GeoLedger consumer shares: the client's, and a bounded
    /// read-ahead. By default librdkafka keeps up to 100,000 fetched messages or
    /// 64 MB per consumer, decompressed: 140 MB of the server's 212 MB heap at
    /// its peak while it applied a 100,000-city import (measured with heaptrack).
    /// 8 MB still holds some 13,000 events, a dozen rounds of the materializer.
    pub fn consumer_config(&self) -> ClientConfig {
        let mut c = self.client_config();
        c.set("queued.max.messages.kbytes", "8192")
            .set("queued.min.messages", "10000")
            .set("fetch.max.bytes", "4194304");
        c
    }

    /// The brokers, how to reach them (TLS, SASL), and how to notice they went.
    fn settings(brokers: &str, config: &KafkaConfig) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", brokers)
            .set("client.id", "geoledger")
            // Notice a broker that went away quickly, and come back quickly.
            .set("socket.connection.setup.timeout.ms", "3000")
            .set("reconnect.backoff.ms", "100")
            .set("reconnect.backoff.max.ms", "2000");
        for (key, value) in config.security.properties() {
            c.set(key, value);
        }
        if let Some(contexts) = &config.kafka_debug {
            c.set("debug", contexts);
        }
        c
    }

    /// Creates the producer. librdkafka connects in the background and reconnects
    /// by itself, so this succeeds while the brokers are down; readiness tells.
    pub fn connect(brokers: &str, config: &KafkaConfig) -> Result<Self, KafkaError> {
        let reach = Arc::new(Reach::default());
        let producer = Self::new_producer(brokers, config, &reach)?;
        Ok(Kafka {
            brokers: brokers.to_string(),
            config: config.clone(),
            producer: RwLock::new(producer),
            renewal: Renewal::new(Instant::now()),
            reach,
        })
    }

    fn new_producer(
        brokers: &str,
        config: &KafkaConfig,
        reach: &Arc<Reach>,
    ) -> Result<FutureProducer<KafkaContext>, KafkaError> {
        Ok(Self::settings(brokers, config)
            // Each write is acknowledged by every in-sync replica, once and in order.
            .set("enable.idempotence", "true")
            .set("acks", "all")
            // A write the cluster cannot take within this time fails; it is not kept.
            .set("message.timeout.ms", config.publish_timeout_ms.to_string())
            .set("linger.ms", "5")
            .set("compression.type", "lz4")
            .create_with_context(KafkaContext { reach: reach.clone() })?)
    }

    /// The producer writes go through now.
    pub fn producer(&self) -> FutureProducer<KafkaContext> {
        self.producer.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A write timed out: when the producer has delivered nothing for two
    /// publish timeouts, a new one takes the next writes (`renewal`).
    fn timed_out(&self) {
        if !self.renewal.timed_out(Instant::now(), self.config.publish_timeout()) {
            return;
        }
        match Self::new_producer(&self.brokers, &self.config, &self.reach) {
            Ok(fresh) => {
                *self.producer.write().unwrap_or_else(|e| e.into_inner()) = fresh;
                metrics::producer_renewed();
                tracing::warn!(
                    quiet_secs = self.config.publish_timeout().as_secs() * 2,
                    "the producer delivered nothing while writes timed out: a new one takes the next writes"
                );
            }
            Err(e) => tracing::error!(error = %e, "cannot make a new producer; keeping the old one"),
        }
    }

    /// Creates GeoLedger's topics where missing (partitions and replication from
    /// the configuration), keeping every event forever: the log is the system of
    /// record. With three replicas or more, a write needs two in sync. Topics
    /// that exist are left as they are (readiness reports one that deletes).
    pub async fn ensure_topics(&self) -> Result<(), KafkaError> {
        let admin: AdminClient<KafkaContext> = self.client_config().create_with_context(self.context())?;
        let names = [self.config.city_topic(), self.config.pincode_topic(), self.config.dead_letter_topic()];
        let in_sync = if self.config.replication >= 3 { "2" } else { "1" };
        let mut topics: Vec<NewTopic> = names
            .iter()
            .map(|n| {
                NewTopic::new(n, self.config.partitions, TopicReplication::Fixed(self.config.replication))
                    .set("retention.ms", "-1")
                    .set("retention.bytes", "-1")
                    .set("min.insync.replicas", in_sync)
            })
            .collect();
        // The instances' notices to each other: one partition, kept an hour.
        let notices = self.config.notices_topic();
        topics.push(
            NewTopic::new(&notices, 1, TopicReplication::Fixed(self.config.replication))
                .set("retention.ms", "3600000")
                .set("min.insync.replicas", in_sync),
        );
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        for result in admin.create_topics(&topics, &options).await? {
            match result {
                Ok(name) => tracing::info!(topic = %name, "created a topic"),
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((topic, code)) => return Err(KafkaError::CreateTopic { topic, code }),
            }
        }
        Ok(())
    }

    /// Each event topic's `retention.ms`, as the cluster has it (None: not read).
    pub async fn event_topic_retention(&self, timeout: Duration) -> Result<Vec<(String, Option<String>)>, KafkaError> {
        let admin: AdminClient<KafkaContext> = self.client_config().create_with_context(self.context())?;
        let names = [self.config.city_topic(), self.config.pincode_topic()];
        let specs: Vec<ResourceSpecifier> = names.iter().map(|n| ResourceSpecifier::Topic(n)).collect();
        let options = AdminOptions::new().request_timeout(Some(timeout));
        let results = admin.describe_configs(&specs, &options).await?;
        Ok(names
            .iter()
            .zip(results)
            .map(|(name, r)| {
                let ms = r.ok().and_then(|c| c.get("retention.ms").and_then(|e| e.value.clone()));
                (name.clone(), ms)
            })
            .collect())
    }

    /// Delivers what the producer still holds, waiting at most `timeout`
    /// (blocking: call it off the async runtime).
    pub fn flush(&self, timeout: Duration) {
        if let Err(e) = self.producer().flush(timeout) {
            tracing::warn!(error = %e, "messages not delivered before stopping");
        }
    }

    /// The topic a stream of events goes to.
    pub fn topic(&self, stream: Stream) -> String {
        match stream {
            Stream::City => self.config.city_topic(),
            Stream::Pincode => self.config.pincode_topic(),
        }
    }

    /// Publishes one event, keyed by its subject, and waits for the broker's
    /// acknowledgement: where it landed (partition, offset), or why it could not.
    pub async fn publish(&self, topic: &str, event: &Envelope) -> Result<(i32, i64), KafkaError> {
        let payload = serde_json::to_vec(event)?;
        let headers = OwnedHeaders::new()
            .insert(Header { key: "ce_specversion", value: Some(event.specversion.as_str()) })
            .insert(Header { key: "ce_id", value: Some(event.id.as_str()) })
            .insert(Header { key: "ce_type", value: Some(event.event_type.as_str()) })
            .insert(Header { key: "ce_source", value: Some(event.source.as_str()) })
            .insert(Header { key: "content-type", value: Some("application/cloudevents+json") });
        let headers = match &event.importjob {
            Some(job) => headers.insert(Header { key: "ce_importjob", value: Some(job.as_str()) }),
            None => headers,
        };
        let headers = match &event.reverts {
            Some(id) => headers.insert(Header { key: "ce_reverts", value: Some(id.as_str()) }),
            None => headers,
        };
        let landed = self.send(topic, Some(event.subject.as_bytes()), Some(&payload), headers).await?;
        metrics::event_published(&event.event_type);
        Ok(landed)
    }

    /// Sends one message as it is given (a dead letter going back to its
    /// topic), keyed so it lands where its key's events land, and waits for the
    /// broker's acknowledgement: where it landed, or why it could not.
    pub async fn send(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        payload: Option<&[u8]>,
        headers: OwnedHeaders,
    ) -> Result<(i32, i64), KafkaError> {
        let mut record: FutureRecord<[u8], [u8]> = FutureRecord::to(topic).headers(headers);
        record.key = key;
        record.payload = payload;
        let limit = self.config.publish_timeout();
        // librdkafka gives up after message.timeout.ms; the outer limit only guards
        // against a send that never even gets queued.
        let producer = self.producer();
        let sent = match tokio::time::timeout(limit + Duration::from_secs(2), producer.send(record, limit)).await {
            Ok(Ok(delivery)) => Ok((delivery.partition, delivery.offset)),
            Ok(Err((e, _))) => Err(KafkaError::undelivered(e)),
            Err(_) => Err(KafkaError::TimedOut),
        };
        match &sent {
            Ok(_) => self.renewal.delivered(Instant::now()),
            Err(KafkaError::TimedOut) => self.timed_out(),
            Err(_) => {}
        }
        sent
    }

    /// Publishes many events at once (each to its topic), and waits for every
    /// acknowledgement: for each, where it landed or why it did not. Events of
    /// one key keep their order (the producer is idempotent).
    pub async fn publish_many(&self, events: &[(String, Envelope)]) -> Vec<Result<(i32, i64), KafkaError>> {
        futures::future::join_all(events.iter().map(|(topic, event)| self.publish(topic, event))).await
    }

    /// Fetches the cluster's metadata within `timeout`: how many brokers and
    /// topics it has.
    pub async fn cluster_summary(&self, timeout: Duration) -> Result<ClusterSummary, KafkaError> {
        let producer = self.producer();
        let reach = self.reach.clone();
        let fetched = tokio::task::spawn_blocking(move || {
            let refused = || reach.refused.lock().unwrap_or_else(|e| e.into_inner());
            let metadata = all_metadata(producer.client(), timeout).map_err(|e| match refused().clone() {
                Some(reason) => KafkaError::SignInRefused(reason),
                None => e,
            })?;
            refused().take();
            if reach.all_down.swap(false, Ordering::Relaxed) {
                tracing::info!("Kafka is reachable again");
            }
            let topics = metadata.topics().iter().filter(|t| !t.name().starts_with("__")).count();
            Ok(ClusterSummary { brokers: metadata.brokers().len(), topics })
        })
        .await;
        // The blocking task ends only by returning: a join error means it was cancelled.
        fetched.unwrap_or(Err(KafkaError::Metadata(ClientError::Canceled)))
    }
}

/// The metadata of every topic (see [`settled`]). Blocking.
pub fn all_metadata<C: ClientContext>(
    client: &rdkafka::client::Client<C>,
    timeout: Duration,
) -> Result<rdkafka::metadata::Metadata, KafkaError> {
    settled(|| client.fetch_metadata(None, timeout)).map_err(KafkaError::Metadata)
}

/// Runs a metadata read again, up to 5 times 100 ms apart, while the broker
/// answers that a topic or partition is unknown, has no leader, or is led by
/// another broker than asked: it does for a moment while a topic is being
/// created or deleted (seen under parallel tests, which create topics all the
/// time: "NotLeaderForPartition" failed `/kafka/cluster` just after a topic
/// was made, one clean CI run in three). Blocking.
pub fn settled<T>(mut read: impl FnMut() -> Result<T, ClientError>) -> Result<T, ClientError> {
    let mut tries = 0;
    loop {
        match read() {
            Err(ClientError::MetadataFetch(
                RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::LeaderNotAvailable
                | RDKafkaErrorCode::NotLeaderForPartition,
            )) if tries < 5 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            done => return done,
        }
    }
}
