//! The overview, the landing page of the status pages: is GeoLedger connected
//! to its backends right now (and is this instance's materializer moving), and
//! how is the pipeline doing: the materializer (state, lag, rate, this
//! instance's consumer), the event topics, the dead letters waiting, the cluster.
//! Each links to its Kafka page. The backends are checked every 10 seconds, the
//! pipeline read again at every lag sample and change.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{get_pipeline_status, get_readiness};
use crate::components::alert::{Problem, Warnings};
use crate::components::kafka::{count, group_state, rate, refreshes};
use crate::components::live::Live;
use crate::domain::health::{BackendCheck, MaterializerState, Readiness};
use crate::domain::kafka::PipelineStatus;
use crate::format::{plural, readable_time};

/// How often the page checks again by itself.
const REFRESH_MS: u64 = 10_000;

#[component]
pub fn Overview() -> impl IntoView {
    let (round, set_round) = signal(0u32);
    let readiness = Resource::new(move || round.get(), |_| get_readiness());

    // Check again every few seconds while the page is open (browser only).
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || set_round.update(|n| *n += 1),
            std::time::Duration::from_millis(REFRESH_MS),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });

    view! {
        <Title text="Overview"/>
        <div class="page-head">
            <h1>"Overview"</h1>
            <button class="button" on:click=move |_| set_round.update(|n| *n += 1)>
                "Check again"
            </button>
        </div>
        <section aria-labelledby="backends-title">
            <h2 id="backends-title">"Backends"</h2>
            <Transition fallback=|| view! { <p class="muted">"Checking the backends…"</p> }>
                {move || {
                    readiness
                        .get()
                        .map(|result| match result {
                            Ok(r) => view! { <ReadinessView readiness=r/> }.into_any(),
                            Err(e) => {
                                view! {
                                    <p class="alert alert-down" role="alert">
                                        "Could not reach the GeoLedger server: " {e.to_string()}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
        <Pipeline/>
    }
}

#[component]
fn Pipeline() -> impl IntoView {
    let ticks = refreshes();
    let status = Resource::new(move || ticks.get(), |_| get_pipeline_status());
    view! {
        <section aria-labelledby="pipeline-title">
            <div class="page-head section-head">
                <h2 id="pipeline-title">"Pipeline"</h2>
                <a href="/kafka">"Kafka in detail"</a>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Reading the pipeline…"</p> }>
                {move || status.get().map(|r| match r {
                    Ok(s) => view! { <PipelineCards status=s/> }.into_any(),
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PipelineCards(status: PipelineStatus) -> impl IntoView {
    let live = expect_context::<Live>();
    let group = status.materializer_id.clone();
    let rate_group = group.clone();
    // The rate since the sample before, as the live stream brings it.
    let consuming =
        move || live.lag.with(|l| rate(l.as_ref().and_then(|l| l.groups.iter().find(|g| g.group == rate_group)?.rate)));
    let (state, lag, members) = match &status.materializer {
        Some(g) => (g.state.clone(), count(g.total_lag()), g.members.len()),
        None => ("Not joined".to_string(), "—".to_string(), 0),
    };
    // This instance's consumer, as its watchdog sees it.
    let here = status.this_instance.clone().map(|h| {
        let class = match h.state {
            MaterializerState::Consuming => "pill pill-ok",
            MaterializerState::Starting => "pill pill-busy",
            MaterializerState::Stalled => "pill pill-down",
        };
        let rebuilt = (h.restarts > 0).then(|| format!(" · rebuilt {}", plural(h.restarts as i64, "time")));
        view! {
            <dt>"This instance"</dt>
            <dd data-testid="materializer-here" data-state=h.state.label() title=h.detail.clone()>
                <span class=class>{h.state.label()}</span>
                {rebuilt}
            </dd>
        }
    });
    let waiting = status.dead_letters_waiting;
    let (waiting_class, waiting_text, waiting_note) = if waiting > 0 {
        let note = "Events the materializer could not apply: redrive them once the cause is fixed, or discard them.";
        ("pill pill-down", format!("{} waiting", count(waiting)), note)
    } else {
        ("pill pill-ok", "None waiting".to_string(), "Every event so far was applied, or its dead letter handled.")
    };
    let events: Vec<_> = status.topics.iter().filter(|t| t.name != status.dead_letter_topic).cloned().collect();
    view! {
        <div class="cards pipeline" data-testid="pipeline">
            <article class="card" data-card="materializer">
                <header><h3>"Materializer"</h3>{group_state(&state)}</header>
                <dl>
                    <dt>"Behind by"</dt><dd data-testid="materializer-lag">{lag} " events"</dd>
                    <dt>"Applying"</dt><dd data-testid="materializer-rate">{consuming}</dd>
                    <dt>"Members"</dt><dd>{members}</dd>
                    {here}
                </dl>
                <p class="card-link"><a href=format!("/kafka/groups/{group}")>"Its lag history"</a></p>
            </article>
            <article class="card" data-card="topics">
                <header><h3>"Event topics"</h3></header>
                <dl>
                    {events.into_iter().map(|t| {
                        let short = t.name.rsplit('.').next().unwrap_or_default().to_string();
                        let under = t.under_replicated();
                        view! {
                            <dt><a href=format!("/kafka/topics/{}", t.name)>{short}</a></dt>
                            <dd>
                                {format!("{} · ", plural(t.messages(), "event"))}
                                {plural(t.partitions.len() as i64, "partition")}
                                {(under > 0).then(|| view! {
                                    <span class="pill pill-down">{format!("{under} under-replicated")}</span>
                                })}
                            </dd>
                        }
                    }).collect_view()}
                </dl>
            </article>
            <article class="card" data-card="dead-letters">
                <header>
                    <h3>"Dead letters"</h3>
                    <span class=waiting_class data-testid="dead-letters-waiting">{waiting_text}</span>
                </header>
                <p class="muted">{waiting_note}</p>
                <p class="card-link"><a href="/kafka/dead-letters">"The dead letters"</a></p>
            </article>
            <article class="card" data-card="cluster">
                <header><h3>"Cluster"</h3></header>
                <dl>
                    <dt>"Brokers"</dt><dd>{status.brokers}</dd>
                    <dt>"Controller"</dt>
                    <dd>{status.controller.map(|c| format!("broker {c}")).unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Id"</dt><dd><code>{status.cluster_id.clone().unwrap_or_else(|| "—".into())}</code></dd>
                </dl>
                <p class="card-link">
                    <a href="/kafka">"Brokers and topics"</a>" · "<a href="/kafka/groups">"Consumer groups"</a>
                    " · "<a href="/metrics" rel="external">"Prometheus metrics"</a>
                </p>
            </article>
        </div>
    }
    .into_any()
}

#[component]
fn ReadinessView(readiness: Readiness) -> impl IntoView {
    let summary = if readiness.is_ready() {
        "All backends are ready.".to_string()
    } else {
        let failing: Vec<String> = readiness.failing.iter().map(|name| failing_phrase(name)).collect();
        format!("Not ready: {}.", failing.join(" and "))
    };
    let class = if readiness.is_ready() { "alert alert-ok" } else { "alert alert-down" };
    view! {
        <p class=class role="status" data-testid="readiness-summary">{summary}</p>
        <Warnings warnings=readiness.warnings.clone()/>
        <div class="cards">
            {readiness.backends.into_iter().map(|b| view! { <BackendCard check=b/> }).collect_view()}
        </div>
        <p class="muted small">
            "Checked at "
            <time data-testid="checked-at" datetime=readiness.checked_at.clone()>
                {readable_time(&readiness.checked_at)}
            </time>
        </p>
    }
}

fn backend_label(name: &str) -> &str {
    match name {
        "kafka" => "Kafka",
        "mongodb" => "MongoDB",
        "index" => "Read index",
        "materializer" => "Materializer",
        other => other,
    }
}

/// A failing check in the summary: "Kafka down", "the materializer stalled, restarting".
fn failing_phrase(name: &str) -> String {
    match name {
        "materializer" => "the materializer stalled, restarting".to_string(),
        other => format!("{} down", backend_label(other)),
    }
}

/// A check's pill: ready, down, or (the materializer) stalled and restarting.
fn down_label(ok: bool, name: &str) -> &'static str {
    match (ok, name) {
        (true, _) => "Ready",
        (false, "materializer") => "Stalled, restarting",
        (false, _) => "Down",
    }
}

#[component]
fn BackendCard(check: BackendCheck) -> impl IntoView {
    let ok = check.is_ok();
    view! {
        <article class="card backend" data-backend=check.name.clone() data-status=if ok { "ok" } else { "down" }>
            <header>
                <h3>{backend_label(&check.name).to_string()}</h3>
                <span class=if ok { "pill pill-ok" } else { "pill pill-down" }>
                    {down_label(ok, &check.name)}
                </span>
            </header>
            <dl>
                <dt>"Address"</dt>
                <dd><code>{check.target}</code></dd>
                <dt>"Latency"</dt>
                <dd>{format!("{:.1} ms", check.latency_ms)}</dd>
                <dt>{if ok { "Seen" } else { "Error" }}</dt>
                <dd class="detail">{check.detail}</dd>
            </dl>
        </article>
    }
}
