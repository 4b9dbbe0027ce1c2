//! The HTTP surface: server-rendered pages and server functions (leptos_axum),
//! static files, and the health endpoints.

use crate::{backend::Backend, config::Config, health};
use app::{api::SharedBackend, shell, App};
use axum::{extract::FromRef, routing::get, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub backend: Arc<Backend>,
}

pub fn router(config: &Config, backend: Arc<Backend>) -> anyhow::Result<Router> {
    // The bundle's name and layout are fixed by Cargo.toml's [workspace.metadata.leptos];
    // our own configuration decides where the site is and where we listen.
    let leptos_options = LeptosOptions::builder()
        .output_name("geoledger")
        .site_root(config.site_root().to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .reload_port(std::env::var("LEPTOS_RELOAD_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3001))
        .build();

    let state = AppState { leptos_options: leptos_options.clone(), backend: backend.clone() };
    let for_server_fns: SharedBackend = backend.clone();
    let routes = generate_route_list(App);

    Ok(Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(for_server_fns.clone()),
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state)
        .nest("/api/v1", crate::api::routes(backend))
        .layer(tower_http::trace::TraceLayer::new_for_http()))
}
