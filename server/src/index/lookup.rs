//! The lookups, from the indexes in memory: which live pincodes and cities
//! are nearest a place (what a booking asks of a pickup point), and the
//! search box over states, pincodes and cities. Microseconds, whatever the
//! store: nothing here asks it.

use app::domain::fold::search_key;
use app::domain::lookup::{Hit, HitKind, Hits, NearPincode, Nearest, Point, MAX_RESULTS};
use app::domain::state::STATES;

use super::{read, ReadIndex};

impl ReadIndex {
    /// The `limit` live pincodes and cities nearest `point`, nearest first.
    pub fn nearest(&self, point: Point, limit: usize) -> Nearest {
        let cities = read(&self.cities);
        let near = read(&self.pincodes).nearest(point.lat, point.lon, limit);
        let pincodes = near
            .into_iter()
            .map(|p| {
                let (city_name, state) = cities.name_and_state(&p.city_id).unwrap_or_default();
                NearPincode {
                    pincode: p.pincode.to_string(),
                    area_name: p.area_name,
                    city_id: p.city_id.to_string(),
                    city_name: city_name.to_string(),
                    state: state.to_string(),
                    latitude: p.latitude,
                    longitude: p.longitude,
                    distance_km: p.distance_km,
                }
            })
            .collect();
        Nearest { pincodes, cities: cities.nearest(point.lat, point.lon, limit) }
    }

    /// What a search box finds for `q`: states by name, code or alias;
    /// pincodes by their first digits; cities by any of their names. At most 20.
    pub fn search(&self, q: &str) -> Hits {
        let key = search_key(q);
        if key.is_empty() {
            return Hits::default();
        }
        let cities = read(&self.cities);
        let mut results: Vec<Hit> = STATES
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                let names = std::iter::once(s.name).chain(std::iter::once(s.code)).chain(s.aliases.iter().copied());
                names.map(search_key).any(|n| n.starts_with(&key))
            })
            .filter_map(|(i, s)| {
                let (latitude, longitude) = cities.state_centre(i)?;
                let label = format!("{} ({})", s.name, s.code);
                Some(Hit {
                    kind: HitKind::State,
                    label,
                    city_id: None,
                    pincode: None,
                    state: s.name.into(),
                    latitude,
                    longitude,
                })
            })
            .collect();
        if key.chars().all(|c| c.is_ascii_digit()) {
            let pincodes = read(&self.pincodes);
            for p in pincodes.starting(&key, MAX_RESULTS) {
                let (city, state) = cities.name_and_state(&p.city_id).unwrap_or_default();
                let label = match &p.area_name {
                    Some(area) => format!("{} {area}, {city}", p.pincode),
                    None => format!("{}, {city}", p.pincode),
                };
                results.push(Hit {
                    kind: HitKind::Pincode,
                    label,
                    city_id: Some(p.city_id.to_string()),
                    pincode: Some(p.pincode.to_string()),
                    state: state.into(),
                    latitude: p.latitude,
                    longitude: p.longitude,
                });
            }
        }
        let room = MAX_RESULTS.saturating_sub(results.len());
        for c in cities.search(&key, room) {
            let name = match &c.matched {
                Some(alternate) => format!("{} ({alternate})", c.name),
                None => c.name,
            };
            results.push(Hit {
                kind: HitKind::City,
                label: format!("{name}, {}", c.state),
                city_id: Some(c.id.to_string()),
                pincode: None,
                state: c.state.into(),
                latitude: c.latitude,
                longitude: c.longitude,
            });
        }
        results.truncate(MAX_RESULTS);
        Hits { results }
    }
}
