//! Server functions: the browser's calls into the server. Each one is thin: it
//! finds the server's [`Backend`] in the request context and calls one method.
//!
//! Each has a fixed address, `/api/<name>`: Leptos would otherwise add a hash
//! that differs between builds of the same source from two folders, and a page
//! loaded before a deploy could not reach the next build's server (several
//! instances behind one address are updated one after another).

use crate::domain::city::{CityListQuery, CityPage};
use crate::domain::health::Readiness;
use crate::domain::write::{Refusal, WriteResult};
use leptos::prelude::*;
use std::collections::HashMap;

#[cfg(feature = "ssr")]
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// The map's tiles, from the server's configuration.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MapConfig {
    /// Empty: no tiles (the map still shows markers).
    pub tile_url: String,
    pub attribution: String,
}

/// What a pincode form asks for.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum PincodeCommand {
    Upsert,
    Delete { code: String },
}

/// What a city form asks for.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum CityCommand {
    Create,
    Update { name: String, state: String },
    Delete { name: String, state: String },
    Restore { name: String, state: String },
}

/// What the server provides to server functions (implemented in the `geoledger`
/// server crate, which owns Kafka and MongoDB).
#[cfg(feature = "ssr")]
pub trait Backend: Send + Sync + 'static {
    fn readiness(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Readiness> + Send + '_>>;

    /// The admin's email when the password is right.
    fn verify_login<'a>(
        &'a self,
        email: &'a str,
        password: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<String>, String>> + Send + 'a>>;

    fn map_config(&self) -> MapConfig;

    /// A city, its pincodes and its history, by id.
    fn city_details(&self, id: String) -> BoxFuture<'_, Result<Option<crate::domain::history::CityDetails>, Refusal>>;

    fn list_pincodes(&self, query: crate::domain::pincode::PincodeListQuery) -> BoxFuture<'_, Result<crate::domain::pincode::PincodePage, Refusal>>;

    fn pincode_command(&self, actor: String, command: PincodeCommand, fields: HashMap<String, String>) -> BoxFuture<'_, WriteResult>;

    fn list_cities(&self, query: CityListQuery) -> BoxFuture<'_, Result<CityPage, Refusal>>;

    /// Runs a city command for the signed-in admin `actor`; `fields` are the form's text.
    fn city_command(&self, actor: String, command: CityCommand, fields: HashMap<String, String>) -> BoxFuture<'_, WriteResult>;
}

/// The session key holding the signed-in admin's email.
#[cfg(feature = "ssr")]
pub const SESSION_USER: &str = "user";

/// The signed-in admin's email, or an error that says to sign in.
#[cfg(feature = "ssr")]
pub async fn require_user() -> Result<String, ServerFnError> {
    current_user_email().await?.ok_or_else(|| ServerFnError::new("not signed in"))
}

#[cfg(feature = "ssr")]
async fn current_user_email() -> Result<Option<String>, ServerFnError> {
    let session: tower_sessions::Session = leptos_axum::extract().await?;
    session.get::<String>(SESSION_USER).await.map_err(|e| ServerFnError::new(format!("session: {e}")))
}

/// How server functions find the backend: `provide_context(SharedBackend)`.
#[cfg(feature = "ssr")]
pub type SharedBackend = std::sync::Arc<dyn Backend>;

#[cfg(feature = "ssr")]
fn backend() -> Result<SharedBackend, ServerFnError> {
    use_context::<SharedBackend>().ok_or_else(|| ServerFnError::new("the server provided no backend"))
}

/// Checks every backend now.
#[server(endpoint = "get_readiness")]
pub async fn get_readiness() -> Result<Readiness, ServerFnError> {
    require_user().await?;
    Ok(backend()?.readiness().await)
}

/// The signed-in admin, if any.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<String>, ServerFnError> {
    current_user_email().await
}

/// Signs an admin in and sends the browser on to `next` (a path of this site).
#[server(endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), ServerFnError> {
    let Some(user) = backend()?.verify_login(&email, &password).await.map_err(ServerFnError::new)? else {
        // A refusal, not a server failure: 401, and no error in the server's log.
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::UNAUTHORIZED);
        }
        return Err(ServerFnError::new("Wrong email or password."));
    };
    let session: tower_sessions::Session = leptos_axum::extract().await?;
    // A new session id on sign-in: an id planted before cannot be taken over.
    session.cycle_id().await.map_err(|e| ServerFnError::new(format!("session: {e}")))?;
    session.insert(SESSION_USER, user).await.map_err(|e| ServerFnError::new(format!("session: {e}")))?;
    let next = next.filter(|n| n.starts_with('/') && !n.starts_with("//")).unwrap_or_else(|| "/".into());
    leptos_axum::redirect(&next);
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), ServerFnError> {
    let session: tower_sessions::Session = leptos_axum::extract().await?;
    session.flush().await.map_err(|e| ServerFnError::new(format!("session: {e}")))?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// One page of cities.
#[server(endpoint = "list_cities", input = server_fn::codec::Json)]
pub async fn list_cities(query: CityListQuery) -> Result<Result<CityPage, Refusal>, ServerFnError> {
    require_user().await?;
    Ok(backend()?.list_cities(query).await)
}

/// Creates, changes, deletes or restores a city. Refusals (invalid fields, a
/// conflict, Kafka away) come back as values, to show beside the form.
#[server(endpoint = "run_city_command", input = server_fn::codec::Json)]
pub async fn run_city_command(command: CityCommand, fields: HashMap<String, String>) -> Result<WriteResult, ServerFnError> {
    let actor = require_user().await?;
    Ok(backend()?.city_command(actor, command, fields).await)
}

#[server(endpoint = "get_map_config")]
pub async fn get_map_config() -> Result<MapConfig, ServerFnError> {
    require_user().await?;
    Ok(backend()?.map_config())
}

/// A city with its pincodes and history (None: no such city).
#[server(endpoint = "get_city_details")]
pub async fn get_city_details(id: String) -> Result<Result<Option<crate::domain::history::CityDetails>, Refusal>, ServerFnError> {
    require_user().await?;
    Ok(backend()?.city_details(id).await)
}

/// One page of pincodes (by code prefix, or in a box).
#[server(endpoint = "list_pincodes", input = server_fn::codec::Json)]
pub async fn list_pincodes(query: crate::domain::pincode::PincodeListQuery) -> Result<Result<crate::domain::pincode::PincodePage, Refusal>, ServerFnError> {
    require_user().await?;
    Ok(backend()?.list_pincodes(query).await)
}

/// Adds, changes or deletes a pincode.
#[server(endpoint = "run_pincode_command", input = server_fn::codec::Json)]
pub async fn run_pincode_command(command: PincodeCommand, fields: HashMap<String, String>) -> Result<WriteResult, ServerFnError> {
    let actor = require_user().await?;
    Ok(backend()?.pincode_command(actor, command, fields).await)
}
