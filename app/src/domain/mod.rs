//! The pure domain: types and rules shared by the browser and the server. No I/O.

pub mod health;
