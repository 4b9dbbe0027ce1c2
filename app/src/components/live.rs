//! Live updates: one EventSource on `/api/v1/stream` per page, shared through
//! context. Pages refetch when `version` moves (at most twice a second, however
//! fast changes come: an import applies thousands); the author of a change
//! sees it pending (from the 202) until its notice arrives, then applied or
//! failed; import jobs' progress is kept as it arrives.

use std::collections::HashMap;
use std::future::Future;

use leptos::prelude::*;

use crate::domain::import::job::ImportJob;
use crate::domain::kafka::LagReport;
use crate::domain::notice::{ChangeNotice, Outcome};
use crate::domain::quality::QualitySummary;
use crate::domain::write::{Published, WriteResult};

#[derive(Clone, Debug, PartialEq)]
pub enum ToastState {
    Pending,
    Applied,
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    pub event_id: String,
    pub label: String,
    pub state: ToastState,
}

/// How often, at most, pages refetch because of changes.
const REFETCH_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// The browser's clock, in milliseconds (the server renders no changes: 0).
fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    return js_sys::Date::now();
    #[cfg(not(feature = "hydrate"))]
    0.0
}

#[derive(Clone, Copy)]
pub struct Live {
    /// Moves on every notice, and after a reconnect: what a page shows may be stale.
    pub version: RwSignal<u64>,
    pub last: RwSignal<Option<ChangeNotice>>,
    pub toasts: RwSignal<Vec<Toast>>,
    /// The newest word of each import job under way, by id.
    pub imports: RwSignal<HashMap<String, ImportJob>>,
    /// The newest lag sample of the consumer groups (every few seconds): the
    /// Kafka pages read again when it moves.
    pub lag: RwSignal<Option<LagReport>>,
    /// The quality findings' counts, as last told (at most four times a
    /// second): the navigation's count, and what the quality page and the
    /// map's quality layer read again when it moves.
    pub quality: RwSignal<Option<QualitySummary>>,
    /// A refetch is already due.
    refetch_due: StoredValue<bool>,
    /// When pages last refetched because of changes.
    last_refetch: StoredValue<f64>,
    /// Outcomes seen recently, for a notice that beats its own 202 to the browser.
    seen: StoredValue<HashMap<String, Outcome>>,
    /// Refusals shown so far (they have no event id: this numbers their toasts).
    refusals: StoredValue<u64>,
}

fn state_of(outcome: &Outcome) -> ToastState {
    match outcome {
        Outcome::Applied => ToastState::Applied,
        Outcome::Failed { reason } => ToastState::Failed(reason.clone()),
    }
}

impl Live {
    fn new() -> Self {
        Live {
            version: RwSignal::new(0),
            last: RwSignal::new(None),
            toasts: RwSignal::new(Vec::new()),
            imports: RwSignal::new(HashMap::new()),
            lag: RwSignal::new(None),
            quality: RwSignal::new(None),
            refetch_due: StoredValue::new(false),
            last_refetch: StoredValue::new(0.0),
            seen: StoredValue::new(HashMap::new()),
            refusals: StoredValue::new(0),
        }
    }

    /// Sends a one-click change (delete, restore, a dragged marker): the author
    /// sees it pending, then applied; a refusal, or a server out of reach, shows
    /// at once as failed with the reason, and `on_refused` runs.
    pub fn send<F>(self, label: String, call: F, on_refused: impl FnOnce() + 'static)
    where
        F: Future<Output = WriteResult> + 'static,
    {
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(published) => self.track(&published, label),
                Err(refusal) => {
                    self.refused(label, refusal.to_string());
                    on_refused();
                }
            }
        });
    }

    /// Shows a change the server refused (nothing was published) as failed.
    pub fn refused(&self, label: String, reason: String) {
        self.refusals.update_value(|n| *n += 1);
        let event_id = format!("refused-{}", self.refusals.get_value());
        self.toasts.update(|t| t.push(Toast { event_id, label, state: ToastState::Failed(reason) }));
    }

    /// Shows the author's change as pending until its notice arrives.
    pub fn track(&self, published: &Published, label: String) {
        let state = self.seen.with_value(|s| s.get(&published.event_id).map(state_of)).unwrap_or(ToastState::Pending);
        let toast = Toast { event_id: published.event_id.clone(), label, state };
        self.toasts.update(|t| t.push(toast));
        self.dismiss_later(&published.event_id);
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn on_notice(&self, notice: ChangeNotice) {
        self.seen.update_value(|s| {
            if s.len() > 500 {
                s.clear();
            }
            s.insert(notice.event_id.clone(), notice.outcome.clone());
        });
        self.toasts.update(|toasts| {
            for t in toasts.iter_mut().filter(|t| t.event_id == notice.event_id) {
                t.state = state_of(&notice.outcome);
            }
        });
        self.dismiss_later(&notice.event_id);
        self.last.set(Some(notice));
        self.changed();
    }

    /// What pages show may be stale: they refetch at once, unless they did
    /// less than half a second ago; then once when the half-second is up (a
    /// burst of thousands of changes is a refetch a half-second).
    fn changed(&self) {
        if self.refetch_due.get_value() {
            return;
        }
        let since = now_ms() - self.last_refetch.get_value();
        let (due, last, version) = (self.refetch_due, self.last_refetch, self.version);
        let refetch = move || {
            due.set_value(false);
            last.set_value(now_ms());
            version.update(|v| *v += 1);
        };
        let wait = REFETCH_EVERY.as_millis() as f64 - since;
        if wait <= 0.0 {
            refetch();
        } else {
            due.set_value(true);
            set_timeout(refetch, std::time::Duration::from_millis(wait as u64));
        }
    }

    /// An import job moved on; once it ends, what pages show has changed.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn on_import(&self, job: ImportJob) {
        let ended = !job.status.is_open();
        self.imports.update(|jobs| {
            jobs.insert(job.id.clone(), job);
        });
        if ended {
            self.changed();
        }
    }

    /// Applied toasts go after a few seconds; failed ones stay until closed.
    fn dismiss_later(&self, event_id: &str) {
        let (toasts, id) = (self.toasts, event_id.to_string());
        set_timeout(
            move || toasts.update(|t| t.retain(|t| !(t.event_id == id && t.state == ToastState::Applied))),
            std::time::Duration::from_secs(6),
        );
    }

    pub fn close(&self, event_id: &str) {
        self.toasts.update(|t| t.retain(|t| t.event_id != event_id));
    }
}

/// Provides `Live` to everything inside (the navigation's counts too), and
/// (in the browser) keeps the stream open. The layout places the lag banner
/// and the toasts (`LagBanner`, `Toasts`).
#[component]
pub fn LiveProvider(children: Children) -> impl IntoView {
    let live = Live::new();
    provide_context(live);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        connect(live);
    });
    children()
}

/// Opens the stream. The browser reconnects by itself after a network error; when
/// it gives up instead (an error answer, e.g. from a proxy while the server
/// restarts), we open a new stream after a pause. Every open after the first
/// means notices may have been missed: pages refetch what they show.
#[cfg(feature = "hydrate")]
fn connect(live: Live) {
    open_stream(live, std::rc::Rc::new(StreamState::default()));
}

/// What outlives one EventSource: whether any stream was open before, and how
/// many reopened ones failed in a row since.
#[cfg(feature = "hydrate")]
#[derive(Default)]
struct StreamState {
    opened_before: std::cell::Cell<bool>,
    failures: std::cell::Cell<u32>,
}

#[cfg(feature = "hydrate")]
fn open_stream(live: Live, state: std::rc::Rc<StreamState>) {
    use wasm_bindgen::prelude::*;
    let Ok(source) = web_sys::EventSource::new("/api/v1/stream") else { return };
    let on_change = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        if let Some(text) = e.data().as_string() {
            if let Ok(notice) = serde_json::from_str::<ChangeNotice>(&text) {
                live.on_notice(notice);
            }
        }
    });
    let _ = source.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
    let on_import = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        if let Some(job) = e.data().as_string().and_then(|t| serde_json::from_str::<ImportJob>(&t).ok()) {
            live.on_import(job);
        }
    });
    let _ = source.add_event_listener_with_callback("import", on_import.as_ref().unchecked_ref());
    let on_lag = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        if let Some(report) = e.data().as_string().and_then(|t| serde_json::from_str::<LagReport>(&t).ok()) {
            live.lag.set(Some(report));
        }
    });
    let _ = source.add_event_listener_with_callback("lag", on_lag.as_ref().unchecked_ref());
    let on_quality = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        if let Some(summary) = e.data().as_string().and_then(|t| serde_json::from_str::<QualitySummary>(&t).ok()) {
            live.quality.set(Some(summary));
        }
    });
    let _ = source.add_event_listener_with_callback("quality", on_quality.as_ref().unchecked_ref());
    let opened = state.clone();
    let on_open = Closure::<dyn FnMut()>::new(move || {
        opened.failures.set(0);
        if opened.opened_before.replace(true) {
            live.version.update(|v| *v += 1);
        }
    });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    // A burst this page could not keep up with: refetch.
    let on_resync = Closure::<dyn FnMut()>::new(move || live.version.update(|v| *v += 1));
    let _ = source.add_event_listener_with_callback("resync", on_resync.as_ref().unchecked_ref());
    let this = source.clone();
    let on_error = Closure::<dyn FnMut()>::new(move || {
        if this.ready_state() == web_sys::EventSource::CLOSED {
            // 5 s, then longer while it keeps failing (at most a minute).
            let failures = state.failures.get();
            state.failures.set(failures + 1);
            let wait = (5u64 << failures.min(4)).min(60);
            let state = state.clone();
            set_timeout(move || open_stream(live, state), std::time::Duration::from_secs(wait));
        }
    });
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    // The stream lives as long as the page (a closed one is never reopened, so
    // its few handlers are all that is left behind).
    on_change.forget();
    on_import.forget();
    on_lag.forget();
    on_quality.forget();
    on_open.forget();
    on_resync.forget();
    on_error.forget();
    std::mem::forget(source);
}

/// On every page while the materializer has been behind for too long.
#[component]
pub fn LagBanner() -> impl IntoView {
    let live = expect_context::<Live>();
    move || {
        let alert = live.lag.get()?.alert?;
        let lasted = crate::format::lasting(live.lag.get()?.at - alert.since);
        let href = format!("/kafka/groups/{}", alert.group);
        Some(view! {
            <p class="alert alert-warn banner" role="alert" data-testid="lag-banner">
                {format!(
                    "Changes are slow to apply: the materializer is {} events behind (more than {}) for {lasted}. ",
                    crate::format::indian(alert.lag.max(0) as u64),
                    crate::format::indian(alert.threshold.max(0) as u64),
                )}
                <a href=href>"See its lag"</a>
            </p>
        })
    }
}

#[component]
pub fn Toasts() -> impl IntoView {
    let live = expect_context::<Live>();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || live.toasts.get() key=|t| (t.event_id.clone(), format!("{:?}", t.state)) let:toast>
                {
                    let (class, word) = match &toast.state {
                        ToastState::Pending => ("toast toast-pending", "pending".to_string()),
                        ToastState::Applied => ("toast toast-applied", "applied".to_string()),
                        ToastState::Failed(r) => ("toast toast-failed", format!("failed: {r}")),
                    };
                    let id = toast.event_id.clone();
                    let state = word.split(':').next().unwrap_or_default().to_string();
                    view! {
                        <div class=class data-event-id=toast.event_id.clone() data-state=state>
                            <span class="toast-label">{toast.label.clone()}</span>
                            <span class="toast-state">{word}</span>
                            <button class="toast-close" aria-label="Close" on:click=move |_| live.close(&id)>
                                "×"
                            </button>
                        </div>
                    }
                }
            </For>
        </div>
    }
}
