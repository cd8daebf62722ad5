//! One module per page.

pub mod accounts;
pub mod activity;
pub mod analytics;
pub mod calendar;
pub mod campaign_detail;
pub mod campaigns;
pub mod optimizer;
pub mod settings;
