//! Exports against the real broker and store: each format states the offsets
//! it holds; a CSV export imported back changes nothing; and a service that
//! loads an export, then follows the topic from its offsets while changes
//! keep arriving, ends holding what the read model holds.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use app::domain::event::{Change, Envelope};
use app::domain::export::{already_in, parse_offsets};
use app::domain::history::EventAt;
use common::*;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{json, Value};

const APPLIED: Duration = Duration::from_secs(120);

const CITIES: &str = "\
city_name,state,district,latitude,longitude,is_metro,is_capital,population,area_sq_km,alternate_names
Exportpur,Goa,North Goa,15.4909,73.8278,false,true,114405,21.1,Panjim|Ponnje
Roundtown,Goa,,15.2832,73.9862,false,false,,,
Filegaon,Kerala,Ernakulam,9.9312,76.2673,true,false,677381,94.88,Cochin
Csvnagar,Kerala,,8.5241,76.9366,false,true,957730,214.86,
";

const PINCODES: &str = "\
pincode,city_name,state,area_name,latitude,longitude
403001,Exportpur,Goa,Panaji H.O,15.4989,73.8278
403002,Exportpur,Goa,,15.49,73.82
682001,Filegaon,Kerala,Ernakulam H.O,9.9658,76.2421
";

fn offsets_of(headers: &reqwest::header::HeaderMap) -> Vec<EventAt> {
    let text = headers.get("geoledger-offsets").expect("the offsets header").to_str().unwrap();
    parse_offsets(text).unwrap()
}

/// How far the topic's partitions reach: the offsets after their last messages.
fn ends(consumer: &BaseConsumer, topic: &str, partitions: usize) -> Vec<i64> {
    (0..partitions as i32).map(|p| consumer.fetch_watermarks(topic, p, Duration::from_secs(10)).unwrap().1).collect()
}

/// An NDJSON export, read: its offsets, and each row by id.
fn read_ndjson(text: &str) -> (Vec<EventAt>, BTreeMap<String, Value>) {
    let mut lines = text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap());
    let head = lines.next().expect("the first line states the offsets");
    let offsets = serde_json::from_value(head["geoledger"]["offsets"].clone()).unwrap();
    let rows = lines.map(|row| (row["id"].as_str().unwrap().to_string(), row)).collect();
    (offsets, rows)
}

#[tokio::test]
async fn every_format_states_its_offsets_and_a_csv_imported_back_changes_nothing() {
    let world = Owned(World::new("export_formats"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let cities = api.import(CITIES.as_bytes(), "", APPLIED).await;
    assert_eq!(cities["job"]["status"], "done", "{cities}");
    let with_metadata = json!({"city_name": "Metaville", "state": "Goa", "latitude": 15.6, "longitude": 73.9,
        "metadata": {"source": "census, 2011", "rank": 3, "note": "a \"quoted\" word"}});
    let (code, body) = api.post("/api/v1/location-updates/cities", &with_metadata).await;
    assert_eq!(code, 202, "{body}");
    let pincodes = api.import(PINCODES.as_bytes(), "", APPLIED).await;
    assert_eq!(pincodes["job"]["status"], "done", "{pincodes}");
    let (code, body) = api.delete("/api/v1/location-updates/cities/Roundtown/Goa").await;
    assert_eq!(code, 202, "{body}");
    api.eventually("/api/v1/cities/Roundtown/Goa", APPLIED, |c, b| c == 200 && !b["deleted_at"].is_null()).await;
    api.eventually("/api/v1/cities/Metaville/Goa", APPLIED, |c, _| c == 200).await;

    // Once all is applied, the offsets reach the end of the topic: every event is in the file.
    let consumer = plain_consumer(&world);
    let city_topic = world.topic("city-updates");
    let (mut text, mut offsets) = (String::new(), Vec::new());
    for _ in 0..100 {
        let (code, headers, body) = api.download("/api/v1/export/cities").await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
        assert!(headers["content-disposition"].to_str().unwrap().contains("cities-"), "{headers:?}");
        (text, offsets) = (body, offsets_of(&headers));
        let at: Vec<i64> = offsets.iter().map(|o| o.offset).collect();
        if at == ends(&consumer, &city_topic, 3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        offsets.iter().map(|o| (o.topic.as_str(), o.partition)).collect::<Vec<_>>(),
        [(city_topic.as_str(), 0), (city_topic.as_str(), 1), (city_topic.as_str(), 2)]
    );
    assert_eq!(offsets.iter().map(|o| o.offset).collect::<Vec<_>>(), ends(&consumer, &city_topic, 3));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 4, "a header and the four live cities (Roundtown is deleted): {text}");
    assert!(lines[0].ends_with(",metadata,id,deleted_at,position"), "{}", lines[0]);
    assert!(text.contains("goa/exportpur"), "{text}");
    assert!(text.contains(r#""{""source"":""census, 2011"",""rank"":3,""note"":""a \""quoted\"" word""}""#), "{text}");

    // Imported back (a dry run): every row unchanged, none refused.
    let dry = api.import(text.as_bytes(), "dry_run=true", APPLIED).await;
    assert_eq!(dry["job"]["rows"]["invalid"], 0, "{dry}");
    assert_eq!(dry["job"]["changes"]["unchanged"], 4, "{dry}");
    assert_eq!(dry["job"]["changes"]["planned"], 0, "{dry}");
    let (code, _, pincodes) = api.get_text("/api/v1/export/pincodes").await;
    assert_eq!(code, 200);
    assert_eq!(pincodes.lines().count(), 1 + 3, "{pincodes}");
    let dry = api.import(pincodes.as_bytes(), "dry_run=true", APPLIED).await;
    assert_eq!((&dry["job"]["changes"]["unchanged"], &dry["job"]["changes"]["planned"]), (&json!(3), &json!(0)));

    // GeoJSON: the offsets at the top, a Point feature a city, each with its position.
    let (code, headers, geojson) = api.download("/api/v1/export/cities?format=geojson&state=kerala").await;
    assert_eq!((code, headers["content-type"].to_str().unwrap()), (200, "application/geo+json"));
    let geojson: Value = serde_json::from_str(&geojson).unwrap();
    assert_eq!(geojson["geoledger"]["offsets"], serde_json::to_value(offsets_of(&headers)).unwrap());
    let features = geojson["features"].as_array().unwrap();
    let names: Vec<&str> = features.iter().map(|f| f["properties"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Csvnagar", "Filegaon"], "Kerala's only, by id");
    assert_eq!(features[1]["geometry"]["coordinates"], json!([76.2673, 9.9312]));
    assert_eq!(features[1]["properties"]["position"]["topic"], city_topic.as_str());

    // NDJSON: the offsets on the first line; deleted ones when asked for.
    let (_, headers, ndjson) = api.download("/api/v1/export/cities?format=ndjson&state=Goa&include_deleted=true").await;
    let (stated, rows) = read_ndjson(&ndjson);
    assert_eq!(stated, offsets_of(&headers));
    assert_eq!(rows.keys().collect::<Vec<_>>(), ["goa/exportpur", "goa/metaville", "goa/roundtown"]);
    assert!(rows["goa/roundtown"]["deleted_at"].is_string());
    assert_eq!(rows["goa/metaville"]["metadata"]["rank"], 3);
    let (code, headers, _) = api.download("/api/v1/export/pincodes?format=ndjson").await;
    assert_eq!(code, 200);
    assert!(offsets_of(&headers).iter().all(|o| o.topic == world.topic("pincode-updates")));

    // A bad parameter is named.
    let (code, body) = api.get("/api/v1/export/cities?format=xlsx&state=Atlantis").await;
    assert_eq!(code, 422, "{body}");
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["format", "state"], "{body}");
}

/// What a following service keeps of a city: its fields, whether deleted, and its position.
fn kept(row: &Value) -> (Value, Option<EventAt>) {
    let fields = json!({
        "name": row["name"], "population": row["population"], "latitude": row["latitude"],
        "deleted": !row["deleted_at"].is_null(),
    });
    (fields, serde_json::from_value(row["position"].clone()).unwrap())
}

#[tokio::test]
async fn an_export_followed_from_its_offsets_ends_as_the_read_model() {
    let world = Owned(World::new("export_follow"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let city = "/api/v1/location-updates/cities";
    let body: Vec<Value> = (0..20)
        .map(|i| {
            json!({"city_name": format!("Followpur {i}"), "state": "Bihar", "latitude": 25.0 + i as f64 / 10.0,
            "longitude": 85.0, "population": 1000 + i})
        })
        .collect();
    let (code, answer) = api.post(&format!("{city}/bulk"), &json!(body)).await;
    assert_eq!(code, 202, "{answer}");
    api.eventually("/api/v1/cities?state=Bihar", APPLIED, |c, b| {
        c == 200 && b["cities"].as_array().unwrap().len() == 20
    })
    .await;

    // Changes keep arriving while the export is made: edits, creates, deletes and restores.
    let writer = Api::new(&server, &world.token());
    let (started_tx, started) = tokio::sync::oneshot::channel();
    let changes = tokio::spawn(async move {
        let mut started_tx = Some(started_tx);
        for i in 0..60 {
            let k = i % 10;
            let (code, answer) = match i % 6 {
                // Followpur 10 to 19 are deleted, each restored seven changes later.
                0 => writer.delete(&format!("{city}/Followpur {}/Bihar", 10 + i / 6)).await,
                1 if i > 6 => writer.post(&format!("{city}/Followpur {}/Bihar/restore", 9 + i / 6), &json!({})).await,
                2 => {
                    let new = json!({"city_name": format!("Newpur {i}"), "state": "Bihar", "latitude": 26.1,
                        "longitude": 85.5 + i as f64 / 100.0});
                    writer.post(city, &new).await
                }
                _ => writer.put(&format!("{city}/Followpur {k}/Bihar"), &json!({"population": 5000 + i})).await,
            };
            assert_eq!(code, 202, "change {i}: {answer}");
            if i == 20 {
                let _ = started_tx.take().unwrap().send(());
            }
        }
    });
    started.await.unwrap();
    let (code, _, text) = api.download("/api/v1/export/cities?format=ndjson&include_deleted=true").await;
    assert_eq!(code, 200);
    let (offsets, rows) = read_ndjson(&text);
    changes.await.unwrap();

    // The service loads the file…
    let mut held: BTreeMap<String, (Value, Option<EventAt>)> =
        rows.iter().map(|(id, r)| (id.clone(), kept(r))).collect();
    // …waits until the read model has applied every change (the offsets reach the topic's end)…
    let consumer = plain_consumer(&world);
    let topic = world.topic("city-updates");
    let end = ends(&consumer, &topic, 3);
    let mut last = String::new();
    for _ in 0..600 {
        let (_, headers, text) = api.download("/api/v1/export/cities?format=ndjson&include_deleted=true").await;
        last = text;
        if offsets_of(&headers).iter().map(|o| o.offset).collect::<Vec<_>>() == end {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (final_offsets, now) = read_ndjson(&last);
    assert_eq!(final_offsets.iter().map(|o| o.offset).collect::<Vec<_>>(), end, "every change applied");

    // …and follows the topic from the export's offsets, skipping what a row already holds.
    let mut assignment = TopicPartitionList::new();
    for o in &offsets {
        assignment.add_partition_offset(&o.topic, o.partition, Offset::Offset(o.offset)).unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut read = vec![0i64; 3];
    for o in &offsets {
        read[o.partition as usize] = o.offset;
    }
    let (mut skipped, mut applied) = (0, 0);
    while read != end {
        let Some(message) = consumer.poll(Duration::from_secs(10)) else { panic!("the topic ends early: {read:?}") };
        let message = message.unwrap();
        let at = EventAt { topic: topic.clone(), partition: message.partition(), offset: message.offset() };
        read[at.partition as usize] = at.offset + 1;
        let (_, change) = Envelope::read(message.payload().unwrap()).unwrap();
        let id = change.subject().to_string();
        if held.get(&id).is_some_and(|(_, position)| position.as_ref().is_some_and(|p| already_in(p, &at))) {
            skipped += 1;
            continue;
        }
        applied += 1;
        let entry = held.entry(id).or_insert_with(|| (json!({"deleted": false}), None));
        match change {
            Change::CityCreated(data) | Change::CityUpdated(data) => {
                let f = &data.fields;
                let deleted = entry.0["deleted"].clone();
                entry.0 =
                    json!({"name": f.name, "population": f.population, "latitude": f.latitude, "deleted": deleted});
            }
            Change::CityDeleted(_) => entry.0["deleted"] = json!(true),
            Change::CityRestored(_) => entry.0["deleted"] = json!(false),
            other => panic!("a city topic holds city events: {other:?}"),
        }
        entry.1 = Some(at);
    }
    let now: BTreeMap<String, (Value, Option<EventAt>)> = now.iter().map(|(id, r)| (id.clone(), kept(r))).collect();
    assert_eq!(
        held, now,
        "the export and the events after it make the read model ({applied} applied, {skipped} skipped)"
    );
    assert!(applied > 0, "changes arrived after the export");
    assert_eq!(now.len(), 20 + 10, "the twenty cities and the ten made meanwhile");
}
