pub mod cities;
pub mod login;
pub mod map;
pub mod not_found;
pub mod overview;
