//! What the map asks for and what it is sent: for one view (a box and a zoom),
//! the cities and pincodes in it, one by one while there are few, in clusters
//! (a count at their centre) once there are many.

use serde::{Deserialize, Serialize};

use super::city::City;
use super::geo::BBox;
use super::pincode::Pincode;

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
pub struct Cluster {
    pub latitude: f64,
    pub longitude: f64,
    pub count: u64,
    pub expansion_zoom: u8,
}

/// A city as the map draws it, with what its popup says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

impl From<&City> for MapCity {
    fn from(c: &City) -> Self {
        let f = &c.fields;
        MapCity {
            id: c.id.clone(),
            name: f.name.clone(),
            state: f.state.clone(),
            district: f.district.clone(),
            latitude: f.latitude,
            longitude: f.longitude,
            population: f.population,
            is_metro: f.is_metro,
        }
    }
}

/// A pincode as the map draws it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapPincode {
    pub pincode: String,
    pub area_name: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
}

impl From<&Pincode> for MapPincode {
    fn from(p: &Pincode) -> Self {
        let f = &p.fields;
        MapPincode {
            pincode: f.pincode.clone(),
            area_name: f.area_name.clone(),
            latitude: f.latitude,
            longitude: f.longitude,
        }
    }
}

/// What one layer of the map shows in a view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct MapView {
    pub cities: Layer<MapCity>,
    /// Empty below `PINCODE_ZOOM`.
    pub pincodes: Layer<MapPincode>,
}

/// The line under the map's title: what the view holds and how it is drawn.
pub fn describe(view: &MapView, zoom: u8) -> String {
    let c = &view.cities;
    let mut line = match (c.in_view, c.clusters.len(), c.not_drawn()) {
        (1, ..) => "1 city in view".to_string(),
        (n, 0, 0) => format!("{n} cities in view"),
        (n, 0, _) => format!("the {} largest of {n} cities in view; zoom in for the rest", c.points.len()),
        (n, k, _) => format!("{n} cities in view, {k} clusters; click one to zoom in"),
    };
    let p = &view.pincodes;
    if zoom >= PINCODE_ZOOM && p.in_view > 0 {
        line.push_str(&match (p.in_view, p.clusters.len(), p.not_drawn()) {
            (1, ..) => ", 1 pincode".to_string(),
            (n, 0, 0) => format!(", {n} pincodes"),
            (n, 0, _) => format!(", {} of {n} pincodes; zoom in for all", p.points.len()),
            (n, k, _) => format!(", {n} pincodes in {k} clusters"),
        });
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(count: u64) -> Cluster {
        Cluster { latitude: 0.0, longitude: 0.0, count, expansion_zoom: 6 }
    }

    fn pin(code: &str) -> MapPincode {
        MapPincode { pincode: code.into(), area_name: None, latitude: 0.0, longitude: 0.0 }
    }

    #[test]
    fn the_line_says_what_the_view_holds_and_how_it_is_drawn() {
        let mut view = MapView::default();
        view.cities.in_view = 1200;
        view.cities.clusters = vec![cluster(700), cluster(500)];
        assert_eq!(describe(&view, 5), "1200 cities in view, 2 clusters; click one to zoom in");
        view.cities.clusters.clear();
        assert_eq!(describe(&view, 14), "the 0 largest of 1200 cities in view; zoom in for the rest");
        view.cities.in_view = 0;
        view.pincodes = Layer { in_view: 1, clusters: vec![], points: vec![pin("682001")] };
        assert_eq!(describe(&view, 12), "0 cities in view, 1 pincode");
        assert_eq!(describe(&view, 9), "0 cities in view");
    }
}
