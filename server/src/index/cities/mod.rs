//! The cities, in memory: by id, by state, by name (its search key), and where
//! they are; what a listing, a search or the map asks for, answered without a
//! scan of the store. Listings are ids: the caller reads the cities themselves
//! by `_id` from the store.
//!
//! Each city is an `Entry` in one vector, at its `Slot`; the orders (by id,
//! by name) and the map hold slots, not copies. At 600,000 cities that is
//! about 260 bytes a city, allocated (measured: 433 as one map of entries and
//! an R-tree, whose orders held the ids).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Bound;
use std::sync::{Arc, OnceLock};

use app::domain::city::City;
use app::domain::fold::search_key;
use app::domain::geo::BBox;
use app::domain::map::{Layer, MapCity};
use app::domain::state::STATES;

use self::entries::{Entries, Entry, Slot, NO_DISTRICT};
use super::spatial::Spatial;

mod entries;
mod lookup;
mod places;

pub use self::places::Place;

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

/// Fills an index at start: the orders are built at the end, from sorted
/// lists (full tree nodes; inserted one by one they are half full).
pub struct CityLoader {
    index: CityIndex,
    ids: Vec<(Arc<str>, Slot)>,
    names: Vec<(Box<str>, Slot)>,
}

impl CityLoader {
    pub fn add(&mut self, city: &City) {
        let index = &mut self.index;
        let entry = index.entry(city);
        let id = entry.id.clone();
        let slot = index.entries.push(entry);
        index.place(slot);
        index.keep_alternates(slot, city);
        self.ids.push((id, slot));
        self.names.extend(index.keys(slot).into_iter().map(|key| (key, slot)));
    }

    pub fn finish(mut self) -> CityIndex {
        let read = self.ids.len();
        self.index.by_id = self.ids.into_iter().collect();
        if self.index.by_id.len() < read {
            // A city read twice (a read of the store racing a change can meet one
            // twice): one read stands, the others leave the map and the orders.
            let dropped = self.index.drop_unlisted();
            self.names.retain(|(_, slot)| !dropped.contains(slot));
        }
        self.index.by_name = self.names.into_iter().collect();
        self.index
    }
}

pub struct CityIndex {
    /// Every city, at its slot; `None` where one was removed (reused first).
    entries: Entries,
    free: Vec<Slot>,
    /// By id, which starts with the slug of the city's first state: a state's
    /// cities are one range of it, with those moved in since (`moved_in`).
    by_id: BTreeMap<Arc<str>, Slot>,
    /// The cities whose id does not start with their state's slug, by state.
    moved_in: BTreeSet<(u8, Arc<str>)>,
    /// By search key of each of its names, current and alternate (then
    /// slot: a listing by name orders its finds by id).
    by_name: BTreeSet<(Box<str>, Slot)>,
    /// The alternate names of the cities that have any (few do).
    alternates: HashMap<Slot, Box<[Box<str>]>>,
    /// Per state (by its place in `STATES`): how many live cities, and their
    /// summed latitudes and longitudes (where a search box flies for it).
    state_sums: Vec<(u64, f64, f64)>,
    /// The cities not deleted.
    live: Spatial<Slot>,
    /// One copy of each district's name, and where it is.
    districts: Vec<Arc<str>>,
    district_slots: HashMap<Arc<str>, u32>,
}

/// A state's place in `STATES` by its official name (`STATES.len()` for none).
pub(crate) fn state_number(name: &str) -> u8 {
    STATES.iter().position(|s| s.name == name).unwrap_or(STATES.len()) as u8
}

/// Where a state's ids start: `kerala/`. Built once: every city loaded asks.
/// The official name of the state at a place in `STATES` ("" for none).
pub(crate) fn state_name(state: u8) -> &'static str {
    STATES.get(state as usize).map(|s| s.name).unwrap_or_default()
}

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

    /// Fills an index a city at a time (a start-up load). `expected`: about
    /// how many cities will come (room for them is made once).
    pub fn loader(expected: usize) -> CityLoader {
        let index = CityIndex {
            entries: Entries::default(),
            free: Vec::new(),
            by_id: BTreeMap::new(),
            moved_in: BTreeSet::new(),
            by_name: BTreeSet::new(),
            alternates: HashMap::new(),
            state_sums: vec![(0, 0.0, 0.0); STATES.len() + 1],
            live: Spatial::build([]),
            districts: Vec::new(),
            district_slots: HashMap::new(),
        };
        CityLoader { index, ids: Vec::with_capacity(expected), names: Vec::with_capacity(expected) }
    }

    fn entry(&mut self, c: &City) -> Entry {
        let f = &c.fields;
        let district = f.district.as_deref().map_or(NO_DISTRICT, |d| match self.district_slots.get(d) {
            Some(known) => *known,
            None => {
                let d: Arc<str> = Arc::from(d);
                let slot = self.districts.len() as u32;
                self.districts.push(d.clone());
                self.district_slots.insert(d, slot);
                slot
            }
        });
        Entry {
            id: Arc::from(c.id.as_str()),
            name: f.name.as_str().into(),
            latitude: f.latitude,
            longitude: f.longitude,
            population: f.population.unwrap_or(0),
            has_population: f.population.is_some(),
            district,
            state: state_number(&f.state),
            is_metro: f.is_metro,
            deleted: c.deleted_at.is_some(),
        }
    }

    /// Drops the entries `by_id` does not lead to (at a load, a city read
    /// twice): their points and moved-in marks go, their slots are free.
    fn drop_unlisted(&mut self) -> HashSet<Slot> {
        let unlisted: HashSet<Slot> = (0..self.entries.len() as Slot)
            .filter(|&slot| self.entries.get(slot).is_some_and(|e| self.by_id.get(&e.id) != Some(&slot)))
            .collect();
        for &slot in &unlisted {
            self.alternates.remove(&slot);
            let Some(e) = self.unplace(slot) else { continue };
            // The read that stands may share its moved-in mark: put it back.
            if let Some(&standing) = self.by_id.get(&e.id) {
                if self.moved(self.at(standing)) {
                    self.moved_in.insert((self.at(standing).state, e.id.clone()));
                }
            }
        }
        unlisted
    }

    /// True when the city's id does not start with its state's slug.
    fn moved(&self, e: &Entry) -> bool {
        id_prefix(e.state).is_none_or(|p| !e.id.starts_with(p))
    }

    fn at(&self, slot: Slot) -> &Entry {
        self.entries.get(slot).expect("an index entry at each slot it lists")
    }

    fn get(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).map(|slot| self.at(*slot))
    }

    /// Keeps the city's alternate names, if it has any, for its slot.
    fn keep_alternates(&mut self, slot: Slot, city: &City) {
        let names = &city.fields.alternate_names;
        if !names.is_empty() {
            self.alternates.insert(slot, names.iter().map(|n| n.as_str().into()).collect());
        }
    }

    /// The search keys the city at `slot` is found by: its name's, then its
    /// alternate names', each once.
    fn keys(&self, slot: Slot) -> Vec<Box<str>> {
        let mut keys: Vec<Box<str>> = vec![search_key(&self.at(slot).name).into()];
        for alternate in self.alternates.get(&slot).into_iter().flatten() {
            let key: Box<str> = search_key(alternate).into();
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    /// The city as the store now holds it.
    pub fn upsert(&mut self, city: &City) {
        self.remove(&city.id);
        let entry = self.entry(city);
        let id = entry.id.clone();
        let slot = match self.free.pop() {
            Some(slot) => {
                self.entries.put(slot, entry);
                slot
            }
            None => self.entries.push(entry),
        };
        self.place(slot);
        self.keep_alternates(slot, city);
        for key in self.keys(slot) {
            self.by_name.insert((key, slot));
        }
        self.by_id.insert(id, slot);
    }

    /// The alternate name of the city `id` that `prefix` (a search key)
    /// found it by, when its current name does not start so.
    pub fn matched_name(&self, id: &str, prefix: &str) -> Option<String> {
        self.matched_at(*self.by_id.get(id)?, prefix)
    }

    /// `matched_name`, for the city at `slot`.
    fn matched_at(&self, slot: Slot, prefix: &str) -> Option<String> {
        if prefix.is_empty() || search_key(&self.at(slot).name).starts_with(prefix) {
            return None;
        }
        let alternates = self.alternates.get(&slot)?;
        alternates.iter().find(|a| search_key(a).starts_with(prefix)).map(|a| a.to_string())
    }

    /// True when one of the city's names starts with the search key `prefix`.
    fn named(&self, slot: Slot, prefix: &str) -> bool {
        self.keys(slot).iter().any(|k| k.starts_with(prefix))
    }

    /// Puts the entry at `slot` where it is found beside the orders: on the
    /// map (unless deleted), and among its state's moved-in cities.
    fn place(&mut self, slot: Slot) {
        let e = self.at(slot);
        let (point, moved) = ((!e.deleted).then(|| e.position()), self.moved(e).then(|| (e.state, e.id.clone())));
        let state = e.state as usize;
        if let Some((longitude, latitude)) = point {
            self.live.insert(slot, longitude, latitude);
            self.count_in_state(state, latitude, longitude, 1.0);
        }
        if let Some(mark) = moved {
            self.moved_in.insert(mark);
        }
    }

    /// Counts a live city in (`sign` 1.0) or out (-1.0) of its state's centre.
    fn count_in_state(&mut self, state: usize, latitude: f64, longitude: f64, sign: f64) {
        if let Some((count, lat, lon)) = self.state_sums.get_mut(state) {
            *count = if sign > 0.0 { *count + 1 } else { count.saturating_sub(1) };
            (*lat, *lon) = if *count == 0 { (0.0, 0.0) } else { (*lat + sign * latitude, *lon + sign * longitude) };
        }
    }

    /// Takes the entry at `slot` off the map and out of the moved-in, and frees
    /// its slot (the orders are the caller's).
    fn unplace(&mut self, slot: Slot) -> Option<Entry> {
        let e = self.entries.take(slot)?;
        self.moved_in.remove(&(e.state, e.id.clone()));
        if !e.deleted {
            self.live.remove(&slot, e.longitude, e.latitude);
            self.count_in_state(e.state as usize, e.latitude, e.longitude, -1.0);
        }
        self.free.push(slot);
        Some(e)
    }

    /// A city the store does not hold (never: cities are deleted softly; kept for a reload).
    pub fn remove(&mut self, id: &str) {
        let Some(slot) = self.by_id.remove(id) else { return };
        if self.entries.get(slot).is_some() {
            for key in self.keys(slot) {
                self.by_name.remove(&(key, slot));
            }
        }
        self.alternates.remove(&slot);
        self.unplace(slot);
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
        let fits = |e: &Entry| (q.include_deleted || !e.deleted) && state.is_none_or(|s| s == e.state);
        if let Some(bbox) = q.bbox {
            return self
                .box_page(bbox, q, |slot, e| fits(e) && inside(bbox, e) && prefix.is_none_or(|p| self.named(slot, p)));
        }
        let after = match &q.cursor {
            Some(c) => Bound::Excluded(c.as_str()),
            None => Bound::Unbounded,
        };
        if let Some(p) = prefix {
            // Every name with the prefix (a city once, however many of its
            // names have it), then the first ids after the cursor.
            let from: (Box<str>, Slot) = (p.into(), 0);
            let named = self.by_name.range((Bound::Included(from), Bound::Unbounded));
            let slots: HashSet<Slot> = named.take_while(|(key, _)| key.starts_with(p)).map(|(_, s)| *s).collect();
            let mut ids: Vec<&Arc<str>> = slots
                .into_iter()
                .map(|slot| self.at(slot))
                .filter(|e| fits(e) && after_cursor(&e.id, &q.cursor))
                .map(|e| &e.id)
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
            let mut born = born.map(|(_, slot)| self.at(*slot)).filter(|e| fits(e)).map(|e| &e.id).peekable();
            let mut moved = moved.filter_map(|(_, id)| self.get(id)).filter(|e| fits(e)).map(|e| &e.id).peekable();
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
            .map(|(_, slot)| self.at(*slot))
            .filter(|e| fits(e))
            .take(q.limit)
            .map(|e| e.id.clone())
            .collect()
    }

    /// A box's listing: the most populous first, then by id; the cursor is the
    /// last city of the page before.
    fn box_page(&self, bbox: BBox, q: &CityListing, fits: impl Fn(Slot, &Entry) -> bool) -> Vec<Arc<str>> {
        let rank = |e: &Entry| (Reverse(e.population().unwrap_or(0)), e.id.clone());
        let after = q.cursor.as_deref().and_then(|c| self.get(c)).map(rank);
        let candidates: Box<dyn Iterator<Item = Slot>> = if q.include_deleted {
            Box::new(self.by_id.values().copied())
        } else {
            Box::new(self.live.ids_in(bbox, |slot| self.at(*slot).position()).copied())
        };
        let mut ranked: Vec<_> = candidates
            .map(|slot| (slot, self.at(slot)))
            .filter(|(slot, e)| fits(*slot, e))
            .map(|(_, e)| rank(e))
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
        let rank = |slot: &Slot| {
            let e = self.at(*slot);
            (Reverse(e.population().unwrap_or(0)), &e.id)
        };
        self.live.layer(
            bbox,
            zoom,
            |slot| self.at(*slot).position(),
            rank,
            |slot| {
                let e = self.at(*slot);
                Some(MapCity {
                    id: e.id.to_string(),
                    name: e.name.to_string(),
                    state: STATES.get(e.state as usize).map(|s| s.name.to_string()).unwrap_or_default(),
                    district: e.district().and_then(|d| self.districts.get(d as usize)).map(|d| d.to_string()),
                    latitude: e.latitude,
                    longitude: e.longitude,
                    population: e.population(),
                    is_metro: e.is_metro,
                })
            },
        )
    }
}

fn inside(b: BBox, e: &Entry) -> bool {
    b.contains(e.latitude, e.longitude)
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

    use super::*;

    pub(super) fn city(name: &str, state: &str, lat: f64, lon: f64, population: u64) -> City {
        let mut city = crate::index::fixtures::city(name, state, lat, lon);
        city.fields.district = Some("Somewhere".into());
        city.fields.population = Some(population);
        city
    }

    pub(super) fn index() -> CityIndex {
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
        index.page(q).iter().map(|id| index.get(id).unwrap().name.to_string()).collect()
    }

    #[test]
    fn a_city_read_twice_at_load_is_held_once_as_one_of_its_reads() {
        let moved = city("Pune", "Maharashtra", 20.0, 75.0, 3_124_000);
        let patna = city("Patna", "Bihar", 25.59, 85.13, 1_684_000);
        let index = CityIndex::build([city("Pune", "Maharashtra", 18.52, 73.85, 3_124_000), moved, patna]);
        assert_eq!((index.total(), index.live()), (2, 2));
        let q = CityListing { name_prefix: Some("pune".into()), limit: 10, ..Default::default() };
        assert_eq!(index.page(&q).len(), 1);
        let everywhere = index.map(BBox::new(68.0, 6.0, 98.0, 37.0).unwrap(), 14);
        let pune: Vec<_> = everywhere.points.iter().filter(|c| c.name == "Pune").collect();
        assert_eq!(pune.len(), 1, "one point for Pune: {pune:?}");
        assert_eq!(index.get("maharashtra/pune").unwrap().position(), (pune[0].longitude, pune[0].latitude));
    }

    proptest::proptest! {
        /// A listing's cursor and name prefix come from the request as they are:
        /// any text is a page (perhaps empty), in order, after the cursor.
        #[test]
        fn any_cursor_and_prefix_give_a_page_in_order_after_the_cursor(
            cursor in proptest::option::of(".{0,24}"),
            prefix in proptest::option::of(".{0,6}"),
            limit in 0usize..5,
            boxed in proptest::bool::ANY,
        ) {
            let index = index();
            let bbox = boxed.then(|| BBox::new(68.0, 6.0, 98.0, 37.0).unwrap());
            let name_prefix = prefix.map(|p| search_key(&p));
            let q = CityListing { name_prefix, bbox, cursor: cursor.clone(), limit, ..Default::default() };
            let page = index.page(&q);
            proptest::prop_assert!(page.len() <= limit);
            if bbox.is_none() {
                proptest::prop_assert!(page.windows(2).all(|w| w[0] < w[1]), "by id: {page:?}");
                proptest::prop_assert!(page.iter().all(|id| cursor.as_deref().is_none_or(|c| &**id > c)));
            }
        }
    }

    #[test]
    fn an_entry_takes_64_bytes() {
        // 600,000 cities: each byte here is 0.6 MB.
        assert_eq!(std::mem::size_of::<Option<Entry>>(), 64);
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
    fn an_alternate_name_finds_its_city_once_and_says_it_matched() {
        let mut index = index();
        let mut mumbai = city("Mumbai", "Maharashtra", 19.07, 72.87, 12_442_000);
        mumbai.fields.alternate_names = vec!["Bombay".into(), "Bambai".into(), "Mumbai".into()];
        index.upsert(&mumbai);
        let q = |p: &str| CityListing { name_prefix: Some(search_key(p)), limit: 10, ..Default::default() };
        assert_eq!(names(&index, &q("bomb")), ["Mumbai"]);
        assert_eq!(names(&index, &q("ba")), ["Mumbai"], "once, though two of its names start so");
        assert_eq!(index.matched_name("maharashtra/mumbai", "bomb").as_deref(), Some("Bombay"));
        assert_eq!(index.matched_name("maharashtra/mumbai", "mum"), None, "its current name matched");
        let boxed = CityListing { bbox: Some(BBox::new(72.0, 18.0, 74.0, 20.0).unwrap()), ..q("bomb") };
        assert_eq!(names(&index, &boxed), ["Mumbai"]);
        // Its alternate names go with a change that drops them.
        mumbai.fields.alternate_names.clear();
        index.upsert(&mumbai);
        assert!(names(&index, &q("bomb")).is_empty());
        assert_eq!(index.by_name.len(), index.total(), "one key per city left: {:?}", index.by_name);
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
