//! GeoLedger's UI and its pure domain.
//!
//! This crate compiles twice: for the server (`ssr`), where it renders pages and
//! runs server functions, and for the browser (`hydrate`), where it takes over the
//! server-rendered page. The `domain` module does no I/O and is shared by both, so
//! a rule is written once.

pub mod api;
pub mod components;
pub mod domain;
pub mod format;
pub mod pages;
mod shell;

pub use shell::{shell, App};

/// The browser's entry point: takes over the page the server rendered.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(App);
}
