//! Bulk import: a CSV file chosen or dropped, its format read from its header
//! before anything is sent, an optional dry run; then live bars for published
//! and applied, the recent jobs, and each job's report (downloadable as CSV).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{get_import_report, list_imports};
use crate::components::alert::Problem as ProblemAlert;
use crate::components::form::Check;
use crate::components::live::Live;
use crate::domain::import::format::Format;
use crate::domain::import::job::{Door, ImportJob, JobReport, JobStatus};
use crate::format::{file_size, indian, short_time};

/// The file an admin chose, as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Chosen {
    pub name: String,
    pub bytes: u64,
    /// The format its header row shows; None while it is being read.
    pub detected: Option<Result<Format, String>>,
}

/// A header row's cells (a header has no quoted commas in any format we read).
pub fn header_cells(first_line: &str) -> Vec<String> {
    first_line.trim_end_matches(['\r', '\n']).split(',').map(|c| c.trim().trim_matches('"').to_string()).collect()
}

/// What the page says of a header row.
pub fn detect(first_line: &str) -> Result<Format, String> {
    Format::detect(&header_cells(first_line)).ok_or_else(|| {
        "its header row is not one GeoLedger reads: see the formats below, or name the format".to_string()
    })
}

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
    let picker = browser::Picker::new(chosen);

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
fn JobProgress(job: ImportJob, report_of: RwSignal<Option<String>>) -> impl IntoView {
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
fn JobTable(jobs: Vec<ImportJob>, report_of: RwSignal<Option<String>>) -> impl IntoView {
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

/// A job's report: every bad row with its line, column and reason (the first
/// thousand here; all of them in the CSV).
#[component]
fn ReportView(id: String) -> impl IntoView {
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
    let shown = problems.len() as u64;
    view! {
        <div class="page-head">
            <h2 id="report-title">{format!("Report: {}", job.file_name)}</h2>
            <a class="button button-light" href=download download="">"Download CSV"</a>
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

/// The formats, as docs/import.md documents them.
#[component]
fn Formats() -> impl IntoView {
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

/// The file picker's browser side: the chosen file is a browser object, kept
/// here; the server-rendered page has none.
mod browser {
    use super::*;

    #[derive(Clone, Copy)]
    pub struct Picker {
        chosen: RwSignal<Option<Chosen>>,
        #[cfg(feature = "hydrate")]
        file: StoredValue<Option<web_sys::File>, LocalStorage>,
    }

    impl Picker {
        pub fn new(chosen: RwSignal<Option<Chosen>>) -> Self {
            Picker {
                chosen,
                #[cfg(feature = "hydrate")]
                file: StoredValue::new_local(None),
            }
        }

        /// A file chosen with the picker.
        pub fn picked(self, e: leptos::ev::Event) {
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::JsCast;
                let input = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
                if let Some(file) = input.and_then(|i| i.files()).and_then(|f| f.get(0)) {
                    self.choose(file);
                }
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (e, self.chosen);
        }

        /// A file dropped on the drop zone.
        pub fn dropped(self, e: leptos::ev::DragEvent) {
            #[cfg(feature = "hydrate")]
            if let Some(file) = e.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                self.choose(file);
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = e;
        }

        /// Keeps the file, and reads its first line to tell its format.
        #[cfg(feature = "hydrate")]
        fn choose(self, file: web_sys::File) {
            let name = file.name();
            self.chosen.set(Some(Chosen { name: name.clone(), bytes: file.size() as u64, detected: None }));
            self.file.set_value(Some(file.clone()));
            let chosen = self.chosen;
            leptos::task::spawn_local(async move {
                let head = file.slice_with_f64_and_f64(0.0, 65536.0).ok();
                let text = match head {
                    Some(blob) => {
                        wasm_bindgen_futures::JsFuture::from(blob.text()).await.ok().and_then(|t| t.as_string())
                    }
                    None => None,
                };
                let first_line = text.as_deref().unwrap_or_default().trim_start_matches('\u{feff}').lines().next();
                let detected = detect(first_line.unwrap_or_default());
                chosen.update(|c| {
                    if let Some(c) = c.as_mut().filter(|c| c.name == name) {
                        c.detected = Some(detected);
                    }
                });
            });
        }

        /// Sends the file as a form; the job it starts is followed live.
        pub fn send(
            self,
            format: String,
            dry_run: bool,
            busy: RwSignal<bool>,
            problem: RwSignal<Option<String>>,
            started: RwSignal<Option<String>>,
            live: Live,
        ) {
            #[cfg(feature = "hydrate")]
            {
                let Some(file) = self.file.get_value() else { return };
                let Ok(form) = web_sys::FormData::new() else { return };
                let dry = if dry_run { "true" } else { "false" };
                let filled = form.append_with_str("format", &format).and_then(|_| form.append_with_str("dry_run", dry));
                if filled.and_then(|_| form.append_with_blob_and_filename("file", &file, &file.name())).is_err() {
                    return problem.set(Some("the file could not be put in the form".into()));
                }
                busy.set(true);
                leptos::task::spawn_local(async move {
                    match crate::api::start_import(form.into()).await {
                        Ok(job) => {
                            started.set(Some(job.id.clone()));
                            live.imports.update(|j| {
                                j.insert(job.id.clone(), job);
                            });
                            live.version.update(|v| *v += 1);
                        }
                        Err(e) => problem.set(Some(e.to_string())),
                    }
                    busy.set(false);
                });
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (format, dry_run, busy, problem, started, live);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_reads_a_format_from_a_first_line() {
        assert_eq!(detect("pincode,city_name,state,area_name,latitude,longitude\r\n"), Ok(Format::Pincodes));
        assert_eq!(detect("\"city_name\",\"state\",\"latitude\",\"longitude\""), Ok(Format::Cities));
        assert!(detect("name,lat,lng").unwrap_err().contains("not one GeoLedger reads"));
    }
}
