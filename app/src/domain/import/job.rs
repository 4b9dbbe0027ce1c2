//! An import job: one file, read row by row, its changes published; what the
//! Import page, the API and the CLI show of it.

use serde::{Deserialize, Serialize};

use super::format::Format;

/// Through which door the file came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Door {
    /// The Import page.
    Page,
    /// The REST API.
    Api,
    /// `geoledger import`.
    Cli,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Reading the file and publishing its changes.
    Running,
    /// Every change is published; the materializer is applying them.
    Applying,
    /// Every change published was applied (or dead-lettered), or, for a dry
    /// run, the file was checked.
    Done,
    /// It stopped before publishing every change (Kafka away, the file
    /// unreadable): the report names what was not published.
    Failed,
    /// The process running it ended while it ran.
    Interrupted,
}

impl JobStatus {
    /// Still moving: its counts may change.
    pub fn is_open(self) -> bool {
        matches!(self, JobStatus::Running | JobStatus::Applying)
    }

    pub fn label(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Applying => "applying",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Interrupted => "interrupted",
        }
    }
}

/// The rows of the file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RowCounts {
    /// Data rows in the file (the header and blank lines aside), once known.
    pub total: u64,
    /// Data rows read so far.
    pub read: u64,
    pub valid: u64,
    /// Refused by the domain rules (each in the report).
    pub invalid: u64,
    /// Replaced by a later row for the same city, pincode or office.
    pub superseded: u64,
}

/// The changes the rows make: cities and pincodes, created or changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChangeCounts {
    /// Already so in the read model: not published.
    pub unchanged: u64,
    /// To be published (for a dry run: what would be).
    pub planned: u64,
    /// Acknowledged by Kafka.
    pub published: u64,
    /// Not published, because Kafka failed (each in the report).
    pub unpublished: u64,
    /// Applied to the read model by the materializer.
    pub applied: u64,
    /// Dead-lettered by the materializer instead (each in the report).
    pub failed: u64,
    /// Every change of the file is planned: `planned` is final.
    pub all_planned: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportJob {
    pub id: String,
    pub file_name: String,
    pub format: Format,
    pub dry_run: bool,
    /// Who started it: an admin's email, or `token:<name>`.
    pub actor: String,
    pub door: Door,
    pub status: JobStatus,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub finished_at: Option<String>,
    /// The file's size.
    pub bytes: u64,
    pub rows: RowCounts,
    pub changes: ChangeCounts,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// A dry run's: the quality findings the file would open, per rule
    /// (its report has examples, as "would open" lines).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<FindingCount>,
    /// A revert of an import: that import's id. Its changes undo that
    /// import's (its "rows" are the entities it changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverts: Option<String>,
}

/// How many findings of one rule a file would open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FindingCount {
    pub rule: crate::domain::quality::Rule,
    pub count: u64,
}

impl ImportJob {
    /// How far publishing has got, 0 to 1: of the planned changes once all
    /// are planned, else of the file's rows (a file is planned and published a
    /// batch at a time).
    pub fn published_share(&self) -> f64 {
        let c = &self.changes;
        if c.all_planned || self.rows.total == 0 {
            share(c.published + c.unpublished, c.planned)
        } else {
            share(self.rows.read, self.rows.total)
        }
    }

    /// How far applying has got, 0 to 1, of what was published.
    pub fn applied_share(&self) -> f64 {
        share(self.changes.applied + self.changes.failed, self.changes.published)
    }

    /// True when any row was refused or any change not made: the CLI's exit
    /// status says so.
    pub fn has_problems(&self) -> bool {
        self.rows.invalid > 0 || self.changes.unpublished > 0 || self.changes.failed > 0 || self.error.is_some()
    }

    /// One line for a terminal or a log.
    /// "would open 412 quality findings: 400 pincode far from its city, 12 …".
    pub fn findings_line(&self) -> String {
        let total: u64 = self.findings.iter().map(|f| f.count).sum();
        let each: Vec<String> =
            self.findings.iter().map(|f| format!("{} {}", f.count, f.rule.title().to_lowercase())).collect();
        format!("would open {total} quality findings: {}", each.join(", "))
    }

    pub fn summary(&self) -> String {
        let (r, c) = (&self.rows, &self.changes);
        let verb = if self.dry_run { "would publish" } else { "published" };
        let done = if self.dry_run { c.planned } else { c.published };
        let mut line = format!(
            "{}: {} rows read, {} invalid, {} superseded; {} unchanged, {verb} {done}",
            self.file_name, r.read, r.invalid, r.superseded, c.unchanged
        );
        if !self.dry_run {
            line.push_str(&format!(", applied {}", c.applied));
        }
        if c.unpublished > 0 {
            line.push_str(&format!(", {} not published", c.unpublished));
        }
        if c.failed > 0 {
            line.push_str(&format!(", {} dead-lettered", c.failed));
        }
        line.push_str(&format!(" ({})", self.status.label()));
        if !self.findings.is_empty() {
            line.push_str(&format!("; {}", self.findings_line()));
        }
        if let Some(e) = &self.error {
            line.push_str(&format!(": {e}"));
        }
        line
    }
}

/// How many refused rows a terminal is shown before it is told where the rest are.
pub const REFUSED_SHOWN: usize = 20;

/// What a terminal shows of a job's refused rows, under its summary: each
/// one's line, column and reason, the first 20, then where the whole report is.
pub fn refused_rows(job: &ImportJob, report: &[Problem]) -> Vec<String> {
    let refused: Vec<&Problem> = report.iter().filter(|p| p.kind == ProblemKind::Invalid).collect();
    if refused.is_empty() {
        return Vec::new();
    }
    let mut lines: Vec<String> = refused
        .iter()
        .take(REFUSED_SHOWN)
        .map(|p| {
            let line = p.line.map_or_else(|| "the file".to_string(), |l| format!("line {l}"));
            let column = p.column.as_deref().map(|c| format!(", column {c}")).unwrap_or_default();
            format!("  {line}{column}: {}", p.message)
        })
        .collect();
    if refused.len() > REFUSED_SHOWN {
        lines.push(format!("  and {} more refused rows", refused.len() - REFUSED_SHOWN));
    }
    lines.push(format!(
        "  the whole report: GET /api/v1/imports/{}/report.csv, or the Import page (job {})",
        job.id, job.id
    ));
    lines
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        1.0
    } else {
        (part as f64 / whole as f64).min(1.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ProblemKind {
    /// The row breaks a rule; nothing of it was published.
    Invalid,
    /// A later row replaced it.
    Superseded,
    /// Its change was not published: Kafka failed.
    Unpublished,
    /// Its change was published but dead-lettered by the materializer.
    Failed,
    /// Something of the file GeoLedger left aside (a column it does not know).
    Ignored,
    /// The row found its city by an alternate name (not a problem: a note).
    Matched,
    /// A dry run: the row would open a quality finding (an example of its rule's).
    Finding,
    /// A revert of an import: the entity changed since the import, and is left as it is.
    #[serde(rename = "left_alone")]
    LeftAlone,
}

impl ProblemKind {
    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::Invalid => "invalid",
            ProblemKind::Superseded => "superseded",
            ProblemKind::Unpublished => "not published",
            ProblemKind::Failed => "dead-lettered",
            ProblemKind::Ignored => "ignored",
            ProblemKind::Matched => "matched",
            ProblemKind::Finding => "would open",
            ProblemKind::LeftAlone => "left as it is",
        }
    }
}

/// One line of a job's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Problem {
    /// The file's line (1 is the header), when the problem is a row's.
    pub line: Option<u64>,
    pub column: Option<String>,
    pub kind: ProblemKind,
    pub message: String,
}

impl Problem {
    /// The report as CSV: `line,column,kind,message`, quoted where needed.
    pub fn csv(problems: &[Problem]) -> String {
        let quote = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let mut out = String::from("line,column,kind,message\n");
        for p in problems {
            let line = p.line.map(|l| l.to_string()).unwrap_or_default();
            let column = p.column.as_deref().unwrap_or_default();
            out.push_str(&format!("{line},{},{},{}\n", quote(column), p.kind.label(), quote(&p.message)));
        }
        out
    }
}

/// A job with the first lines of its report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JobReport {
    pub job: ImportJob,
    pub problems: Vec<Problem>,
    /// How many problems there are in all (the report shows the first ones).
    pub total_problems: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_is_csv_a_spreadsheet_reads() {
        let problems = [
            Problem {
                line: Some(12),
                column: Some("state".into()),
                kind: ProblemKind::Invalid,
                message: "'Maharastra' is not a state; did you mean \"Maharashtra\"?".into(),
            },
            Problem {
                line: Some(3),
                column: None,
                kind: ProblemKind::Superseded,
                message: "line 9 replaces it".into(),
            },
        ];
        assert_eq!(
            Problem::csv(&problems),
            "line,column,kind,message\n\
             12,state,invalid,\"'Maharastra' is not a state; did you mean \"\"Maharashtra\"\"?\"\n\
             3,,superseded,line 9 replaces it\n"
        );
    }

    #[test]
    fn shares_and_the_summary_line() {
        let mut job = ImportJob {
            id: "j".into(),
            file_name: "cities.csv".into(),
            format: Format::Cities,
            dry_run: false,
            actor: "ops@example.in".into(),
            door: Door::Cli,
            status: JobStatus::Applying,
            started_at: "2026-11-29T10:00:00Z".into(),
            finished_at: None,
            bytes: 100,
            reverts: None,
            rows: RowCounts { total: 10, read: 10, valid: 8, invalid: 2, superseded: 0 },
            changes: ChangeCounts {
                unchanged: 2,
                planned: 6,
                published: 6,
                applied: 3,
                all_planned: true,
                ..Default::default()
            },
            error: None,
            findings: vec![],
        };
        assert_eq!(job.published_share(), 1.0);
        assert_eq!(job.applied_share(), 0.5);
        assert!(job.has_problems());
        assert_eq!(
            job.summary(),
            "cities.csv: 10 rows read, 2 invalid, 0 superseded; 2 unchanged, published 6, applied 3 (applying)"
        );
        job.rows.invalid = 0;
        assert!(!job.has_problems());
    }
}
