//! The overview: is GeoLedger connected to its backends right now?

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::get_readiness;
use crate::domain::health::{BackendCheck, Readiness};
use crate::format::readable_time;

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
    }
}

#[component]
fn ReadinessView(readiness: Readiness) -> impl IntoView {
    let summary = if readiness.is_ready() {
        "All backends are ready.".to_string()
    } else {
        format!("Not ready: {} down.", readiness.failing.join(" and "))
    };
    let class = if readiness.is_ready() { "alert alert-ok" } else { "alert alert-down" };
    view! {
        <p class=class role="status" data-testid="readiness-summary">{summary}</p>
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
        other => other,
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
                    {if ok { "Ready" } else { "Down" }}
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
