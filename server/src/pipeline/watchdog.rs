//! The materializer's watchdog: it notices a consumer that has stopped moving
//! while events wait, and has the materializer rebuild it.
//!
//! Invariant: the materializer is called stalled only when, for `stall_after`,
//! events have waited on the partitions it reads (all of the event topics'
//! partitions while it holds none) and neither moved: the group's committed
//! offsets on them stayed where they were, and the materializer did not say it
//! was waiting for something outside it (a pincode's city, MongoDB, the
//! dead-letter topic). Applying without committing is not moving: the lag is
//! what the rest of GeoLedger (imports, the status pages) sees.
//!
//! The readings come from the lag sampler (the same admin reads as the status
//! pages, every `GEOLEDGER_LAG_SAMPLE_SECS`); which partitions are this
//! instance's comes from its consumer's rebalances. A stalled materializer is
//! told once; it shows as stalled, restarting until its new consumer commits
//! something, or nothing waits any more.
//!
//! The decision ([`Watch`]) is pure, and unit-tested without services.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use app::domain::health::{MaterializerHealth, MaterializerState};
use app::format::plural;
use tokio::sync::Notify;

/// One partition of the event topics as the lag sampler read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    pub topic: String,
    pub partition: i32,
    /// The group's committed offset (None: it has committed nothing there).
    pub committed: Option<i64>,
    /// The low and high watermarks.
    pub low: i64,
    pub high: i64,
}

impl Reading {
    /// Events after the group's position (from the start of the log when it
    /// has none: the materializer reads from the earliest).
    pub fn waiting(&self) -> i64 {
        (self.high - self.committed.unwrap_or(self.low)).max(0)
    }
}

/// Why the materializer was called stalled.
#[derive(Clone, Debug, PartialEq)]
pub struct Stall {
    /// Events waiting on the partitions looked at.
    pub waiting: i64,
    /// How long nothing moved.
    pub quiet: Duration,
    /// The partitions with events waiting, `topic/partition`.
    pub partitions: Vec<String>,
    /// Whether the consumer held any partition.
    pub assigned: bool,
}

impl Stall {
    /// In words, for the log and the status pages.
    pub fn reason(&self) -> String {
        let whose = if self.assigned { "its partitions" } else { "partitions no member moved (it held none)" };
        format!(
            "{} waiting on {whose} ({}), none applied and committed for {} s",
            plural(self.waiting, "event"),
            self.partitions.join(", "),
            self.quiet.as_secs()
        )
    }
}

/// The watchdog's decision, from one reading to the next (pure: the time and
/// the last wait are given).
#[derive(Debug, Default)]
pub struct Watch {
    /// The partitions the consumer holds (None: not in the group yet).
    assignment: Option<BTreeSet<(String, i32)>>,
    /// Since when events have waited without moving.
    quiet_since: Option<Instant>,
    /// The committed offset last seen on each partition.
    last_committed: BTreeMap<(String, i32), Option<i64>>,
    /// While set: stalled, and restarting since then.
    stalled: Option<(Instant, Stall)>,
    /// A stall told, its consumer not yet replaced: not told again meanwhile.
    told: bool,
    restarts: u64,
}

impl Watch {
    /// Takes one reading of every partition of the event topics, at `now`;
    /// `waited` is when the materializer last said it was waiting for
    /// something outside it. A stall when nothing moved for `stall_after`
    /// (and none is being dealt with already).
    pub fn observe(
        &mut self,
        now: Instant,
        waited: Option<Instant>,
        readings: &[Reading],
        stall_after: Duration,
    ) -> Option<Stall> {
        let held = self.assignment.as_ref().filter(|a| !a.is_empty());
        let mine: Vec<&Reading> =
            readings.iter().filter(|r| held.is_none_or(|a| a.contains(&(r.topic.clone(), r.partition)))).collect();
        let waiting: i64 = mine.iter().map(|r| r.waiting()).sum();
        let moved = mine.iter().any(|r| self.last_committed.get(&(r.topic.clone(), r.partition)) != Some(&r.committed));
        self.last_committed = readings.iter().map(|r| ((r.topic.clone(), r.partition), r.committed)).collect();
        if waiting == 0 {
            self.quiet_since = None;
            self.stalled = None;
            return None;
        }
        if moved {
            self.quiet_since = Some(now);
            if self.stalled.as_ref().is_some_and(|(at, _)| now > *at) {
                // The new consumer committed: it moves again.
                self.stalled = None;
            }
            return None;
        }
        let since = *self.quiet_since.get_or_insert(now);
        let quiet_from = waited.map_or(since, |w| w.max(since));
        let quiet = now.saturating_duration_since(quiet_from);
        if self.told || quiet < stall_after {
            return None;
        }
        let partitions = mine.iter().filter(|r| r.waiting() > 0).map(|r| format!("{}/{}", r.topic, r.partition));
        let stall = Stall { waiting, quiet, partitions: partitions.collect(), assigned: held.is_some() };
        let since = self.stalled.as_ref().map_or(now, |(at, _)| *at);
        self.stalled = Some((since, stall.clone()));
        self.told = true;
        Some(stall)
    }

    /// The consumer's partitions after a rebalance (empty: it holds none).
    pub fn assigned(&mut self, partitions: BTreeSet<(String, i32)>) {
        self.assignment = Some(partitions);
    }

    /// A new consumer replaced the stalled one, at `now`: the quiet is
    /// counted again from here, and it is not in the group yet.
    pub fn restarted(&mut self, now: Instant) {
        self.restarts += 1;
        self.told = false;
        self.assignment = None;
        self.quiet_since = Some(now);
    }

    /// The materializer as the status pages show it.
    pub fn health(&self) -> MaterializerHealth {
        let (state, detail) = match (&self.stalled, &self.assignment) {
            (Some((_, stall)), _) => (MaterializerState::Stalled, stall.reason()),
            (None, None) => (MaterializerState::Starting, "joining the consumer group".to_string()),
            (None, Some(a)) if a.is_empty() => {
                (MaterializerState::Consuming, "holds no partition (the group's other members do)".to_string())
            }
            (None, Some(a)) => (MaterializerState::Consuming, format!("reads {}", plural(a.len() as i64, "partition"))),
        };
        MaterializerHealth { state, detail, restarts: self.restarts }
    }
}

/// The watchdog shared by the materializer (which says when it waits, and is
/// told of a stall), its consumer's rebalances, and the lag sampler.
pub struct Watchdog {
    stall_after: Duration,
    born: Instant,
    /// When the materializer last waited, in ms after `born` (0: never).
    waited_ms: AtomicU64,
    watch: Mutex<Watch>,
    stall: Notify,
}

impl Watchdog {
    pub fn new(stall_after: Duration) -> Self {
        Watchdog {
            stall_after,
            born: Instant::now(),
            waited_ms: AtomicU64::new(0),
            watch: Mutex::new(Watch::default()),
            stall: Notify::new(),
        }
    }

    fn watch(&self) -> std::sync::MutexGuard<'_, Watch> {
        self.watch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The materializer is alive and waiting for something outside it (a
    /// pincode's city, MongoDB, the dead-letter topic): not stalled.
    pub fn waiting(&self) {
        let ms = self.born.elapsed().as_millis() as u64;
        self.waited_ms.store(ms.max(1), Ordering::Relaxed);
    }

    /// A reading of the event topics, from the lag sampler. Tells the
    /// materializer when it finds it stalled.
    pub fn observe(&self, readings: &[Reading]) {
        let waited = match self.waited_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(self.born + Duration::from_millis(ms)),
        };
        let stall = self.watch().observe(Instant::now(), waited, readings, self.stall_after);
        if let Some(stall) = stall {
            tracing::warn!(
                waiting = stall.waiting,
                quiet_secs = stall.quiet.as_secs(),
                partitions = ?stall.partitions,
                assigned = stall.assigned,
                "the materializer is stalled: {}; rebuilding its consumer",
                stall.reason()
            );
            self.stall.notify_one();
        }
    }

    /// The consumer's partitions after a rebalance.
    pub fn assigned(&self, partitions: BTreeSet<(String, i32)>) {
        self.watch().assigned(partitions);
    }

    /// Waits until the materializer is found stalled.
    pub async fn stalled(&self) {
        self.stall.notified().await
    }

    /// A new consumer replaced the stalled one.
    pub fn restarted(&self) {
        self.watch().restarted(Instant::now());
    }

    pub fn health(&self) -> MaterializerHealth {
        self.watch().health()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALL: Duration = Duration::from_secs(60);

    fn reading(partition: i32, committed: Option<i64>, high: i64) -> Reading {
        Reading { topic: "city-updates".into(), partition, committed, low: 0, high }
    }

    fn at(start: Instant, secs: u64) -> Instant {
        start + Duration::from_secs(secs)
    }

    fn held(partitions: &[i32]) -> BTreeSet<(String, i32)> {
        partitions.iter().map(|p| ("city-updates".to_string(), *p)).collect()
    }

    /// 40 events waiting on partition 0 from 0 s, found stalled at 60 s, a new consumer at 61 s.
    fn stalled_at_60_restarted_at_61() -> (Instant, Watch, [Reading; 1]) {
        let (t, mut w) = (Instant::now(), Watch::default());
        w.assigned(held(&[0]));
        let r = [reading(0, Some(10), 50)];
        w.observe(at(t, 0), None, &r, STALL);
        assert!(w.observe(at(t, 60), None, &r, STALL).is_some());
        w.restarted(at(t, 61));
        (t, w, r)
    }

    #[test]
    fn events_waiting_and_nothing_committed_for_the_stall_time_is_a_stall_told_once() {
        let (t, mut w) = (Instant::now(), Watch::default());
        w.assigned(held(&[0]));
        let r = [reading(0, Some(10), 50)];
        assert_eq!(w.observe(at(t, 0), None, &r, STALL), None);
        assert_eq!(w.observe(at(t, 59), None, &r, STALL), None, "not yet");
        let stall = w.observe(at(t, 60), None, &r, STALL).expect("stalled");
        assert_eq!(
            (stall.waiting, stall.partitions.clone(), stall.assigned),
            (40, vec!["city-updates/0".into()], true)
        );
        assert_eq!(
            stall.reason(),
            "40 events waiting on its partitions (city-updates/0), none applied and committed for 60 s"
        );
        assert_eq!(w.health().state, MaterializerState::Stalled);
        assert_eq!(w.observe(at(t, 90), None, &r, STALL), None, "told once while it is dealt with");
    }

    #[test]
    fn committed_offsets_that_move_are_not_a_stall() {
        let (t, mut w) = (Instant::now(), Watch::default());
        w.assigned(held(&[0]));
        for s in 0..10 {
            let r = [reading(0, Some(s as i64), 1000)];
            assert_eq!(w.observe(at(t, s * 30), None, &r, STALL), None, "at {} s", s * 30);
        }
    }

    #[test]
    fn nothing_waiting_is_never_a_stall_however_long_it_is_quiet() {
        let (t, mut w) = (Instant::now(), Watch::default());
        w.assigned(held(&[0]));
        let r = [reading(0, Some(50), 50)];
        for s in [0, 100, 1000, 10_000] {
            assert_eq!(w.observe(at(t, s), None, &r, STALL), None);
        }
        // Events arrive after hours of quiet: counted from the first reading that sees them.
        let r = [reading(0, Some(50), 60)];
        assert_eq!(w.observe(at(t, 10_005), None, &r, STALL), None);
        assert!(w.observe(at(t, 10_065), None, &r, STALL).is_some());
    }

    #[test]
    fn a_materializer_waiting_for_something_outside_it_is_not_stalled() {
        let (t, mut w) = (Instant::now(), Watch::default());
        w.assigned(held(&[0]));
        let r = [reading(0, Some(10), 50)];
        assert_eq!(w.observe(at(t, 0), None, &r, STALL), None);
        // MongoDB away: the materializer says so every few seconds.
        assert_eq!(w.observe(at(t, 70), Some(at(t, 65)), &r, STALL), None);
        assert_eq!(w.observe(at(t, 120), Some(at(t, 65)), &r, STALL), None);
        assert!(w.observe(at(t, 125), Some(at(t, 65)), &r, STALL).is_some(), "60 s after its last wait");
    }

    #[test]
    fn only_its_own_partitions_count_while_it_holds_some() {
        let (t, mut w) = (Instant::now(), Watch::default());
        w.assigned(held(&[0]));
        // Partition 1 is another instance's, and waits: not this one's stall.
        let r = [reading(0, Some(50), 50), reading(1, Some(0), 100)];
        assert_eq!(w.observe(at(t, 0), None, &r, STALL), None);
        assert_eq!(w.observe(at(t, 600), None, &r, STALL), None);
    }

    #[test]
    fn holding_no_partition_every_partition_counts_unless_another_member_moves_it() {
        let (t, mut w) = (Instant::now(), Watch::default());
        // Never joined: events wait on partitions nobody commits on.
        let r = [reading(0, None, 10), reading(1, Some(5), 5)];
        assert_eq!(w.health().state, MaterializerState::Starting);
        assert_eq!(w.observe(at(t, 0), None, &r, STALL), None);
        let stall = w.observe(at(t, 60), None, &r, STALL).expect("stalled");
        assert_eq!((stall.waiting, stall.assigned), (10, false));

        // Another instance holds every partition, and moves them.
        let (t, mut w) = (Instant::now(), Watch::default());
        w.assigned(BTreeSet::new());
        for s in 0..5 {
            let r = [reading(0, Some(s), 1000)];
            assert_eq!(w.observe(at(t, s as u64 * 40), None, &r, STALL), None);
        }
    }

    #[test]
    fn after_a_restart_it_is_restarting_until_the_new_consumer_commits_then_can_stall_again() {
        let (t, mut w, r) = stalled_at_60_restarted_at_61();
        assert_eq!((w.health().state, w.health().restarts), (MaterializerState::Stalled, 1));
        // The new consumer joins, and has not committed yet: still restarting.
        w.assigned(held(&[0]));
        assert_eq!(w.observe(at(t, 65), None, &r, STALL), None);
        assert_eq!(w.health().state, MaterializerState::Stalled);
        // It commits: consuming again.
        let r = [reading(0, Some(30), 50)];
        assert_eq!(w.observe(at(t, 70), None, &r, STALL), None);
        assert_eq!(w.health().state, MaterializerState::Consuming);
        assert_eq!(w.health().detail, "reads 1 partition");
        // And stalls again, 60 s after it last moved.
        assert_eq!(w.observe(at(t, 129), None, &r, STALL), None);
        assert!(w.observe(at(t, 130), None, &r, STALL).is_some());
    }

    #[test]
    fn a_new_consumer_that_does_not_move_either_is_replaced_again_and_stays_stalled_meanwhile() {
        let (t, mut w, r) = stalled_at_60_restarted_at_61();
        w.assigned(held(&[0]));
        assert_eq!(w.observe(at(t, 120), None, &r, STALL), None, "59 s after the restart");
        let again = w.observe(at(t, 121), None, &r, STALL).expect("stalled again");
        assert_eq!(again.quiet, Duration::from_secs(60));
        assert_eq!(w.observe(at(t, 130), None, &r, STALL), None, "told once");
        w.restarted(at(t, 131));
        assert_eq!((w.health().state, w.health().restarts), (MaterializerState::Stalled, 2));
    }

    #[test]
    fn a_restarted_consumer_that_finds_nothing_waiting_is_consuming() {
        let (t, mut w, _) = stalled_at_60_restarted_at_61();
        w.assigned(held(&[0]));
        assert_eq!(w.observe(at(t, 66), None, &[reading(0, Some(50), 50)], STALL), None);
        assert_eq!(w.health().state, MaterializerState::Consuming);
    }
}
