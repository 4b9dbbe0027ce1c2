//! What the Kafka status pages show: the cluster, its topics and partitions,
//! the consumer groups and their lag. Plain values, read from Kafka by the
//! server and shown by the browser; the arithmetic (message counts, lag, the
//! coordinator of a group) is here, once.

use serde::{Deserialize, Serialize};

use super::health::MaterializerHealth;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Broker {
    pub id: i32,
    pub host: String,
    pub port: i32,
    /// `broker.rack`, when set.
    pub rack: Option<String>,
}

/// One partition of a topic, as its leader sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Partition {
    pub id: i32,
    /// The leader's broker id (-1: none).
    pub leader: i32,
    pub replicas: Vec<i32>,
    /// The in-sync replicas.
    pub isr: Vec<i32>,
    /// The first offset still kept.
    pub low: i64,
    /// The next offset to be written (the high watermark).
    pub high: i64,
}

impl Partition {
    /// The messages kept: high minus low watermark.
    pub fn messages(&self) -> i64 {
        (self.high - self.low).max(0)
    }

    /// Fewer replicas in sync than there are.
    pub fn under_replicated(&self) -> bool {
        self.isr.len() < self.replicas.len()
    }
}

/// A group reading a topic, and how far behind it is there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GroupLag {
    pub group: String,
    pub lag: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Topic {
    pub name: String,
    /// Kafka's own (`__consumer_offsets`, …).
    pub internal: bool,
    /// One of GeoLedger's (its events, its dead letters).
    pub geoledger: bool,
    /// One of GeoLedger's event topics, its system of record (kept forever).
    #[serde(default)]
    pub event_log: bool,
    pub partitions: Vec<Partition>,
    /// Its configuration, by name, as Kafka reports it (retention, cleanup
    /// policy, minimum in-sync replicas…).
    pub config: Vec<(String, String)>,
    /// The groups that have committed offsets on it.
    pub groups: Vec<GroupLag>,
}

impl Topic {
    pub fn messages(&self) -> i64 {
        self.partitions.iter().map(Partition::messages).sum()
    }

    pub fn replication_factor(&self) -> usize {
        self.partitions.iter().map(|p| p.replicas.len()).max().unwrap_or(0)
    }

    pub fn under_replicated(&self) -> usize {
        self.partitions.iter().filter(|p| p.under_replicated()).count()
    }

    /// Why this topic endangers the event log, when it does.
    pub fn retention_warning(&self) -> Option<String> {
        self.event_log.then(|| retention_warning(&self.name, self.config("retention.ms"))).flatten()
    }

    /// A configuration value, by name.
    pub fn config(&self, name: &str) -> Option<&str> {
        self.config.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// `retention.ms` for people: "7 days", "12 hours", "forever" (negative).
pub fn retention_text(ms: i64) -> String {
    let unit = |n: i64, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    match ms {
        m if m < 0 => "forever".into(),
        m if m % 86_400_000 == 0 => unit(m / 86_400_000, "day"),
        m if m % 3_600_000 == 0 => unit(m / 3_600_000, "hour"),
        m if m % 60_000 == 0 => unit(m / 60_000, "minute"),
        m => format!("{m} ms"),
    }
}

/// The event log is GeoLedger's system of record: an event topic must keep
/// every event (`retention.ms` -1). What to tell an admin when one does not.
pub fn retention_warning(topic: &str, retention_ms: Option<&str>) -> Option<String> {
    let ms = retention_ms?.parse::<i64>().ok()?;
    (ms >= 0).then(|| {
        format!(
            "event topic {topic} deletes events after {} (retention.ms={ms}): replay can rebuild only what is \
             kept; set retention.ms=-1",
            retention_text(ms)
        )
    })
}

/// The cluster at one moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Cluster {
    pub id: Option<String>,
    /// The broker clients are told is the controller.
    pub controller: Option<i32>,
    pub brokers: Vec<Broker>,
    pub topics: Vec<Topic>,
    /// RFC 3339, UTC.
    pub read_at: String,
}

/// The status pages' landing numbers: the cluster in brief, the materializer,
/// GeoLedger's topics, and the dead letters waiting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelineStatus {
    pub cluster_id: Option<String>,
    pub brokers: usize,
    pub controller: Option<i32>,
    /// The materializer's consumer group id.
    pub materializer_id: String,
    /// The group as Kafka knows it (None: it has not joined yet).
    pub materializer: Option<Group>,
    /// This instance's consumer in it, as its watchdog sees it.
    #[serde(default)]
    pub this_instance: Option<MaterializerHealth>,
    /// GeoLedger's topics: its events and its dead letters.
    pub topics: Vec<Topic>,
    pub dead_letter_topic: String,
    /// Dead letters not yet redriven or discarded.
    pub dead_letters_waiting: i64,
}

/// A member of a group: a consumer and the partitions it is given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Member {
    pub id: String,
    pub client_id: String,
    pub host: String,
    pub assignment: Vec<(String, i32)>,
}

/// Where a group is on one partition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    /// The group's committed offset (None: it has committed none there).
    pub committed: Option<i64>,
    /// The log end offset (the high watermark).
    pub end: i64,
    /// The member reading it now, if any.
    pub member: Option<String>,
}

impl PartitionLag {
    /// End minus committed, as Kafka's consumer-groups tool counts it (None
    /// where nothing is committed).
    pub fn lag(&self) -> Option<i64> {
        self.committed.map(|c| (self.end - c).max(0))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Group {
    pub id: String,
    /// Stable, Empty, PreparingRebalance, CompletingRebalance, Dead.
    pub state: String,
    /// The broker coordinating it.
    pub coordinator: Option<i32>,
    /// The partition assignor (`range`, `cooperative-sticky`…).
    pub assignor: String,
    pub members: Vec<Member>,
    /// Every partition it is given or has committed on, by topic and partition.
    pub partitions: Vec<PartitionLag>,
}

impl Group {
    pub fn total_lag(&self) -> i64 {
        self.partitions.iter().filter_map(PartitionLag::lag).sum()
    }

    pub fn topics(&self) -> Vec<String> {
        let mut topics: Vec<String> = self.partitions.iter().map(|p| p.topic.clone()).collect();
        topics.dedup();
        topics
    }
}

/// Java's `String.hashCode` (over UTF-16 code units, wrapping).
fn java_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// The partition of `__consumer_offsets` whose leader coordinates `group`, as
/// Kafka places it: `abs(group.hashCode) % partitions` (0 for the one hash
/// `abs` cannot take).
pub fn coordinator_partition(group: &str, offsets_partitions: i32) -> i32 {
    let hash = java_hash(group);
    let abs = if hash == i32::MIN { 0 } else { hash.abs() };
    abs % offsets_partitions.max(1)
}

/// Reads a consumer group member's assignment, as the consumer protocol
/// encodes it: a version, then topics with their partitions (then user data,
/// ignored). None for bytes that are not one.
pub fn decode_assignment(bytes: &[u8]) -> Option<Vec<(String, i32)>> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<&[u8]> {
        let part = bytes.get(at..at + n)?;
        at += n;
        Some(part)
    };
    let _version = i16::from_be_bytes(take(2)?.try_into().ok()?);
    let topics = i32::from_be_bytes(take(4)?.try_into().ok()?);
    let mut out = Vec::new();
    for _ in 0..topics.max(0) {
        let len = i16::from_be_bytes(take(2)?.try_into().ok()?);
        let name = String::from_utf8(take(len.max(0) as usize)?.to_vec()).ok()?;
        let count = i32::from_be_bytes(take(4)?.try_into().ok()?);
        for _ in 0..count.max(0) {
            out.push((name.clone(), i32::from_be_bytes(take(4)?.try_into().ok()?)));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_is_placed_as_kafka_places_it() {
        // Java: "geoledger-materializer".hashCode() == -1810220488; "".hashCode() == 0.
        assert_eq!(java_hash("geoledger-materializer"), -1810220488);
        assert_eq!(coordinator_partition("geoledger-materializer", 50), 1810220488 % 50);
        assert_eq!(java_hash(""), 0);
        // "polygenelubricants".hashCode() is Integer.MIN_VALUE: Kafka's abs makes it 0.
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
        assert_eq!(coordinator_partition("polygenelubricants", 6), 0);
    }

    #[test]
    fn an_assignment_is_read_from_the_consumer_protocol() {
        let mut bytes = vec![0, 1, 0, 0, 0, 1, 0, 12];
        bytes.extend_from_slice(b"city-updates");
        bytes.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(decode_assignment(&bytes), Some(vec![("city-updates".into(), 0), ("city-updates".into(), 3)]));
        assert_eq!(decode_assignment(&bytes[..9]), None, "cut short");
    }

    #[test]
    fn lag_is_end_minus_committed_and_none_without_a_commit() {
        let p = |committed, end| PartitionLag { topic: "t".into(), partition: 0, committed, end, member: None };
        let group = Group {
            id: "g".into(),
            state: "Stable".into(),
            coordinator: Some(1),
            assignor: "range".into(),
            members: vec![],
            partitions: vec![p(Some(7), 10), p(None, 4), p(Some(5), 5)],
        };
        assert_eq!(group.partitions.iter().map(PartitionLag::lag).collect::<Vec<_>>(), [Some(3), None, Some(0)]);
        assert_eq!(group.total_lag(), 3);
    }
}

/// Where a look at a topic's messages starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Start {
    /// The newest messages.
    Latest,
    /// From this offset on (of the partition chosen; of each, for all).
    Offset(i64),
    /// From this time on (milliseconds since 1970).
    After(i64),
    /// Older than this time.
    Before(i64),
}

/// A look at a topic's messages: one partition or all, from where, how many.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessageQuery {
    pub partition: Option<i32>,
    pub start: Start,
    pub limit: usize,
}

/// The most messages one look shows.
pub const MAX_MESSAGES: usize = 200;

/// The city or pincode an event concerns, as a link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EntityLink {
    pub label: String,
    pub href: String,
}

/// One message, for people: its place, its key and headers as text, its value
/// as formatted JSON when it is JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KafkaMessage {
    pub partition: i32,
    pub offset: i64,
    /// Milliseconds since 1970, when the message has a timestamp.
    pub timestamp: Option<i64>,
    pub key: Option<String>,
    pub headers: Vec<(String, String)>,
    /// The value: indented JSON when it parses as JSON, else the text as it is.
    pub value: String,
    pub json: bool,
    pub entity: Option<EntityLink>,
}

impl KafkaMessage {
    /// The value, formatted, and the entity it concerns (a GeoLedger event's
    /// city, or a pincode's).
    pub fn read_value(bytes: &[u8]) -> (String, bool, Option<EntityLink>) {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            return (String::from_utf8_lossy(bytes).into_owned(), false, None);
        };
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        let event_type = value["type"].as_str().unwrap_or_default();
        let subject = value["subject"].as_str().unwrap_or_default();
        let entity = if event_type.starts_with("city.") && !subject.is_empty() {
            Some(EntityLink { label: format!("city {subject}"), href: format!("/cities/{subject}") })
        } else if event_type.starts_with("pincode.") && !subject.is_empty() {
            let city = value["data"]["city_id"].as_str();
            let href = city.map(|c| format!("/cities/{c}")).unwrap_or_else(|| format!("/pincodes?q={subject}"));
            Some(EntityLink { label: format!("pincode {subject}"), href })
        } else {
            None
        };
        (text, true, entity)
    }
}

/// Messages, newest first, and the looks before and after them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessagePage {
    pub messages: Vec<KafkaMessage>,
    pub older: Option<MessageQuery>,
    pub newer: Option<MessageQuery>,
}

#[cfg(test)]
mod message_tests {
    use super::*;

    #[test]
    fn an_event_is_shown_formatted_with_a_link_to_what_it_concerns() {
        let city = br#"{"type":"city.created.v1","subject":"goa/panaji","data":{"name":"<b>Panaji</b>"}}"#;
        let (text, json, entity) = KafkaMessage::read_value(city);
        assert!(json);
        assert!(text.contains("\n  \"subject\": \"goa/panaji\""), "{text}");
        assert_eq!(entity, Some(EntityLink { label: "city goa/panaji".into(), href: "/cities/goa/panaji".into() }));
        let pin = br#"{"type":"pincode.upserted.v1","subject":"403001","data":{"city_id":"goa/north-goa"}}"#;
        assert_eq!(KafkaMessage::read_value(pin).2.unwrap().href, "/cities/goa/north-goa");
        let (text, json, entity) = KafkaMessage::read_value(b"not json <script>");
        assert_eq!((text.as_str(), json, entity), ("not json <script>", false, None));
    }
}

/// A group's lag at one moment, and how far it had read (the sum of its
/// committed offsets), for its history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LagSample {
    /// Milliseconds since 1970.
    pub at: i64,
    pub lag: i64,
    pub consumed: i64,
}

/// A group's lag over a window of time, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LagHistory {
    pub group: String,
    pub window_secs: u64,
    /// When the window ends: the moment it was read (milliseconds since 1970).
    pub until: i64,
    pub samples: Vec<LagSample>,
}

impl LagHistory {
    /// Events consumed per second over the window (None before two samples).
    pub fn rate(&self) -> Option<f64> {
        let (first, last) = (self.samples.first()?, self.samples.last()?);
        let seconds = (last.at - first.at) as f64 / 1000.0;
        (seconds > 0.0).then(|| (last.consumed - first.consumed).max(0) as f64 / seconds)
    }
}

/// A group's lag now, as the live stream tells it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LagNow {
    pub group: String,
    pub lag: i64,
    /// Events consumed per second since the sample before.
    pub rate: Option<f64>,
}

/// The materializer has been behind for too long.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LagAlert {
    pub group: String,
    pub lag: i64,
    pub threshold: i64,
    /// Since when it has been over the threshold (milliseconds since 1970).
    pub since: i64,
}

/// Every sample of the live stream's `lag` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LagReport {
    pub at: i64,
    pub groups: Vec<LagNow>,
    pub alert: Option<LagAlert>,
}

#[cfg(test)]
mod lag_tests {
    use super::*;

    #[test]
    fn the_rate_is_what_was_consumed_over_the_time_it_took() {
        let s = |at, consumed| LagSample { at, lag: 0, consumed };
        let h = |samples| LagHistory { group: "g".into(), window_secs: 900, until: 10_000, samples };
        assert_eq!(h(vec![s(0, 100), s(5_000, 150), s(10_000, 300)]).rate(), Some(20.0));
        assert_eq!(h(vec![s(0, 100)]).rate(), None);
        assert_eq!(h(vec![s(0, 100), s(1_000, 50)]).rate(), Some(0.0), "offsets reset: nothing consumed");
    }
}

#[cfg(test)]
mod retention_tests {
    use super::*;

    #[test]
    fn an_event_topic_that_deletes_events_is_told() {
        assert_eq!(retention_text(604_800_000), "7 days");
        assert_eq!(retention_text(-1), "forever");
        assert_eq!(retention_warning("city-updates", Some("-1")), None);
        assert_eq!(retention_warning("city-updates", None), None);
        let why = retention_warning("city-updates", Some("604800000")).unwrap();
        assert!(
            why.starts_with("event topic city-updates deletes events after 7 days (retention.ms=604800000)"),
            "{why}"
        );
    }
}
