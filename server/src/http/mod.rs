//! The HTTP surface, the only room that knows axum and Leptos's server side:
//!
//! - `router`: every route, and the layers around them (sessions, the guard, tracing);
//! - `guard`: who may pass: pages need a session, server functions the same
//!   origin, the REST API a token (or a session, to read);
//! - `headers`: the security headers on every answer (the page's CSP nonce);
//! - `limits`: how much a server function's request may send;
//! - `rest`: the REST API's handlers (`/api/v1`), for scripts, and their bodies;
//! - `openapi`: the REST API's OpenAPI document, made from `rest`, and its viewer;
//! - `schemas`: the events' Avro schemas, served where each event's `dataschema` points;
//! - `sse`: the live stream of applied changes;
//! - `streams`: how many live streams each session and token holds;
//! - `health`: `/healthz`, `/readyz` and the Kafka check;
//! - `metrics`: `/metrics`, and the layers counting requests by route;
//! - `ledger`: the server functions' port (`app::api::ssr::Ledger`), implemented;
//! - `error`: how a failure becomes an answer, and where it is logged;
//! - `state`: the one state everything above shares.
//!
//! Every door is thin: authenticate, call one service function, answer.

mod error;
mod guard;
mod headers;
mod health;
mod ledger;
mod limits;
mod metrics;
pub mod openapi;
mod rest;
mod router;
mod schemas;
mod sse;
mod state;
mod streams;

pub use router::router;
pub use state::AppState;
