//! What the city and pincode forms share: checking in the browser with the
//! domain's rules, sending, and showing the answer (field errors beside the
//! fields, anything else above the buttons, success as a toast).

use std::future::Future;

use leptos::prelude::*;

use crate::components::live::Live;
use crate::domain::error::AppError;
use crate::domain::validation::ValidationErrors;
use crate::domain::write::WriteResult;

#[derive(Clone, Copy)]
pub struct FormStatus {
    pub errors: RwSignal<ValidationErrors>,
    /// A refusal that is not about one field (a conflict, Kafka away…).
    pub problem: RwSignal<Option<String>>,
    pub busy: RwSignal<bool>,
}

impl FormStatus {
    pub fn new() -> Self {
        FormStatus {
            errors: RwSignal::new(ValidationErrors::default()),
            problem: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    /// The domain's verdict, checked before sending: false (and the errors shown) when it refuses.
    pub fn passes(&self, verdict: Result<(), ValidationErrors>) -> bool {
        match verdict {
            Ok(()) => {
                self.errors.set(ValidationErrors::default());
                self.problem.set(None);
                true
            }
            Err(found) => {
                self.errors.set(found);
                false
            }
        }
    }

    /// Sends the form: once published, the change is tracked as `label` and
    /// `on_sent` runs (the form closes); a refusal stays in the form.
    pub fn send<F>(self, live: Live, label: String, call: F, on_sent: Callback<()>)
    where
        F: Future<Output = WriteResult> + 'static,
    {
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            let result = call.await;
            self.busy.set(false);
            match result {
                Ok(published) => {
                    live.track(&published, label);
                    on_sent.run(());
                }
                Err(AppError::Invalid(found)) => self.errors.set(found),
                Err(other) => self.problem.set(Some(other.to_string())),
            }
        });
    }
}

impl Default for FormStatus {
    fn default() -> Self {
        Self::new()
    }
}

/// The end of a form: what went wrong (if anything), Save and Cancel.
#[component]
pub fn FormActions(status: FormStatus, #[prop(into)] on_cancel: Callback<()>) -> impl IntoView {
    let FormStatus { problem, busy, .. } = status;
    view! {
        {move || problem.get().map(|p| view! { <p class="alert alert-down wide" role="alert">{p}</p> })}
        <div class="form-actions wide">
            <button class="button" type="submit" disabled=move || busy.get()>
                {move || if busy.get() { "Saving…" } else { "Save" }}
            </button>
            <button class="button button-light" type="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
        </div>
    }
}

/// A labelled checkbox bound to a switch ("Dry run", "Show handled").
#[component]
pub fn Check(
    checked: RwSignal<bool>,
    label: &'static str,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    view! {
        <label class="check">
            <input type="checkbox" data-testid=testid prop:checked=checked
                on:change=move |e| checked.set(event_target_checked(&e))/>
            " " {label}
        </label>
    }
}
