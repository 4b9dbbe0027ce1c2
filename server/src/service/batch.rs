//! Changes in batches: many rows compared with the read model in one query,
//! and their events published at once, each acknowledged. The JSON bulk routes
//! and imports both work this way; a single change is a batch of one.

use app::domain::city::{City, CityFields};
use app::domain::event::{Change, CityData, Envelope};
use app::domain::pincode::PincodeFields;
use app::domain::write::Published;

use super::Actor;
use crate::error::Error;
use crate::pipeline::{Kafka, KafkaError};
use crate::store::Store;

/// A change to publish, and where it came from: a file's lines, or a JSON
/// array's indexes.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub change: Change,
    pub lines: Vec<u64>,
}

/// How rows of cities meet the cities already there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CityRule {
    /// A city there already is refused (the JSON bulk create).
    CreateOnly,
    /// A city there already becomes what the row says, unless it is so already
    /// (a cities file).
    Upsert,
    /// A city there already is left as it is (the districts an India Post
    /// file makes cities of).
    CreateMissing,
}

/// What a batch of rows comes to against the read model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub changes: Vec<Planned>,
    /// Rows the read model holds already, as they are.
    pub unchanged: u64,
    /// Rows refused, and why (with `CityRule::CreateOnly`).
    pub refused: Vec<(Vec<u64>, String)>,
}

/// Why a new city cannot have a taken id.
pub fn taken(existing: &City) -> String {
    let hint = if existing.deleted_at.is_some() { " (deleted: restore it instead)" } else { "" };
    format!("{} in {} exists already{hint}", existing.fields.name, existing.fields.state)
}

/// Compares cities with the read model, one query for the batch.
pub async fn plan_cities(store: &Store, rows: Vec<(CityFields, Vec<u64>)>, rule: CityRule) -> Result<Plan, Error> {
    let ids: Vec<String> = rows.iter().map(|(f, _)| f.id()).collect();
    let existing = store.cities_by_ids(&ids).await?;
    let mut plan = Plan::default();
    for ((fields, lines), id) in rows.into_iter().zip(ids) {
        match (existing.get(&id), rule) {
            (None, _) => plan.changes.push(Planned { change: Change::CityCreated(CityData { id, fields }), lines }),
            (Some(city), CityRule::CreateOnly) => plan.refused.push((lines, taken(city))),
            (Some(_), CityRule::CreateMissing) => plan.unchanged += 1,
            (Some(city), CityRule::Upsert) if city.fields == fields && city.deleted_at.is_none() => plan.unchanged += 1,
            (Some(city), CityRule::Upsert) => plan
                .changes
                .push(Planned { change: Change::CityUpdated(CityData { id: city.id.clone(), fields }), lines }),
        }
    }
    Ok(plan)
}

/// Compares pincodes with the read model, one query for the batch. With
/// `keep_offices`, a row without offices keeps those the pincode has (a row
/// typed by hand does not wipe what the India Post directory gave it).
pub async fn plan_pincodes(
    store: &Store,
    rows: Vec<(PincodeFields, Vec<u64>)>,
    keep_offices: bool,
) -> Result<Plan, Error> {
    let codes: Vec<String> = rows.iter().map(|(f, _)| f.pincode.clone()).collect();
    let existing = store.pincodes_by_codes(&codes).await?;
    let mut plan = Plan::default();
    for (mut fields, lines) in rows {
        match existing.get(&fields.pincode) {
            Some(there) => {
                if keep_offices && fields.offices.is_empty() {
                    fields.offices = there.fields.offices.clone();
                }
                if there.fields == fields && there.deleted_at.is_none() {
                    plan.unchanged += 1;
                } else {
                    plan.changes.push(Planned { change: Change::PincodeUpserted(fields), lines });
                }
            }
            None => plan.changes.push(Planned { change: Change::PincodeUpserted(fields), lines }),
        }
    }
    Ok(plan)
}

/// The event of a change: a new id, now, who made it, and the import it came
/// from; and the topic it goes to.
pub fn event(kafka: &Kafka, change: Change, actor: &Actor, job: Option<&str>) -> (String, Envelope) {
    let topic = kafka.topic(change.event_type().stream());
    let id = uuid::Uuid::now_v7().to_string();
    let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut envelope = change.into_envelope(id, time, actor.source, &actor.name);
    envelope.importjob = job.map(str::to_string);
    (topic, envelope)
}

/// Publishes the planned changes at once: for each, where its event landed,
/// or why it was not published.
pub async fn publish(
    kafka: &Kafka,
    planned: &[Planned],
    actor: &Actor,
    job: Option<&str>,
) -> Vec<Result<Published, KafkaError>> {
    let events: Vec<(String, Envelope)> = planned.iter().map(|p| event(kafka, p.change.clone(), actor, job)).collect();
    let outcomes = kafka.publish_many(&events).await;
    events
        .into_iter()
        .zip(outcomes)
        .map(|((topic, e), outcome)| {
            outcome.map(|(partition, offset)| Published {
                event_id: e.id,
                event_type: e.event_type,
                subject: e.subject,
                topic,
                partition,
                offset,
            })
        })
        .collect()
}
