//! What GeoLedger tells its operators: logs (stderr) and metrics (`/metrics`).
//!
//! Logs carry their values as fields (`event_id`, `topic`, `partition`,
//! `offset`, `job`, `entity`, `error`), not only inside the message, so a log
//! shipper can filter on them: `GEOLEDGER_LOG_FORMAT=json` writes one JSON
//! object a line, its fields at the top level beside `timestamp`, `level`,
//! `target` and `message`.

pub mod metrics;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// For people: one line each, fields as `name=value`.
    Text,
    /// For log shippers: one JSON object a line.
    Json,
}

impl LogFormat {
    /// `GEOLEDGER_LOG_FORMAT`'s value: `text` (or unset) or `json`.
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value.map(str::trim).unwrap_or_default() {
            "" | "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("GEOLEDGER_LOG_FORMAT must be text or json, not {other:?}")),
        }
    }
}

/// Logs to stderr, as `GEOLEDGER_LOG_FORMAT` says; the level comes from
/// `GEOLEDGER_LOG` (as in `RUST_LOG`), default `info`.
pub fn init() -> Result<(), String> {
    use tracing_subscriber::EnvFilter;
    let format = LogFormat::parse(std::env::var("GEOLEDGER_LOG_FORMAT").ok().as_deref())?;
    let filter =
        EnvFilter::try_from_env("GEOLEDGER_LOG").unwrap_or_else(|_| EnvFilter::new("info,rdkafka=warn,mongodb=warn"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => logs.try_init(),
        LogFormat::Json => logs.json().flatten_event(true).with_current_span(false).try_init(),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_format_is_text_or_json_and_anything_else_is_named() {
        assert_eq!(LogFormat::parse(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("text")), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some(" json ")), Ok(LogFormat::Json));
        assert!(LogFormat::parse(Some("yaml")).unwrap_err().contains("GEOLEDGER_LOG_FORMAT"));
    }
}
