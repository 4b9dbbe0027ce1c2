//! Admins: who may sign in, with argon2 password hashes.
//!
//! Invariant: a password is hashed or checked only on a blocking thread, at
//! most `hashes_at_once` at a time, never on the async runtime's threads: a
//! burst of sign-ins waits its turn and leaves every other request alone.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::{Collection, Database};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Users {
    coll: Collection<Document>,
    hashes: Arc<Semaphore>,
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Users {
    /// Admins, two password hashes at a time.
    pub fn new(db: &Database) -> Self {
        Self::with_hashes_at_once(db, 2)
    }

    pub fn with_hashes_at_once(db: &Database, hashes_at_once: usize) -> Self {
        Users { coll: db.collection("users"), hashes: Arc::new(Semaphore::new(hashes_at_once.max(1))) }
    }

    /// Runs password work on a blocking thread once a hash slot is free.
    async fn hashing<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let _slot = self.hashes.acquire().await.ok()?;
        match tokio::task::spawn_blocking(work).await {
            Ok(done) => Some(done),
            Err(e) => {
                tracing::error!(error = %e, "a password hash did not finish");
                None
            }
        }
    }

    /// Creates (or resets the password of) an admin.
    pub async fn upsert(&self, email: &str, password: &str) -> anyhow::Result<()> {
        let email = normalize_email(email);
        anyhow::ensure!(email.contains('@') && email.len() <= 254, "'{email}' is not an email address");
        anyhow::ensure!(password.chars().count() >= 8, "the password must have at least 8 characters");
        let password = password.to_string();
        let hash = self
            .hashing(move || hash_password(&password))
            .await
            .ok_or_else(|| anyhow::anyhow!("the password could not be hashed"))??;
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
                tracing::info!(admin = %normalize_email(e), "created the first admin");
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
        let hash = found.as_ref().and_then(|d| d.get_str("hash").ok()).map(str::to_string);
        let password = password.to_string();
        let checked = self.hashing(move || password_matches(hash.as_deref(), &password)).await;
        match checked {
            Some(Ok(true)) => Ok(Some(email)),
            Some(Err(Unreadable)) => {
                // No password can match a hash that does not parse: the admin needs a new one.
                tracing::warn!(
                    admin = %email,
                    "the stored password hash is unreadable: reset it with `geoledger admin create`"
                );
                Ok(None)
            }
            _ => Ok(None),
        }
    }
}

/// A stored hash that does not parse.
struct Unreadable;

/// Whether `password` is the one `hash` was made from; with no hash (no such
/// admin) as long as a real check, so timing does not tell which emails exist.
fn password_matches(hash: Option<&str>, password: &str) -> Result<bool, Unreadable> {
    let Some(hash) = hash else {
        let _ = hash_password(password);
        return Ok(false);
    };
    let parsed = PasswordHash::new(hash).map_err(|_| Unreadable)?;
    Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("{e}"))?.to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Admins over a store that is never reached (the client connects lazily).
    async fn users(hashes_at_once: usize) -> Users {
        let client = mongodb::Client::with_uri_str("mongodb://127.0.0.1:9").await.unwrap();
        Users::with_hashes_at_once(&client.database("unused"), hashes_at_once)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_password_is_hashed_while_the_runtime_goes_on() {
        let users = users(2).await;
        let ticks = Arc::new(AtomicUsize::new(0));
        let ticker = tokio::spawn({
            let ticks = ticks.clone();
            async move {
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    ticks.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        // On the runtime's one thread, a hash made in place would leave the ticker no turn.
        let hash = users.hashing(|| hash_password("a-long-password")).await.unwrap().unwrap();
        ticker.abort();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(ticks.load(Ordering::Relaxed) >= 2, "the runtime ran on while hashing");
    }

    #[tokio::test]
    async fn no_more_hashes_run_at_once_than_allowed() {
        let users = users(1).await;
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let attempts = (0..4).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            users.hashing(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
            })
        });
        futures::future::join_all(attempts).await;
        assert_eq!(most.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_password_matches_only_its_own_hash() {
        let hash = hash_password("a-long-password").unwrap();
        assert!(matches!(password_matches(Some(&hash), "a-long-password"), Ok(true)));
        assert!(matches!(password_matches(Some(&hash), "another-password"), Ok(false)));
        assert!(matches!(password_matches(None, "a-long-password"), Ok(false)), "no admin: no match");
        assert!(password_matches(Some("not a hash"), "a-long-password").is_err());
    }
}
