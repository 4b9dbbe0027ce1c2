//! Exports for the services that consume the data: every city or pincode
//! as CSV (the import format), GeoJSON or NDJSON, stating the Kafka
//! positions the file is consistent with.
//!
//! Invariant: every event before the stated positions is in the file (the
//! offsets are the next ones to read, as a consumer group commits them), and
//! each row carries the position of the last event applied to it. A service
//! loads the file, then follows the topics from the stated offsets, and
//! skips any event at or before its row's position: it then holds what the
//! read model holds, without a gap and without applying an event twice.

use serde::{Deserialize, Serialize};

use super::history::EventAt;
use super::state::State;
use super::validation::ValidationErrors;

/// What is exported: the path's last segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Cities,
    Pincodes,
}

impl ExportKind {
    pub fn name(self) -> &'static str {
        match self {
            ExportKind::Cities => "cities",
            ExportKind::Pincodes => "pincodes",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// The import format, with `id`, `deleted_at` and `position` columns
    /// (an import ignores them): a file exported and imported back changes nothing.
    #[default]
    Csv,
    /// A FeatureCollection of Points; the offsets at `geoledger.offsets`.
    GeoJson,
    /// One JSON object a line; the first line is `{"geoledger": {"offsets": …}}`.
    NdJson,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 3] = [ExportFormat::Csv, ExportFormat::GeoJson, ExportFormat::NdJson];

    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::GeoJson => "geojson",
            ExportFormat::NdJson => "ndjson",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::GeoJson => "application/geo+json",
            ExportFormat::NdJson => "application/x-ndjson",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        let wanted = raw.trim().to_ascii_lowercase();
        ExportFormat::ALL.into_iter().find(|f| f.name() == wanted).ok_or_else(|| {
            let names: Vec<&str> = ExportFormat::ALL.iter().map(|f| f.name()).collect();
            format!("'{}' is not a format GeoLedger exports: {}", raw.trim(), names.join(", "))
        })
    }
}

/// What an export holds: a format, and the filter of the page it came from.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ExportQuery {
    pub format: ExportFormat,
    /// The official name of the state, when one was asked for.
    pub state: Option<&'static str>,
    /// Soft-deleted ones too (their `deleted_at` set).
    pub include_deleted: bool,
}

impl ExportQuery {
    /// Reads the query's parameters, naming each one that is wrong.
    pub fn read(format: Option<&str>, state: Option<&str>, include_deleted: bool) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let format = match format.map(str::trim).filter(|f| !f.is_empty()) {
            None => ExportFormat::Csv,
            Some(f) => ExportFormat::parse(f).unwrap_or_else(|m| {
                errors.add("format", m);
                ExportFormat::Csv
            }),
        };
        let state = match state.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match State::parse(s) {
                Ok(found) => Some(found.name),
                Err(m) => {
                    errors.add("state", m);
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(ExportQuery { format, state, include_deleted })
        } else {
            Err(errors)
        }
    }

    /// The address of this export of `kind`, as a link downloads it.
    pub fn href(&self, kind: ExportKind) -> String {
        let mut href = format!("/api/v1/export/{}?format={}", kind.name(), self.format.name());
        if let Some(state) = self.state {
            href.push_str("&state=");
            href.push_str(&state.replace(' ', "%20").replace('&', "%26"));
        }
        if self.include_deleted {
            href.push_str("&include_deleted=true");
        }
        href
    }
}

/// The name of the header stating an export's offsets.
pub const OFFSETS_HEADER: &str = "GeoLedger-Offsets";

/// A position as text: `topic:partition:offset` (a topic's name has no `:`).
pub fn position_text(at: &EventAt) -> String {
    format!("{}:{}:{}", at.topic, at.partition, at.offset)
}

/// Reads `topic:partition:offset`.
pub fn parse_position(text: &str) -> Result<EventAt, String> {
    let bad = || format!("'{text}' is not a position (topic:partition:offset)");
    let mut parts = text.trim().rsplitn(3, ':');
    let offset = parts.next().and_then(|o| o.parse::<i64>().ok()).ok_or_else(bad)?;
    let partition = parts.next().and_then(|p| p.parse::<i32>().ok()).ok_or_else(bad)?;
    let topic = parts.next().filter(|t| !t.is_empty()).ok_or_else(bad)?;
    Ok(EventAt { topic: topic.to_string(), partition, offset })
}

/// The offsets header's value: each position, comma-separated.
pub fn offsets_text(offsets: &[EventAt]) -> String {
    offsets.iter().map(position_text).collect::<Vec<_>>().join(",")
}

/// Reads the offsets header's value.
pub fn parse_offsets(text: &str) -> Result<Vec<EventAt>, String> {
    text.split(',').filter(|p| !p.trim().is_empty()).map(parse_position).collect()
}

/// True when an event at `event` is already in a row whose position is
/// `row`: on the row's partition, at or before its offset.
pub fn already_in(row: &EventAt, event: &EventAt) -> bool {
    row.topic == event.topic && row.partition == event.partition && event.offset <= row.offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(topic: &str, partition: i32, offset: i64) -> EventAt {
        EventAt { topic: topic.into(), partition, offset }
    }

    #[test]
    fn offsets_read_back_as_written() {
        let offsets = vec![at("t.city-updates", 0, 12), at("t.city-updates", 1, 0)];
        let text = offsets_text(&offsets);
        assert_eq!(text, "t.city-updates:0:12,t.city-updates:1:0");
        assert_eq!(parse_offsets(&text), Ok(offsets));
        assert_eq!(parse_offsets(""), Ok(vec![]));
        assert!(parse_position("city-updates:x:1").unwrap_err().contains("topic:partition:offset"));
        assert!(parse_position(":0:1").is_err());
    }

    #[test]
    fn an_event_is_in_a_row_up_to_its_position_on_its_partition() {
        let row = at("c", 1, 10);
        assert!(already_in(&row, &at("c", 1, 10)));
        assert!(already_in(&row, &at("c", 1, 3)));
        assert!(!already_in(&row, &at("c", 1, 11)));
        assert!(!already_in(&row, &at("c", 0, 3)), "another partition");
    }

    #[test]
    fn a_query_names_each_bad_parameter_and_makes_its_link() {
        let q = ExportQuery::read(Some("GeoJSON"), Some("tamil nadu"), true).unwrap();
        assert_eq!(q.format, ExportFormat::GeoJson);
        assert_eq!(q.state, Some("Tamil Nadu"));
        assert_eq!(
            q.href(ExportKind::Cities),
            "/api/v1/export/cities?format=geojson&state=Tamil%20Nadu&include_deleted=true"
        );
        assert_eq!(ExportQuery::read(None, Some(" "), false).unwrap(), ExportQuery::default());
        let errors = ExportQuery::read(Some("xlsx"), Some("Atlantis"), false).unwrap_err();
        let fields: Vec<&str> = errors.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["format", "state"]);
        assert!(errors.errors[0].message.contains("csv, geojson, ndjson"));
    }
}
