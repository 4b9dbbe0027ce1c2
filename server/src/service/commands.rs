//! The write side: every change is validated by the shared domain, checked
//! against the read model, and published as an event. Nothing here writes the
//! read model; the materializer does.

use std::collections::HashMap;
use std::sync::Arc;

use app::domain::city::{validate_city_update, validate_new_city, CityFields};
use app::domain::event::{Change, CityData, CityRef, PincodeRef};
use app::domain::pincode::validate_pincode;
use app::domain::validation::ValidationErrors;
use app::domain::write::Published;
use serde_json::{Map, Value};

use super::{Actor, Queries};
use crate::error::Error;
use crate::pipeline::Kafka;
use crate::store::Store;

#[derive(Clone)]
pub struct Commands {
    kafka: Arc<Kafka>,
    store: Store,
    queries: Queries,
}

impl Commands {
    pub fn new(kafka: Arc<Kafka>, store: Store) -> Self {
        let queries = Queries::new(store.clone());
        Commands { kafka, store, queries }
    }

    /// Wraps the change in its envelope (a new id, now) and publishes it to its
    /// topic: where it landed, once the broker has it.
    async fn publish(&self, change: Change, actor: &Actor) -> Result<Published, Error> {
        let topic = self.kafka.topic(change.event_type().stream());
        let id = uuid::Uuid::now_v7().to_string();
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let event = change.into_envelope(id, time, actor.source, &actor.name);
        let (partition, offset) = self.kafka.publish(&topic, &event).await?;
        Ok(Published {
            event_id: event.id,
            event_type: event.event_type,
            subject: event.subject,
            topic,
            partition,
            offset,
        })
    }

    pub async fn create_city(&self, actor: &Actor, record: &Map<String, Value>) -> Result<Published, Error> {
        let fields = validate_new_city(record).map_err(Error::invalid)?;
        let id = fields.id();
        if let Some(taken) = self.taken(&id, &fields).await? {
            return Err(Error::conflict(taken));
        }
        self.publish(Change::CityCreated(CityData { id, fields }), actor).await
    }

    /// Why a new city cannot have this id or this name in its state, if it cannot.
    async fn taken(&self, id: &str, fields: &CityFields) -> Result<Option<String>, Error> {
        let existing = self.store.city_by_id_or_name(id, &fields.state, &fields.name).await?;
        Ok(existing.map(|c| {
            let hint = if c.deleted_at.is_some() { " (deleted: restore it instead)" } else { "" };
            format!("{} in {} exists already{hint}", c.fields.name, c.fields.state)
        }))
    }

    /// Validates every city first: one bad row refuses the whole batch, naming
    /// each bad row and field; then publishes them all.
    pub async fn create_cities(&self, actor: &Actor, rows: &[Value]) -> Result<Vec<Published>, Error> {
        let mut errors = ValidationErrors::default();
        let mut valid = Vec::with_capacity(rows.len());
        let mut seen = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            let Some(record) = row.as_object() else {
                errors.add(&format!("[{i}]"), "must be a JSON object");
                continue;
            };
            match validate_new_city(record) {
                Ok(fields) => {
                    let id = fields.id();
                    if let Some(first) = seen.insert(id.clone(), i) {
                        errors.add(&format!("[{i}].city_name"), format!("repeats row {first} ({id})"));
                    } else if let Some(taken) = self.taken(&id, &fields).await? {
                        errors.add(&format!("[{i}].city_name"), taken);
                    }
                    valid.push(CityData { id, fields });
                }
                Err(e) => {
                    for fe in e.errors {
                        errors.add(&format!("[{i}].{}", fe.field), fe.message);
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(Error::invalid(errors));
        }
        let mut published = Vec::with_capacity(valid.len());
        for data in valid {
            published.push(self.publish(Change::CityCreated(data), actor).await?);
        }
        Ok(published)
    }

    pub async fn update_city(
        &self,
        actor: &Actor,
        name: &str,
        state: &str,
        record: &Map<String, Value>,
    ) -> Result<Published, Error> {
        let current = self.queries.find_city(name, state).await?;
        let fields = validate_city_update(record, &current.fields).map_err(Error::invalid)?;
        let renamed = fields.name.to_lowercase() != current.fields.name.to_lowercase();
        if renamed || fields.state != current.fields.state {
            if let Some(other) = self.store.city_by_name(&fields.state, &fields.name).await? {
                return Err(Error::conflict(format!("{} in {} exists already", other.fields.name, other.fields.state)));
            }
        }
        self.publish(Change::CityUpdated(CityData { id: current.id, fields }), actor).await
    }

    pub async fn delete_city(&self, actor: &Actor, name: &str, state: &str) -> Result<Published, Error> {
        self.set_deleted(actor, name, state, true).await
    }

    pub async fn restore_city(&self, actor: &Actor, name: &str, state: &str) -> Result<Published, Error> {
        self.set_deleted(actor, name, state, false).await
    }

    /// A soft delete (or its undoing), refused when the city is that way already.
    async fn set_deleted(&self, actor: &Actor, name: &str, state: &str, deleted: bool) -> Result<Published, Error> {
        let city = self.queries.find_city(name, state).await?;
        if city.deleted_at.is_some() == deleted {
            let already = if deleted { "is deleted already" } else { "is not deleted" };
            return Err(Error::conflict(format!("{} in {} {already}", city.fields.name, city.fields.state)));
        }
        let r = CityRef { id: city.id, name: city.fields.name, state: city.fields.state };
        self.publish(if deleted { Change::CityDeleted(r) } else { Change::CityRestored(r) }, actor).await
    }

    /// Adds or changes a pincode. Its city may still be on its way (a script
    /// creating a city and then its pincodes): the materializer waits for it.
    pub async fn upsert_pincode(&self, actor: &Actor, record: &Map<String, Value>) -> Result<Published, Error> {
        let fields = validate_pincode(record).map_err(Error::invalid)?;
        self.publish(Change::PincodeUpserted(fields), actor).await
    }

    pub async fn delete_pincode(&self, actor: &Actor, code: &str) -> Result<Published, Error> {
        let pincode = self.queries.checked_pincode(code).await?;
        let code = pincode.fields.pincode;
        if pincode.deleted_at.is_some() {
            return Err(Error::conflict(format!("pincode {code} is deleted already")));
        }
        self.publish(Change::PincodeDeleted(PincodeRef { pincode: code }), actor).await
    }
}
