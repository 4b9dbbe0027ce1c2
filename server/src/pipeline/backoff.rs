//! Waits that double: the one way GeoLedger waits before trying again (a
//! pincode's city, MongoDB away, a consumer that could not be made).
//!
//! Invariant: the first wait is `first`, each next one twice the last, and
//! none longer than `max`, however many tries (no overflow).

use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Backoff {
    pub const fn new(first: Duration, max: Duration) -> Self {
        Backoff { first, max }
    }

    /// The wait after `tries` tries that failed (0: the first wait).
    pub fn wait(&self, tries: u32) -> Duration {
        self.first.saturating_mul(2u32.saturating_pow(tries)).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_most() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        let waits: Vec<u128> = (0..8).map(|t| b.wait(t).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(b.wait(u32::MAX), Duration::from_secs(5), "no overflow");
    }
}
