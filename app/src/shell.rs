use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::components::layout::Layout;
use crate::pages::kafka::dead_letters::DeadLettersPage;
use crate::pages::kafka::{group::GroupPage, groups::GroupsPage, overview::KafkaPage, topic::TopicPage};
use crate::pages::{
    cities::CitiesPage, city::CityPage, import::ImportPage, login::LoginPage, map::MapPage, not_found::NotFound,
    overview::Overview, pincodes::PincodesPage,
};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
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
                <script src="/leaflet/leaflet.js"></script>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    // Mark the document once the browser has taken over the server-rendered page,
    // so people and tests can tell a hydrated page from a static one. Effects run
    // only in the browser.
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/geoledger.css"/>
        <Title formatter=|page: String| {
            if page.is_empty() { "GeoLedger".to_string() } else { format!("{page} · GeoLedger") }
        }/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/login") view=LoginPage/>
                <ParentRoute path=path!("") view=Layout>
                    // The map is the home page; /map stays as its other address.
                    <Route path=path!("") view=MapPage/>
                    <Route path=path!("/overview") view=Overview/>
                    <Route path=path!("/cities") view=CitiesPage/>
                    <Route path=path!("/cities/:state/:name") view=CityPage/>
                    <Route path=path!("/map") view=MapPage/>
                    <Route path=path!("/pincodes") view=PincodesPage/>
                    <Route path=path!("/import") view=ImportPage/>
                    <Route path=path!("/kafka") view=KafkaPage/>
                    <Route path=path!("/kafka/topics/:name") view=TopicPage/>
                    <Route path=path!("/kafka/groups") view=GroupsPage/>
                    <Route path=path!("/kafka/groups/:id") view=GroupPage/>
                    <Route path=path!("/kafka/dead-letters") view=DeadLettersPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
