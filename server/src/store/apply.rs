//! The apply step: one event's effect on the read model, guarded by the event's
//! Kafka position.
//!
//! Invariant: an entity's events all land on one partition (the entity's key),
//! so within that partition a larger offset is a later event. Each entity keeps
//! the position of the last event applied to it, and an event at or before that
//! position changes nothing: a redelivered event (after a crash, a rebalance, a
//! replay) is applied once in effect. A city's list of pincodes is kept with set
//! operations (`$addToSet`, `$pull`), which are safe to repeat.
//!
//! The history is written apart, a batch of entries at once ([`Store::record`]),
//! by the caller, before it stores the events' offsets: an entry is keyed by its
//! event's id, so writing it again after a crash changes nothing.

use app::domain::event::{Change, CityData, CityRef, Envelope, PincodeRef};
use app::domain::pincode::PincodeFields;
use mongodb::bson::{doc, Bson, DateTime, Document};

use super::documents::{city_doc, pincode_doc};
use super::mongo::is_duplicate_key;
use super::Store;

/// Where an event sits in Kafka. An entity's events land on one partition (its
/// key's) while the topic keeps its partition count, so there a larger offset
/// is a later event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub partition: i32,
    pub offset: i64,
}

impl Position {
    /// As it is kept on an entity and a history entry.
    fn to_doc(self) -> Document {
        doc! { "p": self.partition, "o": self.offset }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    /// The read model changed.
    Changed,
    /// The entity already reflects this event (a redelivery): nothing changed.
    AlreadyApplied,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The pincode's city is not in the read model yet: try again later.
    #[error("city '{0}' does not exist (yet)")]
    CityMissing(String),
    /// The event cannot be applied, ever (it goes to the dead-letter topic).
    #[error("{0}")]
    Rejected(String),
    /// MongoDB failed: away (waited for, as long as it takes) or refusing the
    /// event (tried a few times, then dead-lettered); see `store::is_unreachable`.
    #[error("MongoDB: {0}")]
    Store(#[from] mongodb::error::Error),
}

/// An applied event's entry in the history, to be written by [`Store::record`].
#[derive(Clone, Debug)]
pub struct HistoryRecord(Document);

impl HistoryRecord {
    fn of(event: &Envelope, change: &Change, pos: Position) -> Result<Self, ApplyError> {
        let mut entities = vec![event.subject.clone()];
        if let Some(city) = change.city_id().filter(|c| *c != event.subject) {
            entities.push(city.to_string());
        }
        Ok(Self(doc! {
            "_id": &event.id,
            "type": &event.event_type,
            "subject": &event.subject,
            "entities": entities,
            "actor": &event.actor,
            "time": event_time(&event.time)?,
            "summary": change.summary(),
            "_pos": pos.to_doc(),
        }))
    }
}

impl Store {
    /// Applies one event at `pos` to the read model, unless the entity already
    /// reflects it, and gives the event's history entry (even then: a
    /// redelivered event's entry may not have been written before the crash).
    pub async fn apply(
        &self,
        event: &Envelope,
        change: &Change,
        pos: Position,
    ) -> Result<(Applied, HistoryRecord), ApplyError> {
        let entry = HistoryRecord::of(event, change, pos)?;
        let applied = self.apply_change(event, change, pos).await?;
        Ok((applied, entry))
    }

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

    async fn apply_change(&self, event: &Envelope, change: &Change, pos: Position) -> Result<Applied, ApplyError> {
        let time = event_time(&event.time)?;
        let stamp = doc! { "_pos": pos.to_doc(), "last_event_id": &event.id, "updated_at": time };
        match change {
            Change::CityCreated(data) => self.city_created(data, time, stamp, pos).await,
            Change::CityUpdated(data) => {
                let mut set = city_doc(&data.fields);
                set.extend(stamp);
                self.update_city(&data.id, set, pos).await
            }
            Change::CityDeleted(r) => self.set_deleted(r, Bson::DateTime(time), stamp, pos).await,
            Change::CityRestored(r) => self.set_deleted(r, Bson::Null, stamp, pos).await,
            Change::PincodeUpserted(p) => self.pincode_upserted(p, time, stamp, pos).await,
            Change::PincodeDeleted(p) => self.pincode_deleted(p, time, stamp, pos).await,
        }
    }

    async fn city_created(
        &self,
        data: &CityData,
        time: DateTime,
        stamp: Document,
        pos: Position,
    ) -> Result<Applied, ApplyError> {
        let mut set = city_doc(&data.fields);
        set.extend(stamp);
        set.insert("deleted_at", Bson::Null);
        let update = doc! { "$set": set, "$setOnInsert": { "created_at": time, "pincodes": [] } };
        match self.cities.update_one(not_yet_applied(&data.id, pos), update).upsert(true).await {
            Ok(_) => Ok(Applied::Changed),
            Err(e) if is_duplicate_key(&e) => {
                // Either this city is past this event already (the upsert's insert
                // collided on _id), or another city has this name in this state.
                if self.cities.find_one(doc! { "_id": &data.id }).await?.is_some() {
                    Ok(Applied::AlreadyApplied)
                } else {
                    Err(ApplyError::Rejected(format!(
                        "another city is already named '{}' in {}",
                        data.fields.name, data.fields.state
                    )))
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `$set` on an existing city, guarded by the event position.
    async fn update_city(&self, id: &str, set: Document, pos: Position) -> Result<Applied, ApplyError> {
        match self.cities.update_one(not_yet_applied(id, pos), doc! { "$set": set }).await {
            Ok(r) if r.matched_count == 1 => Ok(Applied::Changed),
            Ok(_) => match self.cities.find_one(doc! { "_id": id }).await? {
                Some(_) => Ok(Applied::AlreadyApplied),
                None => Err(ApplyError::Rejected(format!("city '{id}' does not exist"))),
            },
            Err(e) if is_duplicate_key(&e) => {
                Err(ApplyError::Rejected(format!("another city already has this name and state: {e}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn set_deleted(
        &self,
        r: &CityRef,
        deleted_at: Bson,
        mut stamp: Document,
        pos: Position,
    ) -> Result<Applied, ApplyError> {
        stamp.insert("deleted_at", deleted_at);
        self.update_city(&r.id, stamp, pos).await
    }

    async fn pincode_upserted(
        &self,
        p: &PincodeFields,
        time: DateTime,
        stamp: Document,
        pos: Position,
    ) -> Result<Applied, ApplyError> {
        let previous = self.pincodes.find_one(doc! { "_id": &p.pincode }).await?;
        if previous.as_ref().is_some_and(|d| applied_at_or_after(d, pos)) {
            return Ok(Applied::AlreadyApplied);
        }
        if self.cities.find_one(doc! { "_id": &p.city_id }).projection(doc! { "_id": 1 }).await?.is_none() {
            return Err(ApplyError::CityMissing(p.city_id.clone()));
        }
        // The cities' lists first (set operations, safe to repeat), then the
        // pincode with its position: a crash between the two repeats only the first.
        let old_city = previous.as_ref().and_then(|d| d.get_str("city_id").ok()).filter(|c| *c != p.city_id);
        if let Some(old) = old_city {
            self.cities.update_one(doc! { "_id": old }, doc! { "$pull": { "pincodes": &p.pincode } }).await?;
        }
        self.cities.update_one(doc! { "_id": &p.city_id }, doc! { "$addToSet": { "pincodes": &p.pincode } }).await?;
        let mut set = pincode_doc(p);
        set.extend(stamp);
        set.insert("deleted_at", Bson::Null);
        let update = doc! { "$set": set, "$setOnInsert": { "created_at": time } };
        match self.pincodes.update_one(not_yet_applied(&p.pincode, pos), update).upsert(true).await {
            Ok(_) => Ok(Applied::Changed),
            Err(e) if is_duplicate_key(&e) => Ok(Applied::AlreadyApplied),
            Err(e) => Err(e.into()),
        }
    }

    async fn pincode_deleted(
        &self,
        p: &PincodeRef,
        time: DateTime,
        mut stamp: Document,
        pos: Position,
    ) -> Result<Applied, ApplyError> {
        let Some(current) = self.pincodes.find_one(doc! { "_id": &p.pincode }).await? else {
            return Err(ApplyError::Rejected(format!("pincode {} does not exist", p.pincode)));
        };
        if applied_at_or_after(&current, pos) {
            return Ok(Applied::AlreadyApplied);
        }
        if let Ok(city) = current.get_str("city_id") {
            self.cities.update_one(doc! { "_id": city }, doc! { "$pull": { "pincodes": &p.pincode } }).await?;
        }
        stamp.insert("deleted_at", time);
        self.pincodes.update_one(not_yet_applied(&p.pincode, pos), doc! { "$set": stamp }).await?;
        Ok(Applied::Changed)
    }
}

/// Matches the entity only if it has not seen an event at or after `pos`. Offsets
/// order events within one partition only: an event from another partition (the
/// topic was given more partitions, so the key moved) is newer than what is there.
///
/// Written as `$and: [{_id}, {$or: …}]`: secantusd-rs scans the collection for
/// an `_id` beside a top-level `$or` (8.8 ms at 20,000 pincodes, growing with
/// them) but finds it by index inside `$and` (0.3 ms); an upsert takes its `_id`
/// from either.
fn not_yet_applied(id: &str, pos: Position) -> Document {
    let unapplied = doc! { "$or": [
        { "_pos": { "$exists": false } },
        { "_pos.p": { "$ne": pos.partition } },
        { "_pos.o": { "$lt": pos.offset } },
    ] };
    doc! { "$and": [{ "_id": id }, unapplied] }
}

/// The same test as [`not_yet_applied`], on a document already read.
fn applied_at_or_after(d: &Document, pos: Position) -> bool {
    d.get_document("_pos")
        .ok()
        .is_some_and(|p| p.get_i32("p").ok() == Some(pos.partition) && p.get_i64("o").is_ok_and(|o| o >= pos.offset))
}

fn event_time(rfc3339: &str) -> Result<DateTime, ApplyError> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| DateTime::from_millis(t.timestamp_millis()))
        .map_err(|e| ApplyError::Rejected(format!("event time '{rfc3339}' is not RFC 3339: {e}")))
}
