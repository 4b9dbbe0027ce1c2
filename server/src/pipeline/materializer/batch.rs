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

use futures::FutureExt;
use rdkafka::consumer::Consumer;
use rdkafka::message::{Message, OwnedMessage};
use tokio::sync::watch;
use tokio::time::Instant;

use super::parking::{Parked, Parking};
use super::plan::{settle, Reached, Rounds, Settled, Slot, Then};
use super::steps::Step;
use super::{set_paused, EventConsumer, Materializer};

/// At most this many messages are handled as one batch.
const BATCH: usize = 1000;

/// A message's partition: its topic and number.
type Partition = (String, i32);

fn partition_of(m: &OwnedMessage) -> Partition {
    (m.topic().to_string(), m.partition())
}

/// What the consume loop holds that was read from Kafka and not yet stored.
struct Held {
    parked: Parking<Partition, OwnedMessage>,
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
        let mut held = Held { parked: Parking::new(), rebalances: consumer.context().rebalances() };
        loop {
            held.forget_if_rebalanced(consumer);
            let next_due = held.parked.next_due();
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
                    for p in held.parked.take_due(Instant::now()) {
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
    fn park(
        &self,
        message: OwnedMessage,
        attempt: u32,
        held: Vec<(OwnedMessage, bool)>,
    ) -> Parked<Partition, OwnedMessage> {
        let due = Instant::now() + self.retry.backoff.wait(attempt - 1);
        Parked { partition: partition_of(&message), message, attempt, due, held }
    }

    /// Handles one batch: the messages of one key in order, different keys at
    /// once (`plan::Rounds`); tells what was done; stores, per partition, the
    /// offset of the last message before the first one not done, and parks
    /// that one (and holds the rest of its partition behind it) when it waits
    /// for its city (`plan::settle`). False when the server is stopping.
    async fn handle(
        &self,
        consumer: &EventConsumer,
        batch: Vec<OwnedMessage>,
        parked: &mut Parking<Partition, OwnedMessage>,
        shutdown: &watch::Receiver<bool>,
    ) -> bool {
        // A partition with a message waiting for its city: the rest waits behind it.
        let fresh = parked.hold_behind(batch, partition_of);
        let slots: Vec<Slot> = fresh
            .iter()
            .map(|m| Slot { topic: m.topic(), partition: m.partition(), key: m.key().unwrap_or_default() })
            .collect();
        let mut rounds = Rounds::new(&slots);
        let mut shutdown = shutdown.clone();
        let mut reached = vec![Reached::NotTried; fresh.len()];
        let mut told = Vec::new();
        while let Some(round) = rounds.next_round() {
            let messages: Vec<&OwnedMessage> = round.iter().map(|&i| &fresh[i]).collect();
            let steps = self.step_all(&messages, &vec![0; round.len()], &mut shutdown).await;
            let mut done = Vec::with_capacity(round.len());
            for (&i, step) in round.iter().zip(steps) {
                reached[i] = match step {
                    Step::Done(t) => {
                        told.push((i, *t));
                        Reached::Done
                    }
                    Step::Wait(attempt) => Reached::Wait(attempt),
                    Step::Stopped => Reached::Stopped,
                };
                done.push(reached[i] == Reached::Done);
            }
            rounds.record(&done);
        }
        told.sort_by_key(|(i, _)| *i);
        if !self.tell(told.into_iter().map(|(_, t)| t).collect(), &shutdown).await {
            return false;
        }

        let partitions: Vec<(&str, i32)> = slots.iter().map(|s| (s.topic, s.partition)).collect();
        let settled = settle(&partitions, &reached);
        let mut messages: Vec<Option<OwnedMessage>> = fresh.into_iter().map(Some).collect();
        let mut stopping = false;
        for Settled { store: last_done, then } in settled {
            if let Some(last) = last_done {
                store(consumer, messages[last].as_ref().expect("a message of the batch"));
            }
            match then {
                Then::Nothing => {}
                Then::Park { message, attempt, held } => {
                    let held = held.into_iter().filter_map(|(j, done)| messages[j].take().map(|m| (m, done))).collect();
                    let message = messages[message].take().expect("a message of the batch");
                    set_paused(consumer, message.topic(), message.partition(), true);
                    parked.park(self.park(message, attempt, held));
                }
                Then::Stop => stopping = true,
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
        p: Parked<Partition, OwnedMessage>,
        parked: &mut Parking<Partition, OwnedMessage>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> bool {
        // Alive, and waiting for a city: not stalled.
        self.watchdog.waiting();
        let (topic, partition) = p.partition.clone();
        let mut queue = p.into_queue();
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
                        parked.park(self.park(m, attempt, held));
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

fn store(consumer: &EventConsumer, m: &OwnedMessage) {
    if let Err(e) = consumer.store_offset(m.topic(), m.partition(), m.offset()) {
        let (topic, partition, offset) = (m.topic(), m.partition(), m.offset());
        tracing::warn!(topic, partition, offset, error = %e, "cannot store an offset");
    }
}
