//! Bulk import: a CSV file chosen or dropped, its format read from its header
//! before anything is sent, an optional dry run; then live bars for published
//! and applied, the recent jobs, and each job's report (downloadable as CSV).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::list_imports;
use crate::components::alert::Problem as ProblemAlert;
use crate::components::form::Check;
use crate::components::import::formats::Formats;
use crate::components::import::jobs::{JobProgress, JobTable};
use crate::components::import::picker::{Chosen, Picker};
use crate::components::import::report::ReportView;
use crate::components::live::Live;
use crate::domain::import::format::Format;
use crate::format::file_size;

#[component]
pub fn ImportPage() -> impl IntoView {
    let live = expect_context::<Live>();
    let chosen = RwSignal::new(None::<Chosen>);
    let format = RwSignal::new("auto".to_string());
    let dry_run = RwSignal::new(false);
    let dragging = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // The job started from this page, and the job whose report is open.
    let started = RwSignal::new(None::<String>);
    let report_of = RwSignal::new(None::<String>);
    let jobs = Resource::new(move || live.version.get(), |_| list_imports());
    let picker = Picker::new(chosen);

    let send = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        problem.set(None);
        picker.send(format.get_untracked(), dry_run.get_untracked(), busy, problem, started, live);
    };
    let detected = move || {
        chosen.get().map(|c| {
            let what = match &c.detected {
                None => "reading its header…".to_string(),
                Some(Ok(f)) => format!("{} (read from its header)", f.label()),
                Some(Err(e)) => e.clone(),
            };
            let bad = matches!(c.detected, Some(Err(_)));
            view! {
                <p class="chosen" class:bad=bad data-testid="chosen">
                    <strong>{c.name.clone()}</strong>
                    " · " {file_size(c.bytes)} " · " {what}
                </p>
            }
        })
    };
    let can_send = move || {
        let known = chosen.with(|c| matches!(c, Some(Chosen { detected: Some(Ok(_)), .. })));
        !busy.get() && (known || (chosen.with(Option::is_some) && format.with(|f| f != "auto")))
    };
    // The job started here, as the live stream last told of it (else as the list has it).
    let current = move || {
        let id = started.get()?;
        live.imports
            .with(|j| j.get(&id).cloned())
            .or_else(|| jobs.get().and_then(|r| r.ok()).and_then(|list| list.into_iter().find(|j| j.id == id)))
    };

    view! {
        <Title text="Bulk import"/>
        <div class="page-head"><h1>"Bulk import"</h1></div>
        <section class="panel" aria-labelledby="import-title">
            <h2 id="import-title">"Import a CSV file"</h2>
            <form class="import-form" on:submit=send>
                <label for="import-file" class="dropzone" class:dragging=move || dragging.get()
                    on:dragover=move |e| { e.prevent_default(); dragging.set(true); }
                    on:dragleave=move |_| dragging.set(false)
                    on:drop=move |e| { e.prevent_default(); dragging.set(false); picker.dropped(e); }>
                    <span class="dropzone-title">"Drop a CSV file here"</span>
                    <span class="muted">"or choose one"</span>
                    <input id="import-file" type="file" accept=".csv,text/csv" on:change=move |e| picker.picked(e)/>
                </label>
                {detected}
                <div class="filters">
                    <div>
                        <label for="import-format">"Format"</label>
                        <select id="import-format" on:change=move |e| format.set(event_target_value(&e))>
                            <option value="auto">"Read from the header row"</option>
                            {Format::ALL
                                .iter()
                                .map(|f| view! { <option value=f.name()>{f.label()}</option> })
                                .collect_view()}
                        </select>
                    </div>
                    <Check checked=dry_run label="Dry run: check every row and report; publish nothing"/>
                </div>
                {move || problem.get().map(|p| view! { <p class="alert alert-down" role="alert">{p}</p> })}
                <button class="button" type="submit" disabled=move || !can_send()>
                    {move || if busy.get() { "Sending…" } else { "Import" }}
                </button>
            </form>
        </section>
        {move || current().map(|job| view! { <JobProgress job report_of/> })}
        <h2>"Recent imports"</h2>
        <Transition fallback=|| view! { <p class="muted">"Loading the jobs…"</p> }>
            {move || jobs.get().map(|r| match r {
                Ok(list) => view! { <JobTable jobs=list report_of/> }.into_any(),
                Err(e) => view! { <ProblemAlert message=e.to_string()/> }.into_any(),
            })}
        </Transition>
        {move || report_of.get().map(|id| view! { <ReportView id/> })}
        <Formats/>
    }
}
