//! Dead letters: events the materializer could not apply, copied (bytes
//! unchanged) to the dead-letter topic with headers saying where each came
//! from and why it failed.
//!
//! Invariant: a dead letter is handled at most once, redriven or discarded,
//! and a redriven event carries how many times it was redriven before, so an
//! event that keeps failing stops coming back once it reaches the limit.

use serde::{Deserialize, Serialize};

use super::kafka::KafkaMessage;

/// The headers the materializer adds when it dead-letters a message.
pub const ORIGINAL_TOPIC: &str = "dlt.original.topic";
pub const ORIGINAL_PARTITION: &str = "dlt.original.partition";
pub const ORIGINAL_OFFSET: &str = "dlt.original.offset";
pub const ERROR: &str = "dlt.error";
/// How many times the event was sent back to its topic; kept when it is
/// dead-lettered again, since the materializer copies every header.
pub const REDRIVES: &str = "geoledger.redrives";
/// Set on a redriven event: where it was first published on its topic
/// (`partition:offset`), kept on every later redrive. The materializer's
/// guard compares that position, not the new one, so an old event sent back
/// after newer changes is skipped as superseded instead of undoing them.
pub const FIRST_POSITION: &str = "geoledger.first-position";
/// Set on a redriven event: the dead letter it was sent back from, so what
/// became of it is recorded with the letter.
pub const FROM_LETTER: &str = "geoledger.dead-letter";

/// True for the headers a redriven event keeps: its own, not the ones saying
/// why it was dead-lettered, nor its old redrive count (a new one is set).
pub fn kept_on_redrive(header: &str) -> bool {
    !header.starts_with("dlt.") && header != REDRIVES && header != FROM_LETTER
}

/// The value of [`FIRST_POSITION`].
pub fn position_text(partition: i32, offset: i64) -> String {
    format!("{partition}:{offset}")
}

/// The position an event's guard compares: where it was first published,
/// when a redrive says so (on the partition it landed on again), else where
/// it is.
pub fn guard_position(partition: i32, offset: i64, first: Option<&str>) -> (i32, i64) {
    let first = first.and_then(|t| t.split_once(':')).and_then(|(p, o)| Some((p.parse().ok()?, o.parse().ok()?)));
    match first {
        // Its key's partition is the same while the topic keeps its partition count.
        Some((p, o)) if p == partition && o <= offset => (p, o),
        _ => (partition, offset),
    }
}

/// A dead letter's id: its place in the dead-letter topic.
pub fn letter_id(partition: i32, offset: i64) -> String {
    format!("{partition}-{offset}")
}

/// The place in the dead-letter topic an id names.
pub fn parse_letter_id(id: &str) -> Option<(i32, i64)> {
    let (partition, offset) = id.split_once('-')?;
    let (partition, offset) = (partition.parse().ok()?, offset.parse().ok()?);
    (partition >= 0 && offset >= 0).then_some((partition, offset))
}

/// What became of a dead letter, once handled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Handled {
    /// Sent back to its original topic, landing there at (partition, offset)
    /// (None while it is being sent).
    Redriven { topic: String, landed: Option<(i32, i64)> },
    /// Marked as handled without sending it anywhere.
    Discarded,
}

/// What became of a redriven event, once the materializer read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RedriveOutcome {
    /// It is in the read model now.
    Applied,
    /// A newer change of its entity was there: skipped, nothing overwritten.
    Superseded,
    /// It failed again: a new dead letter.
    FailedAgain { reason: String },
}

impl RedriveOutcome {
    /// For people.
    pub fn describe(&self) -> String {
        match self {
            RedriveOutcome::Applied => "applied".into(),
            RedriveOutcome::Superseded => "skipped: a newer change of it was there already, and stays".into(),
            RedriveOutcome::FailedAgain { reason } => format!("failed again ({reason}): a new dead letter"),
        }
    }
}

/// Who handled a dead letter, how and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Handling {
    pub handled: Handled,
    /// The admin's email, or `token:<name>` for a script.
    pub by: String,
    /// Milliseconds since 1970.
    pub at: i64,
    /// A redriven one: what the materializer made of it (none until it read it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<RedriveOutcome>,
}

impl Handling {
    /// Why a letter handled so cannot be handled again.
    pub fn refusal(&self, id: &str) -> String {
        let what = match &self.handled {
            Handled::Redriven { .. } => "redriven",
            Handled::Discarded => "discarded",
        };
        format!("dead letter {id} was {what} already, by {}", self.by)
    }
}

/// One message of the dead-letter topic, read for people.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeadLetter {
    /// Its place in the dead-letter topic ([`letter_id`]).
    pub id: String,
    /// The message itself: place, time, key, headers, the event formatted.
    pub message: KafkaMessage,
    pub original_topic: Option<String>,
    pub original_partition: Option<i32>,
    pub original_offset: Option<i64>,
    /// Why the materializer could not apply it.
    pub error: String,
    /// How many times it was redriven before it failed this time.
    pub redrives: u32,
    pub handling: Option<Handling>,
}

impl DeadLetter {
    /// Reads the dead-letter headers of a message of the dead-letter topic.
    pub fn read(message: KafkaMessage, handling: Option<Handling>) -> Self {
        let header = |name: &str| message.headers.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        DeadLetter {
            id: letter_id(message.partition, message.offset),
            original_topic: header(ORIGINAL_TOPIC),
            original_partition: header(ORIGINAL_PARTITION).and_then(|p| p.parse().ok()),
            original_offset: header(ORIGINAL_OFFSET).and_then(|o| o.parse().ok()),
            error: header(ERROR).unwrap_or_else(|| "no reason recorded".into()),
            redrives: header(REDRIVES).and_then(|n| n.parse().ok()).unwrap_or(0),
            handling,
            message,
        }
    }

    /// Why it cannot be redriven, when it cannot: it was handled already, its
    /// original topic is unknown, or it was redriven `max_redrives` times.
    pub fn redrive_refusal(&self, max_redrives: u32) -> Option<String> {
        if let Some(h) = &self.handling {
            return Some(h.refusal(&self.id));
        }
        if self.original_topic.as_deref().unwrap_or_default().is_empty() {
            return Some(format!("dead letter {} does not say which topic it came from", self.id));
        }
        (self.redrives >= max_redrives).then(|| {
            format!(
                "dead letter {} was redriven {} already, the most allowed (GEOLEDGER_DLT_MAX_REDRIVES); \
                 fix what makes it fail, then discard it",
                self.id,
                times(self.redrives)
            )
        })
    }

    /// Why it cannot be discarded, when it cannot: it was handled already.
    pub fn discard_refusal(&self) -> Option<String> {
        self.handling.as_ref().map(|h| h.refusal(&self.id))
    }
}

/// "once", "twice", "3 times".
pub fn times(n: u32) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

/// The dead letters shown, newest first, with counts of the whole topic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeadLetterPage {
    pub letters: Vec<DeadLetter>,
    /// Dead letters read (the newest [`MAX_READ`] of the topic at most).
    pub read: usize,
    /// Of those, the ones handled.
    pub handled: usize,
    /// Messages in the topic, all partitions (high minus low watermark).
    pub in_topic: i64,
    pub max_redrives: u32,
}

/// The most dead letters read for one look, newest first.
pub const MAX_READ: usize = 5_000;

/// What became of one dead letter an admin acted on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionOutcome {
    pub id: String,
    #[serde(flatten)]
    pub result: ActionResult,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionResult {
    /// How it is handled now.
    Done(Handled),
    /// Why it was left as it was.
    Refused(String),
}

impl From<Result<Handled, String>> for ActionResult {
    fn from(result: Result<Handled, String>) -> Self {
        match result {
            Ok(handled) => ActionResult::Done(handled),
            Err(why) => ActionResult::Refused(why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(headers: &[(&str, &str)]) -> DeadLetter {
        let message = KafkaMessage {
            partition: 1,
            offset: 7,
            timestamp: Some(0),
            key: Some("goa/panaji".into()),
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            value: "{}".into(),
            json: true,
            entity: None,
        };
        DeadLetter::read(message, None)
    }

    #[test]
    fn a_redrive_is_guarded_by_where_it_was_first_published() {
        assert_eq!(guard_position(1, 90, Some(&position_text(1, 12))), (1, 12));
        assert_eq!(guard_position(1, 90, None), (1, 90), "not a redrive");
        // Landed on another partition (the topic's partitions changed), or nonsense: where it is.
        assert_eq!(guard_position(2, 90, Some("1:12")), (2, 90));
        assert_eq!(guard_position(1, 90, Some("1:95")), (1, 90));
        assert_eq!(guard_position(1, 90, Some("one:12")), (1, 90));
        assert!(kept_on_redrive(FIRST_POSITION), "the first position stays through every redrive");
        assert!(!kept_on_redrive(FROM_LETTER), "each redrive names its own letter");
    }

    #[test]
    fn a_dead_letter_says_where_it_came_from_and_why() {
        let l = letter(&[
            ("ce_id", "e1"),
            (ORIGINAL_TOPIC, "location-updates.pincode"),
            (ORIGINAL_PARTITION, "2"),
            (ORIGINAL_OFFSET, "41"),
            (ERROR, "city goa/panaji does not exist"),
        ]);
        assert_eq!(l.id, "1-7");
        assert_eq!(l.original_topic.as_deref(), Some("location-updates.pincode"));
        assert_eq!((l.original_partition, l.original_offset), (Some(2), Some(41)));
        assert_eq!(l.error, "city goa/panaji does not exist");
        assert_eq!(l.redrives, 0);
        assert_eq!(l.redrive_refusal(3), None);
    }

    #[test]
    fn redriving_stops_at_the_limit_and_after_handling() {
        let mut l = letter(&[(ORIGINAL_TOPIC, "t"), (REDRIVES, "3")]);
        assert_eq!(l.redrives, 3);
        assert!(l.redrive_refusal(3).unwrap().contains("redriven 3 times already"), "{:?}", l.redrive_refusal(3));
        assert_eq!(l.redrive_refusal(4), None);
        l.handling = Some(Handling { handled: Handled::Discarded, by: "a@b.in".into(), at: 0, outcome: None });
        assert_eq!(l.redrive_refusal(4).unwrap(), "dead letter 1-7 was discarded already, by a@b.in");
        assert!(l.discard_refusal().is_some());
        assert!(letter(&[]).redrive_refusal(3).unwrap().contains("does not say which topic"));
    }

    #[test]
    fn a_redriven_event_keeps_its_own_headers_only() {
        assert!(kept_on_redrive("ce_id"));
        assert!(!kept_on_redrive(ERROR));
        assert!(!kept_on_redrive(ORIGINAL_TOPIC));
        assert!(!kept_on_redrive(REDRIVES));
    }

    #[test]
    fn an_outcome_reads_plainly_as_json() {
        let done = ActionOutcome {
            id: "0-4".into(),
            result: Ok(Handled::Redriven { topic: "city-updates".into(), landed: Some((2, 9)) }).into(),
        };
        assert_eq!(
            serde_json::to_string(&done).unwrap(),
            r#"{"id":"0-4","done":{"redriven":{"topic":"city-updates","landed":[2,9]}}}"#
        );
        let refused = ActionOutcome { id: "0-5".into(), result: ActionResult::Refused("why".into()) };
        let text = serde_json::to_string(&refused).unwrap();
        assert_eq!(text, r#"{"id":"0-5","refused":"why"}"#);
        assert_eq!(serde_json::from_str::<ActionOutcome>(&text).unwrap(), refused);
    }

    #[test]
    fn ids_name_a_place_in_the_topic() {
        assert_eq!(parse_letter_id(&letter_id(0, 12)), Some((0, 12)));
        assert_eq!(parse_letter_id("0-x"), None);
        assert_eq!(parse_letter_id("-1-2"), None);
        assert_eq!(parse_letter_id("12"), None);
    }
}
