//! `/kafka/groups/{id}`: one consumer group: its state, coordinator and
//! assignor, its members and their partitions, and per partition the
//! committed offset, the log end offset and the lag (only those with lag, at
//! a toggle). Read again every few seconds.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::get_kafka_group;
use crate::components::alert::Problem;
use crate::components::kafka::{count, group_state, refreshes};
use crate::domain::kafka::{Group, PartitionLag};

#[component]
pub fn GroupPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let only_lagging = RwSignal::new(false);
    let ticks = refreshes();
    let group = Resource::new(move || (id(), ticks.get()), |(id, _)| get_kafka_group(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Reading the group…"</p> }>
            {move || group.get().map(|r| match r {
                Ok(Some(g)) => view! { <GroupView group=g only_lagging/> }.into_any(),
                Ok(None) => view! {
                    <Title text="No such group"/>
                    <h1>"No such consumer group"</h1>
                    <p><a href="/kafka/groups">"All groups"</a></p>
                }
                .into_any(),
                Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn GroupView(group: Group, only_lagging: RwSignal<bool>) -> impl IntoView {
    let total = group.total_lag();
    let rate = group.rate.map(|r| format!("{r:.1} events/s")).unwrap_or_else(|| "—".into());
    let partitions = group.partitions.clone();
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
                <dt>"Consumption"</dt><dd>{rate}</dd>
            </dl>
        </section>
        <h2>"Members"</h2>
        {if group.members.is_empty() {
            view! { <p class="muted">"No member: nobody is reading now."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="table" data-testid="members">
                        <thead><tr>
                            <th scope="col">"Client id"</th><th scope="col">"Host"</th><th scope="col">"Partitions"</th>
                        </tr></thead>
                        <tbody>
                            {group.members.into_iter().map(|m| {
                                let given = m.assignment.iter().map(|(t, p)| format!("{t}/{p}")).collect::<Vec<_>>();
                                view! {
                                    <tr>
                                        <td>{m.client_id}</td><td>{m.host}</td>
                                        <td class="wrap">{given.join(", ")}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        <div class="page-head section-head">
            <h2>"Partitions"</h2>
            <label class="check">
                <input type="checkbox" prop:checked=only_lagging
                    on:change=move |e| only_lagging.set(event_target_checked(&e))/>
                " Only partitions with lag"
            </label>
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
        <div class="table-wrap">
            <table class="table" data-testid="lag">
                <thead><tr>
                    <th scope="col">"Topic"</th><th scope="col">"Partition"</th><th scope="col">"Committed"</th>
                    <th scope="col">"Log end"</th><th scope="col">"Lag"</th><th scope="col">"Member"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
