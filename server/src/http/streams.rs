//! How many live streams each session and token holds open: a count by
//! holder, and a place in it that each open stream keeps until it ends.
//!
//! Invariant: a holder's count is the number of its streams alive now (a
//! place is given back when its stream is dropped, however it ends), never
//! more than `per_holder`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The open streams, counted by holder.
pub struct LiveStreams {
    open: Mutex<HashMap<String, usize>>,
    pub per_holder: usize,
    /// How often an open stream checks that its holder may still hold it.
    pub recheck: Duration,
}

impl LiveStreams {
    pub fn new(per_holder: usize, recheck: Duration) -> Arc<Self> {
        Arc::new(LiveStreams { open: Mutex::new(HashMap::new()), per_holder: per_holder.max(1), recheck })
    }

    /// A place for one more stream of `holder`, held until dropped; None past the limit.
    pub fn take(self: &Arc<Self>, holder: String) -> Option<StreamPlace> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(holder.clone()).or_default();
        if *count >= self.per_holder {
            return None;
        }
        *count += 1;
        Some(StreamPlace { streams: self.clone(), holder })
    }
}

/// One open stream's place in the count.
pub struct StreamPlace {
    streams: Arc<LiveStreams>,
    holder: String,
}

impl Drop for StreamPlace {
    fn drop(&mut self) {
        let mut open = self.streams.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.holder) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.holder);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_gets_places_up_to_the_limit_and_each_back_when_its_stream_ends() {
        let streams = LiveStreams::new(2, Duration::from_secs(1));
        let first = streams.take("session a".into()).unwrap();
        let _second = streams.take("session a".into()).unwrap();
        assert!(streams.take("session a".into()).is_none());
        assert!(streams.take("token b".into()).is_some(), "another holder counts apart");
        drop(first);
        assert!(streams.take("session a".into()).is_some(), "an ended stream gives its place back");
    }
}
