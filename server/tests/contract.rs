//! What GeoLedger promises the engineers who write its clients, served by the
//! real binary: the OpenAPI document and its viewer, and the Avro schema each
//! event's `dataschema` names — to anyone, and cacheable.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn the_schema_an_event_names_is_served_to_anyone_and_cached() {
    let world = Owned(World::new("contract_schemas"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let city = json!({"city_name": "Schemapur", "state": "Goa", "latitude": 15.4, "longitude": 73.9});
    let (code, body) = api.post("/api/v1/location-updates/cities", &city).await;
    assert_eq!(code, 202, "{body}");

    // The event on the topic names its schema by address.
    let topic = world.topic("city-updates");
    let page = api
        .eventually(&format!("/api/v1/kafka/topics/{topic}/messages"), Duration::from_secs(20), |c, b| {
            c == 200 && b["messages"].as_array().is_some_and(|m| !m.is_empty())
        })
        .await;
    let event: Value = serde_json::from_str(page["messages"][0]["value"].as_str().unwrap()).unwrap();
    let address = event["dataschema"].as_str().unwrap().to_string();
    assert_eq!(address, "/schemas/city.created.v1.avsc");

    // Anyone fetches it: the file as it is in schemas/, JSON, kept for a day.
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = anonymous.get(server.url(&address)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let header = |r: &reqwest::Response, name: &str| r.headers().get(name).unwrap().to_str().unwrap().to_string();
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(header(&response, "cache-control"), "public, max-age=86400");
    let etag = header(&response, "etag");
    let served = response.bytes().await.unwrap();
    assert_eq!(served.as_ref(), std::fs::read(repo_root().join("schemas/city.created.v1.avsc")).unwrap());

    // A cache that holds it asks with its ETag: 304, nothing sent again.
    let again = anonymous.get(server.url(&address)).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 304);
    assert!(again.bytes().await.unwrap().is_empty());

    // Only the schema files: no other name, no way out of the folder (a path that is no
    // schema file is a page, and asks an anonymous caller to sign in).
    for path in ["/schemas/city.created.v9.avsc", "/schemas/..%2FCargo.toml", "/schemas/%2E%2E%2Fserver%2FCargo.toml"] {
        let status = anonymous.get(server.url(path)).send().await.unwrap().status().as_u16();
        assert!(status == 404 || status == 303, "{path}: {status}");
    }
}

#[tokio::test]
async fn the_openapi_document_and_its_viewer_are_served_to_anyone() {
    let world = Owned(World::new("contract_openapi"));
    let server = world.server();
    let anonymous = reqwest::Client::new();

    let response = anonymous.get(server.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let served: Value = response.json().await.unwrap();
    assert_eq!(served, serde_json::to_value(geoledger::http::openapi::document()).unwrap());
    assert!(served["paths"]["/api/v1/location-updates/cities"]["post"].is_object());

    // The viewer: its scripts are files with this answer's nonce, and the policy
    // allows nothing more for scripts than every page's.
    let response = anonymous.get(server.url("/api/docs")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let policy = response.headers()["content-security-policy"].to_str().unwrap().to_string();
    let html = response.text().await.unwrap();
    let scripts = policy.split(';').map(str::trim).find(|d| d.starts_with("script-src")).unwrap();
    let nonce = scripts.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert_eq!(scripts, format!("script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'"));
    let tags: Vec<&str> = html.split("<script").skip(1).collect();
    assert_eq!(tags.len(), 2, "{html}");
    for tag in tags {
        assert!(tag.starts_with(&format!(" nonce=\"{nonce}\" src=\"/swagger-ui/")), "{tag}");
        assert!(tag.contains("></script>"), "no inline script: {tag}");
    }
    assert!(html.contains("/swagger-ui/swagger-ui.css"));
    for file in ["swagger-ui-bundle.js", "swagger-ui.css", "geoledger-api-docs.js"] {
        assert!(repo_root().join("public/swagger-ui").join(file).is_file(), "{file} is vendored");
    }
}
