//! A batch's plan, apart from Kafka and MongoDB: the order its messages are
//! tried in, and what becomes of each partition once they were.
//!
//! Invariants:
//! - A key's messages are tried in their order, each only once the one before
//!   it is done: a round holds the next message of every key whose messages
//!   so far are done, so different keys go together and one key never jumps
//!   ahead of itself.
//! - Per partition, the offset stored is the last message's before the first
//!   one not done: an offset is never stored past an event not applied. That
//!   first one, when it waits for its city, is parked with the rest of its
//!   partition held behind it, in order; any other (the server stopping)
//!   stops the batch.

use std::collections::HashMap;

/// Where a message of a batch sits: its partition and its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct Slot<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub key: &'a [u8],
}

/// The messages of a batch in rounds, by key.
pub(super) struct Rounds {
    /// Per key, its messages' indexes in the batch, in order.
    chains: Vec<Vec<usize>>,
    /// Per key, how many of its messages were tried.
    next: Vec<usize>,
    /// The keys whose next message is tried in the coming round.
    active: Vec<usize>,
}

impl Rounds {
    pub(super) fn new(slots: &[Slot<'_>]) -> Self {
        let mut chains: Vec<Vec<usize>> = Vec::new();
        let mut chain_of: HashMap<Slot<'_>, usize> = HashMap::new();
        for (i, slot) in slots.iter().enumerate() {
            let at = *chain_of.entry(*slot).or_insert_with(|| {
                chains.push(Vec::new());
                chains.len() - 1
            });
            chains[at].push(i);
        }
        let active = (0..chains.len()).collect();
        Rounds { next: vec![0; chains.len()], chains, active }
    }

    /// The next round's messages (indexes in the batch), or none when every
    /// key is through or waits.
    pub(super) fn next_round(&self) -> Option<Vec<usize>> {
        (!self.active.is_empty()).then(|| self.active.iter().map(|&c| self.chains[c][self.next[c]]).collect())
    }

    /// What became of the round just given, in its order: `true` for a
    /// message done. A key goes on only after a message done.
    pub(super) fn record(&mut self, done: &[bool]) {
        let mut still = Vec::new();
        for (&c, &done) in self.active.iter().zip(done) {
            self.next[c] += 1;
            if done && self.next[c] < self.chains[c].len() {
                still.push(c);
            }
        }
        self.active = still;
    }
}

/// Where one message of a batch got to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reached {
    Done,
    /// Waits for its city; this many retries done.
    Wait(u32),
    /// The server stopped before it was handled.
    Stopped,
    /// Not tried: an earlier message of its key was not done.
    NotTried,
}

/// What becomes of one partition of a handled batch.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Settled {
    /// The message whose offset is stored: the last before the first not done.
    pub store: Option<usize>,
    pub then: Then,
}

/// After the offset is stored.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Then {
    /// Every message of the partition was done.
    Nothing,
    /// The first not done waits for its city: it is parked, and the rest of
    /// its partition held behind it, in order, each done or not.
    Park { message: usize, attempt: u32, held: Vec<(usize, bool)> },
    /// The first not done was stopped: the batch ends here.
    Stop,
}

/// Per partition of the batch (in the order each first appears), what is
/// stored and what follows; `partitions[i]` is message `i`'s partition.
pub(super) fn settle<P: PartialEq + Copy>(partitions: &[P], reached: &[Reached]) -> Vec<Settled> {
    let mut seen: Vec<P> = Vec::new();
    for p in partitions {
        if !seen.contains(p) {
            seen.push(*p);
        }
    }
    seen.into_iter()
        .map(|p| {
            let of_partition: Vec<usize> = (0..partitions.len()).filter(|&i| partitions[i] == p).collect();
            let first_not_done = of_partition.iter().position(|&i| reached[i] != Reached::Done);
            let done = &of_partition[..first_not_done.unwrap_or(of_partition.len())];
            let store = done.last().copied();
            let then = match first_not_done.map(|f| (f, of_partition[f])) {
                None => Then::Nothing,
                Some((f, message)) => match reached[message] {
                    Reached::Wait(attempt) => Then::Park {
                        message,
                        attempt,
                        held: of_partition[f + 1..].iter().map(|&j| (j, reached[j] == Reached::Done)).collect(),
                    },
                    _ => Then::Stop,
                },
            };
            Settled { store, then }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(partition: i32, key: &'static str) -> Slot<'static> {
        Slot { topic: "cities", partition, key: key.as_bytes() }
    }

    /// Runs the rounds, each message done unless it is in `not_done`; gives the rounds.
    fn rounds(slots: &[Slot<'_>], not_done: &[usize]) -> Vec<Vec<usize>> {
        let mut r = Rounds::new(slots);
        let mut all = Vec::new();
        while let Some(round) = r.next_round() {
            let done: Vec<bool> = round.iter().map(|i| !not_done.contains(i)).collect();
            r.record(&done);
            all.push(round);
        }
        all
    }

    #[test]
    fn different_keys_go_together_and_a_key_s_messages_in_order() {
        let slots = [slot(0, "a"), slot(0, "b"), slot(0, "a"), slot(1, "c"), slot(0, "a")];
        assert_eq!(rounds(&slots, &[]), [vec![0, 1, 3], vec![2], vec![4]]);
    }

    #[test]
    fn a_key_whose_message_is_not_done_goes_no_further() {
        let slots = [slot(0, "a"), slot(0, "b"), slot(0, "a"), slot(0, "b")];
        assert_eq!(rounds(&slots, &[0]), [vec![0, 1], vec![3]]);
    }

    #[test]
    fn the_same_key_on_two_partitions_is_two_keys() {
        let slots = [slot(0, "a"), slot(1, "a")];
        assert_eq!(rounds(&slots, &[]), [vec![0, 1]]);
    }

    #[test]
    fn an_empty_batch_has_no_round() {
        assert!(Rounds::new(&[]).next_round().is_none());
    }

    #[test]
    fn a_partition_all_done_stores_its_last_offset() {
        let settled = settle(&[0, 1, 0], &[Reached::Done, Reached::Done, Reached::Done]);
        assert_eq!(
            settled,
            [Settled { store: Some(2), then: Then::Nothing }, Settled { store: Some(1), then: Then::Nothing }]
        );
    }

    #[test]
    fn the_offset_stops_before_a_waiting_message_and_the_rest_is_held_behind_it() {
        use Reached::*;
        let settled = settle(&[0, 0, 0, 0], &[Done, Wait(2), Done, NotTried]);
        assert_eq!(
            settled,
            [Settled {
                store: Some(0),
                then: Then::Park { message: 1, attempt: 2, held: vec![(2, true), (3, false)] }
            }]
        );
    }

    #[test]
    fn a_partition_whose_first_message_waits_stores_nothing() {
        let settled = settle(&[3], &[Reached::Wait(1)]);
        assert_eq!(settled, [Settled { store: None, then: Then::Park { message: 0, attempt: 1, held: vec![] } }]);
    }

    #[test]
    fn a_stopped_message_stops_the_batch_after_what_was_done() {
        let settled = settle(&[0, 0, 1], &[Reached::Done, Reached::Stopped, Reached::Done]);
        assert_eq!(
            settled,
            [Settled { store: Some(0), then: Then::Stop }, Settled { store: Some(2), then: Then::Nothing }]
        );
    }

    proptest::proptest! {
        /// Whatever happened, no offset is stored past a message not done,
        /// and every message is stored, parked, held or in a stopped partition.
        #[test]
        fn no_offset_is_stored_past_a_message_not_done(
            cases in proptest::collection::vec((0..3i32, 0..4u8), 0..40)
        ) {
            let partitions: Vec<i32> = cases.iter().map(|c| c.0).collect();
            let reached: Vec<Reached> = cases
                .iter()
                .map(|c| match c.1 { 0 | 1 => Reached::Done, 2 => Reached::Wait(1), _ => Reached::NotTried })
                .collect();
            for s in settle(&partitions, &reached) {
                if let Some(stored) = s.store {
                    let p = partitions[stored];
                    for i in (0..=stored).filter(|&i| partitions[i] == p) {
                        proptest::prop_assert_eq!(reached[i], Reached::Done);
                    }
                }
                if let Then::Park { message, held, .. } = &s.then {
                    proptest::prop_assert!(s.store.is_none_or(|st| st < *message));
                    proptest::prop_assert!(held.iter().all(|(j, _)| j > message));
                }
            }
        }
    }
}
