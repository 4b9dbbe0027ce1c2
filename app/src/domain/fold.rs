//! Names as they are compared: Latin letters without their accents, so that
//! "Mahārāshtra" is "Maharashtra"; every other script (Devanagari, Tamil, …)
//! exactly as written, its vowel signs included.

use self::unicode::{is_mark, nfc, nfd};
use super::slug::joined_words;

/// `s` with the accents taken off its Latin letters.
pub fn fold_accents(s: &str) -> String {
    if s.is_ascii() {
        // Nothing to fold, nothing to recompose (most names, and all of India Post's).
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut after_latin = false;
    for c in nfd(s).chars() {
        if is_mark(c) {
            if !after_latin {
                out.push(c);
            }
            continue;
        }
        after_latin = c.is_ascii_alphabetic();
        out.push(c);
    }
    // Recompose what was kept (Devanagari, Tamil…), as it was written.
    nfc(&out)
}

/// A name as search compares it: Latin accents off, lower case, spaces and
/// punctuation runs as one space; every other script as written. "Mahārāshtra"
/// and "maharashtra" are one key, and "नई दिल्ली" keeps its vowel signs.
pub fn search_key(name: &str) -> String {
    joined_words(fold_accents(name).chars(), |c| c.is_alphanumeric() || is_mark(c), ' ')
}

/// Unicode's normal forms and its marks (general category M): from
/// unicode-normalization on the server, from the browser's own
/// (`String.prototype.normalize`, `/\p{M}/u`) in the browser, where the
/// crate's tables were 130 KB of the wasm every page loads.
#[cfg(not(all(target_arch = "wasm32", feature = "hydrate")))]
mod unicode {
    pub use unicode_normalization::char::is_combining_mark as is_mark;
    use unicode_normalization::UnicodeNormalization;

    pub fn nfd(s: &str) -> String {
        s.nfd().collect()
    }

    pub fn nfc(s: &str) -> String {
        s.nfc().collect()
    }
}

#[cfg(all(target_arch = "wasm32", feature = "hydrate"))]
mod unicode {
    use js_sys::{JsString, RegExp};

    pub fn nfd(s: &str) -> String {
        JsString::from(s).normalize("NFD").into()
    }

    pub fn nfc(s: &str) -> String {
        JsString::from(s).normalize("NFC").into()
    }

    pub fn is_mark(c: char) -> bool {
        thread_local! {
            static MARK: RegExp = RegExp::new("^\\p{M}$", "u");
        }
        MARK.with(|mark| mark.test(c.encode_utf8(&mut [0; 4])))
    }
}

#[cfg(test)]
mod tests {
    use super::{fold_accents, search_key};

    #[test]
    fn search_keys_fold_case_accents_and_spacing_but_keep_other_scripts() {
        assert_eq!(search_key("  Mahārāshtra "), "maharashtra");
        assert_eq!(search_key("Port  Blair (South)"), "port blair south");
        assert_eq!(search_key("KOLKĀTA"), "kolkata");
        assert_eq!(search_key("नई दिल्ली"), "नई दिल्ली");
        assert!(search_key("नई दिल्ली").starts_with(&search_key("नई दि")));
        assert_eq!(search_key("சென்னை"), "சென்னை");
    }

    #[test]
    fn latin_accents_go_other_scripts_stay() {
        assert_eq!(fold_accents("Mahārāshtra"), "Maharashtra");
        assert_eq!(
            fold_accents("Dādra and Nagar Haveli and Damān and Diu"),
            "Dadra and Nagar Haveli and Daman and Diu"
        );
        assert_eq!(fold_accents("Kolkāta"), "Kolkata");
        assert_eq!(fold_accents("नई दिल्ली"), "नई दिल्ली");
        assert_eq!(fold_accents("சென்னை"), "சென்னை");
        assert_eq!(fold_accents("Noida"), "Noida");
    }
}
