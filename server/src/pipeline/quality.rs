//! Tells browsers of the quality findings as they change: at most four times
//! a second (an import changes them with every batch), the counts as they are
//! then. `/metrics` reads the counts itself at each scrape.

use std::sync::Arc;
use std::time::Duration;

use app::domain::notice::Notice;
use tokio::sync::watch;

use super::notices::Notices;
use crate::index::ReadIndex;

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
        notices.send(Notice::Quality(index.quality_summary()));
    }
}
