//! Who may pass.
//!
//! - Pages need a signed-in admin (else: to the login page, and back afterwards).
//! - Server functions refuse a request from another origin, and one without
//!   a signed-in admin unless the function is public (signing in, asking who
//!   is signed in); they check the session again themselves.
//! - The REST API needs `Authorization: Bearer <token>`; a signed-in admin's
//!   browser may also read (GET, and the batch of nearest lookups from its
//!   own pages) with its session cookie.

use std::path::Path;
use std::sync::Arc;

use app::api::ssr::SESSION_USER;
use app::domain::error::AppError;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::session::Id;
use tower_sessions::{Session, SessionStore};

use super::error::{is_server_fn, server_fn_refusal};
use super::schemas::is_schema_file;
use super::state::AppState;
use crate::error::Error;
use crate::service::Actor;

/// What the page guard knows: whether GeoLedger is served over https, and the
/// static files (the site root's top-level files and folders: the bundle,
/// Leaflet, the outline, the icon) anyone may fetch.
#[derive(Clone)]
pub struct PageGuard {
    pub secure: bool,
    pub static_entries: Arc<Vec<String>>,
}

impl PageGuard {
    pub fn new(secure: bool, site_root: &Path) -> Self {
        let mut entries: Vec<String> = std::fs::read_dir(site_root)
            .map(|dir| dir.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        // The bundle is there once built; it is public before that too.
        entries.push("pkg".into());
        PageGuard { secure, static_entries: Arc::new(entries) }
    }

    /// Paths anyone may fetch: the login page, health, metrics (for Prometheus),
    /// the events' schemas (a contract, not data),
    /// and the static files:
    /// a top-level file (`/favicon.svg`) or what is under a folder of the site
    /// root. A page whose address has a dot further in (`/kafka/topics/x.DLT`)
    /// is not one.
    fn is_public(&self, path: &str) -> bool {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or_default();
        let top_level_file = first.contains('.') && !path.trim_start_matches('/').contains('/');
        matches!(path, "/login" | "/healthz" | "/readyz" | "/metrics")
            || is_schema_file(path)
            || top_level_file
            || self.static_entries.iter().any(|e| e == first)
    }
}

/// The REST API's documentation (Swagger UI): a page anyone may open, under
/// `/api/` though it is no server function.
pub const DOCS_PAGE: &str = "/api/docs";

/// The server functions anyone may call: signing in, and asking who is signed in.
const PUBLIC_SERVER_FNS: &[&str] = &["/api/login", "/api/current_user"];

/// The guard around pages and server functions; `secure` is whether GeoLedger
/// is served over https.
pub async fn pages(State(guard): State<PageGuard>, session: Session, request: Request, next: Next) -> Response {
    let secure = guard.secure;
    let path = request.uri().path().to_string();
    if path == DOCS_PAGE {
        return next.run(request).await;
    }
    if is_server_fn(&path) {
        if !same_origin(&request, secure) {
            return (StatusCode::FORBIDDEN, "cross-origin request refused").into_response();
        }
        let signed_in = matches!(session.get::<String>(SESSION_USER).await, Ok(Some(_)));
        if !signed_in && !PUBLIC_SERVER_FNS.contains(&path.as_str()) {
            return server_fn_refusal(AppError::Unauthorized("not signed in".into()));
        }
        return next.run(request).await;
    }
    if guard.is_public(&path) || path.starts_with("/api/v1/") || request.method() != Method::GET {
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

/// True for what a session may ask of the REST API: a GET, or the one POST
/// that only reads (a batch of nearest lookups), from this server's own pages.
fn is_read(request: &Request, secure: bool) -> bool {
    request.method() == Method::GET
        || (request.method() == Method::POST
            // Nested under /api/v1, the router sees the path without it.
            && matches!(request.uri().path(), "/lookup/nearest" | "/api/v1/lookup/nearest")
            && same_origin(request, secure))
}

/// The REST API's guard: the token's name (or the admin's email) becomes the
/// events' actor, put in the request for the handler.
pub async fn require_token(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let actor = match token {
        Some(token) => match state.tokens.verify(token).await {
            Ok(Some(name)) => Ok((Actor::token(&name), Credential::Token { token: token.to_string(), name })),
            Ok(None) => Err(unauthorized("the API token is not valid (revoked, or never issued)")),
            Err(e) => Err(Error::Store(e)),
        },
        None => match (session.get::<String>(SESSION_USER).await, session.id()) {
            (Ok(Some(email)), Some(id)) if is_read(&request, state.config.secure_cookies) => {
                Ok((Actor::admin(email), Credential::Session(id)))
            }
            _ => Err(unauthorized(
                "an API token is required: Authorization: Bearer <token> (geoledger token create --name NAME)",
            )),
        },
    };
    match actor {
        Ok((actor, credential)) => {
            request.extensions_mut().insert(actor);
            request.extensions_mut().insert(credential);
            next.run(request).await
        }
        Err(refused) => refused.into_response(),
    }
}

/// What a REST request came with, for what checks it again later (a live
/// stream, while it lasts).
#[derive(Clone, Debug)]
pub enum Credential {
    Token { token: String, name: String },
    Session(Id),
}

impl Credential {
    /// Whose it is, as live streams are counted: a token by name, a session by id.
    pub fn holder(&self) -> String {
        match self {
            Credential::Token { name, .. } => format!("token {name}"),
            Credential::Session(id) => format!("session {id}"),
        }
    }

    /// Whether it still holds: the token is not revoked, the session not ended.
    /// (A store that cannot say is not a no.)
    pub async fn still_holds(&self, state: &AppState) -> bool {
        match self {
            Credential::Token { token, .. } => !matches!(state.tokens.verify(token).await, Ok(None)),
            Credential::Session(id) => match state.sessions.load(id).await {
                Ok(record) => record.is_some_and(|r| r.data.contains_key(SESSION_USER)),
                Err(_) => true,
            },
        }
    }
}

fn unauthorized(message: &str) -> Error {
    AppError::Unauthorized(message.into()).into()
}
