//! Bulk imports against the real broker and store: each format from its
//! sample, a file mixing good and bad rows, dry runs and second runs, the size
//! limit, the broker stopped mid-import, the JSON and CSV bulk routes, and the
//! CLI.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use futures::TryStreamExt;
use geoledger::pipeline::kafka::settled;
use mongodb::bson::{doc, Document};
use serde_json::{json, Value};

/// Long enough for a first event (the consumer group forms) and a few
/// thousand more to be applied.
const APPLIED: Duration = Duration::from_secs(120);

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(repo_root().join("data/samples").join(name)).unwrap()
}

fn counts(report: &Value) -> (&Value, &Value) {
    (&report["job"]["rows"], &report["job"]["changes"])
}

/// The report's lines as (line, column, kind, message).
fn problems(report: &Value) -> Vec<(Option<u64>, Option<String>, String, String)> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["line"].as_u64(),
                p["column"].as_str().map(str::to_string),
                p["kind"].as_str().unwrap().to_string(),
                p["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn docs(world: &World, coll: &str) -> Vec<Document> {
    world.db().await.collection::<Document>(coll).find(doc! {}).await.unwrap().try_collect().await.unwrap()
}

#[tokio::test]
async fn each_format_is_imported_from_its_sample() {
    let world = Owned(World::new("import_formats"));
    let server = world.server();
    let api = Api::new(&server, &world.token());

    // GeoLedger cities, the format read from the header.
    let report = api.import(&sample("cities.csv"), "file_name=cities.csv", APPLIED).await;
    assert_eq!(report["job"]["status"], "done", "{report}");
    assert_eq!(report["job"]["format"], "cities");
    let (rows, changes) = counts(&report);
    assert_eq!((rows["read"].as_u64(), rows["invalid"].as_u64()), (Some(12), Some(0)), "{report}");
    assert_eq!((changes["published"].as_u64(), changes["applied"].as_u64()), (Some(12), Some(12)), "{report}");
    let (_, mumbai) = api.get("/api/v1/cities/Mumbai/MH").await;
    assert_eq!(mumbai["alternate_names"], json!(["Bombay"]));
    assert_eq!(mumbai["population"], 12442373);
    let (_, delhi) = api.get("/api/v1/cities/Delhi/Delhi").await;
    assert_eq!(delhi["alternate_names"], json!(["Dilli", "NCT"]), "alternate names are separated by |");

    // GeoLedger pincodes.
    let report = api.import(&sample("pincodes.csv"), "format=pincodes", APPLIED).await;
    assert_eq!(report["job"]["changes"]["applied"], 5, "{report}");
    let (_, gpo) = api.get("/api/v1/pincodes/400001").await;
    assert_eq!((gpo["city_id"].as_str(), gpo["area_name"].as_str()), (Some("maharashtra/mumbai"), Some("Mumbai GPO")));

    // India Post: offices make pincodes; a district that is no city yet becomes one.
    let report = api.import(&sample("india-post.csv"), "", APPLIED).await;
    assert_eq!(report["job"]["format"], "india-post");
    let (rows, changes) = counts(&report);
    assert_eq!(rows["read"], 11, "{report}");
    assert_eq!(rows["invalid"], 0, "{report}");
    // Cities North Goa and South Andamans, and 5 pincodes; Pune is a city already.
    assert_eq!((changes["planned"].as_u64(), changes["unchanged"].as_u64()), (Some(7), Some(1)), "{report}");
    assert_eq!(changes["applied"], 7, "{report}");
    let (_, pune) = api.get("/api/v1/pincodes/411001").await;
    assert_eq!(pune["area_name"], "Pune H.O", "the head office names the area");
    assert_eq!(pune["city_id"], "maharashtra/pune");
    let offices = pune["offices"].as_array().unwrap();
    assert_eq!(offices.len(), 3, "every office is kept, those without coordinates too: {pune}");
    assert_eq!(offices[1], json!({"name": "C D A (O) S.O", "kind": "SO", "delivery": false}));
    // The mean of the offices that have coordinates (N.W. College has NA).
    assert!((pune["latitude"].as_f64().unwrap() - (18.52322 + 18.49975) / 2.0).abs() < 1e-4, "{pune}");
    let (code, goa) = api.get("/api/v1/cities/North%20Goa/GOA").await;
    assert_eq!(code, 200, "{goa}");
    assert_eq!(goa["district"], "North Goa");
    let mean_of_pincodes = ((15.49913 + 15.49942) / 2.0 + 15.47073) / 2.0;
    assert!((goa["latitude"].as_f64().unwrap() - mean_of_pincodes).abs() < 1e-4, "{goa}");
    let (_, city) = api.get("/api/v1/cities/Pune/Maharashtra").await;
    assert_eq!(city["latitude"], 18.5204, "a city there already keeps its own coordinates");
    // A pincode none of whose offices has coordinates is reported, not made.
    let lines = problems(&report);
    let dari = lines.iter().find(|p| p.0 == Some(12)).unwrap_or_else(|| panic!("{lines:?}"));
    assert!(dari.3.contains("pincode 176057 has no coordinates"), "{dari:?}");
    let (code, _) = api.get("/api/v1/pincodes/176057").await;
    assert_eq!(code, 404);

    // The same file again publishes nothing: every change is there already.
    let again = api.import(&sample("india-post.csv"), "", APPLIED).await;
    let (_, changes) = counts(&again);
    assert_eq!((changes["planned"].as_u64(), changes["unchanged"].as_u64()), (Some(0), Some(8)), "{again}");
}

/// A bad row: its line, the column the report must name, words of the reason.
type BadRow = (u64, Option<&'static str>, &'static str);

/// A file of `good` cities (one of them twice, the later one winning) with a
/// bad row of every kind among them, as a spreadsheet writes it: a byte-order
/// mark, CRLF, quoted commas, quotes and line breaks, blank lines. Returns the
/// file, the names that must be imported, and the bad rows' (line, column,
/// words of the reason).
fn mixed_file(good: usize) -> (Vec<u8>, BTreeSet<String>, Vec<BadRow>) {
    let states = ["Maharashtra", "Kerala", "Bihar", "Goa", "Punjab"];
    let mut out = b"\xef\xbb\xbfcity_name,state,district,latitude,longitude,population\r\n".to_vec();
    let mut line = 1u64;
    let mut names = BTreeSet::new();
    let mut bad = Vec::new();
    let mut push = |out: &mut Vec<u8>, text: &[u8], lines: u64| {
        out.extend_from_slice(text);
        out.extend_from_slice(b"\r\n");
        line += lines;
        line
    };
    for i in 0..good {
        let name = format!("Mixpur {i:04}");
        let latitude = 10.0 + (i % 25_000) as f64 / 1000.0;
        let row = format!("{name},{},Dist {i},{latitude:.4},{:.4},{}", states[i % 5], 75.0, i * 10);
        push(&mut out, row.as_bytes(), 1);
        names.insert(name);
        match i {
            100 => bad.push((push(&mut out, b"Badstate,Narnia,X,20.0,75.0,1", 1), Some("state"), "not a state")),
            200 => {
                bad.push((push(&mut out, b"Farnorth,Kerala,X,60.0,75.0,1", 1), Some("latitude"), "between 6 and 37.6"))
            }
            300 => {
                bad.push((push(&mut out, b"Eastish,Kerala,X,10.0,east,1", 1), Some("longitude"), "must be a number"))
            }
            400 => bad.push((push(&mut out, b"Shortrow,Kerala,X,10.0", 1), None, "has 4 columns; the header has 6")),
            500 => bad.push((push(&mut out, b"Longrow,Kerala,X,10.0,75.0,1,extra", 1), None, "has 7 columns")),
            600 => bad.push((push(&mut out, b"M\xfcnchen,Kerala,X,10.0,75.0,1", 1), Some("city_name"), "not UTF-8")),
            700 => bad.push((
                push(&mut out, b"Negapur,Kerala,X,10.0,75.0,-5", 1),
                Some("population"),
                "must not be negative",
            )),
            800 => {
                // Blank lines, then a quoted name with a comma, quotes and a line break.
                push(&mut out, b"", 1);
                push(&mut out, b"", 1);
                push(&mut out, b"\"Quote, \"\"The\"\"\r\nTown\",Goa,X,15.0,74.0,7", 2);
                names.insert("Quote, \"The\" Town".to_string());
            }
            900 => bad.push((push(&mut out, b",Kerala,X,10.0,75.0,1", 1), Some("city_name"), "is required")),
            _ => {}
        }
    }
    // Mixpur 0005 again, later in the file: this row wins, the first is superseded.
    push(&mut out, b"Mixpur 0005,Maharashtra,Replaced,19.5,75.0,55", 1);
    (out, names, bad)
}

#[tokio::test]
async fn a_file_mixing_good_and_bad_rows_imports_exactly_the_good_ones_and_reports_every_bad_one() {
    let world = Owned(World::new("import_mixed"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let (file, names, bad) = mixed_file(2000);
    let report = api.import(&file, "file_name=mixed.csv", APPLIED).await;
    let (rows, changes) = counts(&report);
    assert_eq!(report["job"]["status"], "done", "{}", report["job"]);
    assert_eq!(rows["read"].as_u64(), Some(2000 + 1 + bad.len() as u64 + 1), "{}", report["job"]);
    assert_eq!(rows["invalid"].as_u64(), Some(bad.len() as u64));
    assert_eq!(rows["superseded"], 1);
    assert_eq!(changes["published"].as_u64(), Some(names.len() as u64));
    assert_eq!(changes["applied"].as_u64(), Some(names.len() as u64));

    // The report names each bad row by its line and column, and says why.
    let lines = problems(&report);
    for (line, column, why) in &bad {
        let found = lines.iter().find(|p| p.0 == Some(*line) && p.2 == "invalid");
        let found = found.unwrap_or_else(|| panic!("line {line} is not in the report: {lines:?}"));
        assert_eq!(found.1.as_deref(), *column, "line {line}: {found:?}");
        assert!(found.3.contains(why), "line {line}: {found:?}");
    }
    let superseded = lines.iter().find(|p| p.2 == "superseded").unwrap();
    assert_eq!(superseded.0, Some(7), "the first Mixpur 0005 (line 7) is replaced: {superseded:?}");

    // The read model holds exactly the good rows, the later Mixpur 0005 among them.
    let cities = docs(&world, "cities").await;
    let stored: BTreeSet<String> = cities.iter().map(|d| d.get_str("name").unwrap().to_string()).collect();
    assert_eq!(stored, names);
    let mixpur5 = cities.iter().find(|d| d.get_str("name") == Ok("Mixpur 0005")).unwrap();
    assert_eq!(mixpur5.get_str("district").unwrap(), "Replaced");

    // The whole report downloads as CSV, one line a problem.
    let id = report["job"]["id"].as_str().unwrap();
    let (code, kind, csv) = api.get_text(&format!("/api/v1/imports/{id}/report.csv")).await;
    assert_eq!(code, 200);
    assert!(kind.starts_with("text/csv"), "{kind}");
    assert!(csv.starts_with("line,column,kind,message\n"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + bad.len() + 1, "{csv}");
}

#[tokio::test]
async fn a_dry_run_publishes_nothing_and_a_second_import_publishes_nothing_new() {
    let world = Owned(World::new("import_twice"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let consumer = plain_consumer(&world);
    let topic = world.topic("city-updates");

    let dry = api.import(&sample("cities.csv"), "dry_run=true", APPLIED).await;
    assert_eq!(dry["job"]["dry_run"], true);
    assert_eq!(dry["job"]["status"], "done");
    let (_, changes) = counts(&dry);
    assert_eq!((changes["planned"].as_u64(), changes["published"].as_u64()), (Some(12), Some(0)), "{dry}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(message_count(&consumer, &topic), 0, "a dry run publishes nothing");

    let first = api.import(&sample("cities.csv"), "", APPLIED).await;
    assert_eq!(first["job"]["changes"]["published"], 12);
    assert_eq!(message_count(&consumer, &topic), 12);

    let second = api.import(&sample("cities.csv"), "", APPLIED).await;
    let (_, changes) = counts(&second);
    assert_eq!((changes["unchanged"].as_u64(), changes["published"].as_u64()), (Some(12), Some(0)), "{second}");
    assert_eq!(second["job"]["status"], "done");
    assert_eq!(message_count(&consumer, &topic), 12, "the second import published nothing");

    // The jobs are listed, newest first, with who started them and through which door.
    let (_, list) = api.get("/api/v1/imports").await;
    let jobs = list["imports"].as_array().unwrap();
    assert_eq!(jobs.len(), 3);
    assert_eq!(jobs[0]["id"], second["job"]["id"]);
    assert_eq!(jobs[2]["dry_run"], true);
    assert_eq!(jobs[0]["door"], "api");
    assert!(jobs[0]["actor"].as_str().unwrap().starts_with("token:"), "{}", jobs[0]);
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_with_413_and_nothing_is_published() {
    let world = Owned(World::new("import_limit").with("GEOLEDGER_IMPORT_MAX_BYTES", "2000"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let (file, ..) = mixed_file(100);
    assert!(file.len() > 2000);
    let (code, body) = api.post_raw("/api/v1/imports", "text/csv", file.clone()).await;
    assert_eq!(code, 413, "{body}");
    assert!(body["error"].as_str().unwrap().contains("larger than the import limit of 2000 bytes"), "{body}");
    let (code, _) = api.post_raw("/api/v1/location-updates/cities/bulk", "text/csv", file).await;
    assert_eq!(code, 413);
    // A file within the limit goes through.
    let report = api.import(&sample("cities.csv"), "", APPLIED).await;
    assert_eq!(report["job"]["rows"]["read"], 12);
    let (_, list) = api.get("/api/v1/imports").await;
    assert_eq!(list["imports"].as_array().unwrap().len(), 1, "no job was made of the refused uploads: {list}");
    let consumer = plain_consumer(&world);
    assert_eq!(message_count(&consumer, &world.topic("city-updates")), 12, "only the file within the limit's");
}

#[tokio::test]
async fn the_bulk_routes_take_csv_as_a_job_and_json_in_batches() {
    let world = Owned(World::new("import_bulk"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    // CSV to the seed's bulk route: an import job of cities.
    let (code, job) = api.post_raw("/api/v1/location-updates/cities/bulk", "text/csv", sample("cities.csv")).await;
    assert_eq!(code, 202, "{job}");
    assert_eq!((job["format"].as_str(), job["status"].as_str()), (Some("cities"), Some("running")));
    let report = api.wait_for_job(job["id"].as_str().unwrap(), APPLIED).await;
    assert_eq!(report["job"]["changes"]["applied"], 12);

    // JSON pincodes: published in one batch; the same again changes nothing.
    let pins = json!([
        {"pincode": "400001", "city_name": "Mumbai", "state": "MH", "area_name": "Mumbai GPO", "latitude": 18.9398,
         "longitude": 72.8355},
        {"pincode": "411001", "city_name": "Pune", "state": "MH", "area_name": "Pune H.O", "latitude": 18.52,
         "longitude": 73.87},
    ]);
    let (code, body) = api.post("/api/v1/location-updates/pincodes/bulk", &pins).await;
    assert_eq!(code, 202, "{body}");
    assert_eq!((body["count"].as_u64(), body["unchanged"].as_u64()), (Some(2), Some(0)));
    api.eventually("/api/v1/pincodes/411001", APPLIED, |c, _| c == 200).await;
    api.eventually("/api/v1/pincodes/400001", APPLIED, |c, _| c == 200).await;
    let (code, body) = api.post("/api/v1/location-updates/pincodes/bulk", &pins).await;
    assert_eq!(code, 202, "{body}");
    assert_eq!((body["count"].as_u64(), body["unchanged"].as_u64()), (Some(0), Some(2)), "{body}");
    let bad = json!([{"pincode": "0123", "city_name": "Pune", "state": "MH", "latitude": 18.5, "longitude": 73.8}]);
    let (code, body) = api.post("/api/v1/location-updates/pincodes/bulk", &bad).await;
    assert_eq!(code, 422);
    assert_eq!(body["errors"][0]["field"], "[0].pincode");

    // A multipart upload, as a browser form sends it.
    let form = reqwest::multipart::Form::new()
        .text("format", "pincodes")
        .text("dry_run", "true")
        .part("file", reqwest::multipart::Part::bytes(sample("pincodes.csv")).file_name("my-pincodes.csv"));
    let res = reqwest::Client::new()
        .post(server.url("/api/v1/imports"))
        .bearer_auth(&api.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 202);
    let job: Value = res.json().await.unwrap();
    assert_eq!((job["file_name"].as_str(), job["dry_run"].as_bool()), (Some("my-pincodes.csv"), Some(true)));
    let report = api.wait_for_job(job["id"].as_str().unwrap(), APPLIED).await;
    assert_eq!(report["job"]["changes"]["unchanged"], 1, "400001 is there as it is: {}", report["job"]);
}

#[tokio::test]
async fn the_broker_restarted_mid_import_the_job_names_what_was_not_published_and_a_rerun_completes_it() {
    let kafka = PrivateKafka::start();
    // The default publish timeout (10 s). With 2 s, a broker just back and slow on a
    // busy machine failed every write for minutes: a write timed out in flight
    // closes librdkafka's connection, and the next ones timed out again.
    let world = Owned(World::on("import_outage", &kafka.brokers()));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    // A write through first, applied: the new broker has its partitions' leaders and
    // the group its member. (Under load, a broker just started has taken over 2 s to
    // take a first write, and the whole import then failed before any restart.)
    let warm_up = json!({"city_name": "Warmpur", "state": "Goa", "latitude": 15.5, "longitude": 73.8});
    let deadline = std::time::Instant::now() + APPLIED;
    while api.post("/api/v1/location-updates/cities", &warm_up).await.0 != 202 {
        assert!(std::time::Instant::now() < deadline, "the new broker never took a write");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    api.eventually("/api/v1/cities/Warmpur/Goa", APPLIED, |code, _| code == 200).await;
    let (file, mut names, _) = mixed_file(50_000);
    names.insert("Warmpur".to_string());
    let (code, job) = api.post_raw("/api/v1/imports?file_name=big.csv", "text/csv", file.clone()).await;
    assert_eq!(code, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    // Restart the broker once publishing is under way.
    api.eventually(&format!("/api/v1/imports/{id}"), APPLIED, |_, b| {
        b["job"]["changes"]["published"].as_u64() > Some(0)
    })
    .await;
    kafka.stop();
    kafka.restart();
    let report = api.wait_for_job(&id, Duration::from_secs(240)).await;
    let (_, changes) = counts(&report);
    let (published, unpublished) = (changes["published"].as_u64().unwrap(), changes["unpublished"].as_u64().unwrap());
    assert!(published > 0, "{}", report["job"]);
    // It finished, or it says exactly which changes were not published.
    assert_eq!(published + unpublished, changes["planned"].as_u64().unwrap(), "every change is one or the other");
    if unpublished > 0 {
        assert_eq!(report["job"]["status"], "failed", "{}", report["job"]);
        let (_, _, csv) = api.get_text(&format!("/api/v1/imports/{id}/report.csv")).await;
        let not_published = csv.lines().filter(|l| l.contains(",not published,")).count() as u64;
        assert_eq!(not_published, unpublished, "each change not published is in the report");
    }

    // The same file again finishes the job.
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let rerun = loop {
        let (code, job) = api.post_raw("/api/v1/imports?file_name=big.csv", "text/csv", file.clone()).await;
        assert_eq!(code, 202, "{job}");
        let report = api.wait_for_job(job["id"].as_str().unwrap(), Duration::from_secs(240)).await;
        if report["job"]["status"] == "done" || std::time::Instant::now() > deadline {
            break report;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    assert_eq!(rerun["job"]["status"], "done", "{}", rerun["job"]);
    let cities = docs(&world, "cities").await;
    let stored: Vec<String> = cities.iter().map(|d| d.get_str("name").unwrap().to_string()).collect();
    assert_eq!(stored.len(), names.len(), "each city once");
    assert_eq!(stored.into_iter().collect::<BTreeSet<_>>(), names, "nothing lost");
}

#[tokio::test]
async fn geoledger_killed_mid_import_shows_the_job_interrupted_and_a_rerun_completes_it_with_each_city_once() {
    let world = Owned(World::new("import_killed").with("GEOLEDGER_IMPORT_HEARTBEAT_MS", "500"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let (file, names, _) = mixed_file(20_000);
    let (code, job) = api.post_raw("/api/v1/imports?file_name=big.csv", "text/csv", file.clone()).await;
    assert_eq!(code, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    api.eventually(&format!("/api/v1/imports/{id}"), APPLIED, |_, b| {
        b["job"]["changes"]["published"].as_u64() > Some(0)
    })
    .await;
    // SIGKILL, mid-publishing and mid-consumption: nothing is committed on the way out.
    server.kill();

    let server = world.server();
    let api = Api::new(&server, &api.token);
    let report = api.wait_for_job(&id, APPLIED).await;
    assert_eq!(report["job"]["status"], "interrupted", "{}", report["job"]);
    let rerun = api.import(&file, "file_name=big.csv", Duration::from_secs(240)).await;
    assert_eq!(rerun["job"]["status"], "done", "{}", rerun["job"]);
    let cities = docs(&world, "cities").await;
    let stored: Vec<String> = cities.iter().map(|d| d.get_str("name").unwrap().to_string()).collect();
    let lost: Vec<&String> = names.iter().filter(|n| !stored.contains(n)).collect();
    assert!(lost.is_empty(), "lost {} cities: {:?}", lost.len(), lost.iter().take(5).collect::<Vec<_>>());
    assert_eq!(stored.len(), names.len(), "each city once");
}

#[tokio::test]
async fn the_cli_imports_with_a_summary_line_and_an_exit_status_that_tells() {
    let world = Owned(World::new("import_cli"));
    let _server = world.server();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_geoledger"))
            .arg("import")
            .args(args)
            .envs(world.env())
            .env("GEOLEDGER_LOG", "warn")
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let cities = repo_root().join("data/samples/cities.csv");
    let (code, line) = run(&[cities.to_str().unwrap(), "--dry-run"]);
    assert_eq!(code, Some(0), "{line}");
    // A dry run also counts the quality findings the file would open: its
    // cities come without pincodes.
    assert_eq!(
        line,
        "cities.csv: 12 rows read, 0 invalid, 0 superseded; 0 unchanged, would publish 12 (done); \
         would open 12 quality findings: 12 city without pincodes"
    );

    let (code, line) = run(&[cities.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{line}");
    assert_eq!(line, "cities.csv: 12 rows read, 0 invalid, 0 superseded; 0 unchanged, published 12, applied 12 (done)");

    // A file with a refused row: the others go in, and the exit status says so.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("two.csv");
    std::fs::write(&bad, "city_name,state,latitude,longitude\nSurat,Gujarat,21.17,72.83\nAtlantis,Ocean,1,2\n")
        .unwrap();
    let (code, line) = run(&[bad.to_str().unwrap(), "--format", "cities"]);
    assert_eq!(code, Some(1), "{line}");
    assert!(
        line.starts_with("two.csv: 2 rows read, 1 invalid, 0 superseded; 0 unchanged, published 1, applied 1"),
        "{line}"
    );

    // A dry run names each refused row: its line, column and reason, then where the whole report is.
    let three = dir.path().join("three.csv");
    let rows = "city_name,state,latitude,longitude
Surat,Gujarat,21.17,72.83
Atlantis,Ocean,21,72
\
                Vapi,Gujarat,north,72.9
Navsari,Gujarat,20.95,72.92
,Gujarat,21,73
Bharuch,Gujarat,21.7,72.98
";
    std::fs::write(&three, rows).unwrap();
    let (code, out) = run(&[three.to_str().unwrap(), "--dry-run"]);
    assert_eq!(code, Some(1), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("three.csv: 6 rows read, 3 invalid"), "{out}");
    assert_eq!(lines[1], "  line 3, column state: 'Ocean' is not a state or union territory of India", "{out}");
    assert!(lines[2].starts_with("  line 4, column latitude: must be a number"), "{out}");
    assert_eq!(lines[3], "  line 6, column city_name: is required", "{out}");
    assert!(lines[4].contains("/report.csv"), "{out}");
    assert_eq!(lines.len(), 5, "{out}");
}

#[tokio::test]
async fn a_job_whose_process_died_shows_as_interrupted_not_running_forever() {
    let world = Owned(
        World::new("import_killed").with("GEOLEDGER_IMPORT_BATCH", "10").with("GEOLEDGER_IMPORT_HEARTBEAT_MS", "300"),
    );
    let server = world.server();
    let token = world.token();
    let api = Api::new(&server, &token);
    let (file, ..) = mixed_file(12000);
    let (code, job) = api.post_raw("/api/v1/imports?file_name=cut.csv", "text/csv", file).await;
    assert_eq!(code, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    api.eventually(&format!("/api/v1/imports/{id}"), APPLIED, |_, b| {
        b["job"]["changes"]["published"].as_u64() > Some(0)
    })
    .await;
    // The process ends mid-import, as a crash would.
    server.kill();
    let again = world.server();
    let api = Api::new(&again, &token);
    let report = api.wait_for_job(&id, Duration::from_secs(60)).await;
    let job = &report["job"];
    assert_eq!(job["status"], "interrupted", "{job}");
    assert!(job["error"].as_str().unwrap().contains("ended before it finished"), "{job}");
    assert!(job["finished_at"].is_string(), "{job}");
}

/// How many events of the topics the materializer's group has not committed yet.
/// The log ends are read first, then the committed offsets: what the group
/// commits meanwhile is counted as done, what is published meanwhile is not
/// counted, so the answer is never more than what waited at one moment (read
/// the other way round, a busy machine counted events published after the
/// commits were read, and the count ran over).
fn materializer_lag(world: &World) -> i64 {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &world.brokers)
        .set("group.id", world.topic("geoledger-materializer"))
        .create()
        .unwrap();
    let mut partitions = rdkafka::TopicPartitionList::new();
    let mut ends = Vec::new();
    for topic in [world.topic("city-updates"), world.topic("pincode-updates")] {
        let md = settled(|| consumer.fetch_metadata(Some(&topic), Duration::from_secs(10))).unwrap();
        for p in md.topics()[0].partitions() {
            partitions.add_partition(&topic, p.id());
            ends.push(watermarks(&consumer, &topic, p.id()));
        }
    }
    let committed = consumer.committed_offsets(partitions, Duration::from_secs(10)).unwrap();
    committed
        .elements()
        .iter()
        .zip(ends)
        .map(|(e, (low, high))| match e.offset() {
            rdkafka::Offset::Offset(o) => (high - o).max(0),
            _ => high - low,
        })
        .sum()
}

/// A partition's low and high watermarks. The shared broker may answer "not
/// leader" for a moment while other tests create and delete topics: asked
/// again, as the server does.
fn watermarks(consumer: &rdkafka::consumer::BaseConsumer, topic: &str, partition: i32) -> (i64, i64) {
    use rdkafka::consumer::Consumer;
    let mut tries = 0;
    loop {
        match consumer.fetch_watermarks(topic, partition, Duration::from_secs(10)) {
            Ok(marks) => return marks,
            Err(err) if tries < 10 => {
                tries += 1;
                eprintln!("watermarks of {topic}/{partition}: {err}; asking again");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(err) => panic!("watermarks of {topic}/{partition}: {err}"),
        }
    }
}

#[tokio::test]
async fn a_large_import_keeps_pace_with_the_materializer_so_a_change_made_meanwhile_waits_behind_few_events() {
    // At most 300 of the job's events may wait when a batch of 100 is published.
    let world =
        Owned(World::new("import_pace").with("GEOLEDGER_IMPORT_AHEAD", "300").with("GEOLEDGER_IMPORT_BATCH", "100"));
    let _server = world.server();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.csv");
    let mut csv = String::from("city_name,state,latitude,longitude\n");
    for i in 0..3000 {
        csv.push_str(&format!(
            "Pace Town {i},Kerala,{},{}\n",
            9.0 + (i % 100) as f64 / 100.0,
            76.0 + (i / 100) as f64 / 100.0
        ));
    }
    std::fs::write(&file, csv).unwrap();
    let mut import = std::process::Command::new(env!("CARGO_BIN_EXE_geoledger"))
        .arg("import")
        .arg(&file)
        .envs(world.env())
        .env("GEOLEDGER_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (mut most, mut samples) = (0, 0);
    while import.try_wait().unwrap().is_none() {
        most = most.max(materializer_lag(&world));
        samples += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let out = import.wait_with_output().unwrap();
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(out.status.success() && line.contains("published 3000, applied 3000 (done)"), "{line}");
    assert!(samples > 10, "the import was watched ({samples} looks)");
    assert!(most <= 400, "{most} events waited at once: publishing did not keep pace");
    assert!(most > 0, "the watch saw the import's events wait");
}

/// A city as the API answers it, once it passes `ok`.
async fn city_when(api: &Api, path: &str, ok: impl Fn(&Value) -> bool) -> Value {
    api.eventually(&format!("/api/v1/cities/{path}"), APPLIED, |c, b| c == 200 && ok(b)).await
}

/// Reverts a job through the API and waits for the revert's job to end: its report.
async fn revert(api: &Api, job: &str, query: &str) -> Value {
    let (code, started) = api.post(&format!("/api/v1/imports/{job}/revert?{query}"), &json!({})).await;
    assert_eq!(code, 202, "{started}");
    assert_eq!(started["reverts"], job, "{started}");
    api.wait_for_job(started["id"].as_str().unwrap(), APPLIED).await
}

#[tokio::test]
async fn an_import_is_reverted_as_a_job_leaving_what_changed_since_and_its_revert_restores_it() {
    let world = Owned(World::new("import_revert"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let old = json!({"city_name": "Oldtown", "state": "Goa", "latitude": 15.1, "longitude": 74.1, "population": 100});
    let (code, body) = api.post("/api/v1/location-updates/cities", &old).await;
    assert_eq!(code, 202, "{body}");
    city_when(&api, "Oldtown/Goa", |_| true).await;

    // The import makes two cities and changes one.
    let csv = "city_name,state,latitude,longitude,population\n\
               Newa,Goa,15.2,74.2,10\nNewb,Goa,15.3,74.3,20\nOldtown,Goa,15.1,74.1,200\n";
    let imported = api.import(csv.as_bytes(), "", APPLIED).await;
    assert_eq!(imported["job"]["status"], "done", "{imported}");
    let import_id = imported["job"]["id"].as_str().unwrap().to_string();
    city_when(&api, "Oldtown/Goa", |c| c["population"] == 200).await;
    // Newb is changed since.
    let (code, body) = api.put("/api/v1/location-updates/cities/Newb/Goa", &json!({"population": 999})).await;
    assert_eq!(code, 202, "{body}");
    city_when(&api, "Newb/Goa", |c| c["population"] == 999).await;

    let reverted = revert(&api, &import_id, "").await;
    assert_eq!(reverted["job"]["status"], "done", "{reverted}");
    let (rows, changes) = counts(&reverted);
    assert_eq!((&rows["total"], &rows["valid"], &rows["invalid"]), (&json!(3), &json!(2), &json!(1)), "{reverted}");
    assert_eq!((&changes["published"], &changes["applied"]), (&json!(2), &json!(2)), "{reverted}");
    let lines = problems(&reverted);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].2, "left_alone");
    assert!(lines[0].3.starts_with("goa/newb changed since the import"), "{lines:?}");
    // Made: soft-deleted. Changed: its value before. Changed since: as it is.
    city_when(&api, "Newa/Goa", |c| c["deleted_at"].is_string()).await;
    city_when(&api, "Oldtown/Goa", |c| c["population"] == 100).await;
    let newb = city_when(&api, "Newb/Goa", |_| true).await;
    assert_eq!((&newb["population"], &newb["deleted_at"]), (&json!(999), &Value::Null));
    // Its events say what they revert, in the history.
    let (_, history) = api.get("/api/v1/cities/Oldtown/Goa/history").await;
    let newest = &history["entries"][0];
    assert_eq!(newest["import_job"], reverted["job"]["id"]);
    assert_eq!(history["entries"][1]["import_job"], import_id.as_str());
    assert_eq!(newest["reverts"], history["entries"][1]["event_id"]);

    // Reverting the revert restores the import.
    let restored = revert(&api, reverted["job"]["id"].as_str().unwrap(), "").await;
    assert_eq!(counts(&restored).1["published"], 2, "{restored}");
    city_when(&api, "Newa/Goa", |c| c["deleted_at"].is_null() && c["population"] == 10).await;
    city_when(&api, "Oldtown/Goa", |c| c["population"] == 200).await;

    // Forced, the one changed since goes back too (to before the import: it did not exist).
    let forced = revert(&api, &import_id, "force=true").await;
    assert!(problems(&forced).is_empty(), "{forced}");
    city_when(&api, "Newb/Goa", |c| c["deleted_at"].is_string()).await;

    let (code, body) = api.post("/api/v1/imports/no-such-job/revert", &json!({})).await;
    assert_eq!(code, 404, "{body}");
    let dry = api.import(csv.as_bytes(), "dry_run=true", APPLIED).await;
    let (code, body) =
        api.post(&format!("/api/v1/imports/{}/revert", dry["job"]["id"].as_str().unwrap()), &json!({})).await;
    assert_eq!(code, 409, "{body}");
}
