//! Browser sessions: a tower-sessions store in MongoDB, one document per
//! session, removed by a TTL index once expired.

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
}

impl MongoSessionStore {
    pub fn new(db: &Database) -> Self {
        MongoSessionStore { coll: db.collection("sessions") }
    }

    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        let ttl = IndexModel::builder()
            .keys(doc! { "expires_at": 1 })
            .options(
                IndexOptions::builder()
                    .expire_after(std::time::Duration::ZERO)
                    .name("expires_at_ttl".to_string())
                    .build(),
            )
            .build();
        create_missing_indexes(&self.coll, vec![ttl]).await
    }
}

/// A session as it is kept: its record as JSON, and when it expires (for the TTL index).
fn stored(record: &Record) -> session_store::Result<(String, DateTime)> {
    let json = serde_json::to_string(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let expires = DateTime::from_millis((record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64);
    Ok((json, expires))
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
            let (json, expires) = stored(record)?;
            match self
                .coll
                .insert_one(doc! { "_id": record.id.to_string(), "record": json, "expires_at": expires })
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if is_duplicate_key(&e) => record.id = Id::default(),
                Err(e) => return Err(store_failed(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let (json, expires) = stored(record)?;
        self.coll
            .update_one(
                doc! { "_id": record.id.to_string() },
                doc! { "$set": { "record": json, "expires_at": expires } },
            )
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
        match found.as_ref().and_then(|d| d.get_str("record").ok()) {
            Some(json) => serde_json::from_str(json).map(Some).map_err(|e| session_store::Error::Decode(e.to_string())),
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.coll.delete_one(doc! { "_id": id.to_string() }).await.map_err(store_failed)?;
        Ok(())
    }
}
