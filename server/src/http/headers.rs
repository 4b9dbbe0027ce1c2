//! The security headers on every answer.
//!
//! Invariant: every response carries a Content-Security-Policy whose scripts
//! are only those with this request's nonce (and what they load: the wasm
//! glue, the split loader), never inline ones without it; no page can be
//! framed; no file is sniffed as another type; other sites are told only our
//! origin, never our paths; served over https (`GEOLEDGER_SECURE_COOKIES`),
//! browsers are told to come back over https only (HSTS).
//!
//! The nonce is drawn here, per request, and handed to the page's renderer in
//! the request's extensions (`app::shell` marks its scripts with it), so the
//! header and the page agree whatever renders the page: a route, or the
//! not-found fallback.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::Nonce;

/// The policy, built once from the configuration, less the nonce.
#[derive(Clone)]
pub struct SecurityHeaders {
    /// The Content-Security-Policy after its script nonce: everything the
    /// configuration decides (the tile server's origin among the images).
    policy_rest: Arc<str>,
    /// Whether GeoLedger is served over https (behind a TLS proxy).
    https: bool,
}

impl SecurityHeaders {
    /// The policy:
    ///
    /// - scripts: the nonce'd ones and what they load (`strict-dynamic`), and
    ///   the wasm they compile (`wasm-unsafe-eval`): no inline script without
    ///   the nonce, no `eval`;
    /// - styles: our files, and the inline styles Leaflet and the views set on
    ///   elements (`unsafe-inline` for styles only);
    /// - images: ours, Leaflet's data URIs and the tile server (the origin of
    ///   `tile_url`; none when the map has no tiles);
    /// - fetches and the live stream: this origin only;
    /// - never framed, no plugins, no `<base>`, forms post here only.
    pub fn new(tile_url: &str, https: bool) -> Self {
        let tiles = tile_origin(tile_url);
        let tiles = if tiles.is_empty() { tiles } else { format!(" {tiles}") };
        let policy_rest = format!(
            "' 'strict-dynamic' 'wasm-unsafe-eval'; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:{tiles}; connect-src 'self'; \
             font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        SecurityHeaders { policy_rest: policy_rest.into(), https }
    }

    /// The Content-Security-Policy for one answer, whose scripts carry `nonce`.
    pub fn content_security_policy(&self, nonce: &str) -> String {
        format!("default-src 'self'; script-src 'nonce-{nonce}{}", self.policy_rest)
    }
}

/// The origin of a tile URL template: `https://{s}.tile.example/{z}/{x}/{y}.png`
/// → `https://*.tile.example`. Empty for no tiles, or a template that names no
/// http(s) origin.
pub fn tile_origin(template: &str) -> String {
    let Some((scheme, rest)) = template.split_once("://") else { return String::new() };
    if scheme != "https" && scheme != "http" {
        return String::new();
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || "-.:{}*".contains(c)) {
        return String::new();
    }
    // A subdomain placeholder ({s}, {switch:a,b}) may stand only for the leftmost label.
    let host = match host.split_once('.') {
        Some((first, domain)) if first.starts_with('{') && first.ends_with('}') => format!("*.{domain}"),
        _ => host.to_string(),
    };
    if host.contains(['{', '}']) {
        return String::new();
    }
    format!("{scheme}://{host}")
}

/// Draws the request's nonce, lets the request through, and sets the headers
/// on whatever answers it.
pub async fn secure(State(headers): State<SecurityHeaders>, mut request: Request, next: Next) -> Response {
    let nonce = Nonce::new();
    let policy = headers.content_security_policy(&nonce);
    request.extensions_mut().insert(nonce);
    let mut response = next.run(request).await;
    let set = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        set.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    set.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    set.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    set.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    if headers.https {
        set.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tile_template_gives_its_origin() {
        assert_eq!(tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png"), "https://tile.openstreetmap.org");
        assert_eq!(tile_origin("https://{s}.tile.example:8443/{z}/{x}/{y}.png"), "https://*.tile.example:8443");
        assert_eq!(tile_origin("http://localhost:8080/tiles/{z}/{x}/{y}"), "http://localhost:8080");
        assert_eq!(tile_origin(""), "");
        assert_eq!(tile_origin("/tiles/{z}/{x}/{y}.png"), "");
        assert_eq!(tile_origin("javascript://x/{z}"), "");
        assert_eq!(tile_origin("https://a.{s}.example/{z}"), "", "a placeholder past the first label");
        assert_eq!(tile_origin("https://x.example'; script-src *;/{z}"), "", "no policy text through the template");
    }

    #[test]
    fn the_policy_allows_no_inline_script_without_the_nonce() {
        let policy = SecurityHeaders::new("https://tile.example/{z}/{x}/{y}.png", false).content_security_policy("abc");
        let scripts = policy.split(';').map(str::trim).find(|d| d.starts_with("script-src")).unwrap();
        assert_eq!(scripts, "script-src 'nonce-abc' 'strict-dynamic' 'wasm-unsafe-eval'");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("img-src 'self' data: blob: https://tile.example;"), "{policy}");
    }
}
