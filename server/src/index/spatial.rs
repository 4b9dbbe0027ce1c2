//! Where things are: the live points of one kind (cities or pincodes) in an
//! R-tree (rstar), for "what is in this box", and counted in a grid per zoom,
//! for the map's clusters.
//!
//! The grid: at zoom z the world (in Web Mercator) is cut into square cells of
//! 64 screen pixels; each cell keeps how many points it holds and their summed
//! position. Moving a point changes a dozen counters, so the clusters are as
//! current as the points, at any rate of change, with no rebuild. A cluster is
//! an occupied cell; it splits at the first zoom where more than one of its
//! sub-cells is occupied.
//!
//! Invariant: a point is in the tree and counted in the grid at once, or in
//! neither.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::sync::Arc;

use app::domain::geo::BBox;
use app::domain::map::{Cluster, Layer, DRAWN_ONE_BY_ONE, LAST_CLUSTER_ZOOM, MAX_FEATURES};
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};

/// Cells per tile side, as a power of two: 4 cells of 64 pixels on a 256-pixel tile.
const CELL_SHIFT: u32 = 2;

type Point = GeomWithData<[f64; 2], Arc<str>>;

/// A position in Web Mercator, both in 0..1 (x east, y south), as tiles are cut.
fn mercator(longitude: f64, latitude: f64) -> (f64, f64) {
    let sin = latitude.clamp(-85.05, 85.05).to_radians().sin();
    let y = 0.5 - ((1.0 + sin) / (1.0 - sin)).ln() / (4.0 * PI);
    ((longitude / 360.0 + 0.5).clamp(0.0, 1.0), y.clamp(0.0, 1.0))
}

fn longitude_latitude(x: f64, y: f64) -> (f64, f64) {
    let latitude = (PI * (1.0 - 2.0 * y)).sinh().atan().to_degrees();
    ((x - 0.5) * 360.0, latitude)
}

#[derive(Clone, Copy, Default)]
struct Cell {
    count: u64,
    sum_x: f64,
    sum_y: f64,
}

/// The count of points per cell, per zoom up to `LAST_CLUSTER_ZOOM`.
struct Grid {
    levels: Vec<HashMap<u64, Cell>>,
}

fn cells_per_side(zoom: u8) -> u64 {
    1 << (zoom as u32 + CELL_SHIFT)
}

fn cell_of(x: f64, y: f64, zoom: u8) -> (u64, u64) {
    let n = cells_per_side(zoom);
    let at = |v: f64| ((v * n as f64) as u64).min(n - 1);
    (at(x), at(y))
}

fn key(cx: u64, cy: u64) -> u64 {
    (cx << 32) | cy
}

impl Grid {
    fn new() -> Self {
        Grid { levels: (0..=LAST_CLUSTER_ZOOM).map(|_| HashMap::new()).collect() }
    }

    /// Counts a point in (`sign` 1.0) or out (-1.0).
    fn count(&mut self, (x, y): (f64, f64), sign: f64) {
        for (zoom, level) in self.levels.iter_mut().enumerate() {
            let (cx, cy) = cell_of(x, y, zoom as u8);
            let cell = level.entry(key(cx, cy)).or_default();
            if sign > 0.0 {
                cell.count += 1;
            } else {
                cell.count = cell.count.saturating_sub(1);
            }
            cell.sum_x += sign * x;
            cell.sum_y += sign * y;
            if cell.count == 0 {
                level.remove(&key(cx, cy));
            }
        }
    }

    /// The occupied cells of zoom `zoom` that touch `bbox`: ((cx, cy), cell).
    fn cells_in(&self, bbox: BBox, zoom: u8) -> Vec<((u64, u64), Cell)> {
        let level = &self.levels[zoom as usize];
        let (x0, y0) = cell_of(mercator(bbox.west, bbox.north).0, mercator(bbox.west, bbox.north).1, zoom);
        let (x1, y1) = cell_of(mercator(bbox.east, bbox.south).0, mercator(bbox.east, bbox.south).1, zoom);
        // A view spans a few hundred cells; past that (a huge screen), walk the occupied ones.
        if (x1 - x0 + 1) * (y1 - y0 + 1) > level.len() as u64 {
            let inside = |k: &u64| (x0..=x1).contains(&(k >> 32)) && (y0..=y1).contains(&(k & 0xffff_ffff));
            return level.iter().filter(|(k, _)| inside(k)).map(|(k, c)| ((k >> 32, k & 0xffff_ffff), *c)).collect();
        }
        let mut found = Vec::new();
        for cx in x0..=x1 {
            for cy in y0..=y1 {
                if let Some(cell) = level.get(&key(cx, cy)) {
                    found.push(((cx, cy), *cell));
                }
            }
        }
        found
    }

    /// The first zoom at which the points of cell (cx, cy) of `zoom` are in
    /// more than one cell: where a click on its cluster goes.
    fn expansion_zoom(&self, (mut cx, mut cy): (u64, u64), zoom: u8) -> u8 {
        for next in zoom + 1..=LAST_CLUSTER_ZOOM {
            let level = &self.levels[next as usize];
            let children = [(0, 0), (0, 1), (1, 0), (1, 1)].map(|(dx, dy)| (cx * 2 + dx, cy * 2 + dy));
            let occupied: Vec<_> = children.into_iter().filter(|&(x, y)| level.contains_key(&key(x, y))).collect();
            match occupied[..] {
                [only] => (cx, cy) = only,
                _ => return next,
            }
        }
        LAST_CLUSTER_ZOOM + 1
    }
}

/// The box of cell (cx, cy) of `zoom`, in degrees.
fn cell_box((cx, cy): (u64, u64), zoom: u8) -> AABB<[f64; 2]> {
    let n = cells_per_side(zoom) as f64;
    let (west, north) = longitude_latitude(cx as f64 / n, cy as f64 / n);
    let (east, south) = longitude_latitude((cx + 1) as f64 / n, (cy + 1) as f64 / n);
    // A hair wider: a point on an edge is found whichever way it rounds.
    let e = 1e-9;
    AABB::from_corners([west - e, south - e], [east + e, north + e])
}

fn envelope(b: BBox) -> AABB<[f64; 2]> {
    AABB::from_corners([b.west, b.south], [b.east, b.north])
}

/// The live points of one kind, by id.
pub struct Spatial {
    tree: RTree<Point>,
    grid: Grid,
}

impl Spatial {
    /// All at once (a start-up load): the tree is bulk-loaded.
    pub fn build(points: Vec<(Arc<str>, f64, f64)>) -> Self {
        let mut grid = Grid::new();
        for (_, longitude, latitude) in &points {
            grid.count(mercator(*longitude, *latitude), 1.0);
        }
        let tree = RTree::bulk_load(points.into_iter().map(|(id, lon, lat)| Point::new([lon, lat], id)).collect());
        Spatial { tree, grid }
    }

    pub fn insert(&mut self, id: Arc<str>, longitude: f64, latitude: f64) {
        self.grid.count(mercator(longitude, latitude), 1.0);
        self.tree.insert(Point::new([longitude, latitude], id));
    }

    pub fn remove(&mut self, id: &Arc<str>, longitude: f64, latitude: f64) {
        if self.tree.remove(&Point::new([longitude, latitude], id.clone())).is_some() {
            self.grid.count(mercator(longitude, latitude), -1.0);
        }
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// The ids of the points in `bbox`.
    pub fn ids_in(&self, bbox: BBox) -> impl Iterator<Item = &Arc<str>> {
        self.tree.locate_in_envelope(&envelope(bbox)).map(|p| &p.data)
    }

    /// What the map draws of these points in a view: each point while the view
    /// holds few, clusters when it holds many, and past the last clustered zoom
    /// the `MAX_FEATURES` first by `rank` (smallest first). `point` makes what is drawn.
    pub fn layer<T, K: Ord>(
        &self,
        bbox: BBox,
        zoom: u8,
        rank: impl Fn(&Arc<str>) -> K,
        point: impl Fn(&Arc<str>) -> Option<T>,
    ) -> Layer<T> {
        if zoom <= LAST_CLUSTER_ZOOM {
            let cells = self.grid.cells_in(bbox, zoom);
            let near: u64 = cells.iter().map(|(_, c)| c.count).sum();
            if near as usize > DRAWN_ONE_BY_ONE {
                return self.clusters(cells, zoom, point);
            }
        }
        let mut ids: Vec<&Arc<str>> = self.ids_in(bbox).collect();
        let in_view = ids.len() as u64;
        if ids.len() > MAX_FEATURES {
            ids.select_nth_unstable_by_key(MAX_FEATURES - 1, |id| rank(id));
            ids.truncate(MAX_FEATURES);
        }
        ids.sort_by_key(|id| rank(id));
        Layer { in_view, clusters: Vec::new(), points: ids.into_iter().filter_map(point).collect() }
    }

    fn clusters<T>(
        &self,
        mut cells: Vec<((u64, u64), Cell)>,
        zoom: u8,
        point: impl Fn(&Arc<str>) -> Option<T>,
    ) -> Layer<T> {
        let in_view = cells.iter().map(|(_, c)| c.count).sum();
        if cells.len() > MAX_FEATURES {
            cells.select_nth_unstable_by_key(MAX_FEATURES - 1, |(_, c)| std::cmp::Reverse(c.count));
            cells.truncate(MAX_FEATURES);
        }
        let mut layer = Layer { in_view, ..Layer::default() };
        for (at, cell) in cells {
            if cell.count == 1 {
                let alone = self.tree.locate_in_envelope(&cell_box(at, zoom)).find(|p| {
                    let (x, y) = mercator(p.geom()[0], p.geom()[1]);
                    cell_of(x, y, zoom) == at
                });
                layer.points.extend(alone.and_then(|p| point(&p.data)));
                continue;
            }
            let n = cell.count as f64;
            let (longitude, latitude) = longitude_latitude(cell.sum_x / n, cell.sum_y / n);
            let expansion_zoom = self.grid.expansion_zoom(at, zoom);
            layer.clusters.push(Cluster { latitude, longitude, count: cell.count, expansion_zoom });
        }
        layer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn india() -> BBox {
        BBox::new(68.0, 6.0, 98.0, 37.0).unwrap()
    }

    fn spread(n: usize) -> Vec<(Arc<str>, f64, f64)> {
        (0..n)
            .map(|i| (Arc::from(format!("p{i:05}")), 70.0 + (i % 100) as f64 * 0.25, 10.0 + (i / 100) as f64 * 0.2))
            .collect()
    }

    #[test]
    fn mercator_round_trips() {
        for (lon, lat) in [(77.39, 28.53), (-12.0, -40.0), (0.0, 0.0)] {
            let (x, y) = mercator(lon, lat);
            let (lon2, lat2) = longitude_latitude(x, y);
            assert!((lon - lon2).abs() < 1e-9 && (lat - lat2).abs() < 1e-9, "{lon},{lat} → {lon2},{lat2}");
        }
    }

    #[test]
    fn few_points_are_drawn_one_by_one() {
        let s = Spatial::build(spread(30));
        let layer = s.layer(india(), 4, |id| id.clone(), |id| Some(id.to_string()));
        assert_eq!((layer.in_view, layer.points.len(), layer.clusters.len()), (30, 30, 0));
        assert_eq!(layer.points[0], "p00000");
    }

    #[test]
    fn many_points_cluster_and_the_counts_add_up_as_points_come_and_go() {
        let mut s = Spatial::build(spread(5000));
        let total = |s: &Spatial| {
            let layer = s.layer(india(), 5, |id| id.clone(), |id| Some(id.clone()));
            assert!(!layer.clusters.is_empty() && layer.clusters.len() + layer.points.len() <= MAX_FEATURES);
            assert!(layer.clusters.iter().all(|c| c.expansion_zoom > 5 && c.count > 1));
            layer.clusters.iter().map(|c| c.count).sum::<u64>() + layer.points.len() as u64
        };
        assert_eq!(total(&s), 5000);
        let id: Arc<str> = Arc::from("p00042");
        s.remove(&id, 70.0 + 42.0 * 0.25, 10.0);
        assert_eq!(total(&s), 4999);
        s.insert(id.clone(), 90.0, 30.0);
        assert_eq!(total(&s), 5000);
        // Removing what is not there changes nothing.
        s.remove(&Arc::from("nowhere"), 80.0, 20.0);
        assert_eq!((total(&s), s.len()), (5000, 5000));
    }

    #[test]
    fn a_lone_point_in_a_crowded_view_is_drawn_as_itself() {
        let mut points = spread(1000);
        points.push((Arc::from("alone"), 96.5, 35.5));
        let layer = Spatial::build(points).layer(india(), 6, |id| id.clone(), |id| Some(id.to_string()));
        assert!(layer.points.contains(&"alone".to_string()), "{:?}", layer.points);
    }

    #[test]
    fn a_cluster_opens_at_the_zoom_where_its_points_part() {
        // Two points 0.05° apart share a cell until about zoom 8 (cells of 0.088° at zoom 10).
        let s = Spatial::build(vec![(Arc::from("a"), 77.0, 28.0), (Arc::from("b"), 77.05, 28.0)]);
        let (x, y) = mercator(77.0, 28.0);
        let zoom = 3;
        let expansion = s.grid.expansion_zoom(cell_of(x, y, zoom), zoom);
        let apart = |z: u8| cell_of(x, y, z) != cell_of(mercator(77.05, 28.0).0, mercator(77.05, 28.0).1, z);
        assert!(apart(expansion) && !apart(expansion - 1), "splits at {expansion}");
    }

    #[test]
    fn past_the_last_clustered_zoom_the_first_by_rank_are_drawn() {
        let s = Spatial::build(spread(MAX_FEATURES + 10));
        let layer = s.layer(india(), LAST_CLUSTER_ZOOM + 1, |id| std::cmp::Reverse(id.clone()), |id| Some(id.clone()));
        assert_eq!(layer.in_view, (MAX_FEATURES + 10) as u64);
        assert_eq!(layer.points.len(), MAX_FEATURES);
        assert_eq!(&*layer.points[0], format!("p{:05}", MAX_FEATURES + 9));
        assert_eq!(layer.not_drawn(), 10);
    }
}
