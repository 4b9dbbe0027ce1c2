//! Field-by-field validation that reports every error at once.
//!
//! Input arrives as a loose record (a JSON object from the API, a form, or a CSV
//! row whose values are all strings): numbers may come as JSON numbers or as text.
//! One set of rules reads all of them.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// India's bounding box, in degrees.
pub const LATITUDE_RANGE: (f64, f64) = (6.0, 37.6);
pub const LONGITUDE_RANGE: (f64, f64) = (68.0, 97.5);
pub const NAME_MAX_CHARS: usize = 100;
/// Metadata: at most this many keys, of at most this many characters, with text
/// values of at most this many characters.
pub const METADATA_MAX_KEYS: usize = 50;
pub const METADATA_KEY_MAX_CHARS: usize = 64;
pub const METADATA_TEXT_MAX_CHARS: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationErrors {
    pub errors: Vec<FieldError>,
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for ValidationErrors {}

impl ValidationErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError { field: field.into(), message: message.into() });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The message for one field, if it has an error (for forms).
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut e = ValidationErrors::default();
        e.add(field, message);
        e
    }
}

/// A page size as asked (`?limit=`): `default` when not given, else a whole
/// number from 1 to `max`; the error says so, for the field `limit`.
pub fn page_limit(raw: Option<&str>, default: usize, max: usize) -> Result<usize, String> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(default) };
    match raw.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from 1 to {max}, not '{raw}'")),
    }
}

/// Reads typed fields out of a loose record, collecting every error.
pub struct Reader<'a> {
    record: &'a Map<String, Value>,
    pub errors: ValidationErrors,
}

impl<'a> Reader<'a> {
    pub fn new(record: &'a Map<String, Value>) -> Self {
        Reader { record, errors: ValidationErrors::default() }
    }

    /// The value, or None when absent, null or blank text.
    fn present(&self, field: &str) -> Option<&'a Value> {
        match self.record.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(v) => Some(v),
        }
    }

    pub fn has(&self, field: &str) -> bool {
        self.present(field).is_some()
    }

    fn missing(&mut self, field: &str, required: bool) {
        if required {
            self.errors.add(field, "is required");
        }
    }

    /// A name: trimmed, 1–100 characters of any script, no control characters.
    pub fn name(&mut self, field: &str, required: bool) -> Option<String> {
        let Some(v) = self.present(field) else {
            self.missing(field, required);
            return None;
        };
        let Value::String(s) = v else {
            self.errors.add(field, "must be text");
            return None;
        };
        match check_name(s) {
            Ok(name) => Some(name),
            Err(message) => {
                self.errors.add(field, message);
                None
            }
        }
    }

    /// A number (JSON number, or text that reads as one), finite.
    pub fn number(&mut self, field: &str, required: bool) -> Option<f64> {
        let Some(v) = self.present(field) else {
            self.missing(field, required);
            return None;
        };
        let n = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if n.is_finite() => Some(n),
            _ => {
                self.errors.add(field, format!("must be a number, not {}", show(v)));
                None
            }
        }
    }

    /// A number within [min, max].
    pub fn number_in(&mut self, field: &str, required: bool, (min, max): (f64, f64)) -> Option<f64> {
        let n = self.number(field, required)?;
        if n < min || n > max {
            self.errors.add(field, format!("must be between {min} and {max} (inside India), not {n}"));
            return None;
        }
        Some(n)
    }

    /// A number that is zero or more.
    pub fn non_negative(&mut self, field: &str) -> Option<f64> {
        let n = self.number(field, false)?;
        if n < 0.0 {
            self.errors.add(field, format!("must not be negative, not {n}"));
            return None;
        }
        Some(n)
    }

    /// A whole number that is zero or more.
    pub fn count(&mut self, field: &str) -> Option<u64> {
        let n = self.non_negative(field)?;
        if n.fract() != 0.0 || n > 9.0e15 {
            self.errors.add(field, format!("must be a whole number, not {n}"));
            return None;
        }
        Some(n as u64)
    }

    /// true/false, also from text ("true", "yes", "1", "false", "no", "0").
    pub fn flag(&mut self, field: &str) -> Option<bool> {
        let v = self.present(field)?;
        let b = match v {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_f64() {
                Some(1.0) => Some(true),
                Some(0.0) => Some(false),
                _ => None,
            },
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => Some(true),
                "false" | "no" | "n" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        };
        if b.is_none() {
            self.errors.add(field, format!("must be true or false, not {}", show(v)));
        }
        b
    }

    /// A list of names, from a JSON array or text separated by `;` or `|`.
    pub fn names(&mut self, field: &str) -> Vec<String> {
        let Some(v) = self.present(field) else { return Vec::new() };
        let items: Vec<Value> = match v {
            Value::Array(items) => items.clone(),
            Value::String(s) => s.split([';', '|']).map(|p| Value::String(p.to_string())).collect(),
            _ => {
                self.errors.add(field, "must be a list of names");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s) if s.trim().is_empty() => {}
                Value::String(s) => match check_name(s) {
                    Ok(n) if !out.contains(&n) => out.push(n),
                    Ok(_) => {}
                    Err(m) => self.errors.add(&format!("{field}[{i}]"), m),
                },
                _ => self.errors.add(&format!("{field}[{i}]"), "must be text"),
            }
        }
        out
    }

    /// A JSON object (or text holding one) of plain values: text, numbers,
    /// true/false or null. Each event schema can then describe it exactly.
    pub fn object(&mut self, field: &str) -> Option<Map<String, Value>> {
        let v = self.present(field)?;
        let parsed = match v {
            Value::Object(m) => Some(m.clone()),
            Value::String(s) => serde_json::from_str::<Map<String, Value>>(s).ok(),
            _ => None,
        };
        let Some(map) = parsed else {
            self.errors.add(field, "must be a JSON object");
            return None;
        };
        let before = self.errors.errors.len();
        for problem in metadata_problems(&map) {
            self.errors.add(&format!("{field}{}", problem.0), problem.1);
        }
        (self.errors.errors.len() == before).then_some(map)
    }

    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, ValidationErrors> {
        if self.errors.is_empty() {
            Ok(value())
        } else {
            Err(self.errors)
        }
    }
}

/// What is wrong with a metadata object, as (`.key` or "" for the whole, why):
/// the rule every door applies, and the materializer again on every event it
/// reads, since a key MongoDB cannot store (empty, `$…`, with a dot or a
/// control character such as NUL) would otherwise stop consumption.
pub fn metadata_problems(map: &Map<String, Value>) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    if map.len() > METADATA_MAX_KEYS {
        problems.push((String::new(), format!("must have at most {METADATA_MAX_KEYS} keys, not {}", map.len())));
    }
    for (key, value) in map {
        // A key that cannot be stored is named escaped: it may hold what a page cannot show.
        let shown = format!("{key:?}");
        let chars = key.chars().count();
        let bad_key = if key.is_empty() {
            Some(format!("key {shown} must not be empty"))
        } else if chars > METADATA_KEY_MAX_CHARS {
            Some(format!("key {shown} must be at most {METADATA_KEY_MAX_CHARS} characters, not {chars}"))
        } else if key.starts_with('$') {
            Some(format!("key {shown} must not start with $"))
        } else if key.contains('.') {
            Some(format!("key {shown} must not contain a dot"))
        } else if key.chars().any(char::is_control) {
            Some(format!("key {shown} must not contain control characters"))
        } else {
            None
        };
        if let Some(why) = bad_key {
            problems.push((String::new(), why));
            continue;
        }
        match value {
            Value::Array(_) | Value::Object(_) => {
                problems.push((format!(".{key}"), "must be text, a number, true/false or null".into()))
            }
            Value::String(s) if s.chars().count() > METADATA_TEXT_MAX_CHARS => problems.push((
                format!(".{key}"),
                format!("must be at most {METADATA_TEXT_MAX_CHARS} characters, not {}", s.chars().count()),
            )),
            _ => {}
        }
    }
    problems
}

/// Trims a name and checks it: 1–100 characters, no control characters.
pub fn check_name(raw: &str) -> Result<String, String> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars = name.chars().count();
    if chars == 0 {
        return Err("is required".into());
    }
    if chars > NAME_MAX_CHARS {
        return Err(format!("must be at most {NAME_MAX_CHARS} characters, not {chars}"));
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(name)
}

fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod metadata_tests {
    use serde_json::json;

    use super::*;

    fn problems(value: serde_json::Value) -> Vec<(String, String)> {
        metadata_problems(value.as_object().unwrap())
    }

    #[test]
    fn keys_mongodb_cannot_store_are_refused_by_name() {
        assert_eq!(problems(json!({"source": "census", "rank": 3, "ok": true, "none": null})), []);
        let cases = [
            (json!({"": 1}), r#"key "" must not be empty"#),
            (json!({"$set": 1}), r#"key "$set" must not start with $"#),
            (json!({"a.b": 1}), r#"key "a.b" must not contain a dot"#),
            (json!({"a\u{0}b": 1}), r#"key "a\0b" must not contain control characters"#),
            (json!({"k".repeat(65): 1}), "must be at most 64 characters, not 65"),
        ];
        for (metadata, why) in cases {
            let found = problems(metadata.clone());
            assert!(found.len() == 1 && found[0].1.contains(why), "{metadata}: {found:?}");
        }
        let text = problems(json!({"note": "x".repeat(1001)}));
        assert_eq!(text, [(".note".to_string(), "must be at most 1000 characters, not 1001".to_string())]);
        let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(metadata_problems(&many)[0].1, "must have at most 50 keys, not 51");
    }
}
