//! Browser sessions: a tower-sessions store in MongoDB, one document per
//! session, removed by a TTL index once expired.
//!
//! Invariant: a session is never loaded past its idle expiry, nor more than
//! `lifetime` after its admin signed in (the absolute lifetime: then it is
//! deleted, and the admin signs in again), nor after its admin's password was
//! set anew (`end_sessions_of`).

use std::time::Duration;

use app::api::ssr::{SESSION_SIGNED_IN_AT, SESSION_USER};
use async_trait::async_trait;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::store::{create_missing_indexes, is_duplicate_key};

#[derive(Clone, Debug)]
pub struct MongoSessionStore {
    coll: Collection<Document>,
    /// How long after signing in a session ends, however active.
    lifetime: Duration,
}

impl MongoSessionStore {
    pub fn new(db: &Database, lifetime: Duration) -> Self {
        MongoSessionStore { coll: db.collection("sessions"), lifetime }
    }

    /// Ends every session of the admin `email` but `keep` (a password set anew
    /// ends the others); how many ended.
    pub async fn end_sessions_of(&self, email: &str, keep: Option<&Id>) -> mongodb::error::Result<u64> {
        let mut filter = doc! { "user": email };
        if let Some(keep) = keep {
            filter.insert("_id", doc! { "$ne": keep.to_string() });
        }
        Ok(self.coll.delete_many(filter).await?.deleted_count)
    }

    /// Whether the session was signed in longer ago than the lifetime (or
    /// never says when).
    fn outlived(&self, record: &Record) -> bool {
        let signed_in = record.data.get(SESSION_SIGNED_IN_AT).and_then(|v| v.as_i64());
        let age_ms = signed_in.map(|at| DateTime::now().timestamp_millis().saturating_sub(at));
        age_ms.is_none_or(|age| age < 0 || age as u128 >= self.lifetime.as_millis())
    }

    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        let ttl = IndexModel::builder()
            .keys(doc! { "expires_at": 1 })
            .options(IndexOptions::builder().expire_after(Duration::ZERO).name("expires_at_ttl".to_string()).build())
            .build();
        let by_user = IndexModel::builder()
            .keys(doc! { "user": 1 })
            .options(IndexOptions::builder().name("user".to_string()).build())
            .build();
        create_missing_indexes(&self.coll, vec![ttl, by_user]).await
    }
}

/// A session as it is kept: its record as JSON, when it expires (for the TTL
/// index), and whose it is (to end an admin's sessions).
fn stored(record: &Record) -> session_store::Result<Document> {
    let json = serde_json::to_string(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let expires = DateTime::from_millis((record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64);
    let user = record.data.get(SESSION_USER).and_then(|u| u.as_str()).unwrap_or_default();
    Ok(doc! { "record": json, "expires_at": expires, "user": user })
}

/// MongoDB failed under the session store.
fn store_failed(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for MongoSessionStore {
    /// Inserts a new session, drawing another id in the unlikely case the one
    /// drawn is taken.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let mut kept = stored(record)?;
            kept.insert("_id", record.id.to_string());
            match self.coll.insert_one(kept).await {
                Ok(_) => return Ok(()),
                Err(e) if is_duplicate_key(&e) => record.id = Id::default(),
                Err(e) => return Err(store_failed(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.coll
            .update_one(doc! { "_id": record.id.to_string() }, doc! { "$set": stored(record)? })
            .upsert(true)
            .await
            .map_err(store_failed)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let found = self
            .coll
            .find_one(doc! { "_id": id.to_string(), "expires_at": { "$gt": DateTime::now() } })
            .await
            .map_err(store_failed)?;
        let Some(json) = found.as_ref().and_then(|d| d.get_str("record").ok()) else { return Ok(None) };
        let record: Record = serde_json::from_str(json).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        if self.outlived(&record) {
            self.delete(id).await?;
            return Ok(None);
        }
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.coll.delete_one(doc! { "_id": id.to_string() }).await.map_err(store_failed)?;
        Ok(())
    }
}
