//! The rules, evaluated over the read indexes: for one pincode, one city,
//! one point, or all of them at once (at start). Each finding comes with
//! its digest (its id), made from its rule, its entity and its facts as
//! shown, so two instances holding the same data reach the same ids.

use std::collections::HashMap;
use std::sync::Arc;

use app::domain::geo::{distance_km, EARTH_RADIUS_KM};
use app::domain::quality::facts::{
    self, shown_km, too_far, Names, DUPLICATE_KM, OUTSIDE_TOLERANCE_KM, SHARED_AT_LEAST,
};
use app::domain::quality::{postal, Rule};
use app::domain::state::STATES;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::boundaries::Boundaries;
use super::data::{Data, Indexes};
use super::{Found, Owner};
use crate::config::QualityConfig;
use crate::index::cities::state_name;

/// The most neighbours within `DUPLICATE_KM` a city is compared with (the
/// nearest): a thousand cities dropped at one point stay a cheap check.
const NEIGHBOURS: usize = 32;
/// A finding's state when its city is not known.
const NO_STATE: u8 = STATES.len() as u8;

/// The rules' settings.
#[derive(Clone)]
pub struct Rules {
    /// `pincode_far_from_city`'s threshold.
    pub pincode_km: f64,
    /// The states' boundaries, for `city_outside_state`.
    pub boundaries: Option<Arc<Boundaries>>,
    /// Why there are none, when there are none.
    pub no_boundaries: Option<String>,
    /// The rules turned off (`GEOLEDGER_QUALITY_OFF`).
    pub off: Vec<Rule>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            pincode_km: facts::DEFAULT_PINCODE_KM,
            boundaries: None,
            no_boundaries: Some("no boundaries were loaded (GEOLEDGER_BOUNDARIES)".into()),
            off: Vec::new(),
        }
    }
}

impl Rules {
    /// The rules as configured: the boundaries read from their file (a file
    /// that cannot be read is logged, and its rule not checked).
    pub fn of(config: &QualityConfig) -> Rules {
        let named = || config.quality_off.iter().map(|id| id.trim()).filter(|id| !id.is_empty());
        let off: Vec<Rule> = named().filter_map(Rule::parse).collect();
        for unknown in named().filter(|id| Rule::parse(id).is_none()) {
            tracing::warn!(rule = %unknown, "GEOLEDGER_QUALITY_OFF names no rule");
        }
        let rules = Rules { pincode_km: config.quality_pincode_km, boundaries: None, no_boundaries: None, off };
        let Some(path) = &config.boundaries else {
            let why = "GEOLEDGER_BOUNDARIES is not set (scripts/run sets it to scripts/fetch-data's file)";
            return Rules { no_boundaries: Some(why.into()), ..rules };
        };
        match Boundaries::read(path) {
            Ok(b) => {
                tracing::info!(path = %path.display(), states = b.len(), "the states' boundaries are read");
                Rules { boundaries: Some(Arc::new(b)), ..rules }
            }
            Err(e) => {
                tracing::error!(error = %e, "the states' boundaries cannot be read: city_outside_state is not checked");
                Rules { no_boundaries: Some(format!("the boundaries cannot be read: {e}")), ..rules }
            }
        }
    }

    /// True unless the rule is turned off.
    pub fn on(&self, rule: Rule) -> bool {
        !self.off.contains(&rule)
    }

    /// Why a rule is not checked here, if it is not.
    pub fn not_checked(&self, rule: Rule) -> Option<String> {
        if !self.on(rule) {
            return Some("turned off (GEOLEDGER_QUALITY_OFF)".into());
        }
        (rule == Rule::CityOutsideState).then(|| self.no_boundaries.clone()).flatten()
    }
}

/// A place's row of `DUPLICATE_KM` and its longitude: the order in which
/// a full evaluation reads the cities (unlocated ones last).
fn along(latitude: f64, longitude: f64) -> (i64, i64) {
    let row_degrees = (DUPLICATE_KM / EARTH_RADIUS_KM).to_degrees();
    if !(latitude.is_finite() && longitude.is_finite()) {
        return (i64::MAX, 0);
    }
    ((latitude / row_degrees).floor() as i64, (longitude * 1e6) as i64)
}

/// A digest of a finding's rule and facts: its id.
fn digest(rule: Rule, facts: &[&str]) -> u64 {
    let mut h = Sha256::new();
    h.update(rule.id().as_bytes());
    for fact in facts {
        h.update([0x1f]);
        h.update(fact.as_bytes());
    }
    let bytes: [u8; 32] = h.finalize().into();
    u64::from_be_bytes(bytes[..8].try_into().expect("8 of 32 bytes"))
}

impl Rules {
    /// The findings a live pincode owns: without coordinates, far from its
    /// city, of a postal circle that does not serve its city's state.
    pub fn of_pincode(&self, code: &str, data: &impl Data) -> Vec<Found> {
        let Some(pin) = data.pin(code) else { return Vec::new() };
        let city = data.city(pin.city_id);
        let state = city.as_ref().map_or(NO_STATE, |c| c.state);
        let located = pin.latitude.is_finite() && pin.longitude.is_finite();
        let (lat, lon) = match &city {
            Some(c) if !located => (c.latitude, c.longitude),
            _ => (pin.latitude, pin.longitude),
        };
        let found = |rule, other: Option<&Arc<str>>, measure, facts: &[&str]| Found {
            rule,
            id: digest(rule, facts),
            state,
            subject: pin.code.clone(),
            other: other.cloned(),
            latitude: lat,
            longitude: lon,
            measure,
        };
        let mut out = Vec::new();
        if !located {
            out.push(found(Rule::PincodeUnlocated, None, 0.0, &[code]));
        }
        let Some(city) = city else { return out };
        if located && city.is_located() {
            let km = distance_km((pin.latitude, pin.longitude), (city.latitude, city.longitude));
            if too_far(km, self.pincode_km) {
                let whole = format!("{}", km.round());
                out.push(found(Rule::PincodeFarFromCity, Some(city.id), km, &[code, city.id, &whole]));
            }
        }
        if postal::mismatch(code, state_name(state)).is_some() {
            out.push(found(Rule::PincodeStateMismatch, None, 0.0, &[code, state_name(state)]));
        }
        out.retain(|f| self.on(f.rule));
        out
    }

    /// The findings a live city owns: outside its state, without pincodes,
    /// and each possible duplicate whose other city has a greater id.
    pub fn of_city(&self, id: &str, data: &impl Data) -> Vec<Found> {
        let Some(c) = data.city(id) else { return Vec::new() };
        let found = |rule, other: Option<&Arc<str>>, measure, facts: &[&str]| Found {
            rule,
            id: digest(rule, facts),
            state: c.state,
            subject: c.id.clone(),
            other: other.cloned(),
            latitude: c.latitude,
            longitude: c.longitude,
            measure,
        };
        let mut out = Vec::new();
        if !data.has_pincodes(id) {
            out.push(found(Rule::CityWithoutPincodes, None, 0.0, &[id]));
        }
        if !c.is_located() {
            return out;
        }
        let boundaries = self.boundaries.as_ref().filter(|_| self.on(Rule::CityOutsideState));
        let outside = boundaries.and_then(|b| b.outside_km(c.state, c.latitude, c.longitude));
        if let Some(km) = outside.filter(|km| *km > OUTSIDE_TOLERANCE_KM) {
            let whole = format!("{}", km.round());
            out.push(found(Rule::CityOutsideState, None, km, &[id, state_name(c.state), &whole]));
        }
        let neighbours = if self.on(Rule::PossibleDuplicateCity) { NEIGHBOURS } else { 0 };
        let mut names = None;
        for (b, km) in data.cities_near(c.latitude, c.longitude, DUPLICATE_KM, neighbours) {
            if b.id <= c.id || b.state != c.state {
                continue;
            }
            let names = names.get_or_insert_with(|| Names::of(c.name, c.alternates));
            if names.alike((b.name, b.alternates)).is_some() {
                let tenth = format!("{:.1}", shown_km(km));
                out.push(found(Rule::PossibleDuplicateCity, Some(b.id), km, &[id, b.id, &tenth]));
            }
        }
        out.retain(|f| self.on(f.rule));
        out
    }

    /// The finding of a point three or more live cities share, if they do.
    pub fn of_point(&self, latitude: f64, longitude: f64, data: &impl Data) -> Option<Found> {
        if !self.on(Rule::SharedCoordinates) {
            return None;
        }
        let at = data.cities_at(latitude, longitude);
        if at.len() < SHARED_AT_LEAST {
            return None;
        }
        let ids: Vec<&str> = at.iter().map(|p| &**p.id).collect();
        let point = format!("{latitude},{longitude}");
        Some(Found {
            rule: Rule::SharedCoordinates,
            id: digest(Rule::SharedCoordinates, &[&point, &ids.join("\u{1e}")]),
            state: at[0].state,
            subject: at[0].id.clone(),
            other: None,
            latitude,
            longitude,
            measure: at.len() as f64,
        })
    }

    /// Every finding, each with its owner: a full evaluation.
    pub fn all(&self, data: Indexes<'_>) -> Vec<(Owner, Found)> {
        let mut out = Vec::new();
        for pin in data.pincodes.pins() {
            let owner = Owner::Pincode(pin.code.clone());
            out.extend(self.of_pincode(pin.code, &data).into_iter().map(|f| (owner.clone(), f)));
        }
        let mut points: HashMap<(u64, u64), (f64, f64, usize)> = HashMap::new();
        let mut ids = Vec::with_capacity(data.cities.live());
        for c in data.cities.places() {
            ids.push((along(c.latitude, c.longitude), c.id));
            if c.is_located() {
                let at =
                    points.entry((c.latitude.to_bits(), c.longitude.to_bits())).or_insert((c.latitude, c.longitude, 0));
                at.2 += 1;
            }
        }
        // In rows of about 5 km, west to east: the neighbours one city reads are
        // those the one before it read, still in the cache (by id, each read
        // missed it: 2.5 times slower at 600,000 cities).
        ids.sort_unstable();
        let ids: Vec<&Arc<str>> = ids.into_iter().map(|(_, id)| id).collect();
        // The cities on every core (rayon: ranges split and stolen as cores
        // free up, so a dense region does not leave one core working alone).
        out.par_extend(ids.par_iter().with_min_len(1024).flat_map_iter(|id| {
            let owner = Owner::City((*id).clone());
            self.of_city(id, &data).into_iter().map(move |f| (owner.clone(), f))
        }));
        for (lat, lon, _) in points.into_values().filter(|(_, _, n)| *n >= SHARED_AT_LEAST) {
            out.extend(self.of_point(lat, lon, &data).map(|f| (Owner::point(lat, lon), f)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use app::domain::city::City;
    use app::domain::pincode::Pincode;

    use super::*;
    use crate::index::cities::CityIndex;
    use crate::index::fixtures;
    use crate::index::pincodes::PincodeIndex;
    use crate::index::quality::boundaries::tests::squares;

    fn all(rules: &Rules, cities: &CityIndex, pincodes: &PincodeIndex) -> Vec<(Owner, Found)> {
        rules.all(Indexes { cities, pincodes })
    }

    fn city(name: &str, state: &str, lat: f64, lon: f64, alternates: &[&str]) -> City {
        let mut city = fixtures::city(name, state, lat, lon);
        city.fields.alternate_names = alternates.iter().map(|a| a.to_string()).collect();
        city
    }

    fn pincode(code: &str, city: &City, lat: f64, lon: f64) -> Pincode {
        fixtures::pincode(code, &city.id, &city.fields.state, lat, lon)
    }

    /// `km` kilometres due north of (lat, lon), as `distance_km` measures.
    fn north(lat: f64, km: f64) -> f64 {
        lat + (km / app::domain::geo::EARTH_RADIUS_KM).to_degrees()
    }

    fn rules() -> Rules {
        Rules { pincode_km: 50.0, boundaries: Some(Arc::new(squares())), no_boundaries: None, off: vec![] }
    }

    fn fired(found: &[(Owner, Found)], rule: Rule) -> Vec<String> {
        let mut subjects: Vec<String> =
            found.iter().filter(|(_, f)| f.rule == rule).map(|(_, f)| f.subject.to_string()).collect();
        subjects.sort();
        subjects
    }

    #[test]
    fn a_pincode_beyond_the_threshold_fires_and_one_at_exactly_it_does_not() {
        let qtown = city("Qtown", "Karnataka", 15.0, 75.0, &[]);
        let pins = [
            pincode("560001", &qtown, north(15.0, 50.0), 75.0),
            pincode("560002", &qtown, north(15.0, 50.2), 75.0),
            pincode("560003", &qtown, north(15.0, 322.0), 75.0),
        ];
        let cities = CityIndex::build([qtown]);
        let pincodes = PincodeIndex::build(pins);
        assert!((distance_km((15.0, 75.0), (north(15.0, 50.0), 75.0)) - 50.0).abs() < 1e-9);
        let found = all(&rules(), &cities, &pincodes);
        assert_eq!(fired(&found, Rule::PincodeFarFromCity), ["560002", "560003"], "exactly 50 km is not too far");
        let far = found.iter().find(|(_, f)| &*f.subject == "560003").unwrap();
        assert_eq!(far.1.other.as_deref(), Some("karnataka/qtown"));
        assert!((far.1.measure - 322.0).abs() < 1e-6);
    }

    #[test]
    fn a_pincode_of_another_circle_fires_and_its_own_does_not() {
        let qtown = city("Qtown", "Karnataka", 15.0, 75.0, &[]);
        let pins = [pincode("560001", &qtown, 15.0, 75.0), pincode("110001", &qtown, 15.0, 75.0)];
        let found = all(&rules(), &CityIndex::build([qtown]), &PincodeIndex::build(pins));
        assert_eq!(fired(&found, Rule::PincodeStateMismatch), ["110001"]);
    }

    #[test]
    fn a_pincode_without_coordinates_fires_at_its_city() {
        let qtown = city("Qtown", "Karnataka", 15.0, 75.0, &[]);
        let pins = [pincode("560001", &qtown, f64::NAN, f64::NAN), pincode("560002", &qtown, 15.0, 75.0)];
        let found = all(&rules(), &CityIndex::build([qtown]), &PincodeIndex::build(pins));
        assert_eq!(fired(&found, Rule::PincodeUnlocated), ["560001"]);
        let f = &found.iter().find(|(_, f)| f.rule == Rule::PincodeUnlocated).unwrap().1;
        assert_eq!((f.latitude, f.longitude), (15.0, 75.0), "drawn at its city");
        assert!(fired(&found, Rule::PincodeFarFromCity).is_empty());
    }

    #[test]
    fn names_one_letter_apart_within_5_km_of_one_state_fire_and_near_misses_do_not() {
        let cities = CityIndex::build([
            city("Gaziabad", "Uttar Pradesh", 28.66, 77.43, &[]),
            city("Ghaziabad", "Uttar Pradesh", 28.67, 77.44, &[]),
            // Two letters apart.
            city("Rampur", "Uttar Pradesh", 28.80, 79.02, &[]),
            city("Rampuram", "Uttar Pradesh", 28.81, 79.02, &[]),
            // One letter apart, but 11 km.
            city("Sitapur", "Uttar Pradesh", 27.57, 80.68, &[]),
            city("Sitapura", "Uttar Pradesh", 27.67, 80.68, &[]),
            // The same name across a state border, 1 km apart.
            city("Border", "Goa", 15.5, 74.295, &[]),
            city("Border", "Karnataka", 15.5, 74.305, &[]),
            // One named as the other's alternate name.
            city("Mumbai", "Maharashtra", 19.07, 72.87, &["Bombay"]),
            city("Bombay", "Maharashtra", 19.08, 72.88, &[]),
        ]);
        let found = all(&rules(), &cities, &PincodeIndex::build([]));
        let pairs: Vec<(String, String)> = found
            .iter()
            .filter(|(_, f)| f.rule == Rule::PossibleDuplicateCity)
            .map(|(_, f)| (f.subject.to_string(), f.other.as_deref().unwrap().to_string()))
            .collect();
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert!(pairs.contains(&("uttar-pradesh/gaziabad".into(), "uttar-pradesh/ghaziabad".into())));
        assert!(pairs.contains(&("maharashtra/bombay".into(), "maharashtra/mumbai".into())));
    }

    #[test]
    fn a_city_outside_its_state_by_more_than_2_km_fires_and_a_border_town_does_not() {
        let cities = CityIndex::build([
            city("Inland", "Goa", 15.5, 74.0, &[]),
            // 1 km east of Goa's border (74.3°E): within the tolerance.
            city("Bordertown", "Goa", 15.5, 74.3093, &[]),
            // 3 km east of it: outside.
            city("Farside", "Goa", 15.5, 74.328, &[]),
            // No boundary for Delhi here: not checked.
            city("Delhi", "Delhi", 28.6, 77.2, &[]),
        ]);
        let found = all(&rules(), &cities, &PincodeIndex::build([]));
        assert_eq!(fired(&found, Rule::CityOutsideState), ["goa/farside"]);
        let no_boundaries = all(&Rules { boundaries: None, ..rules() }, &cities, &PincodeIndex::build([]));
        assert!(fired(&no_boundaries, Rule::CityOutsideState).is_empty());
    }

    #[test]
    fn three_cities_at_one_point_fire_once_and_two_do_not() {
        let cities = CityIndex::build([
            city("A", "Bihar", 25.0, 85.0, &[]),
            city("B", "Bihar", 25.0, 85.0, &[]),
            city("C", "Bihar", 25.0, 85.0, &[]),
            city("D", "Bihar", 26.0, 86.0, &[]),
            city("E", "Bihar", 26.0, 86.0, &[]),
        ]);
        let found = all(&rules(), &cities, &PincodeIndex::build([]));
        assert_eq!(fired(&found, Rule::SharedCoordinates), ["bihar/a"]);
        assert_eq!(found.iter().find(|(_, f)| f.rule == Rule::SharedCoordinates).unwrap().1.measure, 3.0);
    }

    #[test]
    fn a_city_without_a_live_pincode_fires() {
        let (with, without) = (city("With", "Kerala", 10.0, 76.0, &[]), city("Without", "Kerala", 10.5, 76.0, &[]));
        let mut gone = pincode("682002", &without, 10.5, 76.0);
        gone.deleted_at = Some("2026-12-04T00:00:00Z".into());
        let pins = [pincode("682001", &with, 10.0, 76.0), gone];
        let found = all(&rules(), &CityIndex::build([with, without]), &PincodeIndex::build(pins));
        assert_eq!(fired(&found, Rule::CityWithoutPincodes), ["kerala/without"]);
    }

    #[test]
    fn a_rule_turned_off_finds_nothing_and_says_why() {
        let cities = CityIndex::build([city("A", "Bihar", 25.0, 85.0, &[]), city("B", "Bihar", 25.0, 85.0, &[])]);
        let off = Rules { off: vec![Rule::CityWithoutPincodes], ..rules() };
        assert!(fired(&all(&off, &cities, &PincodeIndex::build([])), Rule::CityWithoutPincodes).is_empty());
        assert_eq!(fired(&all(&rules(), &cities, &PincodeIndex::build([])), Rule::CityWithoutPincodes).len(), 2);
        assert_eq!(off.not_checked(Rule::CityWithoutPincodes).as_deref(), Some("turned off (GEOLEDGER_QUALITY_OFF)"));
        assert_eq!(off.not_checked(Rule::CityOutsideState), None);
    }

    #[test]
    fn an_id_is_the_same_for_the_same_facts_and_new_when_they_change() {
        let qtown = city("Qtown", "Karnataka", 15.0, 75.0, &[]);
        let at = |km: f64| {
            let p = pincode("560002", &qtown, north(15.0, km), 75.0);
            let (cities, pincodes) = (CityIndex::build([qtown.clone()]), PincodeIndex::build([p]));
            let found = rules().of_pincode("560002", &Indexes { cities: &cities, pincodes: &pincodes });
            found.into_iter().find(|f| f.rule == Rule::PincodeFarFromCity).unwrap().id
        };
        assert_eq!(at(322.0), at(322.2), "the same kilometres shown");
        assert_ne!(at(322.0), at(330.0));
    }
}
