//! Configuration: every setting comes from a `GEOLEDGER_*` environment variable
//! (or the matching `geoledger serve --flag`), with defaults that work against the
//! local services of `scripts/services`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// Address the web server listens on.
    #[arg(long, env = "GEOLEDGER_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Kafka bootstrap servers, comma-separated.
    #[arg(long, env = "GEOLEDGER_KAFKA_BROKERS", default_value = "127.0.0.1:9092")]
    pub kafka_brokers: String,

    /// MongoDB connection string; its path names the database.
    #[arg(long, env = "GEOLEDGER_MONGODB_URI", default_value = "mongodb://127.0.0.1:27017/geoledger")]
    pub mongodb_uri: String,

    /// The folder with the built browser bundle (pkg/) and public files. cargo-leptos
    /// sets LEPTOS_SITE_ROOT when it serves.
    #[arg(long, env = "GEOLEDGER_SITE_ROOT")]
    pub site_root: Option<PathBuf>,

    /// How long one readiness check of one backend may take, in milliseconds.
    #[arg(long, env = "GEOLEDGER_HEALTH_TIMEOUT_MS", default_value_t = 2000)]
    pub health_timeout_ms: u64,
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
