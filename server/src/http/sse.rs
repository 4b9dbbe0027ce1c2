//! The live stream (`GET /api/v1/stream`): every change the materializer
//! handles (server-sent events named `change`), how import jobs get on
//! (`import`), and the consumer groups' lag, sampled (`lag`), with keep-alives,
//! until the server stops.

use std::convert::Infallible;
use std::time::Duration;

use app::domain::notice::Notice;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

use super::state::AppState;
use crate::telemetry::metrics::SseClient;

pub async fn stream(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let notices = BroadcastStream::new(state.notices.subscribe()).map(|n| match n {
        Ok(Notice::Change(change)) => Ok(Event::default().event("change").json_data(&change).unwrap_or_default()),
        Ok(Notice::Import(job)) => Ok(Event::default().event("import").json_data(&job).unwrap_or_default()),
        Ok(Notice::Lag(report)) => Ok(Event::default().event("lag").json_data(&report).unwrap_or_default()),
        // A slow subscriber missed some: tell it to refetch what it shows.
        Err(BroadcastStreamRecvError::Lagged(missed)) => Ok(Event::default().event("resync").data(missed.to_string())),
    });
    let mut stopping = state.stopping.subscribe();
    let stopped = async move {
        let _ = stopping.wait_for(|stopping| *stopping).await;
    };
    // Counted as connected for as long as the stream lives.
    let client = SseClient::connected();
    let notices = futures::StreamExt::take_until(notices, stopped).map(move |event| {
        let _ = &client;
        event
    });
    Sse::new(notices).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("keep-alive"))
}
