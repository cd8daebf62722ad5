//! Where Reachloop keeps its files.

use std::path::{Path, PathBuf};

/// Environment variable that overrides the data directory (tests, portable use).
pub const DATA_DIR_ENV: &str = "REACHLOOP_DATA_DIR";

/// The database file name inside the data directory.
pub const DATABASE_FILE: &str = "reachloop.sqlite3";

/// The folders Reachloop makes in its data directory (besides its
/// `reachloop.*` files): media, publishers' lock files, the window's storage.
const OWN_FOLDERS: [&str; 3] = ["media", "publishers", "webview"];

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

/// Creates the data directory `dir` if needed (its parents as usual) and
/// keeps it private: on Unix it is made 0700, and an existing one of
/// Reachloop's (holding nothing but Reachloop's own files) that others may read or
/// enter (a data directory made before Reachloop did this, with the
/// umask's 0755) is tightened to the owner's bits, since it holds the
/// database, media and the window's storage and nothing in it is meant for
/// anyone else. A folder that holds other things is left alone, with a
/// warning. When tightening fails (not the owner, a file
/// system without Unix modes) Reachloop says so in the log and goes on.
/// Elsewhere the OS's per-user data directory already keeps others out.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        let meta = std::fs::metadata(dir)?;
        if !meta.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "it exists and is not a directory",
            ));
        }
        let mode = meta.permissions().mode() & 0o777;
        // Only a folder that holds nothing but Reachloop's own files is
        // tightened: `REACHLOOP_DATA_DIR` pointed at a shared folder is the
        // user's to fix, not ours to close to others.
        let ours = std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().all(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("reachloop.") || OWN_FOLDERS.contains(&name.as_ref())
            })
        });
        if mode & 0o077 != 0 && !ours {
            tracing::warn!(
                dir = %dir.display(),
                "the data directory is open to others (mode {mode:o}) and holds other files: \
                 it is left as it is; point {DATA_DIR_ENV} at a folder of Reachloop's own"
            );
        } else if mode & 0o077 != 0 {
            let private = std::fs::Permissions::from_mode(mode & 0o700);
            match std::fs::set_permissions(dir, private) {
                Ok(()) => tracing::info!(
                    dir = %dir.display(),
                    "the data directory was open to others (mode {mode:o}); it is now private"
                ),
                Err(e) => tracing::warn!(
                    dir = %dir.display(),
                    "the data directory is open to others (mode {mode:o}) and cannot be made private: {e}"
                ),
            }
        }
        Ok(())
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
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
