//! The pure domain: types and rules shared by the browser and the server. No I/O.

pub mod activity;
pub mod changes;
pub mod city;
pub mod dead_letter;
pub mod error;
pub mod event;
pub mod export;
pub mod fold;
pub mod geo;
pub mod health;
pub mod history;
pub mod import;
pub mod kafka;
pub mod lookup;
pub mod map;
pub mod names;
pub mod notice;
pub mod pincode;
pub mod quality;
pub mod revert;
pub mod schema;
pub mod sign_in;
pub mod slug;
pub mod state;
pub mod validation;
pub mod write;
