//! Reachloop's UI: a Yew app compiled to wasm32 and shown by the Tauri shell.
//!
//! It only sees `reachloop-ipc` types and talks to the shell through
//! `services`. State changes go through reducers in `state`, which are pure
//! and tested natively.

mod app;
mod components;
mod events;
mod local_time;
mod pages;
mod remember;
mod services;
mod state;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
