//! API tokens for scripts: `Authorization: Bearer <token>`. A token is shown
//! once, when created; only its SHA-256 is stored (a token is 256 random bits,
//! so a fast hash is enough: there is nothing to guess).

use futures::TryStreamExt;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::store::{create_missing_indexes, is_duplicate_key};

const PREFIX: &str = "glt_";

#[derive(Clone)]
pub struct Tokens {
    coll: Collection<Document>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenInfo {
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Tokens {
    pub fn new(db: &Database) -> Self {
        Tokens { coll: db.collection("api_tokens") }
    }

    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        let by_hash = IndexModel::builder()
            .keys(doc! { "hash": 1 })
            .options(IndexOptions::builder().unique(true).name("hash".to_string()).build())
            .build();
        create_missing_indexes(&self.coll, vec![by_hash]).await
    }

    /// Creates a token named `name` and returns it (the only time it is seen).
    pub async fn create(&self, name: &str) -> anyhow::Result<String> {
        let name = name.trim();
        anyhow::ensure!(!name.is_empty(), "a token needs a name");
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = format!("{PREFIX}{}", hex::encode(bytes));
        let inserted =
            self.coll.insert_one(doc! { "_id": name, "hash": digest(&token), "created_at": DateTime::now() }).await;
        match inserted {
            Ok(_) => Ok(token),
            Err(e) if is_duplicate_key(&e) => {
                anyhow::bail!("a token named '{name}' exists already; revoke it first")
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The name of the token's owner, if the token is valid.
    pub async fn verify(&self, token: &str) -> mongodb::error::Result<Option<String>> {
        if !token.starts_with(PREFIX) {
            return Ok(None);
        }
        let found = self.coll.find_one(doc! { "hash": digest(token) }).await?;
        let Some(found) = found else { return Ok(None) };
        let name = found.get_str("_id").unwrap_or_default().to_string();
        // "Last used" to the minute: a script's thousand requests cost one write, not a thousand.
        let now = DateTime::now();
        let fresh =
            found.get_datetime("last_used_at").is_ok_and(|t| now.timestamp_millis() - t.timestamp_millis() < 60_000);
        if !fresh {
            let _ = self.coll.update_one(doc! { "_id": &name }, doc! { "$set": { "last_used_at": now } }).await;
        }
        Ok(Some(name))
    }

    pub async fn list(&self) -> mongodb::error::Result<Vec<TokenInfo>> {
        let docs: Vec<Document> = self.coll.find(doc! {}).sort(doc! { "_id": 1 }).await?.try_collect().await?;
        let time = |d: &Document, k: &str| d.get_datetime(k).ok().and_then(|t| t.try_to_rfc3339_string().ok());
        Ok(docs
            .iter()
            .map(|d| TokenInfo {
                name: d.get_str("_id").unwrap_or_default().to_string(),
                created_at: time(d, "created_at").unwrap_or_default(),
                last_used_at: time(d, "last_used_at"),
            })
            .collect())
    }

    /// Revokes (deletes) a token; false when there was none by that name.
    pub async fn revoke(&self, name: &str) -> mongodb::error::Result<bool> {
        Ok(self.coll.delete_one(doc! { "_id": name }).await?.deleted_count == 1)
    }
}
