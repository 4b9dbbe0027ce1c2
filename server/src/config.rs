//! Configuration: every setting comes from a `GEOLEDGER_*` environment variable
//! (or the matching `geoledger serve --flag`), with defaults that work against the
//! local services of `scripts/services`.
//!
//! It holds credentials (the MongoDB URI, passwords), so it has no debug form
//! that could print them, and `--help` shows no value of theirs
//! (`hide_env_values`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, clap::Args)]
pub struct Config {
    /// Address the web server listens on.
    #[arg(long, env = "GEOLEDGER_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Kafka bootstrap servers, comma-separated.
    #[arg(long, env = "GEOLEDGER_KAFKA_BROKERS", default_value = "127.0.0.1:9092")]
    pub kafka_brokers: String,

    /// MongoDB connection string; its path names the database. (Its value is
    /// never printed: it may hold a password.)
    #[arg(
        long,
        env = "GEOLEDGER_MONGODB_URI",
        default_value = "mongodb://127.0.0.1:27017/geoledger",
        hide_env_values = true
    )]
    pub mongodb_uri: String,

    /// The folder with the built browser bundle (pkg/) and public files. cargo-leptos
    /// sets LEPTOS_SITE_ROOT when it serves.
    #[arg(long, env = "GEOLEDGER_SITE_ROOT")]
    pub site_root: Option<PathBuf>,

    /// How long one readiness check of one backend may take, in milliseconds.
    #[arg(long, env = "GEOLEDGER_HEALTH_TIMEOUT_MS", default_value_t = 2000)]
    pub health_timeout_ms: u64,

    /// How many times the materializer retries a pincode whose city is not there
    /// yet, before dead-lettering it.
    #[arg(long, env = "GEOLEDGER_CITY_WAIT_RETRIES", default_value_t = 8)]
    pub city_wait_retries: u32,

    /// The first wait between those retries, in milliseconds; it doubles, up to 5 s.
    #[arg(long, env = "GEOLEDGER_CITY_WAIT_BACKOFF_MS", default_value_t = 100)]
    pub city_wait_backoff_ms: u64,

    /// The first admin, created on first start when there is no user yet.
    #[arg(long, env = "GEOLEDGER_ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    #[arg(long, env = "GEOLEDGER_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Mark the session cookie Secure (set it when GeoLedger is served over https).
    #[arg(long, env = "GEOLEDGER_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// The map's tile URL template; empty for a map without tiles (offline).
    #[arg(long, env = "GEOLEDGER_TILE_URL", default_value = "https://tile.openstreetmap.org/{z}/{x}/{y}.png")]
    pub tile_url: String,

    /// The attribution the tile provider asks for.
    #[arg(
        long,
        env = "GEOLEDGER_TILE_ATTRIBUTION",
        default_value = "&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a> contributors"
    )]
    pub tile_attribution: String,

    #[command(flatten)]
    pub kafka: KafkaConfig,

    #[command(flatten)]
    pub import: ImportConfig,

    #[command(flatten)]
    pub lag: LagConfig,

    #[command(flatten)]
    pub limits: LimitsConfig,

    #[command(flatten)]
    pub quality: QualityConfig,
}

/// The data quality rules' settings (docs/quality.md).
#[derive(Clone, clap::Args)]
pub struct QualityConfig {
    /// A pincode farther than this from its city's point is a finding, in km.
    #[arg(long, env = "GEOLEDGER_QUALITY_PINCODE_KM", default_value_t = 50.0)]
    pub quality_pincode_km: f64,

    /// The states' boundaries, for the rule city_outside_state: the GeoJSON
    /// scripts/fetch-data writes (india-states.geojson). Unset: the rule is not checked.
    #[arg(long, env = "GEOLEDGER_BOUNDARIES")]
    pub boundaries: Option<PathBuf>,

    /// Rules not to evaluate, by id, comma-separated (a rule the data cannot
    /// meet yet, such as city_without_pincodes before the pincodes are loaded).
    #[arg(long, env = "GEOLEDGER_QUALITY_OFF", value_delimiter = ',')]
    pub quality_off: Vec<String>,
}

/// What one client may ask of the server (docs/operations.md, "Security settings").
#[derive(Clone, clap::Args)]
pub struct LimitsConfig {
    /// Sign-in attempts one address may make a minute (all at once, then one
    /// every 60/N seconds); past them the answer is 429 with Retry-After.
    #[arg(long, env = "GEOLEDGER_LOGIN_PER_ADDRESS", default_value_t = 20)]
    pub login_per_address: u32,

    /// Sign-in attempts one account may receive a minute, from any address.
    #[arg(long, env = "GEOLEDGER_LOGIN_PER_ACCOUNT", default_value_t = 5)]
    pub login_per_account: u32,

    /// The largest JSON body the REST API takes, in bytes (a bigger batch is
    /// a file to import); past it the answer is 413.
    #[arg(long, env = "GEOLEDGER_JSON_MAX_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub json_max_bytes: usize,

    /// The most rows one JSON bulk request may carry (`cities/bulk`,
    /// `pincodes/bulk`); past it the answer is 413.
    #[arg(long, env = "GEOLEDGER_BULK_MAX_ROWS", default_value_t = 5000)]
    pub bulk_max_rows: usize,

    /// How long a browser session lasts after signing in, in seconds, however
    /// active (it also ends after 12 idle hours).
    #[arg(long, env = "GEOLEDGER_SESSION_MAX_SECS", default_value_t = 24 * 3600)]
    pub session_max_secs: u64,

    /// Live streams (`/api/v1/stream`) one session or one token may hold open at once.
    #[arg(long, env = "GEOLEDGER_STREAMS_PER_HOLDER", default_value_t = 8)]
    pub streams_per_holder: usize,

    /// How often an open live stream checks that its session is still signed
    /// in and its token not revoked, in seconds; it ends when not.
    #[arg(long, env = "GEOLEDGER_STREAM_RECHECK_SECS", default_value_t = 10)]
    pub stream_recheck_secs: u64,

    /// The request header holding the client's address as the proxy in front
    /// of GeoLedger saw it (`x-forwarded-for`: its last entry; `x-real-ip`).
    /// Unset: the connection's own address, which behind a proxy is the proxy's.
    #[arg(long, env = "GEOLEDGER_CLIENT_ADDRESS_HEADER")]
    pub client_address_header: Option<String>,

    /// Password hashes (argon2: ~19 MiB and tens of milliseconds each) run at
    /// once, on threads of their own; more sign-ins wait their turn.
    #[arg(long, env = "GEOLEDGER_PASSWORD_HASHES_AT_ONCE", default_value_t = 2)]
    pub password_hashes_at_once: usize,
}

/// The lag history and its alert.
#[derive(Clone, clap::Args)]
pub struct LagConfig {
    /// How often every group reading GeoLedger's topics has its lag sampled, in seconds.
    #[arg(long, env = "GEOLEDGER_LAG_SAMPLE_SECS", default_value_t = 5)]
    pub lag_sample_secs: u64,

    /// A banner on every page when the materializer's lag stays over this many events…
    #[arg(long, env = "GEOLEDGER_LAG_ALERT", default_value_t = 1000, allow_negative_numbers = true)]
    pub lag_alert: i64,

    /// …for this many seconds.
    #[arg(long, env = "GEOLEDGER_LAG_ALERT_SECS", default_value_t = 60)]
    pub lag_alert_secs: u64,
}

/// Bulk imports.
#[derive(Clone, clap::Args)]
pub struct ImportConfig {
    /// The largest file an import takes, in bytes; past it the answer is 413.
    #[arg(long, env = "GEOLEDGER_IMPORT_MAX_BYTES", default_value_t = 200 * 1024 * 1024)]
    pub import_max_bytes: u64,

    /// Where uploads wait while they are imported (the system's temporary folder when unset).
    #[arg(long, env = "GEOLEDGER_IMPORT_DIR")]
    pub import_dir: Option<PathBuf>,

    /// Rows read, looked up in the read model and published at a time.
    #[arg(long, env = "GEOLEDGER_IMPORT_BATCH", default_value_t = 1000)]
    pub import_batch: usize,

    /// At most this many of an import's events wait to be applied: publishing
    /// holds until the materializer catches up, so a change an admin makes
    /// meanwhile waits behind no more than these. 0: no limit.
    #[arg(long, env = "GEOLEDGER_IMPORT_AHEAD", default_value_t = 3000)]
    pub import_ahead: u64,

    /// How often a running import says it is alive, in milliseconds; after six
    /// silent beats its job shows as interrupted.
    #[arg(long, env = "GEOLEDGER_IMPORT_HEARTBEAT_MS", default_value_t = 5000)]
    pub import_heartbeat_ms: u64,
}

/// Topics, partitions and the consumer group.
#[derive(Clone, clap::Args)]
pub struct KafkaConfig {
    /// Put before every topic name and the consumer group (lets tests and
    /// environments share a cluster).
    #[arg(long, env = "GEOLEDGER_TOPIC_PREFIX", default_value = "")]
    pub topic_prefix: String,

    /// Partitions of each topic GeoLedger creates.
    #[arg(long, env = "GEOLEDGER_TOPIC_PARTITIONS", default_value_t = 6)]
    pub partitions: i32,

    /// Replication factor of each topic GeoLedger creates.
    #[arg(long, env = "GEOLEDGER_TOPIC_REPLICATION", default_value_t = 1)]
    pub replication: i32,

    /// The consumer group of the embedded materializer (after the prefix).
    #[arg(long, env = "GEOLEDGER_CONSUMER_GROUP", default_value = "geoledger-materializer")]
    pub consumer_group: String,

    /// How long a write waits for the broker to confirm it, in milliseconds.
    /// Keep it well above the brokers' slowest acknowledgement: a write timed
    /// out in flight closes librdkafka's connection to the broker.
    #[arg(long, env = "GEOLEDGER_PUBLISH_TIMEOUT_MS", default_value_t = 10_000)]
    pub publish_timeout_ms: u64,

    /// How many times a dead letter may be sent back to its topic; past it a
    /// redrive is refused.
    #[arg(long, env = "GEOLEDGER_DLT_MAX_REDRIVES", default_value_t = 3)]
    pub dlt_max_redrives: u32,

    /// The materializer's watchdog: with events waiting on its partitions and
    /// nothing applied (nor retried, nor waited for MongoDB) for this many
    /// seconds, its consumer is rebuilt and rejoins the group.
    #[arg(long, env = "GEOLEDGER_MATERIALIZER_STALL_SECS", default_value_t = 60)]
    pub materializer_stall_secs: u64,

    /// librdkafka's debug contexts for every Kafka client GeoLedger makes (for
    /// example `cgrp,consumer,fetch` for the materializer, `eos,msg` for the
    /// producer); its lines log at debug, target `librdkafka`. Unset: none.
    #[arg(long, env = "GEOLEDGER_KAFKA_DEBUG")]
    pub kafka_debug: Option<String>,

    #[command(flatten)]
    pub security: KafkaSecurity,
}

/// How GeoLedger's Kafka clients reach the brokers: in the clear, over TLS,
/// with SASL, or both (docs/operations.md, "Security settings"). Every client takes these.
#[derive(Clone, clap::Args)]
pub struct KafkaSecurity {
    /// plaintext, ssl, sasl_plaintext or sasl_ssl.
    #[arg(
        long,
        env = "GEOLEDGER_KAFKA_SECURITY_PROTOCOL",
        default_value = "plaintext",
        value_parser = ["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"],
        ignore_case = true
    )]
    pub kafka_security_protocol: String,

    /// With a sasl_ protocol: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
    #[arg(
        long,
        env = "GEOLEDGER_KAFKA_SASL_MECHANISM",
        default_value = "PLAIN",
        value_parser = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
        ignore_case = true
    )]
    pub kafka_sasl_mechanism: String,

    /// With a sasl_ protocol: the user GeoLedger signs in to Kafka as.
    #[arg(long, env = "GEOLEDGER_KAFKA_SASL_USERNAME")]
    pub kafka_sasl_username: Option<String>,

    /// With a sasl_ protocol: that user's password (never printed).
    #[arg(long, env = "GEOLEDGER_KAFKA_SASL_PASSWORD", hide_env_values = true)]
    pub kafka_sasl_password: Option<String>,

    /// With ssl or sasl_ssl: the CA certificate(s) (PEM file) the brokers'
    /// certificates are checked against; the system's when unset.
    #[arg(long, env = "GEOLEDGER_KAFKA_SSL_CA_LOCATION")]
    pub kafka_ssl_ca_location: Option<PathBuf>,

    /// For brokers that ask clients for a certificate (mutual TLS): GeoLedger's (PEM file)…
    #[arg(long, env = "GEOLEDGER_KAFKA_SSL_CERTIFICATE_LOCATION")]
    pub kafka_ssl_certificate_location: Option<PathBuf>,

    /// …its private key (PEM file)…
    #[arg(long, env = "GEOLEDGER_KAFKA_SSL_KEY_LOCATION")]
    pub kafka_ssl_key_location: Option<PathBuf>,

    /// …and the key's password, if it has one (never printed).
    #[arg(long, env = "GEOLEDGER_KAFKA_SSL_KEY_PASSWORD", hide_env_values = true)]
    pub kafka_ssl_key_password: Option<String>,
}

impl KafkaSecurity {
    /// These settings as librdkafka's properties (only those set).
    pub fn properties(&self) -> Vec<(&'static str, String)> {
        let mut set = vec![("security.protocol", self.kafka_security_protocol.to_lowercase())];
        if self.kafka_security_protocol.to_lowercase().starts_with("sasl_") {
            set.push(("sasl.mechanism", self.kafka_sasl_mechanism.to_uppercase()));
        }
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.to_string_lossy().into_owned());
        let optional = [
            ("sasl.username", self.kafka_sasl_username.clone()),
            ("sasl.password", self.kafka_sasl_password.clone()),
            ("ssl.ca.location", path(&self.kafka_ssl_ca_location)),
            ("ssl.certificate.location", path(&self.kafka_ssl_certificate_location)),
            ("ssl.key.location", path(&self.kafka_ssl_key_location)),
            ("ssl.key.password", self.kafka_ssl_key_password.clone()),
        ];
        set.extend(optional.into_iter().filter_map(|(k, v)| Some((k, v?))));
        set
    }
}

impl KafkaConfig {
    pub fn city_topic(&self) -> String {
        format!("{}city-updates", self.topic_prefix)
    }
    pub fn pincode_topic(&self) -> String {
        format!("{}pincode-updates", self.topic_prefix)
    }
    pub fn dead_letter_topic(&self) -> String {
        format!("{}location-updates.DLT", self.topic_prefix)
    }
    /// Where instances tell each other what they applied (not a record: kept an hour).
    pub fn notices_topic(&self) -> String {
        format!("{}location-updates.notices", self.topic_prefix)
    }
    pub fn group(&self) -> String {
        format!("{}{}", self.topic_prefix, self.consumer_group)
    }
    pub fn publish_timeout(&self) -> Duration {
        Duration::from_millis(self.publish_timeout_ms)
    }
    pub fn materializer_stall(&self) -> Duration {
        Duration::from_secs(self.materializer_stall_secs.max(1))
    }
}

impl Config {
    pub fn health_timeout(&self) -> Duration {
        Duration::from_millis(self.health_timeout_ms)
    }

    /// The site root: the flag or GEOLEDGER_SITE_ROOT, else LEPTOS_SITE_ROOT, else `target/site`.
    pub fn site_root(&self) -> PathBuf {
        self.site_root
            .clone()
            .or_else(|| std::env::var_os("LEPTOS_SITE_ROOT").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("target/site"))
    }
}
