//! How much, and what, a server function's request may send: a little, and
//! the import's upload as much as an import takes, as a multipart form.
//!
//! Invariant: no server function reads more than its limit of body, whatever
//! the request says of its length: a declared length over it is refused at
//! once (413, with the limit named), and a body that runs over it is cut off
//! where it does. The upload is a multipart form with a boundary, or 400
//! (server_fn's multipart reader panics on one without).
//!
//! The REST API limits its own bodies: JSON by `GEOLEDGER_JSON_MAX_BYTES`,
//! CSV by `GEOLEDGER_IMPORT_MAX_BYTES`.

use app::domain::error::AppError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use super::error::{is_server_fn, server_fn_refusal};
use crate::import::spool::human_bytes;

/// The most a server function's arguments take: forms and JSON of a few fields.
pub const SERVER_FN_MAX_BYTES: u64 = 64 * 1024;

/// The server function that takes an upload (the import page's file).
const UPLOAD_SERVER_FN: &str = "/api/start_import";

#[derive(Clone, Copy)]
pub struct BodyLimits {
    /// The largest file an import takes.
    pub upload: u64,
}

impl BodyLimits {
    /// The most a request to `path` may send, if this layer limits it.
    fn of(&self, path: &str) -> Option<u64> {
        match path {
            UPLOAD_SERVER_FN => Some(self.upload),
            _ if is_server_fn(path) => Some(SERVER_FN_MAX_BYTES),
            _ => None,
        }
    }
}

pub async fn limit_bodies(State(limits): State<BodyLimits>, request: Request, next: Next) -> Response {
    let Some(limit) = limits.of(request.uri().path()) else {
        return next.run(request).await;
    };
    if request.uri().path() == UPLOAD_SERVER_FN {
        let kind = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if multer::parse_boundary(kind).is_err() {
            let message = "send the file as multipart/form-data (a field named file)".to_string();
            return server_fn_refusal(AppError::BadRequest(message));
        }
    }
    let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        let message = format!("the request is over {}, the most this call takes", human_bytes(limit));
        return server_fn_refusal(AppError::TooLarge(message));
    }
    let (parts, body) = request.into_parts();
    let limited = Body::new(http_body_util::Limited::new(body, limit as usize));
    next.run(Request::from_parts(parts, limited)).await
}
