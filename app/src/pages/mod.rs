pub mod cities;
pub mod city;
pub mod import;
pub mod login;
pub mod map;
pub mod not_found;
pub mod overview;
pub mod pincodes;
