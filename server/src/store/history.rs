//! Reads of the history: an entity's, one entry, the entries after one, and
//! what the activity feed's index keeps of each (`index::activity`).

use std::collections::{BTreeMap, HashMap};

use app::domain::history::HistoryEntry;
use futures::TryStreamExt;
use mongodb::bson::{doc, DateTime, Document};

use super::documents::history_entry_from_doc;
use super::reads::documents_by_id;
use super::Store;

/// What the activity feed filters an entry by, and where it sits in time.
#[derive(Clone, Debug, PartialEq)]
pub struct Logged {
    pub time_millis: i64,
    pub event_id: String,
    pub actor: String,
    pub event_type: String,
    pub job: Option<String>,
}

impl Logged {
    pub(crate) fn of(d: &Document) -> Option<Logged> {
        Some(Logged {
            time_millis: millis(d),
            event_id: d.get_str("_id").ok()?.to_string(),
            actor: d.get_str("actor").unwrap_or_default().to_string(),
            event_type: d.get_str("type").unwrap_or_default().to_string(),
            job: d.get_str("import_job").ok().map(str::to_string),
        })
    }
}

fn millis(d: &Document) -> i64 {
    d.get_datetime("time").map(|t| t.timestamp_millis()).unwrap_or(0)
}

fn logged_fields() -> Document {
    doc! { "time": 1, "actor": 1, "type": 1, "import_job": 1 }
}

impl Store {
    /// An entity's history (a city's holds its pincodes'), newest first:
    /// `limit` entries older than `before` (a time in ms and an event id).
    pub async fn history_of(
        &self,
        id: &str,
        before: Option<(i64, &str)>,
        limit: i64,
    ) -> mongodb::error::Result<Vec<(i64, HistoryEntry)>> {
        let filter = match before {
            None => doc! { "entities": id },
            Some((millis, event_id)) => {
                let at = DateTime::from_millis(millis);
                doc! { "$and": [{ "entities": id }, { "$or": [
                    { "time": { "$lt": at } },
                    { "time": at, "_id": { "$lt": event_id } },
                ] }] }
            }
        };
        let docs: Vec<Document> =
            self.history.find(filter).sort(doc! { "time": -1, "_id": -1 }).limit(limit).await?.try_collect().await?;
        Ok(docs.iter().map(|d| (millis(d), history_entry_from_doc(d))).collect())
    }

    /// One history entry by its event's id, with its time in ms.
    pub async fn history_entry(&self, event_id: &str) -> mongodb::error::Result<Option<(i64, HistoryEntry)>> {
        let found = self.history.find_one(doc! { "_id": event_id }).await?;
        Ok(found.map(|d| (millis(&d), history_entry_from_doc(&d))))
    }

    /// The entries about `subject` itself after the time `millis` (ms), other than `event_id`.
    pub async fn history_after(
        &self,
        subject: &str,
        millis: i64,
        event_id: &str,
    ) -> mongodb::error::Result<Vec<HistoryEntry>> {
        let filter = doc! { "$and": [
            { "entities": subject },
            { "subject": subject },
            { "time": { "$gte": DateTime::from_millis(millis) } },
            { "_id": { "$ne": event_id } },
        ] };
        let docs: Vec<Document> = self.history.find(filter).await?.try_collect().await?;
        Ok(docs.iter().map(history_entry_from_doc).collect())
    }

    /// The entries with these event ids, in their order, each with its time
    /// in ms (one `$in`; an id the history lacks is left out).
    pub async fn history_entries(&self, ids: &[String]) -> mongodb::error::Result<Vec<(i64, HistoryEntry)>> {
        let mut docs = documents_by_id(&self.history, ids, None).await?;
        Ok(ids.iter().filter_map(|id| docs.remove(id)).map(|d| (millis(&d), history_entry_from_doc(&d))).collect())
    }

    /// The changes an import job made: each entity's, oldest first, by
    /// entity (one equality query on a plain index, only ids and times).
    pub async fn job_changes(&self, job: &str) -> mongodb::error::Result<BTreeMap<String, Vec<(i64, String)>>> {
        let fields = doc! { "subject": 1, "time": 1 };
        let mut cursor = self.history.find(doc! { "import_job": job }).projection(fields).batch_size(10_000).await?;
        let mut by_subject: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
        while let Some(d) = cursor.try_next().await? {
            let (Ok(subject), Ok(id)) = (d.get_str("subject"), d.get_str("_id")) else { continue };
            by_subject.entry(subject.to_string()).or_default().push((millis(&d), id.to_string()));
        }
        for changes in by_subject.values_mut() {
            changes.sort();
        }
        Ok(by_subject)
    }

    /// What the activity feed's index keeps of these entries (one `$in`).
    pub async fn logged(&self, ids: &[String]) -> mongodb::error::Result<Vec<Logged>> {
        let docs: HashMap<String, Document> = documents_by_id(&self.history, ids, Some(logged_fields())).await?;
        Ok(docs.values().filter_map(Logged::of).collect())
    }

    /// Every entry, as the activity feed's index keeps it, a batch at a time to `each`.
    pub async fn each_logged(&self, mut each: impl FnMut(Vec<Logged>)) -> mongodb::error::Result<()> {
        let mut cursor = self.history.find(doc! {}).projection(logged_fields()).batch_size(10_000).await?;
        let mut batch = Vec::with_capacity(10_000);
        while let Some(d) = cursor.try_next().await? {
            batch.extend(Logged::of(&d));
            if batch.len() == 10_000 {
                each(std::mem::take(&mut batch));
            }
        }
        each(batch);
        Ok(())
    }

    /// The newest entries of this actor, type (or kind: `city`) and import
    /// job, older than `before`: a sorted query, for the feed while its
    /// index is loading.
    pub async fn history_scan(
        &self,
        actor: Option<&str>,
        event_type: Option<&str>,
        job: Option<&str>,
        before: Option<(i64, &str)>,
        limit: i64,
    ) -> mongodb::error::Result<Vec<(i64, HistoryEntry)>> {
        let mut filter = doc! {};
        if let Some(actor) = actor {
            filter.insert("actor", actor);
        }
        if let Some(job) = job {
            filter.insert("import_job", job);
        }
        match event_type {
            Some(kind @ ("city" | "pincode")) => {
                filter.insert("type", doc! { "$regex": format!("^{kind}\\.") });
            }
            Some(t) => {
                filter.insert("type", t);
            }
            None => {}
        }
        if let Some((millis, event_id)) = before {
            let at = DateTime::from_millis(millis);
            filter.insert("$or", vec![doc! { "time": { "$lt": at } }, doc! { "time": at, "_id": { "$lt": event_id } }]);
        }
        let sorted = self.history.find(filter).sort(doc! { "time": -1, "_id": -1 }).limit(limit);
        let docs: Vec<Document> = sorted.await?.try_collect().await?;
        Ok(docs.iter().map(|d| (millis(d), history_entry_from_doc(d))).collect())
    }
}
