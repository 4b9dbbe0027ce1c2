//! Every kind of event GeoLedger emits matches the Avro schema in schemas/ that its
//! `dataschema` names.

use std::path::PathBuf;

use apache_avro::{types::Value as Avro, Schema};
use app::domain::city::validate_new_city;
use app::domain::event::{Change, CityData, CityRef, EventType, PincodeRef};
use app::domain::pincode::{validate_pincode, Office, OfficeKind, PincodeFields};
use serde_json::{json, Value};

fn schema(t: EventType) -> Schema {
    let env_path = t.dataschema();
    let path = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test"))
        .join("..")
        .join(env_path.trim_start_matches('/'));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Schema::parse_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// True when the JSON data resolves against, and validates as, the schema.
fn conforms(data: &Value, schema: &Schema) -> Result<(), String> {
    let avro = Avro::from(data.clone()).resolve(schema).map_err(|e| e.to_string())?;
    if avro.validate(schema) {
        Ok(())
    } else {
        Err("does not validate".into())
    }
}

fn full_city() -> CityData {
    let record = json!({"city_name": "Noida", "state": "Uttar Pradesh", "latitude": 28.5355, "longitude": 77.3910,
        "district": "Gautam Buddha Nagar", "is_metro": true, "is_capital": false, "population": 642000,
        "area_sq_km": 203.5, "alternate_names": ["नोएडा"],
        "metadata": {"tier": 2, "census_code": "UP-0123", "airport": true, "note": null, "ratio": 0.5}});
    let f = validate_new_city(record.as_object().unwrap()).unwrap();
    CityData { id: f.id(), fields: f }
}

fn bare_city() -> CityData {
    let f = validate_new_city(
        json!({"city_name": "Leh", "state": "Ladakh", "latitude": 34.16, "longitude": 77.58}).as_object().unwrap(),
    )
    .unwrap();
    CityData { id: f.id(), fields: f }
}

fn every_change() -> Vec<Change> {
    let pin = |area: Option<&str>| {
        let mut v =
            json!({"pincode": "201301", "city_name": "Noida", "state": "UP", "latitude": 28.57, "longitude": 77.35});
        if let Some(a) = area {
            v["area_name"] = json!(a);
        }
        validate_pincode(v.as_object().unwrap()).unwrap()
    };
    let r = CityRef { id: "uttar-pradesh/noida".into(), name: "Noida".into(), state: "Uttar Pradesh".into() };
    vec![
        Change::CityCreated(full_city()),
        Change::CityCreated(bare_city()),
        Change::CityUpdated(full_city()),
        Change::CityUpdated(bare_city()),
        Change::CityDeleted(r.clone()),
        Change::CityRestored(r),
        Change::PincodeUpserted(pin(Some("Sector 1"))),
        Change::PincodeUpserted(pin(None)),
        Change::PincodeUpserted(PincodeFields {
            offices: vec![
                Office { name: "Noida H.O".into(), kind: OfficeKind::Head, delivery: true },
                Office { name: "Sector 12 B.O".into(), kind: OfficeKind::Branch, delivery: false },
            ],
            ..pin(Some("Noida H.O"))
        }),
        Change::PincodeDeleted(PincodeRef { pincode: "201301".into() }),
    ]
}

#[test]
fn every_emitted_event_matches_its_avro_schema() {
    let mut seen = std::collections::HashSet::new();
    for change in every_change() {
        let env = change.into_envelope("id".into(), "2026-11-28T00:00:00Z".into(), "/test", "tester");
        let t = EventType::parse(&env.event_type).unwrap();
        seen.insert(t);
        if let Err(e) = conforms(&env.data, &schema(t)) {
            panic!("{} data {} does not match {}: {e}", env.event_type, env.data, env.dataschema);
        }
    }
    assert_eq!(seen.len(), EventType::ALL.len(), "every event type is checked");
}

#[test]
fn data_that_breaks_the_schema_is_caught() {
    let env = Change::CityCreated(full_city()).into_envelope("id".into(), "t".into(), "/test", "tester");
    let s = schema(EventType::CityCreated);
    let mut missing = env.data.clone();
    missing.as_object_mut().unwrap().remove("latitude");
    assert!(conforms(&missing, &s).is_err());
    let mut wrong = env.data.clone();
    wrong["is_metro"] = json!("yes");
    assert!(conforms(&wrong, &s).is_err());
    let mut nested = env.data;
    nested["metadata"] = json!({"x": {"y": 1}});
    assert!(conforms(&nested, &s).is_err());
}
