//! Where a browser goes after signing in.
//!
//! Invariant: the place is always a path of this site. Browsers read `//host`
//! and `/\host` as another site (a backslash is a slash to them, and they drop
//! tabs and newlines from addresses before reading them), so a `next` that
//! could name another host, or that is not a path at all, is replaced by `/`.

/// `next` when it is a path of this site, else the home page.
pub fn after_sign_in(next: Option<&str>) -> &str {
    match next {
        Some(path) if is_own_path(path) => path,
        _ => "/",
    }
}

/// A path beginning with one `/`, not followed by another slash or a
/// backslash, with no backslash, whitespace or control character anywhere.
fn is_own_path(path: &str) -> bool {
    let mut chars = path.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !path.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_path_of_this_site_is_followed() {
        for own in ["/", "/cities?q=pune", "/kafka/topics/x.DLT", "/cities/Maharashtra/Pune#map", "/%5Cx"] {
            assert_eq!(after_sign_in(Some(own)), own);
        }
        for other in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "https://evil.example/",
            "evil.example",
            "javascript:alert(1)",
            "",
            " /cities",
            "/cities\\..\\x",
        ] {
            assert_eq!(after_sign_in(Some(other)), "/", "{other:?}");
        }
        assert_eq!(after_sign_in(None), "/");
    }
}
