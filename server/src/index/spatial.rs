//! Where things are: the live points of one kind (cities or pincodes),
//! counted in a grid per zoom, for the map's clusters, and listed in the
//! cells of its finest level, for "what is in this box".
//!
//! The grid: at zoom z the world (in Web Mercator) is cut into square cells of
//! 64 screen pixels; each cell keeps how many points it holds and their summed
//! position. Moving a point changes a dozen counters, so the clusters are as
//! current as the points, at any rate of change, with no rebuild. A cluster is
//! an occupied cell; it splits at the first zoom where more than one of its
//! sub-cells is occupied. The cells of the last clustered zoom (about 5 km
//! across in India) also list their points: a box is answered from the cells
//! it touches, found from the coarsest level down, then each point's own
//! position. The nearest within a short distance (5 km, a few cells) are
//! read from those cells directly; farther, a best-first walk down the
//! levels finds them. An R-tree (rstar) did this before; its nodes alone cost 89–124
//! bytes a point (measured at 600,000), a third of what the index holds per city now.
//!
//! Invariant: a point is counted in its cell of every zoom and listed in its
//! cell of the last at once, or neither.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::f64::consts::PI;

use app::domain::geo::{distance_km, BBox, EARTH_RADIUS_KM};
use app::domain::map::{Cluster, Layer, DRAWN_ONE_BY_ONE, LAST_CLUSTER_ZOOM, MAX_FEATURES};
use smallvec::SmallVec;

/// Cells per tile side, as a power of two: 4 cells of 64 pixels on a 256-pixel tile.
const CELL_SHIFT: u32 = 2;

/// The most cells of the last zoom a nearest search within a distance reads
/// one by one (5 km in India is 9 to 16); beyond, it walks down the grid.
const SHORT_REACH: u64 = 64;

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

impl Cell {
    /// Counts a point in (`sign` 1.0) or out (-1.0).
    fn count(&mut self, (x, y): (f64, f64), sign: f64) {
        if sign > 0.0 {
            self.count += 1;
        } else {
            self.count = self.count.saturating_sub(1);
        }
        self.sum_x += sign * x;
        self.sum_y += sign * y;
    }
}

/// A cell of the last clustered zoom: its count, and its points (most hold
/// one to four: kept inline, no allocation of their own).
struct Finest<D> {
    cell: Cell,
    points: SmallVec<[D; 4]>,
}

fn cells_per_side(zoom: u8) -> u64 {
    1 << (zoom as u32 + CELL_SHIFT)
}

fn cell_of(x: f64, y: f64, zoom: u8) -> (u64, u64) {
    let n = cells_per_side(zoom);
    let at = |v: f64| ((v * n as f64) as u64).min(n - 1);
    (at(x), at(y))
}

fn key((cx, cy): (u64, u64)) -> u64 {
    (cx << 32) | cy
}

/// The four cells of `zoom + 1` that cell (cx, cy) of `zoom` is cut into.
fn children((cx, cy): (u64, u64)) -> [(u64, u64); 4] {
    [(0, 0), (0, 1), (1, 0), (1, 1)].map(|(dx, dy)| (cx * 2 + dx, cy * 2 + dy))
}

fn inside(b: BBox, (longitude, latitude): (f64, f64)) -> bool {
    (b.west..=b.east).contains(&longitude) && (b.south..=b.north).contains(&latitude)
}

/// The box of longitudes and latitudes of cell (cx, cy) of `zoom`.
fn cell_box((cx, cy): (u64, u64), zoom: u8) -> BBox {
    let n = cells_per_side(zoom) as f64;
    let (west, north) = longitude_latitude(cx as f64 / n, cy as f64 / n);
    let (east, south) = longitude_latitude((cx + 1) as f64 / n, (cy + 1) as f64 / n);
    BBox { west, south, east, north }
}

/// A nearest search: from where, how many at most, how far at most.
#[derive(Clone, Copy)]
struct Ask {
    latitude: f64,
    longitude: f64,
    k: usize,
    max_km: f64,
}

/// Where a nearest search within a short distance looks: the box that holds
/// the distance's circle, and the cells of the last zoom (columns and rows,
/// first to last) that hold the box.
struct Reach {
    columns: (u64, u64),
    rows: (u64, u64),
    bbox: BBox,
}

/// What a nearest search has yet to look at: a cell, or a point, and how
/// near it could be.
struct Waiting<'a, D> {
    distance: f64,
    what: Next<'a, D>,
}

enum Next<'a, D> {
    Cell((u64, u64), u8),
    Point(&'a D),
}

impl<D> PartialEq for Waiting<'_, D> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<D> Eq for Waiting<'_, D> {}

impl<D> PartialOrd for Waiting<'_, D> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<D> Ord for Waiting<'_, D> {
    /// By distance; at the same distance a point before a cell (it is found).
    fn cmp(&self, other: &Self) -> Ordering {
        let rank = |w: &Self| matches!(w.what, Next::Cell(..));
        self.distance.total_cmp(&other.distance).then_with(|| rank(self).cmp(&rank(other)))
    }
}

/// The live points of one kind, each named by a `D` (a city's slot, a
/// pincode's code). Where a point is, is its owner's to say: the methods that
/// answer for a box take `at`, a point's (longitude, latitude).
pub struct Spatial<D> {
    /// The occupied cells of zooms 0 to `LAST_CLUSTER_ZOOM - 1`, by key.
    levels: Vec<HashMap<u64, Cell>>,
    /// The occupied cells of `LAST_CLUSTER_ZOOM`, with their points.
    finest: HashMap<u64, Finest<D>>,
    len: usize,
}

impl<D: PartialEq> Spatial<D> {
    pub fn build(points: impl IntoIterator<Item = (D, f64, f64)>) -> Self {
        let levels = (0..LAST_CLUSTER_ZOOM).map(|_| HashMap::new()).collect();
        let mut spatial = Spatial { levels, finest: HashMap::new(), len: 0 };
        for (id, longitude, latitude) in points {
            spatial.insert(id, longitude, latitude);
        }
        spatial
    }

    pub fn insert(&mut self, id: D, longitude: f64, latitude: f64) {
        let at = mercator(longitude, latitude);
        let finest = self
            .finest
            .entry(key(cell_of(at.0, at.1, LAST_CLUSTER_ZOOM)))
            .or_insert_with(|| Finest { cell: Cell::default(), points: SmallVec::new() });
        finest.cell.count(at, 1.0);
        finest.points.push(id);
        self.count_above(at, 1.0);
        self.len += 1;
    }

    /// Takes out the point `id` at this position, if it is there.
    pub fn remove(&mut self, id: &D, longitude: f64, latitude: f64) {
        let at = mercator(longitude, latitude);
        let cell = key(cell_of(at.0, at.1, LAST_CLUSTER_ZOOM));
        let Some(finest) = self.finest.get_mut(&cell) else { return };
        let Some(i) = finest.points.iter().position(|p| p == id) else { return };
        finest.points.swap_remove(i);
        finest.cell.count(at, -1.0);
        if finest.points.is_empty() {
            self.finest.remove(&cell);
        }
        self.count_above(at, -1.0);
        self.len -= 1;
    }

    /// Counts a point in or out of its cells above the last zoom.
    fn count_above(&mut self, (x, y): (f64, f64), sign: f64) {
        for (zoom, level) in self.levels.iter_mut().enumerate() {
            let at = key(cell_of(x, y, zoom as u8));
            let cell = level.entry(at).or_default();
            cell.count((x, y), sign);
            if cell.count == 0 {
                level.remove(&at);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    fn get(&self, at: (u64, u64), zoom: u8) -> Option<&Cell> {
        match self.levels.get(zoom as usize) {
            Some(level) => level.get(&key(at)),
            None => self.finest.get(&key(at)).map(|f| &f.cell),
        }
    }

    /// The occupied cells of zoom `zoom` that touch `bbox`: ((cx, cy), cell).
    /// Found level by level from the coarsest, through the occupied cells
    /// only: a view at any zoom, or a box at the finest, costs what it holds.
    fn cells_in(&self, bbox: BBox, zoom: u8) -> Vec<((u64, u64), Cell)> {
        let (west, north) = mercator(bbox.west, bbox.north);
        let (east, south) = mercator(bbox.east, bbox.south);
        let side = cells_per_side(0);
        let mut cells: Vec<(u64, u64)> = (0..side).flat_map(|cx| (0..side).map(move |cy| (cx, cy))).collect();
        for z in 0..=zoom {
            if z > 0 {
                cells = cells.iter().flat_map(|&c| children(c)).collect();
            }
            let ((x0, y0), (x1, y1)) = (cell_of(west, north, z), cell_of(east, south, z));
            let touches = |(cx, cy): (u64, u64)| (x0..=x1).contains(&cx) && (y0..=y1).contains(&cy);
            cells.retain(|&c| touches(c) && self.get(c, z).is_some());
        }
        cells.into_iter().filter_map(|c| self.get(c, zoom).map(|cell| (c, *cell))).collect()
    }

    /// Follows cell (cx, cy) of `zoom` down while its points are all in one
    /// sub-cell: the cell and zoom where they part (or the last zoom).
    fn descend(&self, mut at: (u64, u64), zoom: u8) -> ((u64, u64), u8) {
        for next in zoom + 1..=LAST_CLUSTER_ZOOM {
            let occupied: Vec<_> = children(at).into_iter().filter(|&c| self.get(c, next).is_some()).collect();
            match occupied[..] {
                [only] => at = only,
                _ => return (at, next - 1),
            }
        }
        (at, LAST_CLUSTER_ZOOM)
    }

    /// The first zoom at which the points of cell (cx, cy) of `zoom` are in
    /// more than one cell: where a click on its cluster goes.
    fn expansion_zoom(&self, at: (u64, u64), zoom: u8) -> u8 {
        self.descend(at, zoom).1 + 1
    }

    /// The points in `bbox`, `at` saying where each is.
    pub fn ids_in<'a>(&'a self, bbox: BBox, at: impl Fn(&D) -> (f64, f64) + 'a) -> impl Iterator<Item = &'a D> + 'a {
        self.cells_in(bbox, LAST_CLUSTER_ZOOM)
            .into_iter()
            .flat_map(move |(cell, _)| self.finest.get(&key(cell)).into_iter().flat_map(|f| f.points.iter()))
            .filter(move |p| inside(bbox, at(p)))
    }

    /// What the map draws of these points in a view: each point while the view
    /// holds few, clusters when it holds many, and past the last clustered zoom
    /// the `MAX_FEATURES` first by `rank` (smallest first). `point` makes what is drawn.
    pub fn layer<T, K: Ord>(
        &self,
        bbox: BBox,
        zoom: u8,
        at: impl Fn(&D) -> (f64, f64),
        rank: impl Fn(&D) -> K,
        point: impl Fn(&D) -> Option<T>,
    ) -> Layer<T> {
        if zoom <= LAST_CLUSTER_ZOOM {
            let cells = self.cells_in(bbox, zoom);
            let near: u64 = cells.iter().map(|(_, c)| c.count).sum();
            if near as usize > DRAWN_ONE_BY_ONE {
                return self.clusters(cells, zoom, point);
            }
        }
        let mut ids: Vec<&D> = self.ids_in(bbox, at).collect();
        let in_view = ids.len() as u64;
        if ids.len() > MAX_FEATURES {
            ids.select_nth_unstable_by_key(MAX_FEATURES - 1, |id| rank(id));
            ids.truncate(MAX_FEATURES);
        }
        ids.sort_by_key(|id| rank(id));
        Layer { in_view, clusters: Vec::new(), points: ids.into_iter().filter_map(point).collect() }
    }

    /// The `k` points nearest to (latitude, longitude) that `keep` keeps,
    /// nearest first, each with its great-circle distance in kilometres.
    /// A best-first walk down the grid: cells wait in order of how near
    /// their box could hold a point (`BBox::distance_km`, never more than
    /// the truth), points in order of their own distance, so a point comes
    /// out only when nothing waiting can be nearer.
    pub fn nearest(
        &self,
        latitude: f64,
        longitude: f64,
        k: usize,
        at: impl Fn(&D) -> (f64, f64),
        keep: impl Fn(&D) -> bool,
    ) -> Vec<(&D, f64)> {
        self.nearest_within(latitude, longitude, k, f64::INFINITY, at, keep)
    }

    /// `nearest`, of the points at most `max_km` away. A short reach (a few
    /// cells of the last zoom across: the quality rules ask 5 km for every
    /// city) reads those cells and sorts what they hold; a long one walks.
    pub fn nearest_within(
        &self,
        latitude: f64,
        longitude: f64,
        k: usize,
        max_km: f64,
        at: impl Fn(&D) -> (f64, f64),
        keep: impl Fn(&D) -> bool,
    ) -> Vec<(&D, f64)> {
        if k == 0 {
            return Vec::new();
        }
        let ask = Ask { latitude, longitude, k, max_km };
        match self.reach(latitude, longitude, max_km) {
            Some(reach) => self.nearest_in_reach(reach, ask, at, keep),
            None => self.walk(ask, at, keep),
        }
    }

    /// The box and the cells of the last zoom that hold every point at most
    /// `km` from (latitude, longitude); `None` when that is more than
    /// `SHORT_REACH` cells, or reaches a pole.
    fn reach(&self, latitude: f64, longitude: f64, km: f64) -> Option<Reach> {
        let reach = km / EARTH_RADIUS_KM;
        if !(reach.is_finite() && latitude.is_finite() && longitude.is_finite()) {
            return None;
        }
        // The widest a spherical cap is in longitude: asin(sin r / cos φ).
        let across = reach.sin() / latitude.to_radians().cos();
        if across >= 1.0 || latitude.abs() + reach.to_degrees() >= 85.0 {
            return None;
        }
        // A hair wider than exact: a point on the edge of the reach is kept.
        let (d_lat, d_lon) = (reach.to_degrees() * 1.001 + 1e-9, across.asin().to_degrees() * 1.001 + 1e-9);
        let (west, north) = mercator(longitude - d_lon, latitude + d_lat);
        let (east, south) = mercator(longitude + d_lon, latitude - d_lat);
        let (x0, y0) = cell_of(west, north, LAST_CLUSTER_ZOOM);
        let (x1, y1) = cell_of(east, south, LAST_CLUSTER_ZOOM);
        let bbox =
            BBox { west: longitude - d_lon, south: latitude - d_lat, east: longitude + d_lon, north: latitude + d_lat };
        ((x1 - x0 + 1) * (y1 - y0 + 1) <= SHORT_REACH).then_some(Reach { columns: (x0, x1), rows: (y0, y1), bbox })
    }

    fn nearest_in_reach<'a>(
        &'a self,
        reach: Reach,
        Ask { latitude, longitude, k, max_km }: Ask,
        at: impl Fn(&D) -> (f64, f64),
        keep: impl Fn(&D) -> bool,
    ) -> Vec<(&'a D, f64)> {
        let mut found: Vec<(&'a D, f64)> = Vec::new();
        for cx in reach.columns.0..=reach.columns.1 {
            for cy in reach.rows.0..=reach.rows.1 {
                let Some(finest) = self.finest.get(&key((cx, cy))) else { continue };
                for point in finest.points.iter().filter(|p| keep(p)) {
                    let (lon, lat) = at(point);
                    if !inside(reach.bbox, (lon, lat)) {
                        continue;
                    }
                    let distance = distance_km((latitude, longitude), (lat, lon));
                    if distance <= max_km {
                        found.push((point, distance));
                    }
                }
            }
        }
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        found.truncate(k);
        found
    }

    /// The best-first walk of `nearest`: the walk stops at the first thing
    /// waiting farther than `max_km`.
    fn walk<'a>(
        &'a self,
        Ask { latitude, longitude, k, max_km }: Ask,
        at: impl Fn(&D) -> (f64, f64),
        keep: impl Fn(&D) -> bool,
    ) -> Vec<(&'a D, f64)> {
        let mut waiting: BinaryHeap<Reverse<Waiting<'a, D>>> = BinaryHeap::new();
        let side = cells_per_side(0);
        for at in (0..side).flat_map(|cx| (0..side).map(move |cy| (cx, cy))) {
            if self.get(at, 0).is_some() {
                let distance = cell_box(at, 0).distance_km(latitude, longitude);
                waiting.push(Reverse(Waiting { distance, what: Next::Cell(at, 0) }));
            }
        }
        let mut found = Vec::with_capacity(k);
        while found.len() < k {
            let Some(Reverse(Waiting { distance, what })) = waiting.pop() else { break };
            if distance > max_km {
                break;
            }
            match what {
                Next::Point(point) => found.push((point, distance)),
                Next::Cell(cell, zoom) if zoom == LAST_CLUSTER_ZOOM => {
                    let points = self.finest.get(&key(cell)).into_iter().flat_map(|f| f.points.iter());
                    for point in points.filter(|p| keep(p)) {
                        let (lon, lat) = at(point);
                        let distance = distance_km((latitude, longitude), (lat, lon));
                        waiting.push(Reverse(Waiting { distance, what: Next::Point(point) }));
                    }
                }
                Next::Cell(cell, zoom) => {
                    for child in children(cell).into_iter().filter(|&c| self.get(c, zoom + 1).is_some()) {
                        let distance = cell_box(child, zoom + 1).distance_km(latitude, longitude);
                        waiting.push(Reverse(Waiting { distance, what: Next::Cell(child, zoom + 1) }));
                    }
                }
            }
        }
        found
    }

    fn clusters<T>(&self, mut cells: Vec<((u64, u64), Cell)>, zoom: u8, point: impl Fn(&D) -> Option<T>) -> Layer<T> {
        let in_view = cells.iter().map(|(_, c)| c.count).sum();
        if cells.len() > MAX_FEATURES {
            cells.select_nth_unstable_by_key(MAX_FEATURES - 1, |(_, c)| std::cmp::Reverse(c.count));
            cells.truncate(MAX_FEATURES);
        }
        let mut layer = Layer { in_view, ..Layer::default() };
        for (at, cell) in cells {
            if cell.count == 1 {
                // Alone: down to its cell of the last zoom, which lists it.
                let (finest, _) = self.descend(at, zoom);
                let alone = self.finest.get(&key(finest)).and_then(|f| f.points.first());
                layer.points.extend(alone.and_then(&point));
                continue;
            }
            let n = cell.count as f64;
            let (longitude, latitude) = longitude_latitude(cell.sum_x / n, cell.sum_y / n);
            let expansion_zoom = self.expansion_zoom(at, zoom);
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

    /// `n` points on a grid over India, named by their place in the list.
    fn spread(n: usize) -> Vec<(f64, f64)> {
        (0..n).map(|i| (70.0 + (i % 100) as f64 * 0.25, 10.0 + (i / 100) as f64 * 0.2)).collect()
    }

    fn build(points: &[(f64, f64)]) -> Spatial<usize> {
        Spatial::build(points.iter().enumerate().map(|(i, &(lon, lat))| (i, lon, lat)))
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
        let points = spread(30);
        let layer = build(&points).layer(india(), 4, |&i| points[i], |&i| i, |&i| Some(i));
        assert_eq!((layer.in_view, layer.points.len(), layer.clusters.len()), (30, 30, 0));
        assert_eq!(layer.points[0], 0);
    }

    #[test]
    fn a_box_holds_exactly_the_points_inside_it_edges_included() {
        let points = spread(5000);
        let s = build(&points);
        for bbox in [india(), BBox::new(72.0, 12.0, 74.0, 13.0).unwrap(), BBox::new(70.1, 10.1, 70.2, 10.15).unwrap()] {
            let mut found: Vec<usize> = s.ids_in(bbox, |&i| points[i]).copied().collect();
            found.sort_unstable();
            let expected: Vec<usize> = (0..points.len()).filter(|&i| inside(bbox, points[i])).collect();
            assert_eq!(found, expected, "{bbox:?}");
        }
    }

    #[test]
    fn many_points_cluster_and_the_counts_add_up_as_points_come_and_go() {
        let mut points = spread(5000);
        let mut s = build(&points);
        let total = |s: &Spatial<usize>, points: &[(f64, f64)]| {
            let layer = s.layer(india(), 5, |&i| points[i], |&i| i, |&i| Some(i));
            assert!(!layer.clusters.is_empty() && layer.clusters.len() + layer.points.len() <= MAX_FEATURES);
            assert!(layer.clusters.iter().all(|c| c.expansion_zoom > 5 && c.count > 1));
            layer.clusters.iter().map(|c| c.count).sum::<u64>() + layer.points.len() as u64
        };
        assert_eq!(total(&s, &points), 5000);
        s.remove(&42, 70.0 + 42.0 * 0.25, 10.0);
        assert_eq!(total(&s, &points), 4999);
        points[42] = (90.0, 30.0);
        s.insert(42, 90.0, 30.0);
        assert_eq!(total(&s, &points), 5000);
        assert_eq!(s.ids_in(BBox::new(89.9, 29.9, 90.1, 30.1).unwrap(), |&i| points[i]).collect::<Vec<_>>(), [&42]);
        // Removing what is not there changes nothing.
        s.remove(&7, 80.0, 20.0);
        s.remove(&123_456, 70.0, 10.0);
        assert_eq!((total(&s, &points), s.len()), (5000, 5000));
    }

    #[test]
    fn a_lone_point_in_a_crowded_view_is_drawn_as_itself() {
        let mut points = spread(1000);
        points.push((96.5, 35.5));
        let layer = build(&points).layer(india(), 6, |&i| points[i], |&i| i, |&i| Some(i));
        assert!(layer.points.contains(&1000), "{:?}", layer.points);
    }

    #[test]
    fn a_cluster_opens_at_the_zoom_where_its_points_part() {
        // Two points 0.05° apart share a cell until about zoom 8 (cells of 0.088° at zoom 10).
        let s = build(&[(77.0, 28.0), (77.05, 28.0)]);
        let (x, y) = mercator(77.0, 28.0);
        let zoom = 3;
        let expansion = s.expansion_zoom(cell_of(x, y, zoom), zoom);
        let apart = |z: u8| cell_of(x, y, z) != cell_of(mercator(77.05, 28.0).0, mercator(77.05, 28.0).1, z);
        assert!(apart(expansion) && !apart(expansion - 1), "splits at {expansion}");
    }

    proptest::proptest! {
        /// The nearest points are those brute force finds, in its order, from
        /// any place in and around India (the sea and the box's edges too).
        #[test]
        fn the_nearest_are_those_brute_force_finds(
            points in proptest::collection::vec((68.0..97.5f64, 6.0..37.6f64), 1..300),
            lat in 0.0..45.0f64, lon in 60.0..105.0f64, k in 1usize..12,
            crowd in proptest::bool::ANY,
        ) {
            let mut points = points;
            if crowd {
                // Many at one place and near it: cells with several points, ties.
                let (x, y) = points[0];
                points.extend((0..20).map(|i| (x + (i % 3) as f64 * 1e-4, y)));
            }
            let s = build(&points);
            let found: Vec<(usize, f64)> =
                s.nearest(lat, lon, k, |&i| points[i], |_| true).into_iter().map(|(i, d)| (*i, d)).collect();
            let mut all: Vec<(usize, f64)> =
                points.iter().enumerate().map(|(i, &(x, y))| (i, distance_km((lat, lon), (y, x)))).collect();
            all.sort_by(|a, b| a.1.total_cmp(&b.1));
            proptest::prop_assert_eq!(found.len(), k.min(points.len()));
            for (got, want) in found.iter().zip(&all) {
                proptest::prop_assert!((got.1 - want.1).abs() < 1e-9, "{:?} vs {:?}", found, &all[..k.min(all.len())]);
            }
        }
    }

    proptest::proptest! {
        /// Within a short reach (read cell by cell), the nearest are those
        /// brute force finds within it, at any latitude India has and beyond.
        #[test]
        fn the_nearest_within_a_reach_are_those_brute_force_finds(
            offsets in proptest::collection::vec((-0.2..0.2f64, -0.2..0.2f64), 1..300),
            lat in -60.0..60.0f64, lon in -179.0..179.0f64, k in 1usize..40, km in 0.1..25.0f64,
        ) {
            let points: Vec<(f64, f64)> = offsets.iter().map(|(dx, dy)| (lon + dx, lat + dy)).collect();
            let s = build(&points);
            let found: Vec<f64> =
                s.nearest_within(lat, lon, k, km, |&i| points[i], |_| true).into_iter().map(|(_, d)| d).collect();
            let mut all: Vec<f64> = points.iter().map(|&(x, y)| distance_km((lat, lon), (y, x))).collect();
            all.retain(|d| *d <= km);
            all.sort_by(f64::total_cmp);
            all.truncate(k);
            proptest::prop_assert_eq!(found, all);
        }
    }

    #[test]
    fn the_nearest_leave_out_what_keep_refuses() {
        let points = spread(500);
        let s = build(&points);
        let (lat, lon) = (points[7].1, points[7].0);
        let nearest = s.nearest(lat, lon, 1, |&i| points[i], |_| true);
        assert_eq!((*nearest[0].0, nearest[0].1), (7, 0.0));
        let other = s.nearest(lat, lon, 1, |&i| points[i], |&i| i != 7);
        assert!(other[0].1 > 20.0 && other[0].1 < 30.0, "the next point of the grid: {other:?}");
        assert!(build(&[]).nearest(lat, lon, 3, |&i: &usize| points[i], |_| true).is_empty());
        // Within 20 km of point 7 there is only itself; within 30 km, its neighbour too.
        assert_eq!(s.nearest_within(lat, lon, 5, 20.0, |&i| points[i], |_| true).len(), 1);
        assert!(s.nearest_within(lat, lon, 5, 30.0, |&i| points[i], |_| true).len() > 1);
    }

    #[test]
    fn past_the_last_clustered_zoom_the_first_by_rank_are_drawn() {
        let points = spread(MAX_FEATURES + 10);
        let s = build(&points);
        let layer = s.layer(india(), LAST_CLUSTER_ZOOM + 1, |&i| points[i], |&i| std::cmp::Reverse(i), |&i| Some(i));
        assert_eq!(layer.in_view, (MAX_FEATURES + 10) as u64);
        assert_eq!(layer.points.len(), MAX_FEATURES);
        assert_eq!(layer.points[0], MAX_FEATURES + 9);
        assert_eq!(layer.not_drawn(), 10);
    }
}
