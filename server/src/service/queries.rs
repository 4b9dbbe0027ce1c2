//! The read side: every read a page or a script makes, with the same rules
//! (state names, page limits, what "not found" says) for both.

use std::collections::HashMap;
use std::sync::Arc;

use app::domain::activity::{type_matches, ActivityEntry, ActivityPage, ActivityQuery};
use app::domain::city::{City, CityListQuery, CityPage, MAX_PAGE as MAX_CITIES};
use app::domain::error::AppError;
use app::domain::fold::search_key;
use app::domain::history::{self, CityDetails, HistoryEntry, HistoryPage, HistoryQuery};
use app::domain::lookup::{self, Hits, Nearest, NearestResults};
use app::domain::map::{MapQuery, MapView, MAX_ZOOM};
use app::domain::names::Found;
use app::domain::pincode::{check_pincode, Pincode, PincodeListQuery, PincodePage, MAX_PAGE as MAX_PINCODES};
use app::domain::state::State;
use app::domain::validation::ValidationErrors;
use serde_json::Value;

use super::names;
use crate::error::Error;
use crate::index::{CityListing, ReadIndex, Wanted};
use crate::store::Store;

/// How many history entries a city's page shows.
const HISTORY_SHOWN: i64 = 200;

/// Listings and the map come from the index in memory (which ids, in what
/// order), the cities and pincodes themselves from the store by id.
#[derive(Clone)]
pub struct Queries {
    store: Store,
    index: Arc<ReadIndex>,
}

impl Queries {
    pub fn new(store: Store, index: Arc<ReadIndex>) -> Self {
        Queries { store, index }
    }

    /// A page of cities: by state (any of its names), name prefix, box,
    /// deleted ones too or not, after a cursor.
    pub async fn list_cities(&self, q: CityListQuery) -> Result<CityPage, Error> {
        let state = match q.state.trim() {
            "" => None,
            s => Some(State::parse(s).map_err(|m| Error::invalid(ValidationErrors::single("state", m)))?.name),
        };
        let limit = q.limit.clamp(1, MAX_CITIES);
        let listing = CityListing {
            state,
            name_prefix: Some(search_key(&q.q)),
            bbox: q.bbox,
            include_deleted: q.include_deleted,
            cursor: q.cursor,
            limit,
        };
        let (ids, mut matched): (Vec<String>, HashMap<String, Option<String>>) = {
            let page = self.index.city_page(&listing);
            (page.iter().map(|(id, _)| id.clone()).collect(), page.into_iter().collect())
        };
        let mut cities = self.store.cities_in_order(&ids).await?;
        for city in &mut cities {
            city.matched_name = matched.remove(&city.id).flatten();
        }
        Ok(CityPage::of(cities, limit))
    }

    /// What the map draws of one view: clusters or single cities and pincodes.
    pub fn map_view(&self, q: MapQuery) -> MapView {
        self.index.map(MapQuery { zoom: q.zoom.min(MAX_ZOOM), ..q })
    }

    /// A city by the names in a URL: its state (official name, code or
    /// alias) and a name people use (`names::choose`: its current name, or
    /// an alternate name only it has in its state; any case or accents).
    pub async fn find_city(&self, name: &str, state: &str) -> Result<City, Error> {
        let state = State::find(state).ok_or_else(|| Error::not_found(State::parse(state).unwrap_err()))?;
        let found = names::find(&self.store, state.name, name).await?;
        if let Some(why) = found.ambiguity() {
            return Err(Error::invalid(ValidationErrors::single("city_name", why)));
        }
        match found {
            Found::Current(city) | Found::Alternate { city, .. } => Ok(city),
            _ => Err(Error::not_found(format!("no city named '{}' in {}", name.trim(), state.name))),
        }
    }

    /// A city with its pincodes and its history, by id (None: no such city).
    pub async fn city_details(&self, id: &str) -> Result<Option<CityDetails>, Error> {
        let Some(city) = self.store.city_by_id(id).await? else { return Ok(None) };
        let pincodes = self.store.pincodes_of(id).await?;
        let history = self.store.history_of(id, None, HISTORY_SHOWN).await?;
        Ok(Some(CityDetails { city, pincodes, history: history.into_iter().map(|(_, e)| e).collect() }))
    }

    /// A page of an entity's history (a city id or a pincode), newest first.
    pub async fn history(&self, entity: &str, q: &HistoryQuery) -> Result<HistoryPage, Error> {
        let before = q.before.as_ref().map(|(millis, id)| (*millis, id.as_str()));
        let mut read = self.store.history_of(entity, before, q.limit as i64 + 1).await?;
        let more = read.len() > q.limit;
        read.truncate(q.limit);
        let next_cursor = more.then(|| read.last().map(|(millis, e)| history::cursor(*millis, &e.event_id))).flatten();
        Ok(HistoryPage { entries: read.into_iter().map(|(_, e)| e).collect(), next_cursor })
    }

    /// A page of the activity feed, newest first: from the index on time (a
    /// walk back from the cursor, then one `$in` for the entries); an
    /// entity's from its history, filtered as asked; while the index is
    /// loading, from a sorted query.
    pub async fn activity(&self, q: &ActivityQuery) -> Result<ActivityPage, Error> {
        let before = q.before.as_ref().map(|(millis, id)| (*millis, id.as_str()));
        let (actor, event_type, job) = (q.actor.as_deref(), q.event_type.as_deref(), q.job.as_deref());
        // A server function's query comes unread: its limit is kept in bounds here.
        let limit = q.limit.clamp(1, history::MAX_PAGE);
        let want = limit + 1;
        let mut read = match &q.entity {
            Some(entity) => {
                let passes = |e: &HistoryEntry| {
                    actor.is_none_or(|a| e.actor == a)
                        && job.is_none_or(|j| e.import_job.as_deref() == Some(j))
                        && event_type.is_none_or(|t| type_matches(t, &e.event_type))
                };
                let history = self.store.history_of(entity, before, HISTORY_SHOWN * 5).await?;
                history.into_iter().filter(|(_, e)| passes(e)).take(want).collect()
            }
            None => match self.index.activity_page(&Wanted { actor, event_type, job, before, limit: want }) {
                Some(page) => {
                    let ids: Vec<String> = page.into_iter().map(|(_, id)| id).collect();
                    self.store.history_entries(&ids).await?
                }
                None => self.store.history_scan(actor, event_type, job, before, want as i64).await?,
            },
        };
        let more = read.len() > limit;
        read.truncate(limit);
        let next_cursor = more.then(|| read.last().map(|(millis, e)| history::cursor(*millis, &e.event_id))).flatten();
        Ok(ActivityPage { entries: read.into_iter().map(|(_, e)| ActivityEntry::of(e)).collect(), next_cursor })
    }

    /// A page of pincodes (not deleted) by code prefix or in a box, after a cursor.
    pub async fn list_pincodes(&self, q: PincodeListQuery) -> Result<PincodePage, Error> {
        let limit = q.limit.clamp(1, MAX_PINCODES);
        let codes = self.index.pincode_page(q.q.trim(), q.bbox, q.cursor.as_deref(), limit);
        Ok(PincodePage::of(self.store.pincodes_in_order(&codes).await?, limit))
    }

    /// One pincode, deleted or not.
    pub async fn pincode(&self, code: &str) -> Result<Pincode, Error> {
        let code = code.trim();
        self.store.pincode(code).await?.ok_or_else(|| Error::not_found(format!("no pincode {code}")))
    }

    /// One pincode by what an admin typed: checked first, so a malformed code
    /// is named as such rather than not found.
    pub async fn checked_pincode(&self, raw: &str) -> Result<Pincode, Error> {
        let code = check_pincode(raw).map_err(|m| Error::invalid(ValidationErrors::single("pincode", m)))?;
        self.pincode(&code).await
    }

    /// The live pincodes and cities nearest a place, `lat` and `lon` as
    /// asked (checked, each error naming its field), `limit` of each.
    pub fn nearest(&self, lat: Option<&str>, lon: Option<&str>, limit: Option<&str>) -> Result<Nearest, Error> {
        let point = lookup::point(lat, lon, "").map_err(Error::invalid);
        let limit = lookup::limit(limit).map_err(Error::invalid);
        Ok(self.index.nearest(point?, limit?))
    }

    /// Nearest lookups for many places at once (at most 1,000), in their
    /// order: `{"points": [{"lat", "lon"}, ...], "limit"}`.
    pub fn nearest_batch(&self, body: &Value) -> Result<NearestResults, Error> {
        let count = body.get("points").and_then(Value::as_array).map_or(0, Vec::len);
        if count > lookup::MAX_POINTS {
            return Err(AppError::TooLarge(format!(
                "{count} points: a batch takes at most {}; send the rest in another",
                lookup::MAX_POINTS
            ))
            .into());
        }
        let (points, limit) = lookup::read_batch(body).map_err(Error::invalid)?;
        Ok(NearestResults { results: points.into_iter().map(|p| self.index.nearest(p, limit)).collect() })
    }

    /// What the search box finds for `q`.
    pub fn search(&self, q: &str) -> Hits {
        self.index.search(q)
    }
}
