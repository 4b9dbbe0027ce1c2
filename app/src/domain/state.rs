//! India's 28 states and 8 union territories, with the names people also use
//! for them. Matching ignores case, spacing and punctuation ("UP", "Orissa",
//! "NCT of Delhi", "jammu & kashmir" all resolve).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::fold::fold_accents;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateKind {
    State,
    UnionTerritory,
}

#[derive(Debug, PartialEq, Eq)]
pub struct State {
    /// The official name, as GeoLedger stores and shows it.
    pub name: &'static str,
    /// The vehicle-registration / ISO 3166-2:IN code.
    pub code: &'static str,
    pub kind: StateKind,
    /// Other names in use: former names, short forms.
    pub aliases: &'static [&'static str],
}

use StateKind::{State as S, UnionTerritory as UT};

pub static STATES: [State; 36] = [
    State { name: "Andhra Pradesh", code: "AP", kind: S, aliases: &[] },
    State { name: "Arunachal Pradesh", code: "AR", kind: S, aliases: &["Arunachal"] },
    State { name: "Assam", code: "AS", kind: S, aliases: &[] },
    State { name: "Bihar", code: "BR", kind: S, aliases: &[] },
    State { name: "Chhattisgarh", code: "CG", kind: S, aliases: &["Chattisgarh", "CT"] },
    State { name: "Goa", code: "GA", kind: S, aliases: &[] },
    State { name: "Gujarat", code: "GJ", kind: S, aliases: &[] },
    State { name: "Haryana", code: "HR", kind: S, aliases: &[] },
    State { name: "Himachal Pradesh", code: "HP", kind: S, aliases: &["Himachal"] },
    State { name: "Jharkhand", code: "JH", kind: S, aliases: &[] },
    State { name: "Karnataka", code: "KA", kind: S, aliases: &["Mysore State"] },
    State { name: "Kerala", code: "KL", kind: S, aliases: &[] },
    State { name: "Madhya Pradesh", code: "MP", kind: S, aliases: &[] },
    State { name: "Maharashtra", code: "MH", kind: S, aliases: &[] },
    State { name: "Manipur", code: "MN", kind: S, aliases: &[] },
    State { name: "Meghalaya", code: "ML", kind: S, aliases: &[] },
    State { name: "Mizoram", code: "MZ", kind: S, aliases: &[] },
    State { name: "Nagaland", code: "NL", kind: S, aliases: &[] },
    State { name: "Odisha", code: "OD", kind: S, aliases: &["Orissa", "OR"] },
    State { name: "Punjab", code: "PB", kind: S, aliases: &[] },
    State { name: "Rajasthan", code: "RJ", kind: S, aliases: &[] },
    State { name: "Sikkim", code: "SK", kind: S, aliases: &[] },
    State { name: "Tamil Nadu", code: "TN", kind: S, aliases: &["Madras State"] },
    State { name: "Telangana", code: "TS", kind: S, aliases: &["TG"] },
    State { name: "Tripura", code: "TR", kind: S, aliases: &[] },
    State { name: "Uttar Pradesh", code: "UP", kind: S, aliases: &[] },
    State { name: "Uttarakhand", code: "UK", kind: S, aliases: &["Uttaranchal", "UA", "UT"] },
    State { name: "West Bengal", code: "WB", kind: S, aliases: &["Bengal"] },
    State {
        name: "Andaman and Nicobar Islands",
        code: "AN",
        kind: UT,
        aliases: &["Andaman and Nicobar", "Andaman Nicobar"],
    },
    State { name: "Chandigarh", code: "CH", kind: UT, aliases: &[] },
    State {
        name: "Dadra and Nagar Haveli and Daman and Diu",
        code: "DH",
        kind: UT,
        aliases: &[
            "DNHDD",
            "Dadra and Nagar Haveli",
            "Daman and Diu",
            "DN",
            "DD",
            // As the India Post directory writes it.
            "The Dadra and Nagar Haveli and Daman and Diu",
        ],
    },
    State {
        name: "Delhi",
        code: "DL",
        kind: UT,
        aliases: &["NCT of Delhi", "National Capital Territory of Delhi", "NCT"],
    },
    State { name: "Jammu and Kashmir", code: "JK", kind: UT, aliases: &["J and K", "Kashmir"] },
    State { name: "Ladakh", code: "LA", kind: UT, aliases: &[] },
    State { name: "Lakshadweep", code: "LD", kind: UT, aliases: &[] },
    State { name: "Puducherry", code: "PY", kind: UT, aliases: &["Pondicherry", "Pondy"] },
];

/// The form matching compares: lower case, Latin accents off ("Mahārāshtra"),
/// `&` read as "and", nothing but letters and digits.
pub fn normalize(input: &str) -> String {
    fold_accents(&input.replace('&', " and "))
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Every state by each of its names, codes and aliases as `normalize` writes
/// them: built once, so a file of 165,000 rows does not normalize every name
/// of every state for each row.
fn by_normalized_name() -> &'static HashMap<String, &'static State> {
    static NAMES: OnceLock<HashMap<String, &'static State>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: HashMap<String, &'static State> = HashMap::new();
        // The first state to claim a name keeps it, as the list is ordered.
        for s in STATES.iter() {
            for n in s.names() {
                names.entry(normalize(n)).or_insert(s);
            }
        }
        names.remove("");
        names
    })
}

impl State {
    pub fn slug(&self) -> String {
        super::slug::slugify(self.name)
    }

    fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        [self.name, self.code].into_iter().chain(self.aliases.iter().copied())
    }

    /// Finds a state or union territory by its name, code or an alias.
    pub fn find(input: &str) -> Option<&'static State> {
        by_normalized_name().get(normalize(input).as_str()).copied()
    }

    /// The official name closest to `input` (by edit distance over every name and
    /// alias), to suggest when `find` fails. None when nothing is near.
    pub fn closest(input: &str) -> Option<&'static State> {
        let wanted = normalize(input);
        if wanted.is_empty() {
            return None;
        }
        let wanted = wanted.as_str();
        let (best, distance) = STATES
            .iter()
            .flat_map(|s| s.names().filter(|n| n.len() > 2).map(move |n| (s, edit_distance(wanted, &normalize(n)))))
            .min_by_key(|(_, d)| *d)?;
        // Suggest only what a typo could explain: at most a third of the letters wrong.
        (distance * 3 <= wanted.chars().count().max(3)).then_some(best)
    }

    /// Finds the state for `input`, or explains what went wrong with a suggestion.
    pub fn parse(input: &str) -> Result<&'static State, String> {
        if input.trim().is_empty() {
            return Err("is required".into());
        }
        // Longer than any state's name: no typo explains it, and the edit
        // distance (which grows with the length) is not worth running.
        let chars = input.trim().chars().count();
        if chars > STATE_NAME_MAX_CHARS {
            return Err(format!(
                "is not a state or union territory of India ({chars} characters; none has more than \
                 {STATE_NAME_MAX_CHARS})"
            ));
        }
        State::find(input).ok_or_else(|| match State::closest(input) {
            Some(s) => {
                format!("'{}' is not a state or union territory of India; did you mean '{}'?", input.trim(), s.name)
            }
            None => format!("'{}' is not a state or union territory of India", input.trim()),
        })
    }
}

/// More than the longest name or alias of any state (a test keeps it so).
pub const STATE_NAME_MAX_CHARS: usize = 60;

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_longer_than_any_state_is_refused_without_a_search() {
        let longest = STATES.iter().flat_map(|s| s.names()).map(|n| n.chars().count()).max().unwrap();
        assert!(longest < STATE_NAME_MAX_CHARS, "{longest}");
        let long = "Uttar Pradesh ".repeat(20_000);
        let why = State::parse(&long).unwrap_err();
        assert!(why.starts_with("is not a state or union territory of India (279999 characters"), "{why}");
    }

    #[test]
    fn there_are_28_states_and_8_union_territories() {
        assert_eq!(STATES.iter().filter(|s| s.kind == StateKind::State).count(), 28);
        assert_eq!(STATES.iter().filter(|s| s.kind == StateKind::UnionTerritory).count(), 8);
    }

    #[test]
    fn no_two_states_share_a_name_code_or_alias() {
        let mut seen = std::collections::HashMap::new();
        for s in STATES.iter() {
            for n in s.names() {
                if let Some(other) = seen.insert(normalize(n), s.name) {
                    panic!("'{n}' names both {other} and {}", s.name);
                }
            }
        }
    }

    #[test]
    fn aliases_and_codes_resolve_ignoring_case_and_spacing() {
        for (input, want) in [
            ("UP", "Uttar Pradesh"),
            ("up", "Uttar Pradesh"),
            ("uttar   pradesh", "Uttar Pradesh"),
            ("UTTARPRADESH", "Uttar Pradesh"),
            ("Orissa", "Odisha"),
            ("Pondicherry", "Puducherry"),
            ("NCT of Delhi", "Delhi"),
            ("nct-of-delhi", "Delhi"),
            ("Jammu & Kashmir", "Jammu and Kashmir"),
            ("Uttaranchal", "Uttarakhand"),
            (" Tamil Nadu ", "Tamil Nadu"),
            // As open data writes them: accents, capitals, a leading "The".
            ("Mahārāshtra", "Maharashtra"),
            ("Dādra and Nagar Haveli and Damān and Diu", "Dadra and Nagar Haveli and Daman and Diu"),
            ("THE DADRA AND NAGAR HAVELI AND DAMAN AND DIU", "Dadra and Nagar Haveli and Daman and Diu"),
            ("ANDAMAN AND NICOBAR ISLANDS", "Andaman and Nicobar Islands"),
        ] {
            assert_eq!(State::find(input).map(|s| s.name), Some(want), "{input}");
        }
    }

    #[test]
    fn an_unknown_state_is_refused_with_the_closest_name() {
        let err = State::parse("Maharastra").unwrap_err();
        assert!(err.contains("did you mean 'Maharashtra'?"), "{err}");
        let err = State::parse("Utar Pradesh").unwrap_err();
        assert!(err.contains("did you mean 'Uttar Pradesh'?"), "{err}");
        let err = State::parse("Atlantis").unwrap_err();
        assert!(!err.contains("did you mean"), "{err}");
        assert_eq!(State::parse("  ").unwrap_err(), "is required");
    }
}
