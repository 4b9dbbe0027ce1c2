//! `/kafka/groups`: every consumer group, its state, assignor, members and
//! total lag. Read again every few seconds.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::get_kafka_overview;
use crate::components::alert::Problem;
use crate::components::kafka::{refreshes, GroupTable};

#[component]
pub fn GroupsPage() -> impl IntoView {
    let ticks = refreshes();
    let overview = Resource::new(move || ticks.get(), |_| get_kafka_overview());
    view! {
        <Title text="Consumer groups"/>
        <p class="crumbs"><a href="/kafka">"Kafka"</a></p>
        <h1>"Consumer groups"</h1>
        <Transition fallback=|| view! { <p class="muted">"Reading the groups…"</p> }>
            {move || overview.get().map(|r| match r {
                Ok(o) => view! { <GroupTable groups=o.groups/> }.into_any(),
                Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}
