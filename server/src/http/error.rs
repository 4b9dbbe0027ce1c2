//! How a failure becomes an answer, for both doors: the REST API (a status and
//! `{"error": …, "errors": [{field, message}]}`) and the server functions (the
//! `AppError` itself).
//!
//! A backend failure is logged here, once, where it becomes an answer — and
//! nowhere else: the service and the conversions into `Error` never log.

use app::domain::error::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::Error;

/// What the caller is told of `error`; a backend failure is logged first.
pub fn answer(error: Error) -> AppError {
    if error.is_backend_failure() {
        tracing::error!("{error}");
    }
    error.to_app_error()
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let public = answer(self);
        let status = StatusCode::from_u16(public.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = match &public {
            AppError::Invalid(errors) => json!({ "error": public.to_string(), "errors": errors.errors }),
            _ => json!({ "error": public.to_string() }),
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
