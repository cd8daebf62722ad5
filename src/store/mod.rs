//! SQLite storage through sqlx. The only module that names sqlx.
//!
//! The database is opened in WAL mode with foreign keys on, and the embedded
//! migrations are applied before anything else touches it.

mod accounts;
mod audit;
mod calendar;
mod campaigns;
mod metrics;
mod optimizer;
mod publishing;
mod schedules;
mod settings;
mod variants;
mod webhooks;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub use accounts::{
    ConnectedAccount, Grant, OAuthSession, RefreshTarget, SealedTokens, TakenSession,
};
pub use audit::{Actor, AuditRecord};
pub use calendar::{Bucket, PlannedRow};
pub use metrics::{ChangeMarks, DuePoll, PostsFilter, Snapshot};
pub use optimizer::{DecisionRow, Evidence, KeyVariant, Maturing, NewDecision, ObservationRow};
pub use publishing::{AttemptStart, ClaimedPost, Finish, Finisher, LeaseHolder, LiveVariant};
pub use schedules::{NewScheduleRow, OverrideRefused, PostOverride};
pub use settings::PUBLISHING_PAUSED;
pub use variants::{NewVariant, Provenance};
pub use webhooks::WebhookAccepted;

/// Storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database {}: {source}", path.display())]
    Open { path: PathBuf, source: sqlx::Error },
    #[error(
        "the database {} was made by a newer version of Reachloop (it has upgrade {version}, \
         which this version does not know); nothing was changed. Update Reachloop to open it.",
        path.display()
    )]
    NewerDatabase { path: PathBuf, version: i64 },
    #[error(
        "another Reachloop process has been setting up {} for over {} s; close it or try again",
        path.display(),
        waited.as_secs()
    )]
    SetupBusy { path: PathBuf, waited: Duration },
    #[error("cannot upgrade the database {}: {source}", path.display())]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },
    #[error("cannot write the backup {}: {reason}", path.display())]
    Backup { path: PathBuf, reason: String },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("the database holds a value this version cannot read: {0}")]
    Corrupt(String),
    #[error("it no longer exists (deleted meanwhile?)")]
    NotFound,
    /// Last write wins only knowingly: the row changed since the editor
    /// read it (its `updated_at`), so nothing was written.
    #[error("this {what} was changed elsewhere (at {at}) since you opened it; nothing was saved. Reload to see the other change, then edit again")]
    Changed { what: &'static str, at: String },
    /// A generation job's output arrived after it stopped running
    /// (cancelled, or taken over): nothing was written.
    #[error("the generation was cancelled or finished elsewhere; its output was not kept")]
    JobNotRunning,
}

/// The file whose exclusive lock serialises opening and migrating.
pub const SETUP_LOCK_FILE: &str = "reachloop.setup.lock";
/// How long a process waits for another to finish setting up.
const SETUP_LOCK_WAIT: Duration = Duration::from_secs(60);

/// How every connection is opened: WAL, foreign keys on, and a wait (not a
/// failure) while another process writes.
fn connect_options(path: &Path) -> Result<SqliteConnectOptions, StoreError> {
    Ok(SqliteConnectOptions::from_str("sqlite://")
        .map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(15)))
}

/// Creates `path` new, empty and private (0600 on Unix), refusing anything
/// already there, a link included.
fn create_private_new(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // create_new is O_CREAT | O_EXCL; O_NOFOLLOW says "no link" outright.
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

fn is_a_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Whether `path` (not following a link) is the open `file`.
fn is_same_file(file: &std::fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::symlink_metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
    }
}

/// Takes the set-up lock, waiting up to `wait` for another process.
async fn setup_lock(path: &Path, wait: Duration) -> Result<std::fs::File, StoreError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|source| StoreError::CreateDir {
            path: path.to_path_buf(),
            source,
        })?;
    let started = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::SetupBusy {
                    path: path.to_path_buf(),
                    waited: wait,
                })
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(StoreError::CreateDir {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
    }
}

/// A handle on Reachloop's database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// This process's writers take turns here before SQLite's write lock:
    /// a writer that finds the lock taken polls it in SQLite's busy
    /// handler (sleeping 1, 2, 5, 10 ms...), while one queued here starts
    /// the moment the one before commits. Other processes (the agent
    /// beside the app) still meet at the lock and its busy timeout.
    writers: Arc<tokio::sync::Mutex<()>>,
}

/// A transaction holding SQLite's write lock and this process's turn to
/// write ([`Store::write_tx`]). Derefs to its connection: `&mut *tx`
/// executes in it; dropped without [`WriteTx::commit`] it rolls back.
pub(crate) struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl WriteTx {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::SqliteConnection;

    fn deref(&self) -> &sqlx::SqliteConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.tx
    }
}

impl Store {
    /// A transaction that takes SQLite's write lock at once (`BEGIN
    /// IMMEDIATE`). A deferred one that reads and then writes fails with
    /// "database is locked" when another connection (the agent, the
    /// publisher) wrote in between, whatever the busy timeout: in WAL mode
    /// its snapshot is stale and cannot be upgraded. Every writing
    /// transaction here starts this way and waits its turn instead.
    pub(crate) async fn write_tx(&self) -> Result<WriteTx, sqlx::Error> {
        let turn = self.writers.clone().lock_owned().await;
        Ok(WriteTx {
            tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
            _turn: turn,
        })
    }

    /// Opens (creating if needed) the database in `data_dir` and migrates it.
    /// The directory is kept private ([`crate::paths::ensure_private_dir`]).
    /// Processes starting together on a new data directory (the app and
    /// the CLI, say) take turns: an exclusive lock on a file beside the
    /// database is held around opening and migrating.
    pub async fn open_in(data_dir: &Path) -> Result<Store, StoreError> {
        crate::paths::ensure_private_dir(data_dir).map_err(|source| StoreError::CreateDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let lock_path = data_dir.join(SETUP_LOCK_FILE);
        let lock = setup_lock(&lock_path, SETUP_LOCK_WAIT).await?;
        let opened = Store::open(&data_dir.join(crate::paths::DATABASE_FILE)).await;
        drop(lock);
        opened
    }

    /// Opens (creating if needed) the database file at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let options = connect_options(path)?;
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        if let Err(source) = sqlx::migrate!("./migrations").run(&pool).await {
            pool.close().await;
            return Err(match source {
                // Checked before anything is applied: nothing changed.
                sqlx::migrate::MigrateError::VersionMissing(version) => StoreError::NewerDatabase {
                    path: path.to_path_buf(),
                    version,
                },
                source => StoreError::Migrate {
                    path: path.to_path_buf(),
                    source,
                },
            });
        }
        Ok(Store {
            pool,
            writers: Arc::default(),
        })
    }

    /// Opens `path` migrated only up to `version`: for tests of a migration
    /// on data an older Reachloop wrote.
    #[doc(hidden)]
    pub async fn open_at_version(path: &Path, version: i64) -> Result<Store, StoreError> {
        let options = connect_options(path)?;
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        let all = sqlx::migrate!("./migrations");
        let older = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(
                all.iter()
                    .filter(|m| m.version <= version)
                    .cloned()
                    .collect(),
            ),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        older
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Store {
            pool,
            writers: Arc::default(),
        })
    }

    /// Checkpoints the WAL into the database file and closes every
    /// connection, so the file alone is a complete copy after a clean exit.
    pub async fn close(self) {
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            tracing::warn!("cannot checkpoint the database before closing: {e}");
        }
        self.pool.close().await;
    }

    /// Writes a consistent copy of the whole database to `target` (a new
    /// file), while the app may keep using it: SQLite's `VACUUM INTO`.
    ///
    /// The file is made here first, empty, readable by the owner only
    /// (0600) and only if nothing is at that name, not even a link
    /// (`O_CREAT | O_EXCL | O_NOFOLLOW`); `VACUUM INTO` then fills it (it
    /// takes a new or empty file, and keeps an existing file's mode). The
    /// copy holds sealed tokens and everything the user wrote, so it is
    /// never made with the umask's mode, nor written through a link
    /// planted at its name.
    pub async fn backup_to(&self, target: &Path) -> Result<(), StoreError> {
        let failed = |reason: String| StoreError::Backup {
            path: target.to_path_buf(),
            reason,
        };
        let text = target
            .to_str()
            .ok_or_else(|| failed("the path is not UTF-8".into()))?;
        let file = create_private_new(target).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                failed("it already exists; choose a new file for the backup".into())
            }
            _ if is_a_link(target) => {
                failed("a link is at that name; choose a new file for the backup".into())
            }
            _ => failed(e.to_string()),
        })?;
        if let Err(e) = sqlx::query("VACUUM INTO ?")
            .bind(text)
            .execute(&self.pool)
            .await
        {
            // Only the empty file made above goes; a retry can use the name.
            if file.metadata().is_ok_and(|m| m.len() == 0) && is_same_file(&file, target) {
                let _ = std::fs::remove_file(target);
            }
            return Err(e.into());
        }
        // SQLite opens the file by name: make sure it filled the one made here.
        if !is_same_file(&file, target) || !file.metadata().is_ok_and(|m| m.len() > 0) {
            return Err(failed(
                "the file was replaced while the backup was written; check the folder and try again"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The journal mode SQLite reports (expected: `wal`).
    pub async fn journal_mode(&self) -> Result<String, StoreError> {
        Ok(sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Whether foreign keys are enforced on a pooled connection (expected: true).
    pub async fn foreign_keys_enabled(&self) -> Result<bool, StoreError> {
        let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&self.pool)
            .await?;
        Ok(on == 1)
    }

    /// The seeded provider identifiers, sorted.
    pub async fn provider_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT id FROM providers ORDER BY id")
            .fetch_all(&self.pool)
            .await?)
    }

    /// Runs raw SQL; for tests of the schema's own constraints.
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<u64, StoreError> {
        Ok(sqlx::query(sql).execute(&self.pool).await?.rows_affected())
    }

    /// Runs a raw query returning one integer; for tests of the schema.
    #[doc(hidden)]
    pub async fn scalar_raw(&self, sql: &str) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(sql).fetch_one(&self.pool).await?)
    }
}
