//! Activity: the newest changes across every city and pincode, live, each
//! with who made it, what it changed field by field, its message, its entity
//! and Revert; filtered by who, the type of change and the import job
//! (`/activity?actor=…&type=…&job=…`), paged back in time.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::list_activity;
use crate::components::history::HistoryItem;
use crate::components::live::Live;
use crate::components::pager::{listing, Paging};
use crate::domain::activity::{ActivityPage as Page, ActivityQuery};
use crate::domain::error::AppError;
use crate::domain::event::EventType;
use crate::domain::quality::EntityKind;

const PAGE_SIZE: &str = "50";

#[component]
pub fn ActivityPage() -> impl IntoView {
    let live = expect_context::<Live>();
    let asked = |key: &str| use_query_map().with_untracked(|m| m.get(key)).unwrap_or_default();
    let (actor, kind, job) = (RwSignal::new(asked("actor")), RwSignal::new(asked("type")), RwSignal::new(asked("job")));
    // One city's or pincode's history (`?entity=`), from its links elsewhere.
    let entity = RwSignal::new(asked("entity"));
    let paging = Paging::new();
    let page = Resource::new(
        move || (actor.get(), kind.get(), job.get(), entity.get(), paging.cursor.get(), live.version.get()),
        |(actor, kind, job, entity, before, _)| async move {
            let filters = [actor, kind, job, entity].map(Some);
            let [actor, kind, job, entity] = filters.each_ref().map(Option::as_deref);
            let query = ActivityQuery::read(actor, kind, job, entity, before.as_deref(), Some(PAGE_SIZE))
                .map_err(AppError::Invalid)?;
            list_activity(query).await
        },
    );
    let typed = move |signal: RwSignal<String>| {
        move |e: leptos::ev::Event| {
            signal.set(event_target_value(&e));
            paging.reset();
        }
    };
    let kinds = ["city", "pincode"].into_iter().chain(EventType::ALL.iter().map(|t| t.as_str()));
    view! {
        <Title text="Activity"/>
        <div class="page-head">
            <h1>"Activity"</h1>
            <p class="muted">"Every change to the data, newest first, as it is applied."</p>
        </div>
        {move || (!entity.get().is_empty()).then(|| view! {
            <p class="filter-note" data-testid="entity-filter">
                {format!("The history of {} only. ", entity.get())}
                <a href="/activity" on:click=move |_| { entity.set(String::new()); paging.reset(); }>"Every change"</a>
            </p>
        })}
        <form class="filters" on:submit=|e| e.prevent_default()>
            <div>
                <label for="activity-actor">"Made by"</label>
                <input id="activity-actor" type="search" placeholder="an email, token:NAME or cli:USER"
                    prop:value=actor on:change=typed(actor)/>
            </div>
            <div>
                <label for="activity-type">"Change"</label>
                <select id="activity-type" on:change=typed(kind) prop:value=kind>
                    <option value="">"Every change"</option>
                    {kinds.map(|k| view! { <option value=k>{k}</option> }).collect_view()}
                </select>
            </div>
            <div>
                <label for="activity-job">"Import job"</label>
                <input id="activity-job" type="search" placeholder="a job's id" prop:value=job on:change=typed(job)/>
            </div>
        </form>
        {listing(page, paging, "Loading the activity…", move |p: Page| {
            let rows = if p.entries.is_empty() {
                view! { <p class="muted empty">"No change matches."</p> }.into_any()
            } else {
                let items = p
                    .entries
                    .into_iter()
                    .map(|a| {
                        let label = match a.entity.kind {
                            EntityKind::City => format!("city {}", a.entity.id),
                            EntityKind::Pincode => format!("pincode {}", a.entity.id),
                        };
                        let entity = (a.entity_href(), label);
                        view! { <HistoryItem entry=a.entry entity/> }
                    })
                    .collect_view();
                view! { <ol class="history activity" data-testid="activity">{items}</ol> }.into_any()
            };
            (rows, p.next_cursor)
        })}
    }
}
