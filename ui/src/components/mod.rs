//! Pieces used by several pages.

pub mod getting_started;
pub mod problem;
pub mod schedule_form;
