//! Events: every change is one, in a CloudEvents 1.0 envelope (JSON, structured
//! mode). The server mints ids and times; this module only shapes and reads them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::city::CityFields;
use super::pincode::PincodeFields;
use super::validation::metadata_problems;

pub const SPEC_VERSION: &str = "1.0";
pub const CONTENT_TYPE: &str = "application/json";

/// Which topic an event goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    City,
    Pincode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "city.created.v1")]
    CityCreated,
    #[serde(rename = "city.updated.v1")]
    CityUpdated,
    #[serde(rename = "city.deleted.v1")]
    CityDeleted,
    #[serde(rename = "city.restored.v1")]
    CityRestored,
    #[serde(rename = "pincode.upserted.v1")]
    PincodeUpserted,
    #[serde(rename = "pincode.deleted.v1")]
    PincodeDeleted,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::CityCreated,
        EventType::CityUpdated,
        EventType::CityDeleted,
        EventType::CityRestored,
        EventType::PincodeUpserted,
        EventType::PincodeDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::CityCreated => "city.created.v1",
            EventType::CityUpdated => "city.updated.v1",
            EventType::CityDeleted => "city.deleted.v1",
            EventType::CityRestored => "city.restored.v1",
            EventType::PincodeUpserted => "pincode.upserted.v1",
            EventType::PincodeDeleted => "pincode.deleted.v1",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn stream(self) -> Stream {
        match self {
            EventType::CityCreated | EventType::CityUpdated | EventType::CityDeleted | EventType::CityRestored => {
                Stream::City
            }
            EventType::PincodeUpserted | EventType::PincodeDeleted => Stream::Pincode,
        }
    }

    /// Where the Avro schema of this type's `data` is, relative to the site.
    pub fn dataschema(self) -> String {
        format!("/schemas/{}.avsc", self.as_str())
    }
}

/// A city event's data: the city's id and all its fields after the change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CityData {
    pub id: String,
    #[serde(flatten)]
    pub fields: CityFields,
}

/// The data of a delete or restore: which city, and its name for people.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CityRef {
    pub id: String,
    pub name: String,
    pub state: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PincodeRef {
    pub pincode: String,
}

/// A change, typed.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    CityCreated(CityData),
    CityUpdated(CityData),
    CityDeleted(CityRef),
    CityRestored(CityRef),
    PincodeUpserted(PincodeFields),
    PincodeDeleted(PincodeRef),
}

impl Change {
    pub fn event_type(&self) -> EventType {
        match self {
            Change::CityCreated(_) => EventType::CityCreated,
            Change::CityUpdated(_) => EventType::CityUpdated,
            Change::CityDeleted(_) => EventType::CityDeleted,
            Change::CityRestored(_) => EventType::CityRestored,
            Change::PincodeUpserted(_) => EventType::PincodeUpserted,
            Change::PincodeDeleted(_) => EventType::PincodeDeleted,
        }
    }

    /// The entity's key: the city id or the pincode. It is the Kafka message key,
    /// so all of one entity's events land on one partition, in order.
    pub fn subject(&self) -> &str {
        match self {
            Change::CityCreated(d) | Change::CityUpdated(d) => &d.id,
            Change::CityDeleted(r) | Change::CityRestored(r) => &r.id,
            Change::PincodeUpserted(p) => &p.pincode,
            Change::PincodeDeleted(p) => &p.pincode,
        }
    }

    /// Where the entity is after the change, when the change says.
    pub fn coordinates(&self) -> Option<(f64, f64)> {
        match self {
            Change::CityCreated(d) | Change::CityUpdated(d) => Some((d.fields.latitude, d.fields.longitude)),
            Change::PincodeUpserted(p) => Some((p.latitude, p.longitude)),
            _ => None,
        }
    }

    /// The city this change concerns, when there is one.
    pub fn city_id(&self) -> Option<&str> {
        match self {
            Change::CityCreated(d) | Change::CityUpdated(d) => Some(&d.id),
            Change::CityDeleted(r) | Change::CityRestored(r) => Some(&r.id),
            Change::PincodeUpserted(p) => Some(&p.city_id),
            Change::PincodeDeleted(_) => None,
        }
    }

    /// One line for a person reading the history.
    pub fn summary(&self) -> String {
        match self {
            Change::CityCreated(d) => {
                format!("Created {} at {:.4}, {:.4}", d.fields.name, d.fields.latitude, d.fields.longitude)
            }
            Change::CityUpdated(d) => {
                format!("Updated {}: now at {:.4}, {:.4}", d.fields.name, d.fields.latitude, d.fields.longitude)
            }
            Change::CityDeleted(r) => format!("Deleted {}", r.name),
            Change::CityRestored(r) => format!("Restored {}", r.name),
            Change::PincodeUpserted(p) => match &p.area_name {
                Some(a) => format!("Pincode {} ({a}) set to {}", p.pincode, p.city_name),
                None => format!("Pincode {} set to {}", p.pincode, p.city_name),
            },
            Change::PincodeDeleted(p) => format!("Pincode {} deleted", p.pincode),
        }
    }

    fn data(&self) -> Value {
        let v = match self {
            Change::CityCreated(d) | Change::CityUpdated(d) => serde_json::to_value(d),
            Change::CityDeleted(r) | Change::CityRestored(r) => serde_json::to_value(r),
            Change::PincodeUpserted(p) => serde_json::to_value(p),
            Change::PincodeDeleted(p) => serde_json::to_value(p),
        };
        v.expect("event data serializes")
    }

    /// Wraps the change in its envelope.
    pub fn into_envelope(self, id: String, time: String, source: &str, actor: &str) -> Envelope {
        let event_type = self.event_type();
        Envelope {
            specversion: SPEC_VERSION.into(),
            id,
            source: source.into(),
            event_type: event_type.as_str().into(),
            subject: self.subject().to_string(),
            time,
            datacontenttype: CONTENT_TYPE.into(),
            dataschema: event_type.dataschema(),
            actor: actor.into(),
            data: self.data(),
            importjob: None,
            reverts: None,
        }
    }
}

/// The CloudEvents 1.0 envelope, with GeoLedger's `actor` extension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub specversion: String,
    pub id: String,
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub subject: String,
    pub time: String,
    pub datacontenttype: String,
    pub dataschema: String,
    /// Who made the change (an admin's email or an API token's name).
    pub actor: String,
    pub data: Value,
    /// The import job the change came from, if any (a CloudEvents extension
    /// attribute: lower-case letters only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importjob: Option<String>,
    /// The event this one reverts, if it is a revert (an extension attribute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverts: Option<String>,
}

impl Envelope {
    /// Reads an envelope from a Kafka message value.
    pub fn decode(bytes: &[u8]) -> Result<Envelope, String> {
        let env: Envelope =
            serde_json::from_slice(bytes).map_err(|e| format!("not a GeoLedger event envelope: {e}"))?;
        if env.specversion != SPEC_VERSION {
            return Err(format!("unsupported CloudEvents specversion '{}'", env.specversion));
        }
        Ok(env)
    }

    /// Reads a Kafka message value into its envelope and typed change, or says
    /// why it cannot be read: what the materializer and replay do with every message.
    pub fn read(bytes: &[u8]) -> Result<(Envelope, Change), String> {
        let envelope = Envelope::decode(bytes)?;
        let change = envelope.change()?;
        Ok((envelope, change))
    }

    /// The typed change, or why it cannot be read.
    pub fn change(&self) -> Result<Change, String> {
        let t =
            EventType::parse(&self.event_type).ok_or_else(|| format!("unknown event type '{}'", self.event_type))?;
        let data = self.data.clone();
        let bad = |e: serde_json::Error| format!("{} data does not match its schema: {e}", self.event_type);
        let change = match t {
            EventType::CityCreated => Change::CityCreated(serde_json::from_value(data).map_err(bad)?),
            EventType::CityUpdated => Change::CityUpdated(serde_json::from_value(data).map_err(bad)?),
            EventType::CityDeleted => Change::CityDeleted(serde_json::from_value(data).map_err(bad)?),
            EventType::CityRestored => Change::CityRestored(serde_json::from_value(data).map_err(bad)?),
            EventType::PincodeUpserted => Change::PincodeUpserted(serde_json::from_value(data).map_err(bad)?),
            EventType::PincodeDeleted => Change::PincodeDeleted(serde_json::from_value(data).map_err(bad)?),
        };
        if change.subject() != self.subject {
            return Err(format!("subject '{}' does not match the data's key '{}'", self.subject, change.subject()));
        }
        // What the doors refuse, an event written straight to the topic may still carry.
        if let Change::CityCreated(d) | Change::CityUpdated(d) = &change {
            if let Some((key, why)) = metadata_problems(&d.fields.metadata).into_iter().next() {
                return Err(format!("{} data breaks a rule: metadata{key} {why}", self.event_type));
            }
        }
        Ok(change)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::city::validate_new_city;

    #[test]
    fn an_event_with_a_metadata_key_mongodb_cannot_store_is_refused_on_reading() {
        let raw = json!({"specversion": "1.0", "id": "e1", "source": "/x", "type": "city.created.v1",
            "subject": "goa/panaji", "time": "2026-11-29T10:00:00Z", "datacontenttype": "application/json",
            "dataschema": "/schemas/city.created.v1.avsc", "actor": "someone",
            "data": {"id": "goa/panaji", "name": "Panaji", "state": "Goa", "latitude": 15.49, "longitude": 73.82,
                     "is_metro": false, "is_capital": false, "alternate_names": [],
                     "metadata": {"a\u{0}b": "x"}}});
        let why = Envelope::read(raw.to_string().as_bytes()).unwrap_err();
        assert_eq!(
            why,
            r#"city.created.v1 data breaks a rule: metadata key "a\0b" must not contain control characters"#
        );
    }

    #[test]
    fn an_envelope_round_trips() {
        let fields = validate_new_city(
            json!({"city_name": "Noida", "state": "UP", "latitude": 28.5, "longitude": 77.4}).as_object().unwrap(),
        )
        .unwrap();
        let change = Change::CityCreated(CityData { id: fields.new_id(), fields });
        let env = change.clone().into_envelope(
            "0190-id".into(),
            "2026-11-28T08:00:00Z".into(),
            "/geoledger/api",
            "ops@example.in",
        );
        assert_eq!(env.event_type, "city.created.v1");
        assert_eq!(env.subject, "uttar-pradesh/noida");
        assert_eq!(env.dataschema, "/schemas/city.created.v1.avsc");
        let bytes = serde_json::to_vec(&env).unwrap();
        let back = Envelope::decode(&bytes).unwrap();
        assert_eq!(back, env);
        assert_eq!(back.change().unwrap(), change);
        let wire: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(wire["type"], "city.created.v1");
        assert_eq!(wire["data"]["city_name"], Value::Null, "data uses the stored field names");
        assert_eq!(wire["data"]["name"], "Noida");
    }

    #[test]
    fn undecodable_events_say_why() {
        assert!(Envelope::decode(b"not json").unwrap_err().contains("not a GeoLedger event envelope"));
        let mut env: Value = json!({"specversion": "1.0", "id": "x", "source": "s", "type": "city.exploded.v1",
            "subject": "a/b", "time": "t", "datacontenttype": "application/json", "dataschema": "d", "actor": "a",
            "data": {}});
        let e: Envelope = serde_json::from_value(env.clone()).unwrap();
        assert!(e.change().unwrap_err().contains("unknown event type"));
        env["type"] = json!("city.deleted.v1");
        let e: Envelope = serde_json::from_value(env).unwrap();
        assert!(e.change().unwrap_err().contains("does not match its schema"));
    }
}
