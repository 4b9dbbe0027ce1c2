//! An upload, written to a temporary file as it arrives: never held whole in
//! memory, and refused (413) as soon as it grows past the configured limit.

use std::fmt::Display;
use std::path::Path;

use app::domain::error::AppError;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;

use crate::error::Error;

/// The upload on disk; the file goes when this is dropped.
pub struct Spooled {
    pub file: NamedTempFile,
    pub bytes: u64,
}

/// `n` bytes for people: "200 MiB".
pub fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// Writes `body` to a new file in `dir`, up to `max_bytes`.
pub async fn spool<S, E>(mut body: S, dir: &Path, max_bytes: u64) -> Result<Spooled, Error>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let failed =
        |e: std::io::Error| AppError::Internal(format!("the upload could not be stored in {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(failed)?;
    let file = NamedTempFile::with_prefix_in("geoledger-import-", dir).map_err(failed)?;
    let mut out = tokio::fs::File::from_std(file.reopen().map_err(failed)?);
    let mut bytes = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(format!("the upload broke off: {e}")))?;
        bytes += chunk.len() as u64;
        if bytes > max_bytes {
            return Err(AppError::TooLarge(format!(
                "the file is larger than the import limit of {} (GEOLEDGER_IMPORT_MAX_BYTES); nothing was imported",
                human_bytes(max_bytes)
            ))
            .into());
        }
        out.write_all(&chunk).await.map_err(failed)?;
    }
    out.flush().await.map_err(failed)?;
    Ok(Spooled { file, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static str]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
        futures::stream::iter(parts.iter().map(|p| Ok(Bytes::from_static(p.as_bytes()))).collect::<Vec<_>>())
    }

    #[tokio::test]
    async fn an_upload_is_written_to_disk_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let spooled = spool(chunks(&["city_name,state\n", "Pune,MH\n"]), dir.path(), 100).await.unwrap();
        assert_eq!(spooled.bytes, 24);
        assert_eq!(std::fs::read_to_string(spooled.file.path()).unwrap(), "city_name,state\nPune,MH\n");

        let Err(Error::Refused(refused)) = spool(chunks(&["0123456789", "0123456789"]), dir.path(), 15).await else {
            panic!("an upload over the limit is refused");
        };
        assert_eq!(refused.status(), 413);
        assert!(refused.to_string().contains("larger than the import limit of 15 bytes"), "{refused}");
        // Nothing is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the first upload's file");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(200 * 1024 * 1024), "200 MiB");
        assert_eq!(human_bytes(1536 * 1024), "1.5 MiB");
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(64 * 1024), "64 KiB");
        assert_eq!(human_bytes(2000), "2000 bytes", "exact below a MiB");
    }
}
