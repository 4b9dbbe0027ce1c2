//! The consumer groups' lag history in MongoDB: one document a group a
//! sample, gone after 24 hours (a TTL index), so it survives restarts.

use app::domain::kafka::{LagHistory, LagSample};
use futures::TryStreamExt;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};

use super::mongo::{create_missing_indexes, is_duplicate_key};

/// How long samples are kept.
pub const KEPT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

#[derive(Clone)]
pub struct LagSamples {
    coll: Collection<Document>,
}

impl LagSamples {
    pub fn new(db: &Database) -> Self {
        LagSamples { coll: db.collection("lag_samples") }
    }

    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        let ttl = IndexModel::builder()
            .keys(doc! { "at": 1 })
            .options(IndexOptions::builder().expire_after(KEPT).name("at_ttl".to_string()).build())
            .build();
        let by_group = IndexModel::builder()
            .keys(doc! { "group": 1 })
            .options(IndexOptions::builder().name("group".to_string()).build())
            .build();
        create_missing_indexes(&self.coll, vec![ttl, by_group]).await
    }

    /// Keeps one sample of each group for each period of `every`: instances
    /// behind one address all sample, and the first of a period is kept (its
    /// id is the group and the period; the others are refused as duplicates).
    pub async fn add(&self, samples: &[(String, LagSample)], every: std::time::Duration) -> mongodb::error::Result<()> {
        if samples.is_empty() {
            return Ok(());
        }
        let period = (every.as_millis() as i64).max(1);
        let docs: Vec<Document> = samples
            .iter()
            .map(|(group, s)| {
                doc! { "_id": format!("{group}@{}", s.at / period), "group": group, "at": DateTime::from_millis(s.at),
                "lag": s.lag, "consumed": s.consumed }
            })
            .collect();
        match self.coll.insert_many(docs).ordered(false).await {
            Err(e) if !is_duplicate_key(&e) => Err(e),
            _ => Ok(()),
        }
    }

    /// A group's history over the last `window_secs` (a minute to a day).
    pub async fn history(&self, group: &str, window_secs: u64) -> mongodb::error::Result<LagHistory> {
        let window_secs = window_secs.clamp(60, KEPT.as_secs());
        let until = chrono::Utc::now().timestamp_millis();
        let samples = self.of(group, until - window_secs as i64 * 1000).await?;
        Ok(LagHistory { group: group.to_string(), window_secs, until, samples })
    }

    /// A group's samples since `since` (milliseconds since 1970), oldest first.
    /// (The group is looked up by its index; the window is cut here, as a
    /// range would make some MongoDB-wire servers scan.)
    pub async fn of(&self, group: &str, since: i64) -> mongodb::error::Result<Vec<LagSample>> {
        let docs: Vec<Document> = self.coll.find(doc! { "group": group }).await?.try_collect().await?;
        let mut samples: Vec<LagSample> = docs
            .iter()
            .filter_map(|d| {
                Some(LagSample {
                    at: d.get_datetime("at").ok()?.timestamp_millis(),
                    lag: d.get_i64("lag").ok()?,
                    consumed: d.get_i64("consumed").ok()?,
                })
            })
            .filter(|s| s.at >= since)
            .collect();
        samples.sort_by_key(|s| s.at);
        Ok(samples)
    }
}
