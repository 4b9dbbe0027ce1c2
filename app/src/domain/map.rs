//! What the map asks for and what it is sent: for one view (a box and a zoom),
//! the cities and pincodes in it, one by one while there are few, in clusters
//! (a count at their centre) once there are many.

use serde::{Deserialize, Serialize};

use super::geo::BBox;

/// A view holding at most this many cities (or pincodes) draws each one;
/// past it, they are drawn in clusters.
pub const DRAWN_ONE_BY_ONE: usize = 500;

/// At most this many features (clusters and points) per layer and view.
pub const MAX_FEATURES: usize = 2000;

/// Zoomed in further than this, nothing is clustered: the view shows its
/// points, the most populous first when there are more than `MAX_FEATURES`.
pub const LAST_CLUSTER_ZOOM: u8 = 11;

/// Pincodes are on the map from this zoom on (a district or so).
pub const PINCODE_ZOOM: u8 = 10;

/// The deepest zoom the map offers.
pub const MAX_ZOOM: u8 = 19;

/// One view of the map.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapQuery {
    pub bbox: BBox,
    pub zoom: u8,
}

/// Many points drawn as one: how many, where their centre is, and the zoom at
/// which it splits (a click zooms there).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(as = MapCluster))]
pub struct Cluster {
    pub latitude: f64,
    pub longitude: f64,
    pub count: u64,
    pub expansion_zoom: u8,
}

/// A city as the map draws it, with what its popup says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MapCity {
    pub id: String,
    pub name: String,
    pub state: String,
    pub district: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    pub population: Option<u64>,
    pub is_metro: bool,
}

/// A pincode as the map draws it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MapPincode {
    pub pincode: String,
    pub area_name: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
}

/// What one layer of the map shows in a view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Layer<T> {
    /// Everything in the view (not deleted).
    pub in_view: u64,
    pub clusters: Vec<Cluster>,
    pub points: Vec<T>,
}

impl<T> Default for Layer<T> {
    fn default() -> Self {
        Layer { in_view: 0, clusters: Vec::new(), points: Vec::new() }
    }
}

impl<T> Layer<T> {
    /// How many of the view's points the layer does not draw (beyond the
    /// limit, zoomed in past clustering).
    pub fn not_drawn(&self) -> u64 {
        let drawn = self.points.len() as u64 + self.clusters.iter().map(|c| c.count).sum::<u64>();
        self.in_view.saturating_sub(drawn)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MapView {
    pub cities: Layer<MapCity>,
    /// Empty below `PINCODE_ZOOM`.
    pub pincodes: Layer<MapPincode>,
}

/// The view in the address, as `#map=zoom/latitude/longitude` (as OpenStreetMap
/// writes it): a view can be bookmarked, shared, and survives a reload.
pub fn view_to_hash(lat: f64, lng: f64, zoom: f64) -> String {
    format!("#map={}/{lat:.5}/{lng:.5}", zoom.round())
}

/// The view a `#map=zoom/latitude/longitude` address names, when it is a real one.
pub fn view_from_hash(hash: &str) -> Option<(f64, f64, f64)> {
    let mut parts = hash.strip_prefix("#map=")?.split('/').map(|p| p.parse::<f64>().ok().filter(|v| v.is_finite()));
    let (zoom, lat, lng) = (parts.next()??, parts.next()??, parts.next()??);
    let ok = parts.next().is_none()
        && (0.0..=19.0).contains(&zoom)
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lng);
    ok.then_some((lat, lng, zoom))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_round_trips_through_the_address() {
        let hash = view_to_hash(28.535512, 77.391, 12.0);
        assert_eq!(hash, "#map=12/28.53551/77.39100");
        assert_eq!(view_from_hash(&hash), Some((28.53551, 77.391, 12.0)));
    }

    #[test]
    fn a_broken_view_in_the_address_is_ignored() {
        for bad in [
            "",
            "#",
            "#map=",
            "#map=12/28.5",
            "#map=12/28.5/77/1",
            "#map=x/28.5/77",
            "#map=30/28.5/77",
            "#map=5/95/77",
            "#map=5/28/NaN",
            "#other=5/28/77",
        ] {
            assert_eq!(view_from_hash(bad), None, "{bad}");
        }
    }
}
