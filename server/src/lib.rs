//! The GeoLedger server: the HTTP surface (pages, server functions, the REST
//! API), the event pipeline on Kafka, and the read model in MongoDB.
//!
//! Rooms, from the bottom up; each imports only those below it:
//!
//! - `config`, `telemetry`: settings and logging;
//! - `store/`: the read model in MongoDB (reads, the apply step, documents);
//! - `pipeline/`: Kafka — the producer, the materializer, notices, replay;
//! - `kafka_admin/`: what the status pages read of Kafka (topics, groups, lag);
//! - `auth/`: admins, sessions, API tokens;
//! - `error`: what can stop a request;
//! - `service/`: the write side (`Commands`) and the read side (`Queries`);
//! - `import/`: bulk imports, one engine for the page, the API and the CLI;
//! - `http/`: router, guard, REST, SSE, health, the server functions' port;
//! - `setup`: topics, indexes and the first admin at start, then the materializer.

pub mod auth;
pub mod config;
pub mod error;
pub mod http;
pub mod import;
pub mod kafka_admin;
pub mod pipeline;
pub mod service;
pub mod setup;
pub mod store;
pub mod telemetry;

use anyhow::Context;

use crate::config::Config;
use crate::http::AppState;

/// Connects to the backends (without waiting for them: readiness reports them)
/// and serves until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let state = AppState::connect(config).await?;
    let background = setup::start(&state, state.stopping.subscribe());
    let listen = state.config.listen;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!("GeoLedger listening on http://{}", listener.local_addr()?);
    let stopping = state.stopping.clone();
    axum::serve(listener, http::router(state.clone()))
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            // Live streams never end by themselves: this ends them, or the
            // server would wait for every open browser tab.
            stopping.send_replace(true);
        })
        .await?;
    // Let the materializer finish the event in hand and commit its offsets.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), background).await;
    state.mongo.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
