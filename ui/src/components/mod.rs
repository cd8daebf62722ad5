//! Pieces used by several pages.

pub mod calendar;
pub mod getting_started;
pub mod metrics;
pub mod post_detail;
pub mod problem;
pub mod sandbox_seed;
pub mod schedule_form;
