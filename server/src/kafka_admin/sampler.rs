//! The lag history, which Kafka's own tools do not keep: every few seconds,
//! each group reading GeoLedger's event topics is sampled (its lag, and how
//! far it has read), kept in MongoDB for 24 hours, and told to every browser
//! (SSE `lag`), with an alert when the materializer has been behind too long.
//! The materializer's lag by partition is also the `/metrics` gauge, and
//! what its watchdog looks at.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::domain::kafka::{Group, LagAlert, LagNow, LagReport, LagSample};
use app::domain::notice::Notice;
use tokio::sync::watch;

use super::{KafkaAdmin, Watermarks};
use crate::pipeline::watchdog::Reading;
use crate::pipeline::{Notices, Watchdog};
use crate::store::LagSamples;
use crate::telemetry::metrics;

/// How the sampler runs.
#[derive(Clone, Debug)]
pub struct LagWatch {
    pub every: Duration,
    /// The materializer's group.
    pub group: String,
    /// The topics whose readers are sampled.
    pub topics: Vec<String>,
    /// An alert when the materializer's lag stays over this…
    pub alert_over: i64,
    /// …for this long.
    pub alert_after: Duration,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Every partition of the event topics, with where the materializer's group
/// stands on it: what its watchdog looks at.
fn readings(groups: &[Group], marks: &Watermarks, group: &str) -> Vec<Reading> {
    let ours = groups.iter().find(|g| g.id == group);
    marks
        .iter()
        .map(|((topic, partition), &(low, high))| Reading {
            committed: ours
                .and_then(|g| g.partitions.iter().find(|p| &p.topic == topic && p.partition == *partition)?.committed),
            topic: topic.clone(),
            partition: *partition,
            low,
            high,
        })
        .collect()
}

/// Samples until shutdown, and shows each sample to the materializer's watchdog.
pub async fn sample(
    admin: KafkaAdmin,
    samples: LagSamples,
    notices: Notices,
    watch: LagWatch,
    watchdog: Arc<Watchdog>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut before: HashMap<String, LagSample> = HashMap::new();
    let mut over_since: Option<i64> = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(watch.every) => {}
            _ = shutdown.changed() => return,
        }
        let at = now_ms();
        let (read, marks) = match admin.lag_on(&watch.topics).await {
            Ok(read) => read,
            Err(e) => {
                tracing::debug!(error = %e, "a lag sample");
                continue;
            }
        };
        watchdog.observe(&readings(&read, &marks, &watch.group));
        for p in read.iter().filter(|g| g.id == watch.group).flat_map(|g| &g.partitions) {
            metrics::materializer_lag(&p.topic, p.partition, p.lag().unwrap_or(0));
        }
        let taken: Vec<(String, LagSample)> = read
            .into_iter()
            .map(|g| {
                let consumed = g.partitions.iter().filter_map(|p| p.committed).sum();
                (g.id.clone(), LagSample { at, lag: g.total_lag(), consumed })
            })
            .collect();
        if let Err(e) = samples.add(&taken, watch.every).await {
            tracing::debug!(error = %e, "lag samples not kept");
        }
        let groups: Vec<LagNow> = taken
            .iter()
            .map(|(group, s)| {
                let rate = before
                    .get(group)
                    .filter(|b| s.at > b.at)
                    .map(|b| (s.consumed - b.consumed).max(0) as f64 / ((s.at - b.at) as f64 / 1000.0));
                LagNow { group: group.clone(), lag: s.lag, rate }
            })
            .collect();
        let materializer = taken.iter().find(|(g, _)| *g == watch.group).map(|(_, s)| s.lag).unwrap_or(0);
        over_since = if materializer > watch.alert_over { Some(over_since.unwrap_or(at)) } else { None };
        let alert = over_since.filter(|since| at - since >= watch.alert_after.as_millis() as i64).map(|since| {
            LagAlert { group: watch.group.clone(), lag: materializer, threshold: watch.alert_over, since }
        });
        before = taken.into_iter().collect();
        notices.send(Notice::Lag(LagReport { at, groups, alert }));
    }
}
