//! Import jobs as the page shows them: the one started here with its live
//! bars, and the table of recent jobs, each kept current by the live stream.

use leptos::prelude::*;

use crate::api::revert_import;
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

/// A job whose changes can be undone: ended, not a dry run, something applied.
fn revertible(job: &ImportJob) -> bool {
    !job.status.is_open() && !job.dry_run && job.changes.applied > 0
}

/// The label of a job's revert.
fn revert_label(job: &ImportJob) -> &'static str {
    if job.reverts.is_some() {
        "Undo this revert"
    } else {
        "Revert this import"
    }
}

/// A revert asked for: says first how many changes it undoes, then starts
/// the revert's job and shows its report.
#[component]
fn RevertJob(job: ImportJob, report_of: RwSignal<Option<String>>, asking: RwSignal<bool>) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let applied = job.changes.applied;
    let what = revert_label(&job);
    let id = job.id.clone();
    let go = move |_| {
        let id = id.clone();
        leptos::task::spawn_local(async move {
            match revert_import(id).await {
                Ok(started) => {
                    asking.set(false);
                    report_of.set(Some(started.id));
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <div class="confirm" data-testid="revert-import">
            <strong>{format!("{what}?")}</strong>
            <p>
                {format!("It undoes its {} change{}: what it created is soft-deleted, what it changed gets its \
                    values back, what it deleted is restored. Anything changed since stays as it is; the \
                    report lists it.", indian(applied), if applied == 1 { "" } else { "s" })}
            </p>
            {move || problem.get().map(|why| view! { <p class="alert alert-down" role="alert">{why}</p> })}
            <div class="confirm-actions">
                <button class="button" type="button" on:click=go>{what}</button>
                <button class="button button-light" type="button" on:click=move |_| asking.set(false)>"Cancel"</button>
            </div>
        </div>
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
            let asking = RwSignal::new(false);
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
                        {move || revertible(&job.get()).then(|| view! {
                            <button class="link" on:click=move |_| asking.set(true) hidden=move || asking.get()
                                aria-label=revert_label(&job.get()) title=revert_label(&job.get())>
                                {if job.get().reverts.is_some() { "Undo…" } else { "Revert…" }}
                            </button>
                        })}
                    </td>
                </tr>
                {move || asking.get().then(|| view! {
                    <tr class="confirm-row">
                        <td colspan="7"><RevertJob job=job.get() report_of asking/></td>
                    </tr>
                })}
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
