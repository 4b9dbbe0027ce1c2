//! Every route, and the layers around them: server-rendered pages and server
//! functions (leptos_axum), the REST API, static files, and the health
//! endpoints and metrics; sessions, the guard, compression, the security
//! headers, request tracing and counting around all of it.

use std::sync::Arc;

use app::api::ssr::SharedLedger;
use app::{shell, App};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use super::headers::SecurityHeaders;
use super::limits::BodyLimits;
use super::state::AppState;
use super::{error, guard, headers, health, limits, metrics, openapi, rest, schemas};
use crate::auth::MongoSessionStore;

pub fn router(state: AppState) -> Router {
    let ledger: SharedLedger = Arc::new(state.clone());
    let leptos_options = state.leptos_options.clone();
    let routes = generate_route_list(App);
    let page_guard = guard::PageGuard::new(state.config.secure_cookies, &state.config.site_root());
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .route(guard::DOCS_PAGE, get(openapi::docs_page))
        .route("/api/v1/openapi.json", get(openapi::document_json))
        .route("/schemas/{file}", get(schemas::schema_file))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(ledger.clone()),
            move || shell(leptos_options.clone()),
        )
        .nest("/api/v1", rest::routes(&state))
        .route_layer(axum::middleware::from_fn(metrics::note_route))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(state.leptos_options.hash_files, bundle_caching))
        .layer(axum::middleware::from_fn(error::server_fn_status))
        .layer(axum::middleware::from_fn_with_state(
            BodyLimits { upload: state.config.import.import_max_bytes },
            limits::limit_bodies,
        ))
        .layer(axum::middleware::from_fn_with_state(page_guard, guard::pages))
        .layer(session_layer(&state))
        // gzip or brotli, as the browser accepts: the wasm bundle above all.
        // (Never the live stream: the default predicate leaves text/event-stream alone.)
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            SecurityHeaders::new(&state.config.tile_url, state.config.secure_cookies),
            headers::secure,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(metrics::count))
        .with_state(state)
}

/// The bundle's files (`/pkg/`) carry their content's hash in their names when
/// cargo-leptos hashed them, so a browser keeps them a year without asking
/// again and a new build is fetched by its new names. Unhashed, they are asked
/// for again each time (`no-cache`: the answer may be 304).
async fn bundle_caching(State(hashed): State<bool>, request: Request, next: Next) -> Response {
    let bundle = request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    if bundle && response.status().is_success() {
        let rule = if hashed { "public, max-age=31536000, immutable" } else { "no-cache" };
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(rule));
    }
    response
}

/// HttpOnly, SameSite=Strict session cookies (Secure when served over https),
/// kept in MongoDB and ended after 12 idle hours.
fn session_layer(state: &AppState) -> SessionManagerLayer<MongoSessionStore> {
    SessionManagerLayer::new(state.sessions.clone())
        .with_name("geoledger_session")
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(state.config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(12)))
}
