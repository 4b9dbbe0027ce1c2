//! The import report's lines, in words an admin reads: which row, which
//! column, what was wrong, and what was done instead. Pure: the runner
//! gathers these and writes them to the job's report.
//!
//! Invariant: every line a row causes names that row's line (the header is
//! line 1), and a change not published names every line that asked for it.

use app::domain::event::Stream;
use app::domain::import::format::{CellProblem, Format, Row};
use app::domain::import::india_post::NotMade;
use app::domain::import::job::{Problem, ProblemKind};
use app::domain::quality::Rule;

use crate::service::batch::{Planned, Refusal};

/// A row the domain rules refused: one line per cell problem.
pub(super) fn invalid_cells(line: u64, problems: Vec<CellProblem>) -> impl Iterator<Item = Problem> {
    problems.into_iter().map(move |p| Problem {
        line: Some(line),
        column: p.column,
        kind: ProblemKind::Invalid,
        message: p.message,
    })
}

/// A row of the directory that makes no city or pincode, and why.
pub(super) fn not_made(n: NotMade) -> Problem {
    Problem { line: Some(n.line), column: n.column, kind: ProblemKind::Invalid, message: n.message }
}

/// The header's columns that are not part of the format, ignored.
pub(super) fn ignored_columns(format: Format, unknown: &[String]) -> Problem {
    let message = format!(
        "column{} {} ignored: not part of the {} format",
        plural(unknown.len()),
        unknown.join(", "),
        format.name()
    );
    Problem { line: Some(1), column: None, kind: ProblemKind::Ignored, message }
}

/// The file cannot be read as its format says: the header's problem.
pub(super) fn unreadable_header(message: String) -> Problem {
    Problem { line: Some(1), column: None, kind: ProblemKind::Invalid, message }
}

/// A row replaced by a later row (at `winner`) for the same thing.
pub(super) fn superseded(line: u64, winner: u64, row: &Row) -> Problem {
    let message = format!("line {winner} is for the same {}, and replaces this one", what(row));
    Problem { line: Some(line), column: None, kind: ProblemKind::Superseded, message }
}

/// An entity an import's revert leaves as it is: it changed since the import.
pub(super) fn left_alone(line: u64, subject: &str, now_at: Option<(i32, i64)>) -> Problem {
    let since = now_at.map(|(p, o)| format!(" (its last change is at partition {p}, offset {o})")).unwrap_or_default();
    let message = format!("{subject} changed since the import{since}: left as it is; revert with force=true to undo");
    Problem { line: Some(line), column: None, kind: ProblemKind::LeftAlone, message }
}

/// An entity an import's revert cannot put back, and why.
pub(super) fn not_reverted(line: u64, subject: &str, why: &str) -> Problem {
    Problem { line: Some(line), column: None, kind: ProblemKind::Invalid, message: format!("{subject}: {why}") }
}

/// A row refused once compared with the read model (an ambiguous name, an
/// alternate name that is another city's name).
pub(super) fn refused(lines: &[u64], refusal: &Refusal) -> Problem {
    Problem {
        line: lines.first().copied(),
        column: Some(refusal.field().to_string()),
        kind: ProblemKind::Invalid,
        message: refusal.message().to_string(),
    }
}

/// A row that found its city by an alternate name: "matched Mumbai by its
/// alternate name Bombay".
pub(super) fn matched(lines: &[u64], note: String) -> Problem {
    Problem { line: lines.first().copied(), column: None, kind: ProblemKind::Matched, message: note }
}

/// A change planned and not published, and why.
pub(super) fn not_published(planned: &Planned, why: &str) -> Problem {
    let stream = match planned.change.event_type().stream() {
        Stream::City => "city",
        Stream::Pincode => "pincode",
    };
    Problem {
        line: planned.lines.first().copied(),
        column: None,
        kind: ProblemKind::Unpublished,
        message: format!(
            "{stream} {} ({}) was not published: {why}",
            planned.change.subject(),
            lines_text(&planned.lines)
        ),
    }
}

/// "lines 4, 9" or "line 4"; ten at most, then how many more.
pub(super) fn lines_text(lines: &[u64]) -> String {
    let shown: Vec<String> = lines.iter().take(10).map(u64::to_string).collect();
    let more = if lines.len() > 10 { format!(" and {} more", lines.len() - 10) } else { String::new() };
    format!("line{} {}{more}", plural(lines.len()), shown.join(", "))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// What a row is about, for people.
fn what(row: &Row) -> String {
    match row {
        Row::City(c) => format!("city ({}, {})", c.name, c.state),
        Row::Pincode(p) => format!("pincode ({})", p.pincode),
        Row::Office(o) => format!("office ({}, {})", o.office.name, o.pincode),
    }
}

/// A dry run's example of a quality finding the row would open.
pub(super) fn would_open(lines: &[u64], rule: Rule, message: String) -> Problem {
    let message = format!("{}: {message}", rule.id());
    Problem { line: lines.first().copied(), column: None, kind: ProblemKind::Finding, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_listed_ten_at_most() {
        assert_eq!(lines_text(&[4]), "line 4");
        assert_eq!(lines_text(&[4, 9]), "lines 4, 9");
        let many: Vec<u64> = (2..=14).collect();
        assert_eq!(lines_text(&many), "lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 3 more");
    }

    #[test]
    fn ignored_columns_are_named_on_the_header_s_line() {
        let p = ignored_columns(Format::Cities, &["colour".into()]);
        assert_eq!((p.line, p.kind), (Some(1), ProblemKind::Ignored));
        assert_eq!(p.message, "column colour ignored: not part of the cities format");
        let p = ignored_columns(Format::Pincodes, &["a".into(), "b".into()]);
        assert_eq!(p.message, "columns a, b ignored: not part of the pincodes format");
    }

    #[test]
    fn a_change_not_published_names_what_it_was_its_lines_and_why() {
        let change =
            app::domain::event::Change::PincodeDeleted(app::domain::event::PincodeRef { pincode: "110001".into() });
        let planned = Planned { change, lines: vec![7, 12], reverts: None };
        let p = not_published(&planned, "Kafka did not accept the change in time");
        assert_eq!((p.line, p.kind), (Some(7), ProblemKind::Unpublished));
        assert_eq!(
            p.message,
            "pincode 110001 (lines 7, 12) was not published: Kafka did not accept the change in time"
        );
    }
}
