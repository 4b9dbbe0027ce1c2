//! The answer to a write: where its event landed.

use serde::{Deserialize, Serialize};

use super::error::AppError;

/// Where an event landed (the REST API's 202 body).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Published {
    pub event_id: String,
    pub event_type: String,
    pub subject: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// A write's answer: published, or refused with nothing published.
pub type WriteResult = Result<Published, AppError>;
