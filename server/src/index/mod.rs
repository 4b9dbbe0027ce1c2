//! The read indexes in memory: what listings, name search and the map ask
//! for, answered in microseconds whatever the store (MongoDB-wire stores
//! other than MongoDB scan for sorts, ranges, regexes and geo queries).
//!
//! - `cities`: by id, by state, by name key, where;
//! - `pincodes`: by code, where;
//! - `spatial`: the map's cluster grid, whose finest cells list their points, for both;
//! - `quality`: the data quality findings, evaluated from the two (`findings`).
//!
//! Invariant: the index only ever holds what the store held. It is read whole
//! at start (`load`), then each applied change is taken in before anyone is
//! told of it (`refresh`): an entity this instance's materializer wrote whole,
//! as the write left it; any other change read back by `_id` from the store
//! (one `$in` per batch). So a change is never listed before MongoDB holds it,
//! and a browser told of a change finds it listed. The cities and pincodes themselves are always read
//! from the store by id; the index only chooses which, and in what order.

mod activity;
mod cities;
mod findings;
#[cfg(test)]
mod fixtures;
mod lookup;
mod pincodes;
pub mod quality;
mod spatial;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use tokio::sync::watch;

use app::domain::map::{Layer, MapQuery, MapView, PINCODE_ZOOM};

use self::activity::ActivityIndex;
pub use self::activity::Wanted;
pub use self::cities::{CityIndex, CityListing};
pub use self::pincodes::PincodeIndex;
use self::quality::{Findings, Rules, Touched};
use crate::store::{Entity, Logged, Store};

/// What changed, as the materializer names it: a city by id, a pincode by code
/// (read back from the store), or the entity as its write left it in the store.
#[derive(Clone, Debug)]
pub enum Changed {
    City(String),
    Pincode(String),
    Written(Box<Entity>),
}

impl Changed {
    /// What an event of this type changed (`city.…` or `pincode.…`), named by its subject.
    pub fn of(event_type: &str, subject: &str) -> Option<Changed> {
        match event_type.split('.').next() {
            Some("city") => Some(Changed::City(subject.to_string())),
            Some("pincode") => Some(Changed::Pincode(subject.to_string())),
            _ => None,
        }
    }
}

pub struct ReadIndex {
    cities: RwLock<CityIndex>,
    pincodes: RwLock<PincodeIndex>,
    loaded: AtomicBool,
    /// A change could not be read back (MongoDB away): the whole index is
    /// read again as soon as it answers.
    stale: AtomicBool,
    /// While a load runs: the changes read back meanwhile, read again once
    /// the load is in (the load may have read their entities before they changed).
    during_load: Mutex<Option<Vec<Changed>>>,
    /// The quality findings. Locked after `cities` and `pincodes`, never
    /// before: whoever needs two of the three takes them in that order.
    quality: RwLock<Findings>,
    rules: Rules,
    /// Counts each change of the findings (what the live stream tells).
    quality_changed: watch::Sender<u64>,
    /// The history by time, for the activity feed: loaded in the background
    /// after the rest, and taken in as entries are written.
    activity: RwLock<ActivityIndex>,
    activity_loaded: AtomicBool,
}

/// The sizes of the index, for readiness and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    /// Deleted ones too.
    pub cities: usize,
    pub pincodes: usize,
}

impl Default for ReadIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl ReadIndex {
    /// Empty, not loaded yet, with the quality rules' defaults.
    pub fn new() -> Self {
        Self::with_rules(Rules::default())
    }

    /// Empty, not loaded yet, with these quality rules.
    pub fn with_rules(rules: Rules) -> Self {
        ReadIndex {
            cities: RwLock::new(CityIndex::build(Vec::new())),
            pincodes: RwLock::new(PincodeIndex::build(Vec::new())),
            loaded: AtomicBool::new(false),
            stale: AtomicBool::new(false),
            during_load: Mutex::new(None),
            quality: RwLock::new(Findings::default()),
            rules,
            quality_changed: watch::channel(0).0,
            activity: RwLock::new(ActivityIndex::default()),
            activity_loaded: AtomicBool::new(false),
        }
    }

    /// Reads every city and pincode from the store, and only then replaces
    /// what the index held (queries meanwhile see the old index).
    pub async fn load(&self, store: &Store) -> mongodb::error::Result<Sizes> {
        let started = Instant::now();
        self.stale.store(false, Ordering::SeqCst);
        *lock(&self.during_load) = Some(Vec::new());
        let read = async {
            let mut cities = CityIndex::loader(store.city_count_estimate().await?);
            store.each_city(|c| cities.add(&c)).await?;
            let mut pincodes = Vec::new();
            store.each_pincode(|p| pincodes.push(p)).await?;
            let accepted = store.acceptances().await?;
            Ok::<_, mongodb::error::Error>((cities.finish(), PincodeIndex::build(pincodes), accepted))
        };
        let (cities, pincodes, accepted) = match read.await {
            Ok(read) => read,
            Err(e) => {
                lock(&self.during_load).take();
                return Err(e);
            }
        };
        {
            let (mut c, mut p) = (write(&self.cities), write(&self.pincodes));
            (*c, *p) = (cities, pincodes);
        }
        let meanwhile = lock(&self.during_load).take().unwrap_or_default();
        if !meanwhile.is_empty() {
            self.refresh(store, &meanwhile).await;
        }
        self.evaluate_all(accepted);
        self.loaded.store(true, Ordering::SeqCst);
        let sizes = self.sizes();
        tracing::info!(
            secs = started.elapsed().as_secs_f64(),
            cities = sizes.cities,
            pincodes = sizes.pincodes,
            "read index loaded"
        );
        Ok(sizes)
    }

    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::SeqCst)
    }

    /// True when a change could not be read back: `load` again.
    pub fn is_stale(&self) -> bool {
        self.stale.load(Ordering::SeqCst)
    }

    /// Holds these changes as the store does: entities written whole are taken
    /// as they are; the others are read back (one `$in` per kind, only the
    /// fields the index keeps). A read-back comes after every write it names,
    /// so an entity both written and read back is held as read. On a store
    /// error the index is marked stale, to be loaded again whole.
    pub async fn refresh(&self, store: &Store, changed: &[Changed]) {
        if let Some(meanwhile) = lock(&self.during_load).as_mut() {
            meanwhile.extend_from_slice(changed);
        }
        let (mut city_ids, mut codes, mut written_cities, mut written_pincodes) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for c in changed {
            match c {
                Changed::City(id) => city_ids.push(id.clone()),
                Changed::Pincode(code) => codes.push(code.clone()),
                Changed::Written(written) => match &**written {
                    Entity::City(city) => written_cities.push(city),
                    Entity::Pincode(pincode) => written_pincodes.push(pincode),
                },
            }
        }
        let (cities, pincodes) = match store.indexed_by_ids(&city_ids, &codes).await {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!(
                    changes = changed.len(),
                    error = %e,
                    "changes not read back into the index: it will be read again"
                );
                self.stale.store(true, Ordering::SeqCst);
                return;
            }
        };
        let touched = Touched::before(
            &read(&self.cities),
            &read(&self.pincodes),
            city_ids.iter().map(String::as_str).chain(written_cities.iter().map(|c| c.id.as_str())),
            codes.iter().map(String::as_str).chain(written_pincodes.iter().map(|p| p.fields.pincode.as_str())),
        );
        {
            let mut index = write(&self.cities);
            for city in written_cities {
                if !cities.contains_key(&city.id) {
                    index.upsert(city);
                }
            }
            for id in &city_ids {
                match cities.get(id) {
                    Some(city) => index.upsert(city),
                    None => index.remove(id),
                }
            }
        }
        let mut index = write(&self.pincodes);
        for p in written_pincodes {
            if !pincodes.contains_key(&p.fields.pincode) {
                index.upsert(p);
            }
        }
        for code in &codes {
            match pincodes.get(code) {
                Some(p) => index.upsert(p),
                None => index.remove(code),
            }
        }
        drop(index);
        self.reevaluate(touched);
    }

    pub fn sizes(&self) -> Sizes {
        let (c, p) = (read(&self.cities), read(&self.pincodes));
        Sizes { cities: c.total(), pincodes: p.total() }
    }

    /// The ids of a page of cities, in the listing's order, each with the
    /// alternate name its name prefix found it by (when not its current name).
    pub fn city_page(&self, listing: &CityListing) -> Vec<(String, Option<String>)> {
        let cities = read(&self.cities);
        let prefix = listing.name_prefix.as_deref().unwrap_or_default();
        cities.page(listing).iter().map(|id| (id.to_string(), cities.matched_name(id, prefix))).collect()
    }

    /// The codes of a page of pincodes (not deleted), in code order.
    pub fn pincode_page(
        &self,
        prefix: &str,
        bbox: Option<app::domain::geo::BBox>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Vec<String> {
        read(&self.pincodes).page(prefix, bbox, cursor, limit).iter().map(|c| c.to_string()).collect()
    }

    /// The codes of one page of a pincode export, in code order.
    pub fn pincode_export_page(
        &self,
        state: Option<&str>,
        include_deleted: bool,
        cursor: Option<&str>,
        limit: usize,
    ) -> Vec<String> {
        let pincodes = read(&self.pincodes);
        pincodes.export_page(state, include_deleted, cursor, limit).iter().map(|c| c.to_string()).collect()
    }

    /// Reads every history entry into the activity feed's index, a batch at
    /// a time, while entries written meanwhile are taken in too (taking one
    /// in twice is once). Until it ends, the feed asks the store.
    pub async fn load_activity(&self, store: &Store) -> mongodb::error::Result<usize> {
        let started = Instant::now();
        store.each_logged(|batch| self.log(&batch)).await?;
        self.activity_loaded.store(true, Ordering::SeqCst);
        let entries = read(&self.activity).len();
        tracing::info!(entries, secs = started.elapsed().as_secs_f64(), "the activity feed's index is loaded");
        Ok(entries)
    }

    /// Takes history entries into the activity feed's index.
    pub fn log(&self, entries: &[Logged]) {
        if entries.is_empty() {
            return;
        }
        let mut activity = write(&self.activity);
        for e in entries {
            activity.insert(e);
        }
    }

    /// Takes in the history entries of these events, read back from the store
    /// (another instance wrote them). One lost while MongoDB is away is read
    /// at the next start.
    pub async fn log_events(&self, store: &Store, event_ids: &[String]) {
        match store.logged(event_ids).await {
            Ok(entries) => self.log(&entries),
            Err(e) => tracing::warn!(events = event_ids.len(), error = %e, "cannot read history entries back"),
        }
    }

    /// One page of the activity feed, newest first (time, event id); none
    /// while its index is loading.
    pub fn activity_page(&self, wanted: &Wanted) -> Option<Vec<(i64, String)>> {
        self.activity_loaded.load(Ordering::SeqCst).then(|| read(&self.activity).page(wanted))
    }

    /// What the map draws of one view.
    pub fn map(&self, q: MapQuery) -> MapView {
        let cities = read(&self.cities).map(q.bbox, q.zoom);
        let pincodes = if q.zoom >= PINCODE_ZOOM { read(&self.pincodes).map(q.bbox, q.zoom) } else { Layer::default() };
        MapView { cities, pincodes }
    }
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
