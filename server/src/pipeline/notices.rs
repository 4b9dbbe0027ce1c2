//! The live stream's channel (`GET /api/v1/stream`): what every open browser
//! is told. Two senders: the materializer, after it handled each event, and
//! the import progress watcher, as jobs move on. Anyone may listen.

use app::domain::notice::Notice;
use tokio::sync::broadcast;

/// How many notices a slow listener may fall behind before it is told to resync.
const BACKLOG: usize = 4096;

#[derive(Clone)]
pub struct Notices {
    sender: broadcast::Sender<Notice>,
}

impl Notices {
    pub fn new() -> Self {
        Notices { sender: broadcast::channel(BACKLOG).0 }
    }

    /// Every notice sent from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.sender.subscribe()
    }

    /// Tells every listener (none listening is fine: nobody is watching).
    pub fn send(&self, notice: Notice) {
        let _ = self.sender.send(notice);
    }
}

impl Default for Notices {
    fn default() -> Self {
        Self::new()
    }
}
