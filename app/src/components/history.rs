//! One history entry as a page shows it: when, what, who, each field it
//! changed (before → after), a link to its message, and Revert. The city
//! page lists its own; the activity feed lists every entity's.

use leptos::prelude::*;

use crate::api::revert_change;
use crate::components::live::Live;
use crate::domain::changes::DELETED;
use crate::domain::history::HistoryEntry;
use crate::domain::revert;
use crate::format::readable_time;

/// One applied event: when, what, who, each field it changed (before →
/// after), a link to its message in the topic's message browser, and Revert:
/// a confirmation that shows what the revert will do, then the revert; a
/// later change to the same fields is named, with "Revert anyway".
/// `entity`: the link to what it changed, where the list holds many entities' (the activity feed).
#[component]
pub fn HistoryItem(entry: HistoryEntry, #[prop(optional)] entity: Option<(String, String)>) -> impl IntoView {
    let live = expect_context::<Live>();
    let (asking, refusal) = (RwSignal::new(false), RwSignal::new(None::<String>));
    let message = entry.event.as_ref().map(|at| {
        let href = format!("/kafka/topics/{}?partition={}&offset={}", at.topic, at.partition, at.offset);
        view! { <a class="small" href=href>{format!("message {}:{}", at.partition, at.offset)}</a> }
    });
    let job =
        entry.import_job.as_ref().map(|job| view! { <span class="muted small">{format!(" · import {job}")}</span> });
    let reverts =
        entry.reverts.as_ref().map(|id| view! { <span class="muted small">{format!(" · reverts {id}")}</span> });
    // What the revert would do (the server checks later changes when asked).
    let will = revert::plan(&entry, &[], true).ok();
    let rows = |changes: Vec<(String, String, String)>| {
        changes
            .into_iter()
            .map(|(field, from, to)| {
                view! {
                    <tr>
                        <th scope="row">{field}</th>
                        <td class="before">{from}</td>
                        <td class="after">{to}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    let diff: Vec<_> = entry.changes.iter().map(|c| (c.field.clone(), shown(&c.before), shown(&c.after))).collect();
    let back: Vec<_> = entry
        .changes
        .iter()
        .filter(|c| c.field != DELETED)
        .map(|c| (c.field.clone(), shown(&c.after), shown(&c.before)))
        .collect();
    let what = match &will {
        Some(revert::Action::Delete) => view! { <p>"It will soft-delete it (it can be restored)."</p> }.into_any(),
        Some(revert::Action::Restore) => view! { <p>"It will restore it."</p> }.into_any(),
        _ => view! {
            <p>"It will set these fields back:"</p>
            <table class="diff" data-testid="revert-diff"><tbody>{rows(back)}</tbody></table>
        }
        .into_any(),
    };
    let id = entry.event_id.clone();
    let label = format!("Revert {}", entry.summary);
    let go = move |force: bool| {
        let (id, label) = (id.clone(), label.clone());
        leptos::task::spawn_local(async move {
            match revert_change(id, force).await {
                Ok(published) => {
                    asking.set(false);
                    refusal.set(None);
                    live.track(&published, label);
                }
                Err(e) => refusal.set(Some(e.to_string())),
            }
        });
    };
    let (go_once, go_anyway) = (go.clone(), go);
    view! {
        <li data-event=entry.event_id.clone()>
            <time datetime=entry.time.clone()>{readable_time(&entry.time)}</time>
            {entity.map(|(href, label)| view! { <a class="entity" href=href>{label}</a> })}
            <span class="summary">{entry.summary.clone()}</span>
            <span class="muted small">{format!("{} · {}", entry.actor, entry.event_type)}</span>
            <span>{job}{reverts}" "{message}</span>
            <table class="diff" data-testid="diff"><tbody>{rows(diff)}</tbody></table>
            {will.is_some().then(|| view! {
                <div class="revert">
                    <button class="button button-light small" type="button" on:click=move |_| asking.set(true)
                        hidden=move || asking.get()>"Revert…"</button>
                    <div class="confirm" data-testid="revert-confirm" hidden=move || !asking.get()>
                        <strong>"Revert this change?"</strong>
                        {what}
                        {move || refusal.get().map(|why| view! { <p class="alert alert-down" role="alert">{why}</p> })}
                        <div class="confirm-actions">
                            <button class="button" type="button" on:click=move |_| go_once(false)>"Revert"</button>
                            {move || refusal.get().is_some_and(|why| why.contains("force=true")).then(|| {
                                let go_anyway = go_anyway.clone();
                                view! {
                                    <button class="button" type="button" on:click=move |_| go_anyway(true)>
                                        "Revert anyway"
                                    </button>
                                }
                            })}
                            <button class="button button-light" type="button"
                                on:click=move |_| { asking.set(false); refusal.set(None); }>"Cancel"</button>
                        </div>
                    </div>
                </div>
            })}
        </li>
    }
}

/// A field's value as a history shows it: text as it is, none as a dash.
fn shown(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
