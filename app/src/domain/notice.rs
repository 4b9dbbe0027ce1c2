//! What the server tells every open browser (`GET /api/v1/stream`,
//! server-sent events): each event the materializer handled, and how the
//! import jobs under way are getting on.

use serde::{Deserialize, Serialize};

use super::import::job::ImportJob;
use super::kafka::LagReport;
use super::quality::QualitySummary;

/// One message of the live stream.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// An event was applied or dead-lettered (SSE event `change`).
    Change(ChangeNotice),
    /// An import job moved on (SSE event `import`).
    Import(Box<ImportJob>),
    /// The consumer groups' lag, sampled (SSE event `lag`).
    Lag(LagReport),
    /// The quality findings changed: their counts now (SSE event `quality`).
    Quality(QualitySummary),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The read model now reflects the event.
    Applied,
    /// The event could not be applied; it is in the dead-letter topic.
    Failed { reason: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChangeNotice {
    pub event_id: String,
    pub event_type: String,
    /// The city id or the pincode.
    pub entity_id: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    #[serde(flatten)]
    pub outcome: Outcome,
}
