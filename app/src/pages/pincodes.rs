//! Pincodes: search by code (`?q=` opens with a search); add, edit and delete,
//! the city chosen from a search box.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{list_pincodes, run_pincode_command, PincodeCommand};
use crate::components::export_links::ExportLinks;
use crate::components::live::Live;
use crate::components::offices::Offices;
use crate::components::pager::{listing, Paging};
use crate::components::pincode_form::{values_of, LazyPincodeForm};
use crate::domain::export::ExportKind;
use crate::domain::pincode::{Pincode, PincodeListQuery, PincodePage};

const PAGE_SIZE: usize = 25;

#[component]
pub fn PincodesPage() -> impl IntoView {
    let live = expect_context::<Live>();
    // `/pincodes?q=2013` opens with that search (the Kafka pages link so).
    let q = RwSignal::new(use_query_map().with_untracked(|m| m.get("q")).unwrap_or_default());
    let paging = Paging::new();
    let editing = RwSignal::new(None::<HashMap<String, String>>);
    let page = Resource::new(
        move || (q.get(), paging.cursor.get(), live.version.get()),
        |(q, cursor, _)| list_pincodes(PincodeListQuery { q, cursor, limit: PAGE_SIZE, bbox: None }),
    );
    view! {
        <Title text="Pincodes"/>
        <div class="page-head">
            <h1>"Pincodes"</h1>
            <div class="page-actions">
                <ExportLinks kind=ExportKind::Pincodes state=String::new() include_deleted=false/>
                <button class="button" on:click=move |_| editing.set(Some(HashMap::new()))>"New pincode"</button>
            </div>
        </div>
        <form class="filters" on:submit=|e| e.prevent_default()>
            <div>
                <label for="pincode-search">"Pincode starts with"</label>
                <input id="pincode-search" type="search" inputmode="numeric" placeholder="e.g. 2013" prop:value=q
                    on:input=move |e| { q.set(event_target_value(&e)); paging.reset(); }/>
            </div>
        </form>
        {move || editing.get().map(|values| view! { <LazyPincodeForm values on_close=move || editing.set(None)/> })}
        {listing(page, paging, "Loading pincodes…", move |p: PincodePage| {
            (view! { <PincodeTable pincodes=p.pincodes editing/> }, p.next_cursor)
        })}
    }
}

#[component]
fn PincodeTable(pincodes: Vec<Pincode>, editing: RwSignal<Option<HashMap<String, String>>>) -> impl IntoView {
    if pincodes.is_empty() {
        return view! { <p class="muted empty">"No pincode matches."</p> }.into_any();
    }
    let live = expect_context::<Live>();
    let rows = pincodes
        .into_iter()
        .map(|p| {
            let deleted = p.deleted_at.is_some();
            let (code, values) = (p.fields.pincode.clone(), values_of(&p));
            let delete = move |_| {
                let command = PincodeCommand::Delete { code: code.clone() };
                live.send(format!("Delete pincode {code}"), run_pincode_command(command, HashMap::new()), || ());
            };
            view! {
                <tr class:deleted=deleted>
                    <td class="name">{p.fields.pincode.clone()}</td>
                    <td>{p.fields.area_name.clone().unwrap_or_default()}</td>
                    <td><Offices offices=p.fields.offices.clone()/></td>
                    <td><a href=format!("/cities/{}", p.fields.city_id)>{p.fields.city_name.clone()}</a></td>
                    <td>{p.fields.state.clone()}</td>
                    <td class="num">{format!("{:.4}, {:.4}", p.fields.latitude, p.fields.longitude)}</td>
                    <td>{if deleted { "Deleted" } else { "" }}</td>
                    <td class="actions">
                        <a class="link" href=format!("/activity?entity={}", p.fields.pincode)>"History"</a>
                        <button class="link" on:click=move |_| editing.set(Some(values.clone()))>
                            {if deleted { "Restore…" } else { "Edit" }}
                        </button>
                        {(!deleted).then(|| view! { <button class="link danger" on:click=delete>"Delete"</button> })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table">
                <thead><tr>
                    <th scope="col">"Pincode"</th><th scope="col">"Area or office"</th><th scope="col">"Offices"</th>
                    <th scope="col">"City"</th><th scope="col">"State"</th>
                    <th scope="col">"Coordinates"</th><th scope="col">"Status"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
