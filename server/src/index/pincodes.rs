//! The pincodes, in memory: by code and where they are; listings by code
//! prefix or box, in code order, and the map's pincode layer.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use app::domain::geo::BBox;
use app::domain::map::{Layer, MapPincode};
use app::domain::pincode::Pincode;

use super::cities::state_number;
use super::spatial::Spatial;

struct Entry {
    area_name: Option<Box<str>>,
    /// Shared with the other pincodes of its city.
    city_id: Arc<str>,
    latitude: f64,
    longitude: f64,
    /// Its state's place in `STATES`.
    state: u8,
    deleted: bool,
}

/// A pincode as a lookup answers it (its city's name and state are the city index's).
pub struct Near {
    pub pincode: Arc<str>,
    pub area_name: Option<String>,
    pub city_id: Arc<str>,
    pub latitude: f64,
    pub longitude: f64,
    pub distance_km: f64,
}

pub struct PincodeIndex {
    by_code: BTreeMap<Arc<str>, Entry>,
    /// The pincodes not deleted.
    live: Spatial<Arc<str>>,
    /// The pincodes not deleted, by city id.
    by_city: HashMap<Arc<str>, Vec<Arc<str>>>,
}

/// A live pincode, as the quality rules see it.
pub struct Pin<'a> {
    pub code: &'a Arc<str>,
    pub city_id: &'a Arc<str>,
    pub latitude: f64,
    pub longitude: f64,
}

fn entry(p: &Pincode) -> Entry {
    let f = &p.fields;
    Entry {
        area_name: f.area_name.as_deref().map(Into::into),
        city_id: Arc::from(f.city_id.as_str()),
        latitude: f.latitude,
        longitude: f.longitude,
        state: state_number(&f.state),
        deleted: p.deleted_at.is_some(),
    }
}

fn pin<'a>(code: &'a Arc<str>, e: &'a Entry) -> Pin<'a> {
    Pin { code, city_id: &e.city_id, latitude: e.latitude, longitude: e.longitude }
}

fn near(code: &Arc<str>, e: &Entry, distance_km: f64) -> Near {
    Near {
        pincode: code.clone(),
        area_name: e.area_name.as_deref().map(str::to_string),
        city_id: e.city_id.clone(),
        latitude: e.latitude,
        longitude: e.longitude,
        distance_km,
    }
}

impl PincodeIndex {
    pub fn build(pincodes: impl IntoIterator<Item = Pincode>) -> Self {
        let by_code: BTreeMap<Arc<str>, Entry> =
            pincodes.into_iter().map(|p| (Arc::from(p.fields.pincode.as_str()), entry(&p))).collect();
        let points = by_code.iter().filter(|(_, e)| !e.deleted).map(|(c, e)| (c.clone(), e.longitude, e.latitude));
        let live = Spatial::build(points);
        let mut by_city: HashMap<Arc<str>, Vec<Arc<str>>> = HashMap::new();
        for (code, e) in by_code.iter().filter(|(_, e)| !e.deleted) {
            by_city.entry(e.city_id.clone()).or_default().push(code.clone());
        }
        PincodeIndex { by_code, live, by_city }
    }

    /// Every live pincode, in code order.
    pub fn pins(&self) -> impl Iterator<Item = Pin<'_>> {
        self.by_code.iter().filter(|(_, e)| !e.deleted).map(|(code, e)| pin(code, e))
    }

    /// The pincode `code`, if it is live.
    pub fn pin(&self, code: &str) -> Option<Pin<'_>> {
        let (code, e) = self.by_code.get_key_value(code)?;
        (!e.deleted).then(|| pin(code, e))
    }

    /// The live pincodes of a city.
    pub fn codes_of(&self, city_id: &str) -> &[Arc<str>] {
        self.by_city.get(city_id).map_or(&[], Vec::as_slice)
    }

    /// The pincode as the store now holds it.
    pub fn upsert(&mut self, pincode: &Pincode) {
        let code: Arc<str> = Arc::from(pincode.fields.pincode.as_str());
        self.remove(&code);
        let e = entry(pincode);
        if !e.deleted {
            self.live.insert(code.clone(), e.longitude, e.latitude);
            self.by_city.entry(e.city_id.clone()).or_default().push(code.clone());
        }
        self.by_code.insert(code, e);
    }

    pub fn remove(&mut self, code: &str) {
        if let Some((code, e)) = self.by_code.remove_entry(code) {
            if !e.deleted {
                self.live.remove(&code, e.longitude, e.latitude);
                if let Some(codes) = self.by_city.get_mut(&e.city_id) {
                    codes.retain(|c| *c != code);
                    if codes.is_empty() {
                        self.by_city.remove(&e.city_id);
                    }
                }
            }
        }
    }

    /// Where a pincode is (no number where there is no such pincode, inside no box).
    fn position(&self, code: &str) -> (f64, f64) {
        self.by_code.get(code).map_or((f64::NAN, f64::NAN), |e| (e.longitude, e.latitude))
    }

    pub fn total(&self) -> usize {
        self.by_code.len()
    }

    /// The codes of one page of pincodes not deleted: by code prefix, in a
    /// box, after the cursor (a code), in code order.
    pub fn page(&self, prefix: &str, bbox: Option<BBox>, cursor: Option<&str>, limit: usize) -> Vec<Arc<str>> {
        let from = match cursor {
            Some(c) if *c >= *prefix => Bound::Excluded(c),
            _ => Bound::Included(prefix),
        };
        let fits = |e: &Entry| !e.deleted && bbox.is_none_or(|b| b.contains(e.latitude, e.longitude));
        if let Some(b) = bbox.filter(|_| prefix.is_empty()) {
            // A box holds few pincodes next to all of India's: ask the tree.
            let mut codes: Vec<&Arc<str>> = self
                .live
                .ids_in(b, |c| self.position(c))
                .filter(|c| cursor.is_none_or(|after| &***c > after))
                .collect();
            if codes.len() > limit {
                codes.select_nth_unstable(limit);
                codes.truncate(limit);
            }
            codes.sort_unstable();
            return codes.into_iter().cloned().collect();
        }
        self.by_code
            .range::<str, _>((from, Bound::Unbounded))
            .take_while(|(code, _)| code.starts_with(prefix))
            .filter(|(_, e)| fits(e))
            .take(limit)
            .map(|(code, _)| code.clone())
            .collect()
    }

    /// The codes of one page of an export: in a state (its official name)
    /// or anywhere, deleted ones too or not, after the cursor, in code order.
    pub fn export_page(
        &self,
        state: Option<&str>,
        include_deleted: bool,
        cursor: Option<&str>,
        limit: usize,
    ) -> Vec<Arc<str>> {
        let state = state.map(state_number);
        let from = cursor.map_or(Bound::Unbounded, Bound::Excluded);
        self.by_code
            .range::<str, _>((from, Bound::Unbounded))
            .filter(|(_, e)| (include_deleted || !e.deleted) && state.is_none_or(|s| s == e.state))
            .take(limit)
            .map(|(code, _)| code.clone())
            .collect()
    }

    /// The `k` live pincodes nearest to a place, nearest first.
    pub fn nearest(&self, latitude: f64, longitude: f64, k: usize) -> Vec<Near> {
        let located = |code: &Arc<str>| self.by_code.get(code).is_some_and(|e| e.latitude.is_finite());
        self.live
            .nearest(latitude, longitude, k, |code| self.position(code), located)
            .into_iter()
            .filter_map(|(code, distance_km)| Some(near(code, self.by_code.get(code)?, distance_km)))
            .collect()
    }

    /// The live pincodes whose code starts with `prefix`, in code order
    /// (their distance is no one's: 0).
    pub fn starting(&self, prefix: &str, limit: usize) -> Vec<Near> {
        self.by_code
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(code, _)| code.starts_with(prefix))
            .filter(|(_, e)| !e.deleted)
            .take(limit)
            .map(|(code, e)| near(code, e, 0.0))
            .collect()
    }

    pub fn map(&self, bbox: BBox, zoom: u8) -> Layer<MapPincode> {
        self.live.layer(
            bbox,
            zoom,
            |code| self.position(code),
            |code| code.clone(),
            |code| {
                let e = self.by_code.get(code)?;
                Some(MapPincode {
                    pincode: code.to_string(),
                    area_name: e.area_name.as_deref().map(str::to_string),
                    latitude: e.latitude,
                    longitude: e.longitude,
                })
            },
        )
    }
}
