//! Pincodes waiting for their city, apart from Kafka: each parked until its
//! next try, its partition's later messages held behind it.
//!
//! Invariants:
//! - At most one message of a partition is parked; every later message of
//!   that partition (from this batch or the next ones) is held behind it, in
//!   order, so a partition's events are applied in their order.
//! - A parked message is tried again when it is due, before the messages held
//!   behind it; the first of them that waits is parked in its turn with the
//!   rest behind it.

use std::collections::VecDeque;

use tokio::time::Instant;

/// A message waiting for its city (its partition paused meanwhile).
pub(super) struct Parked<P, M> {
    pub partition: P,
    pub message: M,
    /// Retries done so far.
    pub attempt: u32,
    pub due: Instant,
    /// The partition's messages after it, in order, each done or not: their
    /// offsets are stored after its own.
    pub held: Vec<(M, bool)>,
}

impl<P, M> Parked<P, M> {
    /// It, then what is held behind it, in order: `(message, done, retries done)`.
    pub(super) fn into_queue(self) -> VecDeque<(M, bool, u32)> {
        std::iter::once((self.message, false, self.attempt))
            .chain(self.held.into_iter().map(|(m, d)| (m, d, 0)))
            .collect()
    }
}

/// Everything parked, one message per partition at most.
pub(super) struct Parking<P, M> {
    parked: Vec<Parked<P, M>>,
}

impl<P: PartialEq, M> Parking<P, M> {
    pub(super) fn new() -> Self {
        Parking { parked: Vec::new() }
    }

    pub(super) fn len(&self) -> usize {
        self.parked.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.parked.is_empty()
    }

    pub(super) fn clear(&mut self) {
        self.parked.clear();
    }

    pub(super) fn park(&mut self, parked: Parked<P, M>) {
        debug_assert!(!self.parked.iter().any(|p| p.partition == parked.partition), "one parked per partition");
        self.parked.push(parked);
    }

    /// When the next parked message is due.
    pub(super) fn next_due(&self) -> Option<Instant> {
        self.parked.iter().map(|p| p.due).min()
    }

    /// Takes out the parked messages due by `now`, in the order they were parked.
    pub(super) fn take_due(&mut self, now: Instant) -> Vec<Parked<P, M>> {
        let (due, later) = self.parked.drain(..).partition(|p| p.due <= now);
        self.parked = later;
        due
    }

    /// Holds each message of a partition with a parked message behind it
    /// (not done yet); gives the others, in order. With nothing parked (the
    /// usual case) the batch is given back as it is, no partition asked.
    pub(super) fn hold_behind(&mut self, batch: Vec<M>, partition_of: impl Fn(&M) -> P) -> Vec<M> {
        if self.parked.is_empty() {
            return batch;
        }
        let mut fresh = Vec::with_capacity(batch.len());
        for m in batch {
            let partition = partition_of(&m);
            match self.parked.iter_mut().find(|p| p.partition == partition) {
                Some(p) => p.held.push((m, false)),
                None => fresh.push(m),
            }
        }
        fresh
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn parked(partition: i32, message: &'static str, due: Instant) -> Parked<i32, &'static str> {
        Parked { partition, message, attempt: 1, due, held: Vec::new() }
    }

    #[test]
    fn a_partition_s_later_messages_wait_behind_its_parked_one() {
        let now = Instant::now();
        let mut parking = Parking::new();
        parking.park(Parked { partition: 0, message: ("p0-1", 0), attempt: 1, due: now, held: Vec::new() });
        let batch = vec![("p1-1", 1), ("p0-2", 0), ("p1-2", 1), ("p0-3", 0)];
        let fresh = parking.hold_behind(batch, |m| m.1);
        assert_eq!(fresh, [("p1-1", 1), ("p1-2", 1)]);
        let [p] = parking.take_due(now).try_into().ok().unwrap();
        let queue: Vec<_> = p.into_queue().into_iter().map(|(m, done, attempt)| (m.0, done, attempt)).collect();
        assert_eq!(queue, [("p0-1", false, 1), ("p0-2", false, 0), ("p0-3", false, 0)]);
    }

    #[test]
    fn only_what_is_due_is_taken_and_the_next_due_is_the_earliest() {
        let now = Instant::now();
        let mut parking = Parking::new();
        parking.park(parked(0, "later", now + Duration::from_secs(5)));
        parking.park(parked(1, "due", now));
        parking.park(parked(2, "soon", now + Duration::from_secs(1)));
        assert_eq!(parking.next_due(), Some(now));
        let due: Vec<_> = parking.take_due(now).into_iter().map(|p| p.message).collect();
        assert_eq!(due, ["due"]);
        assert_eq!(parking.len(), 2);
        assert_eq!(parking.next_due(), Some(now + Duration::from_secs(1)));
        parking.clear();
        assert_eq!(parking.next_due(), None);
    }

    #[test]
    fn what_was_held_done_stays_done_in_the_queue() {
        let now = Instant::now();
        let p = Parked { partition: 0, message: "a", attempt: 3, due: now, held: vec![("b", true), ("c", false)] };
        let queue: Vec<_> = p.into_queue().into_iter().collect();
        assert_eq!(queue, [("a", false, 3), ("b", true, 0), ("c", false, 0)]);
    }
}
