//! `/metrics` as Prometheus scrapes it: parsed as the text format, and each
//! number moved by what is done in front of it: an event published, applied
//! and dead-lettered; requests counted by matched route; import rows by
//! outcome; the live stream's clients; the materializer's lag by partition.

mod common;

use std::time::{Duration, Instant};

use common::*;
use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{MetricsExposition, PrometheusType, PrometheusValue};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use serde_json::json;

const FIRST: Duration = Duration::from_secs(30);

type Scrape = MetricsExposition<PrometheusType, PrometheusValue>;

/// Scrapes `/metrics` with no credentials, as Prometheus does.
async fn scrape(server: &Server) -> Scrape {
    let res = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_eq!(res.status(), 200);
    let kind = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let text = res.text().await.unwrap();
    if text.trim().is_empty() {
        // Nothing counted yet (the parser wants at least one family).
        return MetricsExposition { families: Default::default() };
    }
    parse_prometheus(&text).unwrap_or_else(|e| panic!("not the Prometheus text format: {e:?}\n{text}"))
}

/// Every sample of a metric: its labels, and its value (a histogram's count).
fn samples(scrape: &Scrape, name: &str) -> Vec<(Vec<(String, String)>, f64)> {
    let Some(family) = scrape.families.get(name) else { return Vec::new() };
    family
        .iter_samples()
        .map(|s| {
            let labels = s.get_labelset().unwrap();
            let labels = labels.iter_names().cloned().zip(labels.iter_values().cloned()).collect();
            let value = match &s.value {
                PrometheusValue::Unknown(n) | PrometheusValue::Gauge(n) => n.as_f64(),
                PrometheusValue::Counter(c) => c.value.as_f64(),
                PrometheusValue::Histogram(h) => h.count.unwrap_or(0) as f64,
                PrometheusValue::Summary(_) => f64::NAN,
            };
            (labels, value)
        })
        .collect()
}

fn label<'l>(labels: &'l [(String, String)], name: &str) -> Option<&'l str> {
    labels.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Any label of any sample of any metric that contains `text`.
fn any_label_contains(scrape: &Scrape, text: &str) -> bool {
    scrape.families.keys().flat_map(|name| samples(scrape, name)).any(|(l, _)| l.iter().any(|(_, v)| v.contains(text)))
}

/// The value of the sample named so whose labels include these (0 when absent).
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    samples(scrape, name)
        .into_iter()
        .filter(|(l, _)| labels.iter().all(|(k, v)| label(l, k) == Some(*v)))
        .map(|(_, v)| v)
        .sum()
}

/// Scrapes until `ok` holds, or panics after `FIRST`.
async fn scrape_until(server: &Server, what: &str, ok: impl Fn(&Scrape) -> bool) -> Scrape {
    let started = Instant::now();
    loop {
        let s = scrape(server).await;
        if ok(&s) {
            return s;
        }
        assert!(started.elapsed() < FIRST, "{what} never showed in /metrics");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_metrics_move_with_events_requests_imports_and_stream_clients() {
    let world = Owned(World::new("metrics").with("GEOLEDGER_LAG_SAMPLE_SECS", "1"));
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let before = scrape(&server).await;

    // One city: published, then applied, each counted by its type.
    let city = json!({"city_name": "Metricsabad", "state": "Telangana", "latitude": 17.4, "longitude": 78.5});
    let (code, _) = api.post("/api/v1/location-updates/cities", &city).await;
    assert_eq!(code, 202);
    api.eventually("/api/v1/cities/Metricsabad/Telangana", FIRST, |c, _| c == 200).await;
    let created = [("type", "city.created.v1")];
    let s = scrape_until(&server, "the applied city", |s| value(s, "geoledger_events_applied_total", &created) == 1.0)
        .await;
    assert_eq!(value(&s, "geoledger_events_published_total", &created), 1.0);
    assert_eq!(value(&before, "geoledger_events_published_total", &created), 0.0);
    let help = s.families["geoledger_events_published_total"].help.clone();
    assert!(help.contains("by type"), "described: {help:?}");

    // A message that is no event: dead-lettered, counted as of an unknown type.
    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", &world.brokers).create().unwrap();
    let topic = world.topic("city-updates");
    producer.send(FutureRecord::to(&topic).key("x").payload("not json"), Duration::from_secs(10)).await.unwrap();
    let unknown = [("type", "unknown")];
    scrape_until(&server, "the dead letter", |s| value(s, "geoledger_events_dead_lettered_total", &unknown) == 1.0)
        .await;

    // Requests by the route that matched, never the raw path; unknown paths as one label.
    let s = scrape(&server).await;
    let by_route = [("route", "/api/v1/cities/{name}/{state}"), ("method", "GET"), ("status", "200")];
    assert!(value(&s, "geoledger_http_requests_total", &by_route) >= 1.0);
    assert!(!any_label_contains(&s, "Metricsabad"), "no raw path as a label");
    let seen = value(&s, "geoledger_http_request_duration_seconds", &[("route", "/api/v1/cities/{name}/{state}")]);
    assert!(seen >= 1.0, "the latency histogram counts them: {seen}");
    reqwest::get(server.url("/no/such/page/123")).await.unwrap();
    let s = scrape(&server).await;
    assert!(value(&s, "geoledger_http_requests_total", &[("route", "unmatched")]) >= 1.0);
    assert!(!any_label_contains(&s, "/no/such"));

    // Import rows by outcome: three rows, one refused.
    let csv =
        b"city_name,state,latitude,longitude\nSurat,Gujarat,21.17,72.83\nAtlantis,Ocean,1,2\nVapi,Gujarat,20.37,72.9\n";
    api.import(csv, "format=cities", FIRST).await;
    let s = scrape(&server).await;
    assert_eq!(value(&s, "geoledger_import_rows_total", &[("outcome", "read")]), 3.0);
    assert_eq!(value(&s, "geoledger_import_rows_total", &[("outcome", "invalid")]), 1.0);
    assert_eq!(value(&s, "geoledger_import_changes_total", &[("outcome", "published")]), 2.0);

    // Live-stream clients: counted while connected, not after.
    let stream = api.stream().await;
    scrape_until(&server, "one stream client", |s| value(s, "geoledger_sse_clients", &[]) == 1.0).await;
    drop(stream);
    scrape_until(&server, "no stream client", |s| value(s, "geoledger_sse_clients", &[]) == 0.0).await;

    // The materializer's lag, by partition of each topic it reads: caught up, 0.
    let of_topic = |s: &Scrape| {
        samples(s, "geoledger_materializer_lag")
            .into_iter()
            .filter_map(|(l, _)| {
                (label(&l, "topic") == Some(topic.as_str())).then(|| label(&l, "partition").map(str::to_string))
            })
            .collect::<Vec<_>>()
    };
    let s = scrape_until(&server, "the lag gauge", |s| !of_topic(s).is_empty()).await;
    let mut partitions = of_topic(&s);
    partitions.sort();
    assert_eq!(partitions, [Some("0".into()), Some("1".into()), Some("2".into())], "one gauge per partition");
    scrape_until(&server, "a caught-up materializer", |s| value(s, "geoledger_materializer_lag", &[]) == 0.0).await;
}
