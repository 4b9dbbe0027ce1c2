//! Who handled which dead letter, how and when: one document a handled dead
//! letter, its id the letter's topic and place, so a letter is handled once.
//!
//! A redrive claims its letter here before it sends (a second admin's claim
//! fails on the unique `_id`), then records where the event landed; a send that
//! fails releases the claim.

use std::collections::HashMap;

use app::domain::dead_letter::{Handled, Handling, RedriveOutcome};
use futures::TryStreamExt;
use mongodb::bson::{self, doc, Document};
use mongodb::{Collection, Database};

use super::mongo::is_duplicate_key;

#[derive(Clone)]
pub struct DeadLetterHandlings {
    coll: Collection<Document>,
}

fn key(topic: &str, id: &str) -> String {
    format!("{topic}/{id}")
}

fn handling(d: &Document) -> Option<Handling> {
    let handled = match d.get_str("kind").ok()? {
        "discarded" => Handled::Discarded,
        "redriven" => Handled::Redriven {
            topic: d.get_str("to_topic").unwrap_or_default().to_string(),
            landed: d.get_i32("to_partition").ok().zip(d.get_i64("to_offset").ok()),
        },
        _ => return None,
    };
    let outcome = d.get_document("outcome").ok().and_then(|o| bson::from_document(o.clone()).ok());
    Some(Handling { handled, by: d.get_str("by").ok()?.to_string(), at: d.get_i64("at").ok()?, outcome })
}

impl DeadLetterHandlings {
    pub fn new(db: &Database) -> Self {
        DeadLetterHandlings { coll: db.collection("dead_letter_handling") }
    }

    /// How each of these letters of `topic` was handled (the unhandled are absent).
    pub async fn of(&self, topic: &str, ids: &[String]) -> mongodb::error::Result<HashMap<String, Handling>> {
        let keys: Vec<String> = ids.iter().map(|id| key(topic, id)).collect();
        let docs: Vec<Document> = self.coll.find(doc! { "_id": { "$in": keys } }).await?.try_collect().await?;
        Ok(docs.iter().filter_map(|d| Some((d.get_str("letter").ok()?.to_string(), handling(d)?))).collect())
    }

    /// How many letters of `topic` were handled.
    pub async fn count(&self, topic: &str) -> mongodb::error::Result<u64> {
        self.coll.count_documents(doc! { "topic": topic }).await
    }

    /// Records a letter as handled, unless it is already: then says how.
    pub async fn claim(
        &self,
        topic: &str,
        id: &str,
        h: &Handling,
    ) -> mongodb::error::Result<Result<(), Option<Handling>>> {
        let mut d = doc! { "_id": key(topic, id), "topic": topic, "letter": id, "by": &h.by, "at": h.at };
        match &h.handled {
            Handled::Discarded => d.insert("kind", "discarded"),
            Handled::Redriven { topic: to, .. } => {
                d.insert("to_topic", to);
                d.insert("kind", "redriven")
            }
        };
        match self.coll.insert_one(d).await {
            Ok(_) => Ok(Ok(())),
            Err(e) if is_duplicate_key(&e) => {
                let existing = self.coll.find_one(doc! { "_id": key(topic, id) }).await?;
                Ok(Err(existing.as_ref().and_then(handling)))
            }
            Err(e) => Err(e),
        }
    }

    /// Where a redriven letter's event landed.
    pub async fn landed(&self, topic: &str, id: &str, partition: i32, offset: i64) -> mongodb::error::Result<()> {
        let set = doc! { "$set": { "to_partition": partition, "to_offset": offset } };
        self.coll.update_one(doc! { "_id": key(topic, id) }, set).await?;
        Ok(())
    }

    /// What became of a redriven letter's event (the materializer says).
    pub async fn settled(&self, topic: &str, id: &str, outcome: &RedriveOutcome) -> mongodb::error::Result<()> {
        let outcome = bson::to_document(outcome).unwrap_or_default();
        self.coll.update_one(doc! { "_id": key(topic, id) }, doc! { "$set": { "outcome": outcome } }).await?;
        Ok(())
    }

    /// Forgets a claim whose redrive could not be sent.
    pub async fn release(&self, topic: &str, id: &str) -> mongodb::error::Result<()> {
        self.coll.delete_one(doc! { "_id": key(topic, id) }).await?;
        Ok(())
    }
}
