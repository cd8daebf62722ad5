//! Pieces used by several pages.

pub mod account_name;
pub mod analytics_filter;
pub mod calendar;
pub mod figures_table;
pub mod getting_started;
pub mod heatmap;
pub mod kpi;
pub mod metrics;
pub mod optimizer_panel;
pub mod platform_notes;
pub mod post_detail;
pub mod post_history;
pub mod problem;
pub mod sandbox_seed;
pub mod schedule_form;
pub mod variant_card;
