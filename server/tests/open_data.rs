//! The real open data, whole: India Post's directory (165,625 offices) and
//! India's cities, imported through `geoledger import` into a server of their
//! own, with the counts in MongoDB checked against counts computed here from
//! the source files. `scripts/fetch-data` makes the files (scripts/test runs it
//! first); how long this takes is measured in bench/, not here.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use common::*;
use futures::TryStreamExt;
use mongodb::bson::{doc, Document};

fn open_data() -> PathBuf {
    let dir =
        std::env::var("GEOLEDGER_OPEN_DATA").map(PathBuf::from).unwrap_or_else(|_| repo_root().join(".data/open-data"));
    assert!(dir.join("india-post.csv").is_file(), "{}: run scripts/fetch-data first", dir.display());
    dir
}

/// What the directory holds, counted the plain way: the offices of each
/// pincode that can be placed (a state and a district named), one per name.
struct Source {
    rows: u64,
    /// Rows without a state or a district.
    unplaced: u64,
    /// pincode → (its offices by name, whether any has coordinates)
    pincodes: BTreeMap<String, (BTreeSet<String>, bool)>,
}

fn read_source(path: &PathBuf) -> Source {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut source = Source { rows: 0, unplaced: 0, pincodes: BTreeMap::new() };
    for record in reader.records() {
        let r = record.unwrap();
        source.rows += 1;
        let (office, pincode, district, state, lat) = (&r[3], &r[4], &r[7], &r[8], &r[9]);
        if district.trim().is_empty() || state.trim().is_empty() {
            source.unplaced += 1;
            continue;
        }
        let entry = source.pincodes.entry(pincode.to_string()).or_default();
        entry.0.insert(office.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect());
        entry.1 |= lat != "NA";
    }
    source
}

#[tokio::test]
async fn the_whole_india_post_directory_and_every_indian_city_import_to_the_counts_of_the_source() {
    let dir = open_data();
    let source = read_source(&dir.join("india-post.csv"));
    assert_eq!(source.rows, 165_625, "the pinned dataset");

    let world = Owned(World::new("open_data"));
    let _server = world.server();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_geoledger"))
        .args(["import", "--if-empty", "--wait-secs", "900"])
        .arg(dir.join("cities.csv"))
        .arg(dir.join("india-post.csv"))
        .envs(world.env())
        .env("GEOLEDGER_LOG", "warn")
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&out.stdout).to_string();
    // Some source rows are refused (no state, or a name twice in one state): status 1, and said.
    assert_eq!(out.status.code(), Some(1), "{summary}\n{}", String::from_utf8_lossy(&out.stderr));
    // A summary a file, each with its refused rows under it (indented).
    let lines: Vec<&str> = summary.lines().filter(|l| !l.starts_with("  ")).collect();
    assert_eq!(lines.len(), 2, "{summary}");
    assert!(summary.contains("\n  line 328, column state: is required\n"), "{summary}");
    assert!(lines[0].starts_with("cities.csv: 5933 rows read, 14 invalid, 225 superseded;"), "{summary}");
    assert!(lines[0].ends_with("(done)"), "{summary}");
    let invalid = format!("india-post.csv: 165625 rows read, {} invalid,", source.unplaced);
    assert!(lines[1].starts_with(&invalid), "{summary}");
    assert!(lines[1].ends_with("(done)"), "every change applied: {summary}");

    let db = world.db().await;
    let pincodes: Vec<Document> =
        db.collection::<Document>("pincodes").find(doc! {}).await.unwrap().try_collect().await.unwrap();
    let placed: BTreeMap<&String, &(BTreeSet<String>, bool)> =
        source.pincodes.iter().filter(|(_, (_, located))| *located).collect();
    assert_eq!(pincodes.len(), placed.len(), "one pincode for each that has an office with coordinates");
    let offices: usize = pincodes.iter().map(|p| p.get_array("offices").map(|o| o.len()).unwrap_or(0)).sum();
    assert_eq!(offices, placed.values().map(|(o, _)| o.len()).sum::<usize>(), "every office, once");
    // Every pincode's city is there: a city of the list, or its district made one.
    let cities: BTreeSet<String> = db
        .collection::<Document>("cities")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect::<Vec<Document>>()
        .await
        .unwrap()
        .iter()
        .map(|c| c.get_str("_id").unwrap().to_string())
        .collect();
    let orphans: Vec<&str> =
        pincodes.iter().map(|p| p.get_str("city_id").unwrap()).filter(|c| !cities.contains(*c)).collect();
    assert!(orphans.is_empty(), "pincodes without their city: {:?}", &orphans[..orphans.len().min(5)]);
}
