//! A Kafka message read as an event: where it sits, and its envelope and typed
//! change, or why it cannot be read.

use app::domain::dead_letter::{guard_position, FIRST_POSITION, FROM_LETTER};
use app::domain::event::{Change, Envelope};
use rdkafka::message::{Headers, Message};

use crate::store::Position;

/// The message's position as its guard compares it (a redriven event's is
/// where it was first published), and its event when it decodes.
pub fn read(message: &impl Message) -> (Position, Result<(Envelope, Change), String>) {
    let first = header(message, FIRST_POSITION);
    let (partition, offset) = guard_position(message.partition(), message.offset(), first.as_deref());
    (Position { partition, offset }, Envelope::read(message.payload().unwrap_or_default()))
}

/// The dead letter a redriven event was sent back from.
pub fn from_letter(message: &impl Message) -> Option<String> {
    header(message, FROM_LETTER)
}

/// A header's value as text (the last of that name).
fn header(message: &impl Message, name: &str) -> Option<String> {
    let headers = message.headers()?;
    let found = headers.iter().filter(|h| h.key == name).last()?;
    found.value.map(|v| String::from_utf8_lossy(v).into_owned())
}
