//! A job's report: every row refused or replaced, with its line, column and
//! reason; the first thousand shown, all of them in the CSV download.

use leptos::prelude::*;

use crate::api::get_import_report;
use crate::components::alert::Problem as ProblemAlert;
use crate::components::live::Live;
use crate::domain::import::job::JobReport;

/// A job's report: every bad row with its line, column and reason (the first
/// thousand here; all of them in the CSV).
#[component]
pub fn ReportView(id: String) -> impl IntoView {
    let live = expect_context::<Live>();
    let load = id.clone();
    let report = Resource::new(move || (load.clone(), live.version.get()), |(id, _)| get_import_report(id));
    view! {
        <section class="panel report" aria-labelledby="report-title">
            <Transition fallback=|| view! { <p class="muted">"Loading the report…"</p> }>
                {move || report.get().map(|r| match r {
                    Ok(r) => view! { <ReportBody report=r/> }.into_any(),
                    Err(e) => view! { <ProblemAlert message=e.to_string()/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ReportBody(report: JobReport) -> impl IntoView {
    let JobReport { job, problems, total_problems } = report;
    let download = format!("/api/v1/imports/{}/report.csv", job.id);
    // What it changed, in the activity feed (a dry run changed nothing).
    let changes = (!job.dry_run).then(|| format!("/activity?job={}", job.id));
    let shown = problems.len() as u64;
    view! {
        <div class="page-head">
            <h2 id="report-title">{format!("Report: {}", job.file_name)}</h2>
            <div class="page-actions">
                {changes.map(|href| view! { <a class="button button-light" href=href>"Its changes"</a> })}
                <a class="button button-light" href=download download="">"Download CSV"</a>
            </div>
        </div>
        <p data-testid="report-summary">{job.summary()}</p>
        {if problems.is_empty() {
            view! { <p class="muted">"Every row was read; nothing to report."</p> }.into_any()
        } else {
            view! {
                {(total_problems > shown).then(|| view! {
                    <p class="muted small">
                        {format!("The first {shown} of {total_problems} lines; the CSV has them all.")}
                    </p>
                })}
                <div class="table-wrap">
                    <table class="table" data-testid="report">
                        <thead>
                            <tr>
                                <th scope="col">"Line"</th><th scope="col">"Column"</th>
                                <th scope="col">"Kind"</th><th scope="col">"Reason"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {problems.into_iter().map(|p| view! {
                                <tr>
                                    <td class="num">{p.line.map(|l| l.to_string()).unwrap_or_default()}</td>
                                    <td>{p.column.unwrap_or_default()}</td>
                                    <td>{p.kind.label()}</td>
                                    <td class="reason">{p.message}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}
