//! An import's pace, decided apart from Kafka: publishing holds while more
//! than `ahead` of the job's published events wait for the materializer, so
//! a change an admin makes meanwhile waits behind at most that many, however
//! large the import.
//!
//! Invariant: publishing never holds for good. When the materializer's
//! position has not moved (or could not be read) for `STALLED`, the pace
//! gives up and publishing goes on without holding.

use std::time::{Duration, Instant};

/// How long publishing holds for a materializer that does not move: then it
/// goes on without holding (no server is running; `geoledger import` waits for
/// one at the end).
pub(super) const STALLED: Duration = Duration::from_secs(30);

/// What publishing does next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// Few enough wait: publish.
    Publish,
    /// Too many wait: ask the materializer's position again shortly.
    Hold,
    /// The materializer has not moved for `STALLED`: publish, and stop pacing.
    GiveUp,
}

/// One hold: what was seen of the materializer while publishing waits.
pub(super) struct Pace {
    ahead: u64,
    /// The events handled at the last read, and when that count last changed.
    handled: Option<u64>,
    moved: Instant,
}

impl Pace {
    /// A hold starting at `now`, letting `ahead` events wait.
    pub(super) fn new(ahead: u64, now: Instant) -> Self {
        Pace { ahead, handled: None, moved: now }
    }

    /// Whether publishing needs to ask at all: not while no more than
    /// `ahead` were published.
    pub(super) fn needed(ahead: u64, published: u64) -> bool {
        published > ahead
    }

    /// Decides at `now`, from the events published and the ones the
    /// materializer handled (none when its position could not be read).
    pub(super) fn next(&mut self, published: u64, handled: Option<u64>, now: Instant) -> Next {
        if let Some(handled) = handled {
            if published.saturating_sub(handled) <= self.ahead {
                return Next::Publish;
            }
            if self.handled != Some(handled) {
                (self.handled, self.moved) = (Some(handled), now);
            }
        }
        if now.duration_since(self.moved) > STALLED {
            Next::GiveUp
        } else {
            Next::Hold
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_goes_on_once_no_more_than_ahead_wait() {
        let start = Instant::now();
        let mut pace = Pace::new(100, start);
        assert_eq!(pace.next(1000, Some(850), start), Next::Hold);
        assert_eq!(pace.next(1000, Some(900), start), Next::Publish);
        assert!(!Pace::needed(100, 100) && Pace::needed(100, 101));
    }

    #[test]
    fn a_materializer_that_moves_is_waited_for_however_long_it_takes() {
        let start = Instant::now();
        let mut pace = Pace::new(10, start);
        for step in 1..=10u64 {
            let now = start + STALLED * step as u32 / 2;
            assert_eq!(pace.next(1000, Some(step), now), Next::Hold, "it moved at step {step}");
        }
    }

    #[test]
    fn a_materializer_still_for_the_stall_time_is_given_up_on() {
        let start = Instant::now();
        let mut pace = Pace::new(10, start);
        assert_eq!(pace.next(1000, Some(5), start), Next::Hold);
        assert_eq!(pace.next(1000, Some(5), start + STALLED), Next::Hold);
        assert_eq!(pace.next(1000, Some(5), start + STALLED + Duration::from_millis(1)), Next::GiveUp);
    }

    #[test]
    fn a_position_that_cannot_be_read_counts_as_not_moving() {
        let start = Instant::now();
        let mut pace = Pace::new(10, start);
        assert_eq!(pace.next(1000, None, start + STALLED / 2), Next::Hold);
        assert_eq!(pace.next(1000, None, start + STALLED * 2), Next::GiveUp);
    }
}
