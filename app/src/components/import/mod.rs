//! The Import page's pieces: the file picker, the jobs and their bars, a
//! job's report, and the formats.

pub mod formats;
pub mod jobs;
pub mod picker;
pub mod report;
