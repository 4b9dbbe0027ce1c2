//! The export links of a listing page: the whole dataset of the page's
//! filter (state, deleted ones or not) as CSV, GeoJSON or NDJSON, each a
//! download pinned to the Kafka offsets it holds (`domain::export`).

use leptos::prelude::*;

use crate::domain::export::{ExportFormat, ExportKind, ExportQuery};
use crate::domain::state::State;

fn label(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Csv => "CSV",
        ExportFormat::GeoJson => "GeoJSON",
        ExportFormat::NdJson => "NDJSON",
    }
}

/// `state` is the filter's text (empty: every state).
#[component]
pub fn ExportLinks(
    kind: ExportKind,
    #[prop(into)] state: Signal<String>,
    #[prop(into)] include_deleted: Signal<bool>,
) -> impl IntoView {
    let what = kind.name();
    let links = ExportFormat::ALL
        .into_iter()
        .map(|format| {
            let href = move || {
                let state = State::parse(&state.get()).ok().map(|s| s.name);
                ExportQuery { format, state, include_deleted: include_deleted.get() }.href(kind)
            };
            let title = move || match State::parse(&state.get()) {
                Ok(s) => format!("Every {} of {} as {}", what.trim_end_matches('s'), s.name, label(format)),
                Err(_) => format!("Every {} as {}", what.trim_end_matches('s'), label(format)),
            };
            view! {
                <a class="button button-secondary" href=href title=title download
                    data-testid=format!("export-{}", format.name())>{label(format)}</a>
            }
        })
        .collect_view();
    view! {
        <div class="export-links" role="group" aria-label=format!("Export {what}")>
            <span class="muted small">"Export"</span>
            {links}
        </div>
    }
}
