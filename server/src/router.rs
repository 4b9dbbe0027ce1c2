//! The HTTP surface: server-rendered pages and server functions (leptos_axum),
//! static files, and the health endpoints.

use crate::{backend::Backend, config::Config, health};
use app::{
    api::{SharedBackend, SESSION_USER},
    shell, App,
};
use axum::extract::{FromRef, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{routing::get, Router};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
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
        .nest("/api/v1", crate::api::routes(backend.clone()))
        .layer(axum::middleware::from_fn_with_state(config.secure_cookies, guard))
        .layer(session_layer(config, &backend))
        .layer(tower_http::trace::TraceLayer::new_for_http()))
}

/// HttpOnly, SameSite=Strict session cookies (Secure when served over https),
/// kept in MongoDB and ended after 12 idle hours.
fn session_layer(config: &Config, backend: &Backend) -> SessionManagerLayer<crate::auth::MongoSessionStore> {
    SessionManagerLayer::new(backend.sessions.clone())
        .with_name("geoledger_session")
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(12)))
}

/// Paths anyone may fetch: the login page, the bundle and static files, health.
fn is_public(path: &str) -> bool {
    path == "/login"
        || path == "/healthz"
        || path == "/readyz"
        || path.starts_with("/pkg/")
        || path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

/// Server functions live under /api/ (the REST API under /api/v1/ checks its own).
fn is_server_fn(path: &str) -> bool {
    path.starts_with("/api/") && !path.starts_with("/api/v1/")
}

/// Pages need a signed-in admin (else: to the login page, and back afterwards);
/// server functions refuse a request from another origin.
async fn guard(State(secure): State<bool>, session: Session, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if is_server_fn(&path) {
        if !same_origin(&request, secure) {
            return (StatusCode::FORBIDDEN, "cross-origin request refused").into_response();
        }
        return next.run(request).await;
    }
    if is_public(&path) || path.starts_with("/api/v1/") || request.method() != Method::GET {
        return next.run(request).await;
    }
    match session.get::<String>(SESSION_USER).await {
        Ok(Some(_)) => next.run(request).await,
        _ => {
            let wanted = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let mut target = url::form_urlencoded::Serializer::new(String::new());
            target.append_pair("next", wanted);
            Redirect::to(&format!("/login?{}", target.finish())).into_response()
        }
    }
}

/// True when the request's Origin is this server (as the browser reached it).
fn same_origin(request: &Request, secure: bool) -> bool {
    let headers = request.headers();
    let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST)) else {
        return false;
    };
    let scheme = if secure { "https" } else { "http" };
    origin.as_bytes() == format!("{scheme}://{}", host.to_str().unwrap_or_default()).as_bytes()
}
