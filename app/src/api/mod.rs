//! Server functions: the browser's calls into the server. Each one is thin: it
//! checks the session, finds the server's [`ssr::Ledger`] in the request
//! context, calls one method, and answers its `AppError` with that error's HTTP
//! status.
//!
//! Each has a fixed address, `/api/<name>`: Leptos would otherwise add a hash
//! that differs between builds of the same source from two folders, and a page
//! loaded before a deploy could not reach the next build's server (several
//! instances behind one address are updated one after another).

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::server_fn::codec::{Json, MultipartData, MultipartFormData, Post};
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{ContentType, Decodes, Encodes, Format, FormatType};
use serde::{Deserialize, Serialize};

use crate::domain::activity::{ActivityPage, ActivityQuery};
use crate::domain::city::{CityListQuery, CityPage};
use crate::domain::dead_letter::{ActionOutcome, DeadLetterPage};
use crate::domain::error::AppError;
use crate::domain::health::Readiness;
use crate::domain::history::CityDetails;
use crate::domain::import::job::{ImportJob, JobReport};
use crate::domain::kafka::{Cluster, Group, LagHistory, MessagePage, MessageQuery, PipelineStatus};
use crate::domain::lookup::{Hits, Nearest};
use crate::domain::map::{MapQuery, MapView};
use crate::domain::pincode::{PincodeListQuery, PincodePage};
use crate::domain::quality::{Finding, FindingsPage, FindingsQuery, QualitySummary};
use crate::domain::schema::EventSchema;
use crate::domain::write::Published;

/// The Kafka status pages' view of the cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KafkaOverview {
    pub cluster: Cluster,
    pub groups: Vec<Group>,
}

/// The map's tiles, from the server's configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapConfig {
    /// Empty: no tiles (the map still shows markers).
    pub tile_url: String,
    pub attribution: String,
}

/// What a pincode form asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PincodeCommand {
    Upsert,
    Delete { code: String },
}

/// What a city form asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CityCommand {
    Create,
    Update { name: String, state: String },
    Delete { name: String, state: String },
    Restore { name: String, state: String },
}

/// How a failure of the call itself (not the server's answer) becomes an
/// `AppError`: in the browser, a request that never arrived or an answer that
/// could not be read; on the server, arguments that could not be read.
/// JSON, as every server function answers, read from text.
///
/// A resource's value comes to the browser twice over: in the page, for
/// hydration (read with `serde_json::from_str`), and in a server function's
/// answer when it is fetched again (Leptos's `Json` reads those with
/// `serde_json::from_slice`). Each reader compiles each answer type's decoder
/// into the wasm once more; reading both from text keeps one.
pub struct TextJsonEncoding;

/// A server function's answer as [`TextJsonEncoding`], sent by `POST`.
pub type TextJson = Post<TextJsonEncoding>;

impl ContentType for TextJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for TextJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for TextJsonEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<leptos::server_fn::Bytes, Self::Error> {
        serde_json::to_vec(output).map(Into::into)
    }
}

impl<T: serde::de::DeserializeOwned> Decodes<T> for TextJsonEncoding {
    type Error = serde_json::Error;

    fn decode(bytes: leptos::server_fn::Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(<serde_json::Error as serde::de::Error>::custom)?;
        serde_json::from_str(text)
    }
}

impl FromServerFnError for AppError {
    type Encoder = TextJsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) => AppError::Unreachable(m),
            ServerFnErrorErr::Args(m)
            | ServerFnErrorErr::MissingArg(m)
            | ServerFnErrorErr::Deserialization(m)
            | ServerFnErrorErr::UnsupportedRequestMethod(m) => AppError::BadRequest(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// The server's side of the server functions: the port the `geoledger` server
/// crate implements (it owns Kafka and MongoDB), and what every server function
/// does first (find the admin, find the port) and last (set the status).
#[cfg(feature = "ssr")]
pub mod ssr;

/// Checks every backend now.
#[server(endpoint = "get_readiness", output = TextJson)]
pub async fn get_readiness() -> Result<Readiness, AppError> {
    ssr::as_admin(|_, ledger| async move { Ok(ledger.readiness().await) }).await
}

/// Every event type's schema, with its version and fields.
#[server(endpoint = "list_event_schemas", output = TextJson)]
pub async fn list_event_schemas() -> Result<Vec<EventSchema>, AppError> {
    ssr::as_admin(|_, ledger| async move { Ok(ledger.event_schemas()) }).await
}

/// The signed-in admin, if any.
#[server(endpoint = "current_user", output = TextJson)]
pub async fn current_user() -> Result<Option<String>, AppError> {
    ssr::answer(ssr::current_user()).await
}

/// Signs an admin in and sends the browser on to `next` (a path of this site).
#[server(endpoint = "login", output = TextJson)]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    ssr::answer(async move {
        let Some(user) = ssr::ledger()?.verify_login(&email, &password).await? else {
            return Err(AppError::Unauthorized("Wrong email or password.".into()));
        };
        let session = ssr::session().await?;
        // A new session id on sign-in: an id planted before cannot be taken over.
        session.cycle_id().await.map_err(ssr::session_failed)?;
        session.insert(ssr::SESSION_USER, user).await.map_err(ssr::session_failed)?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        session.insert(ssr::SESSION_SIGNED_IN_AT, now.as_millis() as i64).await.map_err(ssr::session_failed)?;
        leptos_axum::redirect(crate::domain::sign_in::after_sign_in(next.as_deref()));
        Ok(())
    })
    .await
}

#[server(endpoint = "logout", output = TextJson)]
pub async fn logout() -> Result<(), AppError> {
    ssr::answer(async {
        ssr::session().await?.flush().await.map_err(ssr::session_failed)?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// One page of cities.
#[server(endpoint = "list_cities", input = Json, output = TextJson)]
pub async fn list_cities(query: CityListQuery) -> Result<CityPage, AppError> {
    ssr::as_admin(|_, ledger| async move { ledger.list_cities(query).await }).await
}

/// Creates, changes, deletes or restores a city: where its event landed, or
/// why it was refused (invalid fields, a conflict, Kafka away).
#[server(endpoint = "run_city_command", input = Json, output = TextJson)]
pub async fn run_city_command(command: CityCommand, fields: HashMap<String, String>) -> Result<Published, AppError> {
    ssr::as_admin(|actor, ledger| async move { ledger.city_command(actor, command, fields).await }).await
}

#[server(endpoint = "get_map_config", output = TextJson)]
pub async fn get_map_config() -> Result<MapConfig, AppError> {
    ssr::as_admin(|_, ledger| async move { Ok(ledger.map_config()) }).await
}

/// A city with its pincodes and history (None: no such city).
#[server(endpoint = "get_city_details", output = TextJson)]
pub async fn get_city_details(id: String) -> Result<Option<CityDetails>, AppError> {
    ssr::as_admin(|_, ledger| async move { ledger.city_details(id).await }).await
}

/// A page of the activity feed, newest first.
#[server(endpoint = "list_activity", input = Json, output = TextJson)]
pub async fn list_activity(query: ActivityQuery) -> Result<ActivityPage, AppError> {
    ssr::as_admin(|_, ledger| async move { ledger.activity(query).await }).await
}

/// One page of pincodes (by code prefix, or in a box).
#[server(endpoint = "list_pincodes", input = Json, output = TextJson)]
pub async fn list_pincodes(query: PincodeListQuery) -> Result<PincodePage, AppError> {
    ssr::as_admin(|_, ledger| async move { ledger.list_pincodes(query).await }).await
}

/// What the map draws of one view: cities and pincodes, one by one or in clusters.
#[server(endpoint = "get_map_view", input = Json, output = TextJson)]
pub async fn get_map_view(query: MapQuery) -> Result<MapView, AppError> {
    ssr::as_admin(|_, ledger| async move { ledger.map_view(query).await }).await
}

/// Which live pincode and city are nearest a place: the map's "What's here?".
#[server(endpoint = "lookup_nearest", input = Json, output = TextJson)]
pub async fn lookup_nearest(latitude: f64, longitude: f64) -> Result<Nearest, AppError> {
    ssr::as_admin(|_, ledger| async move { ledger.nearest(latitude, longitude, 1) }).await
}

/// The map's search box: states, pincodes and cities by any of their names.
#[server(endpoint = "lookup_search", input = Json, output = TextJson)]
pub async fn lookup_search(q: String) -> Result<Hits, AppError> {
    ssr::as_admin(|_, ledger| async move { Ok(ledger.search(&q)) }).await
}

/// Adds, changes or deletes a pincode.
#[server(endpoint = "run_pincode_command", input = Json, output = TextJson)]
pub async fn run_pincode_command(
    command: PincodeCommand,
    fields: HashMap<String, String>,
) -> Result<Published, AppError> {
    ssr::as_admin(|actor, ledger| async move { ledger.pincode_command(actor, command, fields).await }).await
}

/// Starts importing a file: a form with the file (`file`), and optionally
/// `format` (`cities`, `pincodes`, `india-post`, or `auto`) and `dry_run`.
#[server(endpoint = "start_import", input = MultipartFormData, output = TextJson)]
pub async fn start_import(form: MultipartData) -> Result<ImportJob, AppError> {
    ssr::as_admin(|actor, ledger| async move { ledger.start_import(actor, form).await }).await
}

/// The newest import jobs, newest first.
#[server(endpoint = "list_imports", output = TextJson)]
pub async fn list_imports() -> Result<Vec<ImportJob>, AppError> {
    ssr::as_admin(|_, ledger| async move { ledger.list_imports().await }).await
}

/// An import job with the first lines of its report.
#[server(endpoint = "get_import_report", output = TextJson)]
pub async fn get_import_report(id: String) -> Result<JobReport, AppError> {
    ssr::as_admin(|_, ledger| async move { ledger.import_report(id).await }).await
}

/// The Kafka cluster: brokers, topics (with watermarks, configuration and the
/// groups reading them) and consumer groups.
#[server(endpoint = "get_kafka_overview", output = TextJson)]
pub async fn get_kafka_overview() -> Result<KafkaOverview, AppError> {
    ssr::as_admin(|_, ledger| async move { ledger.kafka_overview().await }).await
}

/// One consumer group, with its members and its lag per partition.
#[server(endpoint = "get_kafka_group", output = TextJson)]
pub async fn get_kafka_group(id: String) -> Result<Option<Group>, AppError> {
    ssr::as_admin(|_, ledger| async move { ledger.kafka_group(id).await }).await
}

/// A look at a topic's messages.
#[server(endpoint = "get_kafka_messages", input = Json, output = TextJson)]
pub async fn get_kafka_messages(topic: String, query: MessageQuery) -> Result<Option<MessagePage>, AppError> {
    ssr::as_admin(|_, ledger| async move { ledger.kafka_messages(topic, query).await }).await
}

/// A consumer group's lag history over the last `window_secs` (15 min to 24 h).
#[server(endpoint = "get_lag_history", output = TextJson)]
pub async fn get_lag_history(group: String, window_secs: u64) -> Result<LagHistory, AppError> {
    ssr::as_admin(|_, ledger| async move { ledger.lag_history(group, window_secs).await }).await
}

/// The newest dead letters, newest first; the handled ones only when asked.
#[server(endpoint = "get_dead_letters", output = TextJson)]
pub async fn get_dead_letters(include_handled: bool) -> Result<DeadLetterPage, AppError> {
    ssr::as_admin(|_, ledger| async move { ledger.dead_letters(include_handled).await }).await
}

/// Sends dead letters back to their original topics, or (`discard`) marks
/// them handled: for each, what became of it or why it was left.
#[server(endpoint = "handle_dead_letters", input = Json, output = TextJson)]
pub async fn handle_dead_letters(ids: Vec<String>, discard: bool) -> Result<Vec<ActionOutcome>, AppError> {
    ssr::as_admin(|actor, ledger| async move { ledger.handle_dead_letters(actor, ids, discard).await }).await
}

/// The status pages' landing numbers: the cluster in brief, the materializer,
/// GeoLedger's topics and the dead letters waiting.
#[server(endpoint = "get_pipeline_status", output = TextJson)]
pub async fn get_pipeline_status() -> Result<PipelineStatus, AppError> {
    ssr::as_admin(|_, ledger| async move { ledger.pipeline_status().await }).await
}

/// The quality findings' counts per rule, and the open ones in all.
#[server(endpoint = "get_quality_summary", output = TextJson)]
pub async fn get_quality_summary() -> Result<QualitySummary, AppError> {
    ssr::as_admin(|_, ledger| async move { Ok(ledger.quality_summary()) }).await
}

/// A page of quality findings (by rule, state, status; in the map's view).
#[server(endpoint = "list_findings", input = Json, output = TextJson)]
pub async fn list_findings(query: FindingsQuery) -> Result<FindingsPage, AppError> {
    ssr::as_admin(|_, ledger| async move { Ok(ledger.findings(query)) }).await
}

/// Reverts one change: publishes what undoes it (`force`: over later changes to the same fields).
#[server(endpoint = "revert_change", input = Json, output = TextJson)]
pub async fn revert_change(event_id: String, force: bool) -> Result<Published, AppError> {
    ssr::as_admin(|actor, ledger| async move { ledger.revert_change(actor, event_id, force).await }).await
}

/// Starts reverting an import (entities changed since are left as they are): the revert's job.
#[server(endpoint = "revert_import", input = Json, output = TextJson)]
pub async fn revert_import(id: String) -> Result<ImportJob, AppError> {
    ssr::as_admin(|actor, ledger| async move { ledger.revert_import(actor, id).await }).await
}

/// Accepts a finding with a reason: it leaves the open list.
#[server(endpoint = "accept_finding", input = Json, output = TextJson)]
pub async fn accept_finding(id: String, reason: String) -> Result<Finding, AppError> {
    ssr::as_admin(|actor, ledger| async move { ledger.accept_finding(actor, id, reason).await }).await
}
