//! The Kafka client GeoLedger keeps for its whole life.

use app::domain::health::BackendCheck;
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
    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            if !self.all_down.swap(true, Ordering::Relaxed) {
                tracing::warn!("Kafka is unreachable: {reason}");
            }
        } else {
            tracing::warn!("Kafka client error: {error}: {reason}");
        }
    }
}

impl Kafka {
    /// Creates the client. librdkafka connects in the background and reconnects by
    /// itself, so this succeeds while the brokers are down; readiness tells.
    pub fn connect(brokers: &str) -> anyhow::Result<Self> {
        let all_down = Arc::new(AtomicBool::new(false));
        let producer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("client.id", "geoledger")
            // Notice a broker that went away quickly, and come back quickly.
            .set("socket.connection.setup.timeout.ms", "3000")
            .set("reconnect.backoff.ms", "100")
            .set("reconnect.backoff.max.ms", "2000")
            .create_with_context(KafkaContext { all_down: all_down.clone() })?;
        Ok(Kafka { brokers: brokers.to_string(), producer, all_down })
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

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
