//! A look at a topic's messages: the newest, from an offset, from or before a
//! time; one partition or all. Read by a consumer that joins no group and
//! commits nothing, so looking changes nothing for anyone.
//!
//! Within one partition, paging goes by offset and is exact. Across all
//! partitions it goes by time: the next look older starts before the oldest
//! message shown (messages of that very millisecond beyond the page are not
//! shown again).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use app::domain::kafka::{KafkaMessage, MessagePage, MessageQuery, Start, MAX_MESSAGES};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{BorrowedMessage, Headers, Message, OwnedMessage};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::Timestamp;

use super::{blocking, KafkaAdmin};
use crate::pipeline::kafka::KafkaContext;
use crate::pipeline::KafkaError;

/// Per partition: its watermarks, and the offsets to read, `from..to`.
struct Plan {
    partition: i32,
    low: i64,
    high: i64,
    from: i64,
    to: i64,
}

/// A message, for people: its key and headers as text, its value formatted.
pub fn message<M: Message>(m: &M) -> KafkaMessage {
    let timestamp = match m.timestamp() {
        Timestamp::CreateTime(t) | Timestamp::LogAppendTime(t) => Some(t),
        Timestamp::NotAvailable => None,
    };
    let headers = m
        .headers()
        .map(|h| {
            h.iter()
                .map(|h| {
                    (h.key.to_string(), h.value.map(|v| String::from_utf8_lossy(v).into_owned()).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    let (value, json, entity) = KafkaMessage::read_value(m.payload().unwrap_or_default());
    KafkaMessage {
        partition: m.partition(),
        offset: m.offset(),
        timestamp,
        key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
        headers,
        value,
        json,
        entity,
    }
}

impl KafkaAdmin {
    /// A consumer for looking. librdkafka assigns partitions only to a consumer
    /// with a group id; this one never subscribes, so it never joins its group,
    /// and never commits.
    fn browser(&self) -> Result<BaseConsumer<KafkaContext>, KafkaError> {
        let group = format!("{}geoledger-browser", self.kafka.config.topic_prefix);
        Ok(self
            .kafka
            .consumer_config()
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .create_with_context(self.kafka.context())?)
    }

    /// The messages `query` asks for, newest first, with the looks before and after.
    pub async fn messages(&self, topic: &str, query: MessageQuery) -> Result<Option<MessagePage>, KafkaError> {
        let consumer = self.browser()?;
        let (topic, timeout) = (topic.to_string(), self.timeout);
        blocking(move || read(&consumer, &topic, query, timeout)).await
    }

    /// The newest `limit` messages of `topic` (of each partition, then of all,
    /// newest first), and how many messages it holds; an absent topic is empty.
    pub async fn newest(&self, topic: &str, limit: usize) -> Result<(Vec<KafkaMessage>, i64), KafkaError> {
        let consumer = self.browser()?;
        let (topic, timeout) = (topic.to_string(), self.timeout);
        blocking(move || {
            let metadata = consumer.fetch_metadata(Some(&topic), timeout).map_err(KafkaError::Metadata)?;
            let Some(meta) = metadata.topics().iter().find(|t| t.name() == topic && t.error().is_none()) else {
                return Ok((Vec::new(), 0));
            };
            let mut plans = Vec::new();
            for p in meta.partitions() {
                let (low, high) = consumer.fetch_watermarks(&topic, p.id(), timeout).map_err(KafkaError::Metadata)?;
                plans.push(Plan { partition: p.id(), low, high, from: (high - limit as i64).max(low), to: high });
            }
            let mut read = fetch(&consumer, &topic, &plans, timeout, |m| message(m))?;
            read.sort_by_key(|m| std::cmp::Reverse((m.timestamp, m.partition, m.offset)));
            read.truncate(limit);
            Ok((read, plans.iter().map(|p| p.high - p.low).sum()))
        })
        .await
    }

    /// One message, its key, headers and value as they are (None: not there).
    pub async fn message_at(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> Result<Option<OwnedMessage>, KafkaError> {
        let consumer = self.browser()?;
        let (topic, timeout) = (topic.to_string(), self.timeout);
        blocking(move || {
            let (low, high) = match consumer.fetch_watermarks(&topic, partition, timeout) {
                Ok(marks) => marks,
                Err(e) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::UnknownPartition) => return Ok(None),
                Err(e) => return Err(KafkaError::Metadata(e)),
            };
            if offset < low || offset >= high {
                return Ok(None);
            }
            let plan = Plan { partition, low, high, from: offset, to: offset + 1 };
            Ok(fetch(&consumer, &topic, &[plan], timeout, |m| m.detach())?.pop())
        })
        .await
    }
}

fn read(
    consumer: &BaseConsumer<KafkaContext>,
    topic: &str,
    query: MessageQuery,
    timeout: Duration,
) -> Result<Option<MessagePage>, KafkaError> {
    let limit = query.limit.clamp(1, MAX_MESSAGES) as i64;
    let metadata = consumer.fetch_metadata(Some(topic), timeout).map_err(KafkaError::Metadata)?;
    let Some(meta) = metadata.topics().iter().find(|t| t.name() == topic && t.error().is_none()) else {
        return Ok(None);
    };
    let mut partitions: Vec<i32> = meta.partitions().iter().map(|p| p.id()).collect();
    if let Some(p) = query.partition {
        if !partitions.contains(&p) {
            return Ok(None);
        }
        partitions = vec![p];
    }
    // Where each time falls, per partition.
    let at_time = |time: i64| -> Result<BTreeMap<i32, Option<i64>>, KafkaError> {
        let mut list = TopicPartitionList::new();
        for p in &partitions {
            list.add_partition_offset(topic, *p, Offset::Offset(time)).map_err(KafkaError::Metadata)?;
        }
        let found = consumer.offsets_for_times(list, timeout).map_err(KafkaError::Metadata)?;
        Ok(found
            .elements()
            .iter()
            .map(|e| (e.partition(), if let Offset::Offset(o) = e.offset() { Some(o) } else { None }))
            .collect())
    };
    let times = match query.start {
        Start::After(t) | Start::Before(t) => at_time(t)?,
        _ => BTreeMap::new(),
    };
    let mut plans = Vec::new();
    for &partition in &partitions {
        let (low, high) = consumer.fetch_watermarks(topic, partition, timeout).map_err(KafkaError::Metadata)?;
        let at = |p: i32| times.get(&p).copied().flatten().unwrap_or(high).clamp(low, high);
        let (from, to) = match query.start {
            Start::Latest => ((high - limit).max(low), high),
            Start::Offset(o) => (o.clamp(low, high), (o.clamp(low, high) + limit).min(high)),
            Start::After(_) => (at(partition), (at(partition) + limit).min(high)),
            Start::Before(_) => ((at(partition) - limit).max(low), at(partition)),
        };
        plans.push(Plan { partition, low, high, from, to });
    }
    let mut read = fetch(consumer, topic, &plans, timeout, |m| message(m))?;
    // Newest first; of what was read, the page keeps the `limit` nearest its start.
    read.sort_by_key(|m| (m.timestamp, m.partition, m.offset));
    let backwards = matches!(query.start, Start::Latest | Start::Before(_));
    let messages: Vec<KafkaMessage> = if backwards {
        read.into_iter().rev().take(limit as usize).collect()
    } else {
        let mut kept: Vec<KafkaMessage> = read.into_iter().take(limit as usize).collect();
        kept.reverse();
        kept
    };
    let (older, newer) = around(&query, &plans, &messages, limit as usize);
    Ok(Some(MessagePage { messages, older, newer }))
}

/// Reads each plan's `from..to` of `topic`, each message as `keep` has it.
fn fetch<T>(
    consumer: &BaseConsumer<KafkaContext>,
    topic: &str,
    plans: &[Plan],
    timeout: Duration,
    keep: impl Fn(&BorrowedMessage) -> T,
) -> Result<Vec<T>, KafkaError> {
    let mut assignment = TopicPartitionList::new();
    for plan in plans.iter().filter(|p| p.from < p.to) {
        assignment
            .add_partition_offset(topic, plan.partition, Offset::Offset(plan.from))
            .map_err(KafkaError::Metadata)?;
    }
    let mut read = Vec::new();
    if assignment.count() == 0 {
        return Ok(read);
    }
    consumer.assign(&assignment).map_err(KafkaError::Client)?;
    let mut open: BTreeMap<i32, i64> = plans.iter().filter(|p| p.from < p.to).map(|p| (p.partition, p.to)).collect();
    let deadline = Instant::now() + timeout * 3;
    while !open.is_empty() && Instant::now() < deadline {
        let Some(polled) = consumer.poll(Duration::from_millis(500)) else { continue };
        let m = polled.map_err(KafkaError::Client)?;
        let Some(&to) = open.get(&m.partition()) else { continue };
        if m.offset() < to {
            read.push(keep(&m));
        }
        if m.offset() + 1 >= to {
            open.remove(&m.partition());
        }
    }
    Ok(read)
}

/// The looks before and after a page (None where there is nothing more).
fn around(
    query: &MessageQuery,
    plans: &[Plan],
    shown: &[KafkaMessage],
    limit: usize,
) -> (Option<MessageQuery>, Option<MessageQuery>) {
    let look = |start| MessageQuery { partition: query.partition, start, limit };
    if let [plan] = plans {
        // One partition: by offset, exactly.
        let first = shown.last().map(|m| m.offset).unwrap_or(plan.from);
        let last = shown.first().map(|m| m.offset + 1).unwrap_or(plan.to);
        let older = (first > plan.low).then(|| look(Start::Offset((first - limit as i64).max(plan.low))));
        let newer = (last < plan.high).then(|| look(Start::Offset(last)));
        return (older, newer);
    }
    let oldest = shown.last().and_then(|m| m.timestamp);
    let newest = shown.first().and_then(|m| m.timestamp);
    let more_before = plans.iter().any(|p| p.low < p.from) || shown.len() == limit;
    let more_after = plans.iter().any(|p| p.to < p.high);
    let older = oldest.filter(|_| more_before).map(|t| look(Start::Before(t)));
    let newer =
        newest.filter(|_| more_after || !matches!(query.start, Start::Latest)).map(|t| look(Start::After(t + 1)));
    (older, newer)
}
