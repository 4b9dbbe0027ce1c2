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
//! - `documents`: the mapping between domain types and BSON;
//! - `imports`: import jobs and their reports;
//! - `lag`: the consumer groups' lag history;
//! - `dead_letters`: who handled which dead letter, how and when.

mod apply;
mod dead_letters;
mod documents;
mod imports;
mod lag;
mod mongo;
mod reads;

use mongodb::bson::{doc, Document};
use mongodb::options::{Collation, CollationStrength, IndexOptions};
use mongodb::{Collection, Database, IndexModel};

pub use apply::{Applied, ApplyError, Position};
pub use dead_letters::DeadLetterHandlings;
pub use imports::{EventOffsets, ImportJobs, PartitionOffsets, Watched};
pub use lag::LagSamples;
pub use mongo::{create_missing_indexes, is_duplicate_key, is_unreachable, Mongo};
pub use reads::CityQuery;

/// The read model's collections.
#[derive(Clone)]
pub struct Store {
    pub cities: Collection<Document>,
    pub pincodes: Collection<Document>,
    /// Every event applied, by id, for the cities' history pages.
    pub history: Collection<Document>,
}

/// Case-insensitive comparison of names (English rules, ignoring case).
pub fn name_collation() -> Collation {
    Collation::builder().locale("en").strength(CollationStrength::Secondary).build()
}

impl Store {
    /// The live collections.
    pub fn new(db: &Database) -> Self {
        Self::named(db, "cities", "pincodes", "history")
    }

    pub fn named(db: &Database, cities: &str, pincodes: &str, history: &str) -> Self {
        Store { cities: db.collection(cities), pincodes: db.collection(pincodes), history: db.collection(history) }
    }

    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        let named = |keys: Document, options: IndexOptions| IndexModel::builder().keys(keys).options(options).build();
        let unique_name = named(
            doc! { "state": 1, "name": 1 },
            IndexOptions::builder().unique(true).collation(name_collation()).name("state_name_ci".to_string()).build(),
        );
        let name_prefix = named(
            doc! { "name": 1 },
            IndexOptions::builder().collation(name_collation()).name("name_ci".to_string()).build(),
        );
        let geo = || {
            named(
                doc! { "location": "2dsphere" },
                IndexOptions::builder().name("location_2dsphere".to_string()).build(),
            )
        };
        let by_city = named(doc! { "city_id": 1 }, IndexOptions::builder().name("city_id".to_string()).build());
        let by_entity = named(
            doc! { "entities": 1, "time": -1 },
            IndexOptions::builder().name("entities_time".to_string()).build(),
        );
        create_missing_indexes(&self.cities, vec![unique_name, name_prefix, geo()]).await?;
        create_missing_indexes(&self.pincodes, vec![geo(), by_city]).await?;
        create_missing_indexes(&self.history, vec![by_entity]).await
    }
}
