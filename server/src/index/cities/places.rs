//! What the quality rules ask of the cities: each live one with its names,
//! state and point; those near a point; those at exactly one point.

use std::sync::Arc;

use app::domain::geo::BBox;

use super::{CityIndex, Slot};

/// A live city, as the quality rules see it.
pub struct Place<'a> {
    pub id: &'a Arc<str>,
    pub name: &'a str,
    pub alternates: &'a [Box<str>],
    /// Its place in `STATES`.
    pub state: u8,
    pub latitude: f64,
    pub longitude: f64,
}

impl Place<'_> {
    pub fn is_located(&self) -> bool {
        self.latitude.is_finite() && self.longitude.is_finite()
    }
}

impl CityIndex {
    fn place_of(&self, slot: Slot) -> Option<Place<'_>> {
        let e = self.entries.get(slot)?;
        (!e.deleted).then(|| Place {
            id: &e.id,
            name: &e.name,
            alternates: self.alternates.get(&slot).map_or(&[][..], |a| &a[..]),
            state: e.state,
            latitude: e.latitude,
            longitude: e.longitude,
        })
    }

    /// Every live city, by id.
    pub fn places(&self) -> impl Iterator<Item = Place<'_>> {
        self.by_id.values().filter_map(|slot| self.place_of(*slot))
    }

    /// The city `id`, if it is live.
    pub fn live_place(&self, id: &str) -> Option<Place<'_>> {
        self.place_of(*self.by_id.get(id)?)
    }

    /// At most `k` live cities at most `km` from a point, nearest first, with their distances.
    pub fn places_near(&self, latitude: f64, longitude: f64, km: f64, k: usize) -> Vec<(Place<'_>, f64)> {
        let located = |slot: &Slot| self.at(*slot).latitude.is_finite();
        self.live
            .nearest_within(latitude, longitude, k, km, |slot| self.at(*slot).position(), located)
            .into_iter()
            .filter_map(|(slot, d)| Some((self.place_of(*slot)?, d)))
            .collect()
    }

    /// The live cities at exactly this point, by id.
    pub fn places_at(&self, latitude: f64, longitude: f64) -> Vec<Place<'_>> {
        const HAIR: f64 = 1e-9;
        let Ok(hair) = BBox::new(longitude - HAIR, latitude - HAIR, longitude + HAIR, latitude + HAIR) else {
            return Vec::new();
        };
        let mut at: Vec<Place<'_>> = self
            .live
            .ids_in(hair, |slot| self.at(*slot).position())
            .filter_map(|slot| self.place_of(*slot))
            .filter(|p| p.latitude == latitude && p.longitude == longitude)
            .collect();
        at.sort_by(|a, b| a.id.cmp(b.id));
        at
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{city, index};

    #[test]
    fn places_near_and_at_a_point_are_live_ones() {
        let mut index = index();
        let near: Vec<&str> = index.places_near(18.52, 73.85, 5.0, 10).iter().map(|(p, _)| p.name).collect();
        assert_eq!(near, ["Pune", "पुणे"]);
        for name in ["Aundh", "Baner", "Wakad"] {
            index.upsert(&city(name, "Maharashtra", 18.55, 73.80, 1));
        }
        let at: Vec<&str> = index.places_at(18.55, 73.80).iter().map(|p| p.name).collect();
        assert_eq!(at, ["Aundh", "Baner", "Wakad"]);
        let mut wakad = city("Wakad", "Maharashtra", 18.55, 73.80, 1);
        wakad.deleted_at = Some("2026-12-04T00:00:00Z".into());
        index.upsert(&wakad);
        assert_eq!(index.places_at(18.55, 73.80).len(), 2);
        assert!(index.live_place("maharashtra/wakad").is_none(), "deleted");
        assert_eq!(index.places().count(), index.live());
    }
}
