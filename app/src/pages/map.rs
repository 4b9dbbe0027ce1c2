//! The map page: the Leaflet map (components::map) with what an admin does on
//! it: a click offers "New city here" and "New pincode here", a right-click
//! (a long press) asks "What's here?", a marker's Edit opens the city form,
//! the search box flies to a place, and a line says what the view holds and
//! how it is drawn.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::get_map_config;
use crate::components::city_form::{Editing, LazyCityForm};
use crate::components::live::Live;
use crate::components::map::{Counts, MapTalk, MapView};
use crate::components::map_search::MapSearch;
use crate::components::pincode_form::LazyPincodeForm;
use crate::components::whats_here::WhatsHere;
use crate::domain::pincode::field as pincode_field;

#[component]
pub fn MapPage() -> impl IntoView {
    let live = expect_context::<Live>();
    let editing = RwSignal::new(None::<Editing>);
    let new_pincode = RwSignal::new(None::<HashMap<String, String>>);
    let clicked = RwSignal::new(None::<(f64, f64)>);
    let counts =
        Counts { summary: RwSignal::new(String::new()), loading: RwSignal::new(true), outline: RwSignal::new(false) };
    // `/?quality=1` opens with the Quality layer on (the quality page links so).
    let quality = RwSignal::new(use_query_map().with_untracked(|m| m.get("quality")).is_some_and(|q| q == "1"));
    let talk = MapTalk { clicked, asked: RwSignal::new(None), fly_to: RwSignal::new(None), counts, quality };
    let config = Resource::new(|| (), |_| get_map_config());

    view! {
        <Title text="Map"/>
        <div class="page-head">
            <h1>"Map"</h1>
            <MapSearch fly_to=talk.fly_to/>
            <div class="map-status">
                <p class="muted" data-testid="map-count">{move || counts.summary.get()}</p>
                <p class="muted" data-testid="map-tiles" hidden=move || !counts.outline.get()>
                    "No map tiles: India's outline is drawn"
                </p>
                <label class="layer-toggle" title="Open quality findings in view: a ring each, a line to a far city">
                    <input type="checkbox" data-testid="map-quality-toggle" prop:checked=quality
                        on:change=move |e| quality.set(event_target_checked(&e))/>
                    "Quality"
                </label>
            </div>
        </div>
        <WhatsHere asked=talk.asked/>
        {move || clicked.get().map(|(lat, lng)| view! {
            <div class="panel here" data-testid="click-panel">
                <span>{format!("{lat:.5}, {lng:.5}")}</span>
                <button class="button" on:click=move |_| {
                    editing.set(Some(Editing::new_city_at(lat, lng)));
                    clicked.set(None);
                }>
                    "New city here"
                </button>
                <button class="button" on:click=move |_| {
                    new_pincode.set(Some(HashMap::from([
                        (pincode_field::LATITUDE.to_string(), format!("{lat:.5}")),
                        (pincode_field::LONGITUDE.to_string(), format!("{lng:.5}")),
                    ])));
                    clicked.set(None);
                }>
                    "New pincode here"
                </button>
                <button class="button button-light" on:click=move |_| clicked.set(None)>"Close"</button>
            </div>
        })}
        {move || editing.get().map(|e| view! { <LazyCityForm editing=e on_close=move || editing.set(None)/> })}
        {move || new_pincode.get().map(|values| view! {
            <LazyPincodeForm values on_close=move || new_pincode.set(None)/>
        })}
        <Suspense>
            {move || config.get().map(|c| match c {
                Ok(c) => view! { <MapView config=c live editing talk/> }.into_any(),
                Err(e) => view! { <p class="alert alert-down">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}
