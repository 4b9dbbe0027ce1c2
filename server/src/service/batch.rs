//! Changes in batches: many rows compared with the read model in one query,
//! and their events published at once, each acknowledged. The JSON bulk routes
//! and imports both work this way; a single change is a batch of one.

use std::collections::HashMap;

use app::domain::city::{city_id, field as city_field, City, CityFields};
use app::domain::event::{Change, CityData, Envelope};
use app::domain::fold::search_key;
use app::domain::names::{choose, name_key, Found};
use app::domain::pincode::{field as pincode_field, PincodeFields};
use app::domain::validation::ValidationErrors;
use app::domain::write::Published;

use super::{names, Actor};
use crate::error::Error;
use crate::pipeline::{Kafka, KafkaError};
use crate::store::Store;

/// A change to publish, and where it came from: a file's lines, or a JSON
/// array's indexes.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub change: Change,
    pub lines: Vec<u64>,
    /// The event this change reverts (an import's revert).
    pub reverts: Option<String>,
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
    /// Rows refused, and why (a city there already with `CityRule::CreateOnly`,
    /// an ambiguous name, an alternate name that is another city's name).
    pub refused: Vec<(Vec<u64>, Refusal)>,
    /// Rows that found their city by an alternate name: "matched Mumbai by
    /// its alternate name Bombay", for the report.
    pub matched: Vec<(Vec<u64>, String)>,
    /// The ids of the cities this plan creates, by name key: where the
    /// pincodes of the same import find them.
    pub new_cities: HashMap<String, String>,
}

/// Why a row was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// The city it would make is there already (a conflict: 409).
    Taken(String),
    /// A field of the row cannot be so (422).
    Field { field: String, message: String },
}

impl Refusal {
    pub fn field(&self) -> &str {
        match self {
            Refusal::Taken(_) => city_field::NAME,
            Refusal::Field { field, .. } => field,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Refusal::Taken(message) | Refusal::Field { message, .. } => message,
        }
    }

    /// As a single change's error.
    pub fn into_error(self) -> Error {
        match self {
            Refusal::Taken(message) => Error::conflict(message),
            Refusal::Field { field, message } => Error::invalid(ValidationErrors::single(&field, message)),
        }
    }
}

/// Why a new city cannot be made where `found` found one.
fn taken(found: &Found) -> Refusal {
    match found {
        Found::Current(existing) => {
            let hint = if existing.deleted_at.is_some() { " (deleted: restore it instead)" } else { "" };
            Refusal::Taken(format!("{} in {} exists already{hint}", existing.fields.name, existing.fields.state))
        }
        Found::Alternate { city, alternate } => Refusal::Taken(format!(
            "{alternate} is an alternate name of {} in {}: change that city, or take the name from it first",
            city.fields.name, city.fields.state
        )),
        Found::Ambiguous { .. } | Found::Missing => {
            Refusal::Field { field: city_field::NAME.into(), message: found.ambiguity().unwrap_or_default() }
        }
    }
}

/// What a row of a city becomes for the city it found: a row found by an
/// alternate name never renames the city, and a row without alternate names
/// keeps those the city has (the one it was found by stays).
fn merged(city: &City, found: &Found, mut fields: CityFields) -> CityFields {
    if let Some(alternate) = found.alternate() {
        fields.name = city.fields.name.clone();
        if !fields.alternate_names.iter().any(|a| search_key(a) == search_key(alternate)) {
            fields.alternate_names.insert(0, alternate.to_string());
        }
    }
    if fields.alternate_names.is_empty() {
        fields.alternate_names = city.fields.alternate_names.clone();
    }
    fields
}

/// Compares cities with the read model: what each row's name finds (one
/// query for the batch), and the ids of the new ones (one more).
pub async fn plan_cities(store: &Store, rows: Vec<(CityFields, Vec<u64>)>, rule: CityRule) -> Result<Plan, Error> {
    let candidates = names::candidates(store, rows.iter().map(|(f, _)| f)).await?;
    let found: Vec<Found> = rows.iter().map(|(f, _)| candidates.find(&f.state, &f.name)).collect();
    let new: Vec<(&str, &str)> = rows
        .iter()
        .zip(&found)
        .filter(|(_, found)| **found == Found::Missing)
        .map(|((f, _), _)| (f.state.as_str(), f.name.as_str()))
        .collect();
    let mut new_ids = names::fresh_ids(store, &new).await?.into_iter();
    let mut plan = Plan::default();
    for ((fields, lines), found) in rows.into_iter().zip(found) {
        let own = found.city().map(|c| c.id.clone());
        if let Some((i, message)) = candidates.taken_alternates(&fields, own.as_deref()).into_iter().next() {
            let field = format!("{}[{i}]", city_field::ALTERNATE_NAMES);
            plan.refused.push((lines, Refusal::Field { field, message }));
            continue;
        }
        let city = match (&found, rule) {
            (Found::Missing, _) => {
                let id = new_ids.next().expect("an id for each new city");
                plan.new_cities.insert(name_key(&fields.state, &fields.name), id.clone());
                plan.changes.push(Planned {
                    change: Change::CityCreated(CityData { id, fields }),
                    lines,
                    reverts: None,
                });
                continue;
            }
            (Found::Ambiguous { .. }, _) | (_, CityRule::CreateOnly) => {
                plan.refused.push((lines, taken(&found)));
                continue;
            }
            (Found::Current(city) | Found::Alternate { city, .. }, _) => city,
        };
        plan.matched.extend(found.matched().map(|m| (lines.clone(), m)));
        if rule == CityRule::CreateMissing {
            plan.unchanged += 1;
            continue;
        }
        let fields = merged(city, &found, fields);
        if city.fields == fields && city.deleted_at.is_none() {
            plan.unchanged += 1;
        } else {
            let change = Change::CityUpdated(CityData { id: city.id.clone(), fields });
            plan.changes.push(Planned { change, lines, reverts: None });
        }
    }
    Ok(plan)
}

/// Gives pincodes the cities their names find (`names::choose`), or else a
/// city `planned` makes, or else the id a city of that name would be given
/// when it comes (the materializer holds the pincode until it does). For
/// each: the note when found by an alternate name, or why no city can be
/// found (an ambiguous name, or the id of that name belongs to another city).
pub async fn find_pincode_cities(
    store: &Store,
    pincodes: &mut [PincodeFields],
    planned: &HashMap<String, String>,
) -> Result<Vec<Result<Option<String>, String>>, Error> {
    let wanted: Vec<(&str, &str)> = pincodes.iter().map(|p| (p.state.as_str(), p.city_name.as_str())).collect();
    let candidates = names::candidates_of_names(store, &wanted).await?;
    let found: Vec<Found> = pincodes.iter().map(|p| candidates.find(&p.state, &p.city_name)).collect();
    let would_be: Vec<String> = pincodes.iter().map(|p| city_id(&p.state, &p.city_name)).collect();
    // Only a name that finds no city asks whether its id is another city's.
    let unfound: Vec<String> =
        would_be.iter().zip(&found).filter(|(_, f)| **f == Found::Missing).map(|(id, _)| id.clone()).collect();
    let taken = store.cities_by_ids(&unfound).await?;
    let mut outcomes = Vec::with_capacity(pincodes.len());
    for ((pincode, found), would_be) in pincodes.iter_mut().zip(found).zip(would_be) {
        outcomes.push(match &found {
            Found::Current(city) | Found::Alternate { city, .. } => {
                pincode.city_id = city.id.clone();
                pincode.city_name = city.fields.name.clone();
                Ok(found.matched())
            }
            Found::Ambiguous { .. } => Err(found.ambiguity().unwrap_or_default()),
            Found::Missing => match planned.get(&name_key(&pincode.state, &pincode.city_name)) {
                Some(id) => {
                    pincode.city_id = id.clone();
                    Ok(None)
                }
                // Applied between the two reads: the city holding the id bears the name.
                None if taken
                    .get(&would_be)
                    .is_some_and(|c| choose(&pincode.state, &pincode.city_name, [c.clone()]) != Found::Missing) =>
                {
                    pincode.city_id = would_be;
                    Ok(None)
                }
                None if taken.contains_key(&would_be) => {
                    Err(format!("no city named '{}' in {}", pincode.city_name, pincode.state))
                }
                None => {
                    pincode.city_id = would_be;
                    Ok(None)
                }
            },
        });
    }
    Ok(outcomes)
}

/// Compares pincodes with the read model, one query for the batch, once
/// each has its city (`find_pincode_cities`). With `keep_offices`, a row
/// without offices keeps those the pincode has (a row typed by hand does
/// not wipe what the India Post directory gave it).
pub async fn plan_pincodes(
    store: &Store,
    rows: Vec<(PincodeFields, Vec<u64>)>,
    keep_offices: bool,
    planned: &HashMap<String, String>,
) -> Result<Plan, Error> {
    let (mut fields, lines): (Vec<PincodeFields>, Vec<Vec<u64>>) = rows.into_iter().unzip();
    let cities = find_pincode_cities(store, &mut fields, planned).await?;
    let codes: Vec<String> = fields.iter().map(|f| f.pincode.clone()).collect();
    let existing = store.pincodes_by_codes(&codes).await?;
    let mut plan = Plan::default();
    for ((mut fields, lines), city) in fields.into_iter().zip(lines).zip(cities) {
        match city {
            Ok(matched) => plan.matched.extend(matched.map(|m| (lines.clone(), m))),
            Err(message) => {
                plan.refused.push((lines, Refusal::Field { field: pincode_field::CITY_NAME.into(), message }));
                continue;
            }
        }
        match existing.get(&fields.pincode) {
            Some(there) => {
                if keep_offices && fields.offices.is_empty() {
                    fields.offices = there.fields.offices.clone();
                }
                if there.fields == fields && there.deleted_at.is_none() {
                    plan.unchanged += 1;
                } else {
                    plan.changes.push(Planned { change: Change::PincodeUpserted(fields), lines, reverts: None });
                }
            }
            None => plan.changes.push(Planned { change: Change::PincodeUpserted(fields), lines, reverts: None }),
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
    let events: Vec<(String, Envelope)> = planned
        .iter()
        .map(|p| {
            let (topic, mut e) = event(kafka, p.change.clone(), actor, job);
            e.reverts = p.reverts.clone();
            (topic, e)
        })
        .collect();
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
