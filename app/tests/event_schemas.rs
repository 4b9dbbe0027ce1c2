//! Every kind of event GeoLedger emits matches the Avro schema in schemas/ that its
//! `dataschema` names, and every schema reads the events written with each of its
//! earlier versions in git (a schema registry's BACKWARD_TRANSITIVE rule).

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
    CityData { id: f.new_id(), fields: f }
}

fn bare_city() -> CityData {
    let f = validate_new_city(
        json!({"city_name": "Leh", "state": "Ladakh", "latitude": 34.16, "longitude": 77.58}).as_object().unwrap(),
    )
    .unwrap();
    CityData { id: f.new_id(), fields: f }
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

/// Every version of `schemas/FILE` committed to git, newest first, each with its
/// commit (the working copy is checked against all of them).
fn versions_in_git(file: &str) -> Vec<(String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git").current_dir(&root).args(args).output().expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let path = format!("schemas/{file}");
    git(&["log", "--format=%H", "--", &path])
        .lines()
        .map(|commit| (commit.to_string(), git(&["show", &format!("{commit}:{path}")])))
        .collect()
}

/// The schema files, as they are now.
fn schema_files() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "avsc"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    files.sort();
    files
}

/// Whether a reader with `new` reads every datum written with `old`: a schema
/// registry's BACKWARD rule.
fn reads_the_old(old: &str, new: &str) -> Result<(), String> {
    let (old, new) =
        (Schema::parse_str(old).map_err(|e| e.to_string())?, Schema::parse_str(new).map_err(|e| e.to_string())?);
    apache_avro::schema_compatibility::SchemaCompatibility::can_read(&old, &new).map_err(|e| e.to_string())
}

#[test]
fn every_schema_reads_every_earlier_version_of_itself_in_git() {
    let files = schema_files();
    assert!(files.len() >= EventType::ALL.len(), "{files:?}");
    let tracked = std::process::Command::new("git")
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
        .args(["ls-files", "schemas"])
        .output()
        .expect("git runs");
    let tracked = String::from_utf8(tracked.stdout).unwrap();
    let mut problems = Vec::new();
    for (file, now) in &files {
        let versions = versions_in_git(file);
        if tracked.lines().any(|l| l == format!("schemas/{file}")) {
            assert!(!versions.is_empty(), "{file} is in git, so its history is read");
        }
        for (commit, old) in versions {
            if let Err(why) = reads_the_old(&old, now) {
                problems.push(format!("{file} cannot read events written with its version at {commit}: {why}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_compatibility_check_refuses_a_field_without_a_default() {
    let old = r#"{"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}"#;
    let added = r#"{"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"},
        {"name": "b", "type": "string"}]}"#;
    let added_with_default = r#"{"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"},
        {"name": "b", "type": ["null", "string"], "default": null}]}"#;
    let retyped = r#"{"type": "record", "name": "R", "fields": [{"name": "a", "type": "long"}]}"#;
    assert!(reads_the_old(old, added).is_err(), "a new field without a default cannot be read from old events");
    assert_eq!(reads_the_old(old, added_with_default), Ok(()));
    assert!(reads_the_old(old, retyped).is_err(), "a string read as a long");
    assert_eq!(reads_the_old(added, old), Ok(()), "a field dropped: old events' value is skipped");
}
