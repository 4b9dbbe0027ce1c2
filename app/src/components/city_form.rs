//! The city form: a new city, or a change to one. It checks every field with
//! the shared domain rules before it sends anything, and shows the server's
//! answer beside the fields after. Used by the cities list and the map.

use std::collections::HashMap;

use leptos::prelude::*;
use serde_json::{Map, Value};

use crate::api::{run_city_command, CityCommand};
use crate::components::form::{FormActions, FormStatus};
use crate::components::live::Live;
use crate::domain::city::{field, validate_city_update, validate_new_city, City, CityFields};
use crate::domain::fold::search_key;
use crate::domain::state::STATES;
use crate::domain::validation::ValidationErrors;

/// What the form is doing: a new city, or a change to `current`.
#[derive(Clone, Debug, PartialEq)]
pub struct Editing {
    pub current: Option<CityFields>,
    pub values: HashMap<String, String>,
}

impl Editing {
    pub fn new_city() -> Self {
        Editing { current: None, values: HashMap::new() }
    }

    /// A new city at a place (from a click on the map).
    pub fn new_city_at(latitude: f64, longitude: f64) -> Self {
        let mut e = Self::new_city();
        e.values.insert(field::LATITUDE.into(), format!("{latitude:.5}"));
        e.values.insert(field::LONGITUDE.into(), format!("{longitude:.5}"));
        e
    }

    pub fn edit(city: &City) -> Self {
        let f = &city.fields;
        let opt = |v: Option<String>| v.unwrap_or_default();
        let values = HashMap::from([
            (field::NAME.to_string(), f.name.clone()),
            (field::STATE.to_string(), f.state.clone()),
            (field::DISTRICT.to_string(), opt(f.district.clone())),
            (field::LATITUDE.to_string(), f.latitude.to_string()),
            (field::LONGITUDE.to_string(), f.longitude.to_string()),
            (field::POPULATION.to_string(), opt(f.population.map(|p| p.to_string()))),
            (field::AREA.to_string(), opt(f.area_sq_km.map(|a| a.to_string()))),
            (field::IS_METRO.to_string(), f.is_metro.to_string()),
            (field::IS_CAPITAL.to_string(), f.is_capital.to_string()),
            (field::ALTERNATE_NAMES.to_string(), f.alternate_names.join("; ")),
        ]);
        Editing { current: Some(f.clone()), values }
    }

    /// What the form sends: its values, less the alternate names when they
    /// are as they were (a rename then keeps the old name as one).
    fn sent(&self, values: HashMap<String, String>) -> HashMap<String, String> {
        let mut sent = values;
        if sent.get(field::ALTERNATE_NAMES) == self.values.get(field::ALTERNATE_NAMES) {
            sent.remove(field::ALTERNATE_NAMES);
        }
        sent
    }

    /// "was Bombay" while the name typed is another than the city's.
    fn was(&self, typed: &str) -> Option<String> {
        let current = self.current.as_ref()?;
        (search_key(typed) != search_key(&current.name) && !typed.trim().is_empty())
            .then(|| format!("was {}", current.name))
    }

    /// The shared domain's verdict on the form as it stands.
    fn check(&self) -> Result<(), ValidationErrors> {
        let record: Map<String, Value> =
            self.values.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        match &self.current {
            None => validate_new_city(&record).map(|_| ()),
            Some(current) => validate_city_update(&record, current).map(|_| ()),
        }
    }
}

/// The city form, its code fetched when it is first opened: the pages that
/// offer it (the map, the cities) load without it.
#[component]
pub fn LazyCityForm(editing: Editing, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    Suspend::new(city_form_view(editing, on_close))
}

/// Split off (`cfg(split_pages)`, see `shell.rs`) into a file of its own.
#[cfg_attr(split_pages, lazy)]
async fn city_form_view(editing: Editing, on_close: Callback<()>) -> AnyView {
    view! { <CityForm editing on_close/> }.into_any()
}

#[component]
pub fn CityForm(editing: Editing, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let live = expect_context::<Live>();
    let values = RwSignal::new(editing.values.clone());
    let status = FormStatus::new();
    let errors = status.errors;
    let current = editing.current.clone();
    let title = match &current {
        None => "New city".to_string(),
        Some(c) => format!("Edit {}", c.name),
    };

    let initial = editing.clone();
    let was = move || initial.was(&values.with(|v| v.get(field::NAME).cloned().unwrap_or_default()));
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let form = Editing { current: current.clone(), values: editing.sent(values.get_untracked()) };
        if !status.passes(form.check()) {
            return;
        }
        let command = match &form.current {
            None => CityCommand::Create,
            Some(c) => CityCommand::Update { name: c.name.clone(), state: c.state.clone() },
        };
        let label = match &form.current {
            None => format!("Create {}", form.values.get(field::NAME).cloned().unwrap_or_default().trim()),
            Some(c) => format!("Update {}", c.name),
        };
        status.send(live, label, run_city_command(command, form.values), on_close);
    };

    // A field's text, its change, and its error.
    let value_of = move |name: &str| values.with(|v| v.get(name).cloned().unwrap_or_default());
    let set = move |name: &str, value: String| values.update(|v| drop(v.insert(name.to_string(), value)));
    let error_of = move |name: &str| errors.with(|e| e.for_field(name).map(str::to_string));

    let text = move |name: &'static str, label: &'static str, kind: &'static str, hint: &'static str| {
        let id = format!("city-{name}");
        let err_id = format!("{id}-error");
        view! {
            <div class="field" class:has-error=move || error_of(name).is_some()>
                <label for=id.clone()>{label}</label>
                <input id=id type=kind inputmode=if kind == "text" { "text" } else { "decimal" } placeholder=hint
                    aria-describedby=err_id.clone()
                    prop:value=move || value_of(name)
                    on:input=move |e| set(name, event_target_value(&e))/>
                <p class="field-error" id=err_id>{move || error_of(name)}</p>
            </div>
        }
    };
    let flag = move |name: &'static str, label: &'static str| {
        view! {
            <label class="check">
                <input type="checkbox" prop:checked=move || value_of(name) == "true"
                    on:change=move |e| set(name, event_target_checked(&e).to_string())/>
                " " {label}
            </label>
        }
    };

    view! {
        <section class="panel" aria-labelledby="city-form-title">
            <h2 id="city-form-title">{title}</h2>
            <form class="form grid-form" on:submit=submit novalidate>
                <div class="field" class:has-error=move || error_of(field::NAME).is_some()>
                    <label for="city-city_name">"Name"</label>
                    <input id="city-city_name" type="text" placeholder="Noida"
                        aria-describedby="city-city_name-error city-city_name-was"
                        prop:value=move || value_of(field::NAME)
                        on:input=move |e| set(field::NAME, event_target_value(&e))/>
                    <p class="field-error" id="city-city_name-error">{move || error_of(field::NAME)}</p>
                    <p class="field-hint" id="city-city_name-was" data-testid="was-name">
                        {move || was().map(|was| format!("{was} (kept as an alternate name)"))}
                    </p>
                </div>
                <div class="field" class:has-error=move || error_of(field::STATE).is_some()>
                    <label for="city-state">"State or union territory"</label>
                    <input id="city-state" list="state-names" placeholder="Uttar Pradesh"
                        aria-describedby="city-state-error"
                        prop:value=move || value_of(field::STATE)
                        on:input=move |e| set(field::STATE, event_target_value(&e))/>
                    <datalist id="state-names">
                        {STATES.iter().map(|s| view! { <option value=s.name></option> }).collect_view()}
                    </datalist>
                    <p class="field-error" id="city-state-error">{move || error_of(field::STATE)}</p>
                </div>
                {text(field::DISTRICT, "District", "text", "Gautam Buddha Nagar")}
                {text(field::LATITUDE, "Latitude", "text", "28.5355")}
                {text(field::LONGITUDE, "Longitude", "text", "77.3910")}
                {text(field::POPULATION, "Population", "text", "642000")}
                {text(field::AREA, "Area (km²)", "text", "203")}
                {text(field::ALTERNATE_NAMES, "Alternate names (; between)", "text", "Bombay; Bambai")}
                <div class="field checks">
                    {flag(field::IS_METRO, "Metro")}
                    {flag(field::IS_CAPITAL, "Capital")}
                </div>
                <FormActions status on_cancel=on_close/>
            </form>
        </section>
    }
}
