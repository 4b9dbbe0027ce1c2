//! A city's history: the events applied to it (and to its pincodes), newest first.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub event_id: String,
    pub event_type: String,
    /// The city id or the pincode the event was about.
    pub subject: String,
    /// Who made the change.
    pub actor: String,
    /// When it was made (the event's time, RFC 3339).
    pub time: String,
    /// A one-line account of the change, for people.
    pub summary: String,
}

/// A city with its pincodes and history, for its own page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CityDetails {
    pub city: super::city::City,
    pub pincodes: Vec<super::pincode::Pincode>,
    pub history: Vec<HistoryEntry>,
}
