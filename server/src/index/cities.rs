//! The cities, in memory: by id, by state, by name (its search key), and where
//! they are; what a listing, a search or the map asks for, answered without a
//! scan of the store. Listings are ids: the caller reads the cities themselves
//! by `_id` from the store.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Bound;
use std::sync::{Arc, OnceLock};

use app::domain::city::City;
use app::domain::fold::search_key;
use app::domain::geo::BBox;
use app::domain::map::{Layer, MapCity};
use app::domain::state::STATES;

use super::spatial::Spatial;

/// What a listing needs to know of a city, and what the map draws.
struct Entry {
    name: Box<str>,
    /// Its place in `STATES`.
    state: u8,
    district: Option<Arc<str>>,
    latitude: f64,
    longitude: f64,
    population: Option<u64>,
    is_metro: bool,
    deleted: bool,
}

/// A listing, as the index runs it: the filters, then the order (by
/// population then id in a box, by id otherwise), then the page.
#[derive(Clone, Debug, Default)]
pub struct CityListing {
    pub state: Option<&'static str>,
    /// A search key prefix (`search_key` of what was typed).
    pub name_prefix: Option<String>,
    pub bbox: Option<BBox>,
    pub include_deleted: bool,
    /// The id of the last city of the previous page.
    pub cursor: Option<String>,
    pub limit: usize,
}

pub struct CityLoader {
    index: CityIndex,
    points: Vec<(Arc<str>, f64, f64)>,
}

impl CityLoader {
    pub fn add(&mut self, city: &City) {
        let id: Arc<str> = Arc::from(city.id.as_str());
        let entry = self.index.entry(city);
        if !entry.deleted {
            self.points.push((id.clone(), entry.longitude, entry.latitude));
        }
        self.index.add_keys(&id, &entry);
        self.index.by_id.insert(id, entry);
    }

    pub fn finish(mut self) -> CityIndex {
        self.index.live = Spatial::build(self.points);
        self.index
    }
}

pub struct CityIndex {
    /// By id, which starts with the slug of the city's first state: a state's
    /// cities are one range of it, with those moved in since (`moved_in`).
    by_id: BTreeMap<Arc<str>, Entry>,
    /// The cities whose id does not start with their state's slug, by state.
    moved_in: BTreeSet<(u8, Arc<str>)>,
    by_name: BTreeSet<(Box<str>, Arc<str>)>,
    /// The cities not deleted.
    live: Spatial,
    /// One copy of each district's name.
    districts: HashSet<Arc<str>>,
}

fn state_number(name: &str) -> u8 {
    STATES.iter().position(|s| s.name == name).unwrap_or(STATES.len()) as u8
}

/// Where a state's ids start: `kerala/`. Built once: every city loaded asks.
fn id_prefix(state: u8) -> Option<&'static str> {
    static PREFIXES: OnceLock<Vec<String>> = OnceLock::new();
    let prefixes = PREFIXES.get_or_init(|| STATES.iter().map(|s| format!("{}/", s.slug())).collect());
    prefixes.get(state as usize).map(String::as_str)
}

impl CityIndex {
    pub fn build(cities: impl IntoIterator<Item = City>) -> Self {
        let mut loader = Self::loader(0);
        for city in cities {
            loader.add(&city);
        }
        loader.finish()
    }

    /// Fills an index a city at a time (a start-up load), building where they
    /// are at the end, at once. `expected`: about how many cities will come
    /// (room for their points is made once: doubling it was most of the
    /// memory a load takes beyond the index it builds).
    pub fn loader(expected: usize) -> CityLoader {
        let index = CityIndex {
            by_id: BTreeMap::new(),
            moved_in: BTreeSet::new(),
            by_name: BTreeSet::new(),
            live: Spatial::build(Vec::new()),
            districts: HashSet::new(),
        };
        CityLoader { index, points: Vec::with_capacity(expected) }
    }

    fn entry(&mut self, c: &City) -> Entry {
        let f = &c.fields;
        let district = f.district.as_deref().map(|d| match self.districts.get(d) {
            Some(known) => known.clone(),
            None => {
                let d: Arc<str> = Arc::from(d);
                self.districts.insert(d.clone());
                d
            }
        });
        Entry {
            name: f.name.as_str().into(),
            state: state_number(&f.state),
            district,
            latitude: f.latitude,
            longitude: f.longitude,
            population: f.population,
            is_metro: f.is_metro,
            deleted: c.deleted_at.is_some(),
        }
    }

    fn add_keys(&mut self, id: &Arc<str>, e: &Entry) {
        if id_prefix(e.state).is_none_or(|p| !id.starts_with(p)) {
            self.moved_in.insert((e.state, id.clone()));
        }
        self.by_name.insert((search_key(&e.name).into(), id.clone()));
    }

    /// The city as the store now holds it.
    pub fn upsert(&mut self, city: &City) {
        let id: Arc<str> = match self.by_id.get_key_value(city.id.as_str()) {
            Some((known, _)) => known.clone(),
            None => Arc::from(city.id.as_str()),
        };
        self.remove(&id);
        let entry = self.entry(city);
        if !entry.deleted {
            self.live.insert(id.clone(), entry.longitude, entry.latitude);
        }
        self.add_keys(&id, &entry);
        self.by_id.insert(id, entry);
    }

    /// A city the store does not hold (never: cities are deleted softly; kept for a reload).
    pub fn remove(&mut self, id: &str) {
        let Some((id, e)) = self.by_id.remove_entry(id) else { return };
        self.moved_in.remove(&(e.state, id.clone()));
        self.by_name.remove(&(search_key(&e.name).into_boxed_str(), id.clone()));
        if !e.deleted {
            self.live.remove(&id, e.longitude, e.latitude);
        }
    }

    /// Every city, deleted ones included.
    pub fn total(&self) -> usize {
        self.by_id.len()
    }

    /// The cities not deleted.
    pub fn live(&self) -> usize {
        self.live.len()
    }

    /// The ids of one page of a listing, in its order.
    pub fn page(&self, q: &CityListing) -> Vec<Arc<str>> {
        let state = q.state.map(state_number);
        let prefix = q.name_prefix.as_deref().filter(|p| !p.is_empty());
        // The name prefix is checked here only for a box: the name index finds by it otherwise.
        let fits = |_: &Arc<str>, e: &Entry| (q.include_deleted || !e.deleted) && state.is_none_or(|s| s == e.state);
        if let Some(bbox) = q.bbox {
            let named = |id: &Arc<str>, e: &Entry| {
                fits(id, e) && inside(bbox, e) && prefix.is_none_or(|p| search_key(&e.name).starts_with(p))
            };
            return self.box_page(bbox, q, named);
        }
        let after = match &q.cursor {
            Some(c) => Bound::Excluded(c.as_str()),
            None => Bound::Unbounded,
        };
        let of = |id: &Arc<str>| self.by_id.get_key_value(id);
        if let Some(p) = prefix {
            // Every name with the prefix, then the first ids after the cursor.
            let from: (Box<str>, Arc<str>) = (p.into(), Arc::from(""));
            let named = self.by_name.range((Bound::Included(from), Bound::Unbounded));
            let mut ids: Vec<&Arc<str>> = named
                .take_while(|(key, _)| key.starts_with(p))
                .filter_map(|(_, id)| of(id))
                .filter(|(id, e)| fits(id, e) && after_cursor(id, &q.cursor))
                .map(|(id, _)| id)
                .collect();
            return first(&mut ids, q.limit);
        }
        if let Some(s) = state {
            // The range of ids the state's slug starts, merged with those moved in.
            let Some(prefix) = id_prefix(s) else { return Vec::new() };
            let from = match &q.cursor {
                Some(c) if c.as_str() >= prefix => Bound::Excluded(c.as_str()),
                _ => Bound::Included(prefix),
            };
            let born =
                self.by_id.range::<str, _>((from, Bound::Unbounded)).take_while(|(id, _)| id.starts_with(prefix));
            let moved_from = match &q.cursor {
                Some(c) => Bound::Excluded((s, Arc::from(c.as_str()))),
                None => Bound::Included((s, Arc::from(""))),
            };
            let moved = self.moved_in.range((moved_from, Bound::Unbounded)).take_while(|(st, _)| *st == s);
            let mut born = born.filter(|(id, e)| fits(id, e)).map(|(id, _)| id).peekable();
            let mut moved =
                moved.filter_map(|(_, id)| of(id)).filter(|(id, e)| fits(id, e)).map(|(id, _)| id).peekable();
            let mut page = Vec::with_capacity(q.limit);
            while page.len() < q.limit {
                let next = match (born.peek(), moved.peek()) {
                    (Some(a), Some(b)) if b < a => moved.next(),
                    (Some(_), _) => born.next(),
                    (None, _) => moved.next(),
                };
                match next {
                    Some(id) => page.push(id.clone()),
                    None => break,
                }
            }
            return page;
        }
        self.by_id
            .range::<str, _>((after, Bound::Unbounded))
            .filter(|(id, e)| fits(id, e))
            .take(q.limit)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// A box's listing: the most populous first, then by id; the cursor is the
    /// last city of the page before.
    fn box_page(&self, bbox: BBox, q: &CityListing, fits: impl Fn(&Arc<str>, &Entry) -> bool) -> Vec<Arc<str>> {
        let rank = |id: &Arc<str>, e: &Entry| (std::cmp::Reverse(e.population.unwrap_or(0)), id.clone());
        let after = q.cursor.as_deref().and_then(|c| self.by_id.get_key_value(c)).map(|(id, e)| rank(id, e));
        let candidates: Box<dyn Iterator<Item = &Arc<str>>> =
            if q.include_deleted { Box::new(self.by_id.keys()) } else { Box::new(self.live.ids_in(bbox)) };
        let mut ranked: Vec<_> = candidates
            .filter_map(|id| self.by_id.get_key_value(id))
            .filter(|(id, e)| fits(id, e))
            .map(|(id, e)| rank(id, e))
            .filter(|r| after.as_ref().is_none_or(|a| r > a))
            .collect();
        if ranked.len() > q.limit {
            ranked.select_nth_unstable(q.limit);
            ranked.truncate(q.limit);
        }
        ranked.sort_unstable();
        ranked.into_iter().map(|(_, id)| id).collect()
    }

    /// What the map draws of the cities in a view: the most populous first
    /// when it cannot draw them all.
    pub fn map(&self, bbox: BBox, zoom: u8) -> Layer<MapCity> {
        let rank = |id: &Arc<str>| {
            let population = self.by_id.get(id).and_then(|e| e.population).unwrap_or(0);
            (std::cmp::Reverse(population), id.clone())
        };
        self.live.layer(bbox, zoom, rank, |id| {
            let e = self.by_id.get(id)?;
            Some(MapCity {
                id: id.to_string(),
                name: e.name.to_string(),
                state: STATES.get(e.state as usize).map(|s| s.name.to_string()).unwrap_or_default(),
                district: e.district.as_deref().map(str::to_string),
                latitude: e.latitude,
                longitude: e.longitude,
                population: e.population,
                is_metro: e.is_metro,
            })
        })
    }
}

fn inside(b: BBox, e: &Entry) -> bool {
    (b.west..=b.east).contains(&e.longitude) && (b.south..=b.north).contains(&e.latitude)
}

fn after_cursor(id: &str, cursor: &Option<String>) -> bool {
    cursor.as_deref().is_none_or(|c| id > c)
}

/// The `limit` smallest ids, in order.
fn first(ids: &mut Vec<&Arc<str>>, limit: usize) -> Vec<Arc<str>> {
    if ids.len() > limit {
        ids.select_nth_unstable(limit);
        ids.truncate(limit);
    }
    ids.sort_unstable();
    ids.iter().map(|id| (*id).clone()).collect()
}

#[cfg(test)]
mod tests {
    use app::domain::city::CityFields;
    use serde_json::Map;

    use super::*;

    fn city(name: &str, state: &str, lat: f64, lon: f64, population: u64) -> City {
        let fields = CityFields {
            name: name.into(),
            state: state.into(),
            district: Some("Somewhere".into()),
            latitude: lat,
            longitude: lon,
            is_metro: false,
            is_capital: false,
            population: Some(population),
            area_sq_km: None,
            alternate_names: vec![],
            metadata: Map::new(),
        };
        City {
            id: fields.id(),
            fields,
            pincodes: vec![],
            created_at: String::new(),
            updated_at: String::new(),
            deleted_at: None,
        }
    }

    fn index() -> CityIndex {
        CityIndex::build([
            city("Pune", "Maharashtra", 18.52, 73.85, 3_124_000),
            city("Mumbai", "Maharashtra", 19.07, 72.87, 12_442_000),
            city("Nagpur", "Maharashtra", 21.14, 79.08, 2_405_000),
            city("Patna", "Bihar", 25.59, 85.13, 1_684_000),
            city("Puducherry", "Puducherry", 11.94, 79.80, 244_000),
            city("Mahābaleshwar", "Maharashtra", 17.92, 73.66, 13_000),
            city("पुणे", "Maharashtra", 18.53, 73.86, 1),
        ])
    }

    fn names(index: &CityIndex, q: &CityListing) -> Vec<String> {
        index.page(q).iter().map(|id| index.by_id[id].name.to_string()).collect()
    }

    #[test]
    fn a_name_prefix_ignores_case_and_accents_and_keeps_devanagari() {
        let index = index();
        let q = |p: &str| CityListing { name_prefix: Some(search_key(p)), limit: 10, ..Default::default() };
        assert_eq!(names(&index, &q("PU")), ["Pune", "Puducherry"], "by id: maharashtra/… first");
        assert_eq!(names(&index, &q("mahab")), ["Mahābaleshwar"]);
        assert_eq!(names(&index, &q("Mahāb")), ["Mahābaleshwar"]);
        assert_eq!(names(&index, &q("पु")), ["पुणे"]);
    }

    #[test]
    fn pages_follow_each_other_by_id_with_or_without_filters() {
        let index = index();
        for listing in [
            CityListing { limit: 2, ..Default::default() },
            CityListing { limit: 2, state: Some("Maharashtra"), ..Default::default() },
            CityListing { limit: 1, name_prefix: Some("p".into()), ..Default::default() },
            CityListing { limit: 2, bbox: Some(BBox::new(68.0, 6.0, 98.0, 37.0).unwrap()), ..Default::default() },
        ] {
            let everything = index.page(&CityListing { limit: 100, cursor: None, ..listing.clone() });
            let mut paged = Vec::new();
            let mut q = listing.clone();
            loop {
                let page = index.page(&q);
                paged.extend(page.iter().cloned());
                match page.last() {
                    Some(last) if page.len() == q.limit => q.cursor = Some(last.to_string()),
                    _ => break,
                }
            }
            assert_eq!(paged, everything, "{listing:?}");
        }
    }

    #[test]
    fn a_box_lists_the_most_populous_first() {
        let index = index();
        let all_india = Some(BBox::new(68.0, 6.0, 98.0, 37.0).unwrap());
        let q = CityListing { bbox: all_india, limit: 3, ..Default::default() };
        assert_eq!(names(&index, &q), ["Mumbai", "Pune", "Nagpur"]);
        let bihar = CityListing { state: Some("Bihar"), ..q };
        assert_eq!(names(&index, &bihar), ["Patna"]);
    }

    #[test]
    fn a_deleted_city_leaves_the_lists_and_the_map_but_not_the_full_list() {
        let mut index = index();
        let mut patna = city("Patna", "Bihar", 25.59, 85.13, 1_684_000);
        patna.deleted_at = Some("2026-11-29T00:00:00Z".into());
        index.upsert(&patna);
        let bihar = CityListing { state: Some("Bihar"), limit: 10, ..Default::default() };
        assert!(index.page(&bihar).is_empty());
        assert_eq!(index.page(&CityListing { include_deleted: true, ..bihar }).len(), 1);
        assert_eq!((index.total(), index.live()), (7, 6));
        let map = index.map(BBox::new(84.0, 25.0, 86.0, 26.0).unwrap(), 8);
        assert!(map.points.is_empty() && map.in_view == 0);
    }

    #[test]
    fn a_city_moved_to_another_state_is_listed_under_it_in_id_order() {
        let mut index = index();
        let mut patna = city("Patna", "Maharashtra", 19.0, 73.0, 1_684_000);
        patna.id = "bihar/patna".into();
        index.upsert(&patna);
        let maharashtra = CityListing { state: Some("Maharashtra"), limit: 100, ..Default::default() };
        let ids: Vec<String> = index.page(&maharashtra).iter().map(|id| id.to_string()).collect();
        assert_eq!(ids[0], "bihar/patna");
        assert_eq!(ids.len(), 6);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        let bihar = CityListing { state: Some("Bihar"), ..maharashtra.clone() };
        assert!(index.page(&bihar).is_empty());
        // Paged one at a time, the merge keeps its order.
        let mut q = CityListing { limit: 1, ..maharashtra };
        let mut paged = Vec::new();
        while let Some(id) = index.page(&q).first().cloned() {
            q.cursor = Some(id.to_string());
            paged.push(id.to_string());
        }
        assert_eq!(paged, ids);
    }

    #[test]
    fn a_moved_and_renamed_city_is_found_where_and_as_it_is_now() {
        let mut index = index();
        let mut pune = city("Poona", "Maharashtra", 20.0, 75.0, 3_124_000);
        pune.id = "maharashtra/pune".into();
        index.upsert(&pune);
        let q = |p: &str| CityListing { name_prefix: Some(search_key(p)), limit: 10, ..Default::default() };
        assert_eq!(names(&index, &q("poo")), ["Poona"]);
        assert_eq!(names(&index, &q("pune")), Vec::<String>::new());
        let old_place = index.map(BBox::new(73.8, 18.5, 73.9, 18.55).unwrap(), 14);
        assert_eq!(old_place.points.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["पुणे"]);
        let new_place = index.map(BBox::new(74.9, 19.9, 75.1, 20.1).unwrap(), 14);
        assert_eq!(new_place.points[0].id, "maharashtra/pune");
    }
}
