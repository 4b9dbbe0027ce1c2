//! Data quality: where the reference data is likely wrong. Each rule with
//! its open and accepted findings (a click filters by it); the findings,
//! filtered by rule, state and status (`/quality?rule=…&state=…&status=…`),
//! each said in a sentence with links to its entity and to the map; and
//! Accept, with a reason, for a finding that is right as it is. Live: the
//! counts and the list follow the stream's `quality` events.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{accept_finding, get_quality_summary, list_findings};
use crate::components::alert::Problem;
use crate::components::live::Live;
use crate::components::pager::{listing, Paging};
use crate::components::quality_layer::map_link;
use crate::domain::error::AppError;
use crate::domain::quality::{EntityKind, Finding, FindingsPage, FindingsQuery, QualitySummary, Rule, Status};
use crate::domain::state::STATES;

const PAGE_SIZE: &str = "50";

#[component]
pub fn QualityPage() -> impl IntoView {
    let live = expect_context::<Live>();
    let asked = |key: &str| use_query_map().with_untracked(|m| m.get(key)).unwrap_or_default();
    let (rule, state, status) =
        (RwSignal::new(asked("rule")), RwSignal::new(asked("state")), RwSignal::new(asked("status")));
    let paging = Paging::new();
    // The counts as the page is rendered; then as the stream tells them.
    let summary = Resource::new(|| (), |_| get_quality_summary());
    let counts = move || match live.quality.get() {
        Some(told) => Some(Ok(told)),
        None => summary.get(),
    };
    let page = Resource::new(
        move || (rule.get(), state.get(), status.get(), paging.cursor.get(), live.quality.get()),
        |(rule, state, status, cursor, _)| async move {
            let query =
                FindingsQuery::read(Some(&rule), Some(&state), Some(&status), cursor.as_deref(), Some(PAGE_SIZE))
                    .map_err(AppError::Invalid)?;
            list_findings(query).await
        },
    );
    let pick = move |signal: RwSignal<String>| {
        move |e: leptos::ev::Event| {
            signal.set(event_target_value(&e));
            paging.reset();
        }
    };
    view! {
        <Title text="Quality"/>
        <div class="page-head">
            <h1>"Quality"</h1>
            <p class="muted">
                "Where the data is likely wrong, found by rules over all of it, and kept current as it changes."
            </p>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Counting findings…"</p> }>
            {move || counts().map(|s| match s {
                Ok(s) => view! { <RuleCards summary=s rule paging/> }.into_any(),
                Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
            })}
        </Transition>
        <form class="filters" on:submit=|e| e.prevent_default()>
            <div>
                <label for="quality-rule">"Rule"</label>
                <select id="quality-rule" prop:value=rule on:change=pick(rule)>
                    <option value="">"Every rule"</option>
                    {Rule::ALL.iter().map(|r| view! { <option value=r.id()>{r.title()}</option> }).collect_view()}
                </select>
            </div>
            <div>
                <label for="quality-state">"State"</label>
                <select id="quality-state" prop:value=state on:change=pick(state)>
                    <option value="">"Every state"</option>
                    {STATES.iter().map(|s| view! { <option value=s.name>{s.name}</option> }).collect_view()}
                </select>
            </div>
            <div>
                <label for="quality-status">"Status"</label>
                <select id="quality-status" prop:value=status on:change=pick(status)>
                    <option value="">"Open"</option>
                    <option value="accepted">"Accepted"</option>
                </select>
            </div>
        </form>
        {listing(page, paging, "Loading findings…", move |p: FindingsPage| {
            (view! { <FindingList findings=p.findings/> }, p.next_cursor)
        })}
    }
}

/// Each rule: its title, open and accepted counts, what it checks; a click filters by it.
#[component]
fn RuleCards(summary: QualitySummary, rule: RwSignal<String>, paging: Paging) -> impl IntoView {
    let cards = summary
        .rules
        .into_iter()
        .map(|r| {
            let id = r.id.id();
            let chosen = move || rule.get() == id;
            view! {
                <button class="rule-card" class:chosen=chosen data-testid=format!("quality-rule-{id}")
                    title=r.explanation.clone()
                    on:click=move |_| {
                        rule.set(if chosen() { String::new() } else { id.to_string() });
                        paging.reset();
                    }>
                    <span class="rule-open" data-testid="rule-open">{crate::format::indian(r.open)}</span>
                    <span class="rule-title">{r.title.clone()}</span>
                    <small class="muted">
                        {match &r.not_checked {
                            Some(why) => format!("Not checked: {why}"),
                            None if r.accepted > 0 => format!("{} accepted", crate::format::indian(r.accepted)),
                            None => String::new(),
                        }}
                    </small>
                </button>
            }
        })
        .collect_view();
    view! {
        <p class="quality-total" data-testid="quality-open">
            {format!("{} open findings", crate::format::indian(summary.open))}
        </p>
        <div class="rule-cards">{cards}</div>
    }
}

#[component]
fn FindingList(findings: Vec<Finding>) -> impl IntoView {
    if findings.is_empty() {
        return view! { <p class="muted empty">"No finding here: nothing to fix."</p> }.into_any();
    }
    view! {
        <ul class="findings">
            {findings.into_iter().map(|f| view! { <FindingRow finding=f/> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn FindingRow(finding: Finding) -> impl IntoView {
    let entity = match finding.entity.kind {
        EntityKind::City => (format!("/cities/{}", finding.entity.id), "The city".to_string()),
        EntityKind::Pincode => (format!("/pincodes?q={}", finding.entity.id), format!("Pincode {}", finding.entity.id)),
    };
    let on_map = map_link(&finding).map(|href| view! { <a href=href data-testid="finding-map">"On the map"</a> });
    let accepted = finding.accepted.clone().map(|a| {
        view! {
            <p class="muted accepted-note">
                {format!("Accepted by {} on {}: “{}”", a.by, crate::format::readable_time(&a.at), a.reason)}
            </p>
        }
    });
    let can_accept = finding.status == Status::Open;
    let id = finding.id.clone();
    view! {
        <li class="finding" data-testid="finding" data-finding-id=finding.id.clone() data-rule=finding.rule.id()>
            <span class="finding-rule">{finding.rule.title()}</span>
            <p class="finding-message">{finding.message.clone()}</p>
            <p class="finding-links">
                <span class="muted">{finding.state.clone()}</span>
                <a href=entity.0>{entity.1}</a>
                {on_map}
            </p>
            {accepted}
            {can_accept.then(|| view! { <AcceptForm id/> })}
        </li>
    }
}

/// "Accept…": a reason, then Accept; the finding leaves the open list.
#[component]
fn AcceptForm(id: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let done = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let id = StoredValue::new(id);
    let send = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let (id, text) = (id.get_value(), reason.get_untracked());
        leptos::task::spawn_local(async move {
            match accept_finding(id, text).await {
                // The list follows the stream's `quality` event; meanwhile, say so here.
                Ok(_) => done.set(true),
                Err(e) => problem.set(Some(match &e {
                    AppError::Invalid(errors) => errors.for_field("reason").unwrap_or_default().to_string(),
                    other => other.to_string(),
                })),
            }
        });
    };
    view! {
        <Show when=move || !done.get()
            fallback=|| view! { <span class="muted" data-testid="accepted">"Accepted"</span> }>
        <Show when=move || open.get() fallback=move || view! {
            <button class="link" on:click=move |_| open.set(true)>"Accept…"</button>
        }>
            <form class="accept-form" on:submit=send>
                <label>
                    "Why is it right as it is?"
                    <input type="text" name="reason" maxlength="500"
                        placeholder="two villages, both real" prop:value=reason
                        on:input=move |e| reason.set(event_target_value(&e))/>
                </label>
                <button class="button" type="submit">"Accept"</button>
                <button class="link" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                {move || problem.get().map(|p| view! { <span class="field-error" role="alert">{p}</span> })}
            </form>
        </Show>
        </Show>
    }
}
