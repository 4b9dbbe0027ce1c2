//! The map's Quality layer: the open findings in view as red rings (each
//! with a tooltip saying what is wrong), and a pincode far from its city,
//! or a possible duplicate, as a dashed line to the other end.

use crate::domain::quality::{Finding, FindingsQuery};

/// The most findings the layer draws of one view.
pub const MAX_DRAWN: usize = 500;

/// What the layer asks for the view `bbox`.
pub fn query(bbox: crate::domain::geo::BBox) -> FindingsQuery {
    FindingsQuery { bbox: Some(bbox), limit: MAX_DRAWN, ..FindingsQuery::default() }
}

/// The tooltip of a finding: its rule, then what it says.
pub fn label(f: &Finding) -> String {
    format!("{}: {}", f.rule.title(), f.message)
}

#[cfg(feature = "hydrate")]
pub fn draw(layer: &leaflet::LayerGroup, findings: &[Finding]) {
    use leaflet::{CircleMarker, LatLng, Polyline, Tooltip, TooltipOptions};
    use wasm_bindgen::{JsCast, JsValue};

    let options = |pairs: &[(&str, JsValue)]| {
        let o = js_sys::Object::new();
        for (k, v) in pairs {
            let _ = js_sys::Reflect::set(&o, &(*k).into(), v);
        }
        o
    };
    layer.clear_layers();
    for f in findings {
        let (Some(lat), Some(lon)) = (f.latitude, f.longitude) else { continue };
        let at = LatLng::new(lat, lon);
        if let Some(other) = &f.other {
            let line = js_sys::Array::of2(&at, &LatLng::new(other.latitude, other.longitude));
            let look = options(&[
                ("color", "#c0392b".into()),
                ("weight", 2.into()),
                ("dashArray", "6 4".into()),
                ("className", "quality-line".into()),
            ]);
            Polyline::new_with_options(&line, look.unchecked_ref()).add_to_layer_group(layer);
        }
        let look = options(&[
            ("radius", 9.into()),
            ("color", "#c0392b".into()),
            ("weight", 2.into()),
            ("fillColor", "#f5b7b1".into()),
            ("fillOpacity", 0.5.into()),
            ("className", "quality-dot".into()),
        ]);
        let ring = CircleMarker::new_with_options(&at, &look);
        // As a text node: a message holds names, never markup.
        let text: JsValue = leptos::prelude::document().create_text_node(&label(f)).into();
        let tooltip = Tooltip::new(&TooltipOptions::default(), None);
        tooltip.set_content(&text);
        ring.bind_tooltip(&tooltip);
        ring.add_to_layer_group(layer);
    }
}
