//! The lookups against the real broker and store: which pincode and city a
//! place is in (one place, or a batch), with their distances and the errors
//! that name a bad field; the search box over states, pincodes and cities;
//! a token or a session may ask.

mod common;

use std::time::Duration;

use app::domain::geo::distance_km;
use common::*;
use serde_json::{json, Value};

const APPLIED: Duration = Duration::from_secs(120);

/// Cities and pincodes around Mumbai and Pune: (name or code, lat, lon).
const CITIES: [(&str, f64, f64); 3] =
    [("Mumbai", 19.076, 72.8777), ("Thane", 19.2183, 72.9781), ("Pune", 18.5204, 73.8567)];
const PINCODES: [(&str, &str, f64, f64); 4] = [
    ("400001", "Mumbai", 18.9388, 72.8354),
    ("400601", "Thane", 19.1943, 72.9702),
    ("411001", "Pune", 18.5196, 73.8553),
    ("411045", "Pune", 18.5590, 73.7868),
];

async fn seeded(name: &str) -> (Owned, Server, Api) {
    let world = Owned(
        World::new(name)
            .with("GEOLEDGER_ADMIN_EMAIL", "ops@example.in")
            .with("GEOLEDGER_ADMIN_PASSWORD", "a-long-password"),
    );
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let cities: Vec<Value> = CITIES
        .iter()
        .map(|(name, lat, lon)| {
            let alternates: Vec<&str> = if *name == "Mumbai" { vec!["Bombay"] } else { vec![] };
            json!({"city_name": name, "state": "MH", "latitude": lat, "longitude": lon,
                   "alternate_names": alternates})
        })
        .collect();
    let (code, body) = api.post("/api/v1/location-updates/cities/bulk", &json!(cities)).await;
    assert_eq!(code, 202, "{body}");
    let pincodes: Vec<Value> = PINCODES
        .iter()
        .map(|(code, city, lat, lon)| {
            json!({"pincode": code, "city_name": city, "state": "Maharashtra", "area_name": format!("{city} {code}"),
                   "latitude": lat, "longitude": lon})
        })
        .collect();
    let (code, body) = api.post("/api/v1/location-updates/pincodes/bulk", &json!(pincodes)).await;
    assert_eq!(code, 202, "{body}");
    api.eventually("/api/v1/lookup/nearest?lat=18.56&lon=73.79&limit=50", APPLIED, |c, b| {
        c == 200 && b["pincodes"].as_array().is_some_and(|p| p.len() == 4) && b["cities"].as_array().unwrap().len() == 3
    })
    .await;
    (world, server, api)
}

/// The codes, or names, of an answer's list.
fn named<'v>(list: &'v Value, key: &str) -> Vec<&'v str> {
    list.as_array().unwrap().iter().map(|e| e[key].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_place_is_answered_with_its_nearest_pincodes_and_cities() {
    let (_world, _server, api) = seeded("lookup_nearest").await;

    // A pickup point near Pune station.
    let (code, near) = api.get("/api/v1/lookup/nearest?lat=18.5286&lon=73.8743").await;
    assert_eq!(code, 200, "{near}");
    let pincode = &near["pincodes"][0];
    assert_eq!((pincode["pincode"].as_str(), pincode["city_id"].as_str()), (Some("411001"), Some("maharashtra/pune")));
    assert_eq!((pincode["city_name"].as_str(), pincode["state"].as_str()), (Some("Pune"), Some("Maharashtra")));
    assert_eq!(pincode["area_name"], "Pune 411001");
    let expected = distance_km((18.5286, 73.8743), (18.5196, 73.8553));
    assert!((pincode["distance_km"].as_f64().unwrap() - expected).abs() < 1e-6, "{near}");
    assert_eq!(named(&near["cities"], "name"), ["Pune"], "one of each by default");
    assert_eq!(near["cities"][0]["id"], "maharashtra/pune");

    // More of each, nearest first, as brute force orders them.
    let (_, near) = api.get("/api/v1/lookup/nearest?lat=19.1&lon=72.9&limit=50").await;
    let mut by_distance: Vec<(f64, &str)> =
        PINCODES.iter().map(|(code, _, lat, lon)| (distance_km((19.1, 72.9), (*lat, *lon)), *code)).collect();
    by_distance.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(named(&near["pincodes"], "pincode"), by_distance.iter().map(|(_, c)| *c).collect::<Vec<_>>());
    assert_eq!(named(&near["cities"], "name"), ["Mumbai", "Thane", "Pune"]);

    // A deleted pincode is not near any more.
    let (code, _) = api.delete("/api/v1/location-updates/pincodes/411001").await;
    assert_eq!(code, 202);
    api.eventually("/api/v1/lookup/nearest?lat=18.5286&lon=73.8743", APPLIED, |_, b| {
        b["pincodes"][0]["pincode"] == "411045"
    })
    .await;

    // Each bad part is named.
    for (query, field, says) in [
        ("lat=north&lon=73", "lat", "must be a number"),
        ("lat=18.5&lon=120", "lon", "between 68 and 97.5"),
        ("lon=73", "lat", "is required"),
        ("lat=18.5&lon=73&limit=0", "limit", "from 1 to 50"),
        ("lat=18.5&lon=73&limit=51", "limit", "from 1 to 50"),
    ] {
        let (code, body) = api.get(&format!("/api/v1/lookup/nearest?{query}")).await;
        assert_eq!(code, 422, "{query}: {body}");
        assert!(field_error(&body, field).contains(says), "{query}: {body}");
    }
}

#[tokio::test]
async fn a_batch_answers_each_place_in_order_and_refuses_what_it_cannot() {
    let (_world, server, api) = seeded("lookup_batch").await;
    let points = json!({"points": [{"lat": 18.52, "lon": 73.85}, {"lat": 19.2, "lon": 72.97}], "limit": 2});
    let (code, body) = api.post("/api/v1/lookup/nearest", &points).await;
    assert_eq!(code, 200, "{body}");
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(named(&results[0]["cities"], "name"), ["Pune", "Mumbai"]);
    assert_eq!(named(&results[1]["pincodes"], "pincode"), ["400601", "400001"]);

    let too_many: Vec<Value> = (0..1001).map(|_| json!({"lat": 19.0, "lon": 73.0})).collect();
    let (code, body) = api.post("/api/v1/lookup/nearest", &json!({ "points": too_many })).await;
    assert_eq!(code, 413, "{body}");
    let bad = json!({"points": [{"lat": 19.0, "lon": 73.0}, {"lat": "x", "lon": 73.0}]});
    let (code, body) = api.post("/api/v1/lookup/nearest", &bad).await;
    assert_eq!(code, 422, "{body}");
    assert!(field_error(&body, "points[1].lat").contains("must be a number"), "{body}");
    let (code, body) = api.post_raw("/api/v1/lookup/nearest", "application/json", b"{points".to_vec()).await;
    assert_eq!(code, 400, "{body}");

    // A signed-in admin's own pages may ask too; another origin may not.
    let session = session_of(&first_sign_in(&server, false).await);
    let client = reqwest::Client::new();
    let ask = |origin: &str| {
        client
            .post(server.url("/api/v1/lookup/nearest"))
            .header("cookie", &session)
            .header("origin", origin)
            .json(&points)
            .send()
    };
    assert_eq!(ask(&server.base_url).await.unwrap().status(), 200);
    assert_eq!(ask("http://elsewhere.example").await.unwrap().status(), 401);
    let (code, _) = Api::at(&server.base_url, "no-such-token").get("/api/v1/lookup?q=pune").await;
    assert_eq!(code, 401);
}

#[tokio::test]
async fn the_search_box_finds_states_pincodes_and_cities_by_any_name() {
    let (_world, _server, api) = seeded("lookup_search").await;
    let (code, body) = api.get("/api/v1/lookup?q=bomb").await;
    assert_eq!(code, 200, "{body}");
    let hit = &body["results"][0];
    assert_eq!((hit["kind"].as_str(), hit["label"].as_str()), (Some("city"), Some("Mumbai (Bombay), Maharashtra")));
    assert_eq!((hit["city_id"].as_str(), hit["latitude"].as_f64()), (Some("maharashtra/mumbai"), Some(19.076)));

    let (_, body) = api.get("/api/v1/lookup?q=4110").await;
    assert_eq!(named(&body["results"], "pincode"), ["411001", "411045"]);
    assert_eq!(body["results"][0]["label"], "411001 Pune 411001, Pune");

    let (_, body) = api.get("/api/v1/lookup?q=mh").await;
    let state = &body["results"][0];
    assert_eq!((state["kind"].as_str(), state["label"].as_str()), (Some("state"), Some("Maharashtra (MH)")));
    let centre_lat = CITIES.iter().map(|c| c.1).sum::<f64>() / 3.0;
    assert!((state["latitude"].as_f64().unwrap() - centre_lat).abs() < 1e-9, "the centre of its cities");

    let (_, body) = api.get("/api/v1/lookup?q=").await;
    assert_eq!(body["results"], json!([]));
}
