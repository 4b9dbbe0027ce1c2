pub mod alert;
pub mod form;
pub mod layout;
pub mod live;
pub mod pager;
