//! The REST API's contract: an OpenAPI 3.1 document made from the handlers'
//! `#[utoipa::path]` and the bodies' schemas (utoipa), served at
//! `GET /api/v1/openapi.json`, and shown by Swagger UI at `/api/docs`.
//!
//! Invariant: the document is built from the code, never written by hand; a
//! route added to `rest::routes` without its path here fails
//! `server/tests/openapi.rs`, as does a document that is not valid OpenAPI.
//! Every operation answers errors as `ErrorBody`: the ones it names, and the
//! ones every route may give (400, 401 where a credential is asked for, 503).

use axum::extract::Extension;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::Json;
use leptos::nonce::Nonce;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::rest::bodies::{BulkAccepted, BulkAnswer, ErrorBody};
use super::rest::{exports, imports, kafka, lookup, quality, reads, writes};
use super::{health, sse};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "GeoLedger",
        description = "India's states, districts, cities and pincodes, each with coordinates. \
            Every write is validated, published to Kafka as an event and answered with where it \
            landed (202); the materializer applies it to MongoDB. Reads come from the read model.",
        license(name = "MIT", identifier = "MIT"),
    ),
    servers((url = "/", description = "This GeoLedger")),
    paths(
        writes::create_city, writes::create_cities, writes::update_city, writes::delete_city,
        writes::restore_city, writes::upsert_pincode, writes::upsert_pincodes, writes::delete_pincode,
        writes::revert_change,
        reads::list_cities, reads::get_city, reads::city_history, reads::map_view, reads::get_pincode,
        reads::pincode_history, reads::activity,
        lookup::nearest, lookup::nearest_batch, lookup::search,
        quality::summary, quality::findings, quality::accept,
        imports::create_import, imports::list_imports, imports::get_import, imports::import_report_csv,
        imports::revert_import,
        exports::export_cities, exports::export_pincodes,
        kafka::kafka_cluster, kafka::kafka_group, kafka::kafka_lag, kafka::kafka_messages,
        kafka::dead_letters, kafka::redrive_dead_letters, kafka::discard_dead_letters,
        sse::stream, health::kafka_health, document_json,
    ),
    // Named here: what a route names only through an `IntoResponses` type
    // (the bulk routes' `BulkResponses`) or an SSE event is not collected.
    components(schemas(
        ErrorBody, BulkAccepted, BulkAnswer, app::domain::notice::ChangeNotice, app::domain::kafka::LagReport,
        app::domain::quality::QualitySummary,
    )),
    modifiers(&Credentials, &CommonErrors),
    tags(
        (name = "cities", description = "Cities: writes publish events; reads come from the read model"),
        (name = "pincodes", description = "Pincodes, each in its city"),
        (name = "lookup", description = "Which pincode and city a place is in; a search box over every name"),
        (name = "quality", description = "Where the data is likely wrong: findings per rule, accepted with a reason"),
        (name = "history", description = "What changed, by whom, across every city and pincode"),
        (name = "imports", description = "CSV files imported as jobs, with reports"),
        (name = "exports", description = "Every city or pincode, streamed, pinned to the Kafka offsets it holds"),
        (name = "kafka", description = "The cluster, consumer groups, messages and dead letters"),
        (name = "live", description = "Every change as it is applied, over server-sent events"),
        (name = "health", description = "For load balancers and monitors: no credential"),
    ),
)]
struct ApiDoc;

/// The document, as served.
pub fn document() -> Document {
    ApiDoc::openapi()
}

/// This document.
#[utoipa::path(
    get, path = "/api/v1/openapi.json", tag = "health",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object),
    ),
    security(())
)]
pub async fn document_json() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-cache")], Json(document()))
}

/// Swagger UI (vendored in `public/swagger-ui/`) on the document; its scripts
/// carry the request's nonce, so the page needs nothing the policy forbids.
pub async fn docs_page(Extension(nonce): Extension<Nonce>) -> impl IntoResponse {
    Html(format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GeoLedger API</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script nonce="{nonce}" src="/swagger-ui/swagger-ui-bundle.js"></script>
<script nonce="{nonce}" src="/swagger-ui/geoledger-api-docs.js"></script>
</body>
</html>
"#
    ))
}

/// The two ways to call: an API token (`geoledger token create`) as a bearer
/// token, or, for reads, a signed-in admin's session cookie.
struct Credentials;

impl Modify for Credentials {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("An API token: `geoledger token create --name NAME` prints one"))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let cookie = ApiKeyValue::with_description(
            "geoledger_session",
            "A signed-in admin's session (reads only, and from this site's pages)",
        );
        components.add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(cookie)));
    }
}

/// The errors any route may answer, added to each operation that does not
/// name them itself: 400 (a body or parameter that cannot be read), 401 (a
/// route that asks for a credential, without a valid one) and 503 (Kafka or
/// MongoDB away: nothing was saved).
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, doc: &mut Document) {
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build()
        };
        for item in doc.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                let needs_credential =
                    operation.security.as_ref().is_none_or(|s| !s.iter().all(|r| *r == Default::default()));
                let responses = &mut operation.responses.responses;
                let mut add = |code: &str, description: &str| {
                    responses.entry(code.to_string()).or_insert_with(|| error(description).into());
                };
                add("400", "The request could not be read (a body that is not JSON, a bad parameter)");
                if needs_credential {
                    add("401", "No valid credential: an API token as `Authorization: Bearer …`");
                }
                add("503", "Kafka or MongoDB is away; nothing was saved");
            }
        }
    }
}
