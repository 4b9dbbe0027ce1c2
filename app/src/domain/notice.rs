//! What the server tells every open browser after the materializer handled an
//! event (`GET /api/v1/stream`, server-sent events).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The read model now reflects the event.
    Applied,
    /// The event could not be applied; it is in the dead-letter topic.
    Failed { reason: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
