//! Cities: search, filter and page through them; create (the city form), edit,
//! soft-delete and restore.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{list_cities, run_city_command, CityCommand};
use crate::components::city_form::{Editing, LazyCityForm};
use crate::components::export_links::ExportLinks;
use crate::components::live::Live;
use crate::components::pager::{listing, Paging};
use crate::domain::city::{City, CityListQuery, CityPage};
use crate::domain::export::ExportKind;
use crate::domain::state::STATES;

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
            <div class="page-actions">
                <ExportLinks kind=ExportKind::Cities state include_deleted/>
                <button class="button" on:click=move |_| editing.set(Some(Editing::new_city()))>"New city"</button>
            </div>
        </div>
        <form class="filters" on:submit=|e| e.prevent_default()>
            <div>
                <label for="city-search">"Name starts with"</label>
                <input id="city-search" type="search" placeholder="e.g. Noi, or Bomb for Mumbai" prop:value=q
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
        {move || editing.get().map(|e| view! { <LazyCityForm editing=e on_close=move || editing.set(None)/> })}
        {listing(page, paging, "Loading cities…", move |p: CityPage| {
            (view! { <CityTable cities=p.cities editing/> }, p.next_cursor)
        })}
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
            // Delete or restore, in one click.
            let act = move |verb: &'static str| {
                let (name, state) = (name.clone(), state.clone());
                let command = match verb {
                    "Delete" => CityCommand::Delete { name, state },
                    _ => CityCommand::Restore { name, state },
                };
                live.send(format!("{verb} {label}"), run_city_command(command, HashMap::new()), || ());
            };
            view! {
                <tr class:deleted=deleted data-city-id=c.id.clone()>
                    <td class="name"><a href=format!("/cities/{}", c.id)>{c.label()}</a></td>
                    <td>{c.fields.state.clone()}</td>
                    <td>{c.fields.district.clone().unwrap_or_default()}</td>
                    <td class="num">{format!("{:.4}", c.fields.latitude)}</td>
                    <td class="num">{format!("{:.4}", c.fields.longitude)}</td>
                    <td class="num">{c.fields.population.map(crate::format::indian).unwrap_or_default()}</td>
                    <td>{if c.fields.is_metro { "Metro" } else { "" }}</td>
                    <td>{if deleted { "Deleted" } else { "" }}</td>
                    <td class="actions">
                        {if deleted {
                            view! {
                                <button class="link" on:click=move |_| act("Restore")>"Restore"</button>
                            }.into_any()
                        } else {
                            view! {
                                <button class="link" on:click=move |_| editing.set(Some(Editing::edit(&city)))>
                                    "Edit"
                                </button>
                                <button class="link danger" on:click=move |_| act("Delete")>"Delete"</button>
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
                        <th scope="col">"Metro"</th><th scope="col">"Status"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
