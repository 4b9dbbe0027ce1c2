//! What can stop a request, in one type: a refusal the caller should see as it
//! is (invalid fields, not found, a conflict), or a backend that failed (MongoDB,
//! Kafka), which the caller sees only as "unavailable, nothing was saved".
//!
//! The service returns it; the HTTP side turns it into an answer, and logs a
//! backend failure there, once (`http::error::answer`).

use app::domain::error::AppError;
use app::domain::validation::ValidationErrors;

use crate::pipeline::KafkaError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller's request cannot be done as asked.
    #[error(transparent)]
    Refused(#[from] AppError),
    /// The read model could not be read.
    #[error("MongoDB: {0}")]
    Store(#[from] mongodb::error::Error),
    /// The change could not be published.
    #[error(transparent)]
    Kafka(#[from] KafkaError),
}

impl Error {
    pub fn invalid(errors: ValidationErrors) -> Self {
        AppError::Invalid(errors).into()
    }

    pub fn not_found(message: String) -> Self {
        AppError::NotFound(message).into()
    }

    pub fn conflict(message: String) -> Self {
        AppError::Conflict(message).into()
    }

    /// True when a backend failed (worth an admin's attention), not the caller.
    pub fn is_backend_failure(&self) -> bool {
        !matches!(self, Error::Refused(_))
    }

    /// What the caller is told.
    pub fn to_app_error(&self) -> AppError {
        match self {
            Error::Refused(e) => e.clone(),
            Error::Store(_) => AppError::Unavailable("the database is unavailable; nothing was saved".into()),
            // A write that Kafka did not take: say that nothing was saved.
            Error::Kafka(e @ (KafkaError::TimedOut | KafkaError::Unreachable | KafkaError::Refused(_))) => {
                AppError::Unavailable(format!("{e}; nothing was saved"))
            }
            Error::Kafka(e) => AppError::Unavailable(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backend_failure_is_told_as_unavailable_and_nothing_saved() {
        let kafka = Error::from(KafkaError::Unreachable);
        assert!(kafka.is_backend_failure());
        assert_eq!(kafka.to_app_error(), AppError::Unavailable("Kafka is unreachable; nothing was saved".into()));
        let refused = Error::conflict("Noida in Uttar Pradesh exists already".into());
        assert!(!refused.is_backend_failure());
        assert_eq!(refused.to_app_error().status(), 409);
    }
}
