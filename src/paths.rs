//! Where Reachloop keeps its files.

use std::path::PathBuf;

/// Environment variable that overrides the data directory (tests, portable use).
pub const DATA_DIR_ENV: &str = "REACHLOOP_DATA_DIR";

/// The database file name inside the data directory.
pub const DATABASE_FILE: &str = "reachloop.sqlite3";

/// The data directory: `$REACHLOOP_DATA_DIR` when set and non-empty, else the
/// OS data directory (`$XDG_DATA_HOME/reachloop` or `~/.local/share/reachloop`
/// on Linux, `~/Library/Application Support/reachloop` on macOS,
/// `%APPDATA%\reachloop` on Windows).
pub fn data_dir() -> Result<PathBuf, NoDataDir> {
    resolve(
        std::env::var_os(DATA_DIR_ENV).map(PathBuf::from),
        dirs::data_dir(),
    )
}

fn resolve(overridden: Option<PathBuf>, os_default: Option<PathBuf>) -> Result<PathBuf, NoDataDir> {
    match overridden {
        Some(dir) if !dir.as_os_str().is_empty() => Ok(dir),
        _ => os_default.map(|d| d.join("reachloop")).ok_or(NoDataDir),
    }
}

/// Neither the override nor an OS data directory is available.
#[derive(Debug, thiserror::Error)]
#[error("cannot find a data directory: set {DATA_DIR_ENV} or HOME")]
pub struct NoDataDir;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_wins_and_empty_override_is_ignored() {
        let os = Some(PathBuf::from("/home/a/.local/share"));
        assert_eq!(
            resolve(Some("/tmp/x".into()), os.clone()).expect("dir"),
            PathBuf::from("/tmp/x")
        );
        assert_eq!(
            resolve(Some("".into()), os.clone()).expect("dir"),
            PathBuf::from("/home/a/.local/share/reachloop")
        );
        assert_eq!(
            resolve(None, os).expect("dir"),
            PathBuf::from("/home/a/.local/share/reachloop")
        );
        assert!(resolve(None, None).is_err());
    }
}
