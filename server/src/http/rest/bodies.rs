//! The REST API's bodies that are the API's own (the domain's types serve
//! the rest): what a write takes, the answers that wrap a domain type, and
//! the error every route answers with. Each derives its schema for the
//! OpenAPI document (`http::openapi`), so the document is the code.
//!
//! The write bodies are read as loose JSON records and checked by the domain
//! (`validate_new_city`, `validate_pincode`), which names every bad field at
//! once; the structs here describe those records for clients. A test holds
//! their fields to the domain's field names (`app::domain::city::field`).

use std::collections::BTreeMap;

use app::domain::health::{BackendCheck, MaterializerState, Status};
use app::domain::import::job::ImportJob;
use app::domain::kafka::{Broker, Cluster, Group, LagHistory};
use app::domain::pincode::Office;
use app::domain::validation::FieldError;
use app::domain::write::Published;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Every refusal: what went wrong, and for invalid input every bad field.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
    /// Each invalid field with why (invalid input, 422, only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// A new city. Names are trimmed, 1–100 characters, in any script.
#[derive(ToSchema)]
#[allow(dead_code)] // read as a JSON record and checked by the domain; this describes it
pub struct NewCity {
    /// The city's name.
    #[schema(example = "Noida")]
    city_name: String,
    /// The state or union territory: its official name, code or a common alias
    /// (`UP`, `Orissa`, `NCT of Delhi`).
    #[schema(example = "Uttar Pradesh")]
    state: String,
    #[schema(minimum = 6.0, maximum = 37.6, example = 28.5355)]
    latitude: f64,
    #[schema(minimum = 68.0, maximum = 97.5, example = 77.391)]
    longitude: f64,
    district: Option<String>,
    is_metro: Option<bool>,
    is_capital: Option<bool>,
    #[schema(minimum = 0)]
    population: Option<u64>,
    #[schema(minimum = 0.0)]
    area_sq_km: Option<f64>,
    /// Other names people use for it.
    alternate_names: Option<Vec<String>>,
    /// At most 50 keys of 1–64 characters (none starting with `$`, none with a
    /// dot or a control character); values text of at most 1,000 characters,
    /// numbers, true/false or null.
    metadata: Option<Map<String, Value>>,
}

/// The fields of a city to change; a field not sent stays as it is, and
/// `null` clears an optional one.
#[derive(ToSchema)]
#[allow(dead_code)] // read as a JSON record and checked by the domain; this describes it
pub struct CityChanges {
    city_name: Option<String>,
    state: Option<String>,
    #[schema(minimum = 6.0, maximum = 37.6)]
    latitude: Option<f64>,
    #[schema(minimum = 68.0, maximum = 97.5)]
    longitude: Option<f64>,
    district: Option<String>,
    is_metro: Option<bool>,
    is_capital: Option<bool>,
    #[schema(minimum = 0)]
    population: Option<u64>,
    #[schema(minimum = 0.0)]
    area_sq_km: Option<f64>,
    alternate_names: Option<Vec<String>>,
    metadata: Option<Map<String, Value>>,
}

/// A pincode, new or changed (moving it between cities).
#[derive(ToSchema)]
#[allow(dead_code)] // read as a JSON record and checked by the domain; this describes it
pub struct PincodeInput {
    /// Six digits, the first 1–9.
    #[schema(example = "201301", pattern = "^[1-9][0-9]{5}$")]
    pincode: String,
    /// Its city, which must exist (or be created before the pincode is applied).
    #[schema(example = "Noida")]
    city_name: String,
    #[schema(example = "Uttar Pradesh")]
    state: String,
    area_name: Option<String>,
    #[schema(minimum = 6.0, maximum = 37.6)]
    latitude: f64,
    #[schema(minimum = 68.0, maximum = 97.5)]
    longitude: f64,
    /// Its post offices, as India Post lists them.
    offices: Option<Vec<Office>>,
}

/// A bulk route's 202: the events published (a JSON array was sent), or the
/// import job started (a CSV file was sent).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "describes the answer; the handlers send BulkAnswer or ImportJob themselves")]
pub enum BulkAccepted {
    Published(BulkAnswer),
    Started(Box<ImportJob>),
}

/// What a bulk route answers, the cities' and the pincodes' alike (for the
/// OpenAPI document: `responses(BulkResponses)`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code, reason = "describes the answers; the handlers send them as responses")]
pub enum BulkResponses {
    /// The events published (JSON), or the import job started (CSV)
    #[response(status = 202)]
    Accepted(BulkAccepted),
    /// More rows than a request may carry, or over the limit
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// Invalid rows: each bad row's fields, as `[index].field`
    #[response(status = 422)]
    Invalid(ErrorBody),
    /// Kafka failed partway: the rows not published, by index
    #[response(status = 503)]
    Unavailable(BulkAnswer),
}

/// What a JSON bulk write did: 202 with every event, or 503 when Kafka failed
/// partway, naming the rows (by index) that were not published.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkAnswer {
    /// Events published.
    pub count: usize,
    /// Rows that were there already as sent, and not published.
    pub unchanged: u64,
    pub events: Vec<Published>,
    /// Why publishing stopped (503 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The indexes of the rows not published (503 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unpublished: Option<Vec<usize>>,
}

/// Dead letters to act on, by id (`partition-offset` in the dead-letter topic).
#[derive(Debug, Deserialize, ToSchema)]
pub struct LetterIds {
    #[schema(example = json!(["3-0", "1-12"]))]
    pub ids: Vec<String>,
}

/// The newest import jobs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportList {
    pub imports: Vec<ImportJob>,
}

/// The cluster, and every consumer group with its lag.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterAnswer {
    pub cluster: Cluster,
    pub groups: Vec<Group>,
}

/// One consumer group, with its total lag.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupAnswer {
    #[serde(flatten)]
    pub group: Group,
    pub total_lag: i64,
}

/// A group's lag history, with the events it consumed per second over it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LagAnswer {
    #[serde(flatten)]
    pub history: LagHistory,
    /// Events per second over the window (null before two samples).
    pub rate: Option<f64>,
}

/// Kafka as GeoLedger needs it: 200 when every part is well, else 503 with
/// the first `reason`.
#[derive(Debug, Serialize, ToSchema)]
pub struct KafkaHealth {
    pub status: Status,
    /// Why not ok (null when ok).
    pub reason: Option<String>,
    /// Whether the brokers gave the cluster's metadata in time.
    pub kafka: BackendCheck,
    /// GeoLedger's topics by role: `city`, `pincode`, `dead_letter`.
    pub topics: BTreeMap<String, String>,
    pub consumer_group: String,
    /// This instance's materializer, as its watchdog sees it.
    pub materializer: MaterializerAnswer,
    /// The cluster's side, when it could be read.
    #[serde(flatten)]
    pub cluster: Option<KafkaClusterHealth>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MaterializerAnswer {
    pub state: MaterializerState,
    /// `starting`, `consuming` or `stalled, restarting`.
    pub label: String,
    pub detail: String,
    /// Times its watchdog rebuilt its consumer.
    pub restarts: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KafkaClusterHealth {
    pub cluster_id: Option<String>,
    pub controller: Option<i32>,
    pub brokers: Vec<Broker>,
    /// Whether each of GeoLedger's topics exists, with its partitions.
    pub topic_status: Vec<TopicStatus>,
    /// The materializer's group.
    pub group: GroupHealth,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopicStatus {
    pub role: String,
    pub name: String,
    pub exists: bool,
    pub partitions: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupHealth {
    pub id: String,
    /// `Unknown` when the group is not there.
    pub state: String,
    pub total_lag: Option<i64>,
    pub partitions: Vec<PartitionHealth>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartitionHealth {
    pub topic: String,
    pub partition: i32,
    /// Null before the group committed on it.
    pub committed: Option<i64>,
    pub end: i64,
    pub lag: Option<i64>,
}

#[cfg(test)]
mod tests {
    use app::domain::validation::ValidationErrors;

    use super::*;

    #[test]
    fn an_error_names_its_fields_only_when_there_are_some() {
        let plain = ErrorBody { error: "no city".into(), errors: None };
        assert_eq!(serde_json::to_value(plain).unwrap(), serde_json::json!({"error": "no city"}));
        let invalid =
            ErrorBody { error: "invalid".into(), errors: Some(ValidationErrors::single("state", "x").errors) };
        let value = serde_json::to_value(invalid).unwrap();
        assert_eq!(value["errors"][0]["field"], "state");
    }

    #[test]
    fn a_group_answer_is_the_group_with_its_total() {
        let group = Group {
            id: "g".into(),
            state: "Stable".into(),
            coordinator: Some(1),
            assignor: "range".into(),
            members: vec![],
            partitions: vec![],
        };
        let value = serde_json::to_value(GroupAnswer { group, total_lag: 7 }).unwrap();
        assert_eq!((value["id"].as_str(), value["total_lag"].as_i64()), (Some("g"), Some(7)));
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevertParams {
    /// Revert over later changes too: a change's fields, or an import's
    /// entities, changed since are put back as well.
    #[serde(default)]
    pub force: bool,
}
