//! When the producer is made anew.
//!
//! After a broker restart, librdkafka's idempotent producer has been seen to
//! deliver nothing for minutes while the brokers answered everything else:
//! the consumer rejoined and applied, metadata was read, and every write still
//! timed out (a clean CI run: an import re-run for 108 s after the restart,
//! not one event published). A producer in that state does not recover by
//! itself soon enough; a new one, with a new producer id, delivers at once.
//!
//! Invariant: the producer is renewed only when writes time out and nothing
//! was delivered for two whole publish timeouts, and at most once per two
//! timeouts, so a broker that is simply down costs a renewal every 20 s at
//! most (each as cheap as a connection), and a producer that delivers is
//! never touched. Writes in flight keep the producer they were given.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Whether to renew now: writes time out, and for two publish timeouts
/// neither a delivery nor a renewal happened.
pub fn renewal_due(now: Instant, last_delivery: Instant, last_renewal: Instant, publish_timeout: Duration) -> bool {
    let quiet = publish_timeout * 2;
    now.duration_since(last_delivery) >= quiet && now.duration_since(last_renewal) >= quiet
}

/// The producer's recent history: when it last delivered, and when it was
/// last renewed (or made).
pub struct Renewal {
    times: Mutex<(Instant, Instant)>,
}

impl Renewal {
    pub fn new(now: Instant) -> Self {
        Renewal { times: Mutex::new((now, now)) }
    }

    pub fn delivered(&self, now: Instant) {
        self.times.lock().unwrap_or_else(|e| e.into_inner()).0 = now;
    }

    /// A write timed out: true when the producer should be renewed now (and
    /// then it counts as renewed, so no other write renews it again).
    pub fn timed_out(&self, now: Instant, publish_timeout: Duration) -> bool {
        let mut times = self.times.lock().unwrap_or_else(|e| e.into_inner());
        let due = renewal_due(now, times.0, times.1, publish_timeout);
        if due {
            times.1 = now;
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(10);

    #[test]
    fn a_producer_that_delivered_lately_is_left_alone() {
        let start = Instant::now();
        let renewal = Renewal::new(start);
        renewal.delivered(start + Duration::from_secs(15));
        assert!(!renewal.timed_out(start + Duration::from_secs(30), TIMEOUT), "delivered 15 s ago");
        assert!(renewal.timed_out(start + Duration::from_secs(36), TIMEOUT), "nothing for 21 s");
    }

    #[test]
    fn one_renewal_per_two_timeouts_however_many_writes_time_out() {
        let start = Instant::now();
        let renewal = Renewal::new(start);
        assert!(!renewal.timed_out(start + Duration::from_secs(10), TIMEOUT), "a fresh producer gets its chance");
        let at = start + Duration::from_secs(25);
        assert!(renewal.timed_out(at, TIMEOUT));
        for later in [0, 1, 19] {
            assert!(!renewal.timed_out(at + Duration::from_secs(later), TIMEOUT), "{later} s after renewing");
        }
        assert!(renewal.timed_out(at + Duration::from_secs(20), TIMEOUT), "still nothing: once more");
    }
}
