//! What GeoLedger tells its operators: logs (stderr) and metrics (`/metrics`).

pub mod metrics;

/// Logs to stderr; the level comes from `GEOLEDGER_LOG` (as in `RUST_LOG`), default `info`.
pub fn init() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("GEOLEDGER_LOG").unwrap_or_else(|_| EnvFilter::new("info,rdkafka=warn,mongodb=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
