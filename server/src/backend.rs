//! Everything the server holds for its life: configuration, backend clients,
//! the read model, and the channel of change notices.

use crate::auth::{MongoSessionStore, Users};
use crate::materializer::{Materializer, RetryPolicy};
use crate::store::Store;
use crate::tokens::Tokens;
use crate::{config::Config, kafka::Kafka, mongo::Mongo};
use crate::service::{Actor, ServiceError};
use crate::store::CityQuery;
use app::api::{CityCommand, MapConfig, PincodeCommand};
use app::domain::pincode::{PincodeListQuery, PincodePage};
use app::domain::city::{CityListQuery, CityPage};
use app::domain::health::Readiness;
use app::domain::history::CityDetails;
use app::domain::state::State;
use app::domain::validation::ValidationErrors;
use app::domain::write::{Refusal, WriteResult};
use std::collections::HashMap;
use app::domain::notice::ChangeNotice;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

pub struct Backend {
    pub config: Config,
    pub kafka: Arc<Kafka>,
    pub mongo: Mongo,
    pub store: Store,
    pub tokens: Tokens,
    pub users: Users,
    pub sessions: MongoSessionStore,
    /// Every change the materializer handled, for the live stream.
    pub notices: broadcast::Sender<ChangeNotice>,
}

impl Backend {
    pub async fn connect(config: &Config) -> anyhow::Result<Arc<Self>> {
        let kafka = Arc::new(Kafka::connect(&config.kafka_brokers, &config.kafka)?);
        let mongo = Mongo::connect(&config.mongodb_uri).await?;
        let store = Store::new(&mongo.db);
        let tokens = Tokens::new(&mongo.db);
        let users = Users::new(&mongo.db);
        let sessions = MongoSessionStore::new(&mongo.db);
        let (notices, _) = broadcast::channel(4096);
        Ok(Arc::new(Backend { config: config.clone(), kafka, mongo, store, tokens, users, sessions, notices }))
    }

    /// Creates the topics, and the indexes and first admin (each side retrying
    /// while its backend is away, neither waiting for the other), then runs the
    /// materializer until `shutdown`.
    pub fn start(self: &Arc<Self>, shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mongo = retry("indexes and the first admin", shutdown.clone(), || async {
                me.store.ensure_indexes().await?;
                me.tokens.ensure_indexes().await?;
                me.sessions.ensure_indexes().await?;
                let (email, password) = (me.config.admin_email.as_deref(), me.config.admin_password.as_deref());
                me.users.bootstrap(email, password).await?;
                Ok::<_, anyhow::Error>(())
            });
            let kafka = retry("topics", shutdown.clone(), || async { me.kafka.ensure_topics().await.map_err(anyhow::Error::msg) });
            let (mongo, kafka) = tokio::join!(mongo, kafka);
            if !(mongo && kafka) {
                return;
            }
            let materializer = Arc::new(Materializer {
                kafka: me.kafka.clone(),
                store: me.store.clone(),
                notices: me.notices.clone(),
                retry: RetryPolicy {
                    attempts: me.config.city_wait_retries,
                    first_backoff: Duration::from_millis(me.config.city_wait_backoff_ms),
                    max_backoff: Duration::from_secs(5),
                },
            });
            let _ = materializer.spawn(shutdown).await;
        })
    }
}

/// Runs `step` until it succeeds (true), waiting longer after each failure, or
/// until shutdown (false).
async fn retry<F, Fut>(what: &str, mut shutdown: watch::Receiver<bool>, step: F) -> bool
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut wait = Duration::from_millis(250);
    loop {
        match step().await {
            Ok(()) => return true,
            Err(e) => tracing::warn!("setting up {what}: {e:#}; retrying in {wait:?}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return false,
        }
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// A form's text as the loose record the domain rules read.
fn text_record(fields: HashMap<String, String>) -> serde_json::Map<String, serde_json::Value> {
    fields.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect()
}

/// What the UI's server functions may call.
impl app::api::Backend for Backend {
    fn readiness(&self) -> Pin<Box<dyn Future<Output = Readiness> + Send + '_>> {
        Box::pin(crate::health::readiness(self))
    }

    fn list_cities(&self, q: CityListQuery) -> Pin<Box<dyn Future<Output = Result<CityPage, Refusal>> + Send + '_>> {
        Box::pin(async move {
            let state = match q.state.trim() {
                "" => None,
                s => Some(State::parse(s).map_err(|m| Refusal::Invalid(ValidationErrors::single("state", m)))?.name.to_string()),
            };
            let limit = q.limit.clamp(1, app::domain::city::MAX_PAGE);
            let query = CityQuery { state, name_prefix: Some(q.q), bbox: q.bbox, include_deleted: q.include_deleted, cursor: q.cursor, limit };
            let cities = self.store.list_cities(&query).await.map_err(ServiceError::from)?;
            Ok(CityPage::of(cities, limit))
        })
    }

    fn city_command(&self, actor: String, command: CityCommand, fields: HashMap<String, String>) -> Pin<Box<dyn Future<Output = WriteResult> + Send + '_>> {
        Box::pin(async move {
            let actor = Actor::admin(actor);
            let record = text_record(fields);
            let result = match command {
                CityCommand::Create => self.create_city(&actor, &record).await,
                CityCommand::Update { name, state } => self.update_city(&actor, &name, &state, &record).await,
                CityCommand::Delete { name, state } => self.delete_city(&actor, &name, &state).await,
                CityCommand::Restore { name, state } => self.restore_city(&actor, &name, &state).await,
            };
            result.map_err(Refusal::from)
        })
    }

    fn list_pincodes(&self, q: PincodeListQuery) -> Pin<Box<dyn Future<Output = Result<PincodePage, Refusal>> + Send + '_>> {
        Box::pin(async move {
            let limit = q.limit.clamp(1, app::domain::pincode::MAX_PAGE);
            let pincodes = self
                .store
                .list_pincodes(q.q.trim(), q.bbox, q.cursor.as_deref(), limit)
                .await
                .map_err(|e| Refusal::from(ServiceError::from(e)))?;
            Ok(PincodePage::of(pincodes, limit))
        })
    }

    fn pincode_command(&self, actor: String, command: PincodeCommand, fields: HashMap<String, String>) -> Pin<Box<dyn Future<Output = WriteResult> + Send + '_>> {
        Box::pin(async move {
            let actor = Actor::admin(actor);
            let record = text_record(fields);
            let result = match command {
                PincodeCommand::Upsert => self.upsert_pincode(&actor, &record).await,
                PincodeCommand::Delete { code } => self.delete_pincode(&actor, &code).await,
            };
            result.map_err(Refusal::from)
        })
    }

    fn city_details(&self, id: String) -> Pin<Box<dyn Future<Output = Result<Option<CityDetails>, Refusal>> + Send + '_>> {
        Box::pin(async move {
            let unavailable = |e: mongodb::error::Error| Refusal::from(ServiceError::from(e));
            let Some(city) = self.store.city_by_id(&id).await.map_err(unavailable)? else { return Ok(None) };
            let pincodes = self.store.pincodes_of(&id).await.map_err(unavailable)?;
            let history = self.store.history_of(&id, 200).await.map_err(unavailable)?;
            Ok(Some(CityDetails { city, pincodes, history }))
        })
    }

    fn map_config(&self) -> MapConfig {
        MapConfig { tile_url: self.config.tile_url.clone(), attribution: self.config.tile_attribution.clone() }
    }

    fn verify_login<'a>(&'a self, email: &'a str, password: &'a str) -> Pin<Box<dyn Future<Output = Result<Option<String>, String>> + Send + 'a>> {
        Box::pin(async move { self.users.verify(email, password).await.map_err(|e| e.to_string()) })
    }
}
