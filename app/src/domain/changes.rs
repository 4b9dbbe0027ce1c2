//! What an event changed, field by field: an entity's fields before it and
//! after it, and the difference. The apply step records each event's
//! changes in its history entry (the entity as it was read, then as the
//! event leaves it); history pages, the activity feed and a revert read them.
//!
//! Fields go by the import format's names (`city_name`, `latitude`, …), and
//! `deleted` says whether the entity is soft-deleted. A value a field does not
//! have is `null`, so a create lists each field it sets with `before: null`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::city::{field as city_field, CityFields};
use super::event::Change;
use super::pincode::{field as pincode_field, PincodeFields};

/// Whether an entity is soft-deleted, as a field of its history.
pub const DELETED: &str = "deleted";
/// A pincode's city, by id (the import format names it by name and state).
pub const CITY_ID: &str = "city_id";

/// One field an event changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// An entity's fields as its history compares them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot(pub BTreeMap<String, Value>);

impl Snapshot {
    pub fn get(&self, field: &str) -> &Value {
        self.0.get(field).unwrap_or(&Value::Null)
    }

    pub fn is_deleted(&self) -> bool {
        self.get(DELETED).as_bool().unwrap_or(false)
    }

    fn with_deleted(mut self, deleted: bool) -> Snapshot {
        self.0.insert(DELETED.into(), Value::Bool(deleted));
        self
    }
}

/// Leaves out what is empty: `null`, an empty list or object.
fn present(value: Value) -> Option<Value> {
    match &value {
        Value::Null => None,
        Value::Array(a) if a.is_empty() => None,
        Value::Object(o) if o.is_empty() => None,
        _ => Some(value),
    }
}

fn snapshot(fields: impl IntoIterator<Item = (&'static str, Value)>, deleted: bool) -> Snapshot {
    let kept = fields.into_iter().filter_map(|(k, v)| present(v).map(|v| (k.to_string(), v)));
    Snapshot(kept.collect()).with_deleted(deleted)
}

/// A city's fields.
pub fn city(f: &CityFields, deleted: bool) -> Snapshot {
    snapshot(
        [
            (city_field::NAME, json!(f.name)),
            (city_field::STATE, json!(f.state)),
            (city_field::DISTRICT, json!(f.district)),
            (city_field::LATITUDE, json!(f.latitude)),
            (city_field::LONGITUDE, json!(f.longitude)),
            (city_field::IS_METRO, json!(f.is_metro)),
            (city_field::IS_CAPITAL, json!(f.is_capital)),
            (city_field::POPULATION, json!(f.population)),
            (city_field::AREA, json!(f.area_sq_km)),
            (city_field::ALTERNATE_NAMES, json!(f.alternate_names)),
            (city_field::METADATA, Value::Object(f.metadata.clone())),
        ],
        deleted,
    )
}

/// A pincode's fields.
pub fn pincode(f: &PincodeFields, deleted: bool) -> Snapshot {
    snapshot(
        [
            (CITY_ID, json!(f.city_id)),
            (pincode_field::CITY_NAME, json!(f.city_name)),
            (pincode_field::STATE, json!(f.state)),
            (pincode_field::AREA_NAME, json!(f.area_name)),
            (pincode_field::LATITUDE, json!(f.latitude)),
            (pincode_field::LONGITUDE, json!(f.longitude)),
            (pincode_field::OFFICES, json!(f.offices)),
        ],
        deleted,
    )
}

/// The entity as `change` leaves it, from the entity as it was (`None`: not
/// there). `None` when the change does not apply to what was there (a delete
/// of nothing).
pub fn after(change: &Change, before: Option<&Snapshot>) -> Option<Snapshot> {
    let deleted = |d: bool| before.map(|b| b.clone().with_deleted(d));
    match change {
        Change::CityCreated(d) => Some(city(&d.fields, false)),
        // An update keeps a deleted city deleted.
        Change::CityUpdated(d) => Some(city(&d.fields, before.is_some_and(Snapshot::is_deleted))),
        Change::CityDeleted(_) | Change::PincodeDeleted(_) => deleted(true),
        Change::CityRestored(_) => deleted(false),
        Change::PincodeUpserted(p) => Some(pincode(p, false)),
    }
}

/// Each field whose value differs, by name. From nothing (a create), each
/// field set, with `before: null` (`deleted: false` is no news there).
pub fn diff(before: Option<&Snapshot>, after: &Snapshot) -> Vec<FieldChange> {
    let empty = Snapshot::default();
    let was = before.unwrap_or(&empty);
    let mut names: Vec<&String> = was.0.keys().chain(after.0.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| before.is_some() || **name != DELETED || after.is_deleted())
        .filter(|name| was.get(name) != after.get(name))
        .map(|name| FieldChange { field: name.clone(), before: was.get(name).clone(), after: after.get(name).clone() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{CityData, CityRef, PincodeRef};

    fn pune() -> CityFields {
        CityFields {
            name: "Pune".into(),
            state: "Maharashtra".into(),
            latitude: 18.52,
            longitude: 73.85,
            population: Some(3_124_458),
            ..CityFields::default()
        }
    }

    fn fields(changes: &[FieldChange]) -> Vec<&str> {
        changes.iter().map(|c| c.field.as_str()).collect()
    }

    #[test]
    fn a_create_lists_each_field_it_sets_from_null() {
        let made = after(&Change::CityCreated(CityData { id: "maharashtra/pune".into(), fields: pune() }), None);
        let changes = diff(None, made.as_ref().unwrap());
        assert_eq!(
            fields(&changes),
            ["city_name", "is_capital", "is_metro", "latitude", "longitude", "population", "state"]
        );
        assert!(changes.iter().all(|c| c.before.is_null()));
        assert_eq!(changes[0].after, json!("Pune"));
    }

    #[test]
    fn an_update_lists_only_what_it_changed_and_keeps_a_deleted_city_deleted() {
        let before = city(&pune(), true);
        let moved = CityFields { latitude: 18.6, district: Some("Pune".into()), ..pune() };
        let change = Change::CityUpdated(CityData { id: "maharashtra/pune".into(), fields: moved });
        let now = after(&change, Some(&before)).unwrap();
        let changes = diff(Some(&before), &now);
        assert_eq!(
            changes,
            [
                FieldChange { field: "district".into(), before: Value::Null, after: json!("Pune") },
                FieldChange { field: "latitude".into(), before: json!(18.52), after: json!(18.6) },
            ]
        );
        assert!(now.is_deleted());
    }

    #[test]
    fn a_delete_and_a_restore_change_deleted_only() {
        let before = city(&pune(), false);
        let r = CityRef { id: "maharashtra/pune".into(), name: "Pune".into(), state: "Maharashtra".into() };
        let gone = after(&Change::CityDeleted(r.clone()), Some(&before)).unwrap();
        assert_eq!(
            diff(Some(&before), &gone),
            [FieldChange { field: "deleted".into(), before: json!(false), after: json!(true) }]
        );
        let back = after(&Change::CityRestored(r), Some(&gone)).unwrap();
        assert_eq!(
            diff(Some(&gone), &back),
            [FieldChange { field: "deleted".into(), before: json!(true), after: json!(false) }]
        );
        assert_eq!(after(&Change::PincodeDeleted(PincodeRef { pincode: "411001".into() }), None), None);
    }

    #[test]
    fn a_pincode_upsert_lists_what_moved_and_brings_a_deleted_one_back() {
        let p = PincodeFields {
            pincode: "411001".into(),
            city_id: "maharashtra/pune".into(),
            city_name: "Pune".into(),
            state: "Maharashtra".into(),
            area_name: None,
            latitude: 18.52,
            longitude: 73.85,
            offices: vec![],
        };
        let before = pincode(&p, true);
        let moved = PincodeFields { longitude: 73.9, ..p };
        let now = after(&Change::PincodeUpserted(moved), Some(&before)).unwrap();
        assert_eq!(fields(&diff(Some(&before), &now)), ["deleted", "longitude"]);
    }
}
