//! Reverting one change: from what its history entry says it changed, what
//! to publish now. A create is undone by a soft delete, a delete by a
//! restore, anything else by setting the fields it changed back to their
//! `before` values. A later change to any of those fields stops the revert
//! (it would undo that change too), unless it is forced.

use serde_json::{Map, Value};

use super::changes::{FieldChange, CITY_ID, DELETED};
use super::city::{validate_city_update, City};
use super::event::{Change, CityData, CityRef, PincodeRef};
use super::history::HistoryEntry;
use super::pincode::{field as pincode_field, Pincode, PincodeFields};
use super::validation::ValidationErrors;

/// What reverting a change publishes.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A soft delete: the change created the entity, or restored it.
    Delete,
    /// A restore: the change deleted it.
    Restore,
    /// These fields back to these values (as the import format names them;
    /// `null` clears a field), over the entity as it is now.
    Set(Map<String, Value>),
}

/// Why a change is not reverted.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// Its entry was recorded before GeoLedger kept what changes changed.
    NotRecorded,
    /// A later change changed some of the same fields: the newest such, and
    /// every field a later change touched.
    ChangedSince { fields: Vec<String>, later: Box<HistoryEntry> },
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::NotRecorded => "this change was recorded before GeoLedger kept what each change changed: \
                                     it cannot be reverted"
                .into(),
            Refusal::ChangedSince { fields, later } => format!(
                "{} changed since, by {} at {} (event {}): revert with force=true to undo that too",
                fields.join(", "),
                later.actor,
                later.time,
                later.event_id
            ),
        }
    }
}

fn before_of<'a>(changes: &'a [FieldChange], field: &str) -> Option<&'a Value> {
    changes.iter().find(|c| c.field == field).map(|c| &c.before)
}

/// What reverting `entry` publishes, given the entries of the same entity
/// after it (any order); `force` reverts over later changes.
pub fn plan(entry: &HistoryEntry, later: &[HistoryEntry], force: bool) -> Result<Action, Refusal> {
    if entry.changes.is_empty() {
        return Err(Refusal::NotRecorded);
    }
    if !force {
        let touched = |e: &HistoryEntry| -> Vec<String> {
            let mine = |f: &str| entry.changes.iter().any(|c| c.field == f);
            e.changes.iter().filter(|c| mine(&c.field)).map(|c| c.field.clone()).collect()
        };
        let mut clashing: Vec<&HistoryEntry> = later.iter().filter(|e| !touched(e).is_empty()).collect();
        clashing.sort_by(|a, b| b.time.cmp(&a.time));
        if let Some(newest) = clashing.first() {
            let mut fields: Vec<String> = clashing.iter().flat_map(|e| touched(e)).collect();
            fields.sort();
            fields.dedup();
            return Err(Refusal::ChangedSince { fields, later: Box::new((*newest).clone()) });
        }
    }
    let created = entry.changes.iter().all(|c| c.before.is_null());
    match before_of(&entry.changes, DELETED).and_then(Value::as_bool) {
        // It was deleted before this change (which restored it, or wrote it anew).
        Some(true) => return Ok(Action::Delete),
        Some(false) if entry.changes.len() == 1 => return Ok(Action::Restore),
        _ if created => return Ok(Action::Delete),
        _ => {}
    }
    let set = entry.changes.iter().filter(|c| c.field != DELETED).map(|c| (c.field.clone(), c.before.clone()));
    Ok(Action::Set(set.collect()))
}

/// A pincode as it is, with the fields of `set` put back.
pub fn pincode_with(current: &PincodeFields, set: &Map<String, Value>) -> PincodeFields {
    let mut p = current.clone();
    let text = |v: &Value| v.as_str().map(str::to_string);
    for (field, value) in set {
        match field.as_str() {
            CITY_ID => p.city_id = text(value).unwrap_or(p.city_id),
            pincode_field::CITY_NAME => p.city_name = text(value).unwrap_or(p.city_name),
            pincode_field::STATE => p.state = text(value).unwrap_or(p.state),
            pincode_field::AREA_NAME => p.area_name = text(value),
            pincode_field::LATITUDE => p.latitude = value.as_f64().unwrap_or(p.latitude),
            pincode_field::LONGITUDE => p.longitude = value.as_f64().unwrap_or(p.longitude),
            pincode_field::OFFICES => p.offices = serde_json::from_value(value.clone()).unwrap_or_default(),
            _ => {}
        }
    }
    p
}

/// Several changes of one entity (oldest first) as one: each field from its
/// first `before` to its last `after`; the newest's id, time and message.
/// An import's revert undoes all it did to an entity at once.
pub fn merge(entries: &[HistoryEntry]) -> Option<HistoryEntry> {
    let mut merged = entries.last()?.clone();
    let mut changes: Vec<FieldChange> = Vec::new();
    for c in entries.iter().flat_map(|e| &e.changes) {
        match changes.iter_mut().find(|m| m.field == c.field) {
            Some(m) => m.after = c.after.clone(),
            None => changes.push(c.clone()),
        }
    }
    changes.retain(|c| c.before != c.after);
    merged.changes = changes;
    Some(merged)
}

/// An entity as it is now, which a revert changes.
#[derive(Clone, Copy, Debug)]
pub enum Current<'a> {
    City(&'a City),
    Pincode(&'a Pincode),
}

/// The change that carries `action` out on the entity as it is now; none
/// when it is so already; the field errors when the fields put back do not
/// make a valid entity.
pub fn change_of(action: &Action, current: Current) -> Result<Option<Change>, ValidationErrors> {
    let change = match (action, current) {
        (Action::Set(set), Current::City(c)) => {
            let fields = validate_city_update(set, &c.fields)?;
            (fields != c.fields).then(|| Change::CityUpdated(CityData { id: c.id.clone(), fields }))
        }
        (Action::Set(set), Current::Pincode(p)) => {
            let fields = pincode_with(&p.fields, set);
            (fields != p.fields).then_some(Change::PincodeUpserted(fields))
        }
        (Action::Delete | Action::Restore, Current::City(c)) => {
            let delete = *action == Action::Delete;
            let r = || CityRef { id: c.id.clone(), name: c.fields.name.clone(), state: c.fields.state.clone() };
            match (delete, c.deleted_at.is_some()) {
                (true, false) => Some(Change::CityDeleted(r())),
                (false, true) => Some(Change::CityRestored(r())),
                _ => None,
            }
        }
        (Action::Delete | Action::Restore, Current::Pincode(p)) => {
            match (*action == Action::Delete, p.deleted_at.is_some()) {
                (true, false) => Some(Change::PincodeDeleted(PincodeRef { pincode: p.fields.pincode.clone() })),
                (false, true) => Some(Change::PincodeUpserted(p.fields.clone())),
                _ => None,
            }
        }
    };
    Ok(change)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entry(id: &str, time: &str, changes: &[(&str, Value, Value)]) -> HistoryEntry {
        HistoryEntry {
            event_id: id.into(),
            event_type: "city.updated.v1".into(),
            subject: "goa/histpur".into(),
            actor: "token:ops".into(),
            time: time.into(),
            import_job: None,
            summary: String::new(),
            reverts: None,
            changes: changes
                .iter()
                .map(|(f, b, a)| FieldChange { field: f.to_string(), before: b.clone(), after: a.clone() })
                .collect(),
            event: None,
        }
    }

    #[test]
    fn an_update_is_reverted_by_its_before_values_a_create_by_a_delete_a_delete_by_a_restore() {
        let moved =
            entry("e2", "2", &[("district", Value::Null, json!("North")), ("latitude", json!(15.3), json!(15.4))]);
        let back = plan(&moved, &[], false).unwrap();
        assert_eq!(back, Action::Set(json!({"district": null, "latitude": 15.3}).as_object().unwrap().clone()));
        let created =
            entry("e1", "1", &[("city_name", Value::Null, json!("Histpur")), ("latitude", Value::Null, json!(15.3))]);
        assert_eq!(plan(&created, &[], false), Ok(Action::Delete));
        let deleted = entry("e3", "3", &[("deleted", json!(false), json!(true))]);
        assert_eq!(plan(&deleted, &[], false), Ok(Action::Restore));
        let restored = entry("e4", "4", &[("deleted", json!(true), json!(false))]);
        assert_eq!(plan(&restored, &[], false), Ok(Action::Delete));
        assert_eq!(plan(&entry("e0", "0", &[]), &[], false), Err(Refusal::NotRecorded));
    }

    #[test]
    fn a_later_change_to_the_same_field_refuses_unless_forced_and_another_field_does_not() {
        let moved = entry("e2", "2", &[("latitude", json!(15.3), json!(15.4))]);
        let renamed = entry("e3", "3", &[("city_name", json!("A"), json!("B"))]);
        assert!(plan(&moved, std::slice::from_ref(&renamed), false).is_ok(), "another field");
        let moved_again = entry("e4", "4", &[("latitude", json!(15.4), json!(15.5))]);
        let refused = plan(&moved, &[moved_again.clone(), renamed], false).unwrap_err();
        match &refused {
            Refusal::ChangedSince { fields, later } => {
                assert_eq!((fields.as_slice(), later.event_id.as_str()), (&["latitude".to_string()][..], "e4"))
            }
            other => panic!("{other:?}"),
        }
        assert!(refused.message().contains("latitude changed since") && refused.message().contains("e4"));
        assert!(plan(&moved, &[moved_again], true).is_ok(), "forced");
    }

    #[test]
    fn changes_of_one_entity_merge_from_the_first_before_to_the_last_after() {
        let created =
            entry("e1", "1", &[("city_name", Value::Null, json!("A")), ("latitude", Value::Null, json!(1.0))]);
        let moved = entry("e2", "2", &[("latitude", json!(1.0), json!(2.0))]);
        let merged = merge(&[created, moved]).unwrap();
        assert_eq!(merged.event_id, "e2");
        let fields: Vec<(&str, &Value, &Value)> =
            merged.changes.iter().map(|c| (c.field.as_str(), &c.before, &c.after)).collect();
        assert_eq!(fields, [("city_name", &Value::Null, &json!("A")), ("latitude", &Value::Null, &json!(2.0))]);
        assert_eq!(plan(&merged, &[], false), Ok(Action::Delete), "still a create");
        let there_and_back = [
            entry("e3", "3", &[("latitude", json!(1.0), json!(2.0))]),
            entry("e4", "4", &[("latitude", json!(2.0), json!(1.0))]),
        ];
        assert!(merge(&there_and_back).unwrap().changes.is_empty(), "nothing left to undo");
        assert_eq!(merge(&[]), None);
    }

    #[test]
    fn an_action_becomes_the_change_it_needs_or_none_when_it_is_so_already() {
        let record = json!({"city_name": "Histpur", "state": "Goa", "latitude": 15.3, "longitude": 74.0});
        let fields = crate::domain::city::validate_new_city(record.as_object().unwrap()).unwrap();
        let city = City {
            id: "goa/histpur".into(),
            fields,
            pincodes: vec![],
            created_at: String::new(),
            updated_at: String::new(),
            deleted_at: None,
            matched_name: None,
        };
        let now = Current::City(&city);
        assert!(matches!(change_of(&Action::Delete, now), Ok(Some(Change::CityDeleted(_)))));
        assert_eq!(change_of(&Action::Restore, now), Ok(None), "not deleted: nothing to restore");
        let back = Action::Set(json!({"latitude": 15.1}).as_object().unwrap().clone());
        let Ok(Some(Change::CityUpdated(data))) = change_of(&back, now) else { panic!() };
        assert_eq!((data.fields.latitude, data.fields.longitude), (15.1, 74.0));
        let same = Action::Set(json!({"latitude": 15.3}).as_object().unwrap().clone());
        assert_eq!(change_of(&same, now), Ok(None));
        let bad = Action::Set(json!({"latitude": 99.0}).as_object().unwrap().clone());
        assert!(change_of(&bad, now).unwrap_err().for_field("latitude").is_some());
    }

    #[test]
    fn a_pincode_gets_the_fields_back_and_keeps_the_others() {
        let now = PincodeFields {
            pincode: "403001".into(),
            city_id: "goa/b".into(),
            city_name: "B".into(),
            state: "Goa".into(),
            area_name: Some("Market".into()),
            latitude: 15.3,
            longitude: 74.1,
            offices: vec![],
        };
        let set = json!({"city_id": "goa/a", "city_name": "A", "longitude": 74.0, "area_name": null});
        let back = pincode_with(&now, set.as_object().unwrap());
        assert_eq!((back.city_id.as_str(), back.city_name.as_str(), back.longitude), ("goa/a", "A", 74.0));
        assert_eq!((back.area_name, back.latitude), (None, 15.3));
    }
}
