//! How open import jobs get on after their runner has published: the share of
//! their events in the read model, counted from the materializer's committed
//! offsets (an offset is committed only after its event was applied or
//! dead-lettered), and jobs whose runner died (no heartbeat). Every instance
//! watches every open job and tells its own browsers.

use std::collections::HashMap;
use std::time::Duration;

use app::domain::import::job::{ImportJob, JobStatus};
use app::domain::notice::Notice;
use mongodb::bson::DateTime;
use tokio::sync::watch;

use crate::pipeline::{GroupPosition, KafkaError, Notices};
use crate::store::{EventOffsets, ImportJobs, Watched};

/// How often open jobs are looked at.
const EVERY: Duration = Duration::from_millis(500);

/// Brings the job's applied count and status up to date: applied from the
/// group's committed offsets, done once everything published is applied (or
/// dead-lettered), interrupted when its runner has been silent for `stale`.
pub async fn refresh(
    job: &mut ImportJob,
    offsets: &EventOffsets,
    heartbeat: Option<DateTime>,
    stale: Duration,
    position: &GroupPosition,
) -> Result<(), KafkaError> {
    let now = DateTime::now();
    let silent = heartbeat.is_none_or(|h| now.timestamp_millis() - h.timestamp_millis() > stale.as_millis() as i64);
    if job.status == JobStatus::Running && silent {
        job.status = JobStatus::Interrupted;
        job.error.get_or_insert_with(|| "the process running it ended before it finished".into());
        job.finished_at = Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        return Ok(());
    }
    if offsets.partitions.is_empty() {
        return Ok(());
    }
    let partitions: Vec<(String, i32)> = offsets.partitions.iter().map(|p| (p.topic.clone(), p.partition)).collect();
    let committed = position.committed(&partitions).await?;
    let handled = offsets.count_before(|topic, partition| committed.get(&(topic.to_string(), partition)).copied());
    job.changes.applied = handled.saturating_sub(job.changes.failed);
    if job.status == JobStatus::Applying && handled >= job.changes.published {
        job.status = JobStatus::Done;
        job.finished_at = Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    }
    Ok(())
}

/// What a browser would see change: the status and the counts.
type Seen = (JobStatus, u64, u64, u64, u64, u64, u64);

fn seen(job: &ImportJob) -> Seen {
    let (r, c) = (&job.rows, &job.changes);
    (job.status, r.read, c.planned, c.published, c.unpublished, c.applied, c.failed)
}

/// How many of the newest jobs every browser hears the end of (a job can
/// start and end between two looks).
const RECENT: i64 = 20;

/// Watches the open jobs and the newest ones until shutdown: saves what moved
/// (applied, done, interrupted), and tells this instance's browsers of every
/// job whose counts or status changed since the last look.
pub async fn watch(
    jobs: ImportJobs,
    stale: Duration,
    position: GroupPosition,
    notices: Notices,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut last: HashMap<String, Seen> = HashMap::new();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.changed() => return,
        }
        let (open, recent) = match tokio::try_join!(jobs.open(), jobs.recent_with_offsets(RECENT)) {
            Ok(found) => found,
            Err(e) => {
                tracing::debug!(error = %e, "import progress");
                continue;
            }
        };
        let mut watched: HashMap<String, Watched> = recent.into_iter().map(|w| (w.0.id.clone(), w)).collect();
        watched.extend(open.into_iter().map(|w| (w.0.id.clone(), w)));
        for (id, (mut job, offsets, heartbeat)) in watched.iter().map(|(id, w)| (id.clone(), w.clone())) {
            if job.status.is_open() {
                let status = job.status;
                if let Err(e) = refresh(&mut job, &offsets, heartbeat, stale, &position).await {
                    tracing::debug!(job = %id, error = %e, "import progress");
                    continue;
                }
                let moved = job.status != status || job.status != JobStatus::Running;
                if moved {
                    if let Err(e) = jobs.set_progress(&job).await {
                        tracing::debug!(job = %id, error = %e, "import progress");
                        continue;
                    }
                }
            }
            if last.get(&id) != Some(&seen(&job)) {
                last.insert(id, seen(&job));
                notices.send(Notice::Import(Box::new(job)));
            }
        }
        last.retain(|id, _| watched.contains_key(id));
    }
}
