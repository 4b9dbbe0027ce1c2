//! The pincode form: a new pincode, or a change to one, its city chosen from a
//! search box ("Noida, Uttar Pradesh"). Used by the pincodes list and the map.

use std::collections::HashMap;

use leptos::prelude::*;
use serde_json::{Map, Value};

use crate::api::{list_cities, run_pincode_command, PincodeCommand};
use crate::components::form::{FormActions, FormStatus};
use crate::components::live::Live;
use crate::domain::city::CityListQuery;
use crate::domain::pincode::{field, validate_pincode, Pincode};

/// The city box's text: "Noida, Uttar Pradesh".
const CITY: &str = "city";

/// A pincode's values as the form shows them, to edit it.
pub fn values_of(p: &Pincode) -> HashMap<String, String> {
    let f = &p.fields;
    HashMap::from([
        (field::PINCODE.to_string(), f.pincode.clone()),
        (field::AREA_NAME.to_string(), f.area_name.clone().unwrap_or_default()),
        (field::LATITUDE.to_string(), f.latitude.to_string()),
        (field::LONGITUDE.to_string(), f.longitude.to_string()),
        (CITY.to_string(), format!("{}, {}", f.city_name, f.state)),
    ])
}

/// Splits "Noida, Uttar Pradesh" into the city's name and its state.
fn split_city(text: &str) -> (String, String) {
    match text.rsplit_once(',') {
        Some((name, state)) => (name.trim().to_string(), state.trim().to_string()),
        None => (text.trim().to_string(), String::new()),
    }
}

/// The form's text as the record the domain checks (the city box split in two).
fn record(values: &HashMap<String, String>) -> Map<String, Value> {
    let mut r: Map<String, Value> =
        values.iter().filter(|(k, _)| *k != CITY).map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let (name, state) = split_city(values.get(CITY).map(String::as_str).unwrap_or_default());
    r.insert(field::CITY_NAME.into(), Value::String(name));
    r.insert(field::STATE.into(), Value::String(state));
    r
}

/// The pincode form, its code fetched when it is first opened: the pages
/// that offer it (the map, the pincodes) load without it.
#[component]
pub fn LazyPincodeForm(values: HashMap<String, String>, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    Suspend::new(pincode_form_view(values, on_close))
}

/// Split off (`cfg(split_pages)`, see `shell.rs`) into a file of its own.
#[cfg_attr(split_pages, lazy)]
async fn pincode_form_view(values: HashMap<String, String>, on_close: Callback<()>) -> AnyView {
    view! { <PincodeForm values on_close/> }.into_any()
}

#[component]
pub fn PincodeForm(values: HashMap<String, String>, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let live = expect_context::<Live>();
    let title = if values.contains_key(field::PINCODE) { "Edit pincode" } else { "New pincode" };
    let new_here = !values.contains_key(field::PINCODE) && values.contains_key(field::LATITUDE);
    let title = if new_here { "New pincode here" } else { title };
    let values = RwSignal::new(values);
    let status = FormStatus::new();
    let errors = status.errors;
    // Cities whose names start with what is typed in the city box.
    let city_prefix = move || values.with(|v| split_city(v.get(CITY).map(String::as_str).unwrap_or_default()).0);
    let suggestions = Resource::new(city_prefix, |q| async move {
        if q.chars().count() < 2 {
            return Vec::new();
        }
        match list_cities(CityListQuery { q, limit: 20, ..Default::default() }).await {
            Ok(page) => page.cities.into_iter().map(|c| format!("{}, {}", c.fields.name, c.fields.state)).collect(),
            _ => Vec::new(),
        }
    });
    // The domain names the city's fields city_name and state; the form has one box for both.
    let error_of = move |name: &'static str| {
        errors.with(|e| match name {
            CITY => match (e.for_field(field::CITY_NAME), e.for_field(field::STATE)) {
                (Some(m), _) => Some(m.to_string()),
                (None, Some("is required")) => Some("choose a city from the suggestions (name, state)".to_string()),
                (None, Some(m)) => Some(m.to_string()),
                (None, None) => None,
            },
            other => e.for_field(other).map(str::to_string),
        })
    };

    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let current = values.get_untracked();
        if !status.passes(validate_pincode(&record(&current)).map(|_| ())) {
            return;
        }
        let fields: HashMap<String, String> =
            record(&current).into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string())).collect();
        let label = format!("Pincode {}", current.get(field::PINCODE).cloned().unwrap_or_default().trim());
        status.send(live, label, run_pincode_command(PincodeCommand::Upsert, fields), on_close);
    };

    let input = move |name: &'static str, label: &'static str, hint: &'static str, list: Option<&'static str>| {
        let id = format!("pincode-{name}");
        let err_id = format!("{id}-error");
        view! {
            <div class="field" class:has-error=move || error_of(name).is_some()>
                <label for=id.clone()>{label}</label>
                <input id=id list=list placeholder=hint aria-describedby=err_id.clone() autocomplete="off"
                    prop:value=move || values.with(|v| v.get(name).cloned().unwrap_or_default())
                    on:input=move |e| values.update(|v| { v.insert(name.to_string(), event_target_value(&e)); })/>
                <p class="field-error" id=err_id>{move || error_of(name)}</p>
            </div>
        }
    };

    view! {
        <section class="panel" aria-labelledby="pincode-form-title">
            <h2 id="pincode-form-title">{title}</h2>
            <form class="form grid-form" on:submit=submit novalidate>
                {input(field::PINCODE, "Pincode", "201301", None)}
                {input(CITY, "City", "Type a city's name", Some("city-suggestions"))}
                <datalist id="city-suggestions">
                    <Suspense>
                        {move || {
                            let cities = suggestions.get()?;
                            Some(cities.into_iter().map(|c| view! { <option value=c></option> }).collect_view())
                        }}
                    </Suspense>
                </datalist>
                {input(field::AREA_NAME, "Area or office", "Sector 1", None)}
                {input(field::LATITUDE, "Latitude", "28.5747", None)}
                {input(field::LONGITUDE, "Longitude", "77.3553", None)}
                <FormActions status on_cancel=on_close/>
            </form>
        </section>
    }
}
