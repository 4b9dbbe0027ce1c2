//! One city: its details, its pincodes, and its history (newest first, with
//! who and when, what each change changed, and Revert). Updates live.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::get_city_details;
use crate::components::alert::Problem;
use crate::components::history::HistoryItem;
use crate::components::live::Live;
use crate::components::offices::Offices;
use crate::domain::history::CityDetails;
use crate::domain::map::view_to_hash;
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
