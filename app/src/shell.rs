use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, Lazy, LazyRoute, SsrMode,
};

use crate::components::layout::Layout;
use crate::pages::kafka::dead_letters::DeadLettersPage;
use crate::pages::kafka::{group::GroupPage, groups::GroupsPage, overview::KafkaPage, topic::TopicPage};
use crate::pages::{
    activity::ActivityPage, cities::CitiesPage, city::CityPage, import::ImportPage, login::LoginPage, map::MapPage,
    not_found::NotFound, overview::Overview, pincodes::PincodesPage, quality::QualityPage, schemas::SchemasPage,
};

/// The HTML document the server renders around the app.
///
/// Its scripts carry the nonce the server drew for this request (the one its
/// Content-Security-Policy header names); the hydration scripts read it from
/// the context too.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    use_request_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                // Leaflet (vendored from npm) defines the global `L` the map code calls,
                // so it loads as a classic script before the app hydrates.
                <link rel="stylesheet" href="/leaflet/leaflet.css"/>
                <script src="/leaflet/leaflet.js" nonce=leptos::nonce::use_nonce()></script>
                <AutoReload options=options.clone()/>
                <HashedStylesheet id="leptos" options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Replaces the nonce leptos_axum drew with the one the server's header layer
/// drew for this request and left in its extensions (none there: leptos_axum's
/// own stands, and the page is served without that layer).
#[cfg(feature = "ssr")]
fn use_request_nonce() {
    use leptos::nonce::Nonce;
    let nonce = use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<Nonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(nonce);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "GeoLedger".to_string() } else { format!("{page} · GeoLedger") }
        }/>
        <Router>
            // A page's code is fetched lazily, so its view renders after the
            // document's head; `Async` renders the whole page before sending any
            // of it, so the head carries the page's title. (The data comes from
            // in-memory indexes and Kafka's metadata: milliseconds.)
            <Routes fallback=|| view! { <NotFound/> <MarkHydrated/> }>
                <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=Layout>
                    // The map is the home page; /map stays as its other address.
                    <Route path=path!("") view={Lazy::<MapRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/overview") view={Lazy::<OverviewRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/cities") view={Lazy::<CitiesRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/cities/:state/:name") view={Lazy::<CityRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/map") view={Lazy::<MapRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/pincodes") view={Lazy::<PincodesRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/quality") view={Lazy::<QualityRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/activity") view={Lazy::<ActivityRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/import") view={Lazy::<ImportRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/kafka") view={Lazy::<KafkaRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/kafka/topics/:name") view={Lazy::<TopicRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/kafka/groups") view={Lazy::<GroupsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/kafka/groups/:id") view={Lazy::<GroupRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/kafka/dead-letters") view={Lazy::<DeadLettersRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/schemas") view={Lazy::<SchemasRoute>::new()} ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Marks the document once the browser has taken over the page's own view (a
/// lazy page hydrates after its code arrives, later than the layout around it),
/// so people and tests can tell a live page from a static one. Effects run only
/// in the browser.
#[component]
fn MarkHydrated() -> impl IntoView {
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}

/// A page whose code the browser fetches when the page is first shown.
///
/// Built with `cargo leptos build --split`, each page's view is cut out of the
/// main wasm into its own file (code two pages share goes to a shared one), so
/// the first load carries the layout and one page, not all of them. Built
/// without `--split` (`cargo leptos watch`), the pages are no split points
/// (`cfg(split_pages)`, set by `app/build.rs`) and load from the one bundle;
/// the server renders them the same way in both.
macro_rules! lazy_page {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        struct $route;

        #[cfg(split_pages)]
        #[leptos_router::lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(this: Self) -> AnyView {
                let _ = this;
                view! { <$page/> <MarkHydrated/> }.into_any()
            }
        }

        #[cfg(not(split_pages))]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            async fn view(this: Self) -> AnyView {
                let _ = this;
                view! { <$page/> <MarkHydrated/> }.into_any()
            }
        }
    )*};
}

lazy_page! {
    LoginRoute => LoginPage,
    MapRoute => MapPage,
    OverviewRoute => Overview,
    CitiesRoute => CitiesPage,
    CityRoute => CityPage,
    PincodesRoute => PincodesPage,
    QualityRoute => QualityPage,
    ActivityRoute => ActivityPage,
    ImportRoute => ImportPage,
    KafkaRoute => KafkaPage,
    TopicRoute => TopicPage,
    GroupsRoute => GroupsPage,
    GroupRoute => GroupPage,
    DeadLettersRoute => DeadLettersPage,
    SchemasRoute => SchemasPage,
}
