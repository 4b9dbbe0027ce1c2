//! Sign in: an email and a password.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::Login;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let next = move || use_query_map().with(|q| q.get("next").unwrap_or_else(|| "/".into()));
    let error = move || match login.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <Title text="Sign in"/>
        <main class="login">
            <div class="login-card">
                <p class="brand login-brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    " GeoLedger"
                </p>
                <h1>"Sign in"</h1>
                <ActionForm action=login attr:class="form">
                    <input type="hidden" name="next" prop:value=next/>
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required autofocus/>
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    {move || {
                        error().map(|e| view! { <p class="field-error" role="alert" data-testid="login-error">{e}</p> })
                    }}
                    <button class="button" type="submit" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </div>
        </main>
    }
}
