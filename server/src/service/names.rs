//! The one way a door finds cities by the names people use: the store's
//! `name_keys` (one query on a plain multikey index, for a name or a whole
//! batch), and the domain's rule (`names::choose`). Every door comes here:
//! REST paths, forms, bulk JSON, imports and pincode writes.
//!
//! Invariant: what leaves here is a city's id; nothing after the door makes
//! one from a name again. A new city's id is one no city has (`fresh_ids`).

use std::collections::HashSet;

use app::domain::city::CityFields;
use app::domain::names::{fresh_id, id_candidates, name_key, Candidates, Found};

use crate::error::Error;
use crate::store::Store;

/// The cities that these names (and alternate names) may find: one query.
pub async fn candidates<'a>(
    store: &Store,
    fields: impl IntoIterator<Item = &'a CityFields>,
) -> Result<Candidates, Error> {
    let mut keys: Vec<String> = fields.into_iter().flat_map(Candidates::keys_for).collect();
    keys.sort_unstable();
    keys.dedup();
    Ok(Candidates::of(&keys, store.cities_named(&keys).await?))
}

/// The cities that names in states may find, `(state, name)`: one query.
pub async fn candidates_of_names(store: &Store, names: &[(&str, &str)]) -> Result<Candidates, Error> {
    let mut keys: Vec<String> = names.iter().map(|(state, name)| name_key(state, name)).collect();
    keys.sort_unstable();
    keys.dedup();
    Ok(Candidates::of(&keys, store.cities_named(&keys).await?))
}

/// What `name` finds in `state` (the official name).
pub async fn find(store: &Store, state: &str, name: &str) -> Result<Found, Error> {
    Ok(candidates_of_names(store, &[(state, name)]).await?.find(state, name))
}

/// Ids for new cities, `(state, name)` each: made from the name, numbered on
/// while a city of the store (or an earlier one of the list) has it.
pub async fn fresh_ids(store: &Store, new: &[(&str, &str)]) -> Result<Vec<String>, Error> {
    let mut asked: HashSet<String> = HashSet::new();
    let mut taken: HashSet<String> = HashSet::new();
    let mut tries = 3;
    loop {
        let ask: Vec<String> = new
            .iter()
            .flat_map(|(state, name)| id_candidates(state, name, tries))
            .filter(|id| !asked.contains(id))
            .collect();
        taken.extend(store.cities_by_ids(&ask).await?.into_keys());
        asked.extend(ask);
        let mut given: HashSet<String> = HashSet::new();
        let ids: Vec<String> = new
            .iter()
            .map(|(state, name)| {
                let id = fresh_id(state, name, |id| taken.contains(id) || given.contains(id));
                given.insert(id.clone());
                id
            })
            .collect();
        // Every id given was asked about: none is taken.
        if ids.iter().all(|id| asked.contains(id)) {
            return Ok(ids);
        }
        tries *= 2;
    }
}
