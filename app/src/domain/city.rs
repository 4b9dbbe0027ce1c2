//! Cities: what an admin sends (a loose record) and what GeoLedger keeps.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::fold::search_key;
use super::geo::BBox;
use super::slug::slugify;
use super::state::State;
use super::validation::{Reader, ValidationErrors, LATITUDE_RANGE, LONGITUDE_RANGE};

/// A city's id: the slugs of its state and its name, `uttar-pradesh/noida`.
pub fn city_id(state: &str, name: &str) -> String {
    format!("{}/{}", slugify(state), slugify(name))
}

/// A city's fields after validation; the `data` of `city.created.v1` and
/// `city.updated.v1`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CityFields {
    pub name: String,
    /// The official name of the state or union territory.
    pub state: String,
    pub district: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    pub is_metro: bool,
    pub is_capital: bool,
    pub population: Option<u64>,
    pub area_sq_km: Option<f64>,
    pub alternate_names: Vec<String>,
    pub metadata: Map<String, Value>,
}

impl CityFields {
    /// The id a new city of this name would be given, if no city has it
    /// (`names::fresh_id` makes sure). A city's id is never made again from
    /// its name: find a city by name with `names::choose`.
    pub fn new_id(&self) -> String {
        city_id(&self.state, &self.name)
    }
}

/// The input field names (the seed API's JSON body).
pub mod field {
    pub const NAME: &str = "city_name";
    pub const STATE: &str = "state";
    pub const DISTRICT: &str = "district";
    pub const LATITUDE: &str = "latitude";
    pub const LONGITUDE: &str = "longitude";
    pub const IS_METRO: &str = "is_metro";
    pub const IS_CAPITAL: &str = "is_capital";
    pub const POPULATION: &str = "population";
    pub const AREA: &str = "area_sq_km";
    pub const ALTERNATE_NAMES: &str = "alternate_names";
    pub const METADATA: &str = "metadata";
    /// Every field a city record may have.
    pub const ALL: [&str; 11] =
        [NAME, STATE, DISTRICT, LATITUDE, LONGITUDE, IS_METRO, IS_CAPITAL, POPULATION, AREA, ALTERNATE_NAMES, METADATA];
}

fn state_field(r: &mut Reader, required: bool) -> Option<&'static State> {
    let raw = r.name(field::STATE, required)?;
    match State::parse(&raw) {
        Ok(s) => Some(s),
        Err(message) => {
            r.errors.add(field::STATE, message);
            None
        }
    }
}

/// Validates a new city: name, state and coordinates are required.
pub fn validate_new_city(record: &Map<String, Value>) -> Result<CityFields, ValidationErrors> {
    let mut r = Reader::new(record);
    let name = r.name(field::NAME, true);
    let state = state_field(&mut r, true);
    let district = r.name(field::DISTRICT, false);
    let latitude = r.number_in(field::LATITUDE, true, LATITUDE_RANGE);
    let longitude = r.number_in(field::LONGITUDE, true, LONGITUDE_RANGE);
    let is_metro = r.flag(field::IS_METRO).unwrap_or(false);
    let is_capital = r.flag(field::IS_CAPITAL).unwrap_or(false);
    let population = r.count(field::POPULATION);
    let area_sq_km = r.non_negative(field::AREA);
    let alternate_names = r.names(field::ALTERNATE_NAMES);
    let metadata = r.object(field::METADATA).unwrap_or_default();
    r.finish(|| CityFields {
        name: name.unwrap(),
        state: state.unwrap().name.to_string(),
        district,
        latitude: latitude.unwrap(),
        longitude: longitude.unwrap(),
        is_metro,
        is_capital,
        population,
        area_sq_km,
        alternate_names,
        metadata,
    })
}

/// Validates a change to `current`: only the fields present change; a field
/// sent as null (or blank) clears an optional one. A new name keeps the old
/// one as an alternate name, unless the change sets the alternate names.
pub fn validate_city_update(record: &Map<String, Value>, current: &CityFields) -> Result<CityFields, ValidationErrors> {
    let mut r = Reader::new(record);
    let cleared = |f: &str| {
        matches!(record.get(f), Some(Value::Null))
            || matches!(record.get(f), Some(Value::String(s)) if s.trim().is_empty())
    };
    let mut next = current.clone();
    if let Some(name) = r.name(field::NAME, false) {
        next.name = name;
    }
    if let Some(state) = state_field(&mut r, false) {
        next.state = state.name.to_string();
    }
    if let Some(d) = r.name(field::DISTRICT, false) {
        next.district = Some(d);
    } else if cleared(field::DISTRICT) {
        next.district = None;
    }
    if let Some(lat) = r.number_in(field::LATITUDE, false, LATITUDE_RANGE) {
        next.latitude = lat;
    }
    if let Some(lon) = r.number_in(field::LONGITUDE, false, LONGITUDE_RANGE) {
        next.longitude = lon;
    }
    if let Some(b) = r.flag(field::IS_METRO) {
        next.is_metro = b;
    }
    if let Some(b) = r.flag(field::IS_CAPITAL) {
        next.is_capital = b;
    }
    if let Some(p) = r.count(field::POPULATION) {
        next.population = Some(p);
    } else if cleared(field::POPULATION) {
        next.population = None;
    }
    if let Some(a) = r.non_negative(field::AREA) {
        next.area_sq_km = Some(a);
    } else if cleared(field::AREA) {
        next.area_sq_km = None;
    }
    if record.contains_key(field::ALTERNATE_NAMES) {
        next.alternate_names = r.names(field::ALTERNATE_NAMES);
    }
    if let Some(m) = r.object(field::METADATA) {
        next.metadata = m;
    } else if cleared(field::METADATA) {
        next.metadata = Map::new();
    }
    after_rename(current, &mut next, record.contains_key(field::ALTERNATE_NAMES));
    r.finish(|| next)
}

/// A rename's alternate names: the old name joins them (unless it is among
/// them already), and the new name leaves them. `explicit`: the change set
/// the alternate names itself, which then stand as sent.
fn after_rename(old: &CityFields, next: &mut CityFields, explicit: bool) {
    let (old_key, new_key) = (search_key(&old.name), search_key(&next.name));
    if explicit || old_key == new_key {
        return;
    }
    next.alternate_names.retain(|a| search_key(a) != new_key);
    if !next.alternate_names.iter().any(|a| search_key(a) == old_key) {
        next.alternate_names.push(old.name.clone());
    }
}

/// A city as GeoLedger keeps it (the read model), as the API returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct City {
    pub id: String,
    #[serde(flatten)]
    pub fields: CityFields,
    /// The pincodes that belong to this city.
    pub pincodes: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    /// In a search by name: the alternate name that matched ("Bombay"),
    /// when its current name did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_name: Option<String>,
}

impl City {
    /// "Mumbai (Bombay)" when found by an alternate name, else its name.
    pub fn label(&self) -> String {
        match &self.matched_name {
            Some(alternate) => format!("{} ({alternate})", self.fields.name),
            None => self.fields.name.clone(),
        }
    }
}

/// The most cities one listing returns (and so the most a map view shows).
pub const MAX_PAGE: usize = 1000;

/// A page of the city list, as the UI asks for it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CityListQuery {
    /// Any name, code or alias of a state; blank for all.
    pub state: String,
    /// A name prefix; blank for all.
    pub q: String,
    pub include_deleted: bool,
    /// The id after which this page starts.
    pub cursor: Option<String>,
    pub limit: usize,
    /// Only cities inside west, south, east, north (the visible map).
    #[serde(default)]
    pub bbox: Option<BBox>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CityPage {
    pub cities: Vec<City>,
    pub next_cursor: Option<String>,
}

impl CityPage {
    /// The cities a listing of at most `limit` found; a full page may have more after it.
    pub fn of(cities: Vec<City>, limit: usize) -> Self {
        let next_cursor = if cities.len() == limit { cities.last().map(|c| c.id.clone()) } else { None };
        CityPage { cities, next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn noida() -> Value {
        json!({"city_name": "Noida", "state": "Uttar Pradesh", "latitude": 28.5355, "longitude": 77.3910,
               "district": "Gautam Buddha Nagar", "is_metro": false, "population": 642000, "area_sq_km": 203})
    }

    #[test]
    fn the_seed_body_is_valid() {
        let city = validate_new_city(&record(noida())).unwrap();
        assert_eq!(city.new_id(), "uttar-pradesh/noida");
        assert_eq!(city.population, Some(642000));
        assert_eq!(city.district.as_deref(), Some("Gautam Buddha Nagar"));
    }

    #[test]
    fn state_aliases_are_stored_under_the_official_name() {
        let mut v = noida();
        v["state"] = json!("up");
        assert_eq!(validate_new_city(&record(v)).unwrap().state, "Uttar Pradesh");
    }

    #[test]
    fn names_are_trimmed_and_any_script_is_accepted() {
        let mut v = noida();
        v["city_name"] = json!("  नोएडा  ");
        let city = validate_new_city(&record(v)).unwrap();
        assert_eq!(city.name, "नोएडा");
        assert_eq!(city.new_id(), "uttar-pradesh/नोएडा");
        let mut v = noida();
        v["city_name"] = json!("சென்னை");
        v["state"] = json!("Tamil Nadu");
        v["latitude"] = json!(13.08);
        v["longitude"] = json!(80.27);
        assert!(validate_new_city(&record(v)).is_ok());
    }

    #[test]
    fn every_field_error_is_reported_at_once() {
        let bad = json!({"city_name": "   ", "state": "Maharastra", "latitude": 51.5, "longitude": "east",
                          "district": "x".repeat(101), "is_metro": "perhaps", "population": -5, "area_sq_km": -1.5,
                          "alternate_names": ["ok", 7], "metadata": [1, 2]});
        let errors = validate_new_city(&record(bad)).unwrap_err();
        let fields: Vec<&str> = errors.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "city_name",
                "state",
                "district",
                "latitude",
                "longitude",
                "is_metro",
                "population",
                "area_sq_km",
                "alternate_names[1]",
                "metadata"
            ]
        );
        assert_eq!(errors.for_field("city_name"), Some("is required"));
        assert!(errors.for_field("state").unwrap().contains("did you mean 'Maharashtra'?"));
        assert!(errors.for_field("latitude").unwrap().contains("between 6 and 37.6"));
        assert!(errors.for_field("longitude").unwrap().contains("must be a number"));
        assert!(errors.for_field("district").unwrap().contains("at most 100 characters"));
        assert!(errors.for_field("population").unwrap().contains("must not be negative"));
    }

    #[test]
    fn each_field_refuses_its_own_bad_values() {
        for (field, bad, expect) in [
            ("city_name", json!("x".repeat(101)), "at most 100 characters"),
            ("city_name", json!("Noi\u{0007}da"), "control characters"),
            ("city_name", json!(42), "must be text"),
            ("state", json!("Narnia"), "not a state or union territory"),
            ("district", json!(["list"]), "must be text"),
            ("latitude", json!("north"), "must be a number"),
            ("longitude", json!(120.0), "between 68 and 97.5"),
            ("is_metro", json!("sometimes"), "true or false"),
            ("is_capital", json!(2), "true or false"),
            ("population", json!(12.5), "whole number"),
            ("population", json!(-1), "must not be negative"),
            ("area_sq_km", json!(-0.5), "must not be negative"),
            ("area_sq_km", json!(true), "must be a number"),
            ("alternate_names", json!(7), "list of names"),
            ("metadata", json!("not json"), "JSON object"),
            ("metadata", json!({"nested": {"a": 1}}), "text, a number, true/false or null"),
        ] {
            let mut v = noida();
            v[field] = bad.clone();
            let errors = validate_new_city(&record(v)).unwrap_err();
            assert_eq!(errors.errors.len(), 1, "{field}={bad}: {errors}");
            assert!(errors.errors[0].field.starts_with(field), "{field}={bad}: {errors}");
            assert!(errors.errors[0].message.contains(expect), "{field}={bad}: {errors}");
        }
    }

    #[test]
    fn required_fields_are_named_when_missing() {
        let errors = validate_new_city(&Map::new()).unwrap_err();
        let fields: Vec<&str> = errors.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["city_name", "state", "latitude", "longitude"]);
    }

    #[test]
    fn coordinates_on_the_box_edges_pass_and_just_outside_fail() {
        for (lat, lon, ok) in [
            (6.0, 68.0, true),
            (37.6, 97.5, true),
            (5.99, 77.0, false),
            (28.0, 97.51, false),
            (37.61, 77.0, false),
            (28.0, 67.99, false),
        ] {
            let mut v = noida();
            v["latitude"] = json!(lat);
            v["longitude"] = json!(lon);
            assert_eq!(validate_new_city(&record(v)).is_ok(), ok, "{lat},{lon}");
        }
    }

    #[test]
    fn csv_style_text_values_are_read() {
        let v = json!({"city_name": "Pune", "state": "MH", "latitude": "18.52", "longitude": "73.85",
                       "is_metro": "yes", "population": "3124458", "alternate_names": "Poona; Punya-nagari"});
        let city = validate_new_city(&record(v)).unwrap();
        assert!(city.is_metro);
        assert_eq!(city.population, Some(3124458));
        assert_eq!(city.alternate_names, ["Poona", "Punya-nagari"]);
    }

    #[test]
    fn an_update_changes_only_what_it_names() {
        let current = validate_new_city(&record(noida())).unwrap();
        let next = validate_city_update(&record(json!({"is_metro": true, "district": null})), &current).unwrap();
        assert!(next.is_metro);
        assert_eq!(next.district, None);
        assert_eq!(next.population, current.population);
        assert_eq!(next.latitude, current.latitude);
        let errors = validate_city_update(&record(json!({"latitude": 99})), &current).unwrap_err();
        assert_eq!(errors.errors[0].field, "latitude");
    }

    #[test]
    fn a_rename_keeps_the_old_name_as_an_alternate_unless_told_otherwise() {
        let old = CityFields { name: "Bombay".into(), alternate_names: vec!["Mumbai".into()], ..CityFields::default() };
        let mut next = CityFields { name: "Mumbai".into(), ..old.clone() };
        after_rename(&old, &mut next, false);
        assert_eq!(next.alternate_names, ["Bombay"]);
        let mut explicit = CityFields { name: "Mumbai".into(), alternate_names: vec![], ..old.clone() };
        after_rename(&old, &mut explicit, true);
        assert!(explicit.alternate_names.is_empty());
        let mut same = CityFields { name: "BOMBAY".into(), ..old.clone() };
        after_rename(&old, &mut same, false);
        assert_eq!(same.alternate_names, ["Mumbai"], "a change of case is no rename");
    }
}
