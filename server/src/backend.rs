//! Everything the server holds for its life: configuration and backend clients.

use crate::{config::Config, kafka::Kafka, mongo::Mongo};
use app::domain::health::Readiness;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub struct Backend {
    pub config: Config,
    pub kafka: Kafka,
    pub mongo: Mongo,
}

impl Backend {
    pub async fn connect(config: &Config) -> anyhow::Result<Arc<Self>> {
        let kafka = Kafka::connect(&config.kafka_brokers, &config.kafka)?;
        let mongo = Mongo::connect(&config.mongodb_uri).await?;
        Ok(Arc::new(Backend { config: config.clone(), kafka, mongo }))
    }
}

/// What the UI's server functions may call.
impl app::api::Backend for Backend {
    fn readiness(&self) -> Pin<Box<dyn Future<Output = Readiness> + Send + '_>> {
        Box::pin(crate::health::readiness(self))
    }
}
