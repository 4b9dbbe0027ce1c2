//! The write side: every change is validated by the shared domain, checked
//! against the read model, and published as an event. Nothing here writes the
//! read model; the materializer does. REST handlers and server functions call
//! these and only map the errors.

use crate::backend::Backend;
use app::domain::city::{validate_city_update, validate_new_city, City, CityFields};
use app::domain::event::{Change, CityData, CityRef, PincodeRef, Stream};
use app::domain::pincode::{check_pincode, validate_pincode};
use app::domain::state::State;
use app::domain::validation::ValidationErrors;
use serde_json::{Map, Value};

/// Who makes a change, and through what.
#[derive(Clone, Debug)]
pub struct Actor {
    /// An admin's email, or an API token's name.
    pub name: String,
    /// The CloudEvents `source`: `/geoledger/api` or `/geoledger/ui`.
    pub source: &'static str,
}

impl Actor {
    /// A signed-in admin, in the browser.
    pub fn admin(email: String) -> Self {
        Actor { name: email, source: "/geoledger/ui" }
    }

    /// A script, by its API token's name.
    pub fn token(name: &str) -> Self {
        Actor { name: format!("token:{name}"), source: "/geoledger/api" }
    }
}

pub use app::domain::write::Published;
use app::domain::write::Refusal;

/// Why a write (or a lookup behind it) did not happen: a refusal the caller
/// should see as such, or the read model could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("the read model could not be read: {0}")]
    Store(#[from] mongodb::error::Error),
}

impl ServiceError {
    pub fn invalid(errors: ValidationErrors) -> Self {
        Refusal::Invalid(errors).into()
    }
    pub fn not_found(message: String) -> Self {
        Refusal::NotFound(message).into()
    }
    pub fn conflict(message: String) -> Self {
        Refusal::Conflict(message).into()
    }
    pub fn unavailable(message: String) -> Self {
        Refusal::Unavailable(message).into()
    }
}

/// The one place a database failure becomes what callers are told.
impl From<ServiceError> for Refusal {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Refused(r) => r,
            ServiceError::Store(e) => {
                tracing::error!("read model: {e}");
                Refusal::Unavailable("the database is unavailable; nothing was saved".into())
            }
        }
    }
}

impl Backend {
    async fn publish(&self, change: Change, actor: &Actor) -> Result<Published, ServiceError> {
        let config = &self.kafka.config;
        let topic = match change.event_type().stream() {
            Stream::City => config.city_topic(),
            Stream::Pincode => config.pincode_topic(),
        };
        let id = uuid::Uuid::now_v7().to_string();
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let event = change.into_envelope(id, time, actor.source, &actor.name);
        let (partition, offset) = self.kafka.publish(&topic, &event).await.map_err(ServiceError::unavailable)?;
        Ok(Published { event_id: event.id, event_type: event.event_type, subject: event.subject, topic, partition, offset })
    }

    /// Finds a city by the names in a URL: its name (any case) and its state
    /// (official name, code or alias).
    pub async fn find_city(&self, name: &str, state: &str) -> Result<City, ServiceError> {
        let Some(s) = State::find(state) else {
            return Err(ServiceError::not_found(State::parse(state).unwrap_err()));
        };
        self.store
            .city_by_name(s.name, name.trim())
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("no city named '{}' in {}", name.trim(), s.name)))
    }

    pub async fn create_city(&self, actor: &Actor, record: &Map<String, Value>) -> Result<Published, ServiceError> {
        let fields = validate_new_city(record).map_err(ServiceError::invalid)?;
        let id = fields.id();
        if let Some(taken) = self.taken(&id, &fields).await? {
            return Err(ServiceError::conflict(taken));
        }
        self.publish(Change::CityCreated(CityData { id, fields }), actor).await
    }

    /// Why a new city cannot have this id or this name in its state, if it cannot.
    async fn taken(&self, id: &str, fields: &CityFields) -> Result<Option<String>, ServiceError> {
        let existing = match self.store.city_by_id(id).await? {
            Some(c) => Some(c),
            None => self.store.city_by_name(&fields.state, &fields.name).await?,
        };
        Ok(existing.map(|c| {
            let hint = if c.deleted_at.is_some() { " (deleted: restore it instead)" } else { "" };
            format!("{} in {} exists already{hint}", c.fields.name, c.fields.state)
        }))
    }

    /// Validates every city first: one bad row refuses the whole batch, naming
    /// each bad row and field; then publishes them all.
    pub async fn create_cities(&self, actor: &Actor, rows: &[Value]) -> Result<Vec<Published>, ServiceError> {
        let mut errors = ValidationErrors::default();
        let mut valid = Vec::with_capacity(rows.len());
        let mut seen = std::collections::HashMap::new();
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
            return Err(ServiceError::invalid(errors));
        }
        let mut published = Vec::with_capacity(valid.len());
        for data in valid {
            published.push(self.publish(Change::CityCreated(data), actor).await?);
        }
        Ok(published)
    }

    pub async fn update_city(&self, actor: &Actor, name: &str, state: &str, record: &Map<String, Value>) -> Result<Published, ServiceError> {
        let current = self.find_city(name, state).await?;
        let fields = validate_city_update(record, &current.fields).map_err(ServiceError::invalid)?;
        if fields.name.to_lowercase() != current.fields.name.to_lowercase() || fields.state != current.fields.state {
            if let Some(other) = self.store.city_by_name(&fields.state, &fields.name).await? {
                return Err(ServiceError::conflict(format!("{} in {} exists already", other.fields.name, other.fields.state)));
            }
        }
        self.publish(Change::CityUpdated(CityData { id: current.id, fields }), actor).await
    }

    pub async fn delete_city(&self, actor: &Actor, name: &str, state: &str) -> Result<Published, ServiceError> {
        self.set_deleted(actor, name, state, true).await
    }

    pub async fn restore_city(&self, actor: &Actor, name: &str, state: &str) -> Result<Published, ServiceError> {
        self.set_deleted(actor, name, state, false).await
    }

    /// A soft delete (or its undoing), refused when the city is that way already.
    async fn set_deleted(&self, actor: &Actor, name: &str, state: &str, deleted: bool) -> Result<Published, ServiceError> {
        let city = self.find_city(name, state).await?;
        if city.deleted_at.is_some() == deleted {
            let already = if deleted { "is deleted already" } else { "is not deleted" };
            return Err(ServiceError::conflict(format!("{} in {} {already}", city.fields.name, city.fields.state)));
        }
        let r = CityRef { id: city.id, name: city.fields.name, state: city.fields.state };
        self.publish(if deleted { Change::CityDeleted(r) } else { Change::CityRestored(r) }, actor).await
    }

    /// Adds or changes a pincode. Its city may still be on its way (a script
    /// creating a city and then its pincodes): the materializer waits for it.
    pub async fn upsert_pincode(&self, actor: &Actor, record: &Map<String, Value>) -> Result<Published, ServiceError> {
        let fields = validate_pincode(record).map_err(ServiceError::invalid)?;
        self.publish(Change::PincodeUpserted(fields), actor).await
    }

    pub async fn delete_pincode(&self, actor: &Actor, code: &str) -> Result<Published, ServiceError> {
        let code = check_pincode(code).map_err(|m| ServiceError::invalid(ValidationErrors::single("pincode", m)))?;
        match self.store.pincode(&code).await? {
            None => Err(ServiceError::not_found(format!("no pincode {code}"))),
            Some(p) if p.deleted_at.is_some() => Err(ServiceError::conflict(format!("pincode {code} is deleted already"))),
            Some(_) => self.publish(Change::PincodeDeleted(PincodeRef { pincode: code }), actor).await,
        }
    }
}
