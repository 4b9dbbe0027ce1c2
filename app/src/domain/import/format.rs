//! The file formats an import reads, each known by its header row, and how a
//! data row becomes a record the domain rules check.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::india_post::{self, read_office, OfficeRow};
use crate::domain::city::{field as city, validate_new_city, CityFields};
use crate::domain::pincode::{field as pincode, validate_pincode, PincodeFields};
use crate::domain::validation::ValidationErrors;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// GeoLedger's cities: one row a city.
    Cities,
    /// GeoLedger's pincodes: one row a pincode.
    Pincodes,
    /// India Post's "All India Pincode Directory" (data.gov.in): one row a post
    /// office; the offices of a pincode make it, and its district its city.
    IndiaPost,
}

/// The columns are the fields' names, the forms' and the API's.
const CITY_COLUMNS: &[&str] = &[
    city::NAME,
    city::STATE,
    city::DISTRICT,
    city::LATITUDE,
    city::LONGITUDE,
    city::IS_METRO,
    city::IS_CAPITAL,
    city::POPULATION,
    city::AREA,
    city::ALTERNATE_NAMES,
    city::METADATA,
];
const PINCODE_COLUMNS: &[&str] =
    &[pincode::PINCODE, pincode::CITY_NAME, pincode::STATE, pincode::AREA_NAME, pincode::LATITUDE, pincode::LONGITUDE];

impl Format {
    pub const ALL: [Format; 3] = [Format::Cities, Format::Pincodes, Format::IndiaPost];

    /// As the API's `format=` and the CLI's `--format` name it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Cities => "cities",
            Format::Pincodes => "pincodes",
            Format::IndiaPost => "india-post",
        }
    }

    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Format::Cities => "GeoLedger cities",
            Format::Pincodes => "GeoLedger pincodes",
            Format::IndiaPost => "India Post pincode directory",
        }
    }

    pub fn parse(name: &str) -> Result<Format, String> {
        let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
        Format::ALL.into_iter().find(|f| f.name() == wanted).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            format!("'{}' is not a format GeoLedger reads: {}", name.trim(), names.join(", "))
        })
    }

    /// Every column the format has, in its order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Format::Cities => CITY_COLUMNS,
            Format::Pincodes => PINCODE_COLUMNS,
            Format::IndiaPost => india_post::COLUMNS,
        }
    }

    /// The columns a file of this format cannot do without (the others may be
    /// left out of the header).
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Format::Cities => &["city_name", "state", "latitude", "longitude"],
            Format::Pincodes => &["pincode", "city_name", "state", "latitude", "longitude"],
            Format::IndiaPost => &["officename", "pincode", "district", "statename", "latitude", "longitude"],
        }
    }

    /// The format a header row is of: the one whose required columns it has
    /// (India Post's first: its columns are the most particular).
    pub fn detect(header: &[String]) -> Option<Format> {
        let names: Vec<String> = header.iter().map(|h| column_name(h)).collect();
        [Format::IndiaPost, Format::Pincodes, Format::Cities]
            .into_iter()
            .find(|f| f.required().iter().all(|c| names.iter().any(|n| n == c)))
    }
}

/// A header cell as a column name: no byte-order mark, no spaces, lower case.
pub fn column_name(raw: &str) -> String {
    raw.trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// What a data row is, once the domain rules have read it.
#[derive(Clone, Debug, PartialEq)]
pub enum Row {
    City(CityFields),
    Pincode(PincodeFields),
    Office(OfficeRow),
}

impl Row {
    /// What makes two rows of one file the same thing (the later one wins):
    /// a city's name in its state (folded as search folds it), a pincode, an
    /// office of a pincode.
    pub fn key(&self) -> String {
        match self {
            Row::City(c) => crate::domain::names::name_key(&c.state, &c.name),
            Row::Pincode(p) => p.pincode.clone(),
            Row::Office(o) => o.key(),
        }
    }
}

/// One problem with one cell of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellProblem {
    /// The header's name of the column, when the problem is in one.
    pub column: Option<String>,
    pub message: String,
}

impl CellProblem {
    pub fn row(message: impl Into<String>) -> Self {
        CellProblem { column: None, message: message.into() }
    }

    /// Every field error, at its column (`alternate_names[1]` is in `alternate_names`).
    fn from_fields(errors: ValidationErrors) -> Vec<Self> {
        errors
            .errors
            .into_iter()
            .map(|e| {
                let column = e.field.split(['[', '.']).next().unwrap_or_default().to_string();
                CellProblem { column: Some(column), message: e.message }
            })
            .collect()
    }
}

/// A header row read against a format: which of the format's columns is where.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    pub format: Format,
    /// For each column of the file, the format's column it is (None: one the
    /// format does not have, ignored).
    columns: Vec<Option<&'static str>>,
}

impl Header {
    /// Reads the header row, against `format` when it is named, else against
    /// the format the header shows.
    pub fn read(cells: &[String], format: Option<Format>) -> Result<Header, String> {
        let format = match format {
            Some(f) => f,
            None => Format::detect(cells).ok_or_else(|| {
                let known: Vec<String> =
                    Format::ALL.iter().map(|f| format!("{} ({})", f.name(), f.columns().join(","))).collect();
                format!("the header row is not one GeoLedger reads; it reads {}", known.join("; "))
            })?,
        };
        let names: Vec<String> = cells.iter().map(|c| column_name(c)).collect();
        let missing: Vec<&str> = format.required().iter().copied().filter(|c| !names.iter().any(|n| n == c)).collect();
        if !missing.is_empty() {
            return Err(format!("the header row lacks {} for the {} format", missing.join(", "), format.name()));
        }
        let columns = names.iter().map(|n| format.columns().iter().copied().find(|c| *c == n)).collect();
        Ok(Header { format, columns })
    }

    /// How many columns every row must have.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// The columns of the file that the format does not have (ignored).
    pub fn unknown_columns(&self, cells: &[String]) -> Vec<String> {
        self.columns.iter().zip(cells).filter(|(known, _)| known.is_none()).map(|(_, c)| column_name(c)).collect()
    }

    /// The loose record a data row makes: each known column's text.
    pub fn record(&self, cells: &[String]) -> Result<Map<String, Value>, CellProblem> {
        if cells.len() != self.width() {
            return Err(CellProblem::row(format!(
                "has {} column{}; the header has {}",
                cells.len(),
                if cells.len() == 1 { "" } else { "s" },
                self.width()
            )));
        }
        Ok(self
            .columns
            .iter()
            .zip(cells)
            .filter_map(|(column, cell)| column.map(|c| (c.to_string(), Value::String(cell.clone()))))
            .collect())
    }

    /// A data row, read by the domain rules: what it is, or every problem it has.
    pub fn row(&self, cells: &[String]) -> Result<Row, Vec<CellProblem>> {
        let record = self.record(cells).map_err(|p| vec![p])?;
        match self.format {
            Format::Cities => validate_new_city(&record).map(Row::City).map_err(CellProblem::from_fields),
            Format::Pincodes => validate_pincode(&record).map(Row::Pincode).map_err(CellProblem::from_fields),
            Format::IndiaPost => read_office(&record).map(Row::Office).map_err(CellProblem::from_fields),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(line: &str) -> Vec<String> {
        line.split(',').map(str::to_string).collect()
    }

    #[test]
    fn each_format_is_known_by_its_header() {
        for f in Format::ALL {
            let header: Vec<String> = f.columns().iter().map(|c| c.to_string()).collect();
            assert_eq!(Format::detect(&header), Some(f), "{f:?}");
            assert_eq!(Format::parse(f.name()), Ok(f));
        }
        // A byte-order mark, spaces and capitals do not hide it; the optional columns may be left out.
        assert_eq!(Format::detect(&cells("\u{feff}City_Name, State ,LATITUDE,longitude")), Some(Format::Cities));
        assert_eq!(Format::detect(&cells("name,lat,lng")), None);
        assert!(Format::parse("xlsx").unwrap_err().contains("cities, pincodes, india-post"));
    }

    #[test]
    fn a_header_named_explicitly_must_have_the_required_columns() {
        let err = Header::read(&cells("city_name,state,district"), Some(Format::Cities)).unwrap_err();
        assert!(err.contains("lacks latitude, longitude"), "{err}");
        let err = Header::read(&cells("a,b"), None).unwrap_err();
        assert!(err.contains("cities (city_name,state,district"), "{err}");
    }

    #[test]
    fn a_row_becomes_a_city_and_unknown_columns_are_ignored() {
        let header_cells = cells("city_name,state,latitude,longitude,alternate_names,notes");
        let header = Header::read(&header_cells, None).unwrap();
        assert_eq!(header.unknown_columns(&header_cells), ["notes"]);
        let row = header.row(&cells("Pune,MH,18.52,73.85,Poona|Punya-nagari,old")).unwrap();
        let Row::City(city) = &row else { panic!("{row:?}") };
        assert_eq!(city.state, "Maharashtra");
        assert_eq!(city.alternate_names, ["Poona", "Punya-nagari"]);
        assert_eq!(row.key(), "maharashtra/pune");
    }

    #[test]
    fn a_bad_row_names_each_column() {
        let header = Header::read(&cells("city_name,state,latitude,longitude,alternate_names"), None).unwrap();
        let problems = header.row(&cells("Pune,Maharastra,99,east,ok|\u{7}")).unwrap_err();
        let columns: Vec<&str> = problems.iter().map(|p| p.column.as_deref().unwrap()).collect();
        assert_eq!(columns, ["state", "latitude", "longitude", "alternate_names"]);
        let short = header.row(&cells("Pune,MH")).unwrap_err();
        assert_eq!(short, [CellProblem::row("has 2 columns; the header has 5")]);
    }
}
