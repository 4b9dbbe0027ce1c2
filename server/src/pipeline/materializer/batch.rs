//! One consumer's life: messages in batches, applied in rounds, offsets stored.
//!
//! Events come in batches (what the consumer holds, up to `BATCH`), applied in
//! rounds: the first event of every key together (one `Store::apply_all`, a
//! few MongoDB commands for the whole round), then the second of the keys that
//! have one, and so on, so a key's events stay in order. Then, per partition,
//! the offset of the last event before the first one not done is stored. The
//! batch's history entries are written in one command and its changes taken
//! into the index (as written, or read back), before the offsets are stored
//! and anyone is told of them.
//!
//! One consumer for both topics: a pincode waiting for its city pauses only its
//! own partition, so the city (on the other topic) is never held back.
//!
//! After a rebalance, what was read before it and not applied (a batch being
//! gathered, parked pincodes and the messages held behind them) is forgotten:
//! none of it was stored, and every partition given again is read from its
//! committed offset, so it comes again. Nothing held from before a rebalance
//! is ever applied after one.

use std::collections::{HashMap, VecDeque};

use futures::FutureExt;
use rdkafka::consumer::Consumer;
use rdkafka::message::{Message, OwnedMessage};
use tokio::sync::watch;
use tokio::time::Instant;

use super::steps::Step;
use super::{set_paused, EventConsumer, Materializer};

/// At most this many messages are handled as one batch.
const BATCH: usize = 1000;

/// A pincode message waiting for its city, its partition paused meanwhile.
struct Parked {
    message: OwnedMessage,
    /// Retries done so far.
    attempt: u32,
    due: Instant,
    /// The partition's messages after it, in order, each done or not: their
    /// offsets are stored after its own.
    held: Vec<(OwnedMessage, bool)>,
}

/// Where one message of a batch got to.
#[derive(Clone, Copy, PartialEq)]
enum Reached {
    Done,
    Wait(u32),
    Stopped,
    /// Not tried: an earlier event of its key waits.
    NotTried,
}

/// What the consume loop holds that was read from Kafka and not yet stored.
struct Held {
    parked: Vec<Parked>,
    /// The rebalances the consumer had been through when this was read.
    rebalances: u64,
}

impl Held {
    /// Forgets everything held when the consumer went through a rebalance
    /// since it was read (it is read again from the committed offsets). True
    /// when it did.
    fn forget_if_rebalanced(&mut self, consumer: &EventConsumer) -> bool {
        let now = consumer.context().rebalances();
        if now == self.rebalances {
            return false;
        }
        self.rebalances = now;
        if !self.parked.is_empty() {
            tracing::info!(parked = self.parked.len(), "rebalanced: pincodes waiting for their city are read again");
            self.parked.clear();
        }
        true
    }
}

impl Materializer {
    /// Consumes until `shutdown` turns true. A pincode whose city has not
    /// arrived pauses only its own partition while it waits; everything else
    /// goes on (the city among it), and the consumer keeps polling, so group
    /// rebalances go through.
    pub(super) async fn consume(&self, consumer: &EventConsumer, shutdown: &mut watch::Receiver<bool>) {
        let mut held = Held { parked: Vec::new(), rebalances: consumer.context().rebalances() };
        loop {
            held.forget_if_rebalanced(consumer);
            let next_due = held.parked.iter().map(|p| p.due).min();
            let wake = async move {
                match next_due {
                    Some(due) => tokio::time::sleep_until(due).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = wake => {
                    if held.forget_if_rebalanced(consumer) {
                        continue;
                    }
                    let now = Instant::now();
                    let (due, later): (Vec<Parked>, Vec<Parked>) = held.parked.drain(..).partition(|p| p.due <= now);
                    held.parked = later;
                    for p in due {
                        if !self.unpark(consumer, p, &mut held.parked, shutdown).await {
                            return;
                        }
                    }
                }
                received = consumer.recv() => match received {
                    Ok(m) => {
                        // A rebalance served by that very call: it is of the new assignment.
                        held.forget_if_rebalanced(consumer);
                        let mut batch = vec![m.detach()];
                        while batch.len() < BATCH {
                            match consumer.recv().now_or_never() {
                                Some(Ok(m)) => {
                                    if held.forget_if_rebalanced(consumer) {
                                        batch.clear();
                                    }
                                    batch.push(m.detach());
                                }
                                _ => break,
                            }
                        }
                        #[cfg(feature = "failpoints")]
                        if fail::eval("materializer::freeze", |_| ()).is_some() {
                            // A test's stand-in for a consumer that stopped: the batch is
                            // held unapplied and nothing is polled again, until the
                            // watchdog replaces this consumer.
                            tracing::warn!(held = batch.len(), "fail point materializer::freeze: frozen");
                            std::future::pending::<()>().await;
                        }
                        if !self.handle(consumer, batch, &mut held.parked, shutdown).await {
                            return;
                        }
                    }
                    Err(e) => {
                        // librdkafka recovers from these by itself (a broker away, a
                        // rebalance failed); the watchdog steps in if it does not.
                        tracing::warn!(error = %e, "materializer's consumer reported an error");
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    }
                },
            }
        }
    }

    /// Sets a message aside until its next try, `attempt` retries done.
    fn park(&self, message: OwnedMessage, attempt: u32, held: Vec<(OwnedMessage, bool)>) -> Parked {
        Parked { due: Instant::now() + self.retry.backoff.wait(attempt - 1), attempt, message, held }
    }

    /// Handles one batch: the messages of one key in order, different keys at
    /// once; tells what was done; stores, per partition, the offset of the last
    /// message before the first one not done, and parks that one (and holds the
    /// rest of its partition behind it) when it waits for its city. False when
    /// the server is stopping.
    async fn handle(
        &self,
        consumer: &EventConsumer,
        batch: Vec<OwnedMessage>,
        parked: &mut Vec<Parked>,
        shutdown: &watch::Receiver<bool>,
    ) -> bool {
        // A partition with a message waiting for its city: the rest waits behind it.
        let mut fresh = Vec::with_capacity(batch.len());
        for m in batch {
            match parked.iter_mut().find(|p| same_partition(&p.message, &m)) {
                Some(p) => p.held.push((m, false)),
                None => fresh.push(m),
            }
        }
        let mut chains: Vec<Vec<usize>> = Vec::new();
        let mut chain_of: HashMap<(&str, i32, &[u8]), usize> = HashMap::new();
        for (i, m) in fresh.iter().enumerate() {
            let at = *chain_of.entry((m.topic(), m.partition(), m.key().unwrap_or_default())).or_insert_with(|| {
                chains.push(Vec::new());
                chains.len() - 1
            });
            chains[at].push(i);
        }
        // Round by round: the next message of every key whose messages so far are done.
        let mut shutdown = shutdown.clone();
        let mut next = vec![0usize; chains.len()];
        let mut active: Vec<usize> = (0..chains.len()).collect();
        let mut stepped: Vec<(usize, Step)> = Vec::with_capacity(fresh.len());
        while !active.is_empty() {
            let round: Vec<usize> = active.iter().map(|&c| chains[c][next[c]]).collect();
            let messages: Vec<&OwnedMessage> = round.iter().map(|&i| &fresh[i]).collect();
            let steps = self.step_all(&messages, &vec![0; round.len()], &mut shutdown).await;
            let mut still = Vec::new();
            for ((&c, &i), step) in active.iter().zip(&round).zip(steps) {
                let done = matches!(step, Step::Done(_));
                stepped.push((i, step));
                next[c] += 1;
                if done && next[c] < chains[c].len() {
                    still.push(c);
                }
            }
            active = still;
        }
        let mut reached = vec![Reached::NotTried; fresh.len()];
        let mut told = Vec::new();
        for (i, step) in stepped {
            reached[i] = match step {
                Step::Done(t) => {
                    told.push((i, *t));
                    Reached::Done
                }
                Step::Wait(attempt) => Reached::Wait(attempt),
                Step::Stopped => Reached::Stopped,
            };
        }
        told.sort_by_key(|(i, _)| *i);
        if !self.tell(told.into_iter().map(|(_, t)| t).collect(), &shutdown).await {
            return false;
        }

        let mut stopping = false;
        let mut messages: Vec<Option<OwnedMessage>> = fresh.into_iter().map(Some).collect();
        let mut partitions: Vec<(String, i32)> = Vec::new();
        for m in messages.iter().flatten() {
            let p = (m.topic().to_string(), m.partition());
            if !partitions.contains(&p) {
                partitions.push(p);
            }
        }
        for (topic, partition) in partitions {
            let of_partition: Vec<usize> = (0..messages.len())
                .filter(|&i| messages[i].as_ref().is_some_and(|m| m.topic() == topic && m.partition() == partition))
                .collect();
            let first_not_done = of_partition.iter().position(|&i| reached[i] != Reached::Done);
            let done = &of_partition[..first_not_done.unwrap_or(of_partition.len())];
            if let Some(&last) = done.last() {
                store(consumer, messages[last].as_ref().expect("a message of the batch"));
            }
            let Some(first) = first_not_done else { continue };
            let i = of_partition[first];
            match reached[i] {
                Reached::Wait(attempt) => {
                    let held = of_partition[first + 1..]
                        .iter()
                        .filter_map(|&j| messages[j].take().map(|m| (m, reached[j] == Reached::Done)))
                        .collect();
                    let message = messages[i].take().expect("a message of the batch");
                    set_paused(consumer, message.topic(), message.partition(), true);
                    parked.push(self.park(message, attempt, held));
                }
                _ => stopping = true,
            }
        }
        !stopping
    }

    /// A parked message's wait is over: tries it again, then the messages held
    /// behind it, in order, until one waits (parked again) or all are done (its
    /// partition resumed). False when the server is stopping.
    async fn unpark(
        &self,
        consumer: &EventConsumer,
        p: Parked,
        parked: &mut Vec<Parked>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> bool {
        // Alive, and waiting for a city: not stalled.
        self.watchdog.waiting();
        let (topic, partition) = (p.message.topic().to_string(), p.message.partition());
        let mut queue: VecDeque<(OwnedMessage, bool, u32)> =
            std::iter::once((p.message, false, p.attempt)).chain(p.held.into_iter().map(|(m, d)| (m, d, 0))).collect();
        while let Some((m, done, attempt)) = queue.pop_front() {
            if !done {
                match self.step(&m, attempt, shutdown).await {
                    Step::Done(told) => {
                        if !self.tell(vec![*told], shutdown).await {
                            return false;
                        }
                    }
                    Step::Wait(attempt) => {
                        let held = queue.into_iter().map(|(m, d, _)| (m, d)).collect();
                        parked.push(self.park(m, attempt, held));
                        return true;
                    }
                    Step::Stopped => return false,
                }
            }
            store(consumer, &m);
        }
        set_paused(consumer, &topic, partition, false);
        true
    }
}

fn same_partition(a: &OwnedMessage, b: &OwnedMessage) -> bool {
    a.partition() == b.partition() && a.topic() == b.topic()
}

fn store(consumer: &EventConsumer, m: &OwnedMessage) {
    if let Err(e) = consumer.store_offset(m.topic(), m.partition(), m.offset()) {
        let (topic, partition, offset) = (m.topic(), m.partition(), m.offset());
        tracing::warn!(topic, partition, offset, error = %e, "cannot store an offset");
    }
}
