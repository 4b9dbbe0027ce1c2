//! The live stream (`GET /api/v1/stream`): every change the materializer
//! handles (server-sent events named `change`), how import jobs get on
//! (`import`), and the consumer groups' lag, sampled (`lag`), with keep-alives,
//! until the server stops.
//!
//! Invariant: a session or a token holds at most `per_holder` streams at once,
//! and a stream ends within `recheck` of its session signing out (or ending)
//! or its token being revoked, on whichever instance or command line that
//! happened: each stream asks the store again at that pace.

use std::convert::Infallible;
use std::time::Duration;

use app::domain::error::AppError;
use app::domain::notice::Notice;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Extension;
use futures::Stream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

use super::guard::Credential;
use super::rest::bodies::ErrorBody;
use super::state::AppState;
use crate::error::Error;
use crate::telemetry::metrics::SseClient;

/// Server-sent events, until the server stops: `change` (a `ChangeNotice`:
/// each change the materializer applied or failed), `import` (an `ImportJob`,
/// as its counts move), `lag` (a `LagReport` at each sample, with `alert` set
/// while the materializer has stayed behind too long), `quality` (the
/// findings' `QualitySummary`, when they change), and `resync` (this
/// stream missed some: refetch what you show).
#[utoipa::path(
    get, path = "/api/v1/stream", tag = "live",
    responses(
        (status = 200, description = "The event stream", content_type = "text/event-stream", body = String),
        (status = 429, description = "This session or token holds its most streams already", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn stream(
    State(state): State<AppState>,
    Extension(credential): Extension<Credential>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Error> {
    let streams = state.live_streams.clone();
    let Some(place) = streams.take(credential.holder()) else {
        let message = format!(
            "at most {} live streams at once for one session or token: close a tab or another stream",
            streams.per_holder
        );
        return Err(AppError::TooMany { message, retry_after: streams.recheck.as_secs().max(1) }.into());
    };
    let notices = BroadcastStream::new(state.notices.subscribe()).map(|n| match n {
        Ok(Notice::Change(change)) => Ok(Event::default().event("change").json_data(&change).unwrap_or_default()),
        Ok(Notice::Import(job)) => Ok(Event::default().event("import").json_data(&job).unwrap_or_default()),
        Ok(Notice::Lag(report)) => Ok(Event::default().event("lag").json_data(&report).unwrap_or_default()),
        Ok(Notice::Quality(summary)) => Ok(Event::default().event("quality").json_data(&summary).unwrap_or_default()),
        // A slow subscriber missed some: tell it to refetch what it shows.
        Err(BroadcastStreamRecvError::Lagged(missed)) => Ok(Event::default().event("resync").data(missed.to_string())),
    });
    let mut stopping = state.stopping.subscribe();
    let recheck = streams.recheck;
    let ended = async move {
        let stopped = stopping.wait_for(|stopping| *stopping);
        let revoked = async {
            loop {
                tokio::time::sleep(recheck).await;
                if !credential.still_holds(&state).await {
                    break;
                }
            }
        };
        tokio::select! {
            _ = stopped => {}
            _ = revoked => {}
        }
    };
    // Counted as connected, and in its holder's count, for as long as the stream lives.
    let client = SseClient::connected();
    let notices = futures::StreamExt::take_until(notices, ended).map(move |event| {
        let _ = (&client, &place);
        event
    });
    Ok(Sse::new(notices).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("keep-alive")))
}
