//! The file, read: its header, then its data rows, each with the line it
//! starts on and its cells as text. CSV as spreadsheets write it: quoted
//! commas, quotes and line breaks, CRLF or LF line ends, a byte-order mark,
//! blank lines (skipped). A cell that is not UTF-8 is a problem of its row.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use app::domain::import::format::{column_name, CellProblem, Format, Header, Row};
use csv::{ByteRecord, ReaderBuilder};

/// One data row of the file, as the domain rules read it.
pub struct ReadRow {
    /// The line it starts on (the header is line 1).
    pub line: u64,
    pub row: Result<Row, Vec<CellProblem>>,
}

/// The bytes the CSV reader has taken since the current record began: where
/// a record's text starts is past the blank lines and line ends before it, and
/// the reader's own line count stops short of those (and counts only "\n":
/// a spreadsheet's "CSV (Macintosh)" ends its lines with a lone "\r").
struct Tap<R> {
    inner: R,
    kept: Vec<u8>,
    /// The byte offset of `kept[0]` in the file.
    kept_from: u64,
    /// The line ends before `kept_from`.
    lines_before: u64,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.kept.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// The line ends in `bytes`: each "\r\n", "\n" or lone "\r" is one.
fn line_ends(bytes: &[u8]) -> u64 {
    let lone_cr = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    (0..bytes.len()).filter(|&i| bytes[i] == b'\n' || lone_cr(i)).count() as u64
}

impl<R> Tap<R> {
    /// The line (the header's is 1) where the text of a record the reader
    /// began at byte `from` starts: past the line ends it skipped first.
    fn line_of(&self, from: u64) -> u64 {
        let at = (from.saturating_sub(self.kept_from) as usize).min(self.kept.len());
        let lead = self.kept[at..].iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        1 + self.lines_before + line_ends(&self.kept[..at + lead])
    }

    /// Forgets the bytes before `to` (they are read and counted); a last "\r"
    /// stays, so a "\r\n" split there is still one line end.
    fn forget_before(&mut self, to: u64) {
        let mut n = (to.saturating_sub(self.kept_from) as usize).min(self.kept.len());
        if n > 0 && self.kept[n - 1] == b'\r' {
            n -= 1;
        }
        self.lines_before += line_ends(&self.kept[..n]);
        self.kept.drain(..n);
        self.kept_from += n as u64;
    }
}

pub struct CsvFile {
    reader: csv::Reader<Tap<File>>,
    pub header: Header,
    /// The header's cells, for naming columns.
    names: Vec<String>,
    record: ByteRecord,
}

/// The cells of a record as text; a cell that is not UTF-8 is named.
fn cells(record: &ByteRecord, names: &[String]) -> Result<Vec<String>, CellProblem> {
    record
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            String::from_utf8(bytes.to_vec()).map_err(|_| CellProblem {
                column: names.get(i).cloned(),
                message: "is not UTF-8 text (save the file as UTF-8 CSV)".into(),
            })
        })
        .collect()
}

impl CsvFile {
    /// Opens the file and reads its header (against `format`, when named).
    pub fn open(path: &Path, format: Option<Format>) -> Result<CsvFile, String> {
        let file = File::open(path).map_err(|e| format!("the file cannot be read: {e}"))?;
        let tap = Tap { inner: file, kept: Vec::new(), kept_from: 0, lines_before: 0 };
        let mut reader = ReaderBuilder::new().has_headers(false).flexible(true).from_reader(tap);
        let mut record = ByteRecord::new();
        let found = reader.read_byte_record(&mut record).map_err(|e| format!("the header row cannot be read: {e}"))?;
        if !found {
            return Err("the file is empty: it has no header row".into());
        }
        let raw = cells(&record, &[]).map_err(|_| "the header row is not UTF-8 text (save the file as UTF-8 CSV)")?;
        let header = Header::read(&raw, format)?;
        let names = raw.iter().map(|c| column_name(c)).collect();
        Ok(CsvFile { reader, header, names, record })
    }

    /// The header's columns the format does not have (they are ignored).
    pub fn unknown_columns(&self) -> Vec<String> {
        let names = self.names.clone();
        self.header.unknown_columns(&names)
    }
}

impl Iterator for CsvFile {
    type Item = Result<ReadRow, String>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let start = self.record.position().map(|p| p.byte()).unwrap_or_default();
                let line = self.reader.get_ref().line_of(start);
                let end = self.reader.position().byte();
                self.reader.get_mut().forget_before(end);
                let row = cells(&self.record, &self.names).map_err(|p| vec![p]).and_then(|c| self.header.row(&c));
                Some(Ok(ReadRow { line, row }))
            }
            Err(e) => {
                let start = self.record.position().map(|p| p.byte()).unwrap_or_default();
                Some(Err(format!("the file cannot be read past line {}: {e}", self.reader.get_ref().line_of(start))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8]) -> (CsvFile, Vec<ReadRow>) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, text).unwrap();
        let csv = CsvFile::open(file.path(), None).unwrap();
        let mut again = CsvFile::open(file.path(), None).unwrap();
        let rows = again.by_ref().map(Result::unwrap).collect();
        (csv, rows)
    }

    #[test]
    fn spreadsheet_csv_is_read_with_its_line_numbers() {
        let text = "\u{feff}city_name,state,latitude,longitude,alternate_names\r\n\
                    \"Pune, city\",MH,18.52,73.85,\"Poona|\"\"Punya\"\"\"\r\n\
                    \r\n\
                    \"Navi\nMumbai\",MH,19.03,73.02,\r\n\
                    Nashik,MH,20.0,73.78\r\n";
        let (csv, rows) = read(text.as_bytes());
        assert_eq!(csv.header.format, Format::Cities);
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4, 6], "the blank line is skipped, the quoted line break counted");
        let Ok(Row::City(pune)) = &rows[0].row else { panic!() };
        assert_eq!(pune.name, "Pune, city");
        assert_eq!(pune.alternate_names, ["Poona", "\"Punya\""]);
        let Ok(Row::City(navi)) = &rows[1].row else { panic!() };
        assert_eq!(navi.name, "Navi Mumbai", "a line break inside a name is a space");
        let Err(short) = &rows[2].row else { panic!() };
        assert_eq!(short[0].message, "has 4 columns; the header has 5");
    }

    /// Bytes a spreadsheet's CSV is made of, the awkward ones most.
    fn csv_bytes() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just(b",".to_vec()),
            Just(b"\"".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\r".to_vec()),
            Just("\u{feff}".as_bytes().to_vec()),
            Just(b"Pune".to_vec()),
            Just(b"18.52".to_vec()),
            Just(b"\xff\xfe".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..4),
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    proptest::proptest! {
        /// Whatever follows a header GeoLedger reads (or stands in its place), the
        /// file is read or refused whole, never a panic; every row it reads has
        /// a line of the file, later than the one before.
        #[test]
        fn any_bytes_are_read_row_by_row_with_increasing_lines_or_refused(
            body in csv_bytes(),
            headed in proptest::bool::ANY,
        ) {
            let mut text = if headed { b"city_name,state,latitude,longitude\n".to_vec() } else { Vec::new() };
            text.extend_from_slice(&body);
            let mut file = tempfile::NamedTempFile::new().unwrap();
            std::io::Write::write_all(&mut file, &text).unwrap();
            let Ok(csv) = CsvFile::open(file.path(), None) else { return Ok(()) };
            let lines_in_file = line_ends(&text) + 1;
            let mut last = 1;
            for read in csv {
                let Ok(row) = read else { break };
                proptest::prop_assert!(row.line > last && row.line <= lines_in_file, "{} after {last}", row.line);
                last = row.line;
            }
        }
    }

    #[test]
    fn a_file_with_old_mac_line_ends_is_read_with_its_line_numbers() {
        let text = "city_name,state,latitude,longitude\rPune,MH,18.52,73.85\r\rNashik,MH,20.0,73.78\r";
        let (_, rows) = read(text.as_bytes());
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4]);
    }

    #[test]
    fn a_cell_that_is_not_utf8_is_named() {
        let mut text = b"city_name,state,latitude,longitude\n".to_vec();
        text.extend_from_slice(b"Pune,MH,18.52,73.85\nM\xfcnchen,MH,19.0,73.0\n");
        let (_, rows) = read(&text);
        assert!(rows[0].row.is_ok());
        let Err(problems) = &rows[1].row else { panic!() };
        assert_eq!(problems[0].column.as_deref(), Some("city_name"));
        assert!(problems[0].message.contains("not UTF-8"));
    }

    #[test]
    fn a_file_without_a_known_header_is_refused_whole() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, b"name,lat,lng\nPune,18,73\n").unwrap();
        assert!(CsvFile::open(file.path(), None).err().unwrap().contains("not one GeoLedger reads"));
        let empty = tempfile::NamedTempFile::new().unwrap();
        assert!(CsvFile::open(empty.path(), None).err().unwrap().contains("empty"));
    }
}
