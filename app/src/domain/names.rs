//! Finding a city by a name people use: its current name, or else an
//! alternate name only one live city of its state has. One rule, for every
//! door (REST paths, forms, bulk JSON, imports, pincode writes).
//!
//! Invariant: a city's id is opaque once made. A name is resolved to an id
//! once, at the door; events carry the id, and nothing after the door derives
//! an id from a name. A new city's id is made from its name only if no city
//! (live, deleted or renamed) has that id already ([`fresh_id`]).

use std::collections::{HashMap, HashSet};

use super::city::{city_id, City, CityFields};
use super::fold::search_key;
use super::slug::slugify;

/// The key a name is found by in its state: the state's slug and the name
/// folded as the search index folds it, `maharashtra/mumbai`. Every name of a
/// city (current and alternate) is stored under such a key (`name_keys`).
pub fn name_key(state: &str, name: &str) -> String {
    format!("{}/{}", slugify(state), search_key(name))
}

/// Every key a city is found by: its current name first, then its alternate
/// names, each once.
pub fn name_keys(fields: &CityFields) -> Vec<String> {
    let mut keys = vec![name_key(&fields.state, &fields.name)];
    for alternate in &fields.alternate_names {
        let key = name_key(&fields.state, alternate);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// What a name in a state comes to.
#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    /// The city whose current name it is (deleted or not).
    Current(City),
    /// The one live city of the state with this alternate name.
    Alternate {
        city: City,
        alternate: String,
    },
    /// An alternate name of several live cities: never guessed.
    Ambiguous {
        name: String,
        state: String,
        cities: Vec<City>,
    },
    Missing,
}

impl Found {
    /// The city found, if exactly one.
    pub fn city(&self) -> Option<&City> {
        match self {
            Found::Current(city) | Found::Alternate { city, .. } => Some(city),
            _ => None,
        }
    }

    /// The alternate name it was found by ("Bombay"), when not its current name.
    pub fn alternate(&self) -> Option<&str> {
        match self {
            Found::Alternate { alternate, .. } => Some(alternate),
            _ => None,
        }
    }

    /// "matched Mumbai by its alternate name Bombay", for reports.
    pub fn matched(&self) -> Option<String> {
        match self {
            Found::Alternate { city, alternate } => {
                Some(format!("matched {} by its alternate name {alternate}", city.fields.name))
            }
            _ => None,
        }
    }

    /// Why the name cannot be resolved, when it is ambiguous.
    pub fn ambiguity(&self) -> Option<String> {
        let Found::Ambiguous { name, state, cities } = self else { return None };
        let named: Vec<String> = cities.iter().map(|c| format!("{} ({})", c.fields.name, c.id)).collect();
        Some(format!(
            "'{name}' is an alternate name of {} cities in {state}: {}; name the city by its current name",
            cities.len(),
            and_list(&named)
        ))
    }
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Which of `candidates` (the cities bearing the name's key in any of their
/// names, in any order) the name `name` in `state` finds.
pub fn choose(state: &str, name: &str, candidates: impl IntoIterator<Item = City>) -> Found {
    let key = name_key(state, name);
    let in_state: Vec<City> = candidates.into_iter().filter(|c| slugify(&c.fields.state) == slugify(state)).collect();
    let mut current: Vec<&City> =
        in_state.iter().filter(|c| name_key(&c.fields.state, &c.fields.name) == key).collect();
    if !current.is_empty() {
        // Two current names fold alike only in data older than this rule: the live one, then the first id.
        current.sort_by_key(|c| (c.deleted_at.is_some(), c.id.clone()));
        return Found::Current(current[0].clone());
    }
    let mut holders: Vec<(City, String)> = in_state
        .into_iter()
        .filter(|c| c.deleted_at.is_none())
        .filter_map(|c| {
            let alternate = c.fields.alternate_names.iter().find(|a| name_key(&c.fields.state, a) == key)?.clone();
            Some((c, alternate))
        })
        .collect();
    holders.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    match holders.len() {
        0 => Found::Missing,
        1 => {
            let (city, alternate) = holders.pop().expect("one");
            Found::Alternate { city, alternate }
        }
        _ => Found::Ambiguous {
            name: name.trim().to_string(),
            state: state.to_string(),
            cities: holders.into_iter().map(|(c, _)| c).collect(),
        },
    }
}

/// The cities a batch of names may find, by name key: what one query of
/// the store's `name_keys` brings back, sorted for [`choose`].
#[derive(Clone, Debug, Default)]
pub struct Candidates {
    by_key: HashMap<String, Vec<City>>,
}

impl Candidates {
    /// The keys to ask for so that `find` and `taken_alternates` can answer
    /// for these fields: its name's and its alternate names'.
    pub fn keys_for(fields: &CityFields) -> Vec<String> {
        name_keys(fields)
    }

    /// Files each city under the keys of `wanted` it bears.
    pub fn of(wanted: &[String], cities: Vec<City>) -> Self {
        let wanted: HashSet<&str> = wanted.iter().map(String::as_str).collect();
        let mut by_key: HashMap<String, Vec<City>> = HashMap::new();
        for city in cities {
            for key in name_keys(&city.fields) {
                if wanted.contains(key.as_str()) {
                    by_key.entry(key).or_default().push(city.clone());
                }
            }
        }
        Candidates { by_key }
    }

    /// What `name` in `state` finds among the candidates.
    pub fn find(&self, state: &str, name: &str) -> Found {
        choose(state, name, self.by_key.get(&name_key(state, name)).into_iter().flatten().cloned())
    }

    /// The alternate names of `fields` that another city of its state (not
    /// `own`) bears as its current name: (their place in the list, why).
    pub fn taken_alternates(&self, fields: &CityFields, own: Option<&str>) -> Vec<(usize, String)> {
        let mut taken = Vec::new();
        for (i, alternate) in fields.alternate_names.iter().enumerate() {
            if let Found::Current(other) = self.find(&fields.state, alternate) {
                if Some(other.id.as_str()) != own
                    && name_key(&fields.state, &fields.name) != name_key(&fields.state, alternate)
                {
                    let what = if other.deleted_at.is_some() { "a deleted city" } else { "another city" };
                    taken.push((i, format!("'{alternate}' is the name of {what} in {} ({})", fields.state, other.id)));
                }
            }
        }
        taken
    }
}

/// The id of a new city: made from its state and name, with `-2`, `-3`, …
/// after it while `taken` says a city has that id already (one renamed
/// away from this name keeps it).
pub fn fresh_id(state: &str, name: &str, taken: impl Fn(&str) -> bool) -> String {
    let base = city_id(state, name);
    if !taken(&base) {
        return base;
    }
    (2..).map(|n| format!("{base}-{n}")).find(|id| !taken(id)).expect("a free id")
}

/// The ids `fresh_id` may try for a name before it finds a free one, when
/// fewer than `n` of them are taken: what to ask the store about at once.
pub fn id_candidates(state: &str, name: &str, n: usize) -> Vec<String> {
    let base = city_id(state, name);
    std::iter::once(base.clone()).chain((2..=n).map(|i| format!("{base}-{i}"))).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::*;

    fn city(id: &str, name: &str, alternates: &[&str], deleted: bool) -> City {
        City {
            id: id.into(),
            fields: CityFields {
                name: name.into(),
                state: "Maharashtra".into(),
                district: None,
                latitude: 19.0,
                longitude: 72.8,
                is_metro: false,
                is_capital: false,
                population: None,
                area_sq_km: None,
                alternate_names: alternates.iter().map(|a| a.to_string()).collect(),
                metadata: Map::new(),
            },
            pincodes: vec![],
            created_at: String::new(),
            updated_at: String::new(),
            deleted_at: deleted.then(|| "2026-12-01T00:00:00Z".into()),
            matched_name: None,
        }
    }

    #[test]
    fn keys_fold_like_search_and_name_the_state() {
        assert_eq!(name_key("Maharashtra", "  MUMBAI "), "maharashtra/mumbai");
        assert_eq!(name_key("Maharashtra", "Mahābaleshwar"), name_key("Maharashtra", "mahabaleshwar"));
        assert_eq!(name_key("Tamil Nadu", "சென்னை"), "tamil-nadu/சென்னை");
        let mumbai = city("maharashtra/bombay", "Mumbai", &["Bombay", "bombay", "Mumbai"], false);
        assert_eq!(name_keys(&mumbai.fields), ["maharashtra/mumbai", "maharashtra/bombay"]);
    }

    #[test]
    fn the_current_name_wins_over_an_alternate_name() {
        let mumbai = city("maharashtra/bombay", "Mumbai", &["Bombay"], false);
        let bombay = city("maharashtra/bombay-2", "Bombay", &[], false);
        let found = choose("Maharashtra", "bombay", [mumbai.clone(), bombay.clone()]);
        assert_eq!(found, Found::Current(bombay));
        let found = choose("Maharashtra", "BOMBAY", [mumbai.clone()]);
        assert_eq!(found.city().map(|c| c.id.as_str()), Some("maharashtra/bombay"));
        assert_eq!(found.matched().as_deref(), Some("matched Mumbai by its alternate name Bombay"));
    }

    #[test]
    fn a_deleted_city_is_found_by_its_current_name_only() {
        let gone = city("maharashtra/poona", "Pune", &["Poona"], true);
        assert!(matches!(choose("Maharashtra", "pune", [gone.clone()]), Found::Current(_)));
        assert_eq!(choose("Maharashtra", "poona", [gone]), Found::Missing);
    }

    #[test]
    fn an_alternate_name_of_two_live_cities_is_refused_naming_both() {
        let a = city("maharashtra/navi-mumbai", "Navi Mumbai", &["New Bombay"], false);
        let b = city("maharashtra/thane", "Thane", &["new bombay"], false);
        let found = choose("Maharashtra", "New Bombay", [b, a]);
        assert!(found.city().is_none());
        assert_eq!(
            found.ambiguity().unwrap(),
            "'New Bombay' is an alternate name of 2 cities in Maharashtra: Navi Mumbai (maharashtra/navi-mumbai) \
             and Thane (maharashtra/thane); name the city by its current name"
        );
    }

    #[test]
    fn cities_of_other_states_are_not_candidates() {
        let mut elsewhere = city("goa/bombay", "Bombay", &[], false);
        elsewhere.fields.state = "Goa".into();
        assert_eq!(choose("Maharashtra", "Bombay", [elsewhere]), Found::Missing);
    }

    #[test]
    fn candidates_of_one_query_answer_for_each_name_and_alternate() {
        let mumbai = city("maharashtra/bombay", "Mumbai", &["Bombay"], false);
        let thane = city("maharashtra/thane", "Thane", &[], false);
        let wanted = vec![name_key("Maharashtra", "Bombay"), name_key("Maharashtra", "Thane")];
        let candidates = Candidates::of(&wanted, vec![mumbai.clone(), thane]);
        assert_eq!(candidates.find("Maharashtra", "bombay").city(), Some(&mumbai));
        assert_eq!(candidates.find("Maharashtra", "Pune"), Found::Missing);
        let mut fields = mumbai.fields.clone();
        fields.alternate_names = vec!["Bombay".into(), "Thane".into()];
        let taken = candidates.taken_alternates(&fields, Some("maharashtra/bombay"));
        assert_eq!(taken, [(1, "'Thane' is the name of another city in Maharashtra (maharashtra/thane)".to_string())]);
        assert!(candidates.taken_alternates(&fields, Some("maharashtra/thane")).is_empty(), "its own name");
    }

    #[test]
    fn a_taken_id_gets_a_number_after_it() {
        assert_eq!(fresh_id("Maharashtra", "Bombay", |_| false), "maharashtra/bombay");
        let taken = ["maharashtra/bombay", "maharashtra/bombay-2"];
        assert_eq!(fresh_id("Maharashtra", "Bombay", |id| taken.contains(&id)), "maharashtra/bombay-3");
        assert_eq!(id_candidates("Maharashtra", "Bombay", 3)[2], "maharashtra/bombay-3");
    }
}
