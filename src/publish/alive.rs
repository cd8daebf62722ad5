//! Whether a publisher named in the database is still running: each
//! publisher holds an exclusive OS lock on its own file in the data
//! directory's `publishers/` folder for as long as its process lives. The
//! OS drops the lock when the process ends, however it ends (a crash, a
//! SIGKILL, a power cut), so a lock that can be taken names a publisher
//! that is gone: its claims and its lease need not be waited out.
//!
//! A holder without a file (an older build, a test publisher in another
//! process's memory) is taken to be alive: its claims run out as before.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The folder of the data directory where publishers keep their locks.
pub const FOLDER: &str = "publishers";

/// The locks this process holds, by holder (kept open until it ends).
#[derive(Debug, Clone, Default)]
pub struct Liveness {
    held: Arc<Mutex<HashMap<String, File>>>,
}

/// What the lock file of a holder says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alive {
    /// Its process holds its lock.
    Yes,
    /// Its lock is free: the process that held it has ended.
    Gone,
    /// No lock file: nothing is known, wait for its leases.
    Unknown,
}

fn file_of(data_dir: &Path, holder: &str) -> PathBuf {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(holder.as_bytes());
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    data_dir.join(FOLDER).join(format!("{name}.lock"))
}

impl Liveness {
    /// Makes sure this process holds `holder`'s lock (once per holder).
    pub fn hold(&self, data_dir: &Path, holder: &str) -> std::io::Result<()> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.contains_key(holder) {
            return Ok(());
        }
        let path = file_of(data_dir, holder);
        if let Some(dir) = path.parent() {
            private_dir(dir)?;
        }
        let mut file =
            no_follow(OpenOptions::new().create(true).truncate(false).write(true)).open(&path)?;
        file.try_lock().map_err(|e| match e {
            std::fs::TryLockError::WouldBlock => std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("another process publishes as {holder}"),
            ),
            std::fs::TryLockError::Error(e) => e,
        })?;
        // Who it is, for a person looking at the folder: best effort, the
        // lock is what counts and is kept whatever this write does (a lock
        // dropped here would leave a file that says "gone" of a live
        // publisher).
        let _ = file
            .set_len(0)
            .and_then(|()| writeln!(file, "{holder} pid {}", std::process::id()));
        held.insert(holder.to_string(), file);
        Ok(())
    }

    /// Whether `holder` runs, as its lock file says. A holder of this
    /// process is alive without asking the OS.
    pub fn check(&self, data_dir: &Path, holder: &str) -> Alive {
        if self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(holder)
        {
            return Alive::Yes;
        }
        let path = file_of(data_dir, holder);
        // Only a plain file of ours: a link is never taken for a lock.
        let Ok(file) = no_follow(OpenOptions::new().write(true)).open(&path) else {
            return Alive::Unknown;
        };
        match file.try_lock() {
            Ok(()) => {
                // Gone; the file goes too (unlocked when `file` drops).
                let _ = std::fs::remove_file(&path);
                Alive::Gone
            }
            Err(std::fs::TryLockError::WouldBlock) => Alive::Yes,
            Err(std::fs::TryLockError::Error(_)) => Alive::Unknown,
        }
    }

    /// Lets `holder`'s lock go (a clean stop).
    pub fn release(&self, data_dir: &Path, holder: &str) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.remove(holder).is_some() {
            let _ = std::fs::remove_file(file_of(data_dir, holder));
        }
    }
}

/// `options` refusing to open through a symbolic link (Unix).
fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options
}

/// The publishers' folder, readable by this user only (Unix).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_alive_a_dropped_one_gone_and_a_missing_one_unknown() {
        let dir = tempfile::tempdir().expect("dir");
        let mine = Liveness::default();
        mine.hold(dir.path(), "agent-1").expect("hold");
        // Another process's view: a second Liveness holds nothing.
        let other = Liveness::default();
        assert_eq!(other.check(dir.path(), "agent-1"), Alive::Yes);
        assert_eq!(mine.check(dir.path(), "agent-1"), Alive::Yes);
        assert_eq!(other.check(dir.path(), "agent-2"), Alive::Unknown);
        // The holder ends without a word (its locks go with it).
        drop(mine);
        assert_eq!(other.check(dir.path(), "agent-1"), Alive::Gone);
        // Reaped once: the file is gone, nothing more is known.
        assert_eq!(other.check(dir.path(), "agent-1"), Alive::Unknown);
    }

    #[test]
    #[cfg(unix)]
    fn a_link_in_place_of_a_lock_file_is_never_taken_for_a_gone_publisher() {
        let dir = tempfile::tempdir().expect("dir");
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, "x").expect("file");
        let path = file_of(dir.path(), "agent-9");
        std::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
        std::os::unix::fs::symlink(&elsewhere, &path).expect("link");
        assert_eq!(
            Liveness::default().check(dir.path(), "agent-9"),
            Alive::Unknown
        );
        assert!(path.exists() && elsewhere.exists());
    }

    #[test]
    fn a_holder_cannot_be_held_twice_and_a_clean_stop_removes_its_file() {
        let dir = tempfile::tempdir().expect("dir");
        let one = Liveness::default();
        one.hold(dir.path(), "app-1").expect("hold");
        let two = Liveness::default();
        assert!(two.hold(dir.path(), "app-1").is_err());
        one.release(dir.path(), "app-1");
        assert_eq!(two.check(dir.path(), "app-1"), Alive::Unknown);
    }
}
