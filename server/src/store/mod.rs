//! The read model in MongoDB: `cities`, `pincodes` and the `history` of applied
//! events, written only by the materializer (through [`Store::apply`]), in the
//! order of the events, each change exactly once in effect.
//!
//! This room knows MongoDB and the domain, nothing above them: no HTTP, no Kafka.
//!
//! - `mongo`: the connection, and the index and duplicate-key helpers every
//!   collection uses;
//! - `apply`: an event's effect, guarded by its Kafka position;
//! - `reads`: what pages and the API ask for;
//! - `history`: the history's reads: an entity's, by ids, for the activity feed;
//! - `documents`: the mapping between domain types and BSON;
//! - `imports`: import jobs and their reports;
//! - `lag`: the consumer groups' lag history;
//! - `dead_letters`: who handled which dead letter, how and when.

mod apply;
mod dead_letters;
mod documents;
mod history;
mod imports;
mod lag;
mod mongo;
mod quality;
mod reads;

use mongodb::bson::{doc, Document};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};

pub use apply::{Applied, AppliedEvent, ApplyError, ApplyResult, Entity, HistoryRecord, Pending, Position};
pub use dead_letters::DeadLetterHandlings;
pub use history::Logged;
pub use imports::{EventOffsets, ImportJobs, PartitionOffsets, Watched};
pub use lag::LagSamples;
pub use mongo::{create_missing_indexes, is_duplicate_key, is_unreachable, Mongo};

/// The read model's collections.
#[derive(Clone)]
pub struct Store {
    pub cities: Collection<Document>,
    pub pincodes: Collection<Document>,
    /// Every event applied, by id, for the cities' history pages.
    pub history: Collection<Document>,
    /// The quality findings admins accepted (kept through a replay: not swapped).
    pub acceptances: Collection<Document>,
}

/// Indexes of earlier versions that no query uses now (a collated name index
/// and geo indexes: stores without real index support scan for them, and
/// every write updates them).
const RETIRED: [(&str, &str); 4] = [
    ("cities", "state_name_ci"),
    ("cities", "name_ci"),
    ("cities", "location_2dsphere"),
    ("pincodes", "location_2dsphere"),
];

impl Store {
    /// The live collections.
    pub fn new(db: &Database) -> Self {
        Self::named(db, "cities", "pincodes", "history")
    }

    pub fn named(db: &Database, cities: &str, pincodes: &str, history: &str) -> Self {
        Store {
            cities: db.collection(cities),
            pincodes: db.collection(pincodes),
            history: db.collection(history),
            acceptances: db.collection("quality_acceptances"),
        }
    }

    /// The indexes the store's queries use: only `_id` and plain equality,
    /// which every MongoDB-wire store answers without a scan. Lists, search
    /// and the map are answered from memory (`crate::index`).
    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        self.backfill_name_keys().await?;
        let named = |keys: Document, options: IndexOptions| IndexModel::builder().keys(keys).options(options).build();
        // Made unique by earlier versions; it holds the id now (`documents::NAME_KEY`).
        let name_key =
            named(doc! { "name_key": 1 }, IndexOptions::builder().unique(true).name("name_key".to_string()).build());
        // Plain and multikey: every name a city is found by (`names::choose`).
        let names = named(doc! { "name_keys": 1 }, IndexOptions::builder().name("name_keys".to_string()).build());
        let by_city = named(doc! { "city_id": 1 }, IndexOptions::builder().name("city_id".to_string()).build());
        let by_entity = named(
            doc! { "entities": 1, "time": -1 },
            IndexOptions::builder().name("entities_time".to_string()).build(),
        );
        // Plain: an import's changes, for its revert.
        let by_job = named(doc! { "import_job": 1 }, IndexOptions::builder().name("import_job".to_string()).build());
        create_missing_indexes(&self.cities, vec![name_key, names]).await?;
        create_missing_indexes(&self.pincodes, vec![by_city]).await?;
        create_missing_indexes(&self.history, vec![by_entity, by_job]).await
    }

    /// Names the indexes of earlier versions (`RETIRED`) still there. They
    /// are not dropped here: secantusd-rs was seen retrying a `dropIndexes`
    /// for over 17 minutes at full CPU; an operator drops them when convenient.
    pub async fn warn_of_retired_indexes(&self) {
        for (collection, index) in RETIRED {
            let coll = if collection == "cities" { &self.cities } else { &self.pincodes };
            if coll.list_index_names().await.unwrap_or_default().iter().any(|n| n == index) {
                tracing::warn!(
                    %collection,
                    %index,
                    drop = %format!("db.{collection}.dropIndex(\"{index}\")"),
                    "an index of an earlier version is no longer used and slows every write: drop it"
                );
            }
        }
    }
}
