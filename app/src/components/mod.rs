pub mod layout;
pub mod live;
