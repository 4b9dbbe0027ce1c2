//! The server's side of the server functions: the port the `geoledger` server
//! crate implements (it owns Kafka and MongoDB), and what every server function
//! does first (find the admin, find the port) and last (set the status).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::server_fn::codec::MultipartData;
use leptos::server_fn::error::FromServerFnError;
use tower_sessions::Session;

use super::KafkaOverview;
use super::{CityCommand, MapConfig, PincodeCommand};
use crate::domain::activity::{ActivityPage, ActivityQuery};
use crate::domain::city::{CityListQuery, CityPage};
use crate::domain::dead_letter::{ActionOutcome, DeadLetterPage};
use crate::domain::error::AppError;
use crate::domain::health::Readiness;
use crate::domain::history::CityDetails;
use crate::domain::import::job::{ImportJob, JobReport};
use crate::domain::kafka::{Group, LagHistory, MessagePage, MessageQuery, PipelineStatus};
use crate::domain::lookup::{Hits, Nearest};
use crate::domain::map::{MapQuery, MapView};
use crate::domain::pincode::{PincodeListQuery, PincodePage};
use crate::domain::quality::{Finding, FindingsPage, FindingsQuery, QualitySummary};
use crate::domain::schema::EventSchema;
use crate::domain::write::WriteResult;

/// What the server provides to server functions.
#[async_trait::async_trait]
pub trait Ledger: Send + Sync + 'static {
    /// Kafka and MongoDB, checked now.
    async fn readiness(&self) -> Readiness;

    /// The admin's normalized email when the password is right.
    async fn verify_login(&self, email: &str, password: &str) -> Result<Option<String>, AppError>;

    fn map_config(&self) -> MapConfig;

    /// The events' schemas, as the files in `schemas/` say.
    fn event_schemas(&self) -> Vec<EventSchema>;

    async fn list_cities(&self, query: CityListQuery) -> Result<CityPage, AppError>;

    /// A city, its pincodes and its history, by id (None: no such city).
    async fn city_details(&self, id: String) -> Result<Option<CityDetails>, AppError>;

    async fn activity(&self, query: ActivityQuery) -> Result<ActivityPage, AppError>;

    async fn list_pincodes(&self, query: PincodeListQuery) -> Result<PincodePage, AppError>;

    /// What the map draws of one view.
    async fn map_view(&self, query: MapQuery) -> Result<MapView, AppError>;

    /// The live pincodes and cities nearest a place (`limit` of each).
    fn nearest(&self, latitude: f64, longitude: f64, limit: usize) -> Result<Nearest, AppError>;

    /// What the search box finds for `q`.
    fn search(&self, q: &str) -> Hits;

    /// Runs a city command for the signed-in admin `actor`; `fields` are the form's text.
    async fn city_command(&self, actor: String, command: CityCommand, fields: HashMap<String, String>) -> WriteResult;

    async fn pincode_command(
        &self,
        actor: String,
        command: PincodeCommand,
        fields: HashMap<String, String>,
    ) -> WriteResult;

    /// Starts importing the file of a form (fields `file`, `format`, `dry_run`).
    async fn start_import(&self, actor: String, form: MultipartData) -> Result<ImportJob, AppError>;

    /// The newest import jobs.
    async fn list_imports(&self) -> Result<Vec<ImportJob>, AppError>;

    /// A job and the first lines of its report.
    async fn import_report(&self, id: String) -> Result<JobReport, AppError>;

    /// The Kafka cluster, its topics and its consumer groups.
    async fn kafka_overview(&self) -> Result<KafkaOverview, AppError>;

    /// One consumer group (None: Kafka knows no such group).
    async fn kafka_group(&self, id: String) -> Result<Option<Group>, AppError>;

    /// A look at a topic's messages (None: no such topic or partition).
    async fn kafka_messages(&self, topic: String, query: MessageQuery) -> Result<Option<MessagePage>, AppError>;

    /// A group's lag over the last `window_secs`.
    async fn lag_history(&self, group: String, window_secs: u64) -> Result<LagHistory, AppError>;

    /// The status pages' landing numbers.
    async fn pipeline_status(&self) -> Result<PipelineStatus, AppError>;

    /// The newest dead letters; the handled ones only when asked.
    async fn dead_letters(&self, include_handled: bool) -> Result<DeadLetterPage, AppError>;

    /// The quality findings' counts per rule.
    fn quality_summary(&self) -> QualitySummary;

    /// A page of quality findings.
    fn findings(&self, query: FindingsQuery) -> FindingsPage;

    /// Accepts a finding with a reason, for the signed-in admin `actor`.
    async fn accept_finding(&self, actor: String, id: String, reason: String) -> Result<Finding, AppError>;

    /// Reverts one change (its event id), for the signed-in admin `actor`.
    async fn revert_change(&self, actor: String, event_id: String, force: bool) -> WriteResult;

    /// Starts reverting an import job, for the signed-in admin `actor`: the revert's job.
    async fn revert_import(&self, actor: String, id: String) -> Result<ImportJob, AppError>;

    /// Sends dead letters back to their topics, or (`discard`) marks them
    /// handled, for the signed-in admin `actor`.
    async fn handle_dead_letters(
        &self,
        actor: String,
        ids: Vec<String>,
        discard: bool,
    ) -> Result<Vec<ActionOutcome>, AppError>;
}

/// How server functions find the ledger: `provide_context(SharedLedger)`.
pub type SharedLedger = Arc<dyn Ledger>;

/// The session key holding the signed-in admin's email.
pub const SESSION_USER: &str = "user";

/// The session key holding when the admin signed in (milliseconds since
/// 1970): a session ends a fixed time after it, however active.
pub const SESSION_SIGNED_IN_AT: &str = "signed_in_at";

pub fn ledger() -> Result<SharedLedger, AppError> {
    use_context::<SharedLedger>().ok_or_else(|| AppError::Internal("the server provided no ledger".into()))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(AppError::from_server_fn_error)
}

/// A session store failure, as the browser is told of it.
pub fn session_failed(error: tower_sessions::session::Error) -> AppError {
    AppError::Unavailable(format!("the session could not be read or saved: {error}"))
}

/// The signed-in admin's email, if any.
pub async fn current_user() -> Result<Option<String>, AppError> {
    session().await?.get::<String>(SESSION_USER).await.map_err(session_failed)
}

/// The signed-in admin's email, or a refusal that says to sign in.
pub async fn require_user() -> Result<String, AppError> {
    current_user().await?.ok_or_else(|| AppError::Unauthorized("not signed in".into()))
}

/// A signed-in admin's call: refused unless an admin is signed in; `work`
/// gets the admin's email (the events' actor) and the ledger, and its
/// error answers with its own status (`answer`).
pub async fn as_admin<T, F: Future<Output = Result<T, AppError>>>(
    work: impl FnOnce(String, SharedLedger) -> F,
) -> Result<T, AppError> {
    answer(async move {
        let admin = require_user().await?;
        work(admin, ledger()?).await
    })
    .await
}

/// Runs a server function's work and answers its error with that error's
/// status (a refusal is a 4xx, Kafka away a 503), not the default 500.
pub async fn answer<T>(work: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = work.await;
    if let Err(error) = &result {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            let status = http::StatusCode::from_u16(error.status());
            response.set_status(status.unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR));
            if let Some(seconds) = error.retry_after() {
                response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
            }
        }
    }
    result
}
