//! `GET /metrics` (the Prometheus text format), and the layers that count
//! every HTTP request by its matched route: the route layer notes which route
//! answered (axum knows it only once it has routed), the outer layer times the
//! whole answer and counts it. Static files count as `static`, anything else
//! no route matched as `unmatched`, so a scan of random paths cannot grow the
//! label set.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::state::AppState;
use crate::telemetry::metrics;

/// Every metric, as Prometheus scrapes it. The quality gauges are read from
/// the index at the scrape, so they are never behind the findings.
pub async fn render(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(handle) => {
            for rule in state.index.quality_summary().rules {
                metrics::quality_findings(rule.id.id(), rule.open, rule.accepted);
            }
            handle.run_upkeep();
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
        }
        None => (StatusCode::SERVICE_UNAVAILABLE, "metrics are off in this process").into_response(),
    }
}

/// The route that answered, noted on the answer for [`count`].
#[derive(Clone)]
struct Route(MatchedPath);

/// Inside the router: notes the matched route on the answer.
pub async fn note_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Around everything: times and counts the answer, by method, route and status.
pub async fn count(request: Request, next: Next) -> Response {
    let (method, started) = (request.method().clone(), Instant::now());
    let response = next.run(request).await;
    let status = response.status();
    let route = match response.extensions().get::<Route>() {
        Some(route) => route.0.as_str(),
        None if status.is_success() || status == StatusCode::NOT_MODIFIED => "static",
        None => "unmatched",
    };
    metrics::http_request(method.as_str(), route, status.as_u16(), started.elapsed());
    response
}
