//! The route table of docs/api.md (its "## Routes" section): who may call
//! what. `security.rs` walks it against a running server; `openapi.rs` holds
//! the OpenAPI document to it. One reader for both.

use std::path::PathBuf;

/// One row: `GET`, `/api/v1/cities`, `token, or session`.
#[derive(Debug)]
pub struct RouteRule {
    pub method: String,
    pub path: String,
    pub rule: String,
}

/// Every row of the table (the static files' row aside).
pub fn route_table() -> Vec<RouteRule> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let api = std::fs::read_to_string(root.join("docs/api.md")).unwrap();
    let section = api.split("\n## Routes").nth(1).expect("docs/api.md has a ## Routes section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
            let [method, path, rule] = cells[..] else { return None };
            let path = path.strip_prefix('`')?.strip_suffix('`')?;
            (["GET", "POST", "PUT", "DELETE"].contains(&method) && !path.contains('`')).then(|| RouteRule {
                method: method.into(),
                path: path.into(),
                rule: rule.into(),
            })
        })
        .collect()
}
