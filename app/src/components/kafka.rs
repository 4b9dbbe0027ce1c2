//! What the Kafka status pages share: a steady refresh, and the ways they
//! write numbers, retention and a group's state.

use leptos::prelude::*;

use crate::components::live::Live;
use crate::domain::kafka::{retention_text, Group, KafkaMessage};
use crate::format::{indian, plural};

/// A number that moves whenever the page should read Kafka again: at every
/// lag sample the live stream brings (every few seconds), and when a change
/// arrives.
pub fn refreshes() -> Signal<(i64, u64)> {
    let live = expect_context::<Live>();
    Signal::derive(move || (live.lag.with(|l| l.as_ref().map(|l| l.at).unwrap_or(0)), live.version.get()))
}

/// `retention.ms` as Kafka reports it, for people ("—" when unknown).
pub fn retention(ms: Option<&str>) -> String {
    ms.and_then(|m| m.parse::<i64>().ok()).map(retention_text).unwrap_or_else(|| "—".into())
}

/// A count the Indian way; negative stays as it is.
pub fn count(n: i64) -> String {
    if n < 0 {
        n.to_string()
    } else {
        indian(n as u64)
    }
}

/// A consumption rate: "12.3 events/s", or "—" before it is known.
pub fn rate(events_per_second: Option<f64>) -> String {
    events_per_second.map(|r| format!("{r:.1} events/s")).unwrap_or_else(|| "—".into())
}

/// A group's state, coloured: stable green, empty grey, rebalancing amber.
pub fn group_state(state: &str) -> impl IntoView {
    let class = match state {
        "Stable" => "pill pill-ok",
        "Dead" => "pill pill-down",
        "Empty" => "pill pill-quiet",
        _ => "pill pill-busy",
    };
    view! { <span class=class data-state=state.to_string()>{state.to_string()}</span> }
}

/// Milliseconds since 1970 as `2026-11-29 10:00:00.123 UTC`.
pub fn time_of(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// A table as the Kafka pages draw it: its columns headed, its rows given.
#[component]
pub fn Table(testid: &'static str, columns: &'static [&'static str], children: Children) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" data-testid=testid>
                <thead><tr>{columns.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}</tr></thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// The groups, as the overview and `/kafka/groups` list them.
#[component]
pub fn GroupTable(groups: Vec<Group>) -> impl IntoView {
    if groups.is_empty() {
        return view! { <p class="muted empty">"No consumer group."</p> }.into_any();
    }
    let rows = groups
        .into_iter()
        .map(|g| {
            let href = format!("/kafka/groups/{}", g.id);
            view! {
                <tr data-group=g.id.clone()>
                    <td class="name"><a href=href>{g.id.clone()}</a></td>
                    <td>{group_state(&g.state)}</td>
                    <td>{g.assignor.clone()}</td>
                    <td class="num">{g.members.len()}</td>
                    <td class="wrap">{g.topics().join(", ")}</td>
                    <td class="num" data-testid="total-lag">{count(g.total_lag())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Table testid="groups" columns=&["Group", "State", "Assignor", "Members", "Topics", "Lag"]>{rows}</Table>
    }
    .into_any()
}

/// A message's headers (folded away) and its value, as text: JSON formatted,
/// anything else as it is.
#[component]
pub fn MessageBody(message: KafkaMessage) -> impl IntoView {
    let headers = message.headers.len();
    view! {
        {(headers > 0).then(|| view! {
            <details class="headers">
                <summary>{plural(headers as i64, "header")}</summary>
                <dl>
                    {message.headers
                        .iter()
                        .map(|(k, v)| view! { <dt>{k.clone()}</dt><dd>{v.clone()}</dd> })
                        .collect_view()}
                </dl>
            </details>
        })}
        <pre class="value" class:raw=!message.json>{message.value.clone()}</pre>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_reads_as_people_say_it() {
        assert_eq!(retention(Some("604800000")), "7 days");
        assert_eq!(retention(Some("-1")), "forever");
        assert_eq!(retention(Some("3600000")), "1 hour");
        assert_eq!(retention(Some("1500")), "1500 ms");
        assert_eq!(retention(None), "—");
    }
}
