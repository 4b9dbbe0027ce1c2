//! The raw bulk writer: planned writes sent as a few `insert` and `update`
//! commands per collection, under MongoDB's command size, unordered, each
//! failed write named by its index, code and message.
//!
//! Invariant: a write that fails (a duplicate key, a document that cannot be
//! BSON) fails alone; an insert refused on its `_id` is sent again as its
//! guarded upsert, so an entity written meanwhile is updated, never doubled.

use mongodb::bson::{Document, RawArrayBuf, RawDocumentBuf};
use mongodb::Collection;

use super::plan::{Write, WriteKind};

/// Statements of one command stay under this many bytes (MongoDB takes 16 MB).
const COMMAND_BYTES: usize = 8 << 20;

/// Sends the writes to one collection: the inserts as `insert` commands, then
/// the updates (and the upserts of inserts that found their entity there) as
/// `update` commands; unordered, so one failing does not stop the others.
/// Gives each failed write's index in `writes`, code and message.
pub(super) async fn write_all(
    collection: &Collection<Document>,
    writes: &[Write],
) -> mongodb::error::Result<Vec<Failed>> {
    let (mut inserts, mut updates) = (Vec::new(), Vec::new());
    for (k, w) in writes.iter().enumerate() {
        match &w.kind {
            WriteKind::Insert { doc, .. } => inserts.push((k, doc)),
            WriteKind::Update(update) => updates.push((k, update)),
        }
    }
    let mut failed = Vec::new();
    let (inserted, documents) = serialized(inserts.iter().copied(), &mut failed);
    for (i, code, message) in command_all(collection, "insert", "documents", documents).await? {
        let k = inserted[i];
        match &writes[k].kind {
            WriteKind::Insert { otherwise, .. } if code == 11000 => updates.push((k, otherwise)),
            _ => failed.push((k, code, message)),
        }
    }
    let statements: Vec<(usize, Document)> = updates.iter().map(|(k, u)| (*k, u.statement())).collect();
    let (updated, statements) = serialized(statements.iter().map(|(k, d)| (*k, d)), &mut failed);
    for (i, code, message) in command_all(collection, "update", "updates", statements).await? {
        failed.push((updated[i], code, message));
    }
    Ok(failed)
}

/// A failed write: its index, the server's error code and message.
type Failed = (usize, i32, String);

/// The documents as BSON bytes, with the index each came with; one that cannot
/// be written as BSON (a key with a NUL) fails on its own.
fn serialized<'a>(
    documents: impl Iterator<Item = (usize, &'a Document)>,
    failed: &mut Vec<Failed>,
) -> (Vec<usize>, Vec<RawDocumentBuf>) {
    let (mut indexes, mut raw) = (Vec::new(), Vec::new());
    for (k, d) in documents {
        match RawDocumentBuf::from_document(d) {
            Ok(r) => {
                indexes.push(k);
                raw.push(r);
            }
            Err(e) => failed.push((k, 0, format!("cannot be written as BSON: {e}"))),
        }
    }
    (indexes, raw)
}

/// Sends `command` (`insert` or `update`) with the `items` in its `array`,
/// as few commands as fit MongoDB's size limit, unordered. Gives each failed
/// item's index in `items`, code and message.
async fn command_all(
    collection: &Collection<Document>,
    command: &str,
    array: &str,
    items: Vec<RawDocumentBuf>,
) -> mongodb::error::Result<Vec<Failed>> {
    let db = collection.client().database(&collection.namespace().db);
    let mut items = items.into_iter().peekable();
    let (mut failed, mut start) = (Vec::new(), 0);
    while items.peek().is_some() {
        let (mut chunk, mut sent, mut bytes) = (RawArrayBuf::new(), 0, 0);
        while let Some(item) = items.next_if(|item| sent == 0 || bytes + item.as_bytes().len() <= COMMAND_BYTES) {
            bytes += item.as_bytes().len();
            sent += 1;
            chunk.push(item);
        }
        let mut body = RawDocumentBuf::new();
        body.append(command, collection.name());
        body.append(array, chunk);
        body.append("ordered", false);
        let reply = db.run_raw_command(body).await?;
        for e in reply.get_array("writeErrors").map(|a| a.as_slice()).unwrap_or_default() {
            let Some(e) = e.as_document() else { continue };
            // Servers send these as 32- or 64-bit integers.
            let number = |key| e.get(key).and_then(|v| v.as_i32().map(i64::from).or_else(|| v.as_i64()));
            let (Some(index), Some(code)) = (number("index"), number("code")) else {
                tracing::warn!(error = %e, "a write error without its item's index");
                continue;
            };
            let message = e.get_str("errmsg").unwrap_or("refused").to_string();
            failed.push((start + index as usize, code as i32, message));
        }
        start += sent;
    }
    Ok(failed)
}
