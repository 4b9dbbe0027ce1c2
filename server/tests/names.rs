//! Names people use, against the real broker and store: a rename keeps the
//! city (its id, pincodes and history) and its old name finds it; imports,
//! bulk rows and pincodes find a city by its current or alternate name; an
//! alternate name two cities share is refused, naming both.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const APPLIED: Duration = Duration::from_secs(120);
const CITIES: &str = "/api/v1/location-updates/cities";

fn city(name: &str, lat: f64, lon: f64, alternates: &[&str]) -> Value {
    json!({"city_name": name, "state": "Maharashtra", "latitude": lat, "longitude": lon,
           "alternate_names": alternates})
}

/// Waits until GET `path` answers 200 with `key` equal to `value`: the body.
async fn until(api: &Api, path: &str, key: &str, value: Value) -> Value {
    api.eventually(path, APPLIED, |c, b| c == 200 && b[key] == value).await
}

/// The cities of Maharashtra listed, by name.
async fn maharashtra(api: &Api) -> Vec<String> {
    let (code, page) = api.get("/api/v1/cities?state=MH&limit=100").await;
    assert_eq!(code, 200, "{page}");
    page["cities"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_renamed_city_is_found_by_its_old_name_and_imports_never_make_a_second() {
    let world = Owned(World::new("names_rename"));
    let server = world.server();
    let api = Api::new(&server, &world.token());

    let (code, body) = api.post(CITIES, &city("Bombay", 19.07, 72.87, &[])).await;
    assert_eq!(code, 202, "{body}");
    until(&api, "/api/v1/cities/Bombay/MH", "id", json!("maharashtra/bombay")).await;
    let (code, body) = api
        .post(
            "/api/v1/location-updates/pincodes",
            &json!({"pincode": "400001",
        "city_name": "Bombay", "state": "MH", "latitude": 18.94, "longitude": 72.83}),
        )
        .await;
    assert_eq!(code, 202, "{body}");
    until(&api, "/api/v1/pincodes/400001", "city_id", json!("maharashtra/bombay")).await;

    // The rename keeps the id, and the old name joins the alternate names.
    let (code, body) = api.put(&format!("{CITIES}/Bombay/Maharashtra"), &json!({"city_name": "Mumbai"})).await;
    assert_eq!(code, 202, "{body}");
    let mumbai = until(&api, "/api/v1/cities/Mumbai/MH", "alternate_names", json!(["Bombay"])).await;
    assert_eq!(mumbai["id"], "maharashtra/bombay");
    assert_eq!(mumbai["pincodes"], json!(["400001"]), "its pincodes stay");
    let (code, by_old_name) = api.get("/api/v1/cities/bombay/MH").await;
    assert_eq!((code, &by_old_name["name"]), (200, &json!("Mumbai")), "the old name finds it");
    let (_, search) = api.get("/api/v1/cities?q=bomb").await;
    let found: Vec<(&Value, &Value)> =
        search["cities"].as_array().unwrap().iter().map(|c| (&c["name"], &c["matched_name"])).collect();
    assert_eq!(found, [(&json!("Mumbai"), &json!("Bombay"))], "a search says which name matched");
    let (_, search) = api.get("/api/v1/cities?q=mum").await;
    assert_eq!(search["cities"][0].get("matched_name"), None, "its current name matched: {search}");

    // A row under the old name updates the city's other fields, and never renames it.
    let csv = "city_name,state,latitude,longitude,population\nBombay,Maharashtra,19.08,72.88,12442373\n";
    let report = api.import(csv.as_bytes(), "file_name=old.csv", APPLIED).await;
    assert_eq!(report["job"]["status"], "done", "{report}");
    assert_eq!(report["job"]["changes"]["applied"], 1, "{report}");
    let notes: Vec<(&Value, &Value)> =
        report["problems"].as_array().unwrap().iter().map(|p| (&p["line"], &p["message"])).collect();
    assert_eq!(notes, [(&json!(2), &json!("matched Mumbai by its alternate name Bombay"))], "{report}");
    let (_, now) = api.get("/api/v1/cities/Mumbai/MH").await;
    assert_eq!((&now["population"], &now["alternate_names"]), (&json!(12442373), &json!(["Bombay"])), "{now}");

    // A row under the new name updates the same city: no second one.
    let csv = "city_name,state,latitude,longitude,population\nMumbai,Maharashtra,19.08,72.88,12500000\n";
    let report = api.import(csv.as_bytes(), "file_name=new.csv", APPLIED).await;
    assert_eq!((&report["job"]["status"], &report["job"]["rows"]["invalid"]), (&json!("done"), &json!(0)));
    until(&api, "/api/v1/cities/Mumbai/MH", "population", json!(12500000)).await;
    assert_eq!(maharashtra(&api).await, ["Mumbai"]);
    let (_, letters) = api.get("/api/v1/kafka/dead-letters").await;
    assert_eq!(letters["letters"], json!([]), "nothing is dead-lettered for a name");

    // A pincode naming its city by the old name belongs to the renamed city.
    let (code, body) = api
        .post(
            "/api/v1/location-updates/pincodes/bulk",
            &json!([{"pincode": "400002",
        "city_name": "BOMBAY", "state": "Maharashtra", "latitude": 18.95, "longitude": 72.83}]),
        )
        .await;
    assert_eq!(code, 202, "{body}");
    let gpo = until(&api, "/api/v1/pincodes/400002", "city_id", json!("maharashtra/bombay")).await;
    assert_eq!(gpo["city_name"], "Mumbai");
    until(&api, "/api/v1/cities/Mumbai/MH", "pincodes", json!(["400001", "400002"])).await;

    // India Post's districts and pincode rows find it by its old name too.
    let header = "officename,pincode,officetype,delivery,district,statename,latitude,longitude\n";
    let csv = format!("{header}Kalbadevi S.O,400003,SO,Delivery,BOMBAY,MAHARASHTRA,18.95,72.83\n");
    let report = api.import(csv.as_bytes(), "file_name=post.csv", APPLIED).await;
    assert_eq!((&report["job"]["format"], &report["job"]["rows"]["invalid"]), (&json!("india-post"), &json!(0)));
    assert!(report.to_string().contains("matched Mumbai by its alternate name Bombay"), "{report}");
    let csv = "pincode,city_name,state,latitude,longitude\n400004,Bombay,MH,18.96,72.81\n";
    let report = api.import(csv.as_bytes(), "format=pincodes", APPLIED).await;
    assert_eq!(report["problems"][0]["message"], "matched Mumbai by its alternate name Bombay", "{report}");
    let pincodes = json!(["400001", "400002", "400003", "400004"]);
    until(&api, "/api/v1/cities/Mumbai/MH", "pincodes", pincodes).await;
    assert_eq!(maharashtra(&api).await, ["Mumbai"], "no district city was made");

    // A new city may not take a name Mumbai is known by.
    let (code, body) = api.post(CITIES, &city("Bombay", 19.0, 72.9, &[])).await;
    assert_eq!(code, 409, "{body}");
    assert!(body["error"].as_str().unwrap().contains("alternate name of Mumbai"), "{body}");
}

#[tokio::test]
async fn an_alternate_name_two_cities_share_is_refused_naming_both() {
    let world = Owned(World::new("names_ambiguous"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let rows = json!([
        city("Navi Mumbai", 19.03, 73.03, &["New Bombay"]),
        city("Panvel", 18.99, 73.11, &["new bombay"]),
        city("Thane", 19.2, 72.97, &[])
    ]);
    let (code, body) = api.post(&format!("{CITIES}/bulk"), &rows).await;
    assert_eq!(code, 202, "{body}");
    until(&api, "/api/v1/cities/Thane/MH", "name", json!("Thane")).await;
    until(&api, "/api/v1/cities/Panvel/MH", "name", json!("Panvel")).await;

    let both = "Navi Mumbai (maharashtra/navi-mumbai) and Panvel (maharashtra/panvel)";
    let (code, body) = api.get("/api/v1/cities/New%20Bombay/MH").await;
    assert_eq!(code, 422, "{body}");
    assert!(body.to_string().contains(both), "{body}");
    let pincode = json!({"pincode": "410206", "city_name": "New Bombay", "state": "MH", "latitude": 19.0,
                         "longitude": 73.1});
    let (code, body) = api.post("/api/v1/location-updates/pincodes", &pincode).await;
    assert_eq!(code, 422, "{body}");
    assert!(field_error(&body, "city_name").contains(both), "{body}");
    let csv = "pincode,city_name,state,latitude,longitude\n410206,New Bombay,MH,19.0,73.1\n";
    let report = api.import(csv.as_bytes(), "format=pincodes", APPLIED).await;
    assert_eq!(report["job"]["rows"]["invalid"], 1, "{report}");
    assert!(report["problems"][0]["message"].as_str().unwrap().contains(both), "{report}");

    // An alternate name that is another city's name is refused, naming the field.
    let (code, body) = api.put(&format!("{CITIES}/Panvel/MH"), &json!({"alternate_names": ["Thane"]})).await;
    assert_eq!(code, 422, "{body}");
    assert!(field_error(&body, "alternate_names[0]").contains("maharashtra/thane"), "{body}");
    // And a rename onto another city's name is a conflict.
    let (code, body) = api.put(&format!("{CITIES}/Panvel/MH"), &json!({"city_name": "thane"})).await;
    assert_eq!(code, 409, "{body}");
}

#[tokio::test]
async fn a_new_city_never_takes_the_id_a_renamed_one_keeps() {
    let world = Owned(World::new("names_fresh_id"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let (code, _) = api.post(CITIES, &city("Poona", 18.52, 73.85, &[])).await;
    assert_eq!(code, 202);
    until(&api, "/api/v1/cities/Poona/MH", "id", json!("maharashtra/poona")).await;
    // Renamed, and told to keep no alternate name: "Poona" is free again.
    let (code, body) =
        api.put(&format!("{CITIES}/Poona/MH"), &json!({"city_name": "Pune", "alternate_names": []})).await;
    assert_eq!(code, 202, "{body}");
    until(&api, "/api/v1/cities/Pune/MH", "alternate_names", json!([])).await;
    let (code, body) = api.post(CITIES, &city("Poona", 18.6, 73.9, &[])).await;
    assert_eq!(code, 202, "{body}");
    let poona = until(&api, "/api/v1/cities/Poona/MH", "name", json!("Poona")).await;
    assert_eq!(poona["id"], "maharashtra/poona-2");
    let (_, pune) = api.get("/api/v1/cities/Pune/MH").await;
    assert_eq!(pune["id"], "maharashtra/poona", "the renamed city keeps its id");
}
