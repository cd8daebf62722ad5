//! One module per command group, each with its clap arguments and its
//! handler (as cargo's `src/bin/cargo/commands/`).

pub(crate) mod accounts;
pub(crate) mod agent;
pub(crate) mod backup;
pub(crate) mod bench;
pub(crate) mod campaigns;
pub(crate) mod optimizer;
pub(crate) mod posts;
pub(crate) mod report;
pub(crate) mod sandbox;
pub(crate) mod schedules;
pub(crate) mod variants;
