//! Start-up in the background: the topics on Kafka, and the indexes and first
//! admin on MongoDB (each side retrying while its backend is away, neither
//! waiting for the other), then the read index loaded whole, then the materializer, the other instances'
//! notices, the import progress watcher and the lag sampler (which shows the
//! materializer's watchdog every sample) until shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::http::AppState;
use crate::import;
use crate::index::ReadIndex;
use crate::kafka_admin::sampler::{self, LagWatch};
use crate::pipeline::backoff::Backoff;
use crate::pipeline::{GroupPosition, Materializer, RetryPolicy};
use crate::store::{DeadLetterHandlings, Store};

pub fn start(state: &AppState, shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let config = state.config.clone();
        let mongo = retry("indexes and the first admin", shutdown.clone(), || async {
            state.store.ensure_indexes().await?;
            state.tokens.ensure_indexes().await?;
            state.sessions.ensure_indexes().await?;
            state.importer.jobs().ensure_indexes().await?;
            state.lag_samples.ensure_indexes().await?;
            state.users.bootstrap(config.admin_email.as_deref(), config.admin_password.as_deref()).await
        });
        let kafka = retry("topics", shutdown.clone(), || async { Ok(state.kafka.ensure_topics().await?) });
        let (mongo, kafka) = tokio::join!(mongo, kafka);
        if !(mongo && kafka) {
            return;
        }
        // The index first: the materializer and the relay keep it in step from then on.
        let (index, store) = (state.index.clone(), state.store.clone());
        tokio::spawn(crate::pipeline::quality::tell(index.clone(), state.notices.clone(), shutdown.clone()));
        if !retry("the read index", shutdown.clone(), || async { Ok(index.load(&store).await.map(|_| ())?) }).await {
            return;
        }
        tokio::spawn(reload_when_stale(state.index.clone(), state.store.clone(), shutdown.clone()));
        let (activity, history) = (state.index.clone(), state.store.clone());
        tokio::spawn(retry("the activity feed's index", shutdown.clone(), move || {
            let (activity, history) = (activity.clone(), history.clone());
            async move { Ok(activity.load_activity(&history).await.map(|_| ())?) }
        }));
        state.store.warn_of_retired_indexes().await;
        // What the other instances apply, told to this one's browsers.
        let fanout = state.fanout.clone();
        let relay = fanout.clone().relay(state.notices.clone(), index.clone(), store.clone(), shutdown.clone());
        tokio::spawn(relay);
        let materializer = Arc::new(Materializer {
            kafka: state.kafka.clone(),
            store: state.store.clone(),
            notices: state.notices.clone(),
            index: state.index.clone(),
            fanout: fanout.clone(),
            imports: state.importer.jobs().clone(),
            retry: RetryPolicy {
                attempts: config.city_wait_retries,
                backoff: Backoff::new(Duration::from_millis(config.city_wait_backoff_ms), Duration::from_secs(5)),
            },
            watchdog: state.watchdog.clone(),
            handlings: DeadLetterHandlings::new(&state.mongo.db),
        });
        // Import jobs' progress, from the materializer's committed offsets.
        match GroupPosition::new(&state.kafka) {
            Ok(position) => {
                let (jobs, notices) = (state.importer.jobs().clone(), state.notices.clone());
                let stale = state.importer.limits().stale_after();
                tokio::spawn(import::progress::watch(jobs, stale, position, notices, shutdown.clone()));
            }
            Err(e) => tracing::error!(error = %e, "import progress cannot be watched"),
        }
        let lag = &config.lag;
        let watch = LagWatch {
            every: Duration::from_secs(lag.lag_sample_secs.max(1)),
            group: state.kafka.config.group(),
            topics: vec![state.kafka.config.city_topic(), state.kafka.config.pincode_topic()],
            alert_over: lag.lag_alert,
            alert_after: Duration::from_secs(lag.lag_alert_secs),
        };
        let (admin, samples, notices) = (state.kafka_admin.clone(), state.lag_samples.clone(), state.notices.clone());
        let watchdog = state.watchdog.clone();
        tokio::spawn(sampler::sample(admin, samples, notices, watch, watchdog, shutdown.clone()));
        let _ = materializer.spawn(shutdown).await;
    })
}

/// Reads the whole index again after a change could not be read back into it
/// (MongoDB away), once MongoDB answers.
async fn reload_when_stale(index: Arc<ReadIndex>, store: Store, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => return,
        }
        if index.is_stale() {
            if let Err(e) = index.load(&store).await {
                tracing::warn!(error = %e, "reading the index failed; trying again soon");
            }
        }
    }
}

/// Runs `step` until it succeeds (true), waiting longer after each failure, or
/// until shutdown (false).
async fn retry<F, Fut>(what: &str, mut shutdown: watch::Receiver<bool>, step: F) -> bool
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut wait = Duration::from_millis(250);
    loop {
        match step().await {
            Ok(()) => return true,
            Err(e) => tracing::warn!(what, error = %format!("{e:#}"), ?wait, "setting up failed; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return false,
        }
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}
