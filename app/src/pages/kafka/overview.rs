//! `/kafka`: the cluster (id, controller, brokers), GeoLedger's topics with
//! their partitions, replication, retention, health and message counts and
//! the groups reading them, and the consumer groups with their lag. Kafka's
//! own topics, and any others, behind a toggle. Read again every few seconds.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{get_kafka_overview, KafkaOverview};
use crate::components::alert::{Problem, Warnings};
use crate::components::form::Check;
use crate::components::kafka::{count, refreshes, retention, GroupTable, Table};
use crate::domain::kafka::{Group, Topic};
use crate::format::readable_time;

const TOPIC_COLUMNS: &[&str] =
    &["Topic", "Partitions", "Replication", "Retention", "Under-replicated", "Messages", "Groups (lag)"];

#[component]
pub fn KafkaPage() -> impl IntoView {
    let every_topic = RwSignal::new(false);
    let ticks = refreshes();
    let overview = Resource::new(move || ticks.get(), |_| get_kafka_overview());
    view! {
        <Title text="Kafka"/>
        <div class="page-head">
            <h1>"Kafka"</h1>
            <nav class="head-links" aria-label="Kafka">
                <a class="button button-light" href="/kafka/groups">"Consumer groups"</a>
                <a class="button button-light" href="/kafka/dead-letters">"Dead letters"</a>
            </nav>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Reading the cluster…"</p> }>
            {move || overview.get().map(|r| match r {
                Ok(o) => view! { <Overview overview=o every_topic/> }.into_any(),
                Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Overview(overview: KafkaOverview, every_topic: RwSignal<bool>) -> impl IntoView {
    let KafkaOverview { cluster, groups } = overview;
    let controller = cluster.controller;
    let read_at = readable_time(&cluster.read_at);
    let topics = cluster.topics.clone();
    let table_topics = topics.clone();
    let warnings: Vec<String> = topics.iter().filter_map(Topic::retention_warning).collect();
    view! {
        <Warnings warnings/>
        <section class="card cluster" data-testid="cluster">
            <dl class="details">
                <dt>"Cluster id"</dt><dd><code>{cluster.id.clone().unwrap_or_else(|| "—".into())}</code></dd>
                <dt>"Controller"</dt>
                <dd>{controller.map(|c| format!("broker {c}")).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Read at"</dt><dd>{read_at}</dd>
            </dl>
        </section>
        <h2>"Brokers"</h2>
        <Table testid="brokers" columns=&["Id", "Host", "Port", "Rack", "Role"]>
                    {cluster.brokers.into_iter().map(|b| view! {
                        <tr>
                            <td class="num">{b.id}</td><td>{b.host}</td><td class="num">{b.port}</td>
                            <td>{b.rack.unwrap_or_else(|| "—".into())}</td>
                            <td>{if Some(b.id) == controller { "controller" } else { "" }}</td>
                        </tr>
                    }).collect_view()}
                </Table>
        <div class="page-head section-head">
            <h2>"Topics"</h2>
            <Check checked=every_topic label="Show every topic (Kafka's internal ones too)"/>
        </div>
        {move || {
            let shown: Vec<Topic> =
                table_topics.iter().filter(|t| t.geoledger || every_topic.get()).cloned().collect();
            view! { <TopicTable topics=shown/> }
        }}
        <h2>"Consumer groups"</h2>
        {move || {
            // The groups reading the topics shown (all of them: /kafka/groups).
            let shown = |g: &Group| {
                every_topic.get() || g.topics().iter().any(|t| topics.iter().any(|s| &s.name == t && s.geoledger))
            };
            view! { <GroupTable groups=groups.iter().filter(|g| shown(g)).cloned().collect()/> }
        }}
    }
}

#[component]
fn TopicTable(topics: Vec<Topic>) -> impl IntoView {
    let rows = topics
        .into_iter()
        .map(|t| {
            let href = format!("/kafka/topics/{}", t.name);
            let groups =
                t.groups.iter().map(|g| format!("{} (lag {})", g.group, count(g.lag))).collect::<Vec<_>>().join(", ");
            let under = t.under_replicated();
            let warn = under > 0;
            view! {
                <tr data-topic=t.name.clone() class:internal=t.internal>
                    <td class="name"><a href=href>{t.name.clone()}</a></td>
                    <td class="num">{t.partitions.len()}</td>
                    <td class="num">{t.replication_factor()}</td>
                    <td>{retention(t.config("retention.ms"))}</td>
                    <td class="num" class:warn=warn>{under}</td>
                    <td class="num" data-testid="messages">{count(t.messages())}</td>
                    <td class="wrap">{if groups.is_empty() { "—".to_string() } else { groups }}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Table testid="topics" columns=TOPIC_COLUMNS>{rows}</Table>
    }
}
