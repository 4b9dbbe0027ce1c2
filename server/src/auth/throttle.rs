//! Sign-in throttling: how often an address may try, and how often an
//! account may be tried.
//!
//! Invariant: no address makes more than `per_address` sign-in attempts a
//! minute, and no account receives more than `per_account` a minute from all
//! addresses together (a burst of that many, then one every 60/N seconds). An
//! attempt past either is refused before its password is looked at, and told
//! when to try again. Both counts are kept in this process (GCRA, `governor`):
//! with several instances behind a balancer each keeps its own.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Past this many remembered keys, those back at a full allowance are forgotten.
const KEYS_KEPT: usize = 10_000;

pub struct LoginThrottle {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    by_account: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl LoginThrottle {
    /// Attempts a minute per address and per account (0 is taken as 1).
    pub fn new(per_address: u32, per_account: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        LoginThrottle {
            by_address: RateLimiter::keyed(quota(per_address)),
            by_account: RateLimiter::keyed(quota(per_account)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one attempt from `address` (None: not known, counted for the
    /// account only) on `account` (a normalized email); Err: how long until the
    /// next one would be let through.
    pub fn admit(&self, address: Option<IpAddr>, account: &str) -> Result<(), Duration> {
        if self.by_address.len() > KEYS_KEPT {
            self.by_address.retain_recent();
        }
        if self.by_account.len() > KEYS_KEPT {
            self.by_account.retain_recent();
        }
        let now = self.clock.now();
        if let Some(address) = address {
            self.by_address.check_key(&address).map_err(|until| until.wait_time_from(now))?;
        }
        self.by_account.check_key(&account.to_string()).map_err(|until| until.wait_time_from(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_and_an_account_each_have_their_own_allowance() {
        let throttle = LoginThrottle::new(3, 2);
        let (a, b, c) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into(), [10, 0, 0, 3].into());
        assert!(throttle.admit(Some(a), "x@example.in").is_ok());
        assert!(throttle.admit(Some(a), "y@example.in").is_ok());
        assert!(throttle.admit(Some(a), "z@example.in").is_ok());
        let wait = throttle.admit(Some(a), "w@example.in").unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(20), "one attempt every 20 s: {wait:?}");

        // Another address may still try, but x's second attempt is its last this minute.
        assert!(throttle.admit(Some(b), "x@example.in").is_ok());
        assert!(throttle.admit(Some(c), "x@example.in").is_err(), "x was tried twice already, from a and b");
        assert!(throttle.admit(None, "v@example.in").is_ok(), "no address: the account still counts");
    }
}
