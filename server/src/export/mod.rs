//! Exports: every city or pincode of a filter, streamed, stating the Kafka
//! positions the file is consistent with (`app::domain::export`).
//!
//! Invariant: the offsets are read first, from the materializer's group: an
//! offset is committed only after its event was applied and taken into the
//! index (`pipeline::materializer`), so every event before them is in the
//! index and the store when the rows are read, after. A row read later may
//! hold a newer event; its own `position` says so, and a follower skips what
//! it holds. With several instances, an event another instance applied
//! reaches this one's index a moment later (the notices topic): an export
//! served in that moment may lack a city created in it.
//!
//! Memory stays flat: the ids come from the in-memory index a page at a
//! time, each page is read from the store by `_id` (one `$in`), written out
//! and dropped. A reader task runs one page ahead of the client.
//!
//! - `rows`: the bytes of each format, pure.

mod rows;

use std::future::Future;
use std::sync::Arc;

use app::domain::city::City;
use app::domain::event::Stream;
use app::domain::export::{ExportKind, ExportQuery};
use app::domain::history::EventAt;
use app::domain::pincode::Pincode;
use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::mpsc;

pub use self::rows::{Encoder, ExportRow};
use crate::error::Error;
use crate::index::{CityListing, ReadIndex};
use crate::pipeline::{GroupPosition, Kafka};
use crate::store::Store;

/// Rows read from the store at once (one `$in`).
const PAGE: usize = 2000;
/// Pages read from the store at the same time (the store answers each `$in`
/// on one thread; measured in bench/history).
const READS_AT_ONCE: usize = 4;

#[derive(Clone)]
pub struct Exporter {
    kafka: Arc<Kafka>,
    position: GroupPosition,
    index: Arc<ReadIndex>,
    store: Store,
}

/// An export under way: its offsets, known before any row, then its bytes.
pub struct Export {
    pub offsets: Vec<EventAt>,
    /// Each piece of the file; an error ends it unfinished (the client sees
    /// the download fail, never a short file that looks whole).
    pub body: mpsc::Receiver<Result<Bytes, std::io::Error>>,
}

impl Exporter {
    pub fn new(kafka: Arc<Kafka>, index: Arc<ReadIndex>, store: Store) -> Result<Self, Error> {
        let position = GroupPosition::new(&kafka)?;
        Ok(Exporter { kafka, position, index, store })
    }

    /// Starts an export of `kind`: its offsets are read now (an error if
    /// Kafka cannot say them), its rows as the client takes them.
    pub async fn start(&self, kind: ExportKind, query: ExportQuery) -> Result<Export, Error> {
        let stream = match kind {
            ExportKind::Cities => Stream::City,
            ExportKind::Pincodes => Stream::Pincode,
        };
        let topic = self.kafka.topic(stream);
        let offsets: Vec<EventAt> = self
            .position
            .whole_topic(&topic)
            .await?
            .into_iter()
            .map(|(partition, offset)| EventAt { topic: topic.clone(), partition, offset })
            .collect();
        let (tx, body) = mpsc::channel(2);
        let (index, store, head) = (self.index.clone(), self.store.clone(), offsets.clone());
        tokio::spawn(async move {
            let written = match kind {
                ExportKind::Cities => write_all(tx, &head, &query, &topic, Cities(index, store)).await,
                ExportKind::Pincodes => write_all(tx, &head, &query, &topic, Pincodes(index, store)).await,
            };
            match written {
                Ok(rows) => tracing::info!(kind = kind.name(), format = query.format.name(), rows, "exported"),
                Err(reason) => tracing::warn!(kind = kind.name(), %reason, "an export ended unfinished"),
            }
        });
        Ok(Export { offsets, body })
    }
}

/// Where the rows of one kind come from: their ids from the index, a page
/// at a time, then the rows themselves from the store by id.
trait Source: Send + 'static {
    type Row: ExportRow + Send;
    /// The ids of the page after `after` (the last id of the page before).
    fn ids(&self, query: &ExportQuery, after: Option<&str>) -> Vec<String>;
    /// The rows with these ids, in their order, each with its position.
    fn read(&self, ids: Vec<String>) -> impl Future<Output = Read<Self::Row>> + Send + 'static;
}

type Positioned<R> = (R, Option<(i32, i64)>);
type Read<R> = mongodb::error::Result<Vec<Positioned<R>>>;

struct Cities(Arc<ReadIndex>, Store);

impl Source for Cities {
    type Row = City;

    fn ids(&self, query: &ExportQuery, after: Option<&str>) -> Vec<String> {
        let listing = CityListing {
            state: query.state,
            include_deleted: query.include_deleted,
            cursor: after.map(str::to_string),
            limit: PAGE,
            ..CityListing::default()
        };
        self.0.city_page(&listing).into_iter().map(|(id, _)| id).collect()
    }

    fn read(&self, ids: Vec<String>) -> impl Future<Output = Read<City>> + Send + 'static {
        let store = self.1.clone();
        async move { store.cities_at(&ids).await }
    }
}

struct Pincodes(Arc<ReadIndex>, Store);

impl Source for Pincodes {
    type Row = Pincode;

    fn ids(&self, query: &ExportQuery, after: Option<&str>) -> Vec<String> {
        self.0.pincode_export_page(query.state, query.include_deleted, after, PAGE)
    }

    fn read(&self, ids: Vec<String>) -> impl Future<Output = Read<Pincode>> + Send + 'static {
        let store = self.1.clone();
        async move { store.pincodes_at(&ids).await }
    }
}

/// Writes the whole file into `tx`: the rows written, or why it stopped
/// (the client went away, or the store failed: then an error ends the body).
async fn write_all<S: Source>(
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    offsets: &[EventAt],
    query: &ExportQuery,
    topic: &str,
    source: S,
) -> Result<u64, String> {
    let gone = |_| "the client went away".to_string();
    let mut encoder = Encoder::new(query.format);
    tx.send(Ok(encoder.head::<S::Row>(offsets).into())).await.map_err(gone)?;
    // The pages' ids, from the index, each page after the last id of the one before.
    let pages = futures::stream::unfold(Some(None::<String>), |after| {
        let ids = after.map(|after| source.ids(query, after.as_deref())).filter(|ids| !ids.is_empty());
        async move {
            let ids = ids?;
            let next = (ids.len() == PAGE).then(|| ids.last().cloned());
            Some((ids, next))
        }
    });
    // Their rows from the store, a few pages read at once, in order.
    let mut reads = std::pin::pin!(pages.map(|ids| source.read(ids)).buffered(READS_AT_ONCE));
    while let Some(read) = reads.next().await {
        let rows = match read {
            Ok(rows) => rows,
            Err(e) => {
                let reason = format!("MongoDB: {e}");
                let _ = tx.send(Err(std::io::Error::other(reason.clone()))).await;
                return Err(reason);
            }
        };
        let at = |(p, o): (i32, i64)| EventAt { topic: topic.to_string(), partition: p, offset: o };
        let rows: Vec<(S::Row, Option<EventAt>)> = rows.into_iter().map(|(row, pos)| (row, pos.map(at))).collect();
        tx.send(Ok(encoder.rows(&rows).into())).await.map_err(gone)?;
    }
    tx.send(Ok(encoder.tail().into())).await.map_err(gone)?;
    Ok(encoder.written)
}
