//! The write side: every change is validated by the shared domain, checked
//! against the read model, and published as an event. Nothing here writes the
//! read model; the materializer does.

use std::collections::HashMap;
use std::sync::Arc;

use app::domain::city::{field as city_field, validate_city_update, validate_new_city, City, CityFields};
use app::domain::event::{Change, CityData, CityRef, PincodeRef};
use app::domain::names::{name_key, Found};
use app::domain::pincode::{field as pincode_field, validate_pincode, PincodeFields};
use app::domain::revert::{self, Current};
use app::domain::validation::ValidationErrors;
use app::domain::write::Published;
use serde_json::{Map, Value};

use super::batch::{self, CityRule, Plan};
use super::{names, Actor, Queries};
use crate::error::Error;
use crate::pipeline::{Kafka, KafkaError};
use crate::store::Store;

/// How many changes a bulk write publishes at once.
const BULK_BATCH: usize = 1000;

/// What a bulk write did: the events published, the rows left as they were,
/// and, when Kafka failed partway, the rows (by index) not published and why.
#[derive(Debug, Default)]
pub struct BulkOutcome {
    pub published: Vec<Published>,
    pub unchanged: u64,
    pub unpublished: Vec<usize>,
    pub failure: Option<KafkaError>,
}

/// Checks every row of a JSON array with `validate`: the valid rows, each
/// with its index, and every problem at `[index].field`; a row whose `key`
/// an earlier row has is refused at `key_field`.
fn check_rows<T>(
    rows: &[Value],
    validate: impl Fn(&Map<String, Value>) -> Result<T, ValidationErrors>,
    key: impl Fn(&T) -> String,
    key_field: &str,
) -> (Vec<(T, Vec<u64>)>, ValidationErrors) {
    let mut errors = ValidationErrors::default();
    let mut valid = Vec::with_capacity(rows.len());
    let mut seen = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let Some(record) = row.as_object() else {
            errors.add(&format!("[{i}]"), "must be a JSON object");
            continue;
        };
        match validate(record) {
            Ok(fields) => match seen.insert(key(&fields), i) {
                Some(first) => {
                    errors.add(&format!("[{i}].{key_field}"), format!("repeats row {first} ({})", key(&fields)))
                }
                None => valid.push((fields, vec![i as u64])),
            },
            Err(e) => {
                for fe in e.errors {
                    errors.add(&format!("[{i}].{}", fe.field), fe.message);
                }
            }
        }
    }
    (valid, errors)
}

/// The row of a field named `[12].latitude`, to order errors by row.
fn row_of(field: &str) -> usize {
    field.trim_start_matches('[').split(']').next().and_then(|n| n.parse().ok()).unwrap_or(usize::MAX)
}

#[derive(Clone)]
pub struct Commands {
    kafka: Arc<Kafka>,
    store: Store,
    queries: Queries,
}

impl Commands {
    pub fn new(kafka: Arc<Kafka>, store: Store, queries: Queries) -> Self {
        Commands { kafka, store, queries }
    }

    /// Wraps the change in its envelope (a new id, now) and publishes it to its
    /// topic: where it landed, once the broker has it.
    async fn publish(&self, change: Change, actor: &Actor) -> Result<Published, Error> {
        self.publish_reverting(change, actor, None).await
    }

    /// `publish`, the event marked as the revert of `reverts`.
    async fn publish_reverting(
        &self,
        change: Change,
        actor: &Actor,
        reverts: Option<&str>,
    ) -> Result<Published, Error> {
        let (topic, mut event) = batch::event(&self.kafka, change, actor, None);
        event.reverts = reverts.map(str::to_string);
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

    /// Publishes planned changes a batch at a time; once Kafka fails, the rest
    /// is not tried, and the outcome says which rows were not published.
    async fn publish_all(&self, actor: &Actor, plan: Plan) -> BulkOutcome {
        let mut outcome = BulkOutcome { unchanged: plan.unchanged, ..BulkOutcome::default() };
        for chunk in plan.changes.chunks(BULK_BATCH) {
            if outcome.failure.is_some() {
                outcome.unpublished.extend(chunk.iter().flat_map(|p| p.lines.iter().map(|l| *l as usize)));
                continue;
            }
            for (planned, result) in chunk.iter().zip(batch::publish(&self.kafka, chunk, actor, None).await) {
                match result {
                    Ok(published) => outcome.published.push(published),
                    Err(e) => {
                        outcome.unpublished.extend(planned.lines.iter().map(|l| *l as usize));
                        outcome.failure.get_or_insert(e);
                    }
                }
            }
        }
        outcome
    }

    /// Creates a city, unless its name finds one already (`names::choose`:
    /// its current name or an alternate name of its state), or one of its
    /// alternate names is another city's name.
    pub async fn create_city(&self, actor: &Actor, record: &Map<String, Value>) -> Result<Published, Error> {
        let fields = validate_new_city(record).map_err(Error::invalid)?;
        let mut plan = batch::plan_cities(&self.store, vec![(fields, vec![0])], CityRule::CreateOnly).await?;
        if let Some((_, refusal)) = plan.refused.pop() {
            return Err(refusal.into_error());
        }
        let planned = plan.changes.pop().expect("a new city is planned or refused");
        self.publish(planned.change, actor).await
    }

    /// Creates many cities (a JSON array). Every row is checked first, and the
    /// batch against the read model in one query: one bad row (or a city there
    /// already) refuses the whole batch, naming each bad row and field. Then
    /// they are published a batch at a time.
    pub async fn create_cities(&self, actor: &Actor, rows: &[Value]) -> Result<BulkOutcome, Error> {
        let key = |f: &CityFields| name_key(&f.state, &f.name);
        let (valid, mut errors) = check_rows(rows, validate_new_city, key, "city_name");
        let plan = batch::plan_cities(&self.store, valid, CityRule::CreateOnly).await?;
        for (lines, refusal) in &plan.refused {
            errors.add(&format!("[{}].{}", lines[0], refusal.field()), refusal.message());
        }
        if !errors.is_empty() {
            errors.errors.sort_by_key(|e| row_of(&e.field));
            return Err(Error::invalid(errors));
        }
        Ok(self.publish_all(actor, plan).await)
    }

    /// Adds or changes many pincodes (a JSON array), checked as
    /// `create_cities` checks cities, each given the city its name finds; a
    /// pincode the read model holds as it is is not published again.
    pub async fn upsert_pincodes(&self, actor: &Actor, rows: &[Value]) -> Result<BulkOutcome, Error> {
        let key = |p: &PincodeFields| p.pincode.clone();
        let (valid, mut errors) = check_rows(rows, validate_pincode, key, "pincode");
        if !errors.is_empty() {
            return Err(Error::invalid(errors));
        }
        let plan = batch::plan_pincodes(&self.store, valid, true, &HashMap::new()).await?;
        for (lines, refusal) in &plan.refused {
            errors.add(&format!("[{}].{}", lines[0], refusal.field()), refusal.message());
        }
        if !errors.is_empty() {
            return Err(Error::invalid(errors));
        }
        Ok(self.publish_all(actor, plan).await)
    }

    /// Changes the city `name` finds in `state`. Its id, pincodes and history
    /// stay; a new name keeps the old one as an alternate name (unless the
    /// change sets them). Refused when another city bears the new name, or
    /// one of its alternate names as its own.
    pub async fn update_city(
        &self,
        actor: &Actor,
        name: &str,
        state: &str,
        record: &Map<String, Value>,
    ) -> Result<Published, Error> {
        let current = self.queries.find_city(name, state).await?;
        self.update_found_city(actor, current, record, None).await
    }

    /// `update_city` of a city found.
    async fn update_found_city(
        &self,
        actor: &Actor,
        current: City,
        record: &Map<String, Value>,
        reverts: Option<&str>,
    ) -> Result<Published, Error> {
        let fields = validate_city_update(record, &current.fields).map_err(Error::invalid)?;
        self.names_are_free(&fields, &current.id).await?;
        self.publish_reverting(Change::CityUpdated(CityData { id: current.id, fields }), actor, reverts).await
    }

    /// Refuses fields whose name is another city's, or whose alternate names
    /// another city has (`id` is the city they are for).
    async fn names_are_free(&self, fields: &CityFields, id: &str) -> Result<(), Error> {
        let candidates = names::candidates(&self.store, [fields]).await?;
        if let Found::Current(other) = candidates.find(&fields.state, &fields.name) {
            if other.id != id {
                return Err(Error::conflict(format!("{} in {} exists already", other.fields.name, other.fields.state)));
            }
        }
        let mut errors = ValidationErrors::default();
        for (i, why) in candidates.taken_alternates(fields, Some(id)) {
            errors.add(&format!("{}[{i}]", city_field::ALTERNATE_NAMES), why);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::invalid(errors))
        }
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

    /// Adds or changes a pincode, given the city its name finds. Its city
    /// may still be on its way (a script creating a city and then its
    /// pincodes): the materializer waits for it. Without offices of its own,
    /// it keeps those the pincode has.
    pub async fn upsert_pincode(&self, actor: &Actor, record: &Map<String, Value>) -> Result<Published, Error> {
        let fields = validate_pincode(record).map_err(Error::invalid)?;
        let mut one = [fields];
        if let Some(Err(why)) = batch::find_pincode_cities(&self.store, &mut one, &HashMap::new()).await?.pop() {
            return Err(Error::invalid(ValidationErrors::single(pincode_field::CITY_NAME, why)));
        }
        let [mut fields] = one;
        if fields.offices.is_empty() {
            if let Some(there) = self.store.pincode(&fields.pincode).await? {
                fields.offices = there.fields.offices;
            }
        }
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

    /// Reverts the change `event_id` (docs/api.md): publishes what undoes
    /// it, marked as its revert; 404 for a change the history has not, 409
    /// when a later change changed the same fields (unless `force`) or the
    /// entity is that way already.
    pub async fn revert(&self, actor: &Actor, event_id: &str, force: bool) -> Result<Published, Error> {
        let Some((millis, entry)) = self.store.history_entry(event_id).await? else {
            return Err(Error::not_found(format!("no change {event_id} in the history")));
        };
        let later = self.store.history_after(&entry.subject, millis, event_id).await?;
        let action = revert::plan(&entry, &later, force).map_err(|r| Error::conflict(r.message()))?;
        let gone = || Error::not_found(format!("{} is not in the read model", entry.subject));
        let (change, what) = if entry.event_type.starts_with("city.") {
            let city = self.store.city_by_id(&entry.subject).await?.ok_or_else(gone)?;
            let change = revert::change_of(&action, Current::City(&city)).map_err(Error::invalid)?;
            if let Some(Change::CityUpdated(data)) = &change {
                self.names_are_free(&data.fields, &city.id).await?;
            }
            (change, format!("{} in {}", city.fields.name, city.fields.state))
        } else {
            let pincode = self.store.pincode(&entry.subject).await?.ok_or_else(gone)?;
            let change = revert::change_of(&action, Current::Pincode(&pincode)).map_err(Error::invalid)?;
            (change, format!("pincode {}", entry.subject))
        };
        let change = change.ok_or_else(|| Error::conflict(format!("{what} is that way already: nothing to revert")))?;
        self.publish_reverting(change, actor, Some(event_id)).await
    }
}
