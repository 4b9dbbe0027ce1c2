//! An export's bytes, batch by batch: the head (with the offsets), the rows,
//! the tail. Pure: the exporter reads, this writes.
//!
//! CSV is the import format's columns (so a file exported and imported back
//! changes nothing), then `id` (a pincode's `city_id`), `deleted_at` and
//! `position`, which an import ignores. The JSON formats carry each entity
//! as the API answers it, with its `position`.

use app::domain::city::{field as city_field, City};
use app::domain::export::{position_text, ExportFormat};
use app::domain::history::EventAt;
use app::domain::import::format::Format;
use app::domain::pincode::{field as pincode_field, Pincode};
use serde::Serialize;
use serde_json::{json, Value};

/// What an export writes of an entity.
pub trait ExportRow: Serialize {
    /// The columns after the import format's.
    const EXTRA_COLUMNS: &'static [&'static str];
    /// The import format whose columns come first.
    const FORMAT: Format;
    /// Its id, the GeoJSON feature's.
    fn id(&self) -> &str;
    /// (latitude, longitude).
    fn point(&self) -> (f64, f64);
    /// One cell for each of the import format's columns, then the extra ones but the position.
    fn cells(&self) -> Vec<String>;
}

fn number(n: Option<impl ToString>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

impl ExportRow for City {
    const EXTRA_COLUMNS: &'static [&'static str] = &["id", "deleted_at", "position"];
    const FORMAT: Format = Format::Cities;

    fn id(&self) -> &str {
        &self.id
    }

    fn point(&self) -> (f64, f64) {
        (self.fields.latitude, self.fields.longitude)
    }

    fn cells(&self) -> Vec<String> {
        let f = &self.fields;
        let cells = Format::Cities.columns().iter().map(|column| match *column {
            city_field::NAME => f.name.clone(),
            city_field::STATE => f.state.clone(),
            city_field::DISTRICT => f.district.clone().unwrap_or_default(),
            city_field::LATITUDE => f.latitude.to_string(),
            city_field::LONGITUDE => f.longitude.to_string(),
            city_field::IS_METRO => f.is_metro.to_string(),
            city_field::IS_CAPITAL => f.is_capital.to_string(),
            city_field::POPULATION => number(f.population),
            city_field::AREA => number(f.area_sq_km),
            city_field::ALTERNATE_NAMES => f.alternate_names.join("|"),
            city_field::METADATA if f.metadata.is_empty() => String::new(),
            city_field::METADATA => Value::Object(f.metadata.clone()).to_string(),
            other => unreachable!("a city column without a cell: {other}"),
        });
        cells.chain([self.id.clone(), self.deleted_at.clone().unwrap_or_default()]).collect()
    }
}

impl ExportRow for Pincode {
    const EXTRA_COLUMNS: &'static [&'static str] = &["city_id", "deleted_at", "position"];
    const FORMAT: Format = Format::Pincodes;

    fn id(&self) -> &str {
        &self.fields.pincode
    }

    fn point(&self) -> (f64, f64) {
        (self.fields.latitude, self.fields.longitude)
    }

    fn cells(&self) -> Vec<String> {
        let f = &self.fields;
        let cells = Format::Pincodes.columns().iter().map(|column| match *column {
            pincode_field::PINCODE => f.pincode.clone(),
            pincode_field::CITY_NAME => f.city_name.clone(),
            pincode_field::STATE => f.state.clone(),
            pincode_field::AREA_NAME => f.area_name.clone().unwrap_or_default(),
            pincode_field::LATITUDE => f.latitude.to_string(),
            pincode_field::LONGITUDE => f.longitude.to_string(),
            other => unreachable!("a pincode column without a cell: {other}"),
        });
        cells.chain([f.city_id.clone(), self.deleted_at.clone().unwrap_or_default()]).collect()
    }
}

/// Writes one export: `head`, then `rows` for each batch, then `tail`.
pub struct Encoder {
    format: ExportFormat,
    /// Rows written so far.
    pub written: u64,
}

impl Encoder {
    pub fn new(format: ExportFormat) -> Self {
        Encoder { format, written: 0 }
    }

    /// What comes before the rows: the CSV header row, the GeoJSON's opening
    /// with the offsets, the NDJSON's first line.
    pub fn head<R: ExportRow>(&self, offsets: &[EventAt]) -> Vec<u8> {
        let stated = json!({ "offsets": offsets });
        match self.format {
            ExportFormat::Csv => {
                let mut writer = csv_writer(Vec::new());
                // Writing to memory cannot fail.
                writer
                    .write_record(R::FORMAT.columns().iter().chain(R::EXTRA_COLUMNS))
                    .expect("a CSV record in memory");
                writer.into_inner().unwrap_or_default()
            }
            ExportFormat::GeoJson => {
                format!(r#"{{"type":"FeatureCollection","geoledger":{stated},"features":["#).into_bytes()
            }
            ExportFormat::NdJson => format!("{}\n", json!({ "geoledger": stated })).into_bytes(),
        }
    }

    /// A batch of rows, each with the position of the last event applied to it.
    pub fn rows<R: ExportRow>(&mut self, rows: &[(R, Option<EventAt>)]) -> Vec<u8> {
        let mut out = Vec::with_capacity(rows.len() * 200);
        match self.format {
            ExportFormat::Csv => {
                let mut writer = csv_writer(out);
                for (row, position) in rows {
                    let text = position.as_ref().map(position_text).unwrap_or_default();
                    // Writing to memory cannot fail.
                    writer.write_record(row.cells().iter().chain([&text])).expect("a CSV record in memory");
                }
                out = writer.into_inner().unwrap_or_default();
            }
            ExportFormat::GeoJson => {
                for (i, (row, position)) in rows.iter().enumerate() {
                    if self.written + (i as u64) > 0 {
                        out.push(b',');
                    }
                    let (latitude, longitude) = row.point();
                    let feature = json!({
                        "type": "Feature",
                        "id": row.id(),
                        "geometry": { "type": "Point", "coordinates": [longitude, latitude] },
                        "properties": with_position(row, position),
                    });
                    out.extend(feature.to_string().into_bytes());
                }
            }
            ExportFormat::NdJson => {
                for (row, position) in rows {
                    out.extend(with_position(row, position).to_string().into_bytes());
                    out.push(b'\n');
                }
            }
        }
        self.written += rows.len() as u64;
        out
    }

    /// What comes after the rows.
    pub fn tail(&self) -> Vec<u8> {
        match self.format {
            ExportFormat::GeoJson => b"]}\n".to_vec(),
            ExportFormat::Csv | ExportFormat::NdJson => Vec::new(),
        }
    }
}

/// The entity as the API answers it, with its `position`.
fn with_position<R: ExportRow>(row: &R, position: &Option<EventAt>) -> Value {
    let mut value = serde_json::to_value(row).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("position".into(), json!(position));
    }
    value
}

/// CSV records into `out`, each quoted where it must be and ended by a newline.
fn csv_writer(out: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().has_headers(false).from_writer(out)
}

#[cfg(test)]
mod tests {
    use app::domain::city::validate_new_city;
    use app::domain::import::format::{Header, Row};
    use app::domain::pincode::{Office, OfficeKind, PincodeFields};

    use super::*;

    fn at(offset: i64) -> Option<EventAt> {
        Some(EventAt { topic: "t.city-updates".into(), partition: 1, offset })
    }

    fn pune() -> City {
        let record = json!({
            "city_name": "Pune, \"Poona\"", "state": "Maharashtra", "district": "Pune", "latitude": 18.5204303,
            "longitude": 73.8567437, "is_metro": true, "population": 3124458, "area_sq_km": 331.26,
            "alternate_names": ["Poona", "Punya-nagari"], "metadata": {"source": "census, 2011", "rank": 8}
        });
        let Value::Object(record) = record else { unreachable!() };
        let fields = validate_new_city(&record).unwrap();
        City {
            id: "maharashtra/pune".into(),
            fields,
            pincodes: vec!["411001".into()],
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-02T00:00:00Z".into(),
            deleted_at: None,
            matched_name: None,
        }
    }

    fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes);
        reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
    }

    #[test]
    fn a_csv_city_reads_back_as_the_same_fields() {
        let mut encoder = Encoder::new(ExportFormat::Csv);
        let mut bytes = encoder.head::<City>(&[]);
        bytes.extend(encoder.rows(&[(pune(), at(41))]));
        let lines = read_csv(&bytes);
        assert_eq!(lines.len(), 2);
        let header = Header::read(&lines[0], None).unwrap();
        assert_eq!(header.format, Format::Cities);
        assert_eq!(header.unknown_columns(&lines[0]), ["id", "deleted_at", "position"]);
        let Ok(Row::City(fields)) = header.row(&lines[1]) else { panic!("{:?}", header.row(&lines[1])) };
        assert_eq!(fields, pune().fields, "every field, exactly (floats, quotes, commas, metadata)");
        assert_eq!(lines[1][lines[1].len() - 3..], ["maharashtra/pune", "", "t.city-updates:1:41"]);
    }

    #[test]
    fn a_csv_pincode_reads_back_as_the_same_fields_but_its_offices() {
        let fields = PincodeFields {
            pincode: "411001".into(),
            city_id: "maharashtra/pune".into(),
            city_name: "Pune".into(),
            state: "Maharashtra".into(),
            area_name: Some("Pune GPO".into()),
            latitude: 18.52,
            longitude: 73.85,
            offices: vec![Office { name: "Pune GPO".into(), kind: OfficeKind::Head, delivery: true }],
        };
        let deleted = Some("2026-02-01T00:00:00Z".to_string());
        let pincode = Pincode {
            fields: fields.clone(),
            created_at: String::new(),
            updated_at: String::new(),
            deleted_at: deleted,
        };
        let mut encoder = Encoder::new(ExportFormat::Csv);
        let mut bytes = encoder.head::<Pincode>(&[]);
        bytes.extend(encoder.rows(&[(pincode, None)]));
        let lines = read_csv(&bytes);
        let header = Header::read(&lines[0], None).unwrap();
        let Ok(Row::Pincode(read)) = header.row(&lines[1]) else { panic!() };
        assert_eq!(read, PincodeFields { offices: Vec::new(), ..fields }, "offices are kept by an import");
        assert_eq!(lines[1][lines[1].len() - 3..], ["maharashtra/pune", "2026-02-01T00:00:00Z", ""]);
    }

    #[test]
    fn geojson_is_one_feature_collection_stating_its_offsets() {
        let offsets = [EventAt { topic: "t.city-updates".into(), partition: 0, offset: 12 }];
        let mut encoder = Encoder::new(ExportFormat::GeoJson);
        let mut bytes = encoder.head::<City>(&offsets);
        bytes.extend(encoder.rows(&[(pune(), at(3))]));
        bytes.extend(encoder.rows::<City>(&[]));
        bytes.extend(encoder.rows(&[(pune(), None)]));
        bytes.extend(encoder.tail());
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(value["geoledger"]["offsets"], json!([{"topic": "t.city-updates", "partition": 0, "offset": 12}]));
        let features = value["features"].as_array().unwrap();
        assert_eq!(features.len(), 2);
        assert_eq!(features[0]["geometry"]["coordinates"], json!([73.8567437, 18.5204303]));
        assert_eq!(features[0]["properties"]["position"]["offset"], 3);
        assert_eq!(features[1]["properties"]["position"], Value::Null);
        assert_eq!(encoder.written, 2);
    }

    #[test]
    fn ndjson_states_its_offsets_on_the_first_line() {
        let mut encoder = Encoder::new(ExportFormat::NdJson);
        let mut bytes = encoder.head::<City>(&[]);
        bytes.extend(encoder.rows(&[(pune(), at(5)), (pune(), at(6))]));
        bytes.extend(encoder.tail());
        let lines: Vec<Value> =
            String::from_utf8(bytes).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0], json!({"geoledger": {"offsets": []}}));
        assert_eq!(lines[2]["position"]["offset"], 6);
        assert_eq!(lines[1]["name"], pune().fields.name);
        assert_eq!(lines[1]["metadata"], json!({"source": "census, 2011", "rank": 8}));
    }
}
