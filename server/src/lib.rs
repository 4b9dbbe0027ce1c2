//! The GeoLedger server: the HTTP surface (pages, server functions, the REST
//! API), the event pipeline on Kafka, and the read model in MongoDB.
//!
//! Rooms, from the bottom up; each imports only those below it:
//!
//! - `config`, `telemetry`: settings and logging;
//! - `store/`: the read model in MongoDB (reads, the apply step, documents);
//! - `index/`: the read indexes in memory (listings, name search, the map);
//! - `pipeline/`: Kafka — the producer, the materializer, notices, replay;
//! - `kafka_admin/`: what the status pages read of Kafka (topics, groups, lag);
//! - `auth/`: admins, sessions, API tokens;
//! - `error`: what can stop a request;
//! - `service/`: the write side (`Commands`) and the read side (`Queries`);
//! - `import/`: bulk imports, one engine for the page, the API and the CLI;
//! - `export/`: exports pinned to Kafka offsets, streamed from the index and the store;
//! - `http/`: router, guard, REST, SSE, health, the server functions' port;
//! - `setup`: topics, indexes and the first admin at start, then the materializer.

pub mod auth;
pub mod config;
pub mod error;
pub mod export;
pub mod http;
pub mod import;
pub mod index;
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
/// and serves until Ctrl-C or SIGTERM, then stops within 10 s: no new
/// connection, live streams ended, requests in flight answered, the
/// materializer's offsets committed, the producer flushed.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let state = AppState::connect(config).await?;
    let background = setup::start(&state, state.stopping.subscribe());
    let listen = state.config.listen;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!(address = %listener.local_addr()?, "GeoLedger listening");
    let stopping = state.stopping.clone();
    let mut stopped = state.stopping.subscribe();
    // Each request knows the address it came from (sign-in throttling).
    let app = http::router(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        // Live streams never end by themselves: this ends them, or the server
        // would wait for every open browser tab.
        stopping.send_replace(true);
    });
    // From the signal: no new connection is taken; requests in flight (a write
    // waiting for Kafka's acknowledgement) get a few seconds to be answered.
    let overdue = async move {
        let _ = stopped.wait_for(|s| *s).await;
        tokio::time::sleep(SHUTDOWN.requests).await;
    };
    tokio::select! {
        served = serving => served?,
        _ = overdue => tracing::warn!(after = ?SHUTDOWN.requests, "requests still in flight: stopping anyway"),
    }
    // The materializer finishes the event in hand and commits its offsets;
    // whatever the producer still holds (dead letters, notices) is delivered.
    if tokio::time::timeout(SHUTDOWN.background, background).await.is_err() {
        tracing::warn!(within = ?SHUTDOWN.background, "the materializer did not stop");
    }
    let kafka = state.kafka.clone();
    let _ = tokio::task::spawn_blocking(move || kafka.flush(SHUTDOWN.deliveries)).await;
    state.mongo.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// How long each step of stopping may take: within 10 s of SIGTERM in all.
struct Shutdown {
    requests: std::time::Duration,
    background: std::time::Duration,
    deliveries: std::time::Duration,
}

const SHUTDOWN: Shutdown = Shutdown {
    requests: std::time::Duration::from_secs(5),
    background: std::time::Duration::from_secs(2),
    deliveries: std::time::Duration::from_secs(1),
};

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
