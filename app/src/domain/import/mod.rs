//! Bulk imports, the pure part: the file formats GeoLedger reads and how each
//! row becomes something the domain rules check (`format`), how the India Post
//! directory's offices make pincodes and cities (`india_post`), and what an
//! import job is and reports (`job`). The server reads the file, looks the rows
//! up and publishes them; the browser detects a file's format before sending it.

pub mod format;
pub mod india_post;
pub mod job;
