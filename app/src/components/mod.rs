//! Pieces of pages: the frame, the live stream, the forms, the map, paging.

pub mod alert;
pub mod city_form;
pub mod export_links;
pub mod form;
pub mod history;
pub mod import;
pub mod kafka;
pub mod layout;
pub mod live;
pub mod map;
pub mod map_search;
pub mod offices;
pub mod pager;
pub mod pincode_form;
pub mod quality_layer;
pub mod whats_here;
