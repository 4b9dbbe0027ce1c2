//! Server functions: the browser's calls into the server. Each one is thin: it
//! finds the server's [`Backend`] in the request context and calls one method.

use crate::domain::health::Readiness;
use leptos::prelude::*;

/// What the server provides to server functions (implemented in the `geoledger`
/// server crate, which owns Kafka and MongoDB).
#[cfg(feature = "ssr")]
pub trait Backend: Send + Sync + 'static {
    fn readiness(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Readiness> + Send + '_>>;
}

/// How server functions find the backend: `provide_context(SharedBackend)`.
#[cfg(feature = "ssr")]
pub type SharedBackend = std::sync::Arc<dyn Backend>;

#[cfg(feature = "ssr")]
fn backend() -> Result<SharedBackend, ServerFnError> {
    use_context::<SharedBackend>().ok_or_else(|| ServerFnError::new("the server provided no backend"))
}

/// Checks every backend now.
#[server]
pub async fn get_readiness() -> Result<Readiness, ServerFnError> {
    Ok(backend()?.readiness().await)
}
