//! The quality findings, in memory: part of the read model, evaluated from
//! the read indexes (`rules`) when they are loaded, and again for what each
//! applied change touches. Every instance holds the same indexes, so every
//! instance reaches the same findings; what admins accepted is in MongoDB
//! (`quality_acceptances`), by finding id.
//!
//! Invariant: each finding is owned by one key, its city (the lower id of a
//! possible duplicate pair), its pincode, or its point (cities sharing
//! one): re-evaluating a key replaces all that key owns, so a finding
//! whose facts went closes, and one whose facts changed comes back under
//! a new id (open, unless those facts were accepted too).

pub mod boundaries;
pub mod data;
mod listing;
pub mod rules;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use app::domain::quality::facts::DUPLICATE_KM;
use app::domain::quality::{Acceptance, Rule};
use smallvec::SmallVec;

pub use self::boundaries::Boundaries;
use self::data::Data;
pub use self::rules::Rules;
use crate::index::cities::CityIndex;
use crate::index::pincodes::PincodeIndex;

/// What a batch of changes touched, as the indexes held it before them:
/// the findings to evaluate again are those of these entities, of the
/// cities near where these cities were and are, and of those points.
#[derive(Debug, Default)]
pub struct Touched {
    pub cities: Vec<Arc<str>>,
    /// Where the changed cities were (those live).
    pub points: Vec<(f64, f64)>,
    pub pincodes: Vec<Arc<str>>,
    /// The cities the changed pincodes belonged to.
    pub pincode_cities: Vec<Arc<str>>,
}

impl Touched {
    pub fn before<'a>(
        cities: &CityIndex,
        pincodes: &PincodeIndex,
        city_ids: impl Iterator<Item = &'a str>,
        codes: impl Iterator<Item = &'a str>,
    ) -> Touched {
        let mut t = Touched::default();
        for id in city_ids {
            if let Some(p) = cities.live_place(id).filter(|p| p.is_located()) {
                t.points.push((p.latitude, p.longitude));
            }
            t.cities.push(id.into());
        }
        for code in codes {
            if let Some(pin) = pincodes.pin(code) {
                t.pincode_cities.push(pin.city_id.clone());
            }
            t.pincodes.push(code.into());
        }
        t
    }
}

/// How many cities near a changed city's old and new points are evaluated
/// again (their possible duplicates may have been, or be, the changed city).
const NEAR_A_CHANGE: usize = 64;

/// What a change may have changed the findings of: cities, pincodes, points.
#[derive(Debug, Default)]
pub struct Keys {
    pub cities: HashSet<Arc<str>>,
    pub codes: HashSet<Arc<str>>,
    /// Where changed cities were and are.
    pub points: Vec<(f64, f64)>,
}

impl Keys {
    /// Adds the live cities near each point.
    pub fn with_neighbours(mut self, data: &impl Data) -> Keys {
        for &(lat, lon) in &self.points {
            let near = data.cities_near(lat, lon, DUPLICATE_KM, NEAR_A_CHANGE);
            self.cities.extend(near.into_iter().map(|(p, _)| p.id.clone()));
        }
        self
    }

    /// What each key owns, as the rules find it in `data`.
    pub fn evaluate(&self, rules: &Rules, data: &impl Data) -> Vec<(Owner, Vec<Found>)> {
        let mut out = Vec::with_capacity(self.cities.len() + self.codes.len() + self.points.len());
        out.extend(self.cities.iter().map(|id| (Owner::City(id.clone()), rules.of_city(id, data))));
        out.extend(self.codes.iter().map(|code| (Owner::Pincode(code.clone()), rules.of_pincode(code, data))));
        let mut seen = HashSet::new();
        for &(lat, lon) in &self.points {
            let owner = Owner::point(lat, lon);
            if seen.insert(owner.clone()) {
                out.push((owner, rules.of_point(lat, lon, data).into_iter().collect()));
            }
        }
        out
    }
}

/// What a finding is owned by: re-evaluated together, replaced together.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    City(Arc<str>),
    Pincode(Arc<str>),
    /// A point, as the bits of its latitude and longitude.
    Point(u64, u64),
}

impl Owner {
    pub fn point(latitude: f64, longitude: f64) -> Owner {
        Owner::Point(latitude.to_bits(), longitude.to_bits())
    }
}

/// One finding, as kept: its rule's facts; its sentence is said when listed
/// (from the names the index holds then).
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub rule: Rule,
    /// The digest of its rule, entity and facts: its id.
    pub id: u64,
    /// Its place in `STATES`.
    pub state: u8,
    /// The city id or pincode it is about.
    pub subject: Arc<str>,
    /// The other city: a pincode's, a possible duplicate.
    pub other: Option<Arc<str>>,
    pub latitude: f64,
    pub longitude: f64,
    /// Kilometres (how far), or a count (how many cities share a point).
    pub measure: f64,
}

/// One rule's findings: how many, and how many of those are accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    pub total: u64,
    pub accepted: u64,
}

#[derive(Default)]
pub struct Findings {
    by_id: HashMap<u64, Found>,
    /// The listing's order: rule, state, id.
    order: BTreeSet<(Rule, u8, u64)>,
    owned: HashMap<Owner, SmallVec<[u64; 2]>>,
    accepted: HashMap<u64, Acceptance>,
    counts: HashMap<Rule, Count>,
}

impl Findings {
    /// Replaces every finding (a full evaluation), keeping the acceptances.
    pub fn replace_all(&mut self, found: Vec<(Owner, Found)>) {
        let accepted = std::mem::take(&mut self.accepted);
        *self = Findings { accepted, ..Findings::default() };
        for (owner, f) in found {
            self.insert(owner, f);
        }
    }

    /// Replaces what `owner` owns with `found`. True when anything changed.
    pub fn replace(&mut self, owner: &Owner, found: Vec<Found>) -> bool {
        let old: SmallVec<[u64; 2]> = self.owned.remove(owner).unwrap_or_default();
        let same = old.len() == found.len() && found.iter().all(|f| old.contains(&f.id));
        for id in old {
            self.remove(id);
        }
        for f in found {
            self.insert(owner.clone(), f);
        }
        !same
    }

    fn insert(&mut self, owner: Owner, f: Found) {
        if self.by_id.contains_key(&f.id) {
            return;
        }
        let count = self.counts.entry(f.rule).or_default();
        count.total += 1;
        count.accepted += u64::from(self.accepted.contains_key(&f.id));
        self.order.insert((f.rule, f.state, f.id));
        self.owned.entry(owner).or_default().push(f.id);
        self.by_id.insert(f.id, f);
    }

    fn remove(&mut self, id: u64) {
        let Some(f) = self.by_id.remove(&id) else { return };
        self.order.remove(&(f.rule, f.state, id));
        if let Some(count) = self.counts.get_mut(&f.rule) {
            count.total -= 1;
            count.accepted -= u64::from(self.accepted.contains_key(&id));
        }
    }

    /// Keeps an acceptance (read from MongoDB, or just made).
    pub fn accept(&mut self, id: u64, acceptance: Acceptance) {
        if let (None, Some(f)) = (self.accepted.insert(id, acceptance), self.by_id.get(&id)) {
            self.counts.entry(f.rule).or_default().accepted += 1;
        }
    }

    /// Takes every acceptance as MongoDB holds them.
    pub fn set_acceptances(&mut self, all: HashMap<u64, Acceptance>) {
        self.accepted = all;
        for count in self.counts.values_mut() {
            count.accepted = 0;
        }
        for id in self.accepted.keys() {
            if let Some(f) = self.by_id.get(id) {
                self.counts.entry(f.rule).or_default().accepted += 1;
            }
        }
    }

    pub fn get(&self, id: u64) -> Option<&Found> {
        self.by_id.get(&id)
    }

    pub fn acceptance(&self, id: u64) -> Option<&Acceptance> {
        self.accepted.get(&id)
    }

    pub fn count(&self, rule: Rule) -> Count {
        self.counts.get(&rule).copied().unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The open findings, in all.
    pub fn open(&self) -> u64 {
        self.counts.values().map(|c| c.total - c.accepted).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(rule: Rule, id: u64, subject: &str) -> Found {
        Found { rule, id, state: 0, subject: subject.into(), other: None, latitude: 0.0, longitude: 0.0, measure: 0.0 }
    }

    fn acceptance() -> Acceptance {
        Acceptance { by: "a@b".into(), at: "2026-12-04T00:00:00Z".into(), reason: "real".into() }
    }

    #[test]
    fn an_owner_s_findings_are_replaced_and_counted() {
        let mut f = Findings::default();
        let city = Owner::City("goa/panaji".into());
        assert!(f.replace(&city, vec![found(Rule::CityWithoutPincodes, 1, "goa/panaji")]));
        assert!(!f.replace(&city, vec![found(Rule::CityWithoutPincodes, 1, "goa/panaji")]), "the same again");
        assert_eq!(f.count(Rule::CityWithoutPincodes), Count { total: 1, accepted: 0 });
        f.accept(1, acceptance());
        assert_eq!((f.count(Rule::CityWithoutPincodes).accepted, f.open()), (1, 0));
        // Its facts change: a new id, open again; the old acceptance stays for the old facts.
        assert!(f.replace(&city, vec![found(Rule::CityWithoutPincodes, 2, "goa/panaji")]));
        assert_eq!((f.count(Rule::CityWithoutPincodes), f.open()), (Count { total: 1, accepted: 0 }, 1));
        // Fixed: closed.
        assert!(f.replace(&city, vec![]));
        assert_eq!((f.len(), f.open()), (0, 0));
        assert!(f.acceptance(1).is_some());
    }

    #[test]
    fn acceptances_read_at_start_count_for_the_findings_they_name() {
        let mut f = Findings::default();
        f.replace_all(vec![
            (Owner::Pincode("560002".into()), found(Rule::PincodeFarFromCity, 7, "560002")),
            (Owner::Pincode("560003".into()), found(Rule::PincodeFarFromCity, 8, "560003")),
        ]);
        f.set_acceptances(HashMap::from([(7, acceptance()), (99, acceptance())]));
        assert_eq!(f.count(Rule::PincodeFarFromCity), Count { total: 2, accepted: 1 });
        assert_eq!(f.open(), 1);
    }
}
