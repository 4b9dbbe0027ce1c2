//! The events' Avro schemas (`schemas/`, built into the binary), served
//! where each event's `dataschema` points: `GET /schemas/NAME.avsc`, to
//! anyone, cacheable; and read for people on the `/schemas` page.
//!
//! Invariant: every file of `schemas/` is served, byte for byte as in the
//! repository, and nothing else is; its ETag is its content's hash, so a
//! cached copy is asked after and kept while the file is unchanged.

use app::domain::schema::{summarize, EventSchema};
use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use include_dir::{include_dir, Dir};
use sha2::{Digest, Sha256};

use crate::error::Error;

static SCHEMAS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../schemas");

/// A path anyone may fetch: a schema file.
pub fn is_schema_file(path: &str) -> bool {
    path.strip_prefix("/schemas/").is_some_and(|file| file.ends_with(".avsc") && !file.contains('/'))
}

/// Every schema, summarized, in the order of their files' names.
pub fn event_schemas() -> Vec<EventSchema> {
    let mut files: Vec<_> = SCHEMAS.files().collect();
    files.sort_by_key(|f| f.path());
    files
        .into_iter()
        .filter_map(|f| {
            let name = f.path().file_name()?.to_str()?;
            // Built in from the repository and checked by the tests: a file that is no
            // event schema is not one to list.
            summarize(name, f.contents_utf8()?).ok()
        })
        .collect()
}

/// `GET /schemas/{file}`: the file as it is in `schemas/`, `application/json`
/// (an Avro schema is JSON), kept by caches for a day and asked after by its
/// ETag (304 when unchanged).
pub async fn schema_file(Path(file): Path<String>, request: HeaderMap) -> Response {
    let Some(found) = SCHEMAS.get_file(&file).filter(|_| file.ends_with(".avsc")) else {
        return Error::not_found(format!("no schema {file}")).into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(found.contents())[..16]));
    let cached = request.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str());
    let headers = [
        (header::CONTENT_TYPE, "application/json".to_string()),
        (header::CACHE_CONTROL, "public, max-age=86400".to_string()),
        (header::ETAG, etag),
    ];
    if cached {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, found.contents()).into_response()
}

#[cfg(test)]
mod tests {
    use app::domain::event::EventType;

    use super::*;

    #[test]
    fn every_event_type_has_its_schema_built_in_and_listed() {
        let listed: Vec<String> = event_schemas().into_iter().map(|s| s.url).collect();
        for t in EventType::ALL {
            assert!(listed.contains(&t.dataschema()), "{} is not listed: {listed:?}", t.dataschema());
        }
        assert_eq!(listed.len(), SCHEMAS.files().count(), "every file is an event schema");
    }

    #[test]
    fn only_schema_files_are_public() {
        assert!(is_schema_file("/schemas/city.created.v1.avsc"));
        assert!(!is_schema_file("/schemas"));
        assert!(!is_schema_file("/schemas/"));
        assert!(!is_schema_file("/schemas/x/../y.avsc"));
        assert!(!is_schema_file("/schemas/city.created.v1.json"));
    }
}
