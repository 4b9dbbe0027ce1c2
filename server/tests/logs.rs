//! The server's log as a log shipper reads it: `GEOLEDGER_LOG_FORMAT=json`
//! writes one JSON object a line, the values as fields of their own.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn json_logs_are_one_object_a_line_with_their_values_as_fields() {
    let world = Owned(World::new("json_logs"));
    let port = free_port();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_geoledger"))
        .arg("serve")
        .envs(world.env())
        .env("GEOLEDGER_LISTEN", format!("127.0.0.1:{port}"))
        .env("GEOLEDGER_LOG", "info,geoledger=debug,rdkafka=warn,mongodb=warn")
        .env("GEOLEDGER_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(listening(&mut serve, port), "geoledger exited before it listened on {port}");
    let api = Api::at(&format!("http://127.0.0.1:{port}"), &world.token());
    api.eventually("/readyz", Duration::from_secs(30), |code, _| code == 200).await;
    // A change applied: the materializer logs its steps with the event's fields.
    let city = json!({"city_name": "Logpur", "state": "Goa", "latitude": 15.3, "longitude": 74.0});
    let (code, body) = api.post("/api/v1/location-updates/cities", &city).await;
    assert_eq!(code, 202, "{body}");
    api.eventually("/api/v1/cities/Logpur/Goa", Duration::from_secs(20), |code, _| code == 200).await;
    serve.kill().unwrap();
    let out = serve.wait_with_output().unwrap();
    let log = String::from_utf8(out.stderr).unwrap();

    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}")))
        .collect();
    assert!(lines.len() >= 3, "{log}");
    for line in &lines {
        for key in ["timestamp", "level", "target", "message"] {
            assert!(line[key].is_string(), "{key} in {line}");
        }
    }
    let found = |message: &str| {
        lines.iter().find(|l| l["message"] == message).unwrap_or_else(|| panic!("no {message:?} in {log}")).clone()
    };
    let listening = found("GeoLedger listening");
    assert_eq!(listening["address"], format!("127.0.0.1:{port}"), "the address is a field: {listening}");
    let loaded = found("read index loaded");
    assert!(loaded["cities"].is_u64() && loaded["secs"].is_f64(), "{loaded}");
    let evaluated = found("quality findings evaluated");
    assert!(evaluated["secs"].is_f64() && evaluated["findings"].is_u64(), "timed and counted: {evaluated}");
    let consuming = found("materializer consuming");
    assert_eq!(consuming["city"], world.topic("city-updates"), "{consuming}");
    let created: Vec<&Value> = lines.iter().filter(|l| l["message"] == "created a topic").collect();
    assert!(created.iter().any(|l| l["topic"] == world.topic("pincode-updates")), "{log}");
}
