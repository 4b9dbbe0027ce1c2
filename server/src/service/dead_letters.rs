//! Dead letters: the ones waiting, read from the dead-letter topic and joined
//! with who handled which; and an admin's redrive or discard.
//!
//! Invariant: a dead letter is sent back at most once. A redrive first claims
//! the letter in MongoDB (a second claim fails on its unique id), then sends
//! the event, bytes unchanged, to its original topic with its redrive count one
//! higher, where it was first published (the materializer's guard compares
//! that, so an old event never overwrites newer data) and the letter it came
//! from, then records where it landed; a send that fails releases the claim,
//! so the letter waits again. Past `GEOLEDGER_DLT_MAX_REDRIVES` a redrive is
//! refused, and only discarding it handles it.

use std::sync::Arc;

use app::domain::dead_letter::{
    kept_on_redrive, letter_id, parse_letter_id, position_text, ActionOutcome, DeadLetter, DeadLetterPage, Handled,
    Handling, FIRST_POSITION, FROM_LETTER, MAX_READ, REDRIVES,
};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders, OwnedMessage};

use super::Actor;
use crate::error::Error;
use crate::kafka_admin::{message, KafkaAdmin};
use crate::pipeline::Kafka;
use crate::store::DeadLetterHandlings;

#[derive(Clone)]
pub struct DeadLetters {
    kafka: Arc<Kafka>,
    admin: KafkaAdmin,
    handlings: DeadLetterHandlings,
}

impl DeadLetters {
    pub fn new(kafka: Arc<Kafka>, admin: KafkaAdmin, handlings: DeadLetterHandlings) -> Self {
        DeadLetters { kafka, admin, handlings }
    }

    /// The dead-letter topic.
    pub fn topic(&self) -> String {
        self.kafka.config.dead_letter_topic()
    }

    fn max_redrives(&self) -> u32 {
        self.kafka.config.dlt_max_redrives
    }

    /// The newest dead letters, newest first; the handled ones only when asked.
    pub async fn list(&self, include_handled: bool) -> Result<DeadLetterPage, Error> {
        let topic = self.topic();
        let (messages, in_topic) = self.admin.newest(&topic, MAX_READ).await?;
        let ids: Vec<String> = messages.iter().map(|m| letter_id(m.partition, m.offset)).collect();
        let mut handlings = self.handlings.of(&topic, &ids).await?;
        let letters: Vec<DeadLetter> =
            messages.into_iter().zip(&ids).map(|(m, id)| DeadLetter::read(m, handlings.remove(id))).collect();
        let (read, handled) = (letters.len(), letters.iter().filter(|l| l.handling.is_some()).count());
        let letters = letters.into_iter().filter(|l| include_handled || l.handling.is_none()).collect();
        Ok(DeadLetterPage { letters, read, handled, in_topic, max_redrives: self.max_redrives() })
    }

    /// How many of the `in_topic` messages of the dead-letter topic wait to be
    /// handled: those minus the ones handled (a letter handled and then
    /// dropped by the topic's retention counts against it: never below 0).
    pub async fn waiting(&self, in_topic: i64) -> Result<i64, Error> {
        let handled = self.handlings.count(&self.topic()).await?;
        Ok((in_topic - handled as i64).max(0))
    }

    /// The letter an id names, as it is in the topic, or why there is none.
    async fn letter(&self, id: &str) -> Result<Result<(DeadLetter, OwnedMessage), String>, Error> {
        let Some((partition, offset)) = parse_letter_id(id) else {
            return Ok(Err(format!("{id:?} is not a dead letter's id (partition-offset)")));
        };
        let topic = self.topic();
        let Some(raw) = self.admin.message_at(&topic, partition, offset).await? else {
            return Ok(Err(format!("there is no dead letter {id} in {topic}")));
        };
        let handling = self.handlings.of(&topic, &[id.to_string()]).await?.remove(id);
        Ok(Ok((DeadLetter::read(message(&raw), handling), raw)))
    }

    /// Sends each letter back to its original topic, in the order given. A
    /// letter refused (handled, past the limit, unknown) says why; if Kafka
    /// fails, that letter and the ones after it are left waiting.
    pub async fn redrive(&self, ids: &[String], actor: &Actor) -> Result<Vec<ActionOutcome>, Error> {
        let mut outcomes = Vec::new();
        let mut kafka_failed: Option<String> = None;
        for id in ids {
            let result = match &kafka_failed {
                Some(why) => Err(format!("not sent: {why}")),
                None => match self.redrive_one(id, actor).await {
                    Ok(result) => result,
                    Err(Error::Kafka(e)) => {
                        kafka_failed = Some(e.to_string());
                        Err(format!("not sent: {e}; it waits as it was"))
                    }
                    Err(e) => return Err(e),
                },
            };
            outcomes.push(ActionOutcome { id: id.clone(), result: result.into() });
        }
        Ok(outcomes)
    }

    async fn redrive_one(&self, id: &str, actor: &Actor) -> Result<Result<Handled, String>, Error> {
        let (letter, raw) = match self.letter(id).await? {
            Ok(found) => found,
            Err(why) => return Ok(Err(why)),
        };
        if let Some(why) = letter.redrive_refusal(self.max_redrives()) {
            return Ok(Err(why));
        }
        let to = letter.original_topic.clone().unwrap_or_default();
        let event_topics = [self.kafka.config.city_topic(), self.kafka.config.pincode_topic()];
        if !event_topics.contains(&to) {
            return Ok(Err(format!("dead letter {id} came from {to}, which is not one of GeoLedger's event topics")));
        }
        let topic = self.topic();
        if let Err(why) = self.claim(id, Handled::Redriven { topic: to.clone(), landed: None }, actor).await? {
            return Ok(Err(why));
        }
        let redrives = (letter.redrives + 1).to_string();
        let mut headers = OwnedHeaders::new();
        for h in raw.headers().into_iter().flat_map(|h| h.iter()).filter(|h| kept_on_redrive(h.key)) {
            headers = headers.insert(Header { key: h.key, value: h.value });
        }
        headers = headers.insert(Header { key: REDRIVES, value: Some(redrives.as_str()) });
        // The first redrive says where the event was first published; later ones keep that.
        let first = letter.original_partition.zip(letter.original_offset).map(|(p, o)| position_text(p, o));
        if let Some(first) = first.filter(|_| !letter.message.headers.iter().any(|(k, _)| k == FIRST_POSITION)) {
            headers = headers.insert(Header { key: FIRST_POSITION, value: Some(first.as_str()) });
        }
        headers = headers.insert(Header { key: FROM_LETTER, value: Some(id) });
        match self.kafka.send(&to, raw.key(), raw.payload(), headers).await {
            Ok((partition, offset)) => {
                tracing::info!(
                    actor = %actor.name,
                    letter = %id,
                    topic = %to,
                    partition,
                    offset,
                    "redrove a dead letter"
                );
                self.handlings.landed(&topic, id, partition, offset).await?;
                Ok(Ok(Handled::Redriven { topic: to, landed: Some((partition, offset)) }))
            }
            Err(e) => {
                self.handlings.release(&topic, id).await?;
                Err(e.into())
            }
        }
    }

    /// Records the letter as handled so, by the actor, now; or says who did first.
    async fn claim(&self, id: &str, handled: Handled, actor: &Actor) -> Result<Result<(), String>, Error> {
        let h = Handling { handled, by: actor.name.clone(), at: chrono::Utc::now().timestamp_millis(), outcome: None };
        Ok(self.handlings.claim(&self.topic(), id, &h).await?.map_err(|existing| match existing {
            Some(first) => first.refusal(id),
            None => format!("dead letter {id} was handled already"),
        }))
    }

    /// Marks each letter handled without sending it anywhere.
    pub async fn discard(&self, ids: &[String], actor: &Actor) -> Result<Vec<ActionOutcome>, Error> {
        let mut outcomes = Vec::new();
        for id in ids {
            let result = match self.letter(id).await? {
                Err(why) => Err(why),
                Ok((letter, _)) => match letter.discard_refusal() {
                    Some(why) => Err(why),
                    None => self.claim(id, Handled::Discarded, actor).await?.map(|()| {
                        tracing::info!(actor = %actor.name, letter = %id, "discarded a dead letter");
                        Handled::Discarded
                    }),
                },
            };
            outcomes.push(ActionOutcome { id: id.clone(), result: result.into() });
        }
        Ok(outcomes)
    }
}
