//! What became of a redriven event, recorded with the dead letter it was
//! sent back from, for the dead-letter page.
//!
//! Invariant: a redriven event is guarded by where it was first published
//! (`pipeline::event::read`), so one sent back after newer changes of its
//! entity finds them there and changes nothing: it is superseded, and its
//! history gets no entry (it changed nothing). The outcome is told once it
//! is known; if MongoDB cannot take it, the page shows none (logged), and
//! nothing else waits on it.

use app::domain::dead_letter::RedriveOutcome;
use app::domain::event::Envelope;
use rdkafka::message::OwnedMessage;

use super::super::event::from_letter;
use super::Materializer;
use crate::store::Applied;

impl Materializer {
    /// For a redriven event that was applied (or found applied): applied, or
    /// superseded when its entity was past it and this event never was (it
    /// has no history entry; one it has is a redelivery's). None for an
    /// event not redriven.
    pub(super) async fn settle_redrive(
        &self,
        m: &OwnedMessage,
        event: &Envelope,
        applied: &Applied,
    ) -> Option<RedriveOutcome> {
        let letter = from_letter(m)?;
        let outcome = match applied {
            Applied::Changed => RedriveOutcome::Applied,
            Applied::AlreadyApplied => match self.store.history_entry(&event.id).await {
                Ok(Some(_)) => RedriveOutcome::Applied,
                Ok(None) => RedriveOutcome::Superseded,
                Err(e) => {
                    tracing::warn!(letter = %letter, error = %e, "cannot tell whether a redriven event was superseded");
                    return None;
                }
            },
        };
        if outcome == RedriveOutcome::Superseded {
            tracing::info!(
                event_id = %event.id,
                entity = %event.subject,
                letter = %letter,
                "a redriven event is older than its entity's last change: skipped"
            );
        }
        self.tell_letter(&letter, &outcome).await;
        Some(outcome)
    }

    /// Records what became of a redriven event with its letter.
    pub(super) async fn tell_letter(&self, letter: &str, outcome: &RedriveOutcome) {
        let topic = self.kafka.config.dead_letter_topic();
        if let Err(e) = self.handlings.settled(&topic, letter, outcome).await {
            tracing::warn!(letter = %letter, error = %e, "cannot record what became of a redriven event");
        }
    }
}
