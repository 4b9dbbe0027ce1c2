//! Bulk imports: one engine behind the Import page, the REST API and
//! `geoledger import`.
//!
//! Invariants:
//! - An upload is written to disk as it arrives, never held whole in memory,
//!   and refused (413, nothing published) past the configured size.
//! - A row's change is published only when the domain rules accept the row, no
//!   later row of the file replaces it, and the read model does not hold it
//!   already: importing the same file twice publishes nothing the second time,
//!   and a re-run finishes a job that Kafka cut short.
//! - The job in MongoDB says, at every batch, which rows were refused, which
//!   changes were published, and which were not; its events carry its id, and
//!   "applied" is counted from the materializer's committed offsets, so it
//!   means in the read model.
//!
//! - `spool`: the upload to disk; `read`: the file as rows;
//! - `run`: one job, from the file to Kafka, with its pure parts apart:
//!   `sort` (which rows count), `report` (the report's words), `pace` (how
//!   far publishing runs ahead of the materializer);
//! - `progress`: how open jobs get on (applied, interrupted), for every browser.

mod pace;
pub mod progress;
mod read;
mod report;
mod revert;
mod run;
mod sort;
pub mod spool;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use app::domain::error::AppError;
use app::domain::import::format::Format;
use app::domain::import::job::{ChangeCounts, Door, ImportJob, JobReport, JobStatus, Problem, RowCounts};
use bytes::Bytes;
use futures::Stream;

use self::run::{Engine, Run, Source};
use self::spool::{spool, Spooled};
use crate::config::ImportConfig;
use crate::error::Error;
use crate::index::ReadIndex;
use crate::pipeline::Kafka;
use crate::service::Actor;
use crate::store::{ImportJobs, Store};

/// How many lines of a job's report its page and the API show (the CSV
/// download has them all).
pub const REPORT_LINES: usize = 1000;

/// Limits from the configuration.
#[derive(Clone, Debug)]
pub struct ImportLimits {
    /// The largest upload taken, in bytes.
    pub max_bytes: u64,
    /// Where uploads are written while they are imported.
    pub dir: PathBuf,
    /// Rows read, looked up and published at a time.
    pub batch: usize,
    /// How often a running job says it is alive.
    pub heartbeat: Duration,
    /// At most this many of a job's events wait to be applied (0: no limit).
    pub ahead: u64,
}

impl ImportLimits {
    pub fn of(config: &ImportConfig) -> Self {
        ImportLimits {
            max_bytes: config.import_max_bytes,
            dir: config.import_dir.clone().unwrap_or_else(std::env::temp_dir),
            batch: config.import_batch.max(1),
            heartbeat: Duration::from_millis(config.import_heartbeat_ms.max(10)),
            ahead: config.import_ahead,
        }
    }

    /// A running job not heard of for this long was interrupted.
    pub fn stale_after(&self) -> Duration {
        self.heartbeat * 6
    }
}

/// What came with a file.
#[derive(Clone, Debug)]
pub struct Upload {
    pub file_name: String,
    /// Named by the sender, or else read from the header row.
    pub format: Option<Format>,
    pub dry_run: bool,
    pub actor: Actor,
    pub door: Door,
}

impl Upload {
    /// A file sent through the API.
    pub fn new(file_name: &str, format: Option<Format>, dry_run: bool, actor: Actor) -> Self {
        Upload { file_name: file_name.to_string(), format, dry_run, actor, door: Door::Api }
    }
}

#[derive(Clone)]
pub struct Importer {
    kafka: Arc<Kafka>,
    store: Store,
    /// What a dry run lays its planned changes over, to count the findings it would open.
    index: Arc<ReadIndex>,
    jobs: ImportJobs,
    limits: ImportLimits,
}

fn new_job(upload: &Upload, bytes: u64) -> ImportJob {
    ImportJob {
        id: uuid::Uuid::now_v7().to_string(),
        file_name: upload.file_name.clone(),
        format: upload.format.unwrap_or(Format::Cities),
        dry_run: upload.dry_run,
        actor: upload.actor.name.clone(),
        door: upload.door,
        status: JobStatus::Running,
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        finished_at: None,
        bytes,
        rows: RowCounts::default(),
        changes: ChangeCounts::default(),
        error: None,
        findings: Vec::new(),
        reverts: None,
    }
}

/// A text field of a form as true or false ("true", "on", "1", "yes").
fn is_set(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "on" | "1" | "yes")
}

impl Importer {
    pub fn new(kafka: Arc<Kafka>, store: Store, index: Arc<ReadIndex>, jobs: ImportJobs, limits: ImportLimits) -> Self {
        Importer { kafka, store, index, jobs, limits }
    }

    /// Takes an upload (a CSV body as it streams in), and starts importing it
    /// in the background: the job, as it starts.
    pub async fn start<S, E>(&self, body: S, upload: Upload) -> Result<ImportJob, Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let spooled = spool(body, &self.limits.dir, self.limits.max_bytes).await?;
        self.begin(spooled, upload).await
    }

    /// Takes a multipart form: the file in a field named `file` (its file name
    /// the job's), and optionally `format` and `dry_run` fields.
    pub async fn start_multipart(
        &self,
        mut form: multer::Multipart<'static>,
        mut upload: Upload,
    ) -> Result<ImportJob, Error> {
        let broken = |e: multer::Error| AppError::BadRequest(format!("the form could not be read: {e}"));
        let mut file = None;
        while let Some(field) = form.next_field().await.map_err(broken)? {
            match field.name().unwrap_or_default() {
                "file" => {
                    if let Some(name) = field.file_name().filter(|n| !n.is_empty()) {
                        upload.file_name = name.to_string();
                    }
                    file = Some(spool(Box::pin(field), &self.limits.dir, self.limits.max_bytes).await?);
                }
                "format" => {
                    let text = field.text().await.map_err(broken)?;
                    if !text.trim().is_empty() && text.trim() != "auto" {
                        upload.format = Some(Format::parse(&text).map_err(|m| AppError::invalid("format", m))?);
                    }
                }
                "dry_run" => upload.dry_run = is_set(&field.text().await.map_err(broken)?),
                _ => {}
            }
        }
        let file = file.ok_or_else(|| AppError::invalid("file", "is required: the form has no file"))?;
        self.begin(file, upload).await
    }

    /// Saves the new job and runs it in the background.
    async fn begin(&self, spooled: Spooled, upload: Upload) -> Result<ImportJob, Error> {
        let job = new_job(&upload, spooled.bytes);
        self.jobs.save(&job).await?;
        let me = self.clone();
        let started = job.clone();
        tokio::spawn(async move {
            // The file is removed when the job is done with it.
            let Spooled { file, .. } = spooled;
            let path = file.path().to_path_buf();
            let source = Source::File { path, format: upload.format };
            Run::new(me.engine(), job, upload.actor, &|_| {}).run(source).await;
            drop(file);
        });
        Ok(started)
    }

    /// Imports a file on disk to its end, in the foreground (the CLI): the job
    /// once every change is published (or known not to be). `progress` sees
    /// the job after every batch.
    pub async fn run_file(
        &self,
        path: &Path,
        upload: Upload,
        progress: &(dyn Fn(&ImportJob) + Send + Sync),
    ) -> Result<ImportJob, Error> {
        let bytes = std::fs::metadata(path)
            .map_err(|e| AppError::BadRequest(format!("{} cannot be read: {e}", path.display())))?
            .len();
        if bytes > self.limits.max_bytes {
            return Err(AppError::TooLarge(format!(
                "{} is larger than the import limit of {} (GEOLEDGER_IMPORT_MAX_BYTES)",
                path.display(),
                spool::human_bytes(self.limits.max_bytes)
            ))
            .into());
        }
        let job = new_job(&upload, bytes);
        self.jobs.save(&job).await?;
        let source = Source::File { path: path.to_path_buf(), format: upload.format };
        Ok(Run::new(self.engine(), job, upload.actor, progress).run(source).await)
    }

    pub async fn recent(&self, limit: i64) -> Result<Vec<ImportJob>, Error> {
        Ok(self.jobs.recent(limit).await?)
    }

    async fn job(&self, id: &str) -> Result<ImportJob, Error> {
        self.jobs.get(id).await?.ok_or_else(|| Error::not_found(format!("no import job {id}")))
    }

    /// The job and the first lines of its report.
    pub async fn report(&self, id: &str) -> Result<JobReport, Error> {
        let job = self.job(id).await?;
        let (problems, total_problems) = self.jobs.problems(id, REPORT_LINES).await?;
        Ok(JobReport { job, problems, total_problems })
    }

    /// The whole report, as CSV.
    pub async fn report_csv(&self, id: &str) -> Result<String, Error> {
        self.job(id).await?;
        let (problems, _) = self.jobs.problems(id, usize::MAX).await?;
        Ok(Problem::csv(&problems))
    }

    fn engine(&self) -> Engine<'_> {
        let limits = &self.limits;
        Engine {
            kafka: &self.kafka,
            store: &self.store,
            index: &self.index,
            jobs: &self.jobs,
            batch: limits.batch,
            heartbeat: limits.heartbeat,
            ahead: limits.ahead,
        }
    }

    /// Starts undoing an import, as a job of its own (`revert`): the new
    /// job, as it starts. 404 for no such job, 409 for one still running or a dry run.
    pub async fn start_revert(&self, id: &str, force: bool, actor: Actor, door: Door) -> Result<ImportJob, Error> {
        let original = self.job(id).await?;
        if original.status.is_open() {
            return Err(Error::conflict(format!(
                "import {id} is still {}: revert it once it ends",
                original.status.label()
            )));
        }
        if original.dry_run {
            return Err(Error::conflict(format!("import {id} was a dry run: it changed nothing")));
        }
        let name = format!("revert of {}", original.file_name);
        let upload = Upload { door, ..Upload::new(&name, Some(original.format), false, actor) };
        let job = ImportJob { reverts: Some(original.id.clone()), ..new_job(&upload, 0) };
        self.jobs.save(&job).await?;
        let (me, started) = (self.clone(), job.clone());
        tokio::spawn(async move {
            let source = Source::Revert { job: original.id, force };
            Run::new(me.engine(), job, upload.actor, &|_| {}).run(source).await;
        });
        Ok(started)
    }

    pub fn limits(&self) -> &ImportLimits {
        &self.limits
    }

    pub fn jobs(&self) -> &ImportJobs {
        &self.jobs
    }
}
