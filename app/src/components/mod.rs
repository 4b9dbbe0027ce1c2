pub mod alert;
pub mod layout;
pub mod live;
pub mod pager;
