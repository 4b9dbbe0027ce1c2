//! Where on the map: a box of longitudes and latitudes, and how far apart
//! two places are on the globe (great-circle distance, in kilometres).

use serde::{Deserialize, Serialize};

/// A box on the map, in degrees: what a map view shows, or what a listing is
/// narrowed to.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl BBox {
    /// A box whose sides are in order and on the globe.
    pub fn new(west: f64, south: f64, east: f64, north: f64) -> Result<BBox, String> {
        let longitude = -180.0..=180.0;
        let latitude = -90.0..=90.0;
        let on_globe = longitude.contains(&west)
            && longitude.contains(&east)
            && latitude.contains(&south)
            && latitude.contains(&north);
        if !(west < east && south < north && on_globe) {
            return Err(format!(
                "{west},{south},{east},{north} is not a box: west < east and south < north, in degrees"
            ));
        }
        Ok(BBox { west, south, east, north })
    }

    /// Reads `west,south,east,north` (the REST API's `bbox=`).
    pub fn parse(raw: &str) -> Result<BBox, String> {
        let numbers: Vec<f64> = raw
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("'{raw}' is not west,south,east,north in degrees"))?;
        let [west, south, east, north]: [f64; 4] =
            numbers.try_into().map_err(|_| format!("'{raw}' needs 4 numbers: west,south,east,north"))?;
        BBox::new(west, south, east, north)
            .map_err(|_| format!("'{raw}' is not a box: west < east and south < north, in degrees"))
    }

    /// What a map shows, cut to the globe (a map zoomed far out reaches past it).
    pub fn clamped(west: f64, south: f64, east: f64, north: f64) -> BBox {
        BBox { west: west.max(-180.0), south: south.max(-90.0), east: east.min(180.0), north: north.min(90.0) }
    }
}

/// The Earth's mean radius (IUGG), in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// The great-circle distance between two places, in kilometres (haversine).
pub fn distance_km((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

impl BBox {
    /// True when (`latitude`, `longitude`) is inside the box, or on its sides.
    pub fn contains(&self, latitude: f64, longitude: f64) -> bool {
        (self.west..=self.east).contains(&longitude) && (self.south..=self.north).contains(&latitude)
    }

    /// How far the place (`latitude`, `longitude`) is from the nearest point
    /// of the box, in kilometres (0 inside it): never more than the distance
    /// to any point in it, so a search for the nearest can skip a box that is
    /// farther than what it has found. Boxes narrower than half the globe.
    pub fn distance_km(&self, latitude: f64, longitude: f64) -> f64 {
        if (self.west..=self.east).contains(&longitude) {
            // Straight along the meridian to the nearer side (or inside).
            let lat = latitude.clamp(self.south, self.north);
            return (latitude - lat).abs().to_radians() * EARTH_RADIUS_KM;
        }
        // Outside its longitudes, the nearest point is on the nearer meridian side.
        let side = if (longitude - self.west).abs() < (longitude - self.east).abs() { self.west } else { self.east };
        distance_to_meridian_km(latitude, longitude, side, self.south, self.north)
    }
}

/// How far (latitude, longitude) is from the meridian `meridian` between
/// latitudes `south` and `north`, in kilometres.
fn distance_to_meridian_km(latitude: f64, longitude: f64, meridian: f64, south: f64, north: f64) -> f64 {
    let (phi, dl) = (latitude.to_radians(), (longitude - meridian).to_radians());
    // The point of the meridian's great circle nearest to ours, when it is on
    // the meridian's own half and within the side.
    let foot = (phi.tan() / dl.cos()).atan().to_degrees();
    if dl.cos() > 0.0 && (south..=north).contains(&foot) {
        return (phi.cos() * dl.sin().abs()).min(1.0).asin() * EARTH_RADIUS_KM;
    }
    let to = |lat: f64| distance_km((latitude, longitude), (lat, meridian));
    to(south).min(to(north))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_between_known_places() {
        let (delhi, mumbai) = ((28.6139, 77.2090), (19.0760, 72.8777));
        let d = distance_km(delhi, mumbai);
        assert!((d - 1153.0).abs() < 5.0, "Delhi–Mumbai {d} km");
        assert_eq!(distance_km(delhi, delhi), 0.0);
        // A degree of latitude is about 111.2 km.
        assert!((distance_km((20.0, 77.0), (21.0, 77.0)) - 111.2).abs() < 0.1);
    }

    #[test]
    fn a_box_is_no_distance_from_a_place_inside_it() {
        let b = BBox::new(72.0, 18.0, 73.0, 19.0).unwrap();
        assert_eq!(b.distance_km(18.5, 72.5), 0.0);
        assert!((b.distance_km(20.0, 72.5) - 111.2).abs() < 0.2, "one degree north");
        assert!(b.distance_km(18.5, 74.0) > 100.0 && b.distance_km(18.5, 74.0) < 106.0, "a degree east at 18.5°");
    }

    proptest::proptest! {
        /// A box is never farther than any point in it (what a nearest search
        /// relies on), and as near as its nearest corner or side point.
        #[test]
        fn a_box_is_never_farther_than_a_point_in_it(
            lat in 0.0..45.0f64, lon in 60.0..105.0f64,
            south in 5.0..38.0f64, west in 67.0..98.0f64, height in 0.0..3.0f64, width in 0.0..3.0f64,
            u in 0.0..=1.0f64, v in 0.0..=1.0f64,
        ) {
            let b = BBox { west, south, east: west + width, north: south + height };
            let inside = (south + u * height, west + v * width);
            let bound = b.distance_km(lat, lon);
            proptest::prop_assert!(bound <= distance_km((lat, lon), inside) + 1e-6, "{bound} {b:?} {inside:?}");
            // And it is attained: a point of the boundary is that near (sampled).
            let nearest = (0..=200)
                .flat_map(|i| {
                    let t = i as f64 / 200.0;
                    [(south, west + t * width), (south + height, west + t * width),
                     (south + t * height, west), (south + t * height, west + width)]
                })
                .map(|p| distance_km((lat, lon), p))
                .fold(f64::INFINITY, f64::min);
            let inside_box = (south..=south + height).contains(&lat) && (west..=west + width).contains(&lon);
            if !inside_box {
                proptest::prop_assert!(nearest - bound < 0.05 * nearest.max(1.0) + 1.0, "{nearest} vs {bound}");
            }
        }
    }

    #[test]
    fn a_box_is_read_from_its_four_sides() {
        let b = BBox::parse(" 77.0, 28.4,77.5 ,28.8").unwrap();
        assert_eq!(b, BBox { west: 77.0, south: 28.4, east: 77.5, north: 28.8 });
    }

    #[test]
    fn a_broken_box_says_what_is_wrong() {
        assert!(BBox::parse("77,28,78").unwrap_err().contains("needs 4 numbers"));
        assert!(BBox::parse("77,28,east,29").unwrap_err().contains("is not west,south,east,north"));
        assert!(BBox::parse("78,28,77,29").unwrap_err().contains("west < east"));
        assert!(BBox::parse("77,28,78,95").unwrap_err().contains("is not a box"));
    }

    #[test]
    fn a_view_past_the_globe_is_cut_to_it() {
        let b = BBox::clamped(-200.0, -95.0, 190.0, 91.0);
        assert_eq!(b, BBox { west: -180.0, south: -90.0, east: 180.0, north: 90.0 });
    }
}
