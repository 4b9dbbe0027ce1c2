//! Paging by cursor: where this page starts, and the way back.

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::components::alert::Problem;
use crate::domain::error::AppError;

/// The cursor of the page shown, and those of the pages before it.
#[derive(Clone, Copy)]
pub struct Paging {
    pub cursor: RwSignal<Option<String>>,
    before: RwSignal<Vec<Option<String>>>,
}

impl Paging {
    pub fn new() -> Self {
        Paging { cursor: RwSignal::new(None), before: RwSignal::new(Vec::new()) }
    }

    /// Back to the first page (when the filters change).
    pub fn reset(&self) {
        self.before.set(Vec::new());
        self.cursor.set(None);
    }
}

impl Default for Paging {
    fn default() -> Self {
        Self::new()
    }
}

/// Previous and Next; `next` is the cursor of the page after this one, if any.
#[component]
pub fn Pager(paging: Paging, next: Option<String>) -> impl IntoView {
    let Paging { cursor, before } = paging;
    let previous = move |_| cursor.set(before.try_update(|c| c.pop()).flatten().flatten());
    let last_page = next.is_none();
    let following = move |_| {
        before.update(|c| c.push(cursor.get()));
        cursor.set(next.clone());
    };
    view! {
        <nav class="pager" aria-label="Pages">
            <button class="button button-light" disabled=move || before.with(|c| c.is_empty()) on:click=previous>
                "Previous"
            </button>
            <button class="button button-light" disabled=last_page on:click=following>
                "Next"
            </button>
        </nav>
    }
}

/// A paged listing as it loads: what `rows` makes of a page (with the cursor of
/// the page after it) above the pager, or why the page could not be had.
pub fn listing<T, V>(
    page: Resource<Result<T, AppError>>,
    paging: Paging,
    loading: &'static str,
    rows: impl Fn(T) -> (V, Option<String>) + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=move || view! { <p class="muted">{loading}</p> }>
            {move || {
                let rows = rows.clone();
                page.get().map(move |result| match result {
                    Ok(p) => {
                        let (table, next) = rows(p);
                        view! { {table} <Pager paging next/> }.into_any()
                    }
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                })
            }}
        </Transition>
    }
}
