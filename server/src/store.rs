//! The read model in MongoDB: `cities` and `pincodes`, written only by the
//! materializer, in the order of the events, each change exactly once in effect.

use app::domain::city::{City, CityFields};
use app::domain::event::{Change, CityData, CityRef, Envelope, PincodeRef};
use app::domain::pincode::{Pincode, PincodeFields};
use futures::TryStreamExt;
use mongodb::bson::{self, doc, Bson, DateTime, Document};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::{Collation, CollationStrength, IndexOptions};
use mongodb::{Collection, Database, IndexModel};
use serde_json::{Map, Value};

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
    /// MongoDB failed: try again, never skip.
    #[error("MongoDB: {0}")]
    Store(#[from] mongodb::error::Error),
}

/// Case-insensitive comparison of names (English rules, ignoring case).
pub fn name_collation() -> Collation {
    Collation::builder().locale("en").strength(CollationStrength::Secondary).build()
}

#[derive(Clone)]
pub struct Store {
    pub cities: Collection<Document>,
    pub pincodes: Collection<Document>,
    /// Every event applied, by id, for the cities' history pages.
    pub history: Collection<Document>,
}

impl Store {
    /// The live collections.
    pub fn new(db: &Database) -> Self {
        Self::named(db, "cities", "pincodes", "history")
    }

    pub fn named(db: &Database, cities: &str, pincodes: &str, history: &str) -> Self {
        Store { cities: db.collection(cities), pincodes: db.collection(pincodes), history: db.collection(history) }
    }

    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        let unique_name = IndexModel::builder()
            .keys(doc! { "state": 1, "name": 1 })
            .options(IndexOptions::builder().unique(true).collation(name_collation()).name("state_name_ci".to_string()).build())
            .build();
        let name_prefix = IndexModel::builder()
            .keys(doc! { "name": 1 })
            .options(IndexOptions::builder().collation(name_collation()).name("name_ci".to_string()).build())
            .build();
        let geo = |name: &str| {
            IndexModel::builder()
                .keys(doc! { "location": "2dsphere" })
                .options(IndexOptions::builder().name(name.to_string()).build())
                .build()
        };
        let by_city = IndexModel::builder()
            .keys(doc! { "city_id": 1 })
            .options(IndexOptions::builder().name("city_id".to_string()).build())
            .build();
        create_missing_indexes(&self.cities, vec![unique_name, name_prefix, geo("location_2dsphere")]).await?;
        create_missing_indexes(&self.pincodes, vec![geo("location_2dsphere"), by_city]).await?;
        let by_entity = IndexModel::builder()
            .keys(doc! { "entities": 1, "time": -1 })
            .options(IndexOptions::builder().name("entities_time".to_string()).build())
            .build();
        create_missing_indexes(&self.history, vec![by_entity]).await
    }

    /// Applies one event at `pos`, unless the entity already reflects it.
    pub async fn apply(&self, event: &Envelope, change: &Change, pos: Position) -> Result<Applied, ApplyError> {
        let applied = self.apply_change(event, change, pos).await?;
        self.record(event, change, pos).await?;
        Ok(applied)
    }

    /// Adds the event to the history (keyed by its id: recording it again is a no-op).
    async fn record(&self, event: &Envelope, change: &Change, pos: Position) -> Result<(), ApplyError> {
        let mut entities = vec![event.subject.clone()];
        if let Some(city) = change.city_id().filter(|c| *c != event.subject) {
            entities.push(city.to_string());
        }
        let entry = doc! {
            "type": &event.event_type,
            "subject": &event.subject,
            "entities": entities,
            "actor": &event.actor,
            "time": event_time(&event.time)?,
            "summary": change.summary(),
            "_pos": pos.to_doc(),
        };
        self.history.update_one(doc! { "_id": &event.id }, doc! { "$setOnInsert": entry }).upsert(true).await?;
        Ok(())
    }

    /// A city's (and its pincodes') history, newest first.
    pub async fn history_of(&self, id: &str, limit: i64) -> mongodb::error::Result<Vec<app::domain::history::HistoryEntry>> {
        let docs: Vec<Document> = self.history.find(doc! { "entities": id }).sort(doc! { "time": -1 }).limit(limit).await?.try_collect().await?;
        Ok(docs
            .iter()
            .map(|d| app::domain::history::HistoryEntry {
                event_id: opt_str(d, "_id").unwrap_or_default(),
                event_type: opt_str(d, "type").unwrap_or_default(),
                subject: opt_str(d, "subject").unwrap_or_default(),
                actor: opt_str(d, "actor").unwrap_or_default(),
                time: time_str(d, "time").unwrap_or_default(),
                summary: opt_str(d, "summary").unwrap_or_default(),
            })
            .collect())
    }

    /// Pincodes (not deleted) by code prefix or inside a box, ordered by code, after `cursor`.
    pub async fn list_pincodes(&self, prefix: &str, bbox: Option<[f64; 4]>, cursor: Option<&str>, limit: usize) -> mongodb::error::Result<Vec<Pincode>> {
        let mut filter = doc! { "deleted_at": Bson::Null };
        let mut id = Document::new();
        if !prefix.is_empty() {
            id.insert("$regex", format!("^{}", regex_escape(prefix)));
        }
        if let Some(after) = cursor {
            id.insert("$gt", after);
        }
        if !id.is_empty() {
            filter.insert("_id", id);
        }
        if let Some([west, south, east, north]) = bbox {
            filter.insert("location", doc! { "$geoWithin": { "$box": [[west, south], [east, north]] } });
        }
        let docs: Vec<Document> = self.pincodes.find(filter).sort(doc! { "_id": 1 }).limit(limit as i64).await?.try_collect().await?;
        Ok(docs.iter().map(pincode_from_doc).collect())
    }

    /// The pincodes of a city (deleted ones too), by code.
    pub async fn pincodes_of(&self, city_id: &str) -> mongodb::error::Result<Vec<Pincode>> {
        let docs: Vec<Document> = self.pincodes.find(doc! { "city_id": city_id }).sort(doc! { "_id": 1 }).await?.try_collect().await?;
        Ok(docs.iter().map(pincode_from_doc).collect())
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

    async fn city_created(&self, data: &CityData, time: DateTime, stamp: Document, pos: Position) -> Result<Applied, ApplyError> {
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
            Err(e) if is_duplicate_key(&e) => Err(ApplyError::Rejected(format!("another city already has this name and state: {e}"))),
            Err(e) => Err(e.into()),
        }
    }

    async fn set_deleted(&self, r: &CityRef, deleted_at: Bson, mut stamp: Document, pos: Position) -> Result<Applied, ApplyError> {
        stamp.insert("deleted_at", deleted_at);
        self.update_city(&r.id, stamp, pos).await
    }

    async fn pincode_upserted(&self, p: &PincodeFields, time: DateTime, stamp: Document, pos: Position) -> Result<Applied, ApplyError> {
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

    async fn pincode_deleted(&self, p: &PincodeRef, time: DateTime, mut stamp: Document, pos: Position) -> Result<Applied, ApplyError> {
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

    // ---- reads ----

    pub async fn city_by_id(&self, id: &str) -> mongodb::error::Result<Option<City>> {
        Ok(self.cities.find_one(doc! { "_id": id }).await?.map(|d| city_from_doc(&d)))
    }

    /// A city by its name (ignoring case) and the official name of its state.
    pub async fn city_by_name(&self, state: &str, name: &str) -> mongodb::error::Result<Option<City>> {
        let found = self
            .cities
            .find_one(doc! { "state": state, "name": name })
            .collation(name_collation())
            .await?;
        Ok(found.map(|d| city_from_doc(&d)))
    }

    pub async fn pincode(&self, code: &str) -> mongodb::error::Result<Option<Pincode>> {
        Ok(self.pincodes.find_one(doc! { "_id": code }).await?.map(|d| pincode_from_doc(&d)))
    }

    /// Cities matching `query`, ordered by id, after `cursor` (an id), at most `limit`.
    pub async fn list_cities(&self, query: &CityQuery) -> mongodb::error::Result<Vec<City>> {
        let mut filter = Document::new();
        if let Some(state) = &query.state {
            filter.insert("state", state);
        }
        if !query.include_deleted {
            filter.insert("deleted_at", Bson::Null);
        }
        if let Some(q) = query.name_prefix.as_deref().filter(|q| !q.is_empty()) {
            filter.insert("name", doc! { "$regex": format!("^{}", regex_escape(q)), "$options": "i" });
        }
        if let Some([west, south, east, north]) = query.bbox {
            filter.insert(
                "location",
                doc! { "$geoWithin": { "$box": [[west, south], [east, north]] } },
            );
        }
        if let Some(after) = &query.cursor {
            filter.insert("_id", doc! { "$gt": after });
        }
        // A map view (a box, no paging) that holds more cities than the limit
        // shows the most populous ones: the map stays light and still useful.
        let order = if query.bbox.is_some() && query.cursor.is_none() { doc! { "population": -1, "_id": 1 } } else { doc! { "_id": 1 } };
        let docs: Vec<Document> = self
            .cities
            .find(filter)
            .sort(order)
            .limit(query.limit as i64)
            .await?
            .try_collect()
            .await?;
        Ok(docs.iter().map(city_from_doc).collect())
    }
}

/// Creates the indexes whose names are not there yet. (Asking again for an index
/// that exists is not a no-op on every MongoDB-wire server.)
pub async fn create_missing_indexes(coll: &Collection<Document>, wanted: Vec<IndexModel>) -> mongodb::error::Result<()> {
    let existing = coll.list_index_names().await.unwrap_or_default();
    let missing: Vec<IndexModel> = wanted
        .into_iter()
        .filter(|m| m.options.as_ref().and_then(|o| o.name.as_ref()).is_none_or(|n| !existing.contains(n)))
        .collect();
    if !missing.is_empty() {
        coll.create_indexes(missing).await?;
    }
    Ok(())
}

/// What `GET /api/v1/cities` can ask for.
#[derive(Clone, Debug, Default)]
pub struct CityQuery {
    pub state: Option<String>,
    pub name_prefix: Option<String>,
    /// west, south, east, north
    pub bbox: Option<[f64; 4]>,
    pub include_deleted: bool,
    pub cursor: Option<String>,
    pub limit: usize,
}

/// Matches the entity only if it has not seen an event at or after `pos`. Offsets
/// order events within one partition only: an event from another partition (the
/// topic was given more partitions, so the key moved) is newer than what is there.
fn not_yet_applied(id: &str, pos: Position) -> Document {
    doc! { "_id": id, "$or": [
        { "_pos": { "$exists": false } },
        { "_pos.p": { "$ne": pos.partition } },
        { "_pos.o": { "$lt": pos.offset } },
    ] }
}

/// The same test as [`not_yet_applied`], on a document already read.
fn applied_at_or_after(d: &Document, pos: Position) -> bool {
    d.get_document("_pos").ok().is_some_and(|p| p.get_i32("p").ok() == Some(pos.partition) && p.get_i64("o").is_ok_and(|o| o >= pos.offset))
}

/// A unique index (or `_id`) refused the write.
pub fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == 11000,
        ErrorKind::Command(c) => c.code == 11000,
        _ => e.to_string().contains("E11000"),
    }
}

fn event_time(rfc3339: &str) -> Result<DateTime, ApplyError> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| DateTime::from_millis(t.timestamp_millis()))
        .map_err(|e| ApplyError::Rejected(format!("event time '{rfc3339}' is not RFC 3339: {e}")))
}

fn point(latitude: f64, longitude: f64) -> Document {
    doc! { "type": "Point", "coordinates": [longitude, latitude] }
}

fn json_to_bson(map: &Map<String, Value>) -> Document {
    bson::to_document(map).unwrap_or_default()
}

fn city_doc(f: &CityFields) -> Document {
    doc! {
        "name": &f.name,
        "state": &f.state,
        "district": f.district.as_deref(),
        "location": point(f.latitude, f.longitude),
        "is_metro": f.is_metro,
        "is_capital": f.is_capital,
        "population": f.population.map(|p| p as i64),
        "area_sq_km": f.area_sq_km,
        "alternate_names": &f.alternate_names,
        "metadata": json_to_bson(&f.metadata),
    }
}

fn pincode_doc(p: &PincodeFields) -> Document {
    doc! {
        "city_id": &p.city_id,
        "city_name": &p.city_name,
        "state": &p.state,
        "area_name": p.area_name.as_deref(),
        "location": point(p.latitude, p.longitude),
    }
}

fn time_str(d: &Document, key: &str) -> Option<String> {
    d.get_datetime(key).ok().and_then(|t| t.try_to_rfc3339_string().ok())
}

fn lat_lon(d: &Document) -> (f64, f64) {
    let c = d.get_document("location").ok().and_then(|l| l.get_array("coordinates").ok());
    let n = |i: usize| c.and_then(|c| c.get(i)).and_then(Bson::as_f64).unwrap_or(f64::NAN);
    (n(1), n(0))
}

fn opt_str(d: &Document, key: &str) -> Option<String> {
    d.get_str(key).ok().map(str::to_string)
}

fn strings(d: &Document, key: &str) -> Vec<String> {
    d.get_array(key).map(|a| a.iter().filter_map(|b| b.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

pub fn city_from_doc(d: &Document) -> City {
    let (latitude, longitude) = lat_lon(d);
    let metadata = d
        .get_document("metadata")
        .ok()
        .and_then(|m| serde_json::to_value(m).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    City {
        id: opt_str(d, "_id").unwrap_or_default(),
        fields: CityFields {
            name: opt_str(d, "name").unwrap_or_default(),
            state: opt_str(d, "state").unwrap_or_default(),
            district: opt_str(d, "district"),
            latitude,
            longitude,
            is_metro: d.get_bool("is_metro").unwrap_or(false),
            is_capital: d.get_bool("is_capital").unwrap_or(false),
            population: d.get("population").and_then(|b| match b {
                Bson::Int64(n) => Some(*n as u64),
                Bson::Int32(n) => Some(*n as u64),
                _ => None,
            }),
            area_sq_km: d.get("area_sq_km").and_then(Bson::as_f64),
            alternate_names: strings(d, "alternate_names"),
            metadata,
        },
        pincodes: strings(d, "pincodes"),
        created_at: time_str(d, "created_at").unwrap_or_default(),
        updated_at: time_str(d, "updated_at").unwrap_or_default(),
        deleted_at: time_str(d, "deleted_at"),
    }
}

pub fn pincode_from_doc(d: &Document) -> Pincode {
    let (latitude, longitude) = lat_lon(d);
    Pincode {
        fields: PincodeFields {
            pincode: opt_str(d, "_id").unwrap_or_default(),
            city_id: opt_str(d, "city_id").unwrap_or_default(),
            city_name: opt_str(d, "city_name").unwrap_or_default(),
            state: opt_str(d, "state").unwrap_or_default(),
            area_name: opt_str(d, "area_name"),
            latitude,
            longitude,
        },
        created_at: time_str(d, "created_at").unwrap_or_default(),
        updated_at: time_str(d, "updated_at").unwrap_or_default(),
        deleted_at: time_str(d, "deleted_at"),
    }
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
