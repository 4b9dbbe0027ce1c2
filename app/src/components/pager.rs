//! Paging by cursor: where this page starts, and the way back.

use leptos::prelude::*;

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
    view! {
        <nav class="pager" aria-label="Pages">
            <button class="button button-light" disabled=move || before.with(|c| c.is_empty())
                on:click=move |_| { let prev = before.try_update(|c| c.pop()).flatten().flatten(); cursor.set(prev); }>
                "Previous"
            </button>
            <button class="button button-light" disabled=next.is_none()
                on:click=move |_| { let here = cursor.get(); before.update(|c| c.push(here)); cursor.set(next.clone()); }>
                "Next"
            </button>
        </nav>
    }
}
