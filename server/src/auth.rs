//! Admins and their browser sessions: users with argon2 password hashes, and a
//! tower-sessions store in MongoDB.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use async_trait::async_trait;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::{Collection, Database, IndexModel};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// The session key that holds the signed-in admin's email.
pub const USER_KEY: &str = "user";

#[derive(Clone)]
pub struct Users {
    coll: Collection<Document>,
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Users {
    pub fn new(db: &Database) -> Self {
        Users { coll: db.collection("users") }
    }

    /// Creates (or resets the password of) an admin.
    pub async fn upsert(&self, email: &str, password: &str) -> anyhow::Result<()> {
        let email = normalize_email(email);
        anyhow::ensure!(email.contains('@') && email.len() <= 254, "'{email}' is not an email address");
        anyhow::ensure!(password.chars().count() >= 8, "the password must have at least 8 characters");
        let hash = hash_password(password)?;
        self.coll
            .update_one(
                doc! { "_id": &email },
                doc! { "$set": { "hash": hash, "role": "admin", "updated_at": DateTime::now() }, "$setOnInsert": { "created_at": DateTime::now() } },
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    /// Creates the first admin from the environment when there is no user yet.
    pub async fn bootstrap(&self, email: Option<&str>, password: Option<&str>) -> anyhow::Result<()> {
        if self.coll.count_documents(doc! {}).await? > 0 {
            return Ok(());
        }
        match (email, password) {
            (Some(e), Some(p)) if !e.trim().is_empty() && !p.is_empty() => {
                self.upsert(e, p).await?;
                tracing::info!("created the first admin, {}", normalize_email(e));
            }
            _ => tracing::warn!(
                "no admin exists: set GEOLEDGER_ADMIN_EMAIL and GEOLEDGER_ADMIN_PASSWORD, or run `geoledger admin create`"
            ),
        }
        Ok(())
    }

    /// The admin's normalized email when the password is right.
    pub async fn verify(&self, email: &str, password: &str) -> anyhow::Result<Option<String>> {
        let email = normalize_email(email);
        let found = self.coll.find_one(doc! { "_id": &email }).await?;
        let Some(hash) = found.as_ref().and_then(|d| d.get_str("hash").ok()) else {
            // Spend the same time as a real check, so timing does not tell which emails exist.
            let _ = hash_password(password);
            return Ok(None);
        };
        let parsed = PasswordHash::new(hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok().then_some(email))
    }
}

fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("{e}"))?.to_string())
}

/// Sessions in MongoDB: one document per session, removed by a TTL index once expired.
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
                mongodb::options::IndexOptions::builder()
                    .expire_after(std::time::Duration::ZERO)
                    .name("expires_at_ttl".to_string())
                    .build(),
            )
            .build();
        crate::store::create_missing_indexes(&self.coll, vec![ttl]).await
    }
}

/// A session as it is kept: its record as JSON, and when it expires (for the TTL index).
fn stored(record: &Record) -> session_store::Result<(String, DateTime)> {
    let json = serde_json::to_string(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let expires = DateTime::from_millis((record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64);
    Ok((json, expires))
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for MongoSessionStore {
    /// Inserts a new session, drawing another id in the unlikely case the one
    /// drawn is taken.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let (json, expires) = stored(record)?;
            match self.coll.insert_one(doc! { "_id": record.id.to_string(), "record": json, "expires_at": expires }).await {
                Ok(_) => return Ok(()),
                Err(e) if crate::store::is_duplicate_key(&e) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let (json, expires) = stored(record)?;
        self.coll
            .update_one(doc! { "_id": record.id.to_string() }, doc! { "$set": { "record": json, "expires_at": expires } })
            .upsert(true)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let found = self
            .coll
            .find_one(doc! { "_id": id.to_string(), "expires_at": { "$gt": DateTime::now() } })
            .await
            .map_err(backend)?;
        match found.as_ref().and_then(|d| d.get_str("record").ok()) {
            Some(json) => serde_json::from_str(json).map(Some).map_err(|e| session_store::Error::Decode(e.to_string())),
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.coll.delete_one(doc! { "_id": id.to_string() }).await.map_err(backend)?;
        Ok(())
    }
}
