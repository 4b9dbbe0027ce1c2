//! The GeoLedger server: configuration, the axum router (SSR pages, server
//! functions, health), and the backends (Kafka, MongoDB).

pub mod backend;
pub mod config;
pub mod health;
pub mod kafka;
pub mod mongo;
pub mod router;
pub mod telemetry;

use anyhow::Context;
use config::Config;

/// Connects to the backends (without waiting for them: readiness reports them)
/// and serves until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let backend = backend::Backend::connect(&config).await?;
    let app = router::router(&config, backend)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!("GeoLedger listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
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
