//! What the rules read, whatever holds it: the read indexes as they are
//! (`Indexes`), or the indexes with an import's planned cities and
//! pincodes laid over them (`Overlay`, what a dry run asks: which findings
//! the file would open). One set of rules, read through this.

use std::collections::HashMap;
use std::sync::Arc;

use app::domain::city::CityFields;
use app::domain::geo::distance_km;
use app::domain::pincode::PincodeFields;

use crate::index::cities::{state_number, CityIndex, Place};
use crate::index::pincodes::{Pin, PincodeIndex};

/// The live cities and pincodes, as the rules read them.
pub trait Data {
    /// A live city.
    fn city(&self, id: &str) -> Option<Place<'_>>;
    /// At most `k` live cities within `km` of a point, nearest first.
    fn cities_near(&self, latitude: f64, longitude: f64, km: f64, k: usize) -> Vec<(Place<'_>, f64)>;
    /// The live cities at exactly this point, by id.
    fn cities_at(&self, latitude: f64, longitude: f64) -> Vec<Place<'_>>;
    /// A live pincode.
    fn pin(&self, code: &str) -> Option<Pin<'_>>;
    /// Whether any live pincode belongs to the city.
    fn has_pincodes(&self, city_id: &str) -> bool;
}

/// The read indexes as they are.
#[derive(Clone, Copy)]
pub struct Indexes<'a> {
    pub cities: &'a CityIndex,
    pub pincodes: &'a PincodeIndex,
}

impl Data for Indexes<'_> {
    fn city(&self, id: &str) -> Option<Place<'_>> {
        self.cities.live_place(id)
    }

    fn cities_near(&self, latitude: f64, longitude: f64, km: f64, k: usize) -> Vec<(Place<'_>, f64)> {
        self.cities.places_near(latitude, longitude, km, k)
    }

    fn cities_at(&self, latitude: f64, longitude: f64) -> Vec<Place<'_>> {
        self.cities.places_at(latitude, longitude)
    }

    fn pin(&self, code: &str) -> Option<Pin<'_>> {
        self.pincodes.pin(code)
    }

    fn has_pincodes(&self, city_id: &str) -> bool {
        !self.pincodes.codes_of(city_id).is_empty()
    }
}

/// A planned city, as the overlay holds it.
struct PlannedCity {
    id: Arc<str>,
    name: Box<str>,
    alternates: Box<[Box<str>]>,
    state: u8,
    latitude: f64,
    longitude: f64,
}

impl PlannedCity {
    fn place(&self) -> Place<'_> {
        Place {
            id: &self.id,
            name: &self.name,
            alternates: &self.alternates,
            state: self.state,
            latitude: self.latitude,
            longitude: self.longitude,
        }
    }
}

struct PlannedPin {
    code: Arc<str>,
    city_id: Arc<str>,
    latitude: f64,
    longitude: f64,
}

/// A grid cell of 0.1° (about 11 km): a 5 km neighbourhood is in the 3 × 3 around its cell.
fn cell(latitude: f64, longitude: f64) -> (i32, i32) {
    ((latitude * 10.0).floor() as i32, (longitude * 10.0).floor() as i32)
}

/// The indexes, with an import's planned cities and pincodes over them: a
/// planned entity stands in for the one of the same id or code.
pub struct Overlay<'a> {
    base: Indexes<'a>,
    cities: HashMap<Arc<str>, PlannedCity>,
    pins: HashMap<Arc<str>, PlannedPin>,
    grid: HashMap<(i32, i32), Vec<Arc<str>>>,
    pins_of: HashMap<Arc<str>, usize>,
}

impl<'a> Overlay<'a> {
    pub fn new(base: Indexes<'a>) -> Self {
        Overlay { base, cities: HashMap::new(), pins: HashMap::new(), grid: HashMap::new(), pins_of: HashMap::new() }
    }

    /// A city as the import would leave it.
    pub fn plan_city(&mut self, id: &str, f: &CityFields) {
        let state = state_number(&f.state);
        let id: Arc<str> = id.into();
        if let Some(old) = self.cities.remove(&id) {
            if let Some(ids) = self.grid.get_mut(&cell(old.latitude, old.longitude)) {
                ids.retain(|i| *i != id);
            }
        }
        self.grid.entry(cell(f.latitude, f.longitude)).or_default().push(id.clone());
        let alternates = f.alternate_names.iter().map(|n| n.as_str().into()).collect();
        let planned = PlannedCity {
            id: id.clone(),
            name: f.name.as_str().into(),
            alternates,
            state,
            latitude: f.latitude,
            longitude: f.longitude,
        };
        self.cities.insert(id, planned);
    }

    /// A pincode as the import would leave it.
    pub fn plan_pincode(&mut self, f: &PincodeFields) {
        let code: Arc<str> = f.pincode.as_str().into();
        if let Some(old) = self.pins.remove(&code) {
            *self.pins_of.entry(old.city_id).or_default() -= 1;
        }
        let city_id: Arc<str> = f.city_id.as_str().into();
        *self.pins_of.entry(city_id.clone()).or_default() += 1;
        let planned = PlannedPin { code: code.clone(), city_id, latitude: f.latitude, longitude: f.longitude };
        self.pins.insert(code, planned);
    }

    pub fn planned_cities(&self) -> impl Iterator<Item = &str> {
        self.cities.keys().map(|id| &**id)
    }

    pub fn planned_pincodes(&self) -> impl Iterator<Item = &str> {
        self.pins.keys().map(|code| &**code)
    }

    /// The points of the planned cities.
    pub fn planned_points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.cities.values().map(|c| (c.latitude, c.longitude))
    }

    fn planned_near(&self, latitude: f64, longitude: f64, km: f64) -> Vec<(Place<'_>, f64)> {
        let (row, col) = cell(latitude, longitude);
        let mut near = Vec::new();
        for r in row - 1..=row + 1 {
            for c in col - 1..=col + 1 {
                for id in self.grid.get(&(r, c)).into_iter().flatten() {
                    let p = self.cities[id].place();
                    let d = distance_km((latitude, longitude), (p.latitude, p.longitude));
                    if d <= km {
                        near.push((p, d));
                    }
                }
            }
        }
        near
    }
}

impl Data for Overlay<'_> {
    fn city(&self, id: &str) -> Option<Place<'_>> {
        match self.cities.get(id) {
            Some(c) => Some(c.place()),
            None => self.base.city(id),
        }
    }

    fn cities_near(&self, latitude: f64, longitude: f64, km: f64, k: usize) -> Vec<(Place<'_>, f64)> {
        let mut near: Vec<(Place<'_>, f64)> = self
            .base
            .cities_near(latitude, longitude, km, k)
            .into_iter()
            .filter(|(p, _)| !self.cities.contains_key(p.id))
            .collect();
        near.extend(self.planned_near(latitude, longitude, km));
        near.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.id.cmp(b.0.id)));
        near.truncate(k);
        near
    }

    fn cities_at(&self, latitude: f64, longitude: f64) -> Vec<Place<'_>> {
        let mut at: Vec<Place<'_>> =
            self.base.cities_at(latitude, longitude).into_iter().filter(|p| !self.cities.contains_key(p.id)).collect();
        let planned = self.planned_near(latitude, longitude, 0.0).into_iter().map(|(p, _)| p);
        at.extend(planned.filter(|p| p.latitude == latitude && p.longitude == longitude));
        at.sort_by(|a, b| a.id.cmp(b.id));
        at
    }

    fn pin(&self, code: &str) -> Option<Pin<'_>> {
        match self.pins.get(code) {
            Some(p) => Some(Pin { code: &p.code, city_id: &p.city_id, latitude: p.latitude, longitude: p.longitude }),
            None => self.base.pin(code),
        }
    }

    fn has_pincodes(&self, city_id: &str) -> bool {
        self.pins_of.get(city_id).is_some_and(|n| *n > 0)
            || self.base.pincodes.codes_of(city_id).iter().any(|code| !self.pins.contains_key(code))
    }
}
