//! A Kafka message read as an event: where it sits, and its envelope and typed
//! change, or why it cannot be read.

use app::domain::event::{Change, Envelope};
use rdkafka::message::Message;

use crate::store::Position;

/// The message's position, and its event when it decodes.
pub fn read(message: &impl Message) -> (Position, Result<(Envelope, Change), String>) {
    let position = Position { partition: message.partition(), offset: message.offset() };
    (position, Envelope::read(message.payload().unwrap_or_default()))
}
