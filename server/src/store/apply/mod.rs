//! The apply step: one event's effect on the read model, guarded by the event's
//! Kafka position.
//!
//! Invariant: an entity's events all land on one partition (the entity's key),
//! so within that partition a larger offset is a later event. Each entity keeps
//! the position of the last event applied to it, and an event at or before that
//! position changes nothing: a redelivered event (after a crash, a rebalance, a
//! replay) is applied once in effect. An entity not there when read is inserted
//! whole, its `_id` the guard (should it be there by then, the insert fails and
//! the guarded upsert goes instead). A city's list of pincodes is kept with set
//! operations (`$addToSet`, `$pull`), which are safe to repeat.
//!
//! - `plan`: the decision, pure: what each event does and the writes it needs;
//! - `bulk`: the raw writer, those writes as a few MongoDB commands;
//! - here: the two together, one batch of events at a time.
//!
//! The history is written apart, a batch of entries at once ([`Store::record`]),
//! by the caller, before it stores the events' offsets: an entry is keyed by its
//! event's id, so writing it again after a crash changes nothing.

mod bulk;
mod plan;

use std::collections::HashMap;

use app::domain::changes::{self, FieldChange, Snapshot};
use app::domain::event::{Change, Envelope};
use mongodb::bson::{self, doc, Bson, DateTime, Document};

use self::bulk::write_all;
use self::plan::{entities, event_time, plan};
pub use self::plan::{Applied, ApplyError, Entity, Pending, Position};
use super::documents::{city_from_doc, pincode_from_doc};
use super::mongo::is_duplicate_key;
use super::reads::documents_by_id;
use super::Store;

/// An applied event's entry in the history, to be written by [`Store::record`]:
/// who, when, which job, where in Kafka, and what it changed, field by field.
#[derive(Clone, Debug)]
pub struct HistoryRecord(Document);

impl HistoryRecord {
    /// `city`: the city of a pincode the event deletes (the event does not
    /// name it); its history holds the delete too.
    fn of(
        event: &Envelope,
        change: &Change,
        city: Option<&str>,
        pos: Position,
        time: DateTime,
        changes: &[FieldChange],
    ) -> Self {
        let mut entities = vec![event.subject.clone()];
        if let Some(city) = change.city_id().or(city).filter(|c| *c != event.subject) {
            entities.push(city.to_string());
        }
        Self(doc! {
            "_id": &event.id,
            "type": &event.event_type,
            "subject": &event.subject,
            "entities": entities,
            "actor": &event.actor,
            "time": time,
            "summary": change.summary(),
            "import_job": event.importjob.as_deref(),
            "reverts": event.reverts.as_deref(),
            "changes": bson::to_bson(changes).unwrap_or_else(|_| Bson::Array(Vec::new())),
            "_pos": pos.to_doc(),
        })
    }

    /// What the activity feed's index keeps of it.
    pub fn logged(&self) -> Option<super::Logged> {
        super::Logged::of(&self.0)
    }

    /// The topic its event was read from: with `_pos`, where its message is.
    pub fn from_topic(mut self, topic: &str) -> Self {
        self.0.insert("topic", topic);
        self
    }
}

/// The entities as each event of a batch finds them: as read, then as each
/// event before it in the batch left them (an entity's events in one batch
/// follow each other).
struct Before<'a> {
    cities: &'a HashMap<String, Document>,
    pincodes: &'a HashMap<String, Document>,
    now: HashMap<String, Option<Snapshot>>,
}

impl Before<'_> {
    /// What `change` changed, and the entity as it leaves it for the next event.
    fn changes(&mut self, change: &Change) -> Vec<FieldChange> {
        let subject = change.subject();
        let before = self.now.entry(subject.to_string()).or_insert_with(|| match change {
            Change::PincodeUpserted(_) | Change::PincodeDeleted(_) => self.pincodes.get(subject).map(|d| {
                let p = pincode_from_doc(d);
                changes::pincode(&p.fields, p.deleted_at.is_some())
            }),
            _ => self.cities.get(subject).map(|d| {
                let c = city_from_doc(d);
                changes::city(&c.fields, c.deleted_at.is_some())
            }),
        });
        let Some(after) = changes::after(change, before.as_ref()) else { return Vec::new() };
        let diff = changes::diff(before.as_ref(), &after);
        *before = Some(after);
        diff
    }
}

impl Store {
    /// Writes history entries, one command for all of them. An entry already
    /// there (its event applied before a crash) is left as it is.
    pub async fn record(&self, entries: &[HistoryRecord]) -> Result<(), mongodb::error::Error> {
        if entries.is_empty() {
            return Ok(());
        }
        match self.history.insert_many(entries.iter().map(|e| &e.0)).ordered(false).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// What one event applied, with its history entry.
#[derive(Debug)]
pub struct AppliedEvent {
    pub applied: Applied,
    pub history: HistoryRecord,
    /// The entity as this event's write left it, when the write set it whole
    /// (a city created, a pincode upserted); otherwise read it back.
    pub written: Option<Entity>,
}

/// What one event applied, or why it was not.
pub type ApplyResult = Result<AppliedEvent, ApplyError>;

impl Store {
    /// Applies one event at `pos` to the read model, unless the entity already
    /// reflects it, and gives the event's history entry (even then: a
    /// redelivered event's entry may not have been written before the crash).
    pub async fn apply(&self, event: &Envelope, change: &Change, pos: Position) -> ApplyResult {
        let mut results = self.apply_all(&[Pending { event, change, pos }]).await;
        results.pop().expect("one result per event")
    }

    /// Applies events of different entities together, in a few round trips
    /// whatever their number: the entities are read by `_id` (one `$in` per
    /// collection), each event is decided against what is there (already
    /// applied, city missing, no such entity), and the writes go as one
    /// `insert` (entities that were not there) and one `update` command per
    /// collection, the cities' first. Each update keeps its position guard,
    /// and an insert its `_id`, so a redelivered batch changes nothing again.
    /// One result per event, in order.
    pub async fn apply_all(&self, items: &[Pending<'_>]) -> Vec<ApplyResult> {
        match self.try_apply_all(items).await {
            Ok(results) => results,
            // MongoDB failed the batch as a whole: every event is tried again.
            Err(e) => items.iter().map(|_| Err(ApplyError::Store(e.clone()))).collect(),
        }
    }

    async fn try_apply_all(&self, items: &[Pending<'_>]) -> mongodb::error::Result<Vec<ApplyResult>> {
        let (city_ids, pincode_ids) = entities(items);
        // Whole: each event's history says what it changed.
        let (cities, pincodes) = tokio::try_join!(
            documents_by_id(&self.cities, &city_ids, None),
            documents_by_id(&self.pincodes, &pincode_ids, None),
        )?;
        let mut before = Before { cities: &cities, pincodes: &pincodes, now: HashMap::new() };
        // Per event: what was decided and its time, or why it was not applied.
        let mut outcomes = Vec::with_capacity(items.len());
        let (mut city_writes, mut pincode_writes) = (Vec::new(), Vec::new());
        for (item, p) in items.iter().enumerate() {
            // The event's time, read once: for its writes and its history entry.
            let outcome = event_time(&p.event.time).and_then(|time| {
                let planned = plan(item, p, time, &cities, &pincodes, &mut city_writes, &mut pincode_writes);
                planned.map(|(applied, written)| {
                    let changed = if applied == Applied::Changed { before.changes(p.change) } else { Vec::new() };
                    (applied, written, time, changed)
                })
            });
            outcomes.push(outcome);
        }
        for (k, code, message) in write_all(&self.cities, &city_writes).await? {
            let item = city_writes[k].item;
            outcomes[item] = Err(match (&items[item].change, code) {
                (Change::CityCreated(data), 11000) => ApplyError::Rejected(format!(
                    "another city is already named '{}' in {}",
                    data.fields.name, data.fields.state
                )),
                (_, 11000) => ApplyError::Rejected(format!("another city already has this name and state: {message}")),
                _ => ApplyError::Refused(message),
            });
        }
        // A pincode whose city write failed is not written either.
        pincode_writes.retain(|w| outcomes[w.item].is_ok());
        for (k, code, message) in write_all(&self.pincodes, &pincode_writes).await? {
            let item = pincode_writes[k].item;
            // A duplicate `_id` on the upsert: the pincode is past this event already.
            match (&mut outcomes[item], code) {
                (Ok((applied, written, _, _)), 11000) => (*applied, *written) = (Applied::AlreadyApplied, None),
                (outcome, _) => *outcome = Err(ApplyError::Refused(message)),
            }
        }
        Ok(items
            .iter()
            .zip(outcomes)
            .map(|(p, outcome)| {
                let city = match p.change {
                    Change::PincodeDeleted(r) => pincodes.get(&r.pincode).and_then(|d| d.get_str("city_id").ok()),
                    _ => None,
                };
                outcome.map(|(applied, written, time, changed)| AppliedEvent {
                    applied,
                    history: HistoryRecord::of(p.event, p.change, city, p.pos, time, &changed),
                    written,
                })
            })
            .collect())
    }
}
