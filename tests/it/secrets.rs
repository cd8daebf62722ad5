//! The secrets envelope against the real OS keychain. Needs a Secret Service
//! (run through `cargo xtask test`, which starts an unlocked gnome-keyring on
//! a private D-Bus session).

use std::process::Command;

use reachloop::secrets::{KeyStore, SecretsError, SERVICE_ENV};
use reachloop::{App, Error};

use crate::{at, data_dir, TestKeychain};

fn require_keychain(result: Result<reachloop::secrets::Vault, Error>) -> reachloop::secrets::Vault {
    result.unwrap_or_else(|e| {
        panic!("this test needs a Secret Service; run it through `cargo xtask test`: {e}")
    })
}

#[tokio::test]
async fn seals_with_a_key_created_in_the_keychain_and_reopens_after_restart() {
    let keys = TestKeychain::new("roundtrip");
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    assert!(keys.0.load().expect("keychain reachable").is_none());

    let vault = require_keychain(
        app.unlock_vault(at(9, 0), &keys.0, &mut rand::rngs::OsRng)
            .await,
    );
    let key = keys
        .0
        .load()
        .expect("load")
        .expect("a key was created on first use");
    assert_eq!(key.len(), 32);
    let sealed = vault.seal(b"access-token-abc", b"account:1", &mut rand::rngs::OsRng);
    app.store().clone().close().await;

    // The database never sees the key; a fresh process finds the same key.
    let db = std::fs::read(crate::db_path(dir.path())).expect("read db");
    assert!(
        !db.windows(key.len()).any(|w| w == key.as_slice()),
        "key bytes leaked into the database"
    );

    let app = App::open(dir.path()).await.expect("reopen");
    let vault = require_keychain(
        app.unlock_vault(at(10, 0), &keys.0, &mut rand::rngs::OsRng)
            .await,
    );
    assert_eq!(
        vault.open(&sealed, b"account:1").expect("open").as_slice(),
        b"access-token-abc"
    );
    assert!(matches!(
        vault.open(&sealed, b"account:2"),
        Err(SecretsError::Unauthentic)
    ));
    let created: Vec<String> = app
        .recent_audit(10)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "secrets.key_created")
        .map(|e| e.action)
        .collect();
    assert_eq!(created.len(), 1, "the key is created once");
}

#[tokio::test]
async fn a_key_deleted_from_the_keychain_is_reported_not_replaced() {
    let keys = TestKeychain::new("missing");
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    require_keychain(
        app.unlock_vault(at(9, 0), &keys.0, &mut rand::rngs::OsRng)
            .await,
    );
    keys.0.delete().expect("delete");

    let err = app
        .unlock_vault(at(9, 1), &keys.0, &mut rand::rngs::OsRng)
        .await
        .expect_err("key is gone");
    assert!(
        matches!(err, Error::Secrets(SecretsError::KeyMissing)),
        "{err:?}"
    );
    assert_eq!(err.code(), "keychain");
    assert!(
        keys.0.load().expect("load").is_none(),
        "no replacement key may be created"
    );
}

#[test]
fn an_absent_keychain_is_a_clear_error_from_the_cli() {
    let dir = data_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
        .env("REACHLOOP_DATA_DIR", dir.path())
        .env(SERVICE_ENV, "dev.reachloop.test.absent")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/reachloop-test-bus",
        )
        .args(["keychain", "check"])
        .output()
        .expect("run reachloop-cli");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "must fail without a keychain; stderr: {stderr}"
    );
    assert!(
        stderr.contains("the OS keychain is not available"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_cli_checks_the_real_keychain() {
    let keys = TestKeychain::new("cli");
    let service = keys.0.service().to_string();
    let dir = data_dir();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
            .env("REACHLOOP_DATA_DIR", dir.path())
            .env(SERVICE_ENV, &service)
            .args(["keychain", "check"])
            .output()
            .expect("run reachloop-cli")
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(keys.0.load().expect("load").is_some());
    let second = run();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    keys.0.delete().expect("delete");
    let third = run();
    assert!(!third.status.success());
    assert!(String::from_utf8_lossy(&third.stderr).contains("missing from the OS keychain"));
}

/// Locks a real gnome-keyring and asks for the key. Runs in a D-Bus session of
/// its own so locking cannot disturb the other tests, and without a display
/// so no unlock prompt can appear.
#[test]
fn a_locked_keychain_is_a_clear_error_from_the_cli() {
    let dir = data_dir();
    let keyring_home = tempfile::Builder::new()
        .prefix("reachloop-kr-")
        .tempdir()
        .expect("temp dir");
    let runtime = tempfile::Builder::new()
        .prefix("reachloop-rt-")
        .tempdir()
        .expect("temp dir");
    let script = r#"
        printf pw | XDG_DATA_HOME="$KEYRING_HOME" gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 90
        "$CLI" keychain check >/dev/null || exit 91
        gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \
            --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/collection/login']" >/dev/null || exit 92
        exec "$CLI" keychain check
    "#;
    let out = Command::new("dbus-run-session")
        .args(["--", "bash", "-c", script])
        .env("CLI", env!("CARGO_BIN_EXE_reachloop-cli"))
        .env("KEYRING_HOME", keyring_home.path())
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("REACHLOOP_DATA_DIR", dir.path())
        .env(SERVICE_ENV, "dev.reachloop.test.locked")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("GNOME_KEYRING_CONTROL")
        .output()
        .expect("run dbus-run-session (install dbus, gnome-keyring and libglib2.0-bin, or use `cargo xtask test`)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "set-up failed or the locked keychain was not refused; stderr: {stderr}"
    );
    assert!(
        stderr.contains("the OS keychain is locked or refused access"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
