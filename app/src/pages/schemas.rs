//! `/schemas`: every event GeoLedger publishes, with its version and the
//! fields of its `data`, read from the Avro schema each event's `dataschema`
//! names (the file, served to anyone at that address).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::list_event_schemas;
use crate::components::alert::Problem;
use crate::domain::schema::EventSchema;

#[component]
pub fn SchemasPage() -> impl IntoView {
    let schemas = Resource::new(|| (), |_| list_event_schemas());
    view! {
        <Title text="Event schemas"/>
        <h1>"Event schemas"</h1>
        <p class="muted">
            "Every change is a CloudEvents 1.0 event on Kafka whose "<code>"data"</code>
            " follows an Avro schema; its "<code>"dataschema"</code>" is the address of that schema, "
            "open to anyone. A new version of a schema can read every event of the versions before it. "
            "The REST API's contract is "<a href="/api/docs" rel="external">"its OpenAPI document"</a>"."
        </p>
        <Transition fallback=|| view! { <p class="muted">"Reading the schemas…"</p> }>
            {move || schemas.get().map(|r| match r {
                Ok(list) => list.into_iter().map(|s| view! { <SchemaCard schema=s/> }).collect_view().into_any(),
                Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn SchemaCard(schema: EventSchema) -> impl IntoView {
    let EventSchema { event_type, version, url, name, doc, fields } = schema;
    view! {
        <section class="card schema" data-testid="schema" aria-labelledby=event_type.clone()>
            <h2 id=event_type.clone()>
                <code>{event_type.clone()}</code>
                <span class="pill">{format!("version {version}")}</span>
            </h2>
            <p>{doc}</p>
            <p class="muted">
                <code>{name}</code>" · "<a href=url.clone() rel="external">{url.clone()}</a>
            </p>
            <div class="table-wrap">
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"Field"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Required"</th>
                        <th scope="col">"About"</th>
                    </tr>
                </thead>
                <tbody>
                    {fields
                        .into_iter()
                        .map(|f| {
                            let required = if f.required() {
                                "yes".to_string()
                            } else {
                                format!("no (default {})", f.default.clone().unwrap_or_default())
                            };
                            view! {
                                <tr>
                                    <td><code>{f.name}</code></td>
                                    <td>{f.kind}</td>
                                    <td>{required}</td>
                                    <td>{f.doc}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            </div>
        </section>
    }
}
