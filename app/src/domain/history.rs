//! An entity's history: the events applied to it, newest first, each with
//! what it changed field by field (`changes`) and where it sits in Kafka.
//! A city's history holds its pincodes' events too.

use serde::{Deserialize, Serialize};

use super::validation::{page_limit, ValidationErrors};

pub use super::changes::FieldChange;

/// Where an event sits in Kafka: its message in the topic's message browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventAt {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// One applied event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    pub event_id: String,
    /// The event's type (`city.updated`, …).
    #[serde(rename = "type")]
    pub event_type: String,
    /// The city id or the pincode the event was about.
    pub subject: String,
    /// Who made the change.
    pub actor: String,
    /// When it was made (the event's time, RFC 3339).
    #[serde(rename = "at")]
    pub time: String,
    /// The import job the change came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_job: Option<String>,
    /// A one-line account of the change, for people.
    pub summary: String,
    /// The event this one reverted, if it was a revert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverts: Option<String>,
    /// Each field it changed (a create: each field it set, from null).
    /// Empty for events applied before GeoLedger recorded changes.
    #[serde(default)]
    pub changes: Vec<FieldChange>,
    /// Its message; none for events applied before GeoLedger recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventAt>,
}

/// A page of history, newest first; `next_cursor` reads the next (older) page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    pub next_cursor: Option<String>,
}

/// A history cursor: the time (milliseconds) and id of the last entry shown.
pub fn cursor(time_millis: i64, event_id: &str) -> String {
    format!("{time_millis}.{event_id}")
}

/// Reads a cursor back; `None` when it is not one.
pub fn parse_cursor(cursor: &str) -> Option<(i64, &str)> {
    let (millis, id) = cursor.split_once('.')?;
    Some((millis.parse().ok()?, id)).filter(|(_, id)| !id.is_empty())
}

/// The entries a history page holds unless asked, and at most.
pub const PAGE: usize = 50;
pub const MAX_PAGE: usize = 200;

/// A history page as asked (`?cursor=&limit=`), each error naming its field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistoryQuery {
    /// Older than this entry: its time (ms) and event id.
    pub before: Option<(i64, String)>,
    pub limit: usize,
}

impl HistoryQuery {
    pub fn read(cursor: Option<&str>, limit: Option<&str>) -> Result<HistoryQuery, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let cursor = cursor.map(str::trim).filter(|c| !c.is_empty());
        let before = match cursor.map(|c| (c, parse_cursor(c))) {
            None => None,
            Some((_, Some((millis, id)))) => Some((millis, id.to_string())),
            Some((raw, None)) => {
                errors.add("cursor", format!("'{raw}' is not a cursor this history gave"));
                None
            }
        };
        let limit = page_limit(limit, PAGE, MAX_PAGE).unwrap_or_else(|why| {
            errors.add("limit", why);
            PAGE
        });
        if errors.is_empty() {
            Ok(HistoryQuery { before, limit })
        } else {
            Err(errors)
        }
    }
}

/// A city with its pincodes and history, for its own page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CityDetails {
    pub city: super::city::City,
    pub pincodes: Vec<super::pincode::Pincode>,
    pub history: Vec<HistoryEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_a_stranger_does_not() {
        let c = cursor(1_796_000_000_123, "01a2-ff");
        assert_eq!(parse_cursor(&c), Some((1_796_000_000_123, "01a2-ff")));
        assert_eq!(parse_cursor("nonsense"), None);
        assert_eq!(parse_cursor("12."), None);
        assert_eq!(parse_cursor("x.abc"), None);
    }

    #[test]
    fn a_query_names_its_bad_fields() {
        let q = HistoryQuery::read(Some("17.abc"), Some("10")).unwrap();
        assert_eq!(q, HistoryQuery { before: Some((17, "abc".into())), limit: 10 });
        assert_eq!(HistoryQuery::read(None, None).unwrap().limit, PAGE);
        let e = HistoryQuery::read(Some("nope"), Some("0")).unwrap_err();
        assert!(e.for_field("cursor").is_some() && e.for_field("limit").is_some(), "{e:?}");
    }
}
