//! One city: its details, its pincodes, and its history (newest first, with
//! who and when, what each change changed, and Revert). Updates live.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{get_city_details, revert_change};
use crate::components::alert::Problem;
use crate::components::live::Live;
use crate::components::offices::Offices;
use crate::domain::changes::DELETED;
use crate::domain::history::{CityDetails, HistoryEntry};
use crate::domain::map::view_to_hash;
use crate::domain::revert;
use crate::format::{indian, readable_time};

#[component]
pub fn CityPage() -> impl IntoView {
    let live = expect_context::<Live>();
    let params = use_params_map();
    let id = move || {
        params.with(|p| format!("{}/{}", p.get("state").unwrap_or_default(), p.get("name").unwrap_or_default()))
    };
    let details = Resource::new(move || (id(), live.version.get()), |(id, _)| get_city_details(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || details.get().map(|r| match r {
                Ok(Some(d)) => view! { <CityView details=d/> }.into_any(),
                Ok(None) => view! {
                    <Title text="No such city"/>
                    <h1>"No such city"</h1>
                    <p><a href="/cities">"All cities"</a></p>
                }
                .into_any(),
                Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn CityView(details: CityDetails) -> impl IntoView {
    let CityDetails { city, pincodes, history } = details;
    let f = city.fields.clone();
    let deleted = city.deleted_at.is_some();
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let or_dash = |text: Option<String>| text.unwrap_or_else(|| "—".into());
    // Close enough to see its pincodes around it.
    let on_map = format!("/{}", view_to_hash(f.latitude, f.longitude, 12.0));
    let also_called = (!f.alternate_names.is_empty()).then(|| f.alternate_names.join(", "));
    view! {
        <Title text=f.name.clone()/>
        <p class="crumbs"><a href="/cities">"Cities"</a> " / " {f.state.clone()}</p>
        <div class="page-head">
            <h1 data-testid="city-name">{f.name.clone()}</h1>
            {deleted.then(|| view! { <span class="pill pill-down">"Deleted"</span> })}
        </div>
        <section class="card">
            <dl class="details">
                <dt>"Id"</dt><dd><code>{city.id.clone()}</code></dd>
                <dt>"State"</dt><dd>{f.state.clone()}</dd>
                <dt>"District"</dt><dd>{or_dash(f.district.clone())}</dd>
                <dt>"Coordinates"</dt>
                <dd>
                    {format!("{:.5}, {:.5}", f.latitude, f.longitude)} " · " <a href=on_map>"Show on map"</a>
                </dd>
                <dt>"Population"</dt><dd>{or_dash(f.population.map(indian))}</dd>
                <dt>"Area"</dt><dd>{or_dash(f.area_sq_km.map(|a| format!("{a} km²")))}</dd>
                <dt>"Metro, capital"</dt><dd>{format!("{}, {}", yes_no(f.is_metro), yes_no(f.is_capital))}</dd>
                <dt>"Also called"</dt><dd>{or_dash(also_called)}</dd>
                <dt>"Updated"</dt><dd>{readable_time(&city.updated_at)}</dd>
            </dl>
        </section>
        <h2>{format!("Pincodes ({})", pincodes.len())}</h2>
        {if pincodes.is_empty() {
            view! { <p class="muted">"No pincode belongs to this city yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="table" data-testid="pincodes">
                        <thead>
                            <tr>
                                <th scope="col">"Pincode"</th><th scope="col">"Area or office"</th>
                                <th scope="col">"Offices"</th>
                                <th scope="col">"Coordinates"</th><th scope="col">"Status"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {pincodes.into_iter().map(|p| view! {
                                <tr class:deleted=p.deleted_at.is_some()>
                                    <td class="name">{p.fields.pincode.clone()}</td>
                                    <td>{p.fields.area_name.clone().unwrap_or_default()}</td>
                                    <td><Offices offices=p.fields.offices.clone()/></td>
                                    <td>{format!("{:.4}, {:.4}", p.fields.latitude, p.fields.longitude)}</td>
                                    <td>{if p.deleted_at.is_some() { "Deleted" } else { "" }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        <h2>"History"</h2>
        <ol class="history" data-testid="history">
            {history.into_iter().map(|h| view! { <HistoryItem entry=h/> }).collect_view()}
        </ol>
    }
}

/// One applied event: when, what, who, each field it changed (before →
/// after), a link to its message in the topic's message browser, and Revert:
/// a confirmation that shows what the revert will do, then the revert; a
/// later change to the same fields is named, with "Revert anyway".
#[component]
fn HistoryItem(entry: HistoryEntry) -> impl IntoView {
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
