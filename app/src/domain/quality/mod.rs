//! Data quality: the rules that look at the data as a whole (a field's own
//! checks are `validation`'s), what a finding says, and how one is listed
//! and accepted. Pure: the server evaluates the rules over its read
//! indexes (`server/src/index/quality/`), the pages show what it finds.
//!
//! Invariant: a finding's id is a digest of its rule, its entity and its
//! facts as shown (the distance in whole kilometres, the other city, the
//! state): it stays while those hold, and an acceptance, kept by id, holds
//! only for the facts it was given for.

pub mod facts;
pub mod postal;

use serde::{Deserialize, Serialize};

use super::geo::BBox;
use super::validation::{page_limit, ValidationErrors};

/// The rules, each with a fixed id (what the API and the metrics name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    PincodeFarFromCity,
    PincodeStateMismatch,
    PossibleDuplicateCity,
    CityOutsideState,
    PincodeUnlocated,
    CityWithoutPincodes,
    SharedCoordinates,
}

impl Rule {
    pub const ALL: [Rule; 7] = [
        Rule::PincodeFarFromCity,
        Rule::PincodeStateMismatch,
        Rule::PossibleDuplicateCity,
        Rule::CityOutsideState,
        Rule::PincodeUnlocated,
        Rule::CityWithoutPincodes,
        Rule::SharedCoordinates,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::PincodeFarFromCity => "pincode_far_from_city",
            Rule::PincodeStateMismatch => "pincode_state_mismatch",
            Rule::PossibleDuplicateCity => "possible_duplicate_city",
            Rule::CityOutsideState => "city_outside_state",
            Rule::PincodeUnlocated => "pincode_unlocated",
            Rule::CityWithoutPincodes => "city_without_pincodes",
            Rule::SharedCoordinates => "shared_coordinates",
        }
    }

    pub fn parse(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id)
    }

    pub fn title(self) -> &'static str {
        match self {
            Rule::PincodeFarFromCity => "Pincode far from its city",
            Rule::PincodeStateMismatch => "Pincode in another postal circle's state",
            Rule::PossibleDuplicateCity => "Possible duplicate city",
            Rule::CityOutsideState => "City outside its state",
            Rule::PincodeUnlocated => "Pincode without coordinates",
            Rule::CityWithoutPincodes => "City without pincodes",
            Rule::SharedCoordinates => "Cities sharing one point",
        }
    }

    /// Why it matters, and what the rule checks.
    pub fn explanation(self) -> &'static str {
        match self {
            Rule::PincodeFarFromCity => {
                "A pincode's point is farther from its city's point than the set distance \
                 (GEOLEDGER_QUALITY_PINCODE_KM, 50 km unless set): one of the two points, or the \
                 pincode's city, is likely wrong, and a trip priced from it is too."
            }
            Rule::PincodeStateMismatch => {
                "A pincode's first digits name the postal circle that issued it (India Post: 11 Delhi, \
                 40–44 Maharashtra and Goa, 56–59 Karnataka…); that circle does not serve the state of \
                 the pincode's city."
            }
            Rule::PossibleDuplicateCity => {
                "Two live cities of one state within 5 km whose names are the same, one letter apart, \
                 or one the other's alternate name: likely one place entered twice."
            }
            Rule::CityOutsideState => {
                "A city's point is outside its state's boundary (Natural Earth's admin-1 states), by \
                 more than 2 km to allow for coastlines and generalised borders."
            }
            Rule::PincodeUnlocated => "A pincode without coordinates cannot be found on the map or by a lookup.",
            Rule::CityWithoutPincodes => {
                "A live city no live pincode belongs to: a booking there has no pincode to give."
            }
            Rule::SharedCoordinates => {
                "Three or more live cities at the very same point: usually a default filled in by an import."
            }
        }
    }

    /// What the finding is about.
    pub fn entity_kind(self) -> EntityKind {
        match self {
            Rule::PincodeFarFromCity | Rule::PincodeStateMismatch | Rule::PincodeUnlocated => EntityKind::Pincode,
            _ => EntityKind::City,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    City,
    Pincode,
}

/// A city (by id) or a pincode (by code).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EntityRef {
    pub kind: EntityKind,
    pub id: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Open,
    Accepted,
}

/// Who accepted a finding, when, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Acceptance {
    pub by: String,
    /// RFC 3339.
    pub at: String,
    pub reason: String,
}

/// One finding, as the API and the pages show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Finding {
    /// Stable while the finding's facts hold.
    #[cfg_attr(feature = "ssr", schema(example = "3f9a0c1e5b7d2a64"))]
    pub id: String,
    pub rule: Rule,
    pub entity: EntityRef,
    /// The state it is in.
    pub state: String,
    /// What is wrong, as a sentence: "pincode 560002 is 322 km from Qtown, its city".
    pub message: String,
    /// Where to look; none for a pincode without coordinates and without a located city.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The other end, where there is one: a pincode's city, a possible duplicate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<Other>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<Acceptance>,
}

/// The other entity a finding is about, and where it is (the map draws a line to it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Other {
    pub entity: EntityRef,
    pub latitude: f64,
    pub longitude: f64,
}

/// One rule's counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RuleCount {
    pub id: Rule,
    pub title: String,
    pub explanation: String,
    pub open: u64,
    pub accepted: u64,
    /// False when the rule cannot run here (city_outside_state without boundaries), with why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_checked: Option<String>,
}

/// `GET /api/v1/quality`: every rule's counts, and the open findings in all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QualitySummary {
    pub rules: Vec<RuleCount>,
    pub open: u64,
}

/// A page of findings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FindingsPage {
    pub findings: Vec<Finding>,
    /// Pass as `cursor` for the next page; none after the last.
    pub next_cursor: Option<String>,
}

/// The most findings one page holds.
pub const MAX_PAGE: usize = 500;
/// The longest reason an acceptance may give.
pub const MAX_REASON: usize = 500;

/// Which findings to list, checked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FindingsQuery {
    pub rule: Option<Rule>,
    /// A state's official name.
    pub state: Option<String>,
    pub status: Status,
    /// The id of the last finding of the page before.
    pub cursor: Option<String>,
    pub limit: usize,
    /// Only findings inside west, south, east, north (the map's view).
    #[serde(default)]
    pub bbox: Option<BBox>,
}

impl FindingsQuery {
    /// Reads a listing's parameters as they came (text), each checked and named.
    pub fn read(
        rule: Option<&str>,
        state: Option<&str>,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: Option<&str>,
    ) -> Result<FindingsQuery, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let rule = blank(rule).and_then(|r| {
            Rule::parse(r).or_else(|| {
                let known: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
                errors.add("rule", format!("'{r}' is not a rule: one of {}", known.join(", ")));
                None
            })
        });
        let state = blank(state).and_then(|s| match super::state::State::parse(s) {
            Ok(state) => Some(state.name.to_string()),
            Err(m) => {
                errors.add("state", m);
                None
            }
        });
        let status = match blank(status) {
            None | Some("open") => Status::Open,
            Some("accepted") => Status::Accepted,
            Some(other) => {
                errors.add("status", format!("must be open or accepted, not '{other}'"));
                Status::Open
            }
        };
        let limit = page_limit(limit, 50, MAX_PAGE).unwrap_or_else(|why| {
            errors.add("limit", why);
            50
        });
        if !errors.errors.is_empty() {
            return Err(errors);
        }
        Ok(FindingsQuery { rule, state, status, cursor: blank(cursor).map(str::to_string), limit, bbox: None })
    }
}

/// A parameter as given, unless blank.
fn blank(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// An acceptance's reason, checked: required, at most `MAX_REASON` characters.
pub fn check_reason(reason: Option<&str>) -> Result<String, ValidationErrors> {
    let reason = reason.map(str::trim).unwrap_or_default();
    let mut errors = ValidationErrors::default();
    if reason.is_empty() {
        errors.add("reason", "is required: say why the finding is right as it is (\"two villages, both real\")");
    } else if reason.chars().count() > MAX_REASON {
        errors.add("reason", format!("must be at most {MAX_REASON} characters"));
    }
    if errors.errors.is_empty() {
        Ok(reason.to_string())
    } else {
        Err(errors)
    }
}

/// A finding's id: 16 hex digits.
pub fn parse_finding_id(id: &str) -> Option<u64> {
    (id.len() == 16).then(|| u64::from_str_radix(id, 16).ok()).flatten()
}

pub fn finding_id(digest: u64) -> String {
    format!("{digest:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_reads_back_from_its_id() {
        for rule in Rule::ALL {
            assert_eq!(Rule::parse(rule.id()), Some(rule));
            assert_eq!(serde_json::to_value(rule).unwrap(), rule.id());
        }
    }

    #[test]
    fn a_listing_names_each_bad_parameter() {
        let q = FindingsQuery::read(Some("pincode_far_from_city"), Some("ka"), None, None, Some("20")).unwrap();
        assert_eq!(
            (q.rule, q.state.as_deref(), q.status, q.limit),
            (Some(Rule::PincodeFarFromCity), Some("Karnataka"), Status::Open, 20)
        );
        let e = FindingsQuery::read(Some("far"), Some("Atlantis"), Some("closed"), None, Some("0")).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["rule", "state", "status", "limit"]);
    }

    #[test]
    fn a_reason_is_required_and_bounded() {
        assert_eq!(check_reason(Some("  two villages, both real ")).unwrap(), "two villages, both real");
        assert!(check_reason(None).unwrap_err().errors[0].message.contains("required"));
        assert!(check_reason(Some(" ")).is_err());
        assert!(check_reason(Some(&"x".repeat(501))).is_err());
    }

    #[test]
    fn an_id_is_sixteen_hex_digits() {
        assert_eq!(parse_finding_id(&finding_id(0x3f9a)), Some(0x3f9a));
        assert_eq!(parse_finding_id("xyz"), None);
        assert_eq!(parse_finding_id("000000000000000g"), None);
    }
}
