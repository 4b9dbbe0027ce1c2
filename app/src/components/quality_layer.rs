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

/// Where the map shows a finding, with the Quality layer on: the finding
/// and its other end (a pincode's far city) both in view, else the finding
/// up close. None without coordinates.
pub fn map_link(f: &Finding) -> Option<String> {
    let (lat, lon) = f.latitude.zip(f.longitude)?;
    let (lat, lon, zoom) = match &f.other {
        Some(o) => {
            let span = (o.latitude - lat).abs().max((o.longitude - lon).abs()).max(0.01);
            // 600 pixels of map (its height, about) span 360° × 600 / 256 / 2^zoom (256-pixel
            // tiles): the greatest zoom whose span holds both ends, with a margin.
            let zoom = (360.0 * 600.0 / 256.0 / (span * 1.6)).log2().floor().clamp(4.0, 12.0);
            ((lat + o.latitude) / 2.0, (lon + o.longitude) / 2.0, zoom)
        }
        None => (lat, lon, 12.0),
    };
    Some(format!("/?quality=1{}", crate::domain::map::view_to_hash(lat, lon, zoom)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::quality::{EntityKind, EntityRef, Other, Rule, Status};

    fn finding(other: Option<(f64, f64)>) -> Finding {
        Finding {
            id: "0".repeat(16),
            rule: Rule::PincodeFarFromCity,
            entity: EntityRef { kind: EntityKind::Pincode, id: "560002".into() },
            state: "Karnataka".into(),
            message: String::new(),
            latitude: Some(15.95),
            longitude: Some(77.59),
            other: other.map(|(latitude, longitude)| Other {
                entity: EntityRef { kind: EntityKind::City, id: "karnataka/qtown".into() },
                latitude,
                longitude,
            }),
            status: Status::Open,
            accepted: None,
        }
    }

    #[test]
    fn a_far_pincode_is_shown_with_its_city_in_view() {
        assert_eq!(map_link(&finding(None)).unwrap(), "/?quality=1#map=12/15.95000/77.59000");
        // Three degrees apart: centred between them, at zoom 7 (600 pixels span 6.6°).
        assert_eq!(map_link(&finding(Some((12.95, 77.59)))).unwrap(), "/?quality=1#map=7/14.45000/77.59000");
        let mut unlocated = finding(None);
        unlocated.latitude = None;
        assert_eq!(map_link(&unlocated), None);
    }
}
