//! The quality findings as part of the read index: evaluated whole when the
//! index is loaded (timed and logged), and again for what each batch of
//! applied changes touched, before anyone is told of the batch.
//!
//! Locks: `cities`, then `pincodes`, then `quality`, always in that order.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use app::domain::city::CityFields;
use app::domain::pincode::PincodeFields;
use app::domain::quality::{Acceptance, Finding, FindingsPage, FindingsQuery, QualitySummary, Rule};
use tokio::sync::watch;

use super::quality::data::{Data, Indexes, Overlay};
use super::quality::{Keys, Rules, Touched};
use super::{read, write, ReadIndex};

/// A finding an import would open: its rule, what it is about (a city id
/// or a pincode), and what it would say.
#[derive(Clone, Debug, PartialEq)]
pub struct WouldOpen {
    pub rule: Rule,
    pub subject: String,
    pub message: String,
}

impl ReadIndex {
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Evaluates every rule over the whole index; `accepted`: every acceptance.
    pub(super) fn evaluate_all(&self, accepted: HashMap<u64, Acceptance>) {
        let started = Instant::now();
        let (cities, pincodes) = (read(&self.cities), read(&self.pincodes));
        let found = self.rules.all(Indexes { cities: &cities, pincodes: &pincodes });
        let mut quality = write(&self.quality);
        quality.replace_all(found);
        quality.set_acceptances(accepted);
        tracing::info!(
            secs = started.elapsed().as_secs_f64(),
            findings = quality.len(),
            open = quality.open(),
            cities = cities.live(),
            "quality findings evaluated"
        );
        drop(quality);
        self.quality_changed.send_modify(|n| *n += 1);
    }

    /// Evaluates again what a batch of changes touched (`Touched::before`,
    /// taken before the index took them in).
    pub(super) fn reevaluate(&self, touched: Touched) {
        let started = Instant::now();
        let (cities, pincodes) = (read(&self.cities), read(&self.pincodes));
        let mut keys = Keys {
            cities: touched.cities.iter().chain(&touched.pincode_cities).cloned().collect(),
            codes: touched.pincodes.iter().cloned().collect(),
            points: touched.points.clone(),
        };
        for id in &touched.cities {
            if let Some(p) = cities.live_place(id).filter(|p| p.is_located()) {
                keys.points.push((p.latitude, p.longitude));
            }
            keys.codes.extend(pincodes.codes_of(id).iter().cloned());
        }
        for code in &touched.pincodes {
            keys.cities.extend(pincodes.pin(code).map(|pin| pin.city_id.clone()));
        }
        let data = Indexes { cities: &cities, pincodes: &pincodes };
        let found = keys.with_neighbours(&data).evaluate(&self.rules, &data);
        let mut quality = write(&self.quality);
        let mut changed = false;
        for (owner, found) in found {
            changed |= quality.replace(&owner, found);
        }
        drop(quality);
        tracing::debug!(
            micros = started.elapsed().as_micros() as u64,
            changes = touched.cities.len() + touched.pincodes.len(),
            changed,
            "quality findings evaluated again"
        );
        if changed {
            self.quality_changed.send_modify(|n| *n += 1);
        }
    }

    /// The findings an import would open (none open now has the same id):
    /// its planned cities (by id) and pincodes laid over the indexes, and
    /// evaluated there with the cities near them and those their pincodes leave.
    pub fn would_open(&self, cities: &[(String, CityFields)], pincodes: &[PincodeFields]) -> Vec<WouldOpen> {
        let (city_index, pincode_index) = (read(&self.cities), read(&self.pincodes));
        let base = Indexes { cities: &city_index, pincodes: &pincode_index };
        let mut overlay = Overlay::new(base);
        let mut keys = Keys::default();
        for (id, fields) in cities {
            overlay.plan_city(id, fields);
            keys.cities.insert(id.as_str().into());
        }
        for fields in pincodes {
            keys.cities.extend(base.pin(&fields.pincode).map(|pin| pin.city_id.clone()));
            keys.cities.insert(fields.city_id.as_str().into());
            overlay.plan_pincode(fields);
        }
        keys.codes.extend(overlay.planned_pincodes().map(Arc::from));
        keys.points.extend(overlay.planned_points());
        let found = keys.with_neighbours(&overlay).evaluate(&self.rules, &overlay);
        let found = found.into_iter().flat_map(|(_, found)| found);
        let quality = read(&self.quality);
        let mut seen = HashSet::new();
        found
            .into_iter()
            .filter(|f| quality.get(f.id).is_none() && seen.insert(f.id))
            .map(|f| WouldOpen {
                rule: f.rule,
                subject: f.subject.to_string(),
                message: quality.shown(&f, &overlay).message,
            })
            .collect()
    }

    /// Told each time the findings change.
    pub fn quality_changes(&self) -> watch::Receiver<u64> {
        self.quality_changed.subscribe()
    }

    pub fn quality_summary(&self) -> QualitySummary {
        read(&self.quality).summary(&self.rules)
    }

    pub fn findings(&self, q: &FindingsQuery) -> FindingsPage {
        let (cities, pincodes) = (read(&self.cities), read(&self.pincodes));
        read(&self.quality).page(q, &Indexes { cities: &cities, pincodes: &pincodes })
    }

    /// A finding (open or accepted) by id.
    pub fn finding(&self, id: u64) -> Option<Finding> {
        let (cities, pincodes) = (read(&self.cities), read(&self.pincodes));
        read(&self.quality).shown_by_id(id, &Indexes { cities: &cities, pincodes: &pincodes })
    }

    /// Keeps an acceptance of finding `id` (made here, or read back after another instance made it).
    pub fn accepted(&self, id: u64, acceptance: Acceptance) {
        write(&self.quality).accept(id, acceptance);
        self.quality_changed.send_modify(|n| *n += 1);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use app::domain::city::City;
    use app::domain::pincode::Pincode;
    use proptest::prelude::*;

    use super::*;
    use crate::index::fixtures;

    impl ReadIndex {
        /// Takes changes in as `refresh` does, without a store.
        fn take_in(&self, cities: &[City], pincodes: &[Pincode]) {
            let touched = Touched::before(
                &read(&self.cities),
                &read(&self.pincodes),
                cities.iter().map(|c| c.id.as_str()),
                pincodes.iter().map(|p| p.fields.pincode.as_str()),
            );
            for c in cities {
                write(&self.cities).upsert(c);
            }
            for p in pincodes {
                write(&self.pincodes).upsert(p);
            }
            self.reevaluate(touched);
        }

        fn finding_ids(&self) -> BTreeSet<String> {
            let q = |status| FindingsQuery { status, limit: 100_000, ..FindingsQuery::default() };
            let open = self.findings(&q(app::domain::quality::Status::Open)).findings;
            open.into_iter().map(|f| format!("{}:{}", f.id, f.message)).collect()
        }
    }

    /// Three spots a few km apart, and one far away.
    const SPOTS: [(f64, f64); 4] = [(19.0, 73.0), (19.01, 73.0), (19.02, 73.01), (20.5, 75.0)];
    const NAMES: [&str; 4] = ["Rampur", "Rampura", "Sitapur", "Rampur"];

    fn city(n: usize, name: usize, spot: usize, deleted: bool) -> City {
        let (latitude, longitude) = SPOTS[spot];
        let mut city = fixtures::city(NAMES[name], "Maharashtra", latitude, longitude);
        city.id = format!("maharashtra/c{n}");
        city.deleted_at = deleted.then(|| "2026-12-04T00:00:00Z".into());
        city
    }

    fn pincode(code: &str, city: usize, spot: usize) -> Pincode {
        let (latitude, longitude) = SPOTS[spot];
        fixtures::pincode(code, &format!("maharashtra/c{city}"), "Maharashtra", latitude, longitude)
    }

    #[derive(Clone, Debug)]
    enum Change {
        City { n: usize, name: usize, spot: usize, deleted: bool },
        Pincode { code: usize, city: usize, spot: usize },
    }

    fn change() -> impl Strategy<Value = Change> {
        prop_oneof![
            (0..6usize, 0..4usize, 0..4usize, proptest::bool::weighted(0.2))
                .prop_map(|(n, name, spot, deleted)| Change::City { n, name, spot, deleted }),
            (0..4usize, 0..6usize, 0..4usize).prop_map(|(code, city, spot)| Change::Pincode { code, city, spot }),
        ]
    }

    proptest! {
        /// After any changes, what was evaluated again for each holds the same
        /// findings, said the same way, as evaluating everything anew.
        #[test]
        fn evaluating_what_a_change_touched_equals_evaluating_everything(
            changes in proptest::collection::vec(change(), 1..25),
        ) {
            let live = ReadIndex::new();
            live.evaluate_all(HashMap::new());
            for c in &changes {
                match c {
                    Change::City { n, name, spot, deleted } => live.take_in(&[city(*n, *name, *spot, *deleted)], &[]),
                    Change::Pincode { code, city, spot } => {
                        live.take_in(&[], &[pincode(&format!("40000{code}"), *city, *spot)])
                    }
                }
                let incremental = live.finding_ids();
                live.evaluate_all(HashMap::new());
                prop_assert_eq!(incremental, live.finding_ids(), "after {:?}", c);
            }
        }
    }
}
