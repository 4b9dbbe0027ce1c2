//! The mapping between the domain's types and the read model's BSON documents.

use app::domain::city::{City, CityFields};
use app::domain::history::{EventAt, HistoryEntry};
use app::domain::names::name_keys;
use app::domain::pincode::{Pincode, PincodeFields};
use mongodb::bson::{self, doc, Bson, Document};
use serde_json::{Map, Value};

fn point(latitude: f64, longitude: f64) -> Document {
    doc! { "type": "Point", "coordinates": [longitude, latitude] }
}

fn json_to_bson(map: &Map<String, Value>) -> Document {
    bson::to_document(map).unwrap_or_default()
}

/// A city's fields as stored (`id`: the city's, which they never change).
pub(super) fn city_doc(id: &str, f: &CityFields) -> Document {
    doc! {
        "name": &f.name,
        // Its unique index once kept names unique; now it holds the id, and
        // never changes (see `NAME_KEY`).
        NAME_KEY: id,
        // Every name it is found by (current and alternate), folded: `names::choose` picks.
        "name_keys": name_keys(f),
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

pub(super) fn pincode_doc(p: &PincodeFields) -> Document {
    doc! {
        "city_id": &p.city_id,
        "city_name": &p.city_name,
        "state": &p.state,
        "area_name": p.area_name.as_deref(),
        "location": point(p.latitude, p.longitude),
        "offices": bson::to_bson(&p.offices).unwrap_or_else(|_| Bson::Array(Vec::new())),
    }
}

/// A field with a unique index that earlier versions kept as the city's name
/// slug, to keep names unique. secantusd-rs keeps a unique index's old keys
/// after a document changes or goes (measured: E11000 on a key no document
/// has), so a renamed city would hold its old name forever. It now holds the
/// city's id, which never changes; names are found by `name_keys`, and the
/// doors keep current names unique (`names::choose`).
pub(super) const NAME_KEY: &str = "name_key";

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

pub(super) fn strings(d: &Document, key: &str) -> Vec<String> {
    d.get_array(key).map(|a| a.iter().filter_map(|b| b.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

pub(super) fn city_from_doc(d: &Document) -> City {
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
        matched_name: None,
    }
}

/// The position (partition, offset) of the last event applied to a document.
pub(super) fn position_of(d: &Document) -> Option<(i32, i64)> {
    let pos = d.get_document("_pos").ok()?;
    Some((pos.get_i32("p").ok()?, pos.get_i64("o").ok()?))
}

pub(super) fn pincode_from_doc(d: &Document) -> Pincode {
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
            offices: d.get("offices").and_then(|o| bson::from_bson(o.clone()).ok()).unwrap_or_default(),
        },
        created_at: time_str(d, "created_at").unwrap_or_default(),
        updated_at: time_str(d, "updated_at").unwrap_or_default(),
        deleted_at: time_str(d, "deleted_at"),
    }
}

pub(super) fn history_entry_from_doc(d: &Document) -> HistoryEntry {
    let event = position_of(d).zip(opt_str(d, "topic")).map(|((partition, offset), topic)| EventAt {
        topic,
        partition,
        offset,
    });
    HistoryEntry {
        event_id: opt_str(d, "_id").unwrap_or_default(),
        event_type: opt_str(d, "type").unwrap_or_default(),
        subject: opt_str(d, "subject").unwrap_or_default(),
        actor: opt_str(d, "actor").unwrap_or_default(),
        time: time_str(d, "time").unwrap_or_default(),
        import_job: opt_str(d, "import_job"),
        summary: opt_str(d, "summary").unwrap_or_default(),
        reverts: opt_str(d, "reverts"),
        changes: d.get("changes").and_then(|c| bson::from_bson(c.clone()).ok()).unwrap_or_default(),
        event,
    }
}
