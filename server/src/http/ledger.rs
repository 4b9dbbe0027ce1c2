//! The server functions' port, implemented: each method calls one service
//! function and answers its error (`http::error::answer`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use app::api::ssr::Ledger;
use app::api::{CityCommand, KafkaOverview, MapConfig, PincodeCommand};
use app::domain::activity::{ActivityPage, ActivityQuery};
use app::domain::city::{CityListQuery, CityPage};
use app::domain::dead_letter::{ActionOutcome, DeadLetterPage};
use app::domain::error::AppError;
use app::domain::health::Readiness;
use app::domain::history::CityDetails;
use app::domain::import::job::{Door, ImportJob, JobReport};
use app::domain::kafka::{Group, LagHistory, MessagePage, MessageQuery, PipelineStatus};
use app::domain::lookup::{Hits, Nearest};
use app::domain::map::{MapQuery, MapView};
use app::domain::pincode::{PincodeListQuery, PincodePage};
use app::domain::quality::{Finding, FindingsPage, FindingsQuery, QualitySummary};
use app::domain::schema::EventSchema;
use app::domain::write::WriteResult;
use axum::extract::ConnectInfo;
use leptos::prelude::use_context;
use leptos::server_fn::codec::MultipartData;
use serde_json::{Map, Value};

use super::error::answer;
use super::health::readiness;
use super::schemas;
use super::state::AppState;
use crate::auth::normalize_email;
use crate::error::Error;
use crate::import::Upload;
use crate::service::{status, Actor};

/// The address the request being answered came from: the configured proxy
/// header's (the last address in it), else the connection's.
fn client_address(header: Option<&str>) -> Option<IpAddr> {
    let parts = use_context::<http::request::Parts>()?;
    if let Some(name) = header {
        let value = parts.headers.get(name)?.to_str().ok()?;
        return value.rsplit(',').next()?.trim().parse().ok();
    }
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
}

/// A form's text as the loose record the domain rules read.
fn text_record(fields: HashMap<String, String>) -> Map<String, Value> {
    fields.into_iter().map(|(k, v)| (k, Value::String(v))).collect()
}

#[async_trait::async_trait]
impl Ledger for AppState {
    async fn readiness(&self) -> Readiness {
        readiness(self).await
    }

    async fn verify_login(&self, email: &str, password: &str) -> Result<Option<String>, AppError> {
        let address = client_address(self.config.limits.client_address_header.as_deref());
        if let Err(wait) = self.login_throttle.admit(address, &normalize_email(email)) {
            let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let unit = if retry_after == 1 { "second" } else { "seconds" };
            let message = format!("Too many sign-in attempts. Try again in {retry_after} {unit}.");
            return Err(AppError::TooMany { message, retry_after });
        }
        self.users.verify(email, password).await.map_err(|e| answer(Error::Store(e)))
    }

    fn map_config(&self) -> MapConfig {
        MapConfig { tile_url: self.config.tile_url.clone(), attribution: self.config.tile_attribution.clone() }
    }

    fn event_schemas(&self) -> Vec<EventSchema> {
        schemas::event_schemas()
    }

    async fn list_cities(&self, query: CityListQuery) -> Result<CityPage, AppError> {
        self.queries.list_cities(query).await.map_err(answer)
    }

    async fn city_details(&self, id: String) -> Result<Option<CityDetails>, AppError> {
        self.queries.city_details(&id).await.map_err(answer)
    }

    async fn activity(&self, query: ActivityQuery) -> Result<ActivityPage, AppError> {
        self.queries.activity(&query).await.map_err(answer)
    }

    async fn list_pincodes(&self, query: PincodeListQuery) -> Result<PincodePage, AppError> {
        self.queries.list_pincodes(query).await.map_err(answer)
    }

    async fn map_view(&self, query: MapQuery) -> Result<MapView, AppError> {
        Ok(self.queries.map_view(query))
    }

    fn nearest(&self, latitude: f64, longitude: f64, limit: usize) -> Result<Nearest, AppError> {
        let (lat, lon, limit) = (latitude.to_string(), longitude.to_string(), limit.to_string());
        self.queries.nearest(Some(&lat), Some(&lon), Some(&limit)).map_err(answer)
    }

    fn search(&self, q: &str) -> Hits {
        self.queries.search(q)
    }

    async fn city_command(&self, actor: String, command: CityCommand, fields: HashMap<String, String>) -> WriteResult {
        let (actor, record, commands) = (Actor::admin(actor), text_record(fields), &self.commands);
        let result = match command {
            CityCommand::Create => commands.create_city(&actor, &record).await,
            CityCommand::Update { name, state } => commands.update_city(&actor, &name, &state, &record).await,
            CityCommand::Delete { name, state } => commands.delete_city(&actor, &name, &state).await,
            CityCommand::Restore { name, state } => commands.restore_city(&actor, &name, &state).await,
        };
        result.map_err(answer)
    }

    async fn pincode_command(
        &self,
        actor: String,
        command: PincodeCommand,
        fields: HashMap<String, String>,
    ) -> WriteResult {
        let (actor, record, commands) = (Actor::admin(actor), text_record(fields), &self.commands);
        let result = match command {
            PincodeCommand::Upsert => commands.upsert_pincode(&actor, &record).await,
            PincodeCommand::Delete { code } => commands.delete_pincode(&actor, &code).await,
        };
        result.map_err(answer)
    }

    async fn start_import(&self, actor: String, form: MultipartData) -> Result<ImportJob, AppError> {
        let form = form.into_inner().ok_or_else(|| AppError::BadRequest("no form was sent".into()))?;
        let upload = Upload { door: Door::Page, ..Upload::new("upload.csv", None, false, Actor::admin(actor)) };
        self.importer.start_multipart(form, upload).await.map_err(answer)
    }

    async fn list_imports(&self) -> Result<Vec<ImportJob>, AppError> {
        self.importer.recent(50).await.map_err(answer)
    }

    async fn import_report(&self, id: String) -> Result<JobReport, AppError> {
        self.importer.report(&id).await.map_err(answer)
    }

    async fn kafka_overview(&self) -> Result<KafkaOverview, AppError> {
        let (cluster, groups) = self.kafka_admin.cluster().await.map_err(|e| answer(e.into()))?;
        Ok(KafkaOverview { cluster, groups })
    }

    async fn kafka_group(&self, id: String) -> Result<Option<Group>, AppError> {
        self.kafka_admin.group(&id).await.map_err(|e| answer(e.into()))
    }

    async fn kafka_messages(&self, topic: String, query: MessageQuery) -> Result<Option<MessagePage>, AppError> {
        self.kafka_admin.messages(&topic, query).await.map_err(|e| answer(e.into()))
    }

    async fn lag_history(&self, group: String, window_secs: u64) -> Result<LagHistory, AppError> {
        self.lag_samples.history(&group, window_secs).await.map_err(|e| answer(e.into()))
    }

    async fn pipeline_status(&self) -> Result<PipelineStatus, AppError> {
        let (admin, group) = (&self.kafka_admin, self.config.kafka.group());
        status::pipeline(admin, &self.dead_letters, &group, &self.watchdog).await.map_err(answer)
    }

    async fn dead_letters(&self, include_handled: bool) -> Result<DeadLetterPage, AppError> {
        self.dead_letters.list(include_handled).await.map_err(answer)
    }

    fn quality_summary(&self) -> QualitySummary {
        self.quality.summary()
    }

    fn findings(&self, query: FindingsQuery) -> FindingsPage {
        self.index.findings(&query)
    }

    async fn accept_finding(&self, actor: String, id: String, reason: String) -> Result<Finding, AppError> {
        self.quality.accept(&id, Some(&reason), &Actor::admin(actor)).await.map_err(answer)
    }

    async fn revert_change(&self, actor: String, event_id: String, force: bool) -> WriteResult {
        self.commands.revert(&Actor::admin(actor), &event_id, force).await.map_err(answer)
    }

    async fn revert_import(&self, actor: String, id: String) -> Result<ImportJob, AppError> {
        self.importer.start_revert(&id, false, Actor::admin(actor), Door::Page).await.map_err(answer)
    }

    async fn handle_dead_letters(
        &self,
        actor: String,
        ids: Vec<String>,
        discard: bool,
    ) -> Result<Vec<ActionOutcome>, AppError> {
        let actor = Actor::admin(actor);
        let handled = match discard {
            true => self.dead_letters.discard(&ids, &actor).await,
            false => self.dead_letters.redrive(&ids, &actor).await,
        };
        handled.map_err(answer)
    }
}
