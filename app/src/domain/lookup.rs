//! Lookups for the services that book trips and for the map: which pincode
//! and city a point is in (the nearest live ones), and a search box over
//! cities, pincodes and states. The answers' shapes and the checks of what
//! is asked, shared by the REST API, the server functions and the map.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::validation::{page_limit, ValidationErrors, LATITUDE_RANGE, LONGITUDE_RANGE};

/// How many of each kind a nearest lookup answers, unless told.
pub const DEFAULT_LIMIT: usize = 1;
/// The most of each kind a nearest lookup answers.
pub const MAX_LIMIT: usize = 50;
/// The most points one batch of nearest lookups takes.
pub const MAX_POINTS: usize = 1000;
/// The most results the search box gets.
pub const MAX_RESULTS: usize = 20;

/// A place asked about.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

/// A live pincode near a place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NearPincode {
    pub pincode: String,
    pub area_name: Option<String>,
    pub city_id: String,
    /// The city's current name.
    pub city_name: String,
    pub state: String,
    pub latitude: f64,
    pub longitude: f64,
    /// Great-circle distance from the place asked about.
    pub distance_km: f64,
}

/// A live city near a place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NearCity {
    pub id: String,
    pub name: String,
    pub state: String,
    pub latitude: f64,
    pub longitude: f64,
    pub distance_km: f64,
}

/// The live pincodes and cities nearest a place, nearest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Nearest {
    pub pincodes: Vec<NearPincode>,
    pub cities: Vec<NearCity>,
}

/// Many places at once: `POST /api/v1/lookup/nearest`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NearestBatch {
    pub points: Vec<Point>,
    /// Of each kind, per point (default 1, at most 50).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// The answers of a batch, in the order of its points.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NearestResults {
    pub results: Vec<Nearest>,
}

/// What a search box result is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    State,
    City,
    Pincode,
}

/// One result of the search box: what to show, and where to go.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Hit {
    pub kind: HitKind,
    /// "Mumbai (Bombay), Maharashtra", "400001 Mumbai GPO, Mumbai", "Maharashtra (MH)".
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pincode: Option<String>,
    pub state: String,
    pub latitude: f64,
    pub longitude: f64,
}

/// The search box's results, at most 20.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Hits {
    pub results: Vec<Hit>,
}

/// A coordinate as asked (text in a query, or a number in a body), checked
/// against India's box as every coordinate GeoLedger keeps is: its value, or
/// the error that names `field`.
pub fn coordinate(field: &str, raw: Option<&str>, range: (f64, f64)) -> Result<f64, ValidationErrors> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Err(ValidationErrors::single(field, "is required"));
    };
    let value: f64 = raw
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| ValidationErrors::single(field, format!("must be a number, not '{raw}'")))?;
    if !(range.0..=range.1).contains(&value) {
        let message = format!("must be between {} and {} (India), not {value}", range.0, range.1);
        return Err(ValidationErrors::single(field, message));
    }
    Ok(value)
}

/// A place from `lat` and `lon` as asked, each checked.
pub fn point(lat: Option<&str>, lon: Option<&str>, prefix: &str) -> Result<Point, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let mut take = |field: &str, raw, range| match coordinate(&format!("{prefix}{field}"), raw, range) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.errors.extend(e.errors);
            None
        }
    };
    let (lat, lon) = (take("lat", lat, LATITUDE_RANGE), take("lon", lon, LONGITUDE_RANGE));
    match (lat, lon) {
        (Some(lat), Some(lon)) => Ok(Point { lat, lon }),
        _ => Err(errors),
    }
}

/// How many of each kind: 1 unless told, at most 50.
pub fn limit(raw: Option<&str>) -> Result<usize, ValidationErrors> {
    page_limit(raw, DEFAULT_LIMIT, MAX_LIMIT).map_err(|why| ValidationErrors::single("limit", why))
}

/// A value as the text a coordinate or a limit is read from: a number or a
/// string holding one (anything else is kept as JSON, to be refused by name).
fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The points of a batch's body (`{"points": [{"lat", "lon"}, ...], "limit"}`),
/// each checked (`points[3].lat`), and its limit. Not its size: see `MAX_POINTS`.
pub fn read_batch(body: &Value) -> Result<(Vec<Point>, usize), ValidationErrors> {
    let Some(points) = body.get("points").and_then(Value::as_array) else {
        return Err(ValidationErrors::single("points", "must be a list of {\"lat\", \"lon\"}"));
    };
    let mut errors = ValidationErrors::default();
    let mut read = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        let (lat, lon) = (text_of(p.get("lat")), text_of(p.get("lon")));
        match point(lat.as_deref(), lon.as_deref(), &format!("points[{i}].")) {
            Ok(p) => read.push(p),
            Err(e) => errors.errors.extend(e.errors),
        }
    }
    let limit = limit(text_of(body.get("limit")).as_deref()).map_err(|e| errors.errors.extend(e.errors)).ok();
    match limit {
        Some(limit) if errors.is_empty() => Ok((read, limit)),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_point_names_each_bad_coordinate() {
        assert_eq!(point(Some("19.07"), Some(" 72.87 "), "").unwrap(), Point { lat: 19.07, lon: 72.87 });
        let e = point(Some("north"), Some("120"), "").unwrap_err();
        assert_eq!(e.for_field("lat"), Some("must be a number, not 'north'"));
        assert!(e.for_field("lon").unwrap().contains("between 68 and 97.5"));
        let e = point(None, Some("NaN"), "").unwrap_err();
        assert_eq!(e.for_field("lat"), Some("is required"));
        assert!(e.for_field("lon").unwrap().contains("must be a number"));
        // The box's edges are India's.
        assert!(point(Some("6"), Some("97.5"), "").is_ok());
        assert!(point(Some("5.99"), Some("80"), "").is_err());
    }

    #[test]
    fn a_limit_is_one_to_fifty() {
        assert_eq!(limit(None).unwrap(), 1);
        assert_eq!(limit(Some("50")).unwrap(), 50);
        for bad in ["0", "51", "-1", "two", "1.5"] {
            assert!(limit(Some(bad)).unwrap_err().for_field("limit").is_some(), "{bad}");
        }
    }

    #[test]
    fn a_batch_names_the_point_that_is_wrong() {
        let body = json!({"points": [{"lat": 19.0, "lon": 72.8}, {"lat": 50.0, "lon": "east"}], "limit": 3});
        let e = read_batch(&body).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["points[1].lat", "points[1].lon"]);
        let (points, limit) = read_batch(&json!({"points": [{"lat": "19", "lon": 72.8}]})).unwrap();
        assert_eq!((points, limit), (vec![Point { lat: 19.0, lon: 72.8 }], 1));
        assert_eq!(read_batch(&json!({"points": 7})).unwrap_err().errors[0].field, "points");
        assert_eq!(read_batch(&json!({"points": [], "limit": 99})).unwrap_err().errors[0].field, "limit");
        assert!(read_batch(&json!({"points": [{"lat": [1], "lon": 72.8}]})).is_err());
    }
}
