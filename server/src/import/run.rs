//! Running one import job: read the file, check each row with the domain
//! rules, compare with the read model a batch at a time, publish what
//! changes, and keep the job's counts and report in MongoDB as it goes.
//!
//! The decisions are made apart, pure: which rows count (`sort`), the
//! report's words (`report`), how far publishing runs ahead (`pace`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use app::domain::city::CityFields;
use app::domain::event::Change;
use app::domain::import::format::Format;
use app::domain::import::india_post::{Directory, Made};
use app::domain::import::job::{ChangeCounts, FindingCount, ImportJob, JobStatus, Problem, RowCounts};
use app::domain::pincode::PincodeFields;
use tokio::sync::mpsc::Receiver;

use super::pace::{Next, Pace, STALLED};
use super::read::{CsvFile, ReadRow};
use super::report;
use super::sort::{self, Gathered};
use crate::error::Error;
use crate::index::ReadIndex;
use crate::pipeline::{GroupPosition, Kafka};
use crate::service::batch::{self, CityRule, Plan};
use crate::service::Actor;
use crate::store::{EventOffsets, ImportJobs, Store};
use crate::telemetry::metrics;

/// What a run works with.
pub(super) struct Engine<'a> {
    pub kafka: &'a Kafka,
    pub store: &'a Store,
    pub index: &'a ReadIndex,
    pub jobs: &'a ImportJobs,
    /// Rows read, looked up and published at a time.
    pub batch: usize,
    /// How often the job says it is alive.
    pub heartbeat: std::time::Duration,
    /// At most this many of the job's events wait to be applied (0: no limit).
    pub ahead: u64,
}

/// What a job imports: a file, or the undoing of an earlier job.
pub(super) enum Source {
    File {
        path: PathBuf,
        format: Option<Format>,
    },
    /// `force`: entities changed since that job are put back too.
    Revert {
        job: String,
        force: bool,
    },
}

/// What the runner keeps between batches.
pub(super) struct Run<'a> {
    pub(super) engine: Engine<'a>,
    pub job: ImportJob,
    actor: Actor,
    offsets: EventOffsets,
    /// Report lines not yet written.
    pub(super) problems: Vec<Problem>,
    /// Why publishing stopped (Kafka failed): later changes are not tried.
    stopped: Option<String>,
    /// How far the materializer has got, while publishing keeps pace with it
    /// (none: no limit, or it stalled).
    pace: Option<GroupPosition>,
    progress: &'a (dyn Fn(&ImportJob) + Send + Sync),
    /// The counts as last added to the metrics.
    counted: (RowCounts, ChangeCounts),
    /// A dry run's planned cities and pincodes, and their lines by city id
    /// or pincode: the findings the file would open are counted at its end.
    planned: Option<Planned>,
}

/// What a dry run plans, kept for `ReadIndex::would_open`.
#[derive(Default)]
struct Planned {
    cities: Vec<(String, CityFields)>,
    pincodes: Vec<PincodeFields>,
    lines: HashMap<String, Vec<u64>>,
}

/// How many example lines of each rule's findings a dry run's report gets.
const FINDING_EXAMPLES: usize = 20;

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Reads the file on a blocking thread, `batch` rows at a time: the batches
/// arrive in order (two at most wait), or why the file cannot be read on.
fn read_in_batches(path: PathBuf, format: Format, batch: usize) -> Receiver<Result<Vec<ReadRow>, String>> {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        let file = match CsvFile::open(&path, Some(format)) {
            Ok(f) => f,
            Err(e) => return drop(tx.blocking_send(Err(e))),
        };
        let mut rows = Vec::with_capacity(batch);
        for item in file {
            match item {
                Ok(row) => rows.push(row),
                Err(e) => return drop(tx.blocking_send(Err(e))),
            }
            // A send fails only when the job stopped listening: stop reading.
            if rows.len() == batch && tx.blocking_send(Ok(std::mem::take(&mut rows))).is_err() {
                return;
            }
        }
        if !rows.is_empty() {
            let _ = tx.blocking_send(Ok(rows));
        }
    });
    rx
}

/// The file cannot be read on: the job fails, saying why.
fn unreadable(message: String) -> Error {
    app::domain::error::AppError::BadRequest(message).into()
}

impl<'a> Run<'a> {
    pub(super) fn new(
        engine: Engine<'a>,
        job: ImportJob,
        actor: Actor,
        progress: &'a (dyn Fn(&ImportJob) + Send + Sync),
    ) -> Self {
        let counted = (RowCounts::default(), ChangeCounts::default());
        let pace = (engine.ahead > 0 && !job.dry_run).then(|| GroupPosition::new(engine.kafka).ok()).flatten();
        let dry_run = job.dry_run;
        Run {
            engine,
            job,
            actor,
            offsets: EventOffsets::default(),
            problems: Vec::new(),
            stopped: None,
            pace,
            progress,
            counted,
            planned: dry_run.then(Planned::default),
        }
    }

    /// Runs the job to its end: every change published (or known not to be).
    /// The job as it ends is saved, whatever happens.
    pub(super) async fn run(mut self, source: Source) -> ImportJob {
        let (jobs, every) = (self.engine.jobs.clone(), self.engine.heartbeat);
        let id = self.job.id.clone();
        // A heartbeat while it runs: a job whose process died shows as interrupted.
        let heartbeat = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let _ = jobs.touch(&id).await;
            }
        });
        let outcome = match source {
            Source::File { path, format } => self.read_and_publish(path, format).await,
            Source::Revert { job, force } => self.revert(&job, force).await,
        };
        heartbeat.abort();
        if let Err(e) = outcome {
            // The job's report says why it stopped; an admin reads it there.
            tracing::warn!(job = %self.job.id, file = %self.job.file_name, error = %e, "an import stopped");
            self.job.error = Some(e.to_string());
        }
        self.finish().await
    }

    async fn read_and_publish(&mut self, path: PathBuf, format: Option<Format>) -> Result<(), Error> {
        let opened = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                CsvFile::open(&path, format).map(|f| (f.header.format, f.unknown_columns()))
            })
            .await
            .map_err(|e| unreadable(e.to_string()))?
        };
        let (format, unknown) = opened.map_err(|e| {
            self.problems.push(report::unreadable_header(e.clone()));
            unreadable(e)
        })?;
        self.job.format = format;
        if !unknown.is_empty() {
            self.problems.push(report::ignored_columns(format, &unknown));
        }
        match format {
            Format::Cities | Format::Pincodes => self.rows(path, format).await?,
            Format::IndiaPost => self.directory(path).await?,
        }
        self.count_findings();
        Ok(())
    }

    /// A file of cities or pincodes: one pass to find which row of each key
    /// is the last (it wins), then one to check, compare and publish.
    async fn rows(&mut self, path: PathBuf, format: Format) -> Result<(), Error> {
        let last = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || sort::last_lines(CsvFile::open(&path, Some(format))?))
                .await
                .map_err(|e| unreadable(e.to_string()))?
                .map_err(unreadable)?
        };
        let (last, total) = last;
        self.job.rows.total = total;
        self.save().await?;
        let batch = self.engine.batch;
        let mut batches = read_in_batches(path, format, batch);
        while let Some(rows) = batches.recv().await {
            let Gathered { cities, pincodes } =
                sort::gather_rows(rows.map_err(unreadable)?, &last, &mut self.job.rows, &mut self.problems);
            let store = self.engine.store;
            let cities = batch::plan_cities(store, cities, CityRule::Upsert).await?;
            let pincodes = batch::plan_pincodes(store, pincodes, true, &HashMap::new()).await?;
            let mut plan = self.noted(cities);
            plan.unchanged += pincodes.unchanged;
            plan.changes.extend(self.noted(pincodes).changes);
            self.carry_out(plan).await?;
        }
        self.job.changes.all_planned = true;
        Ok(())
    }

    /// An India Post directory: every office read first (a pincode's offices
    /// may be anywhere in the file), then its cities, then its pincodes.
    async fn directory(&mut self, path: PathBuf) -> Result<(), Error> {
        let batch = self.engine.batch;
        let mut directory = Directory::default();
        let mut batches = read_in_batches(path, Format::IndiaPost, batch);
        while let Some(rows) = batches.recv().await {
            sort::gather_offices(rows.map_err(unreadable)?, &mut directory, &mut self.job.rows, &mut self.problems);
            self.job.rows.total = self.job.rows.read;
            self.save().await?;
        }
        let Made { cities, pincodes, not_made } = directory.make();
        self.problems.extend(not_made.into_iter().map(report::not_made));
        // Plan everything first, so the published bar knows its end; cities
        // before their pincodes.
        let store = self.engine.store;
        let mut plan = Plan::default();
        for chunk in cities.chunks(batch) {
            let rows: Vec<(CityFields, Vec<u64>)> = chunk.iter().map(|c| (c.fields.clone(), vec![c.line])).collect();
            let part = batch::plan_cities(store, rows, CityRule::CreateMissing).await?;
            let part = self.noted(part);
            plan.unchanged += part.unchanged;
            plan.changes.extend(part.changes);
            plan.new_cities.extend(part.new_cities);
        }
        for chunk in pincodes.chunks(batch) {
            let rows: Vec<(PincodeFields, Vec<u64>)> =
                chunk.iter().map(|p| (p.fields.clone(), p.lines.clone())).collect();
            let part = batch::plan_pincodes(store, rows, false, &plan.new_cities).await?;
            let part = self.noted(part);
            plan.unchanged += part.unchanged;
            plan.changes.extend(part.changes);
        }
        self.job.changes.unchanged += plan.unchanged;
        self.job.changes.planned += plan.changes.len() as u64;
        self.job.changes.all_planned = true;
        self.save().await?;
        for chunk in plan.changes.chunks(batch) {
            self.publish(chunk).await?;
        }
        Ok(())
    }

    /// Reports a plan's refused rows (counted invalid now, not valid) and
    /// the rows that found their city by an alternate name; the plan without them.
    fn noted(&mut self, mut plan: Plan) -> Plan {
        for (lines, refusal) in std::mem::take(&mut plan.refused) {
            self.job.rows.valid = self.job.rows.valid.saturating_sub(1);
            self.job.rows.invalid += 1;
            self.problems.push(report::refused(&lines, &refusal));
        }
        for (lines, note) in std::mem::take(&mut plan.matched) {
            self.problems.push(report::matched(&lines, note));
        }
        plan
    }

    /// Counts a batch's plan, and publishes its changes.
    pub(super) async fn carry_out(&mut self, plan: Plan) -> Result<(), Error> {
        self.job.changes.unchanged += plan.unchanged;
        self.job.changes.planned += plan.changes.len() as u64;
        self.publish(&plan.changes).await
    }

    /// A dry run keeps what it would change, to count the findings it would open.
    fn keep_planned(&mut self, changes: &[batch::Planned]) {
        let Some(planned) = self.planned.as_mut() else { return };
        for p in changes {
            let subject = match &p.change {
                Change::CityCreated(d) | Change::CityUpdated(d) => {
                    planned.cities.push((d.id.clone(), d.fields.clone()));
                    d.id.clone()
                }
                Change::PincodeUpserted(f) => {
                    planned.pincodes.push(f.clone());
                    f.pincode.clone()
                }
                _ => continue,
            };
            planned.lines.entry(subject).or_default().extend(p.lines.iter().copied());
        }
    }

    /// A dry run's end: the findings the file would open, counted per rule,
    /// with the first `FINDING_EXAMPLES` of each as report lines.
    fn count_findings(&mut self) {
        let Some(planned) = self.planned.take() else { return };
        let found = self.engine.index.would_open(&planned.cities, &planned.pincodes);
        let mut counts: Vec<FindingCount> = Vec::new();
        for f in found {
            let count = match counts.iter_mut().find(|c| c.rule == f.rule) {
                Some(c) => c,
                None => {
                    counts.push(FindingCount { rule: f.rule, count: 0 });
                    counts.last_mut().expect("just pushed")
                }
            };
            count.count += 1;
            if count.count as usize <= FINDING_EXAMPLES {
                let lines = planned.lines.get(&f.subject).map(Vec::as_slice).unwrap_or_default();
                self.problems.push(report::would_open(lines, f.rule, f.message));
            }
        }
        counts.sort_by_key(|c| c.rule);
        self.job.findings = counts;
    }

    /// Publishes a batch (unless it is a dry run, or publishing has stopped),
    /// noting where each event landed or why it was not published; then
    /// saves the job.
    async fn publish(&mut self, changes: &[batch::Planned]) -> Result<(), Error> {
        self.keep_planned(changes);
        if !self.job.dry_run && !changes.is_empty() {
            if let Some(why) = self.stopped.clone() {
                self.not_published(changes.iter(), &why);
            } else {
                self.keep_pace().await;
                let kafka = self.engine.kafka;
                let outcomes = batch::publish(kafka, changes, &self.actor, Some(&self.job.id)).await;
                let mut failed = Vec::new();
                for (planned, outcome) in changes.iter().zip(outcomes) {
                    match outcome {
                        Ok(p) => {
                            self.offsets.add(&p.topic, p.partition, p.offset);
                            self.job.changes.published += 1;
                        }
                        Err(e) => {
                            self.stopped.get_or_insert_with(|| e.to_string());
                            failed.push(planned);
                        }
                    }
                }
                let why = self.stopped.clone().unwrap_or_default();
                self.not_published(failed.into_iter(), &why);
                self.engine.jobs.save_offsets(&self.job.id, &self.offsets).await?;
            }
        }
        self.save().await
    }

    /// Holds while more than `ahead` of the job's published events wait to be
    /// applied: an event is applied in its partition's order, so a change an
    /// admin makes meanwhile waits behind at most that many, however large the
    /// import. Stops holding for good when the materializer has not moved (or
    /// its position could not be read) for `STALLED`.
    async fn keep_pace(&mut self) {
        let Some(position) = self.pace.clone() else { return };
        if !Pace::needed(self.engine.ahead, self.offsets.total()) {
            // Not that many published yet: nothing to ask the group.
            return;
        }
        let partitions: Vec<(String, i32)> =
            self.offsets.partitions.iter().map(|p| (p.topic.clone(), p.partition)).collect();
        let mut pace = Pace::new(self.engine.ahead, Instant::now());
        loop {
            let handled = match position.committed(&partitions).await {
                Ok(committed) => Some(self.offsets.count_before(|t, p| committed.get(&(t.to_string(), p)).copied())),
                // Not read this time (a broker restarting, a coordinator moving): asked again.
                Err(e) => {
                    tracing::debug!(job = %self.job.id, error = %e, "the materializer's position");
                    None
                }
            };
            match pace.next(self.offsets.total(), handled, Instant::now()) {
                Next::Publish => return,
                Next::Hold => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
                Next::GiveUp => break,
            }
        }
        tracing::warn!(job = %self.job.id, stalled = ?STALLED, "import: the materializer has not moved; publishing on");
        self.pace = None;
    }

    fn not_published<'p>(&mut self, changes: impl Iterator<Item = &'p batch::Planned>, why: &str) {
        for planned in changes {
            self.job.changes.unpublished += 1;
            self.problems.push(report::not_published(planned, why));
        }
    }

    /// Writes the report lines gathered, and the job as it stands.
    pub(super) async fn save(&mut self) -> Result<(), Error> {
        let jobs = self.engine.jobs;
        jobs.add_problems(&self.job.id, &std::mem::take(&mut self.problems)).await?;
        jobs.save(&self.job).await?;
        (self.progress)(&self.job);
        self.count();
        Ok(())
    }

    /// Adds what moved since the last count to the import metrics.
    fn count(&mut self) {
        let ((rows, changes), (was_rows, was_changes)) = ((self.job.rows, self.job.changes), self.counted);
        metrics::import_rows("read", rows.read.saturating_sub(was_rows.read));
        metrics::import_rows("invalid", rows.invalid.saturating_sub(was_rows.invalid));
        metrics::import_rows("superseded", rows.superseded.saturating_sub(was_rows.superseded));
        metrics::import_changes("unchanged", changes.unchanged.saturating_sub(was_changes.unchanged));
        metrics::import_changes("published", changes.published.saturating_sub(was_changes.published));
        metrics::import_changes("unpublished", changes.unpublished.saturating_sub(was_changes.unpublished));
        self.counted = (rows, changes);
    }

    /// The job's end: its status from what happened, saved.
    async fn finish(mut self) -> ImportJob {
        let c = &self.job.changes;
        self.job.status = if self.job.error.is_some() || c.unpublished > 0 {
            JobStatus::Failed
        } else if self.job.dry_run || c.published == 0 {
            JobStatus::Done
        } else {
            JobStatus::Applying
        };
        if let Some(why) = &self.stopped {
            self.job.error.get_or_insert_with(|| format!("{} changes were not published: {why}", c.unpublished));
        }
        if !self.job.status.is_open() {
            self.job.finished_at = Some(now());
        }
        if let Err(e) = self.save().await {
            tracing::error!(job = %self.job.id, error = %e, "an import's end could not be saved");
        }
        self.job
    }
}
