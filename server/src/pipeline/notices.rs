//! The change notices: what the materializer tells every open browser after it
//! handled an event (`GET /api/v1/stream`). The materializer is the only sender;
//! anyone may listen.

use app::domain::notice::ChangeNotice;
use tokio::sync::broadcast;

/// How many notices a slow listener may fall behind before it is told to resync.
const BACKLOG: usize = 4096;

#[derive(Clone)]
pub struct Notices {
    sender: broadcast::Sender<ChangeNotice>,
}

impl Notices {
    pub fn new() -> Self {
        Notices { sender: broadcast::channel(BACKLOG).0 }
    }

    /// Every notice sent from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ChangeNotice> {
        self.sender.subscribe()
    }

    /// Tells every listener (none listening is fine: nobody is watching).
    pub(super) fn send(&self, notice: ChangeNotice) {
        let _ = self.sender.send(notice);
    }
}

impl Default for Notices {
    fn default() -> Self {
        Self::new()
    }
}
