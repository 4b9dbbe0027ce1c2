//! How a failure becomes an answer, for both doors: the REST API (a status and
//! `{"error": …, "errors": [{field, message}]}`) and the server functions (the
//! `AppError` itself).
//!
//! A backend failure is logged here, once, where it becomes an answer — and
//! nowhere else: the service and the conversions into `Error` never log.

use app::domain::error::AppError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::rest::bodies::ErrorBody;
use crate::error::Error;

/// What the caller is told of `error`; a backend failure is logged first.
pub fn answer(error: Error) -> AppError {
    if error.is_backend_failure() {
        tracing::error!(%error, "a backend failed");
    }
    error.to_app_error()
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let public = answer(self);
        let status = StatusCode::from_u16(public.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let errors = match &public {
            AppError::Invalid(errors) => Some(errors.errors.clone()),
            _ => None,
        };
        let body = ErrorBody { error: public.to_string(), errors };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = public.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Server functions live under /api/ (the REST API under /api/v1/ is not one).
pub fn is_server_fn(path: &str) -> bool {
    path.starts_with("/api/") && !path.starts_with("/api/v1/")
}

/// A server function whose call fails before its own code runs (arguments
/// that do not decode, a body cut off at its limit) is answered by the
/// server-function machinery with 500 whatever the error; this gives such an
/// answer its error's own status (400 for a bad request), as `answer` does
/// for the errors the functions return.
pub async fn server_fn_status(request: Request, next: Next) -> Response {
    let server_fn = is_server_fn(request.uri().path());
    let response = next.run(request).await;
    if !server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the answer could not be read").into_response();
    };
    if let Some(status) =
        serde_json::from_slice::<AppError>(&bytes).ok().and_then(|e| StatusCode::from_u16(e.status()).ok())
    {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A server function's call refused at the door (before the function runs),
/// answered as the function itself would: its error as JSON, with its status.
pub fn server_fn_refusal(error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(&error).unwrap_or_default();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
