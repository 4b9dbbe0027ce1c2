//! India Post's "All India Pincode Directory", as data.gov.in publishes it: one
//! row a post office, `NA` where an office has no coordinates, states and
//! districts in capitals.
//!
//! The offices of one pincode make one pincode: its area is its head office (or
//! else its sub office, or else its first branch office), its coordinates the
//! mean of its offices' coordinates, and every office is kept on it. A
//! pincode's city is its area office's district, in that office's state; a
//! district that is no city yet becomes one, at the mean of its pincodes.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

use crate::domain::city::{city_id, validate_new_city, CityFields};
use crate::domain::pincode::{check_pincode, validate_pincode, Office, OfficeKind, PincodeFields};
use crate::domain::state::{normalize, State};
use crate::domain::validation::{Reader, ValidationErrors, LATITUDE_RANGE, LONGITUDE_RANGE};

/// The directory's columns, in its order.
pub const COLUMNS: &[&str] = &[
    "circlename",
    "regionname",
    "divisionname",
    "officename",
    "pincode",
    "officetype",
    "delivery",
    "district",
    "statename",
    "latitude",
    "longitude",
];

/// The directory's columns GeoLedger reads.
pub mod column {
    pub const OFFICE: &str = "officename";
    pub const PINCODE: &str = "pincode";
    pub const KIND: &str = "officetype";
    pub const DELIVERY: &str = "delivery";
    pub const DISTRICT: &str = "district";
    pub const STATE: &str = "statename";
    pub const LATITUDE: &str = "latitude";
    pub const LONGITUDE: &str = "longitude";
}

/// One post office of the directory, read.
#[derive(Clone, Debug, PartialEq)]
pub struct OfficeRow {
    pub pincode: String,
    pub office: Office,
    /// The district, as a city's name ("24 Paraganas North").
    pub district: String,
    /// The official name of the state.
    pub state: String,
    /// (latitude, longitude), when the directory has them.
    pub location: Option<(f64, f64)>,
}

impl OfficeRow {
    /// An office is known by its pincode and its name.
    pub fn key(&self) -> String {
        format!("{}/{}", self.pincode, normalize(&self.office.name))
    }
}

/// "EAST GODAVARI" as "East Godavari", "Y.S.R. KADAPA" as "Y.S.R. Kadapa".
pub fn title_case(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut word_start = true;
    for c in raw.trim().chars() {
        if c.is_alphanumeric() {
            if word_start {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            word_start = false;
        } else {
            out.push(c);
            word_start = true;
        }
    }
    out
}

fn text<'a>(record: &'a Map<String, Value>, field: &str) -> &'a str {
    record.get(field).and_then(Value::as_str).map(str::trim).unwrap_or_default()
}

/// "NA", "N/A" or nothing: the directory has no coordinates for the office.
fn no_coordinate(raw: &str) -> bool {
    let letters: String = raw.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    letters.is_empty() || letters.eq_ignore_ascii_case("na")
}

/// Reads one office row, or says what is wrong with each of its cells.
pub fn read_office(record: &Map<String, Value>) -> Result<OfficeRow, ValidationErrors> {
    let mut r = Reader::new(record);
    let name = r.name(column::OFFICE, true);
    let pincode = check_pincode(text(record, column::PINCODE)).map_err(|m| r.errors.add(column::PINCODE, m)).ok();
    let kind = match text(record, column::KIND) {
        "" => Some(OfficeKind::Branch),
        raw => OfficeKind::parse(raw).or_else(|| {
            r.errors.add(column::KIND, format!("must be HO, SO, PO or BO, not '{raw}'"));
            None
        }),
    };
    let delivery = match normalize(text(record, column::DELIVERY)).as_str() {
        "delivery" | "" => Some(true),
        "nondelivery" => Some(false),
        _ => {
            let raw = text(record, column::DELIVERY);
            r.errors.add(column::DELIVERY, format!("must be Delivery or Non Delivery, not '{raw}'"));
            None
        }
    };
    let district = r.name(column::DISTRICT, true).map(|d| title_case(&d));
    let state =
        r.name(column::STATE, true).and_then(|s| State::parse(&s).map_err(|m| r.errors.add(column::STATE, m)).ok());
    let (lat, lon) = (text(record, column::LATITUDE), text(record, column::LONGITUDE));
    let location = if no_coordinate(lat) || no_coordinate(lon) {
        None
    } else {
        let latitude = r.number_in(column::LATITUDE, true, LATITUDE_RANGE);
        let longitude = r.number_in(column::LONGITUDE, true, LONGITUDE_RANGE);
        latitude.zip(longitude)
    };
    r.finish(|| OfficeRow {
        pincode: pincode.unwrap(),
        office: Office { name: name.unwrap(), kind: kind.unwrap(), delivery: delivery.unwrap() },
        district: district.unwrap(),
        state: state.unwrap().name.to_string(),
        location,
    })
}

/// A pincode made from its offices, with the lines they were read from.
#[derive(Clone, Debug, PartialEq)]
pub struct OfficesPincode {
    pub fields: PincodeFields,
    pub lines: Vec<u64>,
}

/// A district as a city, should it not be one yet; `line` is its first office's.
#[derive(Clone, Debug, PartialEq)]
pub struct DistrictCity {
    pub fields: CityFields,
    pub line: u64,
}

/// Something the offices could not make, at the first line it concerns.
#[derive(Clone, Debug, PartialEq)]
pub struct NotMade {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

/// What the directory makes: cities (of the districts) and pincodes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Made {
    pub cities: Vec<DistrictCity>,
    pub pincodes: Vec<OfficesPincode>,
    pub not_made: Vec<NotMade>,
}

/// A district its pincodes name: the city it is, or will be.
struct District {
    name: String,
    state: String,
    /// Its first office's line.
    line: u64,
    /// Its pincodes' coordinates.
    points: Vec<(f64, f64)>,
}

/// The offices of a directory file, gathered; a later row for the same office
/// replaces the earlier one.
#[derive(Debug, Default)]
pub struct Directory {
    offices: Vec<(u64, OfficeRow)>,
    by_key: HashMap<String, usize>,
}

/// Coordinates rounded to 5 decimals (about a metre): the same offices always
/// make the same pincode.
fn mean(points: impl Iterator<Item = (f64, f64)>) -> Option<(f64, f64)> {
    let (mut lat, mut lon, mut n) = (0.0, 0.0, 0.0);
    for (a, b) in points {
        lat += a;
        lon += b;
        n += 1.0;
    }
    let round = |x: f64| (x / n * 1e5).round() / 1e5;
    (n > 0.0).then(|| (round(lat), round(lon)))
}

fn lines_text(lines: &[u64]) -> String {
    let shown: Vec<String> = lines.iter().take(10).map(u64::to_string).collect();
    let more = if lines.len() > 10 { format!(" and {} more", lines.len() - 10) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

impl Directory {
    /// Adds the office read at `line`. When the file had it already, returns
    /// the earlier line and row, which this one replaces.
    pub fn add(&mut self, line: u64, row: OfficeRow) -> Option<(u64, OfficeRow)> {
        match self.by_key.entry(row.key()) {
            Entry::Occupied(at) => Some(std::mem::replace(&mut self.offices[*at.get()], (line, row))),
            Entry::Vacant(at) => {
                at.insert(self.offices.len());
                self.offices.push((line, row));
                None
            }
        }
    }

    pub fn offices(&self) -> usize {
        self.offices.len()
    }

    /// The pincodes the offices make, and the cities of their districts.
    pub fn make(self) -> Made {
        let mut by_pincode: BTreeMap<String, Vec<(u64, OfficeRow)>> = BTreeMap::new();
        for (line, row) in self.offices {
            by_pincode.entry(row.pincode.clone()).or_default().push((line, row));
        }
        let mut made = Made::default();
        let mut districts: BTreeMap<String, District> = BTreeMap::new();
        for (code, offices) in by_pincode {
            let lines: Vec<u64> = offices.iter().map(|(l, _)| *l).collect();
            let area = [OfficeKind::Head, OfficeKind::Sub, OfficeKind::Branch]
                .iter()
                .find_map(|k| offices.iter().find(|(_, o)| o.office.kind == *k))
                .map(|(_, o)| o)
                .expect("a pincode has an office");
            let Some((latitude, longitude)) = mean(offices.iter().filter_map(|(_, o)| o.location)) else {
                made.not_made.push(NotMade {
                    line: lines[0],
                    column: Some(column::LATITUDE.into()),
                    message: format!(
                        "pincode {code} has no coordinates: none of its offices (lines {}) has any",
                        lines_text(&lines)
                    ),
                });
                continue;
            };
            let record = json!({
                "pincode": code, "city_name": area.district, "state": area.state,
                "area_name": area.office.name, "latitude": latitude, "longitude": longitude,
            });
            match validate_pincode(record.as_object().expect("an object")) {
                Ok(mut fields) => {
                    fields.offices = offices.iter().map(|(_, o)| o.office.clone()).collect();
                    let district = districts.entry(city_id(&area.state, &area.district)).or_insert_with(|| District {
                        name: area.district.clone(),
                        state: area.state.clone(),
                        line: lines[0],
                        points: Vec::new(),
                    });
                    district.points.push((latitude, longitude));
                    made.pincodes.push(OfficesPincode { fields, lines });
                }
                Err(errors) => made.not_made.extend(errors.errors.into_iter().map(|e| NotMade {
                    line: lines[0],
                    column: Some(e.field),
                    message: format!("pincode {code}: {}", e.message),
                })),
            }
        }
        for District { name, state, line, points } in districts.into_values() {
            let (latitude, longitude) = mean(points.into_iter()).expect("a district has a pincode");
            let record = json!({
                "city_name": name, "state": state, "district": name, "latitude": latitude, "longitude": longitude,
            });
            match validate_new_city(record.as_object().expect("an object")) {
                Ok(fields) => made.cities.push(DistrictCity { fields, line }),
                Err(errors) => made.not_made.push(NotMade {
                    line,
                    column: Some(column::DISTRICT.into()),
                    message: format!("district {name} cannot be a city: {errors}"),
                }),
            }
        }
        made
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office(cells: [&str; 11]) -> Result<OfficeRow, ValidationErrors> {
        let record: Map<String, Value> =
            COLUMNS.iter().zip(cells).map(|(c, v)| (c.to_string(), Value::String(v.into()))).collect();
        read_office(&record)
    }

    fn row(name: &str, code: &str, kind: &str, district: &str, lat: &str, lon: &str) -> OfficeRow {
        office(["Delhi", "Delhi", "New Delhi", name, code, kind, "Delivery", district, "DELHI", lat, lon]).unwrap()
    }

    #[test]
    fn an_office_row_is_read_as_the_directory_writes_it() {
        let o = office([
            "Andhra Pradesh",
            "Kurnool",
            "Kurnool",
            "Banaganapalle S.O",
            "518124",
            "S.O",
            "Non-Delivery",
            "KURNOOL",
            "ANDHRA PRADESH",
            "15.3166",
            "78.2279",
        ])
        .unwrap();
        assert_eq!(o.office, Office { name: "Banaganapalle S.O".into(), kind: OfficeKind::Sub, delivery: false });
        assert_eq!((o.district.as_str(), o.state.as_str()), ("Kurnool", "Andhra Pradesh"));
        assert_eq!(o.location, Some((15.3166, 78.2279)));
        let na = office(["", "", "", "Aamdih BO", "494001", "BO", "Delivery", "BASTAR", "CHHATTISGARH", "NA", "NA"]);
        assert_eq!(na.unwrap().location, None);
    }

    #[test]
    fn a_bad_office_row_names_its_columns() {
        let e = office(["", "", "", "", "12345", "XO", "Maybe", "", "NARNIA", "99", "77"]).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["officename", "pincode", "officetype", "delivery", "district", "statename", "latitude"]);
    }

    #[test]
    fn the_offices_of_a_pincode_make_one_pincode_and_its_district_a_city() {
        let mut d = Directory::default();
        assert_eq!(d.add(2, row("Lodi Road BO", "110003", "BO", "SOUTH DELHI", "28.58", "77.22")).map(|r| r.0), None);
        d.add(3, row("Lodi Road HO", "110003", "HO", "SOUTH DELHI", "28.60", "77.24"));
        d.add(4, row("Pragati Vihar SO", "110003", "SO", "SOUTH DELHI", "NA", "NA"));
        d.add(5, row("Nowhere BO", "110099", "BO", "SOUTH DELHI", "NA", "NA"));
        // The same office again: the later row wins, and the earlier line is named.
        assert_eq!(
            d.add(6, row("LODI ROAD BO", "110003", "BO", "SOUTH DELHI", "28.59", "77.23")).map(|r| r.0),
            Some(2)
        );
        let made = d.make();
        assert_eq!(made.pincodes.len(), 1);
        let p = &made.pincodes[0];
        assert_eq!(p.fields.area_name.as_deref(), Some("Lodi Road HO"), "the head office names the area");
        assert_eq!((p.fields.latitude, p.fields.longitude), (28.595, 77.235), "the mean of the offices that have any");
        assert_eq!(p.fields.city_id, "delhi/south-delhi");
        assert_eq!(p.fields.offices.len(), 3);
        assert_eq!(p.lines, [6, 3, 4]);
        assert_eq!(made.cities.len(), 1);
        let c = &made.cities[0].fields;
        assert_eq!((c.name.as_str(), c.district.as_deref(), c.latitude), ("South Delhi", Some("South Delhi"), 28.595));
        assert_eq!(made.not_made.len(), 1);
        assert!(made.not_made[0].message.contains("pincode 110099 has no coordinates"), "{:?}", made.not_made);
        assert_eq!(made.not_made[0].line, 5);
    }

    #[test]
    fn districts_read_as_names() {
        assert_eq!(title_case("24 PARAGANAS NORTH"), "24 Paraganas North");
        assert_eq!(title_case("Y.S.R. KADAPA"), "Y.S.R. Kadapa");
        assert_eq!(title_case(" east godavari "), "East Godavari");
    }
}
