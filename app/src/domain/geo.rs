//! Where on the map: a box of longitudes and latitudes.

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

#[cfg(test)]
mod tests {
    use super::*;

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
