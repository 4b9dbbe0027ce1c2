//! The events' Avro schemas (`schemas/*.avsc`), read for people: each event
//! type with its version and its fields, as the `/schemas` page lists them.
//!
//! Invariant: a summary is made from the schema file itself, never kept
//! beside it, so what the page says is what the file says; a file that is not
//! an Avro record schema named `TYPE.vN.avsc` is refused with why.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One event type's schema, for people.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventSchema {
    /// The CloudEvents type, `city.created.v1`.
    pub event_type: String,
    pub version: u32,
    /// The file, as served: `/schemas/city.created.v1.avsc`.
    pub url: String,
    /// The record's full name, `in.geoledger.events.v1.CityCreated`.
    pub name: String,
    pub doc: String,
    pub fields: Vec<SchemaField>,
}

/// One field of an event's `data`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchemaField {
    pub name: String,
    /// Its type, in words: `string`, `null | long`, `array of string`.
    pub kind: String,
    /// Its default, as JSON, when it has one (a reader of older events uses it).
    pub default: Option<String>,
    pub doc: String,
}

impl SchemaField {
    /// Every event carries it: no default to fall back on.
    pub fn required(&self) -> bool {
        self.default.is_none()
    }
}

/// The summary of the schema file `file` (`city.created.v1.avsc`) holding `text`.
pub fn summarize(file: &str, text: &str) -> Result<EventSchema, String> {
    let event_type = file.strip_suffix(".avsc").ok_or_else(|| format!("{file}: not an .avsc file"))?;
    let version = event_type
        .rsplit_once(".v")
        .and_then(|(_, v)| v.parse::<u32>().ok())
        .ok_or_else(|| format!("{file}: the name does not end in .vN.avsc"))?;
    let schema: Value = serde_json::from_str(text).map_err(|e| format!("{file}: not JSON: {e}"))?;
    if schema["type"] != "record" {
        return Err(format!("{file}: not an Avro record schema"));
    }
    let text_of = |v: &Value, key: &str| v[key].as_str().unwrap_or_default().to_string();
    let name = match schema["namespace"].as_str() {
        Some(ns) => format!("{ns}.{}", text_of(&schema, "name")),
        None => text_of(&schema, "name"),
    };
    let fields = schema["fields"]
        .as_array()
        .ok_or_else(|| format!("{file}: the record has no fields"))?
        .iter()
        .map(|f| SchemaField {
            name: text_of(f, "name"),
            kind: kind(&f["type"]),
            default: f.get("default").map(Value::to_string),
            doc: text_of(f, "doc"),
        })
        .collect();
    Ok(EventSchema {
        event_type: event_type.to_string(),
        version,
        url: format!("/schemas/{file}"),
        name,
        doc: text_of(&schema, "doc"),
        fields,
    })
}

/// An Avro type in words.
fn kind(t: &Value) -> String {
    match t {
        Value::String(name) => name.clone(),
        Value::Array(union) => union.iter().map(kind).collect::<Vec<_>>().join(" | "),
        Value::Object(o) => match o.get("type").and_then(Value::as_str) {
            Some("array") => format!("array of {}", kind(&o["items"])),
            Some("map") => format!("map of {}", kind(&o["values"])),
            Some("enum") => {
                let symbols: Vec<&str> =
                    o["symbols"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                format!("enum ({})", symbols.join(", "))
            }
            Some("record") => {
                let fields: Vec<&str> =
                    o["fields"].as_array().into_iter().flatten().filter_map(|f| f["name"].as_str()).collect();
                format!("record {} {{{}}}", o["name"].as_str().unwrap_or_default(), fields.join(", "))
            }
            Some(other) => other.to_string(),
            None => "?".into(),
        },
        _ => "?".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CITY: &str = r#"{"type": "record", "name": "CityCreated", "namespace": "in.geoledger.events.v1",
        "doc": "A city was added.",
        "fields": [
            {"name": "id", "type": "string", "doc": "state slug / city slug"},
            {"name": "district", "type": ["null", "string"], "default": null},
            {"name": "alternate_names", "type": {"type": "array", "items": "string"}, "default": []},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["HO", "SO"]}},
            {"name": "office", "type": {"type": "record", "name": "Office",
                "fields": [{"name": "name", "type": "string"}]}}
        ]}"#;

    #[test]
    fn a_schema_is_read_with_its_version_and_fields() {
        let s = summarize("city.created.v1.avsc", CITY).unwrap();
        assert_eq!((s.event_type.as_str(), s.version), ("city.created.v1", 1));
        assert_eq!(s.url, "/schemas/city.created.v1.avsc");
        assert_eq!(s.name, "in.geoledger.events.v1.CityCreated");
        assert_eq!(s.doc, "A city was added.");
        let kinds: Vec<(&str, &str, bool)> =
            s.fields.iter().map(|f| (f.name.as_str(), f.kind.as_str(), f.required())).collect();
        assert_eq!(
            kinds,
            [
                ("id", "string", true),
                ("district", "null | string", false),
                ("alternate_names", "array of string", false),
                ("kind", "enum (HO, SO)", true),
                ("office", "record Office {name}", true),
            ]
        );
        assert_eq!(s.fields[1].default.as_deref(), Some("null"));
        assert_eq!(s.fields[0].doc, "state slug / city slug");
    }

    #[test]
    fn what_is_no_event_schema_is_refused_with_why() {
        assert!(summarize("city.created.v1.json", CITY).unwrap_err().contains("not an .avsc"));
        assert!(summarize("city.created.avsc", CITY).unwrap_err().contains(".vN.avsc"));
        assert!(summarize("x.v1.avsc", "{").unwrap_err().contains("not JSON"));
        assert!(summarize("x.v1.avsc", r#"{"type": "string"}"#).unwrap_err().contains("record"));
    }
}
