//! The decision of the apply step, apart from MongoDB: given the entities as
//! read, what each event does (already applied, city missing, rejected) and
//! the writes it needs, each guarded by the event's position.
//!
//! Invariant: every update is guarded ([`not_yet_applied`]) and every insert
//! keyed by `_id`, so the writes planned for a redelivered event change
//! nothing; and an event is decided against the entities as they were read,
//! the same test ([`applied_at_or_after`]) the guard makes in the store.

use std::collections::HashMap;

use app::domain::city::City;
use app::domain::event::{Change, Envelope};
use app::domain::pincode::Pincode;
use mongodb::bson::{doc, Bson, DateTime, Document};

use crate::store::documents::{city_doc, pincode_doc};

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
    pub(super) fn to_doc(self) -> Document {
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

/// What deciding an event gives: applied or not, and the entity it writes whole.
pub(super) type Planned = Result<(Applied, Option<Entity>), ApplyError>;

/// One write, for the item at `item`.
pub(super) struct Write {
    pub item: usize,
    pub kind: WriteKind,
}

pub(super) enum WriteKind {
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
pub(super) struct Update {
    q: Document,
    u: Document,
    upsert: bool,
}

impl Update {
    pub(super) fn statement(&self) -> Document {
        doc! { "q": &self.q, "u": &self.u, "upsert": self.upsert }
    }
}

/// The ids each collection is read by: the cities the events name (their own
/// and their pincodes' cities), and the pincodes.
pub(super) fn entities<'a>(items: &'a [Pending<'_>]) -> (Vec<&'a str>, Vec<&'a str>) {
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
pub(super) fn plan(
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
            let mut set = city_doc(&data.id, &data.fields);
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
                matched_name: None,
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
                Change::CityUpdated(data) => stamp.extend(city_doc(&data.id, &data.fields)),
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

pub(super) fn event_time(rfc3339: &str) -> Result<DateTime, ApplyError> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| DateTime::from_millis(t.timestamp_millis()))
        .map_err(|e| ApplyError::Rejected(format!("event time '{rfc3339}' is not RFC 3339: {e}")))
}

#[cfg(test)]
mod tests {
    use app::domain::city::CityFields;
    use app::domain::event::{CityData, CityRef, PincodeRef};
    use app::domain::pincode::PincodeFields;

    use super::*;

    const TIME: &str = "2026-12-01T10:00:00.000Z";

    fn city(id: &str) -> Change {
        let fields = CityFields {
            name: "Kochi".into(),
            state: "Kerala".into(),
            district: None,
            latitude: 9.93,
            longitude: 76.26,
            is_metro: false,
            is_capital: false,
            population: None,
            area_sq_km: None,
            alternate_names: Vec::new(),
            metadata: Default::default(),
        };
        Change::CityCreated(CityData { id: id.into(), fields })
    }

    fn pincode(code: &str, city_id: &str) -> Change {
        Change::PincodeUpserted(PincodeFields {
            pincode: code.into(),
            city_id: city_id.into(),
            city_name: "Kochi".into(),
            state: "Kerala".into(),
            area_name: None,
            latitude: 9.93,
            longitude: 76.26,
            offices: Vec::new(),
        })
    }

    /// An entity as read, last changed by the event at `(partition, offset)`.
    fn stored(partition: i32, offset: i64, extra: Document) -> Document {
        let mut d = doc! { "_pos": { "p": partition, "o": offset } };
        d.extend(extra);
        d
    }

    /// Plans one event at `(partition, offset)` against what was read.
    fn decide(
        change: &Change,
        at: (i32, i64),
        cities: &[(&str, Document)],
        pincodes: &[(&str, Document)],
    ) -> (Planned, Vec<Write>, Vec<Write>) {
        let event = change.clone().into_envelope("e-1".into(), TIME.into(), "test", "admin");
        let pending = Pending { event: &event, change, pos: Position { partition: at.0, offset: at.1 } };
        let read = |list: &[(&str, Document)]| list.iter().map(|(k, d)| (k.to_string(), d.clone())).collect();
        let (cities, pincodes): (HashMap<_, _>, HashMap<_, _>) = (read(cities), read(pincodes));
        let (mut city_writes, mut pincode_writes) = (Vec::new(), Vec::new());
        let time = event_time(TIME).unwrap();
        let planned = plan(0, &pending, time, &cities, &pincodes, &mut city_writes, &mut pincode_writes);
        (planned, city_writes, pincode_writes)
    }

    #[test]
    fn a_new_city_is_inserted_whole_with_its_guarded_upsert_behind() {
        let (planned, cities, pincodes) = decide(&city("kerala/kochi"), (0, 7), &[], &[]);
        let (applied, written) = planned.unwrap();
        assert_eq!(applied, Applied::Changed);
        assert!(matches!(written, Some(Entity::City(c)) if c.id == "kerala/kochi"));
        assert!(pincodes.is_empty());
        let [Write { kind: WriteKind::Insert { doc, otherwise }, .. }] = cities.as_slice() else {
            panic!("one insert expected");
        };
        assert_eq!(doc.get_str("_id").unwrap(), "kerala/kochi");
        assert_eq!(doc.get_document("_pos").unwrap(), &doc! { "p": 0, "o": 7i64 });
        assert!(otherwise.upsert);
        assert_eq!(otherwise.q, not_yet_applied("kerala/kochi", Position { partition: 0, offset: 7 }));
    }

    #[test]
    fn an_event_at_or_before_the_entity_s_position_changes_nothing() {
        for offset in [7, 8] {
            let existing = [("kerala/kochi", stored(0, offset, doc! {}))];
            let (planned, cities, _) = decide(&city("kerala/kochi"), (0, 7), &existing, &[]);
            assert_eq!(planned.unwrap().0, Applied::AlreadyApplied);
            assert!(cities.is_empty(), "no write for a redelivery");
        }
    }

    #[test]
    fn an_event_from_another_partition_is_newer_than_what_is_there() {
        let existing = [("kerala/kochi", stored(1, 90, doc! {}))];
        let (planned, cities, _) = decide(&city("kerala/kochi"), (0, 7), &existing, &[]);
        assert_eq!(planned.unwrap().0, Applied::Changed);
        assert!(matches!(cities.as_slice(), [Write { kind: WriteKind::Update(u), .. }] if u.upsert));
    }

    #[test]
    fn a_pincode_whose_city_is_not_there_waits_for_it() {
        let (planned, cities, pincodes) = decide(&pincode("682001", "kerala/kochi"), (2, 1), &[], &[]);
        assert!(matches!(planned, Err(ApplyError::CityMissing(c)) if c == "kerala/kochi"));
        assert!(cities.is_empty() && pincodes.is_empty());
    }

    #[test]
    fn a_pincode_moved_to_another_city_leaves_the_old_city_s_list() {
        let cities = [("kerala/kochi", stored(0, 1, doc! {})), ("kerala/aluva", stored(0, 2, doc! {}))];
        let pincodes = [("682001", stored(2, 3, doc! { "city_id": "kerala/aluva" }))];
        let (planned, city_writes, pincode_writes) =
            decide(&pincode("682001", "kerala/kochi"), (2, 4), &cities, &pincodes);
        assert_eq!(planned.unwrap().0, Applied::Changed);
        let updates: Vec<&Document> = city_writes
            .iter()
            .map(|w| match &w.kind {
                WriteKind::Update(u) => &u.u,
                WriteKind::Insert { .. } => panic!("the cities are updated, not inserted"),
            })
            .collect();
        assert_eq!(
            updates,
            [&doc! { "$pull": { "pincodes": "682001" } }, &doc! { "$addToSet": { "pincodes": "682001" } }]
        );
        // It was there: upserted behind its guard, not inserted.
        assert!(matches!(pincode_writes.as_slice(), [Write { kind: WriteKind::Update(u), .. }] if u.upsert));
    }

    #[test]
    fn deleting_what_is_not_there_is_rejected_and_names_it() {
        let deleted = Change::PincodeDeleted(PincodeRef { pincode: "110001".into() });
        let (planned, ..) = decide(&deleted, (0, 1), &[], &[]);
        assert!(matches!(planned, Err(ApplyError::Rejected(m)) if m.contains("110001")));
        let city_ref = CityRef { id: "delhi/delhi".into(), name: "Delhi".into(), state: "Delhi".into() };
        let (planned, ..) = decide(&Change::CityDeleted(city_ref), (0, 1), &[], &[]);
        assert!(matches!(planned, Err(ApplyError::Rejected(m)) if m.contains("delhi/delhi")));
    }

    #[test]
    fn a_deleted_city_is_stamped_behind_its_guard() {
        let city_ref = CityRef { id: "kerala/kochi".into(), name: "Kochi".into(), state: "Kerala".into() };
        let existing = [("kerala/kochi", stored(0, 1, doc! {}))];
        let (planned, cities, _) = decide(&Change::CityDeleted(city_ref), (0, 5), &existing, &[]);
        let (applied, written) = planned.unwrap();
        assert_eq!(applied, Applied::Changed);
        assert!(written.is_none(), "a delete writes no whole entity");
        let [Write { kind: WriteKind::Update(u), .. }] = cities.as_slice() else { panic!("one update") };
        assert!(!u.upsert);
        assert!(u.u.get_document("$set").unwrap().get_datetime("deleted_at").is_ok());
    }

    #[test]
    fn an_event_time_that_is_not_rfc_3339_is_rejected() {
        assert!(matches!(event_time("yesterday"), Err(ApplyError::Rejected(m)) if m.contains("yesterday")));
    }

    #[test]
    fn the_guard_and_the_test_on_a_read_entity_agree() {
        let pos = Position { partition: 3, offset: 10 };
        for (d, applied) in [
            (doc! {}, false),
            (stored(3, 9, doc! {}), false),
            (stored(3, 10, doc! {}), true),
            (stored(3, 11, doc! {}), true),
            (stored(4, 11, doc! {}), false),
        ] {
            assert_eq!(applied_at_or_after(&d, pos), applied, "{d}");
        }
    }

    #[test]
    fn the_ids_read_are_the_events_cities_and_pincodes() {
        let (a, b) = (city("kerala/kochi"), pincode("682001", "kerala/aluva"));
        let events: Vec<_> = [&a, &b]
            .iter()
            .map(|c| ((*c).clone().into_envelope("e".into(), TIME.into(), "test", "admin"), *c))
            .collect();
        let items: Vec<Pending> = events
            .iter()
            .map(|(e, c)| Pending { event: e, change: c, pos: Position { partition: 0, offset: 0 } })
            .collect();
        let (cities, pincodes) = entities(&items);
        assert_eq!(cities, ["kerala/kochi", "kerala/aluva"]);
        assert_eq!(pincodes, ["682001"]);
    }
}
