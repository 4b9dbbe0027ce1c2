//! Prometheus metrics, through the `metrics` facade and its Prometheus
//! exporter: every metric GeoLedger exports is named and described here, once;
//! the code that counts calls the functions below, and `/metrics` renders the
//! recorder's text.
//!
//! Labels are bounded: event types, outcomes, matched routes (never raw
//! paths), topics and partitions.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const EVENTS_PUBLISHED: &str = "geoledger_events_published_total";
const EVENTS_APPLIED: &str = "geoledger_events_applied_total";
const EVENTS_DEAD_LETTERED: &str = "geoledger_events_dead_lettered_total";
const MATERIALIZER_LAG: &str = "geoledger_materializer_lag";
const MATERIALIZER_RESTARTS: &str = "geoledger_materializer_restarts_total";
const PRODUCER_RENEWALS: &str = "geoledger_producer_renewals_total";
const HTTP_REQUESTS: &str = "geoledger_http_requests_total";
const HTTP_DURATION: &str = "geoledger_http_request_duration_seconds";
const IMPORT_ROWS: &str = "geoledger_import_rows_total";
const IMPORT_CHANGES: &str = "geoledger_import_changes_total";
const SSE_CLIENTS: &str = "geoledger_sse_clients";
const QUALITY_FINDINGS: &str = "geoledger_quality_findings";

/// Request durations' buckets, in seconds: a page in milliseconds, an import upload in seconds.
const DURATION_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder (once a process) and describes every
/// metric; the handle renders them. None when another recorder was installed first.
pub fn recorder() -> Option<PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), DURATION_BUCKETS)
                .ok()?;
            let handle = match builder.install_recorder() {
                Ok(handle) => handle,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics are off");
                    return None;
                }
            };
            describe();
            Some(handle)
        })
        .clone()
}

fn describe() {
    describe_counter!(EVENTS_PUBLISHED, "Events Kafka acknowledged, by type");
    describe_counter!(EVENTS_APPLIED, "Events the materializer applied to the read model, by type");
    describe_counter!(EVENTS_DEAD_LETTERED, "Events the materializer sent to the dead-letter topic, by type");
    describe_gauge!(MATERIALIZER_LAG, "The materializer group's lag (log end offset minus committed), by partition");
    describe_counter!(
        MATERIALIZER_RESTARTS,
        "Times the watchdog found the materializer stalled and rebuilt its consumer"
    );
    // Shown from the start, at 0: an alert on its rate needs the series.
    counter!(MATERIALIZER_RESTARTS).absolute(0);
    describe_counter!(
        PRODUCER_RENEWALS,
        "Times the producer delivered nothing for two publish timeouts while writes timed out, and was made anew"
    );
    counter!(PRODUCER_RENEWALS).absolute(0);
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by method, matched route and status");
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "Time to answer an HTTP request, by method and matched route");
    describe_counter!(IMPORT_ROWS, "Rows of imported files, by outcome: read, invalid, superseded");
    describe_counter!(
        IMPORT_CHANGES,
        "Changes imports made of their rows, by outcome: unchanged, published, unpublished"
    );
    describe_gauge!(SSE_CLIENTS, "Browsers and scripts connected to the live stream");
    describe_gauge!(QUALITY_FINDINGS, "Data quality findings, by rule and status (open, accepted)");
}

/// A rule's findings now: open and accepted.
pub fn quality_findings(rule: &'static str, open: u64, accepted: u64) {
    gauge!(QUALITY_FINDINGS, "rule" => rule, "status" => "open").set(open as f64);
    gauge!(QUALITY_FINDINGS, "rule" => rule, "status" => "accepted").set(accepted as f64);
}

/// An event type as a label ("unknown" for a message that is no event).
fn kind(event_type: &str) -> String {
    if event_type.is_empty() {
        "unknown".into()
    } else {
        event_type.to_string()
    }
}

pub fn event_published(event_type: &str) {
    counter!(EVENTS_PUBLISHED, "type" => kind(event_type)).increment(1);
}

pub fn event_applied(event_type: &str) {
    counter!(EVENTS_APPLIED, "type" => kind(event_type)).increment(1);
}

pub fn event_dead_lettered(event_type: &str) {
    counter!(EVENTS_DEAD_LETTERED, "type" => kind(event_type)).increment(1);
}

pub fn materializer_lag(topic: &str, partition: i32, lag: i64) {
    gauge!(MATERIALIZER_LAG, "topic" => topic.to_string(), "partition" => partition.to_string()).set(lag as f64);
}

pub fn producer_renewed() {
    counter!(PRODUCER_RENEWALS).increment(1);
}

pub fn materializer_restarted() {
    counter!(MATERIALIZER_RESTARTS).increment(1);
}

pub fn http_request(method: &str, route: &str, status: u16, took: Duration) {
    let (method, route) = (method.to_string(), route.to_string());
    counter!(HTTP_REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    histogram!(HTTP_DURATION, "method" => method, "route" => route).record(took.as_secs_f64());
}

/// Rows an import read, refused or saw superseded since it last counted.
pub fn import_rows(outcome: &'static str, n: u64) {
    if n > 0 {
        counter!(IMPORT_ROWS, "outcome" => outcome).increment(n);
    }
}

/// Changes an import found unchanged, published or could not publish since it last counted.
pub fn import_changes(outcome: &'static str, n: u64) {
    if n > 0 {
        counter!(IMPORT_CHANGES, "outcome" => outcome).increment(n);
    }
}

/// Counts a live-stream client for as long as it is kept.
pub struct SseClient(());

impl SseClient {
    pub fn connected() -> Self {
        gauge!(SSE_CLIENTS).increment(1.0);
        SseClient(())
    }
}

impl Drop for SseClient {
    fn drop(&mut self) {
        gauge!(SSE_CLIENTS).decrement(1.0);
    }
}
