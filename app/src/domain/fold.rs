//! Names as they are compared: Latin letters without their accents, so that
//! "Mahārāshtra" is "Maharashtra"; every other script (Devanagari, Tamil, …)
//! exactly as written, its vowel signs included.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// `s` with the accents taken off its Latin letters.
pub fn fold_accents(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut after_latin = false;
    for c in s.nfd() {
        if is_combining_mark(c) {
            if !after_latin {
                out.push(c);
            }
            continue;
        }
        after_latin = c.is_ascii_alphabetic();
        out.push(c);
    }
    // Recompose what was kept (Devanagari, Tamil…), as it was written.
    out.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::fold_accents;

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
