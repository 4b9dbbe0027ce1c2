//! The event pipeline against the real broker and store: the REST API publishes,
//! the embedded materializer applies, exactly once in effect.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures::TryStreamExt;
use geoledger::pipeline::kafka::settled;
use mongodb::bson::{doc, Document};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use serde_json::{json, Value};

const SOON: Duration = Duration::from_secs(5);
/// The first event of a test also waits for the consumer group to form.
const FIRST: Duration = Duration::from_secs(30);

fn noida() -> Value {
    json!({"city_name": "Noida", "state": "Uttar Pradesh", "latitude": 28.5355, "longitude": 77.3910,
           "district": "Gautam Buddha Nagar", "is_metro": false, "population": 642000, "area_sq_km": 203})
}

fn city(name: &str, state: &str, lat: f64, lon: f64) -> Value {
    json!({"city_name": name, "state": state, "latitude": lat, "longitude": lon})
}

async fn snapshot(db: &mongodb::Database, coll: &str) -> Vec<Document> {
    db.collection::<Document>(coll).find(doc! {}).sort(doc! { "_id": 1 }).await.unwrap().try_collect().await.unwrap()
}

#[tokio::test]
async fn create_read_update_soft_delete_and_restore_through_the_api() {
    let world = Owned(World::new("crud"));
    let server = world.server();
    let api = Api::new(&server, &world.token());

    let (code, body) = api.post("/api/v1/location-updates/cities", &noida()).await;
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["topic"], world.topic("city-updates"));
    assert!(body["partition"].as_i64().unwrap() >= 0 && body["offset"].as_i64().unwrap() >= 0, "{body}");
    assert!(body["event_id"].as_str().unwrap().len() == 36);

    // Readable through GET, by the names in any case and URL-encoded.
    let c = api.eventually("/api/v1/cities/noida/Uttar%20Pradesh", FIRST, |c, _| c == 200).await;
    assert_eq!(c["id"], "uttar-pradesh/noida");
    assert_eq!(c["district"], "Gautam Buddha Nagar");
    assert_eq!(c["population"], 642000);
    assert_eq!(c["deleted_at"], Value::Null);

    // Creating it again is a conflict; an unknown city cannot be changed.
    let (code, body) = api.post("/api/v1/location-updates/cities", &noida()).await;
    assert_eq!(code, 409, "{body}");
    let (code, _) =
        api.put("/api/v1/location-updates/cities/Atlantis/Uttar%20Pradesh", &json!({"is_metro": true})).await;
    assert_eq!(code, 404);
    let (code, _) = api.delete("/api/v1/location-updates/cities/Atlantis/UP").await;
    assert_eq!(code, 404);

    // Update: only the fields sent change.
    let change = json!({"city_name": "Noida", "state": "Uttar Pradesh", "latitude": 28.5355, "longitude": 77.3910,
        "is_metro": true});
    let (code, body) = api.put("/api/v1/location-updates/cities/Noida/Uttar%20Pradesh", &change).await;
    assert_eq!(code, 202, "{body}");
    let c = api.eventually("/api/v1/cities/Noida/UP", SOON, |_, b| b["is_metro"] == true).await;
    assert_eq!(c["population"], 642000, "fields not sent are kept");

    // Soft delete: hidden by default, listed with include_deleted.
    let (code, _) = api.delete("/api/v1/location-updates/cities/NOIDA/up").await;
    assert_eq!(code, 202);
    let c = api.eventually("/api/v1/cities/Noida/UP", SOON, |_, b| !b["deleted_at"].is_null()).await;
    assert_eq!(c["name"], "Noida");
    // Listings come from the index, which holds a change once the materializer has told of it.
    api.eventually("/api/v1/cities", SOON, |_, b| b["cities"].as_array().is_some_and(|c| c.is_empty())).await;
    let (_, list) = api.get("/api/v1/cities?include_deleted=true").await;
    assert_eq!(list["cities"][0]["id"], "uttar-pradesh/noida");

    // Restore clears deleted_at.
    let (code, _) = api.post("/api/v1/location-updates/cities/Noida/Uttar%20Pradesh/restore", &json!({})).await;
    assert_eq!(code, 202);
    api.eventually("/api/v1/cities/Noida/UP", SOON, |_, b| b["deleted_at"].is_null()).await;
    api.eventually("/api/v1/cities", SOON, |_, b| b["cities"].as_array().is_some_and(|c| c.len() == 1)).await;

    // Without a token, or with a bad one: 401. The Kafka health route is open.
    let anonymous = reqwest::get(server.url("/api/v1/cities")).await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let (code, _) = Api::new(&server, "glt_not-a-real-token").get("/api/v1/cities").await;
    assert_eq!(code, 401);
    let health = reqwest::get(server.url("/api/v1/location-updates/kafka/health")).await.unwrap();
    let status = health.status().as_u16();
    let health: Value = health.json().await.unwrap();
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["kafka"]["status"], "ok");
    assert_eq!(health["topics"]["city"], world.topic("city-updates"));

    // A revoked token stops working at once.
    let listed = cli(&["token", "list"], &world.env());
    assert!(listed.starts_with("test-"), "{listed}");
    let name = listed.split('\t').next().unwrap().to_string();
    // A name is one token: asking for it again is refused, naming why.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_geoledger"))
        .args(["token", "create", "--name", &name])
        .envs(world.env())
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains(&format!("a token named '{name}' exists already")),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    cli(&["token", "revoke", &name], &world.env());
    let (code, _) = api.get("/api/v1/cities").await;
    assert_eq!(code, 401);
}

#[tokio::test]
async fn listing_filters_by_state_prefix_and_box_with_a_cursor() {
    let world = Owned(World::new("list"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let mut rows = json!([
        city("Pune", "Maharashtra", 18.52, 73.85),
        city("Mumbai", "MH", 19.07, 72.87),
        city("Nagpur", "Maharashtra", 21.14, 79.08),
        city("Patna", "Bihar", 25.59, 85.13),
        city("Puducherry", "Pondicherry", 11.94, 79.80),
    ]);
    for (row, population) in
        rows.as_array_mut().unwrap().iter_mut().zip([3_124_000, 12_442_000, 2_405_000, 1_684_000, 244_000])
    {
        row["population"] = json!(population);
    }
    let (code, body) = api.post("/api/v1/location-updates/cities/bulk", &rows).await;
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["count"], 5);
    api.eventually("/api/v1/cities", FIRST, |_, b| b["cities"].as_array().is_some_and(|c| c.len() == 5)).await;

    let names = |b: &Value| {
        b["cities"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let (_, b) = api.get("/api/v1/cities?state=MH").await;
    assert_eq!(names(&b), ["Mumbai", "Nagpur", "Pune"]);
    let (_, b) = api.get("/api/v1/cities?q=pu").await;
    assert_eq!(names(&b), ["Pune", "Puducherry"]);
    // West India only: a box around Maharashtra's west coast.
    let (_, b) = api.get("/api/v1/cities?bbox=72,18,75,20").await;
    assert_eq!(names(&b), ["Mumbai", "Pune"]);
    // A map view holding more cities than it may show gets the most populous ones.
    let (_, b) = api.get("/api/v1/cities?bbox=68,6,97.5,37.6&limit=2").await;
    assert_eq!(names(&b), ["Mumbai", "Pune"]);
    let (_, b) = api.get("/api/v1/cities?bbox=68,6,97.5,37.6&limit=3&state=Bihar").await;
    assert_eq!(names(&b), ["Patna"]);
    let (code, b) = api.get("/api/v1/cities?bbox=75,18,72,20").await;
    assert_eq!(code, 422, "{b}");

    // Paging: two at a time, following next_cursor, sees every city once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/cities?limit=2".to_string();
    loop {
        let (_, b) = api.get(&path).await;
        seen.extend(names(&b));
        match b["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/cities?limit=2&cursor={}", urlencode(c)),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, ["Mumbai", "Nagpur", "Patna", "Puducherry", "Pune"]);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn invalid_input_names_every_field_and_writes_nothing() {
    let world = Owned(World::new("invalid"));
    let server = world.server();
    let api = Api::new(&server, &world.token());

    let bad = json!({"city_name": "  ", "state": "Maharastra", "latitude": 45.0, "longitude": "east",
                     "population": -1, "area_sq_km": -3, "is_metro": "maybe"});
    let (code, body) = api.post("/api/v1/location-updates/cities", &bad).await;
    assert_eq!(code, 422, "{body}");
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["city_name", "state", "latitude", "longitude", "is_metro", "population", "area_sq_km"]);
    assert!(body["errors"][1]["message"].as_str().unwrap().contains("did you mean 'Maharashtra'?"));

    let (code, body) = api
        .post(
            "/api/v1/location-updates/pincodes",
            &json!({"pincode": "012345", "city_name": "Noida", "state": "UP", "latitude": 28.5, "longitude": 77.3}),
        )
        .await;
    assert_eq!(code, 422);
    assert_eq!(body["errors"][0]["field"], "pincode");

    // One bad row refuses the whole batch, naming the row.
    let rows = json!([
        city("Agra", "UP", 27.17, 78.0),
        city("Kanpur", "UP", 99.0, 80.3),
        city("Agra", "Uttar Pradesh", 27.17, 78.0)
    ]);
    let (code, body) = api.post("/api/v1/location-updates/cities/bulk", &rows).await;
    assert_eq!(code, 422, "{body}");
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["[1].latitude", "[2].city_name"]);

    let (code, _) = api.send(reqwest::Method::POST, "/api/v1/location-updates/cities", None).await;
    assert_eq!(code, 400, "an empty body is not JSON");

    // Nothing reached Kafka: the topics are empty.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let consumer = plain_consumer(&world);
    for topic in ["city-updates", "pincode-updates"] {
        let total = message_count(&consumer, &world.topic(topic));
        assert_eq!(total, 0, "{topic} has {total} messages");
    }
}

/// Every message of a topic, from the beginning of each partition.
fn read_all(consumer: &BaseConsumer, topic: &str) -> Vec<rdkafka::message::OwnedMessage> {
    let total = message_count(consumer, topic);
    let md = settled(|| consumer.fetch_metadata(Some(topic), Duration::from_secs(10))).unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    for p in md.topics()[0].partitions() {
        tpl.add_partition_offset(topic, p.id(), rdkafka::Offset::Beginning).unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut out = Vec::new();
    while (out.len() as i64) < total {
        assert!(Instant::now() < deadline, "{topic}: read {} of {total}", out.len());
        if let Some(m) = consumer.poll(Duration::from_millis(500)) {
            out.push(m.unwrap().detach());
        }
    }
    out
}

/// How many messages of these topics the consumer's group has not committed.
fn lag(consumer: &BaseConsumer, topics: &[String]) -> i64 {
    let mut tpl = rdkafka::TopicPartitionList::new();
    for topic in topics {
        let md = settled(|| consumer.fetch_metadata(Some(topic), Duration::from_secs(10))).unwrap();
        for p in md.topics()[0].partitions() {
            tpl.add_partition(topic, p.id());
        }
    }
    let committed = consumer.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
    committed
        .elements()
        .iter()
        .map(|e| {
            let (lo, hi) =
                settled(|| consumer.fetch_watermarks(e.topic(), e.partition(), Duration::from_secs(10))).unwrap();
            match e.offset() {
                rdkafka::Offset::Offset(o) => hi - o,
                _ => hi - lo,
            }
        })
        .sum()
}

#[tokio::test]
async fn a_redelivered_event_changes_nothing() {
    let world = Owned(World::new("redeliver"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    api.post("/api/v1/location-updates/cities", &noida()).await;
    api.eventually("/api/v1/cities/Noida/UP", FIRST, |c, _| c == 200).await;
    for p in [1, 2, 3] {
        api.put("/api/v1/location-updates/cities/Noida/UP", &json!({"population": p})).await;
    }
    let (code, _) = api
        .post(
            "/api/v1/location-updates/pincodes",
            &json!({"pincode": "201301", "city_name": "Noida", "state": "UP", "latitude": 28.57, "longitude": 77.35}),
        )
        .await;
    assert_eq!(code, 202);
    api.eventually("/api/v1/cities/Noida/UP", SOON, |_, b| b["population"] == 3 && b["pincodes"] == json!(["201301"]))
        .await;
    api.eventually("/api/v1/pincodes/201301", SOON, |c, _| c == 200).await;
    let db = world.db().await;
    let (cities, pincodes) = (snapshot(&db, "cities").await, snapshot(&db, "pincodes").await);
    server.stop();

    // A second materializer, in a new group, is handed every event again.
    let server = world.clone().with("GEOLEDGER_CONSUMER_GROUP", "second-delivery").server();
    // Wait until that group has committed the end of both topics: every event
    // (1 create + 3 updates + 1 pincode) was handled a second time.
    let group = ClientConfig::new()
        .set("bootstrap.servers", &world.brokers)
        .set("group.id", format!("{}second-delivery", world.prefix))
        .set("enable.auto.commit", "false")
        .create::<BaseConsumer>()
        .unwrap();
    let deadline = Instant::now() + FIRST;
    loop {
        let behind = lag(&group, &[world.topic("city-updates"), world.topic("pincode-updates")]);
        if behind == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the second group is still {behind} events behind");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(server);
    assert_eq!(snapshot(&db, "cities").await, cities, "redelivery changed a city");
    assert_eq!(snapshot(&db, "pincodes").await, pincodes, "redelivery changed a pincode");
}

#[tokio::test]
async fn a_consumer_killed_mid_stream_neither_loses_nor_repeats() {
    let world = Owned(World::new("restart"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    api.post("/api/v1/location-updates/cities", &noida()).await;
    api.eventually("/api/v1/cities/Noida/UP", FIRST, |c, _| c == 200).await;
    let mut last = Value::Null;
    for i in 1..=30u64 {
        let (code, body) = api.put("/api/v1/location-updates/cities/Noida/UP", &json!({"population": i})).await;
        assert_eq!(code, 202);
        last = body;
        let pin = format!("2013{i:02}");
        let (code, _) = api
            .post(
                "/api/v1/location-updates/pincodes",
                &json!({"pincode": pin, "city_name": "Noida", "state": "UP", "latitude": 28.57, "longitude": 77.35}),
            )
            .await;
        assert_eq!(code, 202);
    }
    // Crash: offsets stored but not yet committed are lost; those events come again.
    server.kill();

    let server = world.server();
    let api = Api::new(&server, &api.token);
    let c = api
        .eventually("/api/v1/cities/Noida/UP", Duration::from_secs(60), |_, b| {
            b["pincodes"].as_array().is_some_and(|p| p.len() == 30) && b["population"] == 30
        })
        .await;
    let db = world.db().await;
    let doc =
        db.collection::<Document>("cities").find_one(doc! { "_id": "uttar-pradesh/noida" }).await.unwrap().unwrap();
    assert_eq!(
        doc.get_str("last_event_id").unwrap(),
        last["event_id"].as_str().unwrap(),
        "the last event applied is the last one sent"
    );
    assert_eq!(c["population"], 30, "no older update was applied after a newer one");
    // A city lists a pincode just before the pincode itself is written: a crash
    // between the two leaves the city listing a pincode whose event comes again,
    // once the group has dropped the killed consumer (its session lasts 10 s).
    // Then there must be exactly 30.
    let deadline = Instant::now() + Duration::from_secs(60);
    let pins = loop {
        let pins = db.collection::<Document>("pincodes").count_documents(doc! {}).await.unwrap();
        if pins >= 30 || Instant::now() > deadline {
            break pins;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(pins, 30);
}

#[tokio::test]
async fn a_poison_message_is_dead_lettered_and_the_next_event_applies() {
    let world = Owned(World::new("poison"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    // Make sure the topics exist and the group is consuming.
    api.post("/api/v1/location-updates/cities", &city("Agra", "UP", 27.17, 78.0)).await;
    api.eventually("/api/v1/cities/Agra/UP", FIRST, |c, _| c == 200).await;

    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", &world.brokers).create().unwrap();
    let poison = b"{\"this is\": not an event".to_vec();
    let delivered = producer
        .send(
            FutureRecord::to(&world.topic("city-updates")).key("uttar-pradesh/agra").payload(&poison),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let (partition, offset) = (delivered.partition, delivered.offset);
    let (code, _) = api.post("/api/v1/location-updates/cities", &noida()).await;
    assert_eq!(code, 202);
    api.eventually("/api/v1/cities/Noida/UP", SOON, |c, _| c == 200).await;

    // The DLT holds the original bytes, with where they came from and why.
    let consumer = plain_consumer(&world);
    let dlt = world.topic("location-updates.DLT");
    consumer.subscribe(&[&dlt]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let message = loop {
        assert!(Instant::now() < deadline, "nothing in {dlt}");
        if let Some(m) = consumer.poll(Duration::from_millis(500)) {
            break m.unwrap().detach();
        }
    };
    assert_eq!(message.payload().unwrap(), &poison[..]);
    assert_eq!(message.key().unwrap(), b"uttar-pradesh/agra");
    let headers = message.headers().unwrap();
    let header = |k: &str| {
        headers
            .iter()
            .find(|h| h.key == k)
            .and_then(|h| h.value)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    };
    assert_eq!(header("dlt.original.topic"), world.topic("city-updates"));
    assert_eq!(header("dlt.original.partition"), partition.to_string());
    assert_eq!(header("dlt.original.offset"), offset.to_string());
    assert!(header("dlt.error").contains("not a GeoLedger event envelope"), "{}", header("dlt.error"));
}

#[tokio::test]
async fn a_pincode_published_before_its_city_waits_for_it() {
    let world = Owned(World::new("pin_first"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let pincode = json!({"pincode": "201301", "city_name": "Noida", "state": "Uttar Pradesh", "area_name": "Sector 1",
        "latitude": 28.5747, "longitude": 77.3553});
    let (code, body) = api.post("/api/v1/location-updates/pincodes", &pincode).await;
    assert_eq!(code, 202, "{body}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (code, _) = api.get("/api/v1/pincodes/201301").await;
    assert_eq!(code, 404, "not applied while its city is missing");

    api.post("/api/v1/location-updates/cities", &noida()).await;
    let p = api.eventually("/api/v1/pincodes/201301", FIRST, |c, _| c == 200).await;
    assert_eq!(p["city_id"], "uttar-pradesh/noida");
    assert_eq!(p["area_name"], "Sector 1");
    let c = api.eventually("/api/v1/cities/Noida/UP", SOON, |_, b| b["pincodes"] == json!(["201301"])).await;
    assert_eq!(c["name"], "Noida");

    // Moving the pincode to another city takes it off the first one's list.
    api.post("/api/v1/location-updates/cities", &city("Ghaziabad", "UP", 28.67, 77.45)).await;
    let (code, body) = api
        .post(
            "/api/v1/location-updates/pincodes",
            &json!({"pincode": "201301", "city_name": "Ghaziabad", "state": "UP", "latitude": 28.6, "longitude": 77.4}),
        )
        .await;
    assert_eq!(code, 202, "{body}");
    api.eventually("/api/v1/cities/Ghaziabad/UP", SOON, |_, b| b["pincodes"] == json!(["201301"])).await;
    api.eventually("/api/v1/cities/Noida/UP", SOON, |_, b| b["pincodes"] == json!([])).await;
}

#[tokio::test]
async fn the_pincodes_behind_a_waiting_one_are_applied_and_committed_once_its_city_comes() {
    // One partition: every pincode queues behind the first, which waits for its city.
    let world = Owned(World::new("pin_queue").with("GEOLEDGER_TOPIC_PARTITIONS", "1"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    api.post("/api/v1/location-updates/cities", &city("Pune", "Maharashtra", 18.52, 73.85)).await;
    api.eventually("/api/v1/cities/Pune/MH", FIRST, |c, _| c == 200).await;
    let mut rows = vec![json!({"pincode": "201301", "city_name": "Noida", "state": "Uttar Pradesh",
        "latitude": 28.5747, "longitude": 77.3553})];
    rows.extend((1..=29).map(|i| {
        let code = format!("4110{i:02}");
        json!({"pincode": code, "city_name": "Pune", "state": "MH", "latitude": 18.5, "longitude": 73.8})
    }));
    let (code, body) = api.post("/api/v1/location-updates/pincodes/bulk", &json!(rows)).await;
    assert_eq!(code, 202, "{body}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(api.get("/api/v1/pincodes/201301").await.0, 404, "not applied while its city is missing");

    api.post("/api/v1/location-updates/cities", &noida()).await;
    api.eventually("/api/v1/pincodes/201301", FIRST, |c, _| c == 200).await;
    let pune =
        api.eventually("/api/v1/cities/Pune/MH", SOON, |_, b| b["pincodes"].as_array().unwrap().len() == 29).await;
    let mut codes: Vec<&str> = pune["pincodes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    codes.sort();
    assert_eq!((codes[0], codes[28]), ("411001", "411029"));
    // Every offset committed: nothing is left to read, and nothing would be read twice.
    api.eventually("/api/v1/location-updates/kafka/health", SOON, |c, b| c == 200 && b["group"]["total_lag"] == 0)
        .await;
}

#[tokio::test]
async fn a_pincode_whose_city_never_comes_is_dead_lettered_not_dropped() {
    let world = Owned(World::new("pin_orphan").with("GEOLEDGER_CITY_WAIT_RETRIES", "2"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let mut stream = api.stream().await;
    let orphan = json!({"pincode": "560001", "city_name": "Nowhere", "state": "Karnataka", "latitude": 12.97,
        "longitude": 77.59});
    let (_, published) = api.post("/api/v1/location-updates/pincodes", &orphan).await;
    let mut text = String::new();
    let deadline = Instant::now() + FIRST;
    while !text.contains("\"outcome\":\"failed\"") {
        assert!(Instant::now() < deadline, "no failure notice: {text}");
        if let Ok(Ok(Some(chunk))) = tokio::time::timeout(Duration::from_secs(1), stream.chunk()).await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(text.contains(published["event_id"].as_str().unwrap()), "{text}");
    assert!(text.contains("karnataka/nowhere"), "the reason names the missing city: {text}");
    let consumer = plain_consumer(&world);
    assert_eq!(message_count(&consumer, &world.topic("location-updates.DLT")), 1);
}

#[tokio::test]
async fn every_applied_change_is_streamed_to_subscribers() {
    let world = Owned(World::new("stream"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let mut stream = api.stream().await;
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let (_, published) = api.post("/api/v1/location-updates/cities", &noida()).await;
    let id = published["event_id"].as_str().unwrap().to_string();
    let mut text = String::new();
    let deadline = Instant::now() + FIRST;
    while !text.contains(&id) {
        assert!(Instant::now() < deadline, "no notice for {id}: {text}");
        if let Ok(Ok(Some(chunk))) = tokio::time::timeout(Duration::from_secs(1), stream.chunk()).await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    let line = text.lines().find(|l| l.contains(&id)).unwrap();
    let notice: Value = serde_json::from_str(line.trim_start_matches("data:").trim()).unwrap();
    assert_eq!(notice["event_type"], "city.created.v1");
    assert_eq!(notice["entity_id"], "uttar-pradesh/noida");
    assert_eq!(notice["outcome"], "applied");
    assert_eq!(notice["latitude"], 28.5355);
}

#[tokio::test]
async fn replay_rebuilds_the_same_read_model_and_every_event_matches_its_schema() {
    let world = Owned(World::new("replay"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    api.post(
        "/api/v1/location-updates/cities/bulk",
        &json!([noida(), city("Agra", "UP", 27.17, 78.0), city("Leh", "Ladakh", 34.16, 77.58)]),
    )
    .await;
    api.eventually("/api/v1/cities", FIRST, |_, b| b["cities"].as_array().is_some_and(|c| c.len() == 3)).await;
    api.put(
        "/api/v1/location-updates/cities/Agra/UP",
        &json!({"is_metro": true, "alternate_names": ["आगरा"], "metadata": {"tier": 2}}),
    )
    .await;
    api.delete("/api/v1/location-updates/cities/Leh/Ladakh").await;
    for (pin, name) in [("201301", "Noida"), ("282001", "Agra"), ("201304", "Noida")] {
        api.post(
            "/api/v1/location-updates/pincodes",
            &json!({"pincode": pin, "city_name": name, "state": "UP", "latitude": 27.5, "longitude": 77.7}),
        )
        .await;
    }
    api.eventually("/api/v1/pincodes/201304", SOON, |c, _| c == 200).await;
    api.delete("/api/v1/location-updates/pincodes/201304").await;
    api.eventually("/api/v1/pincodes/201304", SOON, |_, b| !b["deleted_at"].is_null()).await;
    api.eventually("/api/v1/cities/Leh/Ladakh", SOON, |_, b| !b["deleted_at"].is_null()).await;
    api.eventually("/api/v1/cities/Agra/UP", SOON, |_, b| b["is_metro"] == true && b["pincodes"] == json!(["282001"]))
        .await;
    server.stop();

    let db = world.db().await;
    let (cities, pincodes, history) =
        (snapshot(&db, "cities").await, snapshot(&db, "pincodes").await, snapshot(&db, "history").await);
    assert_eq!(history.len(), 9, "one history entry per event");
    // Wreck the live read model: the replay must not need it.
    db.collection::<Document>("cities")
        .update_many(doc! {}, doc! { "$set": { "population": -1_i64, "pincodes": [] } })
        .await
        .unwrap();
    db.collection::<Document>("history").delete_many(doc! { "type": "city.updated.v1" }).await.unwrap();
    let out = cli(&["replay"], &world.env());
    assert!(out.contains("replayed 9 events: 9 applied, 0 skipped"), "{out}");
    assert_eq!(snapshot(&db, "cities").await, cities);
    assert_eq!(snapshot(&db, "pincodes").await, pincodes);
    assert_eq!(snapshot(&db, "history").await, history);
    let indexes = db.collection::<Document>("history").list_index_names().await.unwrap();
    assert!(indexes.len() > 1, "the history keeps its index: {indexes:?}");

    // Every event GeoLedger wrote matches the Avro schema its dataschema names.
    let consumer = plain_consumer(&world);
    let mut types = std::collections::BTreeSet::new();
    for topic in ["city-updates", "pincode-updates"] {
        for m in read_all(&consumer, &world.topic(topic)) {
            let event: Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
            let path =
                format!("{}/..{}", std::env::var("CARGO_MANIFEST_DIR").unwrap(), event["dataschema"].as_str().unwrap());
            let schema = apache_avro::Schema::parse_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let avro = apache_avro::types::Value::from(event["data"].clone()).resolve(&schema);
            assert!(
                avro.is_ok_and(|v| v.validate(&schema)),
                "{} does not match {path}: {}",
                event["type"],
                event["data"]
            );
            let ce_type = m.headers().unwrap().iter().find(|h| h.key == "ce_type").and_then(|h| h.value).unwrap();
            assert_eq!(ce_type, event["type"].as_str().unwrap().as_bytes());
            types.insert(event["type"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        types.into_iter().collect::<Vec<_>>(),
        ["city.created.v1", "city.deleted.v1", "city.updated.v1", "pincode.deleted.v1", "pincode.upserted.v1"]
    );
}

#[tokio::test]
async fn an_event_from_another_partition_is_not_mistaken_for_an_old_one() {
    use app::domain::city::validate_new_city;
    use app::domain::event::{Change, CityData};
    use geoledger::store::{Applied, Position, Store};
    let world = Owned(World::new("partition_moved"));
    let store = Store::new(&world.db().await);
    store.ensure_indexes().await.unwrap();
    let event = |change: Change, n: u32| {
        let envelope =
            change.clone().into_envelope(format!("event-{n}"), format!("2026-11-28T10:00:0{n}Z"), "/test", "test");
        (envelope, change)
    };
    let fields = validate_new_city(noida().as_object().unwrap()).unwrap();
    let id = fields.new_id();
    let update = |population: u64| {
        let mut f = fields.clone();
        f.population = Some(population);
        Change::CityUpdated(CityData { id: id.clone(), fields: f })
    };
    let (e, c) = event(Change::CityCreated(CityData { id: id.clone(), fields: fields.clone() }), 1);
    assert_eq!(store.apply(&e, &c, Position { partition: 2, offset: 40 }).await.unwrap().applied, Applied::Changed);
    // The same partition, an earlier offset: a redelivery, changes nothing.
    let (e, c) = event(update(1), 2);
    let applied = store.apply(&e, &c, Position { partition: 2, offset: 39 }).await.unwrap().applied;
    assert_eq!(applied, Applied::AlreadyApplied);
    // The topic was given more partitions and the key moved to one whose offsets
    // are still small: that event is newer, and applies.
    let (e, c) = event(update(2), 3);
    assert_eq!(store.apply(&e, &c, Position { partition: 5, offset: 0 }).await.unwrap().applied, Applied::Changed);
    assert_eq!(store.city_by_id(&id).await.unwrap().unwrap().fields.population, Some(2));
    // And a redelivery there is a no-op again.
    let (e, c) = event(update(3), 4);
    let done = store.apply(&e, &c, Position { partition: 5, offset: 0 }).await.unwrap();
    assert_eq!(done.applied, Applied::AlreadyApplied);
    let last = done.history;
    // Its history entry is written all the same, and writing it again (a crash
    // before the offset was stored) leaves one entry.
    store.record(std::slice::from_ref(&last)).await.unwrap();
    store.record(&[last.clone(), last]).await.unwrap();
    assert_eq!(store.history.count_documents(mongodb::bson::doc! { "_id": "event-4" }).await.unwrap(), 1);
}

#[tokio::test]
async fn a_new_city_is_inserted_whole_and_may_take_a_renamed_citys_old_name() {
    use app::domain::city::validate_new_city;
    use app::domain::event::{Change, CityData};
    use geoledger::store::{Applied, Entity, Position, Store};
    let world = Owned(World::new("insert_whole"));
    let db = world.db().await;
    let store = Store::new(&db);
    store.ensure_indexes().await.unwrap();
    let fields = validate_new_city(noida().as_object().unwrap()).unwrap();
    let created = |id: &str, n: u32| {
        let change = Change::CityCreated(CityData { id: id.to_string(), fields: fields.clone() });
        let envelope = change.clone().into_envelope(format!("event-{n}"), "2026-11-28T10:00:00Z".into(), "/t", "test");
        (envelope, change)
    };
    // Not there: inserted, with what an upsert would have set on insert, and the
    // entity as written (the index takes it without reading it back).
    let (e, c) = created(&fields.new_id(), 1);
    let done = store.apply(&e, &c, Position { partition: 0, offset: 7 }).await.unwrap();
    assert_eq!(done.applied, Applied::Changed);
    let Some(Entity::City(written)) = done.written else { panic!("a created city comes back as written") };
    let stored = store.city_by_id(&fields.new_id()).await.unwrap().expect("inserted");
    assert_eq!((&written.id, &written.fields, &written.deleted_at), (&stored.id, &stored.fields, &None));
    let raw = snapshot(&db, "cities").await;
    assert_eq!(raw.len(), 1);
    assert_eq!(raw[0].get_array("pincodes").unwrap().len(), 0);
    assert!(raw[0].get_datetime("created_at").is_ok() && raw[0].get_document("_pos").is_ok(), "{:?}", raw[0]);
    // Renamed, it keeps its id; a new city (another id, as the doors give it)
    // may take its old name: no unique key holds a name (secantusd-rs would
    // keep the old one in a unique index forever).
    let mut renamed = fields.clone();
    renamed.name = "Noida Old Town".into();
    let change = Change::CityUpdated(CityData { id: fields.new_id(), fields: renamed });
    let envelope = change.clone().into_envelope("event-2".into(), "2026-11-28T10:00:01Z".into(), "/t", "test");
    let done = store.apply(&envelope, &change, Position { partition: 0, offset: 8 }).await.unwrap();
    assert_eq!(done.applied, Applied::Changed);
    let (e, c) = created("uttar-pradesh/noida-2", 3);
    let done = store.apply(&e, &c, Position { partition: 1, offset: 0 }).await.unwrap();
    assert_eq!(done.applied, Applied::Changed);
    let names: Vec<String> = snapshot(&db, "cities").await.iter().map(|d| d.get_str("name").unwrap().into()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"Noida".to_string()) && names.contains(&"Noida Old Town".to_string()), "{names:?}");
}

#[tokio::test]
async fn an_event_with_a_metadata_key_mongodb_cannot_store_is_dead_lettered_and_the_next_applies() {
    let world = Owned(World::new("bad_key"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    // The doors refuse such keys, naming the field.
    let mut bad = city("Panaji", "Goa", 15.49, 73.82);
    bad["metadata"] = json!({"a.b": 1, "$set": 2, "ok\u{0}": 3});
    let (code, body) = api.post("/api/v1/location-updates/cities", &bad).await;
    assert_eq!(code, 422, "{body}");
    let text = body.to_string();
    for why in [r#"key \"a.b\" must not contain a dot"#, r#"key \"$set\" must not start with $"#, "control characters"]
    {
        assert!(text.contains(why), "{why}: {text}");
    }

    // Written straight to the topic, it is dead-lettered, and the next event applies.
    let raw = json!({"specversion": "1.0", "id": "raw-1", "source": "/elsewhere", "type": "city.created.v1",
        "subject": "goa/panaji", "time": "2026-11-29T10:00:00Z", "datacontenttype": "application/json",
        "dataschema": "/schemas/city.created.v1.avsc", "actor": "someone",
        "data": {"id": "goa/panaji", "name": "Panaji", "state": "Goa", "latitude": 15.49, "longitude": 73.82,
                 "is_metro": false, "is_capital": false, "alternate_names": [],
                 "metadata": {"a\u{0}b": "x"}}});
    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", &world.brokers).create().unwrap();
    let topic = world.topic("city-updates");
    let payload = raw.to_string();
    let record = FutureRecord::to(&topic).key("goa/panaji").payload(&payload);
    producer.send(record, Duration::from_secs(10)).await.unwrap();
    let (code, _) = api.post("/api/v1/location-updates/cities", &noida()).await;
    assert_eq!(code, 202);
    api.eventually("/api/v1/cities/Noida/UP", FIRST, |c, _| c == 200).await;
    let letters = api
        .eventually("/api/v1/kafka/dead-letters", FIRST, |c, b| {
            c == 200 && b["letters"].as_array().is_some_and(|l| !l.is_empty())
        })
        .await;
    let letter = &letters["letters"][0];
    assert_eq!(letter["message"]["key"], "goa/panaji");
    assert!(letter["error"].as_str().unwrap().contains("breaks a rule: metadata key"), "{letter}");
    let (code, _) = api.get("/api/v1/cities/Panaji/Goa").await;
    assert_eq!(code, 404, "nothing half-written");
}
