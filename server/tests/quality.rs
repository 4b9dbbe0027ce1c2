//! The data quality findings against the real broker and store: each rule
//! fires on data written through the API and keeps quiet on its near miss;
//! a finding opens, is accepted (kept in MongoDB with who, when and why),
//! opens again when its facts change and closes when fixed; two instances
//! reach the same findings, and hear of each other's acceptances.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const APPLIED: Duration = Duration::from_secs(120);

/// The states' boundaries `scripts/fetch-data` writes.
fn boundaries() -> String {
    let dir =
        std::env::var("GEOLEDGER_OPEN_DATA").map(PathBuf::from).unwrap_or_else(|_| repo_root().join(".data/open-data"));
    let file = dir.join("india-states.geojson");
    assert!(file.exists(), "{} is missing: run scripts/fetch-data", file.display());
    file.display().to_string()
}

fn world(name: &str) -> Owned {
    Owned(World::new(name).with("GEOLEDGER_BOUNDARIES", &boundaries()))
}

/// The open findings of a rule, as (entity id, message).
async fn open(api: &Api, rule: &str) -> Vec<(String, String)> {
    let (code, page) = api.get(&format!("/api/v1/quality/findings?rule={rule}&limit=500")).await;
    assert_eq!(code, 200, "{page}");
    let mut found: Vec<(String, String)> = page["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["entity"]["id"].as_str().unwrap().to_string(), f["message"].as_str().unwrap().to_string()))
        .collect();
    found.sort();
    found
}

async fn post_ok(api: &Api, path: &str, body: Value) {
    let (code, answer) = api.post(path, &body).await;
    assert_eq!(code, 202, "{path}: {answer}");
}

/// A world of its own with a server, and Qtown, a city of Karnataka in Bengaluru.
async fn with_qtown(name: &str) -> (Owned, Server, Api) {
    let world = world(name);
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let qtown = json!({"city_name": "Qtown", "state": "Karnataka", "latitude": 12.97, "longitude": 77.59});
    post_ok(&api, "/api/v1/location-updates/cities", qtown).await;
    (world, server, api)
}

/// Waits until the pincode `code` is listed where the map would show it.
async fn pincode_applied(api: &Api, code: &str, latitude: f64) {
    api.eventually(&format!("/api/v1/pincodes/{code}"), APPLIED, |c, b| {
        c == 200 && b["latitude"].as_f64().is_some_and(|l| (l - latitude).abs() < 1e-9)
    })
    .await;
}

#[tokio::test]
async fn each_rule_fires_on_its_case_and_not_on_its_near_miss() {
    let world = world("quality_rules");
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let cities = json!([
        // Qtown and its pincodes: one 322 km away, one next door; one of Delhi's circle.
        {"city_name": "Qtown", "state": "Karnataka", "latitude": 12.97, "longitude": 77.59},
        // One letter apart, 1.5 km: a possible duplicate. Two letters apart: not.
        {"city_name": "Gaziabad", "state": "Uttar Pradesh", "latitude": 28.66, "longitude": 77.43},
        {"city_name": "Ghaziabad", "state": "Uttar Pradesh", "latitude": 28.67, "longitude": 77.44},
        {"city_name": "Rampur", "state": "Uttar Pradesh", "latitude": 28.80, "longitude": 79.02},
        {"city_name": "Rampuram", "state": "Uttar Pradesh", "latitude": 28.81, "longitude": 79.02},
        // Said to be in Goa, but in Bengaluru; Panaji is in Goa.
        {"city_name": "Notgoa", "state": "Goa", "latitude": 12.95, "longitude": 77.60},
        {"city_name": "Panaji", "state": "Goa", "latitude": 15.4909, "longitude": 73.8278},
        // Three at one point (a default an import filled in); two at another.
        {"city_name": "Alpha", "state": "Bihar", "latitude": 25.0, "longitude": 85.0},
        {"city_name": "Beta", "state": "Bihar", "latitude": 25.0, "longitude": 85.0},
        {"city_name": "Gamma", "state": "Bihar", "latitude": 25.0, "longitude": 85.0},
        {"city_name": "Delta", "state": "Bihar", "latitude": 25.5, "longitude": 85.5},
        {"city_name": "Epsilon", "state": "Bihar", "latitude": 25.5, "longitude": 85.5},
    ]);
    post_ok(&api, "/api/v1/location-updates/cities/bulk", cities).await;
    let pincodes = json!([
        {"pincode": "560002", "city_name": "Qtown", "state": "Karnataka", "latitude": 15.85, "longitude": 76.2},
        {"pincode": "560001", "city_name": "Qtown", "state": "Karnataka", "latitude": 12.98, "longitude": 77.60},
        {"pincode": "110001", "city_name": "Qtown", "state": "Karnataka", "latitude": 12.96, "longitude": 77.58},
        {"pincode": "800001", "city_name": "Delta", "state": "Bihar", "latitude": 25.5, "longitude": 85.5},
    ]);
    post_ok(&api, "/api/v1/location-updates/pincodes/bulk", pincodes).await;
    pincode_applied(&api, "800001", 25.5).await;
    for code in ["560002", "560001", "110001"] {
        api.eventually(&format!("/api/v1/pincodes/{code}"), APPLIED, |c, _| c == 200).await;
    }

    let far = open(&api, "pincode_far_from_city").await;
    assert_eq!(far.len(), 1, "{far:?}");
    assert_eq!(far[0].0, "560002");
    assert!(far[0].1.starts_with("pincode 560002 is 3") && far[0].1.ends_with("km from Qtown, its city"), "{far:?}");
    let circle = open(&api, "pincode_state_mismatch").await;
    assert_eq!(circle.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["110001"], "{circle:?}");
    assert!(circle[0].1.contains("the Delhi postal circle's"), "{circle:?}");
    let twins = open(&api, "possible_duplicate_city").await;
    assert_eq!(twins.len(), 1, "{twins:?}");
    assert_eq!(twins[0].0, "uttar-pradesh/gaziabad");
    assert!(twins[0].1.contains("Gaziabad and Ghaziabad") && twins[0].1.contains("one letter apart"), "{twins:?}");
    let outside = open(&api, "city_outside_state").await;
    assert_eq!(outside.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["goa/notgoa"], "{outside:?}");
    assert!(outside[0].1.starts_with("Notgoa is ") && outside[0].1.ends_with("km outside Goa, its state"));
    let shared = open(&api, "shared_coordinates").await;
    assert_eq!(shared, [("bihar/alpha".to_string(), "3 cities share one point: Alpha, Beta, Gamma".to_string())]);
    let without: Vec<String> = open(&api, "city_without_pincodes").await.into_iter().map(|(id, _)| id).collect();
    assert!(without.contains(&"goa/panaji".to_string()) && !without.contains(&"karnataka/qtown".to_string()));
    assert!(!without.contains(&"bihar/delta".to_string()), "Delta has 800001");

    // The counts, and the metric.
    let (code, summary) = api.get("/api/v1/quality").await;
    assert_eq!(code, 200);
    let rules: Vec<&str> = summary["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(rules.len(), 7, "{summary}");
    let count = |id: &str| summary["rules"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap()["open"].clone();
    assert_eq!(count("pincode_far_from_city"), 1);
    assert_eq!(count("shared_coordinates"), 1);
    let total: u64 = summary["rules"].as_array().unwrap().iter().map(|r| r["open"].as_u64().unwrap()).sum();
    assert_eq!(summary["open"].as_u64(), Some(total));
    let (_, _, metrics) = api.get_text("/metrics").await;
    assert!(
        metrics.contains("geoledger_quality_findings{rule=\"pincode_far_from_city\",status=\"open\"} 1"),
        "{}",
        metrics.lines().filter(|l| l.contains("quality")).collect::<Vec<_>>().join("\n")
    );

    // A bad filter is named.
    let (code, body) = api.get("/api/v1/quality/findings?rule=far&status=closed").await;
    assert_eq!(code, 422, "{body}");
    assert!(field_error(&body, "rule").contains("pincode_far_from_city"));
    assert!(field_error(&body, "status").contains("open or accepted"));
}

#[tokio::test]
async fn a_pincode_the_store_holds_without_coordinates_is_found_at_start_at_its_city() {
    let (world, server, api) = with_qtown("quality_unlocated").await;
    let pincode = json!({"pincode": "560001", "city_name": "Qtown", "state": "Karnataka",
        "latitude": 12.98, "longitude": 77.60});
    post_ok(&api, "/api/v1/location-updates/pincodes", pincode).await;
    pincode_applied(&api, "560001", 12.98).await;
    assert!(open(&api, "pincode_unlocated").await.is_empty());
    // Written by another tool (or the seed's era): no location at all.
    let pincodes = world.db().await.collection::<mongodb::bson::Document>("pincodes");
    let unset = mongodb::bson::doc! {"$unset": {"location": ""}};
    pincodes.update_one(mongodb::bson::doc! {"_id": "560001"}, unset).await.unwrap();
    drop(server);

    // The next start's full evaluation finds it, drawn at its city.
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let page = api
        .eventually("/api/v1/quality/findings?rule=pincode_unlocated", APPLIED, |c, b| {
            c == 200 && b["findings"].as_array().is_some_and(|f| !f.is_empty())
        })
        .await;
    let finding = &page["findings"][0];
    assert_eq!(
        (finding["entity"]["kind"].as_str(), finding["entity"]["id"].as_str()),
        (Some("pincode"), Some("560001"))
    );
    assert_eq!(finding["message"], "pincode 560001 has no coordinates");
    assert_eq!((finding["latitude"].as_f64(), finding["longitude"].as_f64()), (Some(12.97), Some(77.59)));
}

#[tokio::test]
async fn a_finding_opens_is_accepted_opens_again_when_its_facts_change_and_closes_when_fixed() {
    let (world, _server, api) = with_qtown("quality_accept").await;
    let pincode = |lat: f64| {
        json!({"pincode": "560002", "city_name": "Qtown", "state": "Karnataka",
        "latitude": lat, "longitude": 77.59})
    };
    post_ok(&api, "/api/v1/location-updates/pincodes", pincode(15.0)).await;
    pincode_applied(&api, "560002", 15.0).await;
    let page = api.get("/api/v1/quality/findings?rule=pincode_far_from_city").await.1;
    let finding = &page["findings"][0];
    assert_eq!(finding["status"], "open");
    assert_eq!(
        (finding["other"]["entity"]["id"].as_str(), finding["latitude"].as_f64()),
        (Some("karnataka/qtown"), Some(15.0))
    );
    let id = finding["id"].as_str().unwrap().to_string();

    // Refused: no reason (422), no such finding (404).
    let (code, body) = api.post(&format!("/api/v1/quality/findings/{id}/accept"), &json!({})).await;
    assert_eq!(code, 422, "{body}");
    assert!(field_error(&body, "reason").contains("required"));
    let (code, body) = api.post("/api/v1/quality/findings/0123456789abcdef/accept", &json!({"reason": "x"})).await;
    assert_eq!(code, 404, "{body}");

    let (code, accepted) = api
        .post(&format!("/api/v1/quality/findings/{id}/accept"), &json!({"reason": "a post office far out, real"}))
        .await;
    assert_eq!(code, 200, "{accepted}");
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["accepted"]["reason"], "a post office far out, real");
    assert!(accepted["accepted"]["by"].as_str().unwrap().starts_with("token:"), "{accepted}");
    assert!(open(&api, "pincode_far_from_city").await.is_empty(), "it left the open list");
    let listed = api.get("/api/v1/quality/findings?status=accepted").await.1;
    assert_eq!(listed["findings"][0]["id"], id.as_str());
    let kept = world.db().await.collection::<mongodb::bson::Document>("quality_acceptances");
    let doc = kept.find_one(mongodb::bson::doc! {"_id": &id}).await.unwrap().expect("kept in MongoDB");
    assert_eq!(doc.get_str("reason").unwrap(), "a post office far out, real");
    assert!(doc.get_str("by").unwrap().starts_with("token:") && doc.get_str("at").is_ok());

    // Moved farther: its facts changed, so it is open again, under a new id.
    post_ok(&api, "/api/v1/location-updates/pincodes", pincode(16.0)).await;
    pincode_applied(&api, "560002", 16.0).await;
    let again = api
        .eventually("/api/v1/quality/findings?rule=pincode_far_from_city", Duration::from_secs(5), |_, b| {
            b["findings"].as_array().is_some_and(|f| f.len() == 1)
        })
        .await;
    assert_ne!(again["findings"][0]["id"], id.as_str());
    assert_eq!(again["findings"][0]["status"], "open");

    // Moved next to its city: fixed, closed, in neither list.
    post_ok(&api, "/api/v1/location-updates/pincodes", pincode(12.98)).await;
    pincode_applied(&api, "560002", 12.98).await;
    assert!(open(&api, "pincode_far_from_city").await.is_empty());
    let (_, accepted_now) = api.get("/api/v1/quality/findings?status=accepted").await;
    assert!(accepted_now["findings"].as_array().unwrap().is_empty(), "{accepted_now}");
}

#[tokio::test]
async fn two_instances_reach_the_same_findings_and_hear_of_each_other_s_acceptances() {
    let world = world("quality_instances");
    let (a, b) = (world.server(), world.server());
    let token = world.token();
    let (api_a, api_b) = (Api::new(&a, &token), Api::new(&b, &token));
    let cities = json!([
        {"city_name": "Alpha", "state": "Bihar", "latitude": 25.0, "longitude": 85.0},
        {"city_name": "Beta", "state": "Bihar", "latitude": 25.0, "longitude": 85.0},
        {"city_name": "Gamma", "state": "Bihar", "latitude": 25.0, "longitude": 85.0},
        {"city_name": "Patna", "state": "Bihar", "latitude": 25.59, "longitude": 85.13},
    ]);
    post_ok(&api_a, "/api/v1/location-updates/cities/bulk", cities).await;
    let pincodes = json!([{"pincode": "800001", "city_name": "Patna", "state": "Bihar",
        "latitude": 26.2, "longitude": 85.13}]);
    post_ok(&api_b, "/api/v1/location-updates/pincodes/bulk", pincodes).await;
    for api in [&api_a, &api_b] {
        pincode_applied(api, "800001", 26.2).await;
    }
    let ids = |page: &Value| -> Vec<String> {
        page["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect()
    };
    let everything = "/api/v1/quality/findings?limit=500";
    let on_a = api_a
        .eventually(everything, Duration::from_secs(5), |_, b| b["findings"].as_array().is_some_and(|f| f.len() >= 5))
        .await;
    let on_b = api_b.eventually(everything, Duration::from_secs(5), |_, p| ids(p) == ids(&on_a)).await;
    assert_eq!(on_a["findings"], on_b["findings"], "the same findings, said the same way");

    // Accepted on A: B hears of it.
    let shared = on_a["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "shared_coordinates").unwrap();
    let id = shared["id"].as_str().unwrap();
    let (code, _) =
        api_a.post(&format!("/api/v1/quality/findings/{id}/accept"), &json!({"reason": "three hamlets"})).await;
    assert_eq!(code, 200);
    let on_b = api_b
        .eventually("/api/v1/quality/findings?status=accepted", Duration::from_secs(10), |_, p| ids(p) == [id])
        .await;
    assert_eq!(on_b["findings"][0]["accepted"]["reason"], "three hamlets");
}

#[tokio::test]
async fn a_dry_run_counts_the_findings_its_file_would_open_with_examples_and_publishes_nothing() {
    let (_world, _server, api) = with_qtown("quality_dry_run").await;
    api.eventually("/api/v1/quality/findings?rule=city_without_pincodes", APPLIED, |_, b| {
        b["findings"].as_array().is_some_and(|f| f.len() == 1)
    })
    .await;
    // Two pincodes far out (one in the sea off Goa), one of Delhi's circle, one
    // next door; a new city of the file whose pincode comes in the same file.
    let csv = "pincode,city_name,state,area_name,latitude,longitude\n\
               560002,Qtown,Karnataka,Far,15.95,77.59\n\
               560003,Qtown,Karnataka,At sea,15.2,72.5\n\
               110001,Qtown,Karnataka,Wrong circle,12.96,77.58\n\
               560004,Qtown,Karnataka,Near,12.98,77.60\n";
    let dry = api.import(csv.as_bytes(), "dry_run=true&format=pincodes", APPLIED).await;
    let job = &dry["job"];
    assert_eq!(job["dry_run"], true);
    let count =
        |rule: &str| job["findings"].as_array().unwrap().iter().find(|f| f["rule"] == rule).map(|f| f["count"].clone());
    assert_eq!(count("pincode_far_from_city"), Some(json!(2)), "{job}");
    assert_eq!(count("pincode_state_mismatch"), Some(json!(1)), "{job}");
    assert_eq!(count("city_without_pincodes"), None, "Qtown's finding is open already; the file would close it");
    let examples: Vec<(u64, String)> = dry["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "finding")
        .map(|p| (p["line"].as_u64().unwrap(), p["message"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(examples.len(), 3, "{examples:?}");
    assert!(examples.iter().any(|(line, m)| *line == 3 && m.starts_with("pincode_far_from_city: pincode 560003 is")));
    assert!(examples.iter().any(|(line, m)| *line == 4 && m.contains("Delhi postal circle")));
    let (_, _, csv_report) = api.get_text(&format!("/api/v1/imports/{}/report.csv", job["id"].as_str().unwrap())).await;
    assert!(csv_report.contains("would open"), "{csv_report}");
    // Nothing was published: the findings are as they were.
    let (_, far) = api.get("/api/v1/quality/findings?rule=pincode_far_from_city").await;
    assert!(far["findings"].as_array().unwrap().is_empty());
}
