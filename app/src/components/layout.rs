//! The frame around every page: the brand, the side navigation and the content.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use crate::api::{current_user, get_quality_summary, Logout};
use crate::components::live::{LagBanner, Live, LiveProvider, Toasts};

/// The sections of GeoLedger. Those without a page yet are shown, greyed, so an
/// admin sees what is coming; they become links as their pages land.
const SECTIONS: &[(&str, &str, bool)] = &[
    ("Map", "/", true),
    ("Cities", "/cities", true),
    ("Pincodes", "/pincodes", true),
    ("Quality", "/quality", true),
    ("Activity", "/activity", true),
    ("Overview", "/overview", true),
    ("Bulk import", "/import", true),
    ("Kafka", "/kafka", true),
    ("Event schemas", "/schemas", true),
];

#[component]
pub fn Layout() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    let logout = ServerAction::<Logout>::new();
    view! {
        <LiveProvider>
        <div class="layout">
            <header class="topbar">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    <span class="brand-name">"GeoLedger"</span>
                </a>
                <span class="brand-tagline">"Location reference data for India"</span>
                <div class="session">
                    <Suspense>
                        {move || {
                            let email = user.get().and_then(|u| u.ok().flatten())?;
                            Some(view! { <span class="who" data-testid="user">{email}</span> })
                        }}
                    </Suspense>
                    <ActionForm action=logout>
                        <button class="button button-quiet" type="submit">"Sign out"</button>
                    </ActionForm>
                </div>
            </header>
            <nav class="sidenav" aria-label="Sections">
                <ul>
                    {SECTIONS
                        .iter()
                        .map(|(label, href, ready)| {
                            if *ready {
                                let count = (*href == "/quality").then(|| view! { <QualityCount/> });
                                view! {
                                    <li>
                                        <A href=*href exact=true>{*label} {count}</A>
                                    </li>
                                }
                                    .into_any()
                            } else {
                                view! {
                                    <li>
                                        <span class="nav-soon" aria-disabled="true" title="Coming soon">
                                            {*label}
                                            <small>"soon"</small>
                                        </span>
                                    </li>
                                }
                                    .into_any()
                            }
                        })
                        .collect_view()}
                    // Not a page of this app: Swagger UI on the OpenAPI document.
                    <li>
                        <a href="/api/docs" rel="external">"REST API"</a>
                    </li>
                </ul>
            </nav>
            <main class="content">
                <LagBanner/>
                <Outlet/>
                <Toasts/>
            </main>
        </div>
        </LiveProvider>
    }
}

/// The open quality findings, beside the navigation's Quality: read once,
/// then as the live stream tells.
#[component]
fn QualityCount() -> impl IntoView {
    let live = expect_context::<Live>();
    let first = Resource::new(|| (), |_| get_quality_summary());
    let open = move || match live.quality.get() {
        Some(summary) => Some(summary.open),
        None => first.get().and_then(|s| s.ok()).map(|s| s.open),
    };
    view! {
        <Transition>
            {move || open().filter(|n| *n > 0).map(|n| view! {
                <span class="nav-count" data-testid="nav-quality-count"
                    title=format!("{} open quality findings", crate::format::indian(n))>
                    {crate::format::compact(n)}
                </span>
            })}
        </Transition>
    }
}
