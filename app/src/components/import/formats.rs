//! The formats an import reads, as docs/import.md documents them.

use leptos::prelude::*;

use crate::domain::import::format::Format;

/// The formats, as docs/import.md documents them.
#[component]
pub fn Formats() -> impl IntoView {
    view! {
        <h2>"Formats"</h2>
        <div class="cards formats">
            {Format::ALL.iter().map(|f| view! {
                <article class="card">
                    <h3>{f.label()}</h3>
                    <p class="muted small">
                        {format!("--format {} · required: {}", f.name(), f.required().join(", "))}
                    </p>
                    // A line may break after any comma, never inside a column's name.
                    <code class="columns">{f.columns().join(",\u{200b}")}</code>
                </article>
            }).collect_view()}
        </div>
    }
}
