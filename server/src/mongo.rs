//! The MongoDB client (any MongoDB-wire server: mongod, or secantusd-rs locally).

use anyhow::Context;
use app::domain::health::BackendCheck;
use mongodb::{bson::doc, options::ClientOptions, Client, Database};
use std::time::Duration;

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

    /// Pings the server: ok when it answers within `timeout`.
    pub async fn check(&self, timeout: Duration) -> BackendCheck {
        let db = self.db.clone();
        let target = format!("{} (database {})", self.target, db.name());
        crate::health::timed("mongodb", &target, async move {
            match tokio::time::timeout(timeout, db.run_command(doc! { "ping": 1 })).await {
                Ok(Ok(_)) => Ok("ping answered".to_string()),
                Ok(Err(e)) => Err(format!("ping failed: {e}")),
                Err(_) => Err(format!("no answer to ping within {} ms", timeout.as_millis())),
            }
        })
        .await
    }
}
