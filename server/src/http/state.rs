//! The one state every handler, guard and server function shares: cheap to
//! clone (handles and `Arc`s), built once at start.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::watch;

use super::streams::LiveStreams;
use crate::auth::{LoginThrottle, MongoSessionStore, Tokens, Users};
use crate::config::Config;
use crate::export::Exporter;
use crate::import::{ImportLimits, Importer};
use crate::index::quality::Rules;
use crate::index::ReadIndex;
use crate::kafka_admin::KafkaAdmin;
use crate::pipeline::{Fanout, Kafka, Notices, Watchdog};
use crate::service::{Commands, DeadLetters, Quality, Queries};
use crate::store::{DeadLetterHandlings, ImportJobs, LagSamples, Mongo, Store};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    /// The backends.
    pub kafka: Arc<Kafka>,
    pub mongo: Mongo,
    /// The read model, as the materializer writes it.
    pub store: Store,
    /// What listings, search and the map are answered from, kept in step with the store.
    pub index: Arc<ReadIndex>,
    pub commands: Commands,
    pub queries: Queries,
    /// The data quality findings: counts, listings, acceptances.
    pub quality: Quality,
    /// This instance among the others: what it applied and accepted, told to them.
    pub fanout: Fanout,
    pub users: Users,
    /// How often an address may try to sign in, and an account be tried.
    pub login_throttle: Arc<LoginThrottle>,
    pub tokens: Tokens,
    pub sessions: MongoSessionStore,
    /// Every change the materializer handled, for the live stream.
    pub notices: Notices,
    /// The live streams open, by session or token.
    pub live_streams: Arc<LiveStreams>,
    pub importer: Importer,
    pub exporter: Exporter,
    /// What the Kafka status pages read.
    pub kafka_admin: KafkaAdmin,
    /// This instance's materializer as its watchdog sees it (readiness, the Overview).
    pub watchdog: Arc<Watchdog>,
    /// The consumer groups' lag history.
    pub lag_samples: LagSamples,
    /// The dead-letter topic's letters, and their redrive or discard.
    pub dead_letters: DeadLetters,
    /// Renders `/metrics` (None if another recorder was installed first).
    pub metrics: Option<PrometheusHandle>,
    /// Set once the server is stopping: background work and live streams end.
    pub stopping: Arc<watch::Sender<bool>>,
}

impl AppState {
    /// Creates the backends' clients (without waiting for them: readiness
    /// reports them) and everything built on them.
    pub async fn connect(config: Config) -> anyhow::Result<Self> {
        let kafka = Arc::new(Kafka::connect(&config.kafka_brokers, &config.kafka)?);
        let mongo = Mongo::connect(&config.mongodb_uri).await?;
        let store = Store::new(&mongo.db);
        let kafka_admin = KafkaAdmin::new(kafka.clone(), config.health_timeout())?;
        let index = Arc::new(ReadIndex::with_rules(Rules::of(&config.quality)));
        let queries = Queries::new(store.clone(), index.clone());
        let fanout = Fanout::new(kafka.clone());
        Ok(AppState {
            quality: Quality::new(store.clone(), index.clone(), fanout.clone()),
            fanout,
            leptos_options: leptos_options(&config),
            commands: Commands::new(kafka.clone(), store.clone(), queries.clone()),
            queries,
            index: index.clone(),
            users: Users::with_hashes_at_once(&mongo.db, config.limits.password_hashes_at_once),
            login_throttle: Arc::new(LoginThrottle::new(
                config.limits.login_per_address,
                config.limits.login_per_account,
            )),
            tokens: Tokens::new(&mongo.db),
            sessions: MongoSessionStore::new(&mongo.db, Duration::from_secs(config.limits.session_max_secs)),
            notices: Notices::new(),
            watchdog: Arc::new(Watchdog::new(config.kafka.materializer_stall())),
            live_streams: LiveStreams::new(
                config.limits.streams_per_holder,
                Duration::from_secs(config.limits.stream_recheck_secs),
            ),
            dead_letters: DeadLetters::new(kafka.clone(), kafka_admin.clone(), DeadLetterHandlings::new(&mongo.db)),
            kafka_admin,
            lag_samples: LagSamples::new(&mongo.db),
            exporter: Exporter::new(kafka.clone(), index.clone(), store.clone())?,
            importer: Importer::new(
                kafka.clone(),
                store.clone(),
                index.clone(),
                ImportJobs::new(&mongo.db),
                ImportLimits::of(&config.import),
            ),
            stopping: Arc::new(watch::channel(false).0),
            metrics: crate::telemetry::metrics::recorder(),
            config: Arc::new(config),
            kafka,
            mongo,
            store,
        })
    }
}

/// The bundle's name and layout are fixed by Cargo.toml's
/// `[workspace.metadata.leptos]`; our own configuration decides where the site
/// is and where we listen.
///
/// cargo-leptos (`hash-files = true`) names the bundle's files by their content
/// and writes the names in `hash.txt` beside the server binary; the pages then
/// link those names, which browsers may keep forever. A binary built without
/// cargo-leptos has no such file and links the plain names.
fn leptos_options(config: &Config) -> LeptosOptions {
    let reload_port = std::env::var("LEPTOS_RELOAD_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3001);
    let hashed = std::env::current_exe().is_ok_and(|exe| exe.with_file_name(HASH_FILE).exists());
    LeptosOptions::builder()
        .output_name("geoledger")
        .site_root(config.site_root().to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .reload_port(reload_port)
        .hash_files(hashed)
        .build()
}

/// The list of hashed file names: cargo-leptos's and leptos's default name.
const HASH_FILE: &str = "hash.txt";
