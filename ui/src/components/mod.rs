//! Pieces used by several pages.

pub mod problem;
