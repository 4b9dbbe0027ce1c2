//! Cities: search, filter and page through them; create, edit, soft-delete and
//! restore. The form checks every field with the shared domain rules before it
//! sends anything, and shows the server's answer beside the fields after.

use crate::api::{list_cities, run_city_command, CityCommand};
use crate::components::form::{FormActions, FormStatus};
use crate::components::live::Live;
use crate::components::pager::{listing, Paging};
use crate::domain::city::{field, validate_city_update, validate_new_city, City, CityFields, CityListQuery, CityPage};
use crate::domain::state::STATES;
use crate::domain::validation::ValidationErrors;
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::{Map, Value};
use std::collections::HashMap;

const PAGE_SIZE: usize = 25;

#[component]
pub fn CitiesPage() -> impl IntoView {
    let live = expect_context::<Live>();
    let q = RwSignal::new(String::new());
    let state = RwSignal::new(String::new());
    let include_deleted = RwSignal::new(false);
    let paging = Paging::new();
    let editing = RwSignal::new(None::<Editing>);

    let query = move || CityListQuery {
        state: state.get(),
        q: q.get(),
        include_deleted: include_deleted.get(),
        cursor: paging.cursor.get(),
        limit: PAGE_SIZE,
        bbox: None,
    };
    let page = Resource::new(move || (query(), live.version.get()), |(query, _)| list_cities(query));
    let reset_paging = move || paging.reset();

    view! {
        <Title text="Cities"/>
        <div class="page-head">
            <h1>"Cities"</h1>
            <button class="button" on:click=move |_| editing.set(Some(Editing::new_city()))>"New city"</button>
        </div>
        <form class="filters" on:submit=|e| e.prevent_default()>
            <div>
                <label for="city-search">"Name starts with"</label>
                <input id="city-search" type="search" placeholder="e.g. Noi" prop:value=q
                    on:input=move |e| { q.set(event_target_value(&e)); reset_paging(); }/>
            </div>
            <div>
                <label for="state-filter">"State"</label>
                <select id="state-filter" on:change=move |e| { state.set(event_target_value(&e)); reset_paging(); }>
                    <option value="">"All states and union territories"</option>
                    {STATES.iter().map(|s| view! { <option value=s.name>{s.name}</option> }).collect_view()}
                </select>
            </div>
            <label class="check">
                <input type="checkbox" prop:checked=include_deleted
                    on:change=move |e| { include_deleted.set(event_target_checked(&e)); reset_paging(); }/>
                " Show deleted"
            </label>
        </form>
        {move || editing.get().map(|e| view! { <CityForm editing=e on_close=move || editing.set(None)/> })}
        {listing(page, paging, "Loading cities…", move |p: CityPage| (view! { <CityTable cities=p.cities editing/> }, p.next_cursor))}
    }
}

#[component]
fn CityTable(cities: Vec<City>, editing: RwSignal<Option<Editing>>) -> impl IntoView {
    if cities.is_empty() {
        return view! { <p class="muted empty">"No city matches."</p> }.into_any();
    }
    let live = expect_context::<Live>();
    let rows = cities
        .into_iter()
        .map(|c| {
            let deleted = c.deleted_at.is_some();
            let (name, state) = (c.fields.name.clone(), c.fields.state.clone());
            let label = format!("{name}, {state}");
            let city = c.clone();
            let act = move |command: CityCommand, verb: &'static str| {
                live.send(format!("{verb} {label}"), run_city_command(command, HashMap::new()), || ());
            };
            let (n1, s1, n2, s2) = (name.clone(), state.clone(), name.clone(), state.clone());
            view! {
                <tr class:deleted=deleted data-city-id=c.id.clone()>
                    <td class="name"><a href=format!("/cities/{}", c.id)>{c.fields.name.clone()}</a></td>
                    <td>{c.fields.state.clone()}</td>
                    <td>{c.fields.district.clone().unwrap_or_default()}</td>
                    <td class="num">{format!("{:.4}", c.fields.latitude)}</td>
                    <td class="num">{format!("{:.4}", c.fields.longitude)}</td>
                    <td class="num">{c.fields.population.map(crate::format::indian).unwrap_or_default()}</td>
                    <td>{if c.fields.is_metro { "Metro" } else { "" }}</td>
                    <td>{if deleted { "Deleted" } else { "" }}</td>
                    <td class="actions">
                        {if deleted {
                            view! { <button class="link" on:click=move |_| act(CityCommand::Restore { name: n2.clone(), state: s2.clone() }, "Restore")>"Restore"</button> }.into_any()
                        } else {
                            view! {
                                <button class="link" on:click=move |_| editing.set(Some(Editing::edit(&city)))>"Edit"</button>
                                <button class="link danger" on:click=move |_| act(CityCommand::Delete { name: n1.clone(), state: s1.clone() }, "Delete")>"Delete"</button>
                            }.into_any()
                        }}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th><th scope="col">"State"</th><th scope="col">"District"</th>
                        <th scope="col">"Latitude"</th><th scope="col">"Longitude"</th><th scope="col">"Population"</th>
                        <th scope="col">"Metro"</th><th scope="col">"Status"</th><th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

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
        ]);
        Editing { current: Some(f.clone()), values }
    }

    /// The shared domain's verdict on the form as it stands.
    fn check(&self) -> Result<(), ValidationErrors> {
        let record: Map<String, Value> = self.values.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        match &self.current {
            None => validate_new_city(&record).map(|_| ()),
            Some(current) => validate_city_update(&record, current).map(|_| ()),
        }
    }
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

    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let form = Editing { current: current.clone(), values: values.get_untracked() };
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

    let text = move |name: &'static str, label: &'static str, kind: &'static str, hint: &'static str| {
        let id = format!("city-{name}");
        let err_id = format!("{id}-error");
        view! {
            <div class="field" class:has-error=move || errors.with(|e| e.for_field(name).is_some())>
                <label for=id.clone()>{label}</label>
                <input id=id type=kind inputmode=if kind == "text" { "text" } else { "decimal" } placeholder=hint
                    aria-describedby=err_id.clone()
                    prop:value=move || values.with(|v| v.get(name).cloned().unwrap_or_default())
                    on:input=move |e| values.update(|v| { v.insert(name.to_string(), event_target_value(&e)); })/>
                <p class="field-error" id=err_id>{move || errors.with(|e| e.for_field(name).map(str::to_string))}</p>
            </div>
        }
    };
    let flag = move |name: &'static str, label: &'static str| {
        view! {
            <label class="check">
                <input type="checkbox" prop:checked=move || values.with(|v| v.get(name).is_some_and(|x| x == "true"))
                    on:change=move |e| values.update(|v| { v.insert(name.to_string(), event_target_checked(&e).to_string()); })/>
                " " {label}
            </label>
        }
    };

    view! {
        <section class="panel" aria-labelledby="city-form-title">
            <h2 id="city-form-title">{title}</h2>
            <form class="form grid-form" on:submit=submit novalidate>
                {text(field::NAME, "Name", "text", "Noida")}
                <div class="field" class:has-error=move || errors.with(|e| e.for_field(field::STATE).is_some())>
                    <label for="city-state">"State or union territory"</label>
                    <input id="city-state" list="state-names" placeholder="Uttar Pradesh" aria-describedby="city-state-error"
                        prop:value=move || values.with(|v| v.get(field::STATE).cloned().unwrap_or_default())
                        on:input=move |e| values.update(|v| { v.insert(field::STATE.to_string(), event_target_value(&e)); })/>
                    <datalist id="state-names">
                        {STATES.iter().map(|s| view! { <option value=s.name></option> }).collect_view()}
                    </datalist>
                    <p class="field-error" id="city-state-error">{move || errors.with(|e| e.for_field(field::STATE).map(str::to_string))}</p>
                </div>
                {text(field::DISTRICT, "District", "text", "Gautam Buddha Nagar")}
                {text(field::LATITUDE, "Latitude", "text", "28.5355")}
                {text(field::LONGITUDE, "Longitude", "text", "77.3910")}
                {text(field::POPULATION, "Population", "text", "642000")}
                {text(field::AREA, "Area (km²)", "text", "203")}
                <div class="field checks">
                    {flag(field::IS_METRO, "Metro")}
                    {flag(field::IS_CAPITAL, "Capital")}
                </div>
                <FormActions status on_cancel=on_close/>
            </form>
        </section>
    }
}
