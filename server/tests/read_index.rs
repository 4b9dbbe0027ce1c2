//! The read indexes in memory against the store they mirror: after a burst of
//! creates, moves, renames and deletes the listings and the map agree with a
//! fresh count of MongoDB, and so does an index rebuilt at start; a crowded
//! view comes back in clusters that open where their cities part.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use mongodb::bson::{doc, Document};
use serde_json::{json, Value};

const SOON: Duration = Duration::from_secs(60);
const INDIA: &str = "68,6,98,37";

fn city(name: &str, state: &str, lat: f64, lon: f64, population: u64) -> Value {
    json!({"city_name": name, "state": state, "latitude": lat, "longitude": lon, "population": population})
}

/// Every city id the store holds, and those not deleted.
async fn store_ids(world: &World) -> (BTreeSet<String>, BTreeSet<String>) {
    let docs: Vec<Document> = {
        use futures::TryStreamExt;
        let cursor = world.db().await.collection::<Document>("cities").find(doc! {}).await.unwrap();
        cursor.try_collect().await.unwrap()
    };
    let all = docs.iter().map(|d| d.get_str("_id").unwrap().to_string()).collect();
    let live =
        docs.iter().filter(|d| d.get_datetime("deleted_at").is_err()).map(|d| d.get_str("_id").unwrap().to_string());
    (all, live.collect())
}

/// Every city id a listing returns, following its cursor.
async fn listed(api: &Api, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut path = format!("/api/v1/cities?limit=50&{query}");
    loop {
        let (code, body) = api.get(&path).await;
        assert_eq!(code, 200, "{body}");
        ids.extend(body["cities"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()));
        match body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/cities?limit=50&{query}&cursor={}", c.replace('/', "%2F")),
            None => return ids,
        }
    }
}

/// The cities a map view accounts for: in clusters and one by one.
fn drawn(view: &Value) -> u64 {
    let layer = &view["cities"];
    let clustered: u64 = layer["clusters"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).sum();
    clustered + layer["points"].as_array().unwrap().len() as u64
}

/// Waits for the stream to tell of `n` changes, each applied.
async fn told(stream: &mut reqwest::Response, text: &mut String, n: usize) {
    for _ in 0..n {
        let notice = next_event(stream, text, "change", |_| true).await;
        assert_eq!(notice["outcome"], "applied", "{notice}");
    }
}

async fn assert_index_matches_store(world: &World, api: &Api) {
    let (all, live) = store_ids(world).await;
    let listed_all = listed(api, "include_deleted=true").await;
    assert_eq!(listed_all.iter().cloned().collect::<BTreeSet<_>>(), all, "every city, deleted ones too");
    assert!(listed_all.windows(2).all(|w| w[0] < w[1]), "by id, each once: {listed_all:?}");
    assert_eq!(listed(api, "").await.into_iter().collect::<BTreeSet<_>>(), live, "the cities not deleted");
    let (_, view) = api.get(&format!("/api/v1/map?bbox={INDIA}&zoom=5")).await;
    assert_eq!(view["cities"]["in_view"], live.len() as u64, "{view}");
    assert_eq!(drawn(&view), live.len() as u64, "{view}");
}

#[tokio::test]
async fn after_a_burst_of_changes_the_index_agrees_with_the_store_and_so_does_one_rebuilt_at_start() {
    let world = Owned(World::new("read_index"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    // A browser's stream: it is told of each change once the index holds it.
    let mut stream = api.stream().await;
    let mut text = String::new();
    let rows: Vec<Value> = (0..60)
        .map(|i| {
            let state = ["Kerala", "Rajasthan", "Assam"][i % 3];
            let (lat, lon) = [(10.0, 76.5), (26.5, 73.5), (26.2, 92.5)][i % 3];
            city(&format!("Burstpur {i:02}"), state, lat + i as f64 * 0.01, lon, 1000 + i as u64)
        })
        .collect();
    let (code, body) = api.post("/api/v1/location-updates/cities/bulk", &json!(rows)).await;
    assert_eq!(code, 202, "{body}");
    told(&mut stream, &mut text, 60).await;
    // Moves, a rename, deletes and a restore, as fast as they are accepted.
    for i in 0..10 {
        let state = ["Kerala", "Rajasthan", "Assam"][i % 3];
        let path = format!("/api/v1/location-updates/cities/Burstpur%20{i:02}/{state}");
        let (code, body) = api.put(&path, &json!({"latitude": 20.0 + i as f64 * 0.1, "longitude": 80.0})).await;
        assert_eq!(code, 202, "{body}");
    }
    let (code, body) = api
        .put("/api/v1/location-updates/cities/Burstpur%2012/Kerala", &json!({"city_name": "Mahābaleshwar Nagar"}))
        .await;
    assert_eq!(code, 202, "{body}");
    for i in 20..30 {
        let state = ["Kerala", "Rajasthan", "Assam"][i % 3];
        let (code, body) = api.delete(&format!("/api/v1/location-updates/cities/Burstpur%20{i}/{state}")).await;
        assert_eq!(code, 202, "{body}");
    }
    let (code, _) = api.post("/api/v1/location-updates/cities/Burstpur%2021/Kerala/restore", &json!({})).await;
    assert_eq!(code, 202);

    // Told of these 22 changes, the listings and the map hold every one of them, as the store does.
    told(&mut stream, &mut text, 10 + 1 + 10 + 1).await;
    assert_index_matches_store(&world, &api).await;
    let (_, b) = api.get("/api/v1/cities?q=burstpur&limit=100").await;
    let found = b["cities"].as_array().unwrap();
    assert_eq!(found.len(), 60 - 10 + 1, "deleted ten, restored one; the renamed one by its old name");
    let renamed = found.iter().find(|c| c["name"] == "Mahābaleshwar Nagar").expect("found by its old name");
    assert_eq!(renamed["matched_name"], "Burstpur 12");

    // Searched by name: any case, accents or not; moved cities are found where they are now.
    let (_, b) = api.get("/api/v1/cities?q=MAHABALESHWAR").await;
    assert_eq!(b["cities"][0]["id"], "kerala/burstpur-12", "renamed, same id: {b}");
    let (_, b) = api.get("/api/v1/cities?bbox=79.9,19.9,80.1,21.1").await;
    assert_eq!(b["cities"].as_array().unwrap().len(), 10, "the moved ten: {b}");

    // A server started afresh on the same store builds the same index.
    drop(server);
    let again = world.server();
    let api = Api::new(&again, &world.token());
    // Ready once the index is loaded whole.
    let ready = api.eventually("/readyz", SOON, |c, _| c == 200).await;
    assert_index_matches_store(&world, &api).await;
    let index = ready["backends"].as_array().unwrap().iter().find(|b| b["name"] == "index").unwrap();
    assert_eq!(index["status"], "ok");
    assert_eq!(index["detail"], "60 cities and 0 pincodes in memory");
}

#[tokio::test]
async fn a_crowded_view_comes_in_clusters_that_open_where_their_cities_part() {
    let world = Owned(World::new("read_index_clusters"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    // 900 cities on a grid over Rajasthan, 0.1° apart.
    let rows: Vec<Value> = (0..900u64)
        .map(|i| {
            city(
                &format!("Gridpur {i:03}"),
                "Rajasthan",
                24.0 + (i / 30) as f64 * 0.1,
                70.5 + (i % 30) as f64 * 0.1,
                i + 1,
            )
        })
        .collect();
    let (code, body) = api.post("/api/v1/location-updates/cities/bulk", &json!(rows)).await;
    assert_eq!(code, 202, "{body}");
    let view =
        api.eventually(&format!("/api/v1/map?bbox={INDIA}&zoom=5"), SOON, |_, b| b["cities"]["in_view"] == 900).await;

    // All India: a few clusters that account for every city, well under the limits.
    let clusters = view["cities"]["clusters"].as_array().unwrap();
    assert!(!clusters.is_empty() && clusters.len() < 100, "{} clusters", clusters.len());
    assert_eq!(drawn(&view), 900);
    let (_, _, text) = api.get_text(&format!("/api/v1/map?bbox={INDIA}&zoom=5")).await;
    assert!(text.len() < 300 * 1024, "{} bytes", text.len());

    // A cluster's expansion zoom, around its centre, shows it in more pieces.
    let biggest = clusters.iter().max_by_key(|c| c["count"].as_u64().unwrap()).unwrap();
    let (lat, lon) = (biggest["latitude"].as_f64().unwrap(), biggest["longitude"].as_f64().unwrap());
    let zoom = biggest["expansion_zoom"].as_u64().unwrap();
    assert!(zoom > 5, "{biggest}");
    let half = 360.0 / 2f64.powi(zoom as i32) * 2.0;
    let bbox = format!("{},{},{},{}", lon - half, lat - half / 2.0, lon + half, lat + half / 2.0);
    let (_, closer) = api.get(&format!("/api/v1/map?bbox={bbox}&zoom={zoom}")).await;
    let pieces =
        closer["cities"]["clusters"].as_array().unwrap().len() + closer["cities"]["points"].as_array().unwrap().len();
    assert!(pieces > 1, "{closer}");

    // Zoomed in past clustering: the cities themselves, most populous first.
    let (_, street) = api.get("/api/v1/map?bbox=70.45,23.95,70.75,24.15&zoom=13").await;
    let points = street["cities"]["points"].as_array().unwrap();
    assert!(street["cities"]["clusters"].as_array().unwrap().is_empty());
    assert_eq!(points.len(), 6, "{street}");
    assert_eq!(points[0]["name"], "Gridpur 032");

    // A bad box names the field.
    let (code, body) = api.get("/api/v1/map?bbox=75,18,72,20&zoom=5").await;
    assert_eq!(code, 422, "{body}");
    assert!(body.to_string().contains("bbox"), "{body}");
}
