//! `/kafka/groups/{id}`: one consumer group: its state, coordinator and
//! assignor, its members and their partitions, and per partition the
//! committed offset, the log end offset and the lag (only those with lag, at
//! a toggle). Read again every few seconds.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{get_kafka_group, get_lag_history};
use crate::components::alert::Problem;
use crate::components::form::Check;
use crate::components::kafka::{count, group_state, rate, refreshes, Table};
use crate::domain::error::AppError;
use crate::domain::kafka::{Group, LagHistory, PartitionLag};

#[component]
pub fn GroupPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let only_lagging = RwSignal::new(false);
    let ticks = refreshes();
    let group = Resource::new(move || (id(), ticks.get()), |(id, _)| get_kafka_group(id));
    // Here, not in the view below: that is drawn again at every refresh, and
    // the chosen window and the chart must outlive it.
    let window = RwSignal::new(WINDOWS[0].1);
    let history = Resource::new(move || (id(), window.get(), ticks.get()), |(g, w, _)| get_lag_history(g, w));
    let lag = LagView { window, history };
    // The lag panel sits between the two parts redrawn at every refresh, not in
    // them: its window buttons must not be replaced under a click.
    view! {
        <Transition fallback=|| view! { <p class="muted">"Reading the group…"</p> }>
            {move || group.get().map(|r| match r {
                Ok(Some(g)) => view! { <GroupHead group=g/> }.into_any(),
                Ok(None) => view! {
                    <Title text="No such group"/>
                    <h1>"No such consumer group"</h1>
                    <p><a href="/kafka/groups">"All groups"</a></p>
                }
                .into_any(),
                Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
            })}
        </Transition>
        <LagPanel lag/>
        <Transition fallback=|| ()>
            {move || group.get().and_then(Result::ok).flatten().map(|g| view! { <GroupView group=g only_lagging/> })}
        </Transition>
    }
}

/// The group's name, state, coordinator, assignor and total lag.
#[component]
fn GroupHead(group: Group) -> impl IntoView {
    let total = group.total_lag();
    let assignor = if group.assignor.is_empty() { "—".to_string() } else { group.assignor.clone() };
    view! {
        <Title text=group.id.clone()/>
        <p class="crumbs"><a href="/kafka">"Kafka"</a> " / " <a href="/kafka/groups">"Consumer groups"</a></p>
        <div class="page-head">
            <h1 data-testid="group-id">{group.id.clone()}</h1>
            {group_state(&group.state)}
        </div>
        <section class="card">
            <dl class="details">
                <dt>"Coordinator"</dt>
                <dd>{group.coordinator.map(|c| format!("broker {c}")).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Assignor"</dt><dd>{assignor}</dd>
                <dt>"Total lag"</dt><dd data-testid="total-lag">{count(total)}</dd>
            </dl>
        </section>
    }
}

/// Its members, and its lag partition by partition.
#[component]
fn GroupView(group: Group, only_lagging: RwSignal<bool>) -> impl IntoView {
    let partitions = group.partitions.clone();
    view! {
        <h2>"Members"</h2>
        {if group.members.is_empty() {
            view! { <p class="muted">"No member: nobody is reading now."</p> }.into_any()
        } else {
            view! {
                <Table testid="members" columns=&["Client id", "Host", "Partitions"]>
                            {group.members.into_iter().map(|m| {
                                let given = m.assignment.iter().map(|(t, p)| format!("{t}/{p}")).collect::<Vec<_>>();
                                view! {
                                    <tr>
                                        <td>{m.client_id}</td><td>{m.host}</td>
                                        <td class="wrap">{given.join(", ")}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </Table>
            }.into_any()
        }}
        <div class="page-head section-head">
            <h2>"Partitions"</h2>
            <Check checked=only_lagging label="Only partitions with lag"/>
        </div>
        {move || {
            let shown: Vec<PartitionLag> = partitions
                .iter()
                .filter(|p| !only_lagging.get() || p.lag().is_some_and(|l| l > 0))
                .cloned()
                .collect();
            view! { <LagTable partitions=shown/> }
        }}
    }
}

#[component]
fn LagTable(partitions: Vec<PartitionLag>) -> impl IntoView {
    if partitions.is_empty() {
        return view! { <p class="muted empty">"No partition to show."</p> }.into_any();
    }
    let rows = partitions
        .into_iter()
        .map(|p| {
            let dash = |v: Option<i64>| v.map(count).unwrap_or_else(|| "—".into());
            view! {
                <tr data-partition=format!("{}/{}", p.topic, p.partition)>
                    <td class="name"><a href=format!("/kafka/topics/{}", p.topic)>{p.topic.clone()}</a></td>
                    <td class="num">{p.partition}</td>
                    <td class="num">{dash(p.committed)}</td>
                    <td class="num">{count(p.end)}</td>
                    <td class="num" data-testid="lag">{dash(p.lag())}</td>
                    <td>{p.member.clone().unwrap_or_else(|| "—".into())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Table testid="lag" columns=&["Topic", "Partition", "Committed", "Log end", "Lag", "Member"]>{rows}</Table>
    }
    .into_any()
}

/// The windows the lag chart offers: (label, seconds).
const WINDOWS: [(&str, u64); 3] = [("15 min", 900), ("1 h", 3600), ("24 h", 86_400)];

/// The chosen window of the lag history, and the history, read again at
/// every lag sample.
#[derive(Clone, Copy)]
struct LagView {
    window: RwSignal<u64>,
    history: Resource<Result<LagHistory, AppError>>,
}

/// The group's lag over a window, drawn, beside its consumption rate.
#[component]
fn LagPanel(lag: LagView) -> impl IntoView {
    let LagView { window, history } = lag;
    view! {
        <div class="page-head section-head">
            <h2>"Lag history"</h2>
            <div class="windows" role="group" aria-label="Window">
                {WINDOWS.iter().map(|(label, secs)| {
                    let secs = *secs;
                    view! {
                        <button class="button button-light" type="button"
                            aria-pressed=move || (window.get() == secs).to_string()
                            on:click=move |_| window.set(secs)>{*label}</button>
                    }
                }).collect_view()}
            </div>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Reading the history…"</p> }>
            {move || history.get().map(|r| match r {
                Ok(h) => view! { <LagChart history=h/> }.into_any(),
                Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

/// The chart: lag over the window, as a line over a shaded area (drawn on the
/// server; the browser redraws it as samples come).
#[component]
fn LagChart(history: LagHistory) -> impl IntoView {
    const W: f64 = 640.0;
    const H: f64 = 170.0;
    let (left, right, top, bottom) = (56.0, 10.0, 12.0, 24.0);
    let rate = rate(history.rate());
    let samples = &history.samples;
    let span = history.window_secs as f64 * 1000.0;
    let start = history.until as f64 - span;
    let max = samples.iter().map(|s| s.lag).max().unwrap_or(0).max(1) as f64;
    let x = |at: i64| left + ((at as f64 - start) / span).clamp(0.0, 1.0) * (W - left - right);
    let y = |lag: i64| top + (1.0 - lag.max(0) as f64 / max) * (H - top - bottom);
    let line: Vec<String> = samples.iter().map(|s| format!("{:.1},{:.1}", x(s.at), y(s.lag))).collect();
    let area = match (samples.first(), samples.last()) {
        (Some(a), Some(b)) => format!("{:.1},{:.1} {} {:.1},{:.1}", x(a.at), y(0), line.join(" "), x(b.at), y(0)),
        _ => String::new(),
    };
    let label = WINDOWS.iter().find(|(_, s)| *s == history.window_secs).map(|(l, _)| *l).unwrap_or("window");
    let last = samples.last().map(|s| count(s.lag)).unwrap_or_else(|| "—".into());
    view! {
        <div class="lag-chart">
            <dl class="details lag-numbers">
                <dt>"Now"</dt><dd data-testid="lag-now">{last}</dd>
                <dt>"Consumption"</dt><dd data-testid="rate">{rate}</dd>
                <dt>"Samples"</dt><dd data-testid="samples">{samples.len()}</dd>
            </dl>
            <svg viewBox=format!("0 0 {W} {H}") role="img" data-testid="lag-chart"
                aria-label=format!("{} lag over the last {label}", history.group)>
                <line x1=left y1=y(0) x2=W - right y2=y(0) class="axis"/>
                <line x1=left y1=top x2=left y2=y(0) class="axis"/>
                <text x=left - 6.0 y=top + 4.0 text-anchor="end" class="tick">{count(max as i64)}</text>
                <text x=left - 6.0 y=y(0) text-anchor="end" class="tick">"0"</text>
                <text x=left y=H - 6.0 class="tick">{format!("−{label}")}</text>
                <text x=W - right y=H - 6.0 text-anchor="end" class="tick">"now"</text>
                <polygon points=area class="area"/>
                <polyline points=line.join(" ") class="line"/>
            </svg>
            {samples.is_empty().then(|| view! {
                <p class="muted small">"No sample yet: the lag is sampled every few seconds."</p>
            })}
        </div>
    }
}
