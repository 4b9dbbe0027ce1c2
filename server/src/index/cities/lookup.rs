//! What the lookups ask of the cities: the nearest live ones to a place,
//! the names a search box finds, and where each state's cities are.

use std::cmp::Reverse;
use std::sync::Arc;

use app::domain::lookup::NearCity;

use super::{state_name, CityIndex, Slot};

/// How many names starting with what was typed the search box ranks at most
/// (the most populous first): a letter or two is a long list at 600,000.
const RANKED: usize = 5000;

/// A city a search box found.
pub struct Named {
    pub id: Arc<str>,
    pub name: String,
    /// The alternate name that matched, when its current name did not.
    pub matched: Option<String>,
    pub state: &'static str,
    pub latitude: f64,
    pub longitude: f64,
}

impl CityIndex {
    /// The `k` live cities nearest to a place, nearest first.
    pub fn nearest(&self, latitude: f64, longitude: f64, k: usize) -> Vec<NearCity> {
        let located = |slot: &Slot| self.at(*slot).latitude.is_finite();
        self.live
            .nearest(latitude, longitude, k, |slot| self.at(*slot).position(), located)
            .into_iter()
            .map(|(slot, distance_km)| {
                let e = self.at(*slot);
                NearCity {
                    id: e.id.to_string(),
                    name: e.name.to_string(),
                    state: state_name(e.state).to_string(),
                    latitude: e.latitude,
                    longitude: e.longitude,
                    distance_km,
                }
            })
            .collect()
    }

    /// A city's current name and state, by id.
    pub fn name_and_state(&self, id: &str) -> Option<(&str, &'static str)> {
        self.get(id).map(|e| (&*e.name, state_name(e.state)))
    }

    /// The live cities one of whose names starts with `prefix` (a search
    /// key): those named so exactly first, then the most populous.
    pub fn search(&self, prefix: &str, limit: usize) -> Vec<Named> {
        if prefix.is_empty() {
            return Vec::new();
        }
        let from: (Box<str>, Slot) = (prefix.into(), 0);
        let mut found: Vec<(bool, Reverse<u64>, Slot)> = self
            .by_name
            .range(from..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .filter(|(_, slot)| !self.at(*slot).deleted)
            .take(RANKED)
            .map(|(key, slot)| (&**key != prefix, Reverse(self.at(*slot).population), *slot))
            .collect();
        found.sort_unstable();
        found.dedup_by_key(|(_, _, slot)| *slot);
        found
            .into_iter()
            .take(limit)
            .map(|(_, _, slot)| {
                let e = self.at(slot);
                Named {
                    id: e.id.clone(),
                    name: e.name.to_string(),
                    matched: self.matched_at(slot, prefix),
                    state: state_name(e.state),
                    latitude: e.latitude,
                    longitude: e.longitude,
                }
            })
            .collect()
    }

    /// Where a state's live cities are, on average (none: it has none).
    pub fn state_centre(&self, state: usize) -> Option<(f64, f64)> {
        let (count, lat, lon) = *self.state_sums.get(state)?;
        (count > 0).then(|| (lat / count as f64, lon / count as f64))
    }
}

#[cfg(test)]
mod tests {
    use app::domain::fold::search_key;
    use app::domain::state::STATES;

    use super::super::tests::{city, index};

    #[test]
    fn the_nearest_cities_are_live_and_nearest_first() {
        let mut index = index();
        let near = index.nearest(18.52, 73.85, 2);
        assert_eq!(near.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Pune", "पुणे"]);
        assert!(near[0].distance_km < 0.01 && near[1].distance_km < 2.0, "{:?}", near[1].distance_km);
        let mut pune = city("Pune", "Maharashtra", 18.52, 73.85, 3_124_000);
        pune.deleted_at = Some("2026-12-01T00:00:00Z".into());
        index.upsert(&pune);
        assert_eq!(index.nearest(18.52, 73.85, 1)[0].name, "पुणे", "a deleted city is not near");
    }

    #[test]
    fn a_search_puts_the_name_itself_first_then_the_most_populous() {
        let index = index();
        let names = |p: &str| index.search(&search_key(p), 10).into_iter().map(|n| n.name).collect::<Vec<_>>();
        assert_eq!(names("pu"), ["Pune", "Puducherry"], "by population");
        assert_eq!(names("PUNE"), ["Pune"]);
        assert!(names("").is_empty());
    }

    #[test]
    fn a_state_centre_follows_its_live_cities() {
        let mut index = index();
        let bihar = STATES.iter().position(|s| s.name == "Bihar").unwrap();
        assert_eq!(index.state_centre(bihar), Some((25.59, 85.13)));
        let mut patna = city("Patna", "Bihar", 25.59, 85.13, 1_684_000);
        patna.deleted_at = Some("2026-12-01T00:00:00Z".into());
        index.upsert(&patna);
        assert_eq!(index.state_centre(bihar), None);
    }
}
