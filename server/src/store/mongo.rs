//! The MongoDB connection (any MongoDB-wire server: mongod, or secantusd-rs
//! locally), and what every collection of GeoLedger's uses: creating missing
//! indexes, and telling a duplicate key.

use std::time::Duration;

use anyhow::Context;
use mongodb::bson::{doc, Document};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection, Database, IndexModel};

#[derive(Clone)]
pub struct Mongo {
    pub client: Client,
    pub db: Database,
    /// host:port list of the URI, for people to read (never the credentials).
    pub target: String,
}

impl Mongo {
    /// Parses the URI and creates the client; it connects on first use.
    pub async fn connect(uri: &str) -> anyhow::Result<Self> {
        let mut options = ClientOptions::parse(uri)
            .await
            .with_context(|| "GEOLEDGER_MONGODB_URI is not a valid MongoDB connection string")?;
        options.app_name = Some("geoledger".into());
        // Fail a request within seconds when the server is gone, instead of 30 s.
        options.server_selection_timeout.get_or_insert(Duration::from_secs(5));
        options.connect_timeout.get_or_insert(Duration::from_secs(3));
        // Room for the requests being answered beside the materializer and the sampler.
        options.max_pool_size.get_or_insert(48);
        let target = options.hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(",");
        let db_name = options.default_database.clone().unwrap_or_else(|| "geoledger".into());
        let client = Client::with_options(options)?;
        let db = client.database(&db_name);
        Ok(Mongo { client, db, target })
    }

    /// Ends the client's sessions and connections while the runtime still runs.
    /// (Left to `Drop` at exit, the driver ends its sessions from a task that
    /// finds its connection pool already gone, and panics.)
    pub async fn close(&self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.client.clone().shutdown()).await;
    }

    /// Asks the server whether it is there.
    pub async fn ping(&self) -> mongodb::error::Result<()> {
        self.db.run_command(doc! { "ping": 1 }).await.map(|_| ())
    }
}

/// Creates the indexes whose names are not there yet. (Asking again for an index
/// that exists is not a no-op on every MongoDB-wire server.)
pub async fn create_missing_indexes(
    coll: &Collection<Document>,
    wanted: Vec<IndexModel>,
) -> mongodb::error::Result<()> {
    let existing = coll.list_index_names().await.unwrap_or_default();
    let missing: Vec<IndexModel> = wanted
        .into_iter()
        .filter(|m| m.options.as_ref().and_then(|o| o.name.as_ref()).is_none_or(|n| !existing.contains(n)))
        .collect();
    if !missing.is_empty() {
        coll.create_indexes(missing).await?;
    }
    Ok(())
}

/// MongoDB is away or busy, not refusing this write: worth waiting for, as
/// long as it takes. Anything else (a document it cannot store, a rule of its
/// own) would fail again the same way.
pub fn is_unreachable(e: &mongodb::error::Error) -> bool {
    // Host unreachable or not found, network timeout, shutting down, stepped
    // down, not primary, interrupted at shutdown or on a step-down, socket error.
    const BUSY: &[i32] = &[6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436];
    match e.kind.as_ref() {
        ErrorKind::Io(_)
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::ServerSelection { .. }
        | ErrorKind::DnsResolve { .. }
        | ErrorKind::Authentication { .. }
        | ErrorKind::Shutdown => true,
        ErrorKind::Command(c) => BUSY.contains(&c.code),
        ErrorKind::Write(WriteFailure::WriteConcernError(_)) => true,
        _ => e.contains_label("RetryableWriteError") || e.contains_label("TransientTransactionError"),
    }
}

/// A unique index (or `_id`) refused the write (for many documents: every
/// one refused was refused for that).
pub fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == 11000,
        ErrorKind::Command(c) => c.code == 11000,
        ErrorKind::InsertMany(m) => {
            m.write_concern_error.is_none() && m.write_errors.iter().flatten().all(|w| w.code == 11000)
        }
        _ => e.to_string().contains("E11000"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_connection_is_waited_for_and_a_refusal_is_not() {
        let lost = mongodb::error::Error::from(ErrorKind::from(std::io::ErrorKind::ConnectionReset));
        assert!(is_unreachable(&lost));
        let refused = mongodb::error::Error::custom("a document MongoDB cannot store");
        assert!(!is_unreachable(&refused));
    }
}
