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
