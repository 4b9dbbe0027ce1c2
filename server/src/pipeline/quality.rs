//! Tells browsers and `/metrics` of the quality findings as they change:
//! at most four times a second (an import changes them with every batch),
//! the counts as they are then.

use std::sync::Arc;
use std::time::Duration;

use app::domain::notice::Notice;
use tokio::sync::watch;

use super::notices::Notices;
use crate::index::ReadIndex;
use crate::telemetry::metrics;

/// The least time between two `quality` notices.
const EVERY: Duration = Duration::from_millis(250);

pub async fn tell(index: Arc<ReadIndex>, notices: Notices, mut shutdown: watch::Receiver<bool>) {
    let mut changes = index.quality_changes();
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            changed = changes.changed() => if changed.is_err() { return },
        }
        tokio::time::sleep(EVERY).await;
        changes.mark_unchanged();
        let summary = index.quality_summary();
        for rule in &summary.rules {
            metrics::quality_findings(rule.id.id(), rule.open, rule.accepted);
        }
        notices.send(Notice::Quality(summary));
    }
}
