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
//! The history is written apart, a batch of entries at once ([`Store::record`]),
//! by the caller, before it stores the events' offsets: an entry is keyed by its
//! event's id, so writing it again after a crash changes nothing.

use std::collections::HashMap;

use app::domain::city::City;
use app::domain::event::{Change, Envelope};
use app::domain::pincode::Pincode;
use mongodb::bson::{doc, Bson, DateTime, Document, RawArrayBuf, RawDocumentBuf};
use mongodb::Collection;

use super::documents::{city_doc, pincode_doc};
use super::mongo::is_duplicate_key;
use super::reads::documents_by_id;
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
    /// MongoDB refused this event's write (tried a few times, then dead-lettered).
    #[error("MongoDB refused the write: {0}")]
    Refused(String),
}

/// An applied event's entry in the history, to be written by [`Store::record`].
#[derive(Clone, Debug)]
pub struct HistoryRecord(Document);

impl HistoryRecord {
    fn of(event: &Envelope, change: &Change, pos: Position, time: DateTime) -> Self {
        let mut entities = vec![event.subject.clone()];
        if let Some(city) = change.city_id().filter(|c| *c != event.subject) {
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
            "_pos": pos.to_doc(),
        })
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

/// One event to apply, where it sits in Kafka.
pub struct Pending<'a> {
    pub event: &'a Envelope,
    pub change: &'a Change,
    pub pos: Position,
}

/// An entity as an event's write left it in the store: every field the in-memory
/// index keeps is as stored (its `created_at` may be older), so the index takes
/// it without reading it back.
#[derive(Clone, Debug)]
pub enum Entity {
    City(City),
    Pincode(Pincode),
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

/// What deciding an event gives: applied or not, and the entity it writes whole.
type Planned = Result<(Applied, Option<Entity>), ApplyError>;

/// One write, for the item at `item`.
struct Write {
    item: usize,
    kind: WriteKind,
}

enum WriteKind {
    /// An entity that was not there when read, inserted whole: on secantusd-rs
    /// an insert costs a quarter of an upsert. Should it be there after all
    /// (written meanwhile), the insert fails on `_id` and `otherwise` is sent.
    Insert {
        doc: Document,
        otherwise: Update,
    },
    Update(Update),
}

/// One statement of a multi-statement `update` command.
struct Update {
    q: Document,
    u: Document,
    upsert: bool,
}

impl Update {
    fn statement(&self) -> Document {
        doc! { "q": &self.q, "u": &self.u, "upsert": self.upsert }
    }
}

/// Statements of one command stay under this many bytes (MongoDB takes 16 MB).
const COMMAND_BYTES: usize = 8 << 20;

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
        let (cities, pincodes) = tokio::try_join!(
            documents_by_id(&self.cities, &city_ids, Some(doc! { "_pos": 1 })),
            documents_by_id(&self.pincodes, &pincode_ids, Some(doc! { "_pos": 1, "city_id": 1 })),
        )?;
        // Per event: what was decided and its time, or why it was not applied.
        let mut outcomes = Vec::with_capacity(items.len());
        let (mut city_writes, mut pincode_writes) = (Vec::new(), Vec::new());
        for (item, p) in items.iter().enumerate() {
            // The event's time, read once: for its writes and its history entry.
            let outcome = event_time(&p.event.time).and_then(|time| {
                let planned = plan(item, p, time, &cities, &pincodes, &mut city_writes, &mut pincode_writes);
                planned.map(|(applied, written)| (applied, written, time))
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
                (Ok((applied, written, _)), 11000) => (*applied, *written) = (Applied::AlreadyApplied, None),
                (outcome, _) => *outcome = Err(ApplyError::Refused(message)),
            }
        }
        Ok(items
            .iter()
            .zip(outcomes)
            .map(|(p, outcome)| {
                outcome.map(|(applied, written, time)| AppliedEvent {
                    applied,
                    history: HistoryRecord::of(p.event, p.change, p.pos, time),
                    written,
                })
            })
            .collect())
    }
}

/// Sends the writes to one collection: the inserts as `insert` commands, then
/// the updates (and the upserts of inserts that found their entity there) as
/// `update` commands; unordered, so one failing does not stop the others.
/// Gives each failed write's index in `writes`, code and message.
async fn write_all(collection: &Collection<Document>, writes: &[Write]) -> mongodb::error::Result<Vec<Failed>> {
    let (mut inserts, mut updates) = (Vec::new(), Vec::new());
    for (k, w) in writes.iter().enumerate() {
        match &w.kind {
            WriteKind::Insert { doc, .. } => inserts.push((k, doc)),
            WriteKind::Update(update) => updates.push((k, update)),
        }
    }
    let mut failed = Vec::new();
    let (inserted, documents) = serialized(inserts.iter().copied(), &mut failed);
    for (i, code, message) in command_all(collection, "insert", "documents", documents).await? {
        let k = inserted[i];
        match &writes[k].kind {
            WriteKind::Insert { otherwise, .. } if code == 11000 => updates.push((k, otherwise)),
            _ => failed.push((k, code, message)),
        }
    }
    let statements: Vec<(usize, Document)> = updates.iter().map(|(k, u)| (*k, u.statement())).collect();
    let (updated, statements) = serialized(statements.iter().map(|(k, d)| (*k, d)), &mut failed);
    for (i, code, message) in command_all(collection, "update", "updates", statements).await? {
        failed.push((updated[i], code, message));
    }
    Ok(failed)
}

/// A failed write: its index, the server's error code and message.
type Failed = (usize, i32, String);

/// The documents as BSON bytes, with the index each came with; one that cannot
/// be written as BSON (a key with a NUL) fails on its own.
fn serialized<'a>(
    documents: impl Iterator<Item = (usize, &'a Document)>,
    failed: &mut Vec<Failed>,
) -> (Vec<usize>, Vec<RawDocumentBuf>) {
    let (mut indexes, mut raw) = (Vec::new(), Vec::new());
    for (k, d) in documents {
        match RawDocumentBuf::from_document(d) {
            Ok(r) => {
                indexes.push(k);
                raw.push(r);
            }
            Err(e) => failed.push((k, 0, format!("cannot be written as BSON: {e}"))),
        }
    }
    (indexes, raw)
}

/// Sends `command` (`insert` or `update`) with the `items` in its `array`,
/// as few commands as fit MongoDB's size limit, unordered. Gives each failed
/// item's index in `items`, code and message.
async fn command_all(
    collection: &Collection<Document>,
    command: &str,
    array: &str,
    items: Vec<RawDocumentBuf>,
) -> mongodb::error::Result<Vec<Failed>> {
    let db = collection.client().database(&collection.namespace().db);
    let mut items = items.into_iter().peekable();
    let (mut failed, mut start) = (Vec::new(), 0);
    while items.peek().is_some() {
        let (mut chunk, mut sent, mut bytes) = (RawArrayBuf::new(), 0, 0);
        while let Some(item) = items.next_if(|item| sent == 0 || bytes + item.as_bytes().len() <= COMMAND_BYTES) {
            bytes += item.as_bytes().len();
            sent += 1;
            chunk.push(item);
        }
        let mut body = RawDocumentBuf::new();
        body.append(command, collection.name());
        body.append(array, chunk);
        body.append("ordered", false);
        let reply = db.run_raw_command(body).await?;
        for e in reply.get_array("writeErrors").map(|a| a.as_slice()).unwrap_or_default() {
            let Some(e) = e.as_document() else { continue };
            // Servers send these as 32- or 64-bit integers.
            let number = |key| e.get(key).and_then(|v| v.as_i32().map(i64::from).or_else(|| v.as_i64()));
            let (Some(index), Some(code)) = (number("index"), number("code")) else {
                tracing::warn!(error = %e, "a write error without its item's index");
                continue;
            };
            let message = e.get_str("errmsg").unwrap_or("refused").to_string();
            failed.push((start + index as usize, code as i32, message));
        }
        start += sent;
    }
    Ok(failed)
}

/// The ids each collection is read by: the cities the events name (their own
/// and their pincodes' cities), and the pincodes.
fn entities<'a>(items: &'a [Pending<'_>]) -> (Vec<&'a str>, Vec<&'a str>) {
    let (mut cities, mut pincodes) = (Vec::new(), Vec::new());
    for p in items {
        cities.extend(p.change.city_id());
        match p.change {
            Change::PincodeUpserted(f) => pincodes.push(f.pincode.as_str()),
            Change::PincodeDeleted(r) => pincodes.push(r.pincode.as_str()),
            _ => {}
        }
    }
    (cities, pincodes)
}

/// Decides one event against the entities as they are, and adds its writes.
fn plan(
    item: usize,
    p: &Pending<'_>,
    time: DateTime,
    cities: &HashMap<String, Document>,
    pincodes: &HashMap<String, Document>,
    city_writes: &mut Vec<Write>,
    pincode_writes: &mut Vec<Write>,
) -> Planned {
    let (event, pos) = (p.event, p.pos);
    let mut stamp = doc! { "_pos": pos.to_doc(), "last_event_id": &event.id, "updated_at": time };
    let update = |writes: &mut Vec<Write>, q: Document, u: Document, upsert: bool| {
        writes.push(Write { item, kind: WriteKind::Update(Update { q, u, upsert }) });
    };
    // A whole entity: inserted if it was not there, else upserted behind the guard.
    let whole = |writes: &mut Vec<Write>, id: &str, existed: bool, set: Document, on_insert: Document| {
        let mut doc = doc! { "_id": id };
        doc.extend(set.clone());
        doc.extend(on_insert.clone());
        let upsert =
            Update { q: not_yet_applied(id, pos), u: doc! { "$set": set, "$setOnInsert": on_insert }, upsert: true };
        let kind = if existed { WriteKind::Update(upsert) } else { WriteKind::Insert { doc, otherwise: upsert } };
        writes.push(Write { item, kind });
    };
    let applied = |d: Option<&Document>| d.is_some_and(|d| applied_at_or_after(d, pos));
    match p.change {
        Change::CityCreated(data) => {
            let existing = cities.get(&data.id);
            if applied(existing) {
                return Ok((Applied::AlreadyApplied, None));
            }
            let mut set = city_doc(&data.fields);
            set.extend(stamp);
            set.insert("deleted_at", Bson::Null);
            whole(city_writes, &data.id, existing.is_some(), set, doc! { "created_at": time, "pincodes": [] });
            let city = City {
                id: data.id.clone(),
                fields: data.fields.clone(),
                pincodes: Vec::new(),
                created_at: event.time.clone(),
                updated_at: event.time.clone(),
                deleted_at: None,
            };
            return Ok((Applied::Changed, Some(Entity::City(city))));
        }
        Change::CityUpdated(_) | Change::CityDeleted(_) | Change::CityRestored(_) => {
            let id = p.change.city_id().unwrap_or_default();
            let Some(city) = cities.get(id) else {
                return Err(ApplyError::Rejected(format!("city '{id}' does not exist")));
            };
            if applied(Some(city)) {
                return Ok((Applied::AlreadyApplied, None));
            }
            match p.change {
                Change::CityUpdated(data) => stamp.extend(city_doc(&data.fields)),
                Change::CityDeleted(_) => _ = stamp.insert("deleted_at", time),
                _ => _ = stamp.insert("deleted_at", Bson::Null),
            }
            update(city_writes, not_yet_applied(id, pos), doc! { "$set": stamp }, false);
        }
        Change::PincodeUpserted(f) => {
            let previous = pincodes.get(&f.pincode);
            if applied(previous) {
                return Ok((Applied::AlreadyApplied, None));
            }
            if !cities.contains_key(&f.city_id) {
                return Err(ApplyError::CityMissing(f.city_id.clone()));
            }
            // The cities' lists first (set operations, safe to repeat), then the
            // pincode with its position: a crash between the two repeats only the first.
            let old_city = previous.and_then(|d| d.get_str("city_id").ok()).filter(|c| *c != f.city_id);
            if let Some(old) = old_city {
                update(city_writes, doc! { "_id": old }, doc! { "$pull": { "pincodes": &f.pincode } }, false);
            }
            update(city_writes, doc! { "_id": &f.city_id }, doc! { "$addToSet": { "pincodes": &f.pincode } }, false);
            let mut set = pincode_doc(f);
            set.extend(stamp);
            set.insert("deleted_at", Bson::Null);
            whole(pincode_writes, &f.pincode, previous.is_some(), set, doc! { "created_at": time });
            let pincode = Pincode {
                fields: f.clone(),
                created_at: event.time.clone(),
                updated_at: event.time.clone(),
                deleted_at: None,
            };
            return Ok((Applied::Changed, Some(Entity::Pincode(pincode))));
        }
        Change::PincodeDeleted(r) => {
            let Some(current) = pincodes.get(&r.pincode) else {
                return Err(ApplyError::Rejected(format!("pincode {} does not exist", r.pincode)));
            };
            if applied(Some(current)) {
                return Ok((Applied::AlreadyApplied, None));
            }
            if let Ok(city) = current.get_str("city_id") {
                update(city_writes, doc! { "_id": city }, doc! { "$pull": { "pincodes": &r.pincode } }, false);
            }
            stamp.insert("deleted_at", time);
            update(pincode_writes, not_yet_applied(&r.pincode, pos), doc! { "$set": stamp }, false);
        }
    }
    Ok((Applied::Changed, None))
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
