//! One module per page.

pub mod accounts;
pub mod activity;
pub mod campaigns;
pub mod settings;
pub mod upcoming;
