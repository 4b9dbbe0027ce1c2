use leptos::prelude::*;

/// Something went wrong loading a page's data: said plainly, announced to screen readers.
#[component]
pub fn Problem(#[prop(into)] message: String) -> impl IntoView {
    view! { <p class="alert alert-down" role="alert">{message}</p> }
}
