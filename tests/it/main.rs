//! Integration tests of the core against real SQLite files, the real OS
//! keychain and the real CLI binary. One binary, so linking happens once.

mod campaigns;
mod cli;
mod generate;
mod media;
mod meta;
mod oauth;
mod relay;
mod secrets;
mod store;

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};

/// A fixed instant, so tests do not depend on the clock.
pub fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, h, m, 0)
        .single()
        .expect("valid instant")
}

/// A fresh data directory that disappears with the test.
pub fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("reachloop-it-")
        .tempdir()
        .expect("temp dir")
}

pub fn db_path(dir: &Path) -> std::path::PathBuf {
    dir.join(reachloop::paths::DATABASE_FILE)
}

/// A keychain entry of the test's own, removed afterwards.
pub struct TestKeychain(pub reachloop::secrets::OsKeychain);

impl TestKeychain {
    pub fn new(name: &str) -> TestKeychain {
        let service = format!("dev.reachloop.test.{name}.{}", uuid::Uuid::new_v4());
        TestKeychain(reachloop::secrets::OsKeychain::new(&service))
    }
}

impl Drop for TestKeychain {
    fn drop(&mut self) {
        let _ = self.0.delete();
    }
}
