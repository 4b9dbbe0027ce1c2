//! The answer to a write: where its event landed, or why it was refused.

use super::validation::ValidationErrors;
use serde::{Deserialize, Serialize};

/// Where an event landed (the REST API's 202 body).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Published {
    pub event_id: String,
    pub event_type: String,
    pub subject: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// Why a write was refused; nothing was published.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Invalid(ValidationErrors),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Kafka or MongoDB is away; try again.
    #[error("{0}")]
    Unavailable(String),
}

pub type WriteResult = Result<Published, Refusal>;
