//! The event pipeline: Kafka in and out.
//!
//! - `kafka`: the client GeoLedger keeps for its life (the producer, topic
//!   set-up, the cluster check) and its errors;
//! - `materializer`: the consumer embedded in the server, which applies each
//!   event to the read model and then tells `notices`;
//! - `watchdog`: finds the materializer stalled (events waiting, nothing
//!   moving) and has it rebuild its consumer;
//! - `notices`: the channel of applied changes that feeds every open browser;
//! - `fanout`: those changes told to, and heard from, the other instances;
//! - `position`: how far the materializer's group has got (import progress);
//! - `event`: how a Kafka message is read into an event (one way, for the
//!   materializer and replay alike);
//! - `replay`: `geoledger replay`, rebuilding the read model from offset 0.
//!
//! This room knows Kafka, the store and the domain; it never imports HTTP.

pub mod backoff;
pub mod event;
pub mod fanout;
pub mod kafka;
pub mod materializer;
pub mod notices;
pub mod position;
pub mod quality;
pub mod renewal;
pub mod replay;
pub mod watchdog;

pub use fanout::Fanout;
pub use kafka::{Kafka, KafkaError};
pub use materializer::{Materializer, RetryPolicy};
pub use notices::Notices;
pub use position::GroupPosition;
pub use watchdog::Watchdog;
