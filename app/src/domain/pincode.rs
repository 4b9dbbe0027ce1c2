//! Pincodes: six digits, the first 1–9, each belonging to one city.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::city::city_id;
use super::geo::BBox;
use super::state::State;
use super::validation::{Reader, ValidationErrors, LATITUDE_RANGE, LONGITUDE_RANGE};

pub mod field {
    pub const PINCODE: &str = "pincode";
    pub const CITY_NAME: &str = "city_name";
    pub const STATE: &str = "state";
    pub const AREA_NAME: &str = "area_name";
    pub const LATITUDE: &str = "latitude";
    pub const LONGITUDE: &str = "longitude";
    pub const OFFICES: &str = "offices";
    /// Every field a pincode record may have.
    pub const ALL: [&str; 7] = [PINCODE, CITY_NAME, STATE, AREA_NAME, LATITUDE, LONGITUDE, OFFICES];
}

/// A post office's kind, as India Post names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum OfficeKind {
    /// Head office.
    #[serde(rename = "HO")]
    Head,
    /// Sub office (the directory also writes "PO").
    #[serde(rename = "SO")]
    Sub,
    /// Branch office.
    #[serde(rename = "BO")]
    Branch,
}

impl OfficeKind {
    /// "HO", "H.O", "H.O.", "SO", "PO", "BO", in any case.
    pub fn parse(raw: &str) -> Option<OfficeKind> {
        let letters: String = raw.chars().filter(char::is_ascii_alphabetic).collect::<String>().to_ascii_uppercase();
        match letters.as_str() {
            "HO" => Some(OfficeKind::Head),
            "SO" | "PO" => Some(OfficeKind::Sub),
            "BO" => Some(OfficeKind::Branch),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            OfficeKind::Head => "HO",
            OfficeKind::Sub => "SO",
            OfficeKind::Branch => "BO",
        }
    }
}

/// A post office serving a pincode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Office {
    pub name: String,
    pub kind: OfficeKind,
    /// Whether it delivers mail.
    pub delivery: bool,
}

/// Checks a pincode's form: exactly six digits, not starting with 0.
pub fn check_pincode(raw: &str) -> Result<String, String> {
    let code = raw.trim();
    if code.is_empty() {
        return Err("is required".into());
    }
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("must be exactly 6 digits, not '{code}'"));
    }
    if code.starts_with('0') {
        return Err(format!("must not start with 0 ('{code}')"));
    }
    Ok(code.to_string())
}

/// A pincode's fields after validation; the `data` of `pincode.upserted.v1`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PincodeFields {
    pub pincode: String,
    /// The id of the city it belongs to (`uttar-pradesh/noida`).
    pub city_id: String,
    pub city_name: String,
    pub state: String,
    pub area_name: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    /// The post offices that serve it (from the India Post directory); none
    /// for a pincode entered by hand.
    #[serde(default)]
    pub offices: Vec<Office>,
}

/// The offices of a record: a list of `{name, kind, delivery}`.
fn offices(r: &mut Reader, record: &Map<String, Value>) -> Vec<Office> {
    let Some(value) = record.get(field::OFFICES).filter(|v| !v.is_null()) else { return Vec::new() };
    match serde_json::from_value::<Vec<Office>>(value.clone()) {
        Ok(list) => list,
        Err(e) => {
            r.errors.add(field::OFFICES, format!("must be a list of {{name, kind: HO|SO|BO, delivery}}: {e}"));
            Vec::new()
        }
    }
}

pub fn validate_pincode(record: &Map<String, Value>) -> Result<PincodeFields, ValidationErrors> {
    let mut r = Reader::new(record);
    let pincode = match record.get(field::PINCODE) {
        None | Some(Value::Null) => {
            r.errors.add(field::PINCODE, "is required");
            None
        }
        // A number loses leading zeros, so it can only be wrong in the same ways text can.
        Some(Value::Number(n)) => check_pincode(&n.to_string()).map_err(|m| r.errors.add(field::PINCODE, m)).ok(),
        Some(Value::String(s)) => check_pincode(s).map_err(|m| r.errors.add(field::PINCODE, m)).ok(),
        Some(_) => {
            r.errors.add(field::PINCODE, "must be 6 digits as text");
            None
        }
    };
    let city_name = r.name(field::CITY_NAME, true);
    let state =
        r.name(field::STATE, true).and_then(|s| State::parse(&s).map_err(|m| r.errors.add(field::STATE, m)).ok());
    let area_name = r.name(field::AREA_NAME, false);
    let latitude = r.number_in(field::LATITUDE, true, LATITUDE_RANGE);
    let longitude = r.number_in(field::LONGITUDE, true, LONGITUDE_RANGE);
    let offices = offices(&mut r, record);
    r.finish(|| {
        let state = state.unwrap().name.to_string();
        let city_name = city_name.unwrap();
        PincodeFields {
            pincode: pincode.unwrap(),
            city_id: city_id(&state, &city_name),
            city_name,
            state,
            area_name,
            latitude: latitude.unwrap(),
            longitude: longitude.unwrap(),
            offices,
        }
    })
}

/// The most pincodes one listing returns (and so the most a map view shows).
pub const MAX_PAGE: usize = 2000;

/// A page of the pincode list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PincodeListQuery {
    /// A code prefix; blank for all.
    pub q: String,
    pub cursor: Option<String>,
    pub limit: usize,
    /// Only pincodes inside west, south, east, north (the visible map).
    #[serde(default)]
    pub bbox: Option<BBox>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PincodePage {
    pub pincodes: Vec<Pincode>,
    pub next_cursor: Option<String>,
}

impl PincodePage {
    /// The pincodes a listing of at most `limit` found; a full page may have more after it.
    pub fn of(pincodes: Vec<Pincode>, limit: usize) -> Self {
        let next_cursor =
            if pincodes.len() == limit { pincodes.last().map(|p| p.fields.pincode.clone()) } else { None };
        PincodePage { pincodes, next_cursor }
    }
}

/// A pincode as GeoLedger keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Pincode {
    #[serde(flatten)]
    pub fields: PincodeFields,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_seed_body_is_valid() {
        let p = validate_pincode(&record(json!({"pincode": "201301", "city_name": "Noida", "state": "Uttar Pradesh",
            "area_name": "Sector 1", "latitude": 28.5747, "longitude": 77.3553})))
        .unwrap();
        assert_eq!(p.city_id, "uttar-pradesh/noida");
        assert_eq!(p.area_name.as_deref(), Some("Sector 1"));
    }

    #[test]
    fn pincode_form() {
        assert_eq!(check_pincode(" 110001 ").unwrap(), "110001");
        for bad in ["", "11000", "1100011", "01100A", "011000", "11 001", "१२३४५६"] {
            assert!(check_pincode(bad).is_err(), "{bad:?}");
        }
        assert!(check_pincode("011000").unwrap_err().contains("must not start with 0"));
    }

    #[test]
    fn each_field_refuses_its_own_bad_values() {
        let good = json!({"pincode": "201301", "city_name": "Noida", "state": "UP", "area_name": "Sector 1",
            "latitude": 28.57, "longitude": 77.35});
        for (field, bad, expect) in [
            ("pincode", json!("20130"), "exactly 6 digits"),
            ("pincode", json!(true), "6 digits as text"),
            ("city_name", json!(""), "is required"),
            ("state", json!("Bombay"), "not a state"),
            ("area_name", json!("x".repeat(101)), "at most 100"),
            ("latitude", json!(40), "between 6 and 37.6"),
            ("longitude", json!("west"), "must be a number"),
        ] {
            let mut v = good.clone();
            v[field] = bad.clone();
            let errors = validate_pincode(&record(v)).unwrap_err();
            assert_eq!(errors.errors.len(), 1, "{field}={bad}: {errors}");
            assert_eq!(errors.errors[0].field, field);
            assert!(errors.errors[0].message.contains(expect), "{field}={bad}: {errors}");
        }
    }

    #[test]
    fn every_field_error_at_once() {
        let errors = validate_pincode(&record(json!({"pincode": "12345", "city_name": "", "state": "Orisa",
            "latitude": 0, "longitude": 200})))
        .unwrap_err();
        let fields: Vec<&str> = errors.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["pincode", "city_name", "state", "latitude", "longitude"]);
        assert!(errors.for_field("state").unwrap().contains("did you mean 'Odisha'?"));
    }
}
