//! Dead letters, as an admin (or a script) handles them: listed with where they
//! came from and why; redriven once, back to their topic, and applied once the
//! cause is fixed; refused past the redrive limit; discarded with who and when;
//! the handled ones hidden unless asked for.

mod common;

use std::time::Duration;

use common::*;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use serde_json::{json, Value};

const FIRST: Duration = Duration::from_secs(30);

/// The dead letters listed, waiting only or all.
async fn letters(api: &Api, handled: bool) -> Vec<Value> {
    let (code, page) = api.get(&format!("/api/v1/kafka/dead-letters?handled={handled}")).await;
    assert_eq!(code, 200, "{page}");
    page["letters"].as_array().unwrap().clone()
}

/// Waits until a waiting dead letter passes `is`, and returns it.
async fn letter_where(api: &Api, is: impl Fn(&Value) -> bool) -> Value {
    let body = api
        .eventually("/api/v1/kafka/dead-letters", FIRST, |c, b| {
            c == 200 && b["letters"].as_array().is_some_and(|l| l.iter().any(&is))
        })
        .await;
    body["letters"].as_array().unwrap().iter().find(|l| is(l)).unwrap().clone()
}

async fn act(api: &Api, what: &str, ids: &[&str]) -> Vec<Value> {
    let (code, outcomes) = api.post(&format!("/api/v1/kafka/dead-letters/{what}"), &json!({ "ids": ids })).await;
    assert_eq!(code, 200, "{outcomes}");
    outcomes.as_array().unwrap().clone()
}

fn pincode(code: &str, city: &str) -> Value {
    json!({"pincode": code, "city_name": city, "state": "Karnataka", "latitude": 12.97, "longitude": 77.59})
}

#[tokio::test]
async fn dead_letters_are_redriven_once_up_to_the_limit_and_discarded_with_who_and_when() {
    let world = Owned(
        World::new("dead_letters").with("GEOLEDGER_CITY_WAIT_RETRIES", "1").with("GEOLEDGER_DLT_MAX_REDRIVES", "1"),
    );
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let pincode_topic = world.topic("pincode-updates");

    // A pincode whose city is missing is dead-lettered: listed with its origin and reason.
    let (code, published) = api.post("/api/v1/location-updates/pincodes", &pincode("560001", "Bengaluru")).await;
    assert_eq!(code, 202, "{published}");
    let orphan = letter_where(&api, |l| l["message"]["key"] == "560001").await;
    assert_eq!(orphan["original_topic"], pincode_topic.as_str());
    assert_eq!(orphan["original_partition"], published["partition"]);
    assert_eq!(orphan["original_offset"], published["offset"]);
    assert!(orphan["error"].as_str().unwrap().contains("karnataka/bengaluru"), "{orphan}");
    assert_eq!(orphan["redrives"], 0);
    assert!(orphan["message"]["value"].as_str().unwrap().contains("\"subject\": \"560001\""), "{orphan}");
    assert_eq!(orphan["message"]["entity"]["label"], "pincode 560001");
    assert_eq!(orphan["handling"], Value::Null);

    // Once the city exists, redriving sends the event back, and it applies.
    let (code, _) = api
        .post(
            "/api/v1/location-updates/cities",
            &json!({"city_name": "Bengaluru", "state": "Karnataka", "latitude": 12.97, "longitude": 77.59}),
        )
        .await;
    assert_eq!(code, 202);
    api.eventually("/api/v1/cities/Bengaluru/Karnataka", FIRST, |c, _| c == 200).await;
    let orphan_id = orphan["id"].as_str().unwrap();
    let outcome = act(&api, "redrive", &[orphan_id]).await;
    let landed = &outcome[0]["done"]["redriven"];
    assert_eq!(landed["topic"], pincode_topic.as_str(), "{outcome:?}");
    let p = api.eventually("/api/v1/pincodes/560001", FIRST, |c, _| c == 200).await;
    assert_eq!(p["city_id"], "karnataka/bengaluru");

    // The redriven message: the event's own bytes and headers, counted once, no dead-letter headers.
    let (partition, offset) = (landed["landed"][0].as_i64().unwrap(), landed["landed"][1].as_i64().unwrap());
    let (_, page) =
        api.get(&format!("/api/v1/kafka/topics/{pincode_topic}/messages?partition={partition}&offset={offset}")).await;
    let sent = &page["messages"].as_array().unwrap().iter().find(|m| m["offset"] == offset).unwrap().clone();
    assert_eq!(sent["value"], orphan["message"]["value"]);
    assert_eq!(sent["key"], "560001");
    let headers: Vec<(String, String)> = serde_json::from_value(sent["headers"].clone()).unwrap();
    assert!(headers.contains(&("geoledger.redrives".into(), "1".into())), "{headers:?}");
    assert!(headers.iter().any(|(k, v)| k == "ce_id" && v == published["event_id"].as_str().unwrap()));
    assert!(!headers.iter().any(|(k, _)| k.starts_with("dlt.")), "{headers:?}");

    // Handled: hidden by default, shown on asking, with who and when; not redriven twice.
    assert!(!letters(&api, false).await.iter().any(|l| l["id"] == orphan_id));
    let all = letters(&api, true).await;
    let handled = all.iter().find(|l| l["id"] == orphan_id).unwrap();
    assert!(handled["handling"]["by"].as_str().unwrap().starts_with("token:"), "{handled}");
    let at = handled["handling"]["at"].as_i64().unwrap();
    assert!((chrono::Utc::now().timestamp_millis() - at).abs() < 60_000, "{handled}");
    let again = act(&api, "redrive", &[orphan_id]).await;
    assert!(again[0]["refused"].as_str().unwrap().contains("was redriven already"), "{again:?}");

    // A letter that fails again comes back counted; past the limit a redrive is refused, saying why.
    api.post("/api/v1/location-updates/pincodes", &pincode("570001", "Mysuru")).await;
    let first = letter_where(&api, |l| l["message"]["key"] == "570001").await;
    let outcome = act(&api, "redrive", &[first["id"].as_str().unwrap()]).await;
    assert!(outcome[0]["done"]["redriven"].is_object(), "{outcome:?}");
    let second = letter_where(&api, |l| l["message"]["key"] == "570001" && l["redrives"] == 1).await;
    let second_id = second["id"].as_str().unwrap();
    let refused = act(&api, "redrive", &[second_id]).await;
    let why = refused[0]["refused"].as_str().unwrap();
    assert!(why.contains("redriven once already, the most allowed"), "{why}");
    assert!(letters(&api, false).await.iter().any(|l| l["id"] == second_id), "a refused redrive leaves it waiting");

    // Discard: handled, with who and when; not twice.
    let discarded = act(&api, "discard", &[second_id]).await;
    assert_eq!(discarded[0]["done"], "discarded", "{discarded:?}");
    assert!(!letters(&api, false).await.iter().any(|l| l["id"] == second_id));
    let shown = letters(&api, true).await.into_iter().find(|l| l["id"] == second_id).unwrap();
    assert_eq!(shown["handling"]["handled"], "discarded");
    assert!(shown["handling"]["by"].as_str().unwrap().starts_with("token:"));
    let twice = act(&api, "discard", &[second_id]).await;
    assert!(twice[0]["refused"].as_str().unwrap().contains("was discarded already"), "{twice:?}");

    // A message that is no event at all: shown raw; two admins redriving it at once send it once.
    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", &world.brokers).create().unwrap();
    let poison = b"{\"this is\": not an event";
    let city_topic = world.topic("city-updates");
    let record = FutureRecord::to(&city_topic).key("poison").payload(&poison[..]);
    producer.send(record, Duration::from_secs(10)).await.unwrap();
    let raw = letter_where(&api, |l| l["message"]["key"] == "poison").await;
    assert_eq!(raw["message"]["json"], false);
    assert_eq!(raw["message"]["value"], "{\"this is\": not an event");
    let raw_id = raw["id"].as_str().unwrap();
    let once = [raw_id];
    let (a, b) = tokio::join!(act(&api, "redrive", &once), act(&api, "redrive", &once));
    let done = [&a[0], &b[0]].iter().filter(|o| o["done"].is_object()).count();
    assert_eq!(done, 1, "{a:?} {b:?}");
    letter_where(&api, |l| l["message"]["key"] == "poison" && l["redrives"] == 1).await;

    // What names no letter is refused by name; a body without ids is refused by field.
    let nothing = act(&api, "discard", &["0-999999", "x"]).await;
    assert!(nothing[0]["refused"].as_str().unwrap().contains("there is no dead letter 0-999999"), "{nothing:?}");
    assert!(nothing[1]["refused"].as_str().unwrap().contains("not a dead letter's id"), "{nothing:?}");
    let (code, body) = api.post("/api/v1/kafka/dead-letters/redrive", &json!({ "ids": [] })).await;
    assert_eq!(code, 422, "{body}");
    assert!(body.to_string().contains("name at least one dead letter"), "{body}");

    // The counts: letters read, handled, and what the topic holds.
    let (_, page) = api.get("/api/v1/kafka/dead-letters").await;
    assert_eq!(page["max_redrives"], 1);
    assert_eq!(page["read"], 5, "{page}");
    assert_eq!(page["in_topic"], 5);
    assert_eq!(page["handled"], 4, "{page}");
}

/// The pincode's longitude as the read model holds it.
async fn longitude_of(api: &Api, code: &str) -> Value {
    let (status, body) = api.get(&format!("/api/v1/pincodes/{code}")).await;
    assert_eq!(status, 200, "{body}");
    body["longitude"].clone()
}

#[tokio::test]
async fn a_redriven_event_older_than_its_entity_is_skipped_and_the_letter_says_so() {
    let world = Owned(World::new("dead_letters_stale").with("GEOLEDGER_CITY_WAIT_RETRIES", "1"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let at = |code: &str, lon: f64| {
        json!({"pincode": code, "city_name": "Mysuru", "state": "Karnataka",
        "latitude": 12.3, "longitude": lon})
    };

    // Three pincodes wait for a city that is not there: each a dead letter.
    for code in ["570001", "570002"] {
        let (status, body) = api.post("/api/v1/location-updates/pincodes", &at(code, 76.60)).await;
        assert_eq!(status, 202, "{body}");
    }
    let (status, body) = api
        .post(
            "/api/v1/location-updates/pincodes",
            &json!({"pincode": "570003", "city_name": "Nowhere",
            "state": "Karnataka", "latitude": 12.3, "longitude": 76.6}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let old = letter_where(&api, |l| l["message"]["key"] == "570001").await;
    let fresh = letter_where(&api, |l| l["message"]["key"] == "570002").await;
    let orphan = letter_where(&api, |l| l["message"]["key"] == "570003").await;

    // The city comes, and 570001 is changed since: a newer event than its letter's.
    let city = json!({"city_name": "Mysuru", "state": "Karnataka", "latitude": 12.29, "longitude": 76.64});
    let (status, body) = api.post("/api/v1/location-updates/cities", &city).await;
    assert_eq!(status, 202, "{body}");
    api.eventually("/api/v1/cities/Mysuru/Karnataka", FIRST, |c, _| c == 200).await;
    let (status, body) = api.post("/api/v1/location-updates/pincodes", &at("570001", 76.65)).await;
    assert_eq!(status, 202, "{body}");
    api.eventually("/api/v1/pincodes/570001", FIRST, |c, b| c == 200 && b["longitude"] == 76.65).await;

    // Sent back, all three.
    let ids = [&old, &fresh, &orphan].map(|l| l["id"].as_str().unwrap().to_string());
    let outcomes = act(&api, "redrive", &ids.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert!(outcomes.iter().all(|o| o["done"]["redriven"].is_object()), "{outcomes:?}");
    let settled = api
        .eventually("/api/v1/kafka/dead-letters?handled=true", FIRST, |c, b| {
            c == 200
                && ids.iter().all(|id| {
                    b["letters"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|l| l["id"] == *id && l["handling"]["outcome"].is_object())
                })
        })
        .await;
    let outcome = |id: &str| {
        let letter = settled["letters"].as_array().unwrap().iter().find(|l| l["id"] == id).unwrap();
        letter["handling"]["outcome"].clone()
    };
    // The old one is skipped: the newer longitude stays, and its history holds no such change.
    assert_eq!(outcome(&ids[0]), json!({"kind": "superseded"}));
    assert_eq!(longitude_of(&api, "570001").await, 76.65);
    let (_, history) = api.get("/api/v1/pincodes/570001/history").await;
    let entries = history["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "only the newer upsert: {history}");
    // The one nothing overtook is applied; the one whose city is still missing failed again.
    assert_eq!(outcome(&ids[1]), json!({"kind": "applied"}));
    assert_eq!(longitude_of(&api, "570002").await, 76.60);
    assert_eq!(outcome(&ids[2])["kind"], "failed_again");
    assert!(outcome(&ids[2])["reason"].as_str().unwrap().contains("karnataka/nowhere"), "{settled}");
}
