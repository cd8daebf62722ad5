//! The schema and the store, on real SQLite files.

use reachloop::store::{Actor, Store, StoreError};
use reachloop::{App, Error};
use reachloop_ipc::{CampaignStatus, Goal, NewCampaign, Platform};
use uuid::Uuid;

use crate::{at, data_dir, db_path};

fn new_campaign(name: &str) -> NewCampaign {
    NewCampaign {
        name: name.into(),
        prompt: "Launch the spring range".into(),
        platforms: vec!["x".into(), "instagram".into()],
        goal: "engagement".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn opens_in_wal_mode_with_foreign_keys_and_seeded_providers() {
    let dir = data_dir();
    let store = Store::open_in(dir.path()).await.expect("open");
    assert_eq!(store.journal_mode().await.expect("pragma"), "wal");
    assert!(store.foreign_keys_enabled().await.expect("pragma"));
    assert_eq!(
        store.provider_ids().await.expect("providers"),
        ["facebook", "instagram", "sandbox", "tiktok", "x", "youtube"]
    );
    assert!(db_path(dir.path()).is_file());
}

#[tokio::test]
async fn creates_missing_data_dir_and_reports_unusable_one() {
    let dir = data_dir();
    let nested = dir.path().join("a/b/c");
    Store::open_in(&nested)
        .await
        .expect("nested dirs are created");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").expect("write");
    match Store::open_in(&file).await {
        Err(StoreError::CreateDir { path, .. }) => assert_eq!(path, file),
        other => panic!("expected CreateDir, got {other:?}"),
    }
}

#[tokio::test]
async fn campaigns_survive_reopening_and_list_newest_first() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let first = app
        .create_campaign(
            at(9, 0),
            Uuid::new_v4(),
            Actor::User,
            &new_campaign("First"),
        )
        .await
        .expect("create");
    assert_eq!(first.status, CampaignStatus::Draft);
    assert_eq!(first.goal, Goal::Engagement);
    assert_eq!(first.platforms, vec![Platform::X, Platform::Instagram]);
    assert_eq!(first.created_at, "2026-11-26T09:00:00.000Z");
    app.create_campaign(
        at(10, 0),
        Uuid::new_v4(),
        Actor::User,
        &new_campaign("Second"),
    )
    .await
    .expect("create");
    app.store().clone().close().await;

    let reopened = App::open(dir.path()).await.expect("reopen");
    let names: Vec<String> = reopened
        .list_campaigns()
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["Second", "First"]);
    let audit = reopened.recent_audit(10).await.expect("audit");
    assert_eq!(audit.len(), 2);
    assert!(audit
        .iter()
        .all(|e| e.action == "campaign.created" && e.actor == "user"));
    assert!(audit[0].details.contains("\"Second\""));
}

#[tokio::test]
async fn invalid_campaign_writes_nothing() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let err = app
        .create_campaign(at(9, 0), Uuid::new_v4(), Actor::User, &new_campaign("  "))
        .await
        .expect_err("empty name");
    assert!(matches!(err, Error::Validation(_)));
    assert_eq!(err.code(), "validation");
    assert_eq!(err.fields()[0].field, "name");
    assert!(app.list_campaigns().await.expect("list").is_empty());
    assert!(app.recent_audit(10).await.expect("audit").is_empty());
}

#[tokio::test]
async fn publishing_pause_is_persisted_and_audited() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    assert!(!app.status().await.expect("status").publishing_paused);
    app.set_publishing_paused(at(9, 0), Actor::User, true)
        .await
        .expect("pause");
    app.store().clone().close().await;
    let app = App::open(dir.path()).await.expect("reopen");
    assert!(app.status().await.expect("status").publishing_paused);
    app.set_publishing_paused(at(9, 5), Actor::User, false)
        .await
        .expect("resume");
    assert!(!app.status().await.expect("status").publishing_paused);
    let actions: Vec<String> = app
        .recent_audit(10)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["publishing.resumed", "publishing.paused"]);
}

/// Seeds one campaign with a variant, an account and a schedule, for the
/// constraint tests below.
async fn seeded() -> (tempfile::TempDir, Store) {
    let dir = data_dir();
    let store = Store::open_in(dir.path()).await.expect("open");
    for sql in [
        "INSERT INTO campaigns (id, name, goal, created_at, updated_at) VALUES ('c1', 'C', 'reach', 't', 't')",
        "INSERT INTO campaign_platforms (campaign_id, provider_id) VALUES ('c1', 'x')",
        "INSERT INTO social_accounts (id, provider_id, external_id, handle, created_at, updated_at)
         VALUES ('a1', 'x', '42', '@me', 't', 't')",
        "INSERT INTO variants (id, campaign_id, provider_id, body, source, created_at, updated_at)
         VALUES ('v1', 'c1', 'x', 'hello', 'manual', 't', 't')",
        "INSERT INTO schedules (id, campaign_id, kind, cron_expr, time_zone, created_at, updated_at)
         VALUES ('s1', 'c1', 'cron', '0 9 * * *', 'Europe/Berlin', 't', 't')",
        "INSERT INTO posts (id, campaign_id, provider_id, account_id, variant_id, schedule_id, scheduled_at, created_at, updated_at)
         VALUES ('p1', 'c1', 'x', 'a1', 'v1', 's1', '2026-11-27T08:00:00.000Z', 't', 't')",
        "INSERT INTO metric_snapshots (post_id, captured_at, impressions) VALUES ('p1', '2026-11-27T09:00:00.000Z', 10)",
        "INSERT INTO optimizer_observations (post_id, campaign_id, provider_id, variant_id, published_at,
             captured_at, impressions, likes, comments, shares, clicks)
         VALUES ('p1', 'c1', 'x', 'v1', 't', 't', 10, 1, 0, 0, 0)",
        "INSERT INTO optimizer_decisions (post_id, campaign_id, provider_id, actor, policy, chosen_variant_id,
             explored, reason, rationale, decided_at)
         VALUES ('p1', 'c1', 'x', 'optimizer', 'thompson', 'v1', 1, 'cold_start', 'only arm', 't')",
    ] {
        store.execute_raw(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    (dir, store)
}

fn constraint_failure(r: Result<u64, StoreError>) -> String {
    match r {
        Err(StoreError::Sql(e)) => e.to_string(),
        other => panic!("expected a constraint failure, got {other:?}"),
    }
}

#[tokio::test]
async fn check_constraints_reject_unknown_enumerations() {
    let (_dir, store) = seeded().await;
    for (sql, needle) in [
        (
            "UPDATE campaigns SET status = 'live' WHERE id = 'c1'",
            "CHECK",
        ),
        (
            "UPDATE campaigns SET goal = 'fame' WHERE id = 'c1'",
            "CHECK",
        ),
        ("UPDATE posts SET status = 'sent' WHERE id = 'p1'", "CHECK"),
        (
            "INSERT INTO providers (id, display_name) VALUES ('myspace', 'MySpace')",
            "CHECK",
        ),
        (
            "UPDATE social_accounts SET status = 'ok' WHERE id = 'a1'",
            "CHECK",
        ),
        (
            "UPDATE campaigns SET variants_per_platform = 6 WHERE id = 'c1'",
            "CHECK",
        ),
        (
            "INSERT INTO campaign_platforms (campaign_id, provider_id) VALUES ('c1', 'myspace')",
            "FOREIGN KEY",
        ),
        ("UPDATE metric_snapshots SET likes = -1", "CHECK"),
        (
            "INSERT INTO schedules (id, campaign_id, kind, time_zone, created_at, updated_at)
             VALUES ('s2', 'c1', 'once', 'UTC', 't', 't')",
            "CHECK",
        ),
    ] {
        let message = constraint_failure(store.execute_raw(sql).await);
        assert!(message.contains(needle), "{sql}: {message}");
    }
}

#[tokio::test]
async fn posts_are_unique_per_campaign_platform_account_and_slot() {
    let (_dir, store) = seeded().await;
    let duplicate = "INSERT INTO posts (id, campaign_id, provider_id, account_id, scheduled_at, created_at, updated_at)
         VALUES ('p2', 'c1', 'x', 'a1', '2026-11-27T08:00:00.000Z', 't', 't')";
    assert!(constraint_failure(store.execute_raw(duplicate).await).contains("UNIQUE"));
    let next_slot = duplicate.replace("'p2'", "'p3'").replace("08:00", "09:00");
    assert_eq!(
        store
            .execute_raw(&next_slot)
            .await
            .expect("another slot is fine"),
        1
    );
}

#[tokio::test]
async fn deleting_a_campaign_cascades_but_accounts_and_audit_remain() {
    let (_dir, store) = seeded().await;
    store
        .audit(
            crate::at(9, 0),
            &reachloop::store::AuditRecord {
                actor: Actor::System,
                action: "test.marker",
                entity_type: "campaign",
                entity_id: Some("c1"),
                details: serde_json::json!({}),
            },
        )
        .await
        .expect("audit");
    // An account with history cannot be deleted out from under its posts.
    let message = constraint_failure(
        store
            .execute_raw("DELETE FROM social_accounts WHERE id = 'a1'")
            .await,
    );
    assert!(message.contains("FOREIGN KEY"), "{message}");

    assert_eq!(
        store
            .execute_raw("DELETE FROM campaigns WHERE id = 'c1'")
            .await
            .expect("delete"),
        1
    );
    for table in [
        "campaign_platforms",
        "variants",
        "schedules",
        "posts",
        "metric_snapshots",
        "post_metrics",
        "optimizer_observations",
        "optimizer_decisions",
    ] {
        let left = store
            .scalar_raw(&format!("SELECT count(*) FROM {table}"))
            .await
            .expect("count");
        assert_eq!(left, 0, "{table} should be empty after the cascade");
    }
    assert_eq!(
        store
            .scalar_raw("SELECT count(*) FROM social_accounts")
            .await
            .expect("count"),
        1
    );
    assert_eq!(store.recent_audit(5).await.expect("audit").len(), 1);
}

#[tokio::test]
async fn audit_log_is_append_only() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    app.set_publishing_paused(at(9, 0), Actor::User, true)
        .await
        .expect("pause");
    for sql in ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"] {
        let message = constraint_failure(app.store().execute_raw(sql).await);
        assert!(message.contains("append-only"), "{sql}: {message}");
    }
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_a_clear_error() {
    let dir = data_dir();
    let store = Store::open_in(dir.path()).await.expect("open");
    store
        .execute_raw(
            "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
             VALUES (99990101000000, 'from the future', '2030-01-01', 1, x'00', 0)",
        )
        .await
        .expect("insert");
    store.close().await;
    let before = std::fs::read(crate::db_path(dir.path())).expect("db");
    match Store::open_in(dir.path()).await {
        Err(e @ StoreError::NewerDatabase { .. }) => {
            let message = e.to_string();
            assert!(message.contains("newer version of Reachloop"), "{message}");
            assert!(message.contains("nothing was changed"), "{message}");
            assert!(!message.contains("previously applied"), "{message}");
        }
        other => panic!("expected a newer-database error, got {other:?}"),
    }
    assert_eq!(
        std::fs::read(crate::db_path(dir.path())).expect("db"),
        before,
        "the file is untouched"
    );
}

/// The app and the CLI (soon the agent) often start together on a new
/// data directory: each waits its turn instead of failing.
#[test]
fn processes_opening_a_new_data_directory_at_once_take_turns() {
    for round in 0..5 {
        let dir = data_dir();
        let children: Vec<_> = (0..4)
            .map(|i| {
                std::process::Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
                    .env("REACHLOOP_DATA_DIR", dir.path())
                    .args([
                        "campaigns",
                        "create",
                        "--name",
                        &format!("Race {round}.{i}"),
                        "--platform",
                        "x",
                        "--goal",
                        "reach",
                    ])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().expect("wait");
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let listed = std::process::Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
            .env("REACHLOOP_DATA_DIR", dir.path())
            .args(["campaigns", "list", "--json"])
            .output()
            .expect("list");
        let v: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("json");
        assert_eq!(v.as_array().map(Vec::len), Some(4), "round {round}");
    }
}

#[tokio::test]
async fn a_clean_close_leaves_a_complete_file_and_backup_copies_a_live_database() {
    let dir = data_dir();
    let app = reachloop::App::open(dir.path()).await.expect("open");
    app.create_campaign(
        crate::at(9, 0),
        uuid::Uuid::new_v4(),
        reachloop::store::Actor::User,
        &new_campaign("Kept"),
    )
    .await
    .expect("create");
    // A backup while the database is open and has unsaved WAL pages.
    let backup = dir.path().join("copy.sqlite3");
    app.store().backup_to(&backup).await.expect("backup");
    assert!(
        app.store().backup_to(&backup).await.is_err(),
        "never overwrites"
    );
    app.store().clone().close().await;
    // The database file alone (no -wal beside it) holds everything.
    for file in [crate::db_path(dir.path()), backup] {
        let lone = data_dir();
        std::fs::copy(&file, crate::db_path(lone.path())).expect("copy");
        let store = Store::open_in(lone.path()).await.expect("open the copy");
        let names: Vec<String> = store
            .list_campaigns()
            .await
            .expect("list")
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["Kept"], "{}", file.display());
    }
}

/// Migration 6 rebuilds `posts` for the publisher's states: the rows an
/// older Reachloop wrote keep their data (statuses renamed), their metric
/// snapshots survive (migration 12 moves them to `metric_snapshots`, the
/// newest also to `post_metrics`), and the foreign keys still hold.
/// The mode bits of `path` (not following a link).
#[cfg(unix)]
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// The data directory holds the database, media and the window's storage:
/// only its owner may enter it, whether Reachloop makes it or finds it
/// made by an older Reachloop with the umask's 0755; a shared folder the
/// user pointed it at is not closed to its other users.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_private_made_new_or_found_open() {
    use std::os::unix::fs::PermissionsExt;
    let dir = data_dir();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let made = dir.path().join("share/reachloop");
    let app = App::open(&made).await.expect("open");
    assert_eq!(mode_of(&made), 0o700, "made private");
    app.store().clone().close().await;

    let found = dir.path().join("older");
    std::fs::create_dir(&found).expect("mkdir");
    std::fs::set_permissions(&found, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let app = App::open(&found).await.expect("open");
    assert_eq!(mode_of(&found), 0o700, "tightened when empty");
    app.store().clone().close().await;
    // An older Reachloop's folder, holding its database: tightened too.
    std::fs::set_permissions(&found, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let app = App::open(&found).await.expect("open again");
    assert_eq!(mode_of(&found), 0o700, "tightened with its database");
    app.store().clone().close().await;
    // Its parents are left as they were.
    assert_eq!(mode_of(dir.path()), 0o755);

    // A file manager's note in it does not make it someone else's.
    std::fs::write(found.join(".DS_Store"), "").expect("write");
    std::fs::set_permissions(&found, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let app = App::open(&found).await.expect("open with a note");
    assert_eq!(
        mode_of(&found),
        0o700,
        "tightened with a file manager's note"
    );
    app.store().clone().close().await;

    // REACHLOOP_DATA_DIR pointed at a shared folder holding other things:
    // Reachloop uses it and does not close it to the others' reading, but
    // nobody else may write into it (they could swap the database).
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).expect("mkdir");
    std::fs::write(shared.join("notes.txt"), "someone else's").expect("write");
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    for time in ["first", "second"] {
        let app = App::open(&shared).await.expect("open a shared folder");
        assert_eq!(mode_of(&shared), 0o755, "{time} time: left alone");
        app.store().clone().close().await;
    }
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let app = App::open(&shared).await.expect("open a shared folder");
    assert_eq!(mode_of(&shared), 0o755, "others' writing is taken away");
    app.store().clone().close().await;

    // A data directory given as a link to a folder is used, and the folder
    // it points to is the one made private.
    let target = dir.path().join("elsewhere");
    std::fs::create_dir(&target).expect("mkdir");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&target, &link).expect("link");
    let app = App::open(&link).await.expect("open through a link");
    assert_eq!(mode_of(&target), 0o700, "the folder it points to");
    app.store().clone().close().await;
}

/// A backup holds sealed tokens and everything the user wrote: it is made
/// 0600 whatever the umask, never over an existing file, and never through
/// a link planted at its name (which would write the copy wherever the link
/// points).
#[cfg(unix)]
#[tokio::test]
async fn a_backup_is_private_and_never_written_through_a_link() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    app.create_campaign(at(9, 0), Uuid::new_v4(), Actor::User, &new_campaign("Kept"))
        .await
        .expect("create");
    let elsewhere = data_dir();

    let backup = elsewhere.path().join("backup.sqlite3");
    app.store().backup_to(&backup).await.expect("backup");
    assert_eq!(mode_of(&backup), 0o600);
    assert!(std::fs::metadata(&backup).expect("metadata").len() > 0);

    // A dangling link: the file it names must not appear.
    let victim = elsewhere.path().join("victim.sqlite3");
    let dangling = elsewhere.path().join("dangling.sqlite3");
    std::os::unix::fs::symlink(&victim, &dangling).expect("symlink");
    let err = app.store().backup_to(&dangling).await.expect_err("refused");
    assert!(err.to_string().contains("already exists"), "{err}");
    assert!(!victim.exists(), "the backup went through the link");

    // A link to an empty file (which VACUUM INTO would fill).
    let empty = elsewhere.path().join("empty.sqlite3");
    std::fs::write(&empty, b"").expect("write");
    let linked = elsewhere.path().join("linked.sqlite3");
    std::os::unix::fs::symlink(&empty, &linked).expect("symlink");
    assert!(app.store().backup_to(&linked).await.is_err());
    assert_eq!(std::fs::metadata(&empty).expect("metadata").len(), 0);
    // An empty file itself is not overwritten either.
    let err = app.store().backup_to(&empty).await.expect_err("refused");
    assert!(err.to_string().contains("already exists"), "{err}");
    app.store().clone().close().await;
}

#[tokio::test]
async fn the_publishing_migration_keeps_posts_and_their_metrics() {
    let dir = data_dir();
    let path = db_path(dir.path());
    let old = Store::open_at_version(&path, 5).await.expect("version 5");
    for sql in [
        "INSERT INTO campaigns (id, name, goal, created_at, updated_at) VALUES ('c1', 'C', 'reach', 't', 't')",
        "INSERT INTO social_accounts (id, provider_id, external_id, handle, created_at, updated_at)
         VALUES ('a1', 'x', '42', '@me', 't', 't')",
        "INSERT INTO posts (id, campaign_id, provider_id, account_id, scheduled_at, status, remote_id, created_at, updated_at)
         VALUES ('p1', 'c1', 'x', 'a1', '2026-11-27T08:00:00.000Z', 'pending', NULL, 't', 't'),
                ('p2', 'c1', 'x', 'a1', '2026-11-27T09:00:00.000Z', 'unconfirmed', NULL, 't', 't'),
                ('p3', 'c1', 'x', 'a1', '2026-11-27T10:00:00.000Z', 'published', '1234', 't', 't')",
        "INSERT INTO metrics (post_id, captured_at, likes) VALUES ('p3', '2026-11-27T11:00:00.000Z', 7)",
    ] {
        old.execute_raw(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    old.close().await;
    let store = Store::open_in(dir.path())
        .await
        .expect("migrate to the newest");
    let status = |id: &str| {
        let store = store.clone();
        let sql = format!(
            "SELECT CASE status WHEN 'scheduled' THEN 1 WHEN 'needs_verification' THEN 2 WHEN 'published' THEN 3 ELSE 0 END FROM posts WHERE id = '{id}'"
        );
        async move { store.scalar_raw(&sql).await.expect("status") }
    };
    assert_eq!(
        (status("p1").await, status("p2").await, status("p3").await),
        (1, 2, 3)
    );
    assert_eq!(
        store
            .scalar_raw("SELECT likes FROM metric_snapshots")
            .await
            .expect("kept"),
        7
    );
    assert_eq!(
        store
            .scalar_raw(
                "SELECT likes FROM post_metrics WHERE post_id = 'p3' AND next_poll_at IS NOT NULL"
            )
            .await
            .expect("newest, due for a poll"),
        7
    );
    // Still bound to posts: a snapshot of no post is refused, and deleting
    // the campaign takes its posts and their snapshots along.
    assert!(store
        .execute_raw("INSERT INTO metric_snapshots (post_id, captured_at) VALUES ('nope', 't')")
        .await
        .is_err());
    store
        .execute_raw("DELETE FROM campaigns WHERE id = 'c1'")
        .await
        .expect("delete");
    assert_eq!(
        store
            .scalar_raw("SELECT count(*) FROM metric_snapshots")
            .await
            .expect("count"),
        0
    );
}
