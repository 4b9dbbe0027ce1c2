//! Import jobs as the page shows them: the one started here with its live
//! bars, and the table of recent jobs, each kept current by the live stream.

use leptos::prelude::*;

use crate::components::live::Live;
use crate::domain::import::job::{Door, ImportJob, JobStatus};
use crate::format::{indian, short_time};

/// A bar for people and screen readers: `share` of it done, 0 to 1.
#[component]
fn Bar(label: &'static str, share: f64, detail: String, testid: &'static str) -> impl IntoView {
    let percent = (share * 100.0).clamp(0.0, 100.0);
    view! {
        <div class="bar-row">
            <span class="bar-label">{label}</span>
            <div class="bar" role="progressbar" aria-label=label aria-valuemin="0" aria-valuemax="100"
                aria-valuenow=format!("{percent:.0}") data-testid=testid>
                <div class="bar-fill" style:width=format!("{percent:.1}%")></div>
            </div>
            <span class="bar-detail">{detail}</span>
        </div>
    }
}

fn door_label(door: Door) -> &'static str {
    match door {
        Door::Page => "page",
        Door::Api => "API",
        Door::Cli => "CLI",
    }
}

fn status_pill(status: JobStatus) -> impl IntoView {
    let class = match status {
        JobStatus::Done => "pill pill-ok",
        JobStatus::Failed | JobStatus::Interrupted => "pill pill-down",
        JobStatus::Running | JobStatus::Applying => "pill pill-busy",
    };
    view! { <span class=class data-status=status.label()>{status.label()}</span> }
}

/// The job started from this page: its bars, live.
#[component]
pub fn JobProgress(job: ImportJob, report_of: RwSignal<Option<String>>) -> impl IntoView {
    let (r, c) = (job.rows, job.changes);
    let id = job.id.clone();
    let published = format!("{} of {} changes", indian(c.published), indian(c.planned));
    let applied = format!("{} of {}", indian(c.applied), indian(c.published));
    view! {
        <section class="panel job" aria-labelledby="job-title" data-job-id=job.id.clone()>
            <div class="page-head">
                <h2 id="job-title">{job.file_name.clone()}</h2>
                {status_pill(job.status)}
            </div>
            <p class="muted small">
                {format!("{} · {} rows read, {} invalid, {} superseded · {} unchanged",
                    job.format.label(), indian(r.read), indian(r.invalid), indian(r.superseded), indian(c.unchanged))}
            </p>
            {if job.dry_run {
                view! {
                    <p data-testid="dry-run">
                        {format!("Dry run: {} changes would be published; nothing was.", indian(c.planned))}
                    </p>
                }.into_any()
            } else {
                view! {
                    <Bar label="Published" share=job.published_share() detail=published testid="published-bar"/>
                    <Bar label="Applied" share=job.applied_share() detail=applied testid="applied-bar"/>
                }.into_any()
            }}
            {(!job.findings.is_empty()).then(|| view! {
                <p class="alert alert-warn" role="status" data-testid="would-open">
                    {format!("Quality: this file {}. The report shows examples (\"would open\").",
                        job.findings_line())}
                </p>
            })}
            {(r.invalid > 0).then(|| view! {
                <p class="alert alert-warn" role="status">
                    {format!("{} row{} refused: the report names each, with its line and column.",
                        indian(r.invalid), if r.invalid == 1 { " was" } else { "s were" })}
                </p>
            })}
            {job.error.clone().map(|e| view! { <p class="alert alert-down" role="alert">{e}</p> })}
            <button class="button button-light" on:click=move |_| report_of.set(Some(id.clone()))>"Report"</button>
        </section>
    }
}

#[component]
pub fn JobTable(jobs: Vec<ImportJob>, report_of: RwSignal<Option<String>>) -> impl IntoView {
    if jobs.is_empty() {
        return view! { <p class="muted empty">"No import yet."</p> }.into_any();
    }
    let live = expect_context::<Live>();
    let rows = jobs
        .into_iter()
        .map(|listed| {
            let id = listed.id.clone();
            // What the live stream says of a job beats what the list had.
            let first = listed.clone();
            let job = {
                let id = id.clone();
                Signal::derive(move || live.imports.with(|m| m.get(&id).cloned()).unwrap_or_else(|| listed.clone()))
            };
            let outcome = move || {
                let j = job.get();
                let c = j.changes;
                if j.dry_run {
                    format!("would publish {}", indian(c.planned))
                } else {
                    format!("{} published, {} applied", indian(c.published), indian(c.applied))
                }
            };
            let rows_read = move || {
                let r = job.get().rows;
                format!("{} / {}", indian(r.read), indian(r.invalid))
            };
            view! {
                <tr data-job-id=first.id.clone()>
                    <td>{short_time(&first.started_at)}</td>
                    <td class="name">
                        {first.file_name.clone()}
                        <span class="muted small">{format!(" · {}", first.format.name())}</span>
                    </td>
                    <td>{format!("{} · {}", first.actor, door_label(first.door))}</td>
                    <td>{move || status_pill(job.get().status)}</td>
                    <td class="num">{rows_read}</td>
                    <td>{outcome}</td>
                    <td class="actions">
                        <button class="link" on:click=move |_| report_of.set(Some(id.clone()))>"Report"</button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="jobs">
                <thead>
                    <tr>
                        <th scope="col">"Started"</th><th scope="col">"File"</th><th scope="col">"By"</th>
                        <th scope="col">"Status"</th><th scope="col">"Rows read / invalid"</th>
                        <th scope="col">"Changes"</th><th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
