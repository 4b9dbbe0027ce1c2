//! Reverting an import: a job of its own, run by the same engine (batches,
//! pace, report, live progress), whose "rows" are the entities the import
//! changed, in id order (the report's line numbers count them from 2, as a
//! file's rows after its header).
//!
//! Invariant: each entity is put back as it was before the import (what its
//! history entries of that job say, merged: `revert::merge`): one it created
//! is soft-deleted, one it deleted restored, one it changed given its
//! previous values. One changed since (its last applied event is not the
//! import's) is left as it is and listed in the report, unless forced. The
//! revert's events carry its own job and the event each undoes; reverting
//! the revert is reverting an import like any other: it restores the import.

use std::collections::HashMap;

use app::domain::city::City;
use app::domain::history::HistoryEntry;
use app::domain::pincode::Pincode;
use app::domain::revert::{self, Current};

use super::report;
use super::run::Run;
use crate::error::Error;
use crate::service::batch::{Plan, Planned};

/// What becomes of one entity.
enum Outcome {
    Publish(Box<Planned>),
    Unchanged,
    LeftAlone(Option<(i32, i64)>),
    NotReverted(String),
}

impl Run<'_> {
    /// Undoes the import `job`, a batch of entities at a time.
    pub(super) async fn revert(&mut self, job: &str, force: bool) -> Result<(), Error> {
        let store = self.engine.store;
        let changed = store.job_changes(job).await?;
        self.job.rows.total = changed.len() as u64;
        self.save().await?;
        let subjects: Vec<(&String, &Vec<(i64, String)>)> = changed.iter().collect();
        let mut line = 1u64;
        for chunk in subjects.chunks(self.engine.batch) {
            let ids: Vec<String> = chunk.iter().flat_map(|(_, c)| c.iter().map(|(_, id)| id.clone())).collect();
            let mut entries: HashMap<String, HistoryEntry> =
                store.history_entries(&ids).await?.into_iter().map(|(_, e)| (e.event_id.clone(), e)).collect();
            let merged: Vec<(String, Option<HistoryEntry>)> = chunk
                .iter()
                .map(|(subject, changes)| {
                    let own: Vec<HistoryEntry> = changes.iter().filter_map(|(_, id)| entries.remove(id)).collect();
                    (subject.to_string(), revert::merge(&own))
                })
                .collect();
            let is_city = |e: &Option<HistoryEntry>| e.as_ref().is_some_and(|e| e.event_type.starts_with("city."));
            let city_ids: Vec<String> = merged.iter().filter(|(_, e)| is_city(e)).map(|(s, _)| s.clone()).collect();
            let codes: Vec<String> = merged.iter().filter(|(_, e)| !is_city(e)).map(|(s, _)| s.clone()).collect();
            let (cities, pincodes) = tokio::try_join!(store.cities_at(&city_ids), store.pincodes_at(&codes))?;
            let cities: HashMap<String, (City, Option<(i32, i64)>)> =
                cities.into_iter().map(|(c, pos)| (c.id.clone(), (c, pos))).collect();
            let pincodes: HashMap<String, (Pincode, Option<(i32, i64)>)> =
                pincodes.into_iter().map(|(p, pos)| (p.fields.pincode.clone(), (p, pos))).collect();
            let mut plan = Plan::default();
            for (subject, entry) in merged {
                line += 1;
                self.job.rows.read += 1;
                let current = match (cities.get(&subject), pincodes.get(&subject)) {
                    (Some((c, pos)), _) => Some((Current::City(c), *pos)),
                    (None, Some((p, pos))) => Some((Current::Pincode(p), *pos)),
                    (None, None) => None,
                };
                match outcome(entry, current, force) {
                    Outcome::Publish(mut planned) => {
                        self.job.rows.valid += 1;
                        planned.lines = vec![line];
                        plan.changes.push(*planned);
                    }
                    Outcome::Unchanged => {
                        self.job.rows.valid += 1;
                        plan.unchanged += 1;
                    }
                    Outcome::LeftAlone(at) => {
                        self.job.rows.invalid += 1;
                        self.problems.push(report::left_alone(line, &subject, at));
                    }
                    Outcome::NotReverted(why) => {
                        self.job.rows.invalid += 1;
                        self.problems.push(report::not_reverted(line, &subject, &why));
                    }
                }
            }
            self.carry_out(plan).await?;
        }
        self.job.changes.all_planned = true;
        Ok(())
    }
}

/// What reverting an entity's merged entry does to it as it is now (and
/// the position of the last event applied to it).
fn outcome(entry: Option<HistoryEntry>, current: Option<(Current, Option<(i32, i64)>)>, force: bool) -> Outcome {
    let Some(entry) = entry else { return Outcome::NotReverted("its history entry is gone".into()) };
    let Some((current, at)) = current else { return Outcome::NotReverted("not in the read model".into()) };
    if entry.changes.is_empty() {
        // The import set it as it was (or its entries predate recorded changes).
        return Outcome::Unchanged;
    }
    let imported = entry.event.as_ref().map(|e| (e.partition, e.offset));
    if !force && at != imported {
        return Outcome::LeftAlone(at);
    }
    let action = match revert::plan(&entry, &[], true) {
        Ok(action) => action,
        Err(refusal) => return Outcome::NotReverted(refusal.message()),
    };
    match revert::change_of(&action, current) {
        Ok(Some(change)) => {
            Outcome::Publish(Box::new(Planned { change, lines: Vec::new(), reverts: Some(entry.event_id) }))
        }
        Ok(None) => Outcome::Unchanged,
        Err(errors) => Outcome::NotReverted(errors.to_string()),
    }
}
