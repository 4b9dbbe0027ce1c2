//! Cities and pincodes for the index's unit tests: made as the store would
//! hold them, with the fields a test does not name left empty.

use app::domain::city::{City, CityFields};
use app::domain::pincode::{Pincode, PincodeFields};

/// A live city at a point, its id made from its name (a test may set another).
pub fn city(name: &str, state: &str, latitude: f64, longitude: f64) -> City {
    let fields = CityFields { name: name.into(), state: state.into(), latitude, longitude, ..CityFields::default() };
    City {
        id: fields.new_id(),
        fields,
        pincodes: vec![],
        created_at: String::new(),
        updated_at: String::new(),
        deleted_at: None,
        matched_name: None,
    }
}

/// A live pincode of a city (by id), at a point.
pub fn pincode(code: &str, city_id: &str, state: &str, latitude: f64, longitude: f64) -> Pincode {
    Pincode {
        fields: PincodeFields {
            pincode: code.into(),
            city_id: city_id.into(),
            city_name: String::new(),
            state: state.into(),
            area_name: None,
            latitude,
            longitude,
            offices: vec![],
        },
        created_at: String::new(),
        updated_at: String::new(),
        deleted_at: None,
    }
}
