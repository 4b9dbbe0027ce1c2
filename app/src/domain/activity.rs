//! The activity feed: the newest changes across every city and pincode, each
//! a history entry with its entity, filtered by who made it, its type, the
//! import job it came from, or the entity; paged back in time.

use serde::{Deserialize, Serialize};

use super::event::EventType;
use super::history::{HistoryEntry, HistoryQuery};
use super::quality::{EntityKind, EntityRef};
use super::validation::ValidationErrors;

/// One change, and what it was a change of.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActivityEntry {
    #[serde(flatten)]
    pub entry: HistoryEntry,
    pub entity: EntityRef,
}

impl ActivityEntry {
    /// An entry, with the entity its event was about (a pincode's event is the pincode's).
    pub fn of(entry: HistoryEntry) -> Self {
        let kind = if entry.event_type.starts_with("pincode.") { EntityKind::Pincode } else { EntityKind::City };
        let entity = EntityRef { kind, id: entry.subject.clone() };
        ActivityEntry { entry, entity }
    }

    /// Where its entity is shown.
    pub fn entity_href(&self) -> String {
        match self.entity.kind {
            EntityKind::City => format!("/cities/{}", self.entity.id),
            EntityKind::Pincode => format!("/pincodes?q={}", self.entity.id),
        }
    }
}

/// A page of the feed, newest first; `next_cursor` reads the next (older) page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActivityPage {
    pub entries: Vec<ActivityEntry>,
    pub next_cursor: Option<String>,
}

/// What the feed is asked for: every filter is exact, and all must hold.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivityQuery {
    /// Who made the change: an admin's email, `token:<name>`, `cli:<user>`.
    pub actor: Option<String>,
    /// An event type, as its history names it (`city.updated.v1`), or a
    /// kind of entity (`city`, `pincode`).
    pub event_type: Option<String>,
    /// The import job the change came from.
    pub job: Option<String>,
    /// A city id or a pincode: its history (a city's holds its pincodes').
    pub entity: Option<String>,
    /// Older than this entry (its cursor).
    pub before: Option<(i64, String)>,
    pub limit: usize,
}

impl ActivityQuery {
    /// Reads the query's parameters (`before` is a cursor the feed gave),
    /// each error naming its parameter.
    pub fn read(
        actor: Option<&str>,
        event_type: Option<&str>,
        job: Option<&str>,
        entity: Option<&str>,
        before: Option<&str>,
        limit: Option<&str>,
    ) -> Result<Self, ValidationErrors> {
        let given = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let (history, mut errors) = match HistoryQuery::read(before, limit) {
            Ok(history) => (history, ValidationErrors::default()),
            Err(e) => (HistoryQuery::default(), e),
        };
        // The history's cursor error names its own parameter, `cursor`; here it is `before`.
        for e in &mut errors.errors {
            if e.field == "cursor" {
                e.field = "before".into();
            }
        }
        let event_type = given(event_type);
        if let Some(t) = &event_type {
            if !is_type_filter(t) {
                let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                errors
                    .add("type", format!("'{t}' is not an event type: city, pincode, or one of {}", known.join(", ")));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ActivityQuery {
            actor: given(actor),
            event_type,
            job: given(job),
            entity: given(entity),
            before: history.before,
            limit: history.limit,
        })
    }

    /// The query string that asks for this (without `before`).
    pub fn to_query(&self) -> String {
        let pairs = [("actor", &self.actor), ("type", &self.event_type), ("job", &self.job), ("entity", &self.entity)];
        let parts: Vec<String> = pairs
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", v.replace('%', "%25").replace('&', "%26"))))
            .collect();
        parts.join("&")
    }
}

/// True for a type filter the feed knows: `city`, `pincode`, or an event type.
fn is_type_filter(t: &str) -> bool {
    t == "city" || t == "pincode" || EventType::ALL.iter().any(|e| e.as_str() == t)
}

/// True when an event of `event_type` passes the type filter `wanted`.
pub fn type_matches(wanted: &str, event_type: &str) -> bool {
    wanted == event_type || event_type.strip_prefix(wanted).is_some_and(|rest| rest.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_reads_its_filters_and_names_each_bad_one() {
        let q =
            ActivityQuery::read(Some(" a@b.in "), Some("city"), Some("j1"), None, Some("17.e1"), Some("5")).unwrap();
        assert_eq!(q.actor.as_deref(), Some("a@b.in"));
        assert_eq!((q.before.clone(), q.limit), (Some((17, "e1".to_string())), 5));
        assert_eq!(q.to_query(), "actor=a@b.in&type=city&job=j1");
        let e = ActivityQuery::read(None, Some("city.moved"), None, None, Some("nope"), Some("9999")).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["before", "limit", "type"]);
    }

    #[test]
    fn a_type_filter_is_a_type_or_a_kind() {
        assert!(type_matches("city", "city.updated.v1"));
        assert!(type_matches("city.updated.v1", "city.updated.v1"));
        assert!(!type_matches("city", "cityx.updated.v1"));
        assert!(!type_matches("pincode", "city.updated.v1"));
    }

    #[test]
    fn an_entry_knows_its_entity() {
        let entry = HistoryEntry {
            event_id: "e".into(),
            event_type: "pincode.deleted.v1".into(),
            subject: "403001".into(),
            actor: "a".into(),
            time: "t".into(),
            import_job: None,
            summary: String::new(),
            reverts: None,
            changes: Vec::new(),
            event: None,
        };
        let a = ActivityEntry::of(entry);
        assert_eq!(a.entity, EntityRef { kind: EntityKind::Pincode, id: "403001".into() });
        assert_eq!(a.entity_href(), "/pincodes?q=403001");
    }
}
