//! The rules' decisions and sentences, apart from where the data comes
//! from: a distance against its threshold, two names alike, what a finding
//! says. The server's evaluation (`server/src/index/quality/`) measures;
//! these decide.

use super::super::fold::search_key;

/// Two cities farther apart than this are not duplicates, whatever their names.
pub const DUPLICATE_KM: f64 = 5.0;
/// How far outside its state's boundary a city may be (coastlines and
/// generalised borders: Natural Earth's 1:10m lines are a few hundred metres off).
pub const OUTSIDE_TOLERANCE_KM: f64 = 2.0;
/// How many live cities at one point make a finding.
pub const SHARED_AT_LEAST: usize = 3;
/// A pincode's distance from its city, by default, beyond which it is a finding.
pub const DEFAULT_PINCODE_KM: f64 = 50.0;

/// A distance as a finding states it, and as its threshold is compared:
/// to a tenth of a kilometre (so "exactly 50 km" is 50.0, not 50.0000001).
pub fn shown_km(km: f64) -> f64 {
    (km * 10.0).round() / 10.0
}

/// True when a pincode `km` from its city is beyond `threshold_km`.
pub fn too_far(km: f64, threshold_km: f64) -> bool {
    shown_km(km) > threshold_km
}

/// How two cities' names are alike, if they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Alike {
    /// The same name, once folded ("Mahābaleshwar", "Mahabaleshwar").
    Same,
    /// One letter added, dropped or changed ("Gaziabad", "Ghaziabad").
    OneLetter,
    /// One's name is an alternate name of the other.
    Alternate(String),
}

/// A city's names as they are compared: each folded once, so that one city
/// compared with each of its neighbours folds its own names once.
pub struct Names<'a> {
    key: String,
    /// Each alternate name's key, and the name as written.
    alternates: Vec<(String, &'a str)>,
}

impl<'a> Names<'a> {
    pub fn of<A: AsRef<str>>(name: &str, alternates: &'a [A]) -> Names<'a> {
        let alternates = alternates.iter().map(|n| (search_key(n.as_ref()), n.as_ref())).collect();
        Names { key: search_key(name), alternates }
    }

    /// How a city, as (name, alternate names), is named like this one, if
    /// it is. Its names are folded only as far as they must be.
    pub fn alike<B: AsRef<str>>(&self, (b, b_alternates): (&str, &[B])) -> Option<Alike> {
        let (ka, kb) = (&self.key, search_key(b));
        if ka.is_empty() || kb.is_empty() {
            return None;
        }
        if *ka == kb {
            return Some(Alike::Same);
        }
        if ka.chars().count().abs_diff(kb.chars().count()) <= 1 && strsim::levenshtein(ka, &kb) == 1 {
            return Some(Alike::OneLetter);
        }
        let in_b = b_alternates.iter().map(AsRef::as_ref).find(|n| search_key(n) == *ka);
        let in_a = || self.alternates.iter().find(|(key, _)| *key == kb).map(|(_, n)| *n);
        in_b.or_else(in_a).map(|n| Alike::Alternate(n.to_string()))
    }
}

/// Whether two cities, each as (name, alternate names), are named alike.
pub fn alike<A: AsRef<str>, B: AsRef<str>>((a, a_alternates): (&str, &[A]), b: (&str, &[B])) -> Option<Alike> {
    Names::of(a, a_alternates).alike(b)
}

/// What a finding says, from its facts and the names they lead to.
pub mod say {
    use super::Alike;

    pub fn far_from_city(pincode: &str, city: &str, km: f64) -> String {
        format!("pincode {pincode} is {} km from {city}, its city", km.round())
    }

    pub fn unlocated(pincode: &str) -> String {
        format!("pincode {pincode} has no coordinates")
    }

    pub fn duplicate(name: &str, other: &str, km: f64, how: &Alike) -> String {
        let names = match how {
            Alike::Same => "the same name".to_string(),
            Alike::OneLetter => "names one letter apart".to_string(),
            Alike::Alternate(n) => format!("one named as the other's alternate name {n}"),
        };
        format!("{name} and {other} are {:.1} km apart with {names}: possibly one place entered twice", km)
    }

    pub fn outside_state(city: &str, state: &str, km: f64) -> String {
        format!("{city} is {} km outside {state}, its state", km.round())
    }

    pub fn without_pincodes(city: &str) -> String {
        format!("{city} has no pincode")
    }

    pub fn shared(names: &[String], count: usize) -> String {
        let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
        let more = count.saturating_sub(shown.len());
        let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
        format!("{count} cities share one point: {}{tail}", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_the_threshold_is_not_too_far() {
        assert!(!too_far(50.0, 50.0));
        assert!(!too_far(50.04, 50.0), "50.04 km is shown as 50.0");
        assert!(too_far(50.05, 50.0));
        assert!(too_far(322.0, 50.0));
    }

    #[test]
    fn names_alike_by_folding_one_letter_or_an_alternate() {
        let none: &[&str] = &[];
        assert_eq!(alike(("Mahābaleshwar", none), ("mahabaleshwar", none)), Some(Alike::Same));
        assert_eq!(alike(("Gaziabad", none), ("Ghaziabad", none)), Some(Alike::OneLetter));
        assert_eq!(alike(("Rampur", none), ("Rampura", none)), Some(Alike::OneLetter));
        assert_eq!(alike(("Rampur", none), ("Rampuram", none)), None, "two letters apart");
        assert_eq!(alike(("Rampur", none), ("Ramnagar", none)), None);
        let bombay = vec!["Bombay".to_string()];
        assert_eq!(alike(("Bombay", none), ("Mumbai", &bombay)), Some(Alike::Alternate("Bombay".into())));
        assert_eq!(alike(("Mumbai", &bombay), ("bombay", none)), Some(Alike::Alternate("Bombay".into())));
    }

    #[test]
    fn sentences_read_as_an_admin_would_say_them() {
        assert_eq!(say::far_from_city("560002", "Qtown", 322.4), "pincode 560002 is 322 km from Qtown, its city");
        let names: Vec<String> = ["A", "B", "C", "D", "E", "F", "G"].iter().map(|s| s.to_string()).collect();
        assert_eq!(say::shared(&names, 7), "7 cities share one point: A, B, C, D, E and 2 more");
        assert_eq!(
            say::duplicate("Gaziabad", "Ghaziabad", 1.23, &Alike::OneLetter),
            "Gaziabad and Ghaziabad are 1.2 km apart with names one letter apart: possibly one place entered twice"
        );
    }
}
