//! An entity's history against the real broker and store: every event type
//! with what it changed field by field, newest first, paged, and each
//! entry's message where the history says it is.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const APPLIED: Duration = Duration::from_secs(120);

async fn accepted(api: &Api, method: &str, path: &str, body: Value) {
    let (code, answer) = match method {
        "PUT" => api.put(path, &body).await,
        "DELETE" => api.delete(path).await,
        _ => api.post(path, &body).await,
    };
    assert_eq!(code, 202, "{method} {path}: {answer}");
}

/// Waits until the history at `path` holds `n` entries; gives them.
async fn history(api: &Api, path: &str, n: usize) -> Vec<Value> {
    let page = api
        .eventually(&format!("{path}?limit=200"), APPLIED, |c, b| {
            c == 200 && b["entries"].as_array().is_some_and(|e| e.len() >= n)
        })
        .await;
    page["entries"].as_array().unwrap().clone()
}

fn change(field: &str, before: Value, after: Value) -> Value {
    json!({"field": field, "before": before, "after": after})
}

#[tokio::test]
async fn each_event_says_what_it_changed_newest_first_with_its_message() {
    let world = Owned(World::new("history_diffs"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let city = "/api/v1/location-updates/cities";
    let body = json!({"city_name": "Histpur", "state": "Goa", "latitude": 15.3, "longitude": 74.0, "population": 1200});
    accepted(&api, "POST", city, body).await;
    history(&api, "/api/v1/cities/Histpur/Goa/history", 1).await;
    let moved = json!({"latitude": 15.4, "district": "North Goa"});
    accepted(&api, "PUT", &format!("{city}/Histpur/Goa"), moved).await;
    history(&api, "/api/v1/cities/Histpur/Goa/history", 2).await;
    accepted(&api, "DELETE", &format!("{city}/Histpur/Goa"), json!({})).await;
    history(&api, "/api/v1/cities/Histpur/Goa/history", 3).await;
    accepted(&api, "POST", &format!("{city}/Histpur/Goa/restore"), json!({})).await;
    history(&api, "/api/v1/cities/Histpur/Goa/history", 4).await;
    let pincode = |lon: f64| {
        json!({"pincode": "403001", "city_name": "Histpur", "state": "Goa",
            "latitude": 15.3, "longitude": lon})
    };
    accepted(&api, "POST", "/api/v1/location-updates/pincodes", pincode(74.0)).await;
    history(&api, "/api/v1/cities/Histpur/Goa/history", 5).await;
    accepted(&api, "POST", "/api/v1/location-updates/pincodes", pincode(74.1)).await;
    accepted(&api, "DELETE", "/api/v1/location-updates/pincodes/403001", json!({})).await;

    let entries = history(&api, "/api/v1/cities/Histpur/Goa/history", 7).await;
    let types: Vec<&str> = entries.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "pincode.deleted.v1",
            "pincode.upserted.v1",
            "pincode.upserted.v1",
            "city.restored.v1",
            "city.deleted.v1",
            "city.updated.v1",
            "city.created.v1"
        ],
        "newest first"
    );
    let changes = |i: usize| entries[i]["changes"].clone();
    // A create: each field it set, from null.
    let created = changes(6);
    let created = created.as_array().unwrap();
    assert!(created.iter().all(|c| c["before"].is_null()), "{created:?}");
    for (field, value) in [("city_name", json!("Histpur")), ("latitude", json!(15.3)), ("population", json!(1200))] {
        assert!(created.contains(&change(field, Value::Null, value.clone())), "{field} in {created:?}");
    }
    // An update: only what it changed.
    assert_eq!(
        changes(5),
        json!([change("district", Value::Null, json!("North Goa")), change("latitude", json!(15.3), json!(15.4))])
    );
    assert_eq!(changes(4), json!([change("deleted", json!(false), json!(true))]));
    assert_eq!(changes(3), json!([change("deleted", json!(true), json!(false))]));
    assert_eq!(changes(1), json!([change("longitude", json!(74.0), json!(74.1))]));
    assert_eq!(changes(0), json!([change("deleted", json!(false), json!(true))]));
    for e in &entries {
        assert!(e["actor"].as_str().unwrap().starts_with("token:") && e["at"].is_string(), "{e}");
    }

    // Each entry's message is where it says, in the topic's message browser.
    for e in [&entries[0], &entries[5]] {
        let at = &e["event"];
        let (topic, partition, offset) = (at["topic"].as_str().unwrap(), &at["partition"], &at["offset"]);
        let path = format!("/api/v1/kafka/topics/{topic}/messages?partition={partition}&offset={offset}&limit=1");
        let (code, page) = api.get(&path).await;
        assert_eq!(code, 200, "{page}");
        let value: Value = serde_json::from_str(page["messages"][0]["value"].as_str().unwrap()).unwrap();
        assert_eq!(value["id"], e["event_id"], "{path}");
    }

    // A pincode's own history; pages that follow each other.
    let own = history(&api, "/api/v1/pincodes/403001/history", 3).await;
    assert_eq!(own.len(), 3, "{own:?}");
    let (_, first) = api.get("/api/v1/cities/Histpur/Goa/history?limit=4").await;
    let cursor = first["next_cursor"].as_str().expect("a next page").to_string();
    let (_, rest) = api.get(&format!("/api/v1/cities/Histpur/Goa/history?limit=4&cursor={cursor}")).await;
    let ids = |p: &Value| p["entries"].as_array().unwrap().iter().map(|e| e["event_id"].clone()).collect::<Vec<_>>();
    let paged = [ids(&first), ids(&rest)].concat();
    assert_eq!(paged, entries.iter().map(|e| e["event_id"].clone()).collect::<Vec<_>>());
    assert!(rest["next_cursor"].is_null(), "{rest}");

    // Bad asks are named.
    let (code, body) = api.get("/api/v1/cities/Histpur/Goa/history?limit=0&cursor=nope").await;
    assert_eq!(code, 422, "{body}");
    assert!(field_error(&body, "limit").contains("1 to 200") && field_error(&body, "cursor").contains("nope"));
    assert_eq!(api.get("/api/v1/cities/Nowhere/Goa/history").await.0, 404);
    assert_eq!(api.get("/api/v1/pincodes/403999/history").await.0, 404);
}

/// The city's entry of this type, newest first.
fn of_type<'a>(entries: &'a [Value], t: &str) -> &'a Value {
    entries.iter().find(|e| e["type"] == t).unwrap_or_else(|| panic!("no {t} in {entries:?}"))
}

#[tokio::test]
async fn a_change_is_reverted_unless_changed_since_and_a_create_and_a_delete_are_undone() {
    let world = Owned(World::new("history_revert"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let city = "/api/v1/location-updates/cities";
    let at = |lat: f64| json!({"city_name": "Revpur", "state": "Goa", "latitude": lat, "longitude": 74.0});
    accepted(&api, "POST", city, at(15.3)).await;
    history(&api, "/api/v1/cities/Revpur/Goa/history", 1).await;
    accepted(&api, "PUT", &format!("{city}/Revpur/Goa"), json!({"latitude": 15.4, "population": 900})).await;
    let entries = history(&api, "/api/v1/cities/Revpur/Goa/history", 2).await;
    let moved = of_type(&entries, "city.updated.v1")["event_id"].as_str().unwrap().to_string();

    // Reverted: the fields it changed get their values back, marked as its revert.
    let (code, body) = api.post(&format!("/api/v1/history/{moved}/revert"), &json!({})).await;
    assert_eq!(code, 202, "{body}");
    let back =
        api.eventually("/api/v1/cities/Revpur/Goa", APPLIED, |c, b| c == 200 && b["latitude"] == json!(15.3)).await;
    assert!(back["population"].is_null(), "population back to none: {back}");
    let entries = history(&api, "/api/v1/cities/Revpur/Goa/history", 3).await;
    assert_eq!(entries[0]["reverts"], moved.as_str(), "{}", entries[0]);
    assert_eq!(
        entries[0]["changes"],
        json!([change("latitude", json!(15.4), json!(15.3)), change("population", json!(900), Value::Null)])
    );

    // A later change to the same field: 409 naming it and the later change; force reverts anyway.
    accepted(&api, "PUT", &format!("{city}/Revpur/Goa"), json!({"latitude": 15.5})).await;
    let entries = history(&api, "/api/v1/cities/Revpur/Goa/history", 4).await;
    let later = entries[0]["event_id"].as_str().unwrap().to_string();
    let (code, body) = api.post(&format!("/api/v1/history/{moved}/revert"), &json!({})).await;
    assert_eq!(code, 409, "{body}");
    let said = body["error"].as_str().unwrap();
    assert!(said.contains("latitude") && said.contains(&later) && said.contains("force=true"), "{said}");
    let (code, body) = api.post(&format!("/api/v1/history/{moved}/revert?force=true"), &json!({})).await;
    assert_eq!(code, 202, "{body}");
    api.eventually("/api/v1/cities/Revpur/Goa", APPLIED, |c, b| c == 200 && b["latitude"] == json!(15.3)).await;

    // A delete is undone by a restore; the create by a soft delete.
    accepted(&api, "DELETE", &format!("{city}/Revpur/Goa"), json!({})).await;
    let entries = history(&api, "/api/v1/cities/Revpur/Goa/history", 6).await;
    let deleted = of_type(&entries, "city.deleted.v1")["event_id"].as_str().unwrap().to_string();
    let (code, body) = api.post(&format!("/api/v1/history/{deleted}/revert"), &json!({})).await;
    assert_eq!(code, 202, "{body}");
    let restored = history(&api, "/api/v1/cities/Revpur/Goa/history", 7).await;
    assert_eq!(
        (restored[0]["type"].as_str(), restored[0]["reverts"].as_str()),
        (Some("city.restored.v1"), Some(deleted.as_str()))
    );
    let created = of_type(&restored, "city.created.v1")["event_id"].as_str().unwrap().to_string();
    let (code, body) = api.post(&format!("/api/v1/history/{created}/revert?force=true"), &json!({})).await;
    assert_eq!(code, 202, "{body}");
    let gone = history(&api, "/api/v1/cities/Revpur/Goa/history", 8).await;
    assert_eq!(gone[0]["type"], "city.deleted.v1", "{}", gone[0]);
    let (_, listed) = api.get("/api/v1/cities?state=Goa&include_deleted=true").await;
    let revpur = listed["cities"].as_array().unwrap().iter().find(|c| c["name"] == "Revpur").unwrap().clone();
    assert!(revpur["deleted_at"].is_string(), "soft-deleted: {revpur}");
    let (_, live) = api.get("/api/v1/cities?state=Goa").await;
    assert!(live["cities"].as_array().unwrap().iter().all(|c| c["name"] != "Revpur"), "{live}");

    let (code, body) = api.post("/api/v1/history/no-such-event/revert", &json!({})).await;
    assert_eq!(code, 404, "{body}");
}

/// The feed's entries at `query` once it holds `n` of them: (type, subject, actor).
async fn activity(api: &Api, query: &str, n: usize) -> (Vec<(String, String, String)>, Value) {
    let page = api
        .eventually(&format!("/api/v1/activity?{query}"), APPLIED, |c, b| {
            c == 200 && b["entries"].as_array().is_some_and(|e| e.len() >= n)
        })
        .await;
    let entries = page["entries"].as_array().unwrap();
    let seen = entries
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (text("type"), text("subject"), text("actor"))
        })
        .collect();
    (seen, page)
}

#[tokio::test]
async fn the_activity_feed_lists_every_change_newest_first_filtered_and_paged() {
    let world = Owned(World::new("history_activity"));
    let server = world.server();
    let (ops, etl) = (Api::new(&server, &world.token()), Api::new(&server, &world.token()));
    let city = "/api/v1/location-updates/cities";
    accepted(&ops, "POST", city, json!({"city_name": "Feedpur", "state": "Goa", "latitude": 15.3, "longitude": 74.0}))
        .await;
    activity(&ops, "", 1).await;
    let csv = "city_name,state,latitude,longitude\nJobnagar,Kerala,9.9,76.2\nJobgaon,Kerala,10.1,76.3\n";
    let job = etl.import(csv.as_bytes(), "", APPLIED).await;
    let job_id = job["job"]["id"].as_str().unwrap().to_string();
    activity(&ops, "", 3).await;
    let pincode =
        json!({"pincode": "403101", "city_name": "Feedpur", "state": "Goa", "latitude": 15.3, "longitude": 74.0});
    accepted(&ops, "POST", "/api/v1/location-updates/pincodes", pincode).await;
    activity(&ops, "", 4).await;
    accepted(&ops, "PUT", &format!("{city}/Feedpur/Goa"), json!({"population": 4000})).await;

    let (all, page) = activity(&ops, "", 5).await;
    assert_eq!(all.len(), 5, "{page}");
    let types: Vec<&str> = all.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(types[..2], ["city.updated.v1", "pincode.upserted.v1"], "newest first: {page}");
    assert_eq!(page["entries"][0]["entity"], json!({"kind": "city", "id": "goa/feedpur"}));
    assert_eq!(page["entries"][1]["entity"], json!({"kind": "pincode", "id": "403101"}));
    assert_eq!(page["entries"][0]["changes"], json!([{"field": "population", "before": null, "after": 4000}]));
    let ops_actor = all[0].2.clone();
    let etl_actor = all.iter().find(|(_, s, _)| s == "kerala/jobnagar").unwrap().2.clone();
    assert_ne!(ops_actor, etl_actor);

    // Each filter, and all of them at once.
    let (by_etl, _) = activity(&ops, &format!("actor={etl_actor}"), 2).await;
    assert_eq!(by_etl.len(), 2, "{by_etl:?}");
    assert!(by_etl.iter().all(|(t, _, a)| t == "city.created.v1" && *a == etl_actor));
    let (by_job, page) = activity(&ops, &format!("job={job_id}"), 2).await;
    assert_eq!(by_job.len(), 2);
    assert!(page["entries"].as_array().unwrap().iter().all(|e| e["import_job"] == job_id.as_str()));
    let (pincodes, _) = activity(&ops, "type=pincode", 1).await;
    assert_eq!(pincodes, [("pincode.upserted.v1".to_string(), "403101".to_string(), ops_actor.clone())]);
    let (created, _) = activity(&ops, &format!("type=city.created.v1&actor={ops_actor}"), 1).await;
    assert_eq!(created.len(), 1, "{created:?}");
    let (feedpur, _) = activity(&ops, "entity=goa/feedpur", 3).await;
    assert_eq!(feedpur.len(), 3, "the city's own changes and its pincode's: {feedpur:?}");
    let (_, none) = ops.get(&format!("/api/v1/activity?job={job_id}&type=pincode")).await;
    assert_eq!(none["entries"], json!([]));

    // Paged back in time: two, two, one, and every entry once.
    let mut seen = Vec::new();
    let mut before = String::new();
    for expected in [2, 2, 1] {
        let (code, page) = ops.get(&format!("/api/v1/activity?limit=2{before}")).await;
        assert_eq!(code, 200, "{page}");
        let entries = page["entries"].as_array().unwrap();
        assert_eq!(entries.len(), expected, "{page}");
        seen.extend(entries.iter().map(|e| e["event_id"].as_str().unwrap().to_string()));
        before = page["next_cursor"].as_str().map(|c| format!("&before={c}")).unwrap_or_default();
    }
    assert!(before.is_empty(), "no page after the last");
    let ids: Vec<&str> = page["entries"].as_array().unwrap().iter().map(|e| e["event_id"].as_str().unwrap()).collect();
    assert_eq!(seen.len(), 5);
    assert!(ids.iter().all(|id| seen.iter().any(|s| s == id)));

    let (code, body) = ops.get("/api/v1/activity?type=city.moved&before=nope&limit=0").await;
    assert_eq!(code, 422, "{body}");
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["before", "limit", "type"]);

    // A new start reads the history into its index: the same feed.
    drop(server);
    let again = world.server();
    let api = Api::new(&again, &world.token());
    let (after, _) = activity(&api, "", 5).await;
    assert_eq!(after, all);
    let (by_job, _) = activity(&api, &format!("job={job_id}"), 2).await;
    assert_eq!(by_job.len(), 2);
}
