//! The Leaflet map: the cities of the visible area as markers, or as clusters
//! (a count; a click zooms to where it splits) when the view holds many,
//! refetched as the view moves and as changes arrive; a click reports where;
//! a marker's popup has Edit and Delete; a dragged marker, once confirmed,
//! moves its city; a right-click (a long press) asks "What's here?"; a pick of
//! the search box flies there. The view lives in the address
//! (`#map=zoom/latitude/longitude`). Without tiles (none set, or they fail
//! to load) it draws India's outline instead.

use leptos::prelude::*;

use crate::api::MapConfig;
use crate::components::city_form::Editing;
use crate::components::live::Live;
use crate::components::map_search::FlyTo;
use crate::domain::map::MapCity;

/// India's outline and its neighbours', drawn when the map has no tiles.
pub const OUTLINE: &str = "/geo/south-asia.geojson";

/// India, whole, at first.
pub const START: (f64, f64, f64) = (22.5, 80.0, 5.0);

/// What the page asks of the map, and hears from it.
#[derive(Clone, Copy)]
pub struct MapTalk {
    /// A click: where.
    pub clicked: RwSignal<Option<(f64, f64)>>,
    /// A right-click or long press: "What's here?" at that place.
    pub asked: RwSignal<Option<(f64, f64)>>,
    /// Where to fly (the search box's pick).
    pub fly_to: RwSignal<Option<FlyTo>>,
    pub counts: Counts,
    /// Whether the Quality layer (`quality_layer`) is drawn.
    pub quality: RwSignal<bool>,
}

#[component]
pub fn MapView(config: MapConfig, live: Live, editing: RwSignal<Option<Editing>>, talk: MapTalk) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    let Counts { loading, outline, .. } = talk.counts;
    #[cfg(feature = "hydrate")]
    browser::mount(node, config, live, editing, talk);
    #[cfg(not(feature = "hydrate"))]
    let _ = (config, live, editing);
    // data-loading: true while the markers of the view are being fetched;
    // data-tiles: "outline" when India's outline is drawn instead of tiles.
    view! {
        <div class="map" node_ref=node data-testid="map" data-loading=move || loading.get().to_string()
            data-tiles=move || if outline.get() { "outline" } else { "tiles" }
            role="application" aria-label="Map of cities"></div>
    }
}

/// What the map reports about itself.
#[derive(Clone, Copy)]
pub struct Counts {
    /// What the view holds and how it is drawn (`format::map_summary`).
    pub summary: RwSignal<String>,
    pub loading: RwSignal<bool>,
    /// True when the outline is drawn in place of tiles.
    pub outline: RwSignal<bool>,
}

/// Failed tiles, with none loaded, after which the map gives up on tiles.
pub const TILE_FAILURES: u32 = 3;

/// A city's popup text, for people (kept as text: never parsed as markup).
pub fn popup_lines(f: &MapCity) -> Vec<String> {
    let mut lines = vec![format!("{}, {}", f.name, f.state)];
    if let Some(d) = &f.district {
        lines.push(format!("District: {d}"));
    }
    lines.push(format!("{:.4}, {:.4}", f.latitude, f.longitude));
    if let Some(p) = f.population {
        lines.push(format!("Population: {}", crate::format::indian(p)));
    }
    if f.is_metro {
        lines.push("Metro".into());
    }
    lines
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::collections::HashMap;

    use leaflet::{LatLng, LayerGroup, Map, MapOptions, Marker, MarkerOptions, TileLayer, TileLayerOptions};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    use super::*;
    use crate::api::{get_city_details, get_map_view, list_findings, run_city_command, CityCommand};
    use crate::components::quality_layer;
    use crate::domain::city::field;
    use crate::domain::geo::BBox;
    use crate::domain::map::{view_from_hash, view_to_hash, Cluster, MapPincode, MapQuery};
    use crate::format::{compact, map_summary};

    pub fn mount(
        node: NodeRef<leptos::html::Div>,
        config: MapConfig,
        live: Live,
        editing: RwSignal<Option<Editing>>,
        talk: MapTalk,
    ) {
        let MapTalk { clicked, asked, fly_to, counts, quality } = talk;
        let state = StoredValue::new_local(None::<Layers>);
        Effect::new(move |_| {
            let Some(el) = node.get() else { return };
            if state.with_value(|s| s.is_some()) {
                return;
            }
            let options = MapOptions::default();
            let Ok(map) = Map::new_with_element(&el, &options) else { return };
            let (lat, lng, zoom) = address_view().unwrap_or(START);
            map.set_view(&LatLng::new(lat, lng), zoom);
            if config.tile_url.is_empty() {
                draw_outline(&map);
                counts.outline.set(true);
            } else {
                add_tiles(&map, &config, counts);
            }
            let markers = LayerGroup::new();
            markers.add_to(&map);
            let pincodes = LayerGroup::new();
            pincodes.add_to(&map);
            let findings = LayerGroup::new();
            findings.add_to(&map);
            let on_move = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
                remember_view(state);
                refresh(state, live, editing, counts);
                refresh_quality(state, quality.get_untracked());
            });
            map.on("moveend", on_move.as_ref().unchecked_ref());
            on_move.forget();
            // An address typed or followed (back, forward, a link) moves the map there.
            let on_hash = Closure::<dyn FnMut()>::new(move || {
                if let Some((lat, lng, zoom)) = address_view() {
                    state.with_value(|s| s.as_ref().map(|l| l.map.set_view(&LatLng::new(lat, lng), zoom)));
                }
            });
            window().set_onhashchange(Some(on_hash.as_ref().unchecked_ref()));
            on_hash.forget();
            let on_click = Closure::<dyn FnMut(leaflet::MouseEvent)>::new(move |e: leaflet::MouseEvent| {
                let at = e.lat_lng();
                clicked.set(Some((at.lat(), at.lng())));
            });
            map.on("click", on_click.as_ref().unchecked_ref());
            on_click.forget();
            // Leaflet fires it on a right-click, and on a long press on touch screens.
            let on_ask = Closure::<dyn FnMut(leaflet::MouseEvent)>::new(move |e: leaflet::MouseEvent| {
                let at = e.lat_lng();
                clicked.set(None);
                asked.set(Some((at.lat(), at.lng())));
            });
            map.on("contextmenu", on_ask.as_ref().unchecked_ref());
            on_ask.forget();
            state.set_value(Some(Layers { map, markers, pincodes, findings }));
            refresh(state, live, editing, counts);
        });
        // The Quality layer: on, off, and again as the findings change.
        Effect::new(move |_| {
            live.quality.track();
            refresh_quality(state, quality.get());
        });
        // The search box's pick: fly there.
        Effect::new(move |_| {
            let Some((lat, lng, zoom)) = fly_to.get() else { return };
            state.with_value(|s| s.as_ref().map(|l| l.map.fly_to_with_zoom(&LatLng::new(lat, lng), zoom)));
        });
        // Changes by anyone, and reconnects: show the area again.
        Effect::new(move |prev: Option<()>| {
            live.version.track();
            if prev.is_some() {
                refresh(state, live, editing, counts);
            }
        });
        on_cleanup(move || {
            window().set_onhashchange(None);
            if let Some(layers) = state.try_update_value(|s| s.take()).flatten() {
                layers.map.remove();
            }
        });
    }

    /// The tile layer; if its first tiles all fail (no internet, a tile server
    /// down) it is taken off, and the outline drawn in its place.
    fn add_tiles(map: &Map, config: &MapConfig, counts: Counts) {
        let tile_options = TileLayerOptions::default();
        tile_options.set_attribution(config.attribution.clone());
        let tiles = TileLayer::new_options(&config.tile_url, &tile_options);
        tiles.add_to(map);
        let (failed, loaded) =
            (std::rc::Rc::new(std::cell::Cell::new(0u32)), std::rc::Rc::new(std::cell::Cell::new(false)));
        let on_load = {
            let loaded = loaded.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| loaded.set(true))
        };
        tiles.on("tileload", on_load.as_ref().unchecked_ref());
        on_load.forget();
        let (layer, map) = (tiles.clone(), map.clone());
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
            failed.set(failed.get() + 1);
            if failed.get() == TILE_FAILURES && !loaded.get() {
                layer.remove();
                draw_outline(&map);
                counts.outline.set(true);
            }
        });
        tiles.on("tileerror", on_error.as_ref().unchecked_ref());
        on_error.forget();
    }

    /// Without tiles (offline, or none configured), India and its neighbours
    /// are drawn from Natural Earth's outlines (`/geo/south-asia.geojson`), in
    /// a pane of their own below the pincodes and the markers.
    fn draw_outline(map: &Map) {
        let map = map.clone();
        leptos::task::spawn_local(async move {
            use wasm_bindgen_futures::JsFuture;
            let Ok(response) = JsFuture::from(window().fetch_with_str(OUTLINE)).await else { return };
            let response: web_sys::Response = response.unchecked_into();
            let Ok(body) = response.json() else { return };
            let Ok(data) = JsFuture::from(body).await else { return };
            // The admin may have left the page while the outline was on its way: a
            // layer added to a map already removed throws inside Leaflet.
            if !map.get_container().is_connected() {
                return;
            }
            let set = |o: &js_sys::Object, k: &str, v: JsValue| {
                let _ = js_sys::Reflect::set(o, &k.into(), &v);
            };
            if let Ok(create) = js_sys::Reflect::get(map.as_ref(), &"createPane".into()) {
                let create: js_sys::Function = create.unchecked_into();
                if let Ok(pane) = create.call1(map.as_ref(), &"outline".into()) {
                    let style = js_sys::Reflect::get(&pane, &"style".into()).unwrap_or(JsValue::NULL);
                    let _ = js_sys::Reflect::set(&style, &"zIndex".into(), &"250".into());
                }
            }
            let style = Closure::<dyn Fn(JsValue) -> JsValue>::new(|feature: JsValue| {
                let india = js_sys::Reflect::get(&feature, &"properties".into())
                    .and_then(|p| js_sys::Reflect::get(&p, &"india".into()))
                    .is_ok_and(|v| v.is_truthy());
                let look = js_sys::Object::new();
                let (fill, line) = if india { ("#fffdf6", "#5b8d8d") } else { ("#eceae2", "#b9b6aa") };
                for (k, v) in [("fillColor", fill), ("color", line)] {
                    let _ = js_sys::Reflect::set(&look, &k.into(), &v.into());
                }
                for (k, v) in [("fillOpacity", 1.0), ("weight", if india { 1.2 } else { 0.8 })] {
                    let _ = js_sys::Reflect::set(&look, &k.into(), &v.into());
                }
                look.into()
            });
            let options = js_sys::Object::new();
            set(&options, "pane", "outline".into());
            set(&options, "interactive", false.into());
            set(&options, "attribution", "Outline: Natural Earth".into());
            set(&options, "style", style.as_ref().clone());
            style.forget();
            // `L.geoJSON` (the leaflet crate keeps its binding private).
            let Ok(leaflet) = js_sys::Reflect::get(&js_sys::global(), &"L".into()) else { return };
            let Ok(geo_json) = js_sys::Reflect::get(&leaflet, &"geoJSON".into()) else { return };
            let geo_json: js_sys::Function = geo_json.unchecked_into();
            if let Ok(layer) = geo_json.call2(&leaflet, &data, &options) {
                layer.unchecked_into::<leaflet::GeoJson>().add_to(&map);
            }
        });
    }

    fn address_view() -> Option<(f64, f64, f64)> {
        view_from_hash(&window().location().hash().ok()?)
    }

    /// Writes the view into the address, in place (no new history entry per move).
    fn remember_view(state: StoredValue<Option<Layers>, LocalStorage>) {
        let Some((center, zoom)) = state.with_value(|s| s.as_ref().map(|l| (l.map.get_center(), l.map.get_zoom())))
        else {
            return;
        };
        let hash = view_to_hash(center.lat(), center.lng(), zoom);
        if window().location().hash().ok().as_deref() != Some(hash.as_str()) {
            let _ = window().history().and_then(|h| h.replace_state_with_url(&JsValue::NULL, "", Some(&hash)));
        }
    }

    pub struct Layers {
        map: Map,
        markers: LayerGroup,
        pincodes: LayerGroup,
        findings: LayerGroup,
    }

    /// Draws the open findings of the view (`on`), or none.
    fn refresh_quality(state: StoredValue<Option<Layers>, LocalStorage>, on: bool) {
        let Some(bounds) = state.with_value(|s| s.as_ref().map(|l| l.map.get_bounds())) else { return };
        if !on {
            state.with_value(|s| s.as_ref().map(|l| l.findings.clear_layers()));
            return;
        }
        let (sw, ne) = (bounds.get_south_west(), bounds.get_north_east());
        let query = quality_layer::query(BBox::clamped(sw.lng(), sw.lat(), ne.lng(), ne.lat()));
        leptos::task::spawn_local(async move {
            let Ok(page) = list_findings(query).await else { return };
            state.with_value(|s| s.as_ref().map(|l| quality_layer::draw(&l.findings, &page.findings)));
        });
    }

    fn refresh(
        state: StoredValue<Option<Layers>, LocalStorage>,
        live: Live,
        editing: RwSignal<Option<Editing>>,
        counts: Counts,
    ) {
        let Some((bounds, zoom)) = state.with_value(|s| s.as_ref().map(|l| (l.map.get_bounds(), l.map.get_zoom())))
        else {
            return;
        };
        let (sw, ne) = (bounds.get_south_west(), bounds.get_north_east());
        let query = MapQuery { bbox: BBox::clamped(sw.lng(), sw.lat(), ne.lng(), ne.lat()), zoom: zoom.round() as u8 };
        counts.loading.set(true);
        leptos::task::spawn_local(async move {
            let view = get_map_view(query).await;
            counts.loading.set(false);
            let Ok(view) = view else { return };
            state.with_value(|s| {
                let Some(layers) = s else { return };
                layers.markers.clear_layers();
                for city in &view.cities.points {
                    add_marker(&layers.markers, city, live, editing);
                }
                for cluster in &view.cities.clusters {
                    add_cluster(layers, &layers.markers, cluster, "cities");
                }
                layers.pincodes.clear_layers();
                for p in &view.pincodes.points {
                    add_pincode(&layers.pincodes, p);
                }
                for cluster in &view.pincodes.clusters {
                    add_cluster(layers, &layers.pincodes, cluster, "pincodes");
                }
            });
            counts.summary.set(map_summary(&view, query.zoom));
        });
    }

    /// A cluster: its count in a circle; a click zooms to where it splits.
    fn add_cluster(layers: &Layers, layer: &LayerGroup, c: &Cluster, what: &str) {
        let size = match c.count {
            0..100 => 32,
            100..1000 => 40,
            _ => 48,
        };
        let options = js_sys::Object::new();
        let html = format!("<span>{}</span>", compact(c.count));
        let class = format!("cluster cluster-{what}");
        for (k, v) in [("html", JsValue::from(html)), ("className", class.into())] {
            let _ = js_sys::Reflect::set(&options, &k.into(), &v);
        }
        let side = js_sys::Array::of2(&size.into(), &size.into());
        let _ = js_sys::Reflect::set(&options, &"iconSize".into(), &side);
        // `L.divIcon` (the leaflet crate's DivIcon calls `L.Icon`).
        let icon = js_sys::Reflect::get(&js_sys::global(), &"L".into())
            .and_then(|l| js_sys::Reflect::get(&l, &"divIcon".into()))
            .and_then(|f| f.unchecked_into::<js_sys::Function>().call1(&JsValue::NULL, &options));
        let Ok(icon) = icon else { return };
        let marker_options = MarkerOptions::default();
        marker_options.set_icon(icon.unchecked_into());
        marker_options.set_title(format!("{} {what}: click to zoom in", c.count));
        marker_options.set_alt(format!("{} {what}", c.count));
        let at = LatLng::new(c.latitude, c.longitude);
        let marker = Marker::new_with_options(&at, &marker_options);
        let (map, zoom) = (layers.map.clone(), c.expansion_zoom as f64);
        let on_click = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
            map.set_view(&at, zoom);
        });
        marker.on("click", on_click.as_ref().unchecked_ref());
        on_click.forget();
        marker.add_to_layer_group(layer);
    }

    /// A pincode: a small circle, its code and area in a tooltip.
    fn add_pincode(layer: &LayerGroup, p: &MapPincode) {
        let options = js_sys::Object::new();
        for (k, v) in [
            ("radius", JsValue::from(5)),
            ("color", "#8a5a12".into()),
            ("weight", 1.into()),
            ("fillColor", "#e0a526".into()),
            ("fillOpacity", 0.7.into()),
            ("className", "pincode-dot".into()),
        ] {
            let _ = js_sys::Reflect::set(&options, &k.into(), &v);
        }
        let circle = leaflet::CircleMarker::new_with_options(&LatLng::new(p.latitude, p.longitude), &options);
        let label = match &p.area_name {
            Some(a) => format!("{} · {a}", p.pincode),
            None => p.pincode.clone(),
        };
        // As a text node: an area's name is never markup.
        let text: JsValue = document().create_text_node(&label).into();
        // (leaflet 0.5's `bind_tooltip_with_content` calls a method Leaflet lacks: bind a Tooltip.)
        let tooltip = leaflet::Tooltip::new(&leaflet::TooltipOptions::default(), None);
        tooltip.set_content(&text);
        circle.bind_tooltip(&tooltip);
        circle.add_to_layer_group(layer);
    }

    fn add_marker(markers: &LayerGroup, city: &MapCity, live: Live, editing: RwSignal<Option<Editing>>) {
        let options = MarkerOptions::default();
        options.set_draggable(true);
        options.set_title(city.name.clone());
        options.set_alt(city.name.clone());
        let home = LatLng::new(city.latitude, city.longitude);
        let marker = Marker::new_with_options(&home, &options);
        if let Some(content) = popup(city, live, editing) {
            marker.bind_popup_with_options(&content, &JsValue::UNDEFINED);
        }
        // A drag moves the city, once confirmed; otherwise the marker goes back.
        let (moved, c) = (marker.clone(), city.clone());
        let on_drag_end = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
            let to = moved.get_lat_lng();
            let question = format!("Move {} to {:.5}, {:.5}?", c.name, to.lat(), to.lng());
            let confirmed = window().confirm_with_message(&question).unwrap_or(false);
            if !confirmed {
                moved.set_lat_lng(&LatLng::new(c.latitude, c.longitude));
                return;
            }
            let command = CityCommand::Update { name: c.name.clone(), state: c.state.clone() };
            let fields = HashMap::from([
                (field::LATITUDE.to_string(), format!("{:.6}", to.lat())),
                (field::LONGITUDE.to_string(), format!("{:.6}", to.lng())),
            ]);
            let (back, home) = (moved.clone(), (c.latitude, c.longitude));
            // Refused (outside India, Kafka away…): the toast says why, and the marker goes back.
            live.send(format!("Move {}", c.name), run_city_command(command, fields), move || {
                back.set_lat_lng(&LatLng::new(home.0, home.1));
            });
        });
        marker.on("dragend", on_drag_end.as_ref().unchecked_ref());
        on_drag_end.forget();
        marker.add_to_layer_group(markers);
    }

    /// The popup, built as DOM nodes with text content (a name is never markup).
    fn popup(city: &MapCity, live: Live, editing: RwSignal<Option<Editing>>) -> Option<web_sys::Element> {
        let doc = document();
        let root = doc.create_element("div").ok()?;
        root.set_class_name("popup");
        root.set_attribute("data-city-id", &city.id).ok()?;
        for (i, line) in popup_lines(city).into_iter().enumerate() {
            let p = doc.create_element(if i == 0 { "strong" } else { "div" }).ok()?;
            p.set_text_content(Some(&line));
            root.append_child(&p).ok()?;
        }
        let actions = doc.create_element("div").ok()?;
        actions.set_class_name("popup-actions");
        let edit = doc.create_element("button").ok()?;
        edit.set_text_content(Some("Edit"));
        edit.set_class_name("link");
        // The form starts from the whole city (metadata, alternate names…), read when asked for.
        let id = city.id.clone();
        let on_edit = Closure::<dyn FnMut()>::new(move || {
            let id = id.clone();
            leptos::task::spawn_local(async move {
                if let Ok(Some(details)) = get_city_details(id).await {
                    editing.set(Some(Editing::edit(&details.city)));
                }
            });
        });
        edit.add_event_listener_with_callback("click", on_edit.as_ref().unchecked_ref()).ok()?;
        on_edit.forget();
        let delete = doc.create_element("button").ok()?;
        delete.set_text_content(Some("Delete"));
        delete.set_class_name("link danger");
        let c = city.clone();
        let on_delete = Closure::<dyn FnMut()>::new(move || {
            let command = CityCommand::Delete { name: c.name.clone(), state: c.state.clone() };
            live.send(format!("Delete {}", c.name), run_city_command(command, HashMap::new()), || ());
        });
        delete.add_event_listener_with_callback("click", on_delete.as_ref().unchecked_ref()).ok()?;
        on_delete.forget();
        actions.append_child(&edit).ok()?;
        actions.append_child(&delete).ok()?;
        root.append_child(&actions).ok()?;
        Some(root)
    }
}
