//! Import jobs in MongoDB: `imports`, one document a job (who, what, its
//! counts and status, a heartbeat while it runs, and where its events landed
//! in Kafka), and `import_problems`, its report, one document a line.

use app::domain::import::job::{ImportJob, Problem, ProblemKind};
use futures::TryStreamExt;
use mongodb::bson::{self, doc, DateTime, Document};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use super::mongo::create_missing_indexes;

/// Where one job's events landed: per topic and partition, ranges of offsets
/// (both ends included), in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventOffsets {
    pub partitions: Vec<PartitionOffsets>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionOffsets {
    pub topic: String,
    pub partition: i32,
    pub ranges: Vec<(i64, i64)>,
}

impl EventOffsets {
    /// Notes one more event at `offset`.
    pub fn add(&mut self, topic: &str, partition: i32, offset: i64) {
        let i = match self.partitions.iter().position(|p| p.topic == topic && p.partition == partition) {
            Some(i) => i,
            None => {
                self.partitions.push(PartitionOffsets { topic: topic.into(), partition, ranges: Vec::new() });
                self.partitions.len() - 1
            }
        };
        let ranges = &mut self.partitions[i].ranges;
        match ranges.last_mut() {
            Some((_, end)) if *end + 1 == offset => *end = offset,
            Some((_, end)) if *end >= offset => {
                // Out of order (never seen from one producer, but cheap to keep right).
                ranges.push((offset, offset));
                ranges.sort_unstable();
            }
            _ => ranges.push((offset, offset)),
        }
    }

    /// How many events there are.
    pub fn total(&self) -> u64 {
        self.partitions.iter().flat_map(|p| &p.ranges).map(|(a, b)| (b - a + 1) as u64).sum()
    }

    /// How many events sit before `next(topic, partition)`, the next offset a
    /// consumer will read there (None: it has read nothing there yet).
    pub fn count_before(&self, next: impl Fn(&str, i32) -> Option<i64>) -> u64 {
        let mut n = 0;
        for p in &self.partitions {
            let Some(next) = next(&p.topic, p.partition) else { continue };
            for &(a, b) in &p.ranges {
                if next > a {
                    n += (b.min(next - 1) - a + 1) as u64;
                }
            }
        }
        n
    }
}

/// A job, where its events are, and when its runner was last heard of.
pub type Watched = (ImportJob, EventOffsets, Option<DateTime>);

#[derive(Clone)]
pub struct ImportJobs {
    jobs: Collection<Document>,
    problems: Collection<Document>,
}

fn encode<T: Serialize>(value: &T) -> Document {
    bson::to_document(value).expect("import jobs encode as BSON")
}

impl ImportJobs {
    pub fn new(db: &Database) -> Self {
        ImportJobs { jobs: db.collection("imports"), problems: db.collection("import_problems") }
    }

    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        let index = |keys: Document, name: &str| {
            IndexModel::builder().keys(keys).options(IndexOptions::builder().name(name.to_string()).build()).build()
        };
        create_missing_indexes(&self.jobs, vec![index(doc! { "open": 1 }, "open")]).await?;
        create_missing_indexes(&self.problems, vec![index(doc! { "job": 1 }, "job")]).await
    }

    /// Writes the job as it stands (and, while it runs, that it is alive).
    pub async fn save(&self, job: &ImportJob) -> mongodb::error::Result<()> {
        let mut set = encode(job);
        set.insert("open", job.status.is_open());
        set.insert("heartbeat_at", DateTime::now());
        self.jobs.update_one(doc! { "_id": &job.id }, doc! { "$set": set }).upsert(true).await?;
        Ok(())
    }

    /// Notes that the job's runner is alive.
    pub async fn touch(&self, id: &str) -> mongodb::error::Result<()> {
        self.jobs.update_one(doc! { "_id": id }, doc! { "$set": { "heartbeat_at": DateTime::now() } }).await?;
        Ok(())
    }

    pub async fn save_offsets(&self, id: &str, offsets: &EventOffsets) -> mongodb::error::Result<()> {
        self.jobs.update_one(doc! { "_id": id }, doc! { "$set": { "offsets": encode(offsets) } }).await?;
        Ok(())
    }

    fn decode(d: &Document) -> Option<Watched> {
        let job: ImportJob = bson::from_document(d.clone()).ok()?;
        let offsets = d
            .get_document("offsets")
            .ok()
            .and_then(|o| bson::from_document::<EventOffsets>(o.clone()).ok())
            .unwrap_or_default();
        Some((job, offsets, d.get_datetime("heartbeat_at").ok().copied()))
    }

    pub async fn get(&self, id: &str) -> mongodb::error::Result<Option<ImportJob>> {
        Ok(self.get_with_offsets(id).await?.map(|(j, _)| j))
    }

    /// The job, and where its events landed.
    pub async fn get_with_offsets(&self, id: &str) -> mongodb::error::Result<Option<(ImportJob, EventOffsets)>> {
        Ok(self.jobs.find_one(doc! { "_id": id }).await?.as_ref().and_then(Self::decode).map(|(j, o, _)| (j, o)))
    }

    /// The newest jobs first (ids are UUIDv7: they sort by time).
    pub async fn recent(&self, limit: i64) -> mongodb::error::Result<Vec<ImportJob>> {
        Ok(self.recent_with_offsets(limit).await?.into_iter().map(|(j, ..)| j).collect())
    }

    /// The newest jobs first, with where their events are and when their
    /// runner was last heard of.
    pub async fn recent_with_offsets(&self, limit: i64) -> mongodb::error::Result<Vec<Watched>> {
        let docs: Vec<Document> =
            self.jobs.find(doc! {}).sort(doc! { "_id": -1 }).limit(limit).await?.try_collect().await?;
        Ok(docs.iter().filter_map(Self::decode).collect())
    }

    /// The jobs still moving, with where their events are and when their
    /// runner was last heard of.
    pub async fn open(&self) -> mongodb::error::Result<Vec<Watched>> {
        let docs: Vec<Document> = self.jobs.find(doc! { "open": true }).await?.try_collect().await?;
        Ok(docs.iter().filter_map(Self::decode).collect())
    }

    /// Adds lines to the job's report.
    pub async fn add_problems(&self, id: &str, problems: &[Problem]) -> mongodb::error::Result<()> {
        for chunk in problems.chunks(1000) {
            let docs: Vec<Document> = chunk
                .iter()
                .map(|p| {
                    let mut d = encode(p);
                    d.insert("job", id);
                    d
                })
                .collect();
            self.problems.insert_many(docs).await?;
        }
        Ok(())
    }

    /// The job's report, by line (problems of no line last), at most `limit`
    /// lines, and how many there are in all.
    pub async fn problems(&self, id: &str, limit: usize) -> mongodb::error::Result<(Vec<Problem>, u64)> {
        let docs: Vec<Document> = self.problems.find(doc! { "job": id }).await?.try_collect().await?;
        let total = docs.len() as u64;
        let mut problems: Vec<Problem> = docs.into_iter().filter_map(|d| bson::from_document(d).ok()).collect();
        problems.sort_by_key(|p| (p.line.is_none(), p.line));
        problems.truncate(limit);
        Ok((problems, total))
    }

    /// The materializer dead-lettered one of the job's events.
    pub async fn record_failed(&self, id: &str, message: String) -> mongodb::error::Result<()> {
        let problem = Problem { line: None, column: None, kind: ProblemKind::Failed, message };
        self.add_problems(id, &[problem]).await?;
        self.jobs.update_one(doc! { "_id": id }, doc! { "$inc": { "changes.failed": 1_i64 } }).await?;
        Ok(())
    }

    /// Sets how many of the job's events were applied, and its status (and
    /// when it finished and why it failed, once it has).
    pub async fn set_progress(&self, job: &ImportJob) -> mongodb::error::Result<()> {
        let set = doc! {
            "changes.applied": job.changes.applied as i64,
            "status": job.status.label(),
            "open": job.status.is_open(),
            "finished_at": job.finished_at.as_deref(),
            "error": job.error.as_deref(),
        };
        self.jobs.update_one(doc! { "_id": &job.id }, doc! { "$set": set }).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_kept_as_ranges_and_counted_against_a_position() {
        let mut o = EventOffsets::default();
        for offset in [10, 11, 12, 20, 21] {
            o.add("city-updates", 0, offset);
        }
        o.add("pincode-updates", 3, 5);
        assert_eq!(o.partitions[0].ranges, [(10, 12), (20, 21)]);
        assert_eq!(o.total(), 6);
        // The consumer's next offset: 12 on partition 0 (10 and 11 read), nothing yet on the other.
        let next = |t: &str, p: i32| (t == "city-updates" && p == 0).then_some(12);
        assert_eq!(o.count_before(next), 2);
        assert_eq!(o.count_before(|_, _| Some(100)), 6);
        assert_eq!(o.count_before(|_, _| None), 0);
    }
}
