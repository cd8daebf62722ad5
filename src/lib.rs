//! Reachloop's core: everything the app does, with no window attached.
//!
//! The desktop shell (`src-tauri/`) and the headless CLI (`src/bin/`) are both
//! thin layers over this crate. Nothing here names Tauri or Yew.

pub mod ai;
pub mod analytics;
pub mod app;
pub mod background;
pub mod body;
pub mod campaigns;
pub mod collect;
pub mod error;
pub mod generate;
pub mod media;
pub mod oauth;
pub mod optimizer;
pub mod paths;
pub mod platforms;
pub mod publish;
pub mod rules;
pub mod schedule;
pub mod secrets;
pub mod store;
pub mod text;
pub mod time;
pub mod webhooks;

pub use app::App;
pub use error::Error;
