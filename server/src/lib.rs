//! The GeoLedger server: configuration, the axum router (SSR pages, server
//! functions, health), and the backends (Kafka, MongoDB).

pub mod api;
pub mod auth;
pub mod backend;
pub mod config;
pub mod health;
pub mod kafka;
pub mod materializer;
pub mod mongo;
pub mod replay;
pub mod router;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod tokens;

use anyhow::Context;
use config::Config;

/// Connects to the backends (without waiting for them: readiness reports them)
/// and serves until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let backend = backend::Backend::connect(&config).await?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let background = backend.start(stopped);
    let app = router::router(&config, backend.clone())?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!("GeoLedger listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        })
        .await?;
    // Let the materializer finish the event in hand and commit its offsets.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), background).await;
    backend.mongo.close().await;
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
