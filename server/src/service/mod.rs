//! The service both doors call: the REST API and the server functions reach
//! the data only through [`Commands`] (the write side) and [`Queries`] (the
//! read side), so a rule holds for scripts and the browser alike.

pub mod batch;
mod commands;
mod dead_letters;
pub mod names;
pub mod quality;
mod queries;
pub mod status;

pub use commands::{BulkOutcome, Commands};
pub use dead_letters::DeadLetters;
pub use quality::Quality;
pub use queries::Queries;

/// Who makes a change, and through what.
#[derive(Clone, Debug)]
pub struct Actor {
    /// An admin's email, or an API token's name.
    pub name: String,
    /// The CloudEvents `source`: `/geoledger/api` or `/geoledger/ui`.
    pub source: &'static str,
}

impl Actor {
    /// A signed-in admin, in the browser.
    pub fn admin(email: String) -> Self {
        Actor { name: email, source: "/geoledger/ui" }
    }

    /// Someone at a terminal (`geoledger import`), by their login name.
    pub fn cli(user: &str) -> Self {
        Actor { name: format!("cli:{user}"), source: "/geoledger/cli" }
    }

    /// A script, by its API token's name.
    pub fn token(name: &str) -> Self {
        Actor { name: format!("token:{name}"), source: "/geoledger/api" }
    }
}
