//! The live stream (`GET /api/v1/stream`): every change the materializer
//! handles, as server-sent events named `change`, with keep-alives.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

use super::state::AppState;

pub async fn stream(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let notices = BroadcastStream::new(state.notices.subscribe()).map(|n| match n {
        Ok(notice) => Ok(Event::default().event("change").json_data(&notice).unwrap_or_default()),
        // A slow subscriber missed some: tell it to refetch what it shows.
        Err(BroadcastStreamRecvError::Lagged(missed)) => Ok(Event::default().event("resync").data(missed.to_string())),
    });
    Sse::new(notices).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("keep-alive"))
}
