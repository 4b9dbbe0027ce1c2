//! Why a request did not do what it asked.
//!
//! One type for every answer that is not a success: the server functions return
//! it (encoded as JSON, decoded in the browser into the same enum), and the REST
//! API answers with its status and message. Each variant has one HTTP status, so
//! the browser and a script see the same refusal the same way.

use serde::{Deserialize, Serialize};

use super::validation::ValidationErrors;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Fields break the domain's rules; every one is named.
    #[error("invalid input: {0}")]
    Invalid(ValidationErrors),
    /// The request itself is malformed (not JSON, arguments missing).
    #[error("{0}")]
    BadRequest(String),
    /// Not signed in, a wrong password, or a missing or revoked API token.
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    NotFound(String),
    /// The change contradicts what is there (a name taken, a city deleted already).
    #[error("{0}")]
    Conflict(String),
    /// An upload over the configured size.
    #[error("{0}")]
    TooLarge(String),
    /// Too many attempts (sign-ins): try again after `retry_after` seconds.
    #[error("{message}")]
    TooMany { message: String, retry_after: u64 },
    /// Kafka or MongoDB is away: nothing was saved; try again.
    #[error("{0}")]
    Unavailable(String),
    /// The browser could not reach the server, or could not read its answer.
    #[error("the GeoLedger server could not be reached: {0}")]
    Unreachable(String),
    /// A fault in GeoLedger itself.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// The HTTP status this answer goes with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid(_) => 422,
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized(_) => 401,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::TooLarge(_) => 413,
            AppError::TooMany { .. } => 429,
            AppError::Unavailable(_) => 503,
            AppError::Unreachable(_) => 502,
            AppError::Internal(_) => 500,
        }
    }

    /// When to ask again, in seconds (the `Retry-After` header), for a refusal that says.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooMany { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// A single field refused: `AppError::invalid("state", "is not a state")`.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(ValidationErrors::single(field, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_refusal_has_its_own_status() {
        let statuses = [
            AppError::invalid("state", "x").status(),
            AppError::BadRequest("x".into()).status(),
            AppError::Unauthorized("x".into()).status(),
            AppError::NotFound("x".into()).status(),
            AppError::Conflict("x".into()).status(),
            AppError::TooLarge("x".into()).status(),
            AppError::TooMany { message: "x".into(), retry_after: 1 }.status(),
            AppError::Unavailable("x".into()).status(),
            AppError::Unreachable("x".into()).status(),
            AppError::Internal("x".into()).status(),
        ];
        assert_eq!(statuses, [422, 400, 401, 404, 409, 413, 429, 503, 502, 500]);
    }

    #[test]
    fn an_invalid_input_names_its_fields_when_shown() {
        let e = AppError::invalid("latitude", "must be a number");
        assert_eq!(e.to_string(), "invalid input: latitude: must be a number");
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), e, "crosses the wire unchanged");
    }
}
