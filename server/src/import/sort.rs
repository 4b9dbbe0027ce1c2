//! Which rows of a file count, per format, before anything is compared with
//! the read model: refused rows and replaced rows counted and reported, the
//! rest gathered for planning. Pure (no store, no Kafka).
//!
//! Invariant: every row read is counted once, as valid, invalid or
//! superseded; of rows for the same thing (a city's id, a pincode, an
//! office) only the file's last valid one is valid, and each of the others
//! has a report line naming the row that replaces it.

use std::collections::HashMap;

use app::domain::city::CityFields;
use app::domain::import::format::Row;
use app::domain::import::india_post::Directory;
use app::domain::import::job::{Problem, RowCounts};
use app::domain::pincode::PincodeFields;

use super::read::ReadRow;
use super::report;

/// The valid rows of a batch of a cities or pincodes file, each with its line.
#[derive(Default)]
pub(super) struct Gathered {
    pub cities: Vec<(CityFields, Vec<u64>)>,
    pub pincodes: Vec<(PincodeFields, Vec<u64>)>,
}

/// A cities or pincodes file, read once through: per key, the line of its
/// last valid row (it wins), and how many data rows the file has.
pub(super) fn last_lines(
    rows: impl Iterator<Item = Result<ReadRow, String>>,
) -> Result<(HashMap<String, u64>, u64), String> {
    let (mut last, mut total) = (HashMap::new(), 0);
    for read in rows {
        let read = read?;
        total += 1;
        if let Ok(row) = read.row {
            last.insert(row.key(), read.line);
        }
    }
    Ok((last, total))
}

/// A batch of a cities or pincodes file: rows refused by the domain rules
/// and rows a later one replaces (`last`, from [`last_lines`]) are counted
/// and reported; the others gathered.
pub(super) fn gather_rows(
    rows: Vec<ReadRow>,
    last: &HashMap<String, u64>,
    counts: &mut RowCounts,
    problems: &mut Vec<Problem>,
) -> Gathered {
    let mut gathered = Gathered::default();
    for ReadRow { line, row } in rows {
        counts.read += 1;
        let row = match row {
            Ok(row) => row,
            Err(cells) => {
                counts.invalid += 1;
                problems.extend(report::invalid_cells(line, cells));
                continue;
            }
        };
        let winner = last.get(&row.key()).copied().unwrap_or(line);
        if winner != line {
            counts.superseded += 1;
            problems.push(report::superseded(line, winner, &row));
            continue;
        }
        counts.valid += 1;
        match row {
            Row::City(c) => gathered.cities.push((c, vec![line])),
            Row::Pincode(p) => gathered.pincodes.push((p, vec![line])),
            Row::Office(_) => unreachable!("a cities or pincodes file has no offices"),
        }
    }
    gathered
}

/// A batch of an India Post directory: each office into the directory (a
/// later row for the same office replaces the earlier one, which is counted
/// superseded and reported); refused rows counted and reported.
pub(super) fn gather_offices(
    rows: Vec<ReadRow>,
    directory: &mut Directory,
    counts: &mut RowCounts,
    problems: &mut Vec<Problem>,
) {
    for ReadRow { line, row } in rows {
        counts.read += 1;
        match row {
            Ok(Row::Office(office)) => match directory.add(line, office) {
                Some((earlier, replaced)) => {
                    counts.superseded += 1;
                    problems.push(report::superseded(earlier, line, &Row::Office(replaced)));
                }
                None => counts.valid += 1,
            },
            Ok(_) => unreachable!("an India Post file has only offices"),
            Err(cells) => {
                counts.invalid += 1;
                problems.extend(report::invalid_cells(line, cells));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use app::domain::import::job::ProblemKind;

    use super::*;
    use crate::import::read::CsvFile;

    fn rows(text: &str) -> Vec<ReadRow> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        CsvFile::open(file.path(), None).unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn the_last_row_of_a_city_wins_and_the_earlier_one_names_it() {
        let text = "city_name,state,latitude,longitude\n\
                    Pune,Maharashtra,18.52,73.85\n\
                    Nashik,Maharashtra,not a number,73.78\n\
                    Pune,Maharashtra,18.53,73.86\n";
        let (last, total) = last_lines(rows(text).into_iter().map(Ok)).unwrap();
        assert_eq!(total, 3);
        let (mut counts, mut problems) = (RowCounts::default(), Vec::new());
        let gathered = gather_rows(rows(text), &last, &mut counts, &mut problems);
        assert_eq!((counts.read, counts.valid, counts.invalid, counts.superseded), (3, 1, 1, 1));
        let lines: Vec<&Vec<u64>> = gathered.cities.iter().map(|(_, l)| l).collect();
        assert_eq!(lines, [&vec![4]]);
        assert_eq!(gathered.cities[0].0.latitude, 18.53);
        let said: Vec<(Option<u64>, ProblemKind, &str)> =
            problems.iter().map(|p| (p.line, p.kind, p.message.as_str())).collect();
        assert_eq!(said[0].0, Some(2));
        assert_eq!(said[0].1, ProblemKind::Superseded);
        assert_eq!(said[0].2, "line 4 is for the same city (Pune, Maharashtra), and replaces this one");
        assert_eq!((said[1].0, said[1].1), (Some(3), ProblemKind::Invalid));
        assert_eq!(problems[1].column.as_deref(), Some("latitude"));
    }

    #[test]
    fn a_later_row_for_the_same_office_replaces_the_earlier_one() {
        let header = "officename,pincode,officetype,delivery,district,statename,latitude,longitude\n";
        let office = "Kochi H.O,682001,HO,Delivery,Ernakulam,KERALA,9.97,76.28\n";
        let text = format!("{header}{office}{office}");
        let read = rows(&text);
        let (mut directory, mut counts, mut problems) = (Directory::default(), RowCounts::default(), Vec::new());
        gather_offices(read, &mut directory, &mut counts, &mut problems);
        assert_eq!((counts.read, counts.valid, counts.superseded), (2, 1, 1));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(2), "the earlier row is the one replaced");
        assert!(
            problems[0].message.starts_with("line 3 is for the same office (Kochi H.O, 682001)"),
            "{}",
            problems[0].message
        );
    }
}
