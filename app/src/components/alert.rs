use leptos::prelude::*;

/// Something went wrong loading a page's data: said plainly, announced to screen readers.
#[component]
pub fn Problem(#[prop(into)] message: String) -> impl IntoView {
    view! { <p class="alert alert-down" role="alert">{message}</p> }
}

/// What is wrong without stopping anything, one line each (nothing when none).
#[component]
pub fn Warnings(warnings: Vec<String>) -> impl IntoView {
    (!warnings.is_empty()).then(|| {
        view! {
            <ul class="alert alert-warn warnings" role="status" data-testid="warnings">
                {warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
            </ul>
        }
    })
}
