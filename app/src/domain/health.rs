//! Readiness of the backends GeoLedger depends on, as `/readyz` reports it and the
//! overview page shows it.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Down,
}

/// The result of one check of one backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BackendCheck {
    /// `kafka` or `mongodb`.
    pub name: String,
    pub status: Status,
    /// Where the backend was looked for (brokers, or the host of the MongoDB URI).
    pub target: String,
    /// How long the check took, in milliseconds.
    pub latency_ms: f64,
    /// What the check saw: a summary when ok, the error when down.
    pub detail: String,
}

impl BackendCheck {
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }
}

/// All backends at one moment. Ready only when every backend is ok.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Readiness {
    pub status: Status,
    /// The backends that are down, by name (empty when ready).
    pub failing: Vec<String>,
    pub backends: Vec<BackendCheck>,
    /// What is wrong without making GeoLedger unready (an event topic that
    /// deletes events, say).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// When the checks ran, RFC 3339 in UTC.
    pub checked_at: String,
}

impl Readiness {
    pub fn new(backends: Vec<BackendCheck>, checked_at: String) -> Self {
        let failing: Vec<String> = backends.iter().filter(|b| !b.is_ok()).map(|b| b.name.clone()).collect();
        let status = if failing.is_empty() { Status::Ok } else { Status::Down };
        Readiness { status, failing, backends, warnings: Vec::new(), checked_at }
    }

    pub fn is_ready(&self) -> bool {
        self.status == Status::Ok
    }
}

/// Where this instance's materializer stands, as its watchdog sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MaterializerState {
    /// Its consumer has not joined the group yet.
    Starting,
    Consuming,
    /// Events waited and nothing moved: its consumer is being rebuilt, until
    /// the new one commits.
    Stalled,
}

impl MaterializerState {
    /// As `/readyz`, `kafka/health` and the Overview say it.
    pub fn label(self) -> &'static str {
        match self {
            MaterializerState::Starting => "starting",
            MaterializerState::Consuming => "consuming",
            MaterializerState::Stalled => "stalled, restarting",
        }
    }
}

/// This instance's materializer: its state, why, and how often its watchdog
/// rebuilt its consumer since the instance started.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MaterializerHealth {
    pub state: MaterializerState,
    pub detail: String,
    pub restarts: u64,
}

impl MaterializerHealth {
    /// The materializer's line in the readiness checks: down only while stalled.
    pub fn check(&self) -> BackendCheck {
        let status = if self.state == MaterializerState::Stalled { Status::Down } else { Status::Ok };
        let mut detail = format!("{}: {}", self.state.label(), self.detail);
        if self.restarts > 0 {
            let times = if self.restarts == 1 { "once".to_string() } else { format!("{} times", self.restarts) };
            detail.push_str(&format!(" (its consumer was rebuilt {times})"));
        }
        BackendCheck { name: "materializer".into(), status, target: "this instance".into(), latency_ms: 0.0, detail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, status: Status) -> BackendCheck {
        BackendCheck { name: name.into(), status, target: "127.0.0.1".into(), latency_ms: 1.0, detail: String::new() }
    }

    #[test]
    fn ready_only_when_every_backend_is_ok() {
        let all_ok = Readiness::new(vec![check("kafka", Status::Ok), check("mongodb", Status::Ok)], "t".into());
        assert!(all_ok.is_ready());
        assert!(all_ok.failing.is_empty());

        let one_down = Readiness::new(vec![check("kafka", Status::Down), check("mongodb", Status::Ok)], "t".into());
        assert!(!one_down.is_ready());
        assert_eq!(one_down.failing, vec!["kafka".to_string()]);
    }

    #[test]
    fn a_materializer_is_down_only_while_stalled_and_says_how_often_it_was_rebuilt() {
        let health = |state, restarts| MaterializerHealth { state, detail: "reads 6 partitions".into(), restarts };
        let ok = health(MaterializerState::Consuming, 0).check();
        assert_eq!((ok.status, ok.detail.as_str()), (Status::Ok, "consuming: reads 6 partitions"));
        let stalled = health(MaterializerState::Stalled, 2).check();
        assert_eq!(stalled.status, Status::Down);
        assert_eq!(stalled.detail, "stalled, restarting: reads 6 partitions (its consumer was rebuilt 2 times)");
        assert!(health(MaterializerState::Starting, 1).check().detail.ends_with("(its consumer was rebuilt once)"));
        let json = serde_json::to_value(health(MaterializerState::Stalled, 1)).unwrap();
        assert_eq!(json["state"], "stalled");
    }

    #[test]
    fn serializes_status_in_lowercase() {
        let json = serde_json::to_value(check("kafka", Status::Down)).unwrap();
        assert_eq!(json["status"], "down");
    }
}
