//! Where Reachloop keeps its files.

use std::path::{Path, PathBuf};

/// Environment variable that overrides the data directory (tests, portable use).
pub const DATA_DIR_ENV: &str = "REACHLOOP_DATA_DIR";

/// The database file name inside the data directory.
pub const DATABASE_FILE: &str = "reachloop.sqlite3";

/// The folders Reachloop makes in its data directory (besides its
/// `reachloop.*` files): media, publishers' lock files, the window's storage.
const OWN_FOLDERS: [&str; 3] = ["media", "publishers", "webview"];

/// What file managers leave in any folder they show.
#[cfg(unix)]
const OS_NOTES: [&str; 5] = [
    ".DS_Store",
    ".directory",
    ".localized",
    "Thumbs.db",
    "desktop.ini",
];

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
/// anyone else. A folder that holds other things keeps its read bits,
/// with a warning, but never others' write bits. When tightening fails (not the owner, a file
/// system without Unix modes) Reachloop says so in the log and goes on.
/// Elsewhere the OS's per-user data directory already keeps others out.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        // Judged and changed through one handle, opened without following
        // a link put in its place since it was resolved: the mode changed
        // is the mode of the folder looked at. (A data directory given as a
        // link is resolved first, and used.)
        let real = std::fs::canonicalize(dir)?;
        let handle = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
            .open(&real)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ENOTDIR) | Some(libc::ELOOP) => std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "it exists and is not a directory",
                ),
                _ => e,
            })?;
        let mode = handle.metadata()?.permissions().mode() & 0o777;
        if mode & 0o077 == 0 {
            return Ok(());
        }
        // Only a folder that holds nothing but Reachloop's own files (and
        // the file managers' notes) is closed to others entirely:
        // `REACHLOOP_DATA_DIR` pointed at a shared folder is the user's to
        // fix. Writing by others is taken away in any case: it would let
        // them swap the database.
        let ours = std::fs::read_dir(&real).is_ok_and(|entries| {
            entries.flatten().all(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("reachloop.")
                    || OWN_FOLDERS.contains(&name.as_ref())
                    || OS_NOTES.contains(&name.as_ref())
            })
        });
        let wanted = match ours {
            true => mode & 0o700,
            false => mode & !0o022,
        };
        if !ours {
            tracing::warn!(
                dir = %dir.display(),
                "the data directory is open to others (mode {mode:o}) and holds other files: \
                 only others' writing is taken away; point {DATA_DIR_ENV} at a folder of Reachloop's own"
            );
        }
        if wanted != mode {
            match handle.set_permissions(std::fs::Permissions::from_mode(wanted)) {
                Ok(()) => tracing::info!(
                    dir = %dir.display(),
                    "the data directory was open to others (mode {mode:o}); it is now {wanted:o}"
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

/// Creates `dir` (and its missing parents) readable by its owner only on
/// Unix: the folders inside the data directory (media) are private on their
/// own, not only through the data directory's mode.
pub fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
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
