//! Every route, and the layers around them: server-rendered pages and server
//! functions (leptos_axum), the REST API, static files, and the health
//! endpoints and metrics; sessions, the guard, compression, request tracing
//! and counting around all of it.

use std::sync::Arc;

use app::api::ssr::SharedLedger;
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use super::state::AppState;
use super::{guard, health, metrics, rest};
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
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(ledger.clone()),
            move || shell(leptos_options.clone()),
        )
        .nest("/api/v1", rest::routes(&state))
        .route_layer(axum::middleware::from_fn(metrics::note_route))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(page_guard, guard::pages))
        .layer(session_layer(&state))
        // gzip or brotli, as the browser accepts: the wasm bundle above all.
        // (Never the live stream: the default predicate leaves text/event-stream alone.)
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(metrics::count))
        .with_state(state)
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
