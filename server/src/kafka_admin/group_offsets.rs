//! What every consumer group has committed, asked of Kafka's admin API
//! (ListConsumerGroupOffsets): one request a group, all of them in flight at
//! once on the one admin client, each sent to its group's coordinator.
//!
//! Invariant: a group's offsets are exactly what its coordinator answered
//! (every partition it has committed on); a group whose request failed or
//! was not answered in time is left out, never shown as having committed
//! nothing.
//!
//! rust-rdkafka does not wrap this call, so librdkafka's C API is used here,
//! and only here. (Before: a consumer client per group, asking its committed
//! offsets on every partition of the cluster; with 96 groups and 764 topics
//! the cluster page took 11–17 s, and each kept client held its own threads.)

use std::collections::{BTreeMap, HashMap};
use std::ffi::{c_char, c_int, CStr, CString};
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};

/// A group's committed offsets: (topic, partition) → the next offset it reads.
pub type Committed = BTreeMap<(String, i32), i64>;

/// The committed offsets of each of `groups` that answered within `timeout`.
/// Blocking.
pub fn committed_offsets_of<C: ClientContext>(
    client: &Client<C>,
    groups: &[String],
    timeout: Duration,
) -> HashMap<String, Committed> {
    let mut found = HashMap::new();
    let wait_ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
    // SAFETY: every pointer is from librdkafka and used as its API says: the
    // queue, options and requests are made here and destroyed here once
    // (librdkafka copies a request and its options when it is sent); an
    // event's group results and their partition lists belong to the event and
    // are read only before it is destroyed.
    unsafe {
        let rk = client.native_ptr();
        let queue = rd::rd_kafka_queue_new(rk);
        let options =
            rd::rd_kafka_AdminOptions_new(rk, rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
        let mut error = [0 as c_char; 256];
        rd::rd_kafka_AdminOptions_set_request_timeout(options, wait_ms, error.as_mut_ptr(), error.len());
        let mut waiting = 0;
        for group in groups {
            let Ok(id) = CString::new(group.as_str()) else { continue };
            // No partitions named: every partition the group has committed on.
            let mut request = rd::rd_kafka_ListConsumerGroupOffsets_new(id.as_ptr(), std::ptr::null());
            rd::rd_kafka_ListConsumerGroupOffsets(rk, &mut request, 1, options, queue);
            rd::rd_kafka_ListConsumerGroupOffsets_destroy(request);
            waiting += 1;
        }
        let deadline = Instant::now() + timeout + Duration::from_secs(1);
        while waiting > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = rd::rd_kafka_queue_poll(queue, left.as_millis() as c_int);
            if event.is_null() {
                break;
            }
            waiting -= 1;
            let result = rd::rd_kafka_event_ListConsumerGroupOffsets_result(event);
            if !result.is_null() {
                let mut count = 0;
                let results = rd::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &mut count);
                for i in 0..count {
                    let group = *results.add(i);
                    if rd::rd_kafka_group_result_error(group).is_null() {
                        let name = CStr::from_ptr(rd::rd_kafka_group_result_name(group)).to_string_lossy().into_owned();
                        found.insert(name, offsets(rd::rd_kafka_group_result_partitions(group)));
                    }
                }
            }
            rd::rd_kafka_event_destroy(event);
        }
        rd::rd_kafka_AdminOptions_destroy(options);
        rd::rd_kafka_queue_destroy(queue);
    }
    found
}

/// The committed offsets in a group result's partition list.
///
/// # Safety
/// `list` is null or a partition list librdkafka keeps alive for the call.
unsafe fn offsets(list: *const rd::rd_kafka_topic_partition_list_t) -> Committed {
    let mut offsets = Committed::new();
    if list.is_null() {
        return offsets;
    }
    for i in 0..usize::try_from((*list).cnt).unwrap_or(0) {
        let p = &*(*list).elems.add(i);
        if p.err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && p.offset >= 0 && !p.topic.is_null() {
            let topic = CStr::from_ptr(p.topic).to_string_lossy().into_owned();
            offsets.insert((topic, p.partition), p.offset);
        }
    }
    offsets
}
