//! Ids made from names: `uttar-pradesh/noida`.

/// Lower case; runs of spaces and ASCII punctuation become one hyphen. Letters of
/// any script (Devanagari, Tamil, …) and their marks are kept as they are.
pub fn slugify(name: &str) -> String {
    let keep =
        |c: char| if c.is_ascii() { c.is_ascii_alphanumeric() } else { !c.is_whitespace() && !is_unicode_punct(c) };
    joined_words(name.chars(), keep, '-')
}

/// The runs of `keep` characters, lower-cased, one `separator` between runs
/// (none before the first or after the last): what slugs and search keys share.
pub(super) fn joined_words(chars: impl Iterator<Item = char>, keep: impl Fn(char) -> bool, separator: char) -> String {
    let mut out = String::new();
    let mut between = false;
    for c in chars {
        if keep(c) {
            if between && !out.is_empty() {
                out.push(separator);
            }
            between = false;
            out.extend(c.to_lowercase());
        } else {
            between = true;
        }
    }
    out
}

fn is_unicode_punct(c: char) -> bool {
    matches!(c, '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205E}' | '\u{3000}'..='\u{303F}' | '\u{0964}' | '\u{0965}')
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Uttar Pradesh"), "uttar-pradesh");
        assert_eq!(slugify("  Noida "), "noida");
        assert_eq!(slugify("Port Blair (South Andaman)"), "port-blair-south-andaman");
        assert_eq!(slugify("Daman & Diu"), "daman-diu");
        assert_eq!(slugify("नई दिल्ली"), "नई-दिल्ली");
        assert_eq!(slugify("சென்னை"), "சென்னை");
    }
}
