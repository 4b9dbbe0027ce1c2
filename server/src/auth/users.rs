//! Admins: who may sign in, with argon2 password hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::{Collection, Database};

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
        let now = DateTime::now();
        let set = doc! {
            "$set": { "hash": hash, "role": "admin", "updated_at": now },
            "$setOnInsert": { "created_at": now },
        };
        self.coll.update_one(doc! { "_id": &email }, set).upsert(true).await?;
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
                "no admin exists: set GEOLEDGER_ADMIN_EMAIL and GEOLEDGER_ADMIN_PASSWORD, \
                 or run `geoledger admin create`"
            ),
        }
        Ok(())
    }

    /// The admin's normalized email when the password is right.
    pub async fn verify(&self, email: &str, password: &str) -> mongodb::error::Result<Option<String>> {
        let email = normalize_email(email);
        let found = self.coll.find_one(doc! { "_id": &email }).await?;
        let Some(hash) = found.as_ref().and_then(|d| d.get_str("hash").ok()) else {
            // Spend the same time as a real check, so timing does not tell which emails exist.
            let _ = hash_password(password);
            return Ok(None);
        };
        let Ok(parsed) = PasswordHash::new(hash) else {
            // No password can match a hash that does not parse: the admin needs a new one.
            tracing::warn!("the stored password hash of {email} is unreadable: reset it with `geoledger admin create`");
            return Ok(None);
        };
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok().then_some(email))
    }
}

fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("{e}"))?.to_string())
}
