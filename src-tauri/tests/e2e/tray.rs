//! Living in the tray: start at login.

use super::*;

/// Start at login from Settings: the OS's autostart entry appears, runs the
/// app with `--tray`, and goes away when the box is unticked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_at_login_writes_the_autostart_entry_into_the_tray() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let home = tempfile::Builder::new()
        .prefix("reachloop-home-")
        .tempdir()
        .expect("home");
    let env = [("HOME", home.path().display().to_string())];
    let driver = start_driver(data.path(), &env);
    let shots = Artifacts::new();
    let client = launch(&driver).await;
    click(&client, "#nav-settings").await;
    let box_ = wait_for(
        &client,
        "#start-at-login:not([disabled])",
        "the setting shows",
    )
    .await;
    assert!(!box_.is_selected().await.expect("state"), "off by default");
    box_.click().await.expect("tick");
    let dir = home.path().join(".config").join("autostart");
    let deadline = Instant::now() + WAIT;
    let entry = loop {
        let found = std::fs::read_dir(&dir)
            .ok()
            .and_then(|mut d| d.find_map(|e| e.ok()))
            .map(|e| e.path());
        // Written by the plugin while we look: wait until it is whole.
        if let Some(text) = found.and_then(|p| std::fs::read_to_string(p).ok()) {
            if text.lines().any(|l| l.starts_with("Exec=")) {
                break text;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no autostart entry in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let exec = entry
        .lines()
        .find(|l| l.starts_with("Exec="))
        .expect("an Exec line");
    assert!(exec.ends_with(" --tray"), "{exec}");
    assert!(exec.contains("reachloop"), "{exec}");
    shots.shot(&client, "60-start-at-login").await;
    // Untick: the entry is gone.
    find(&client, "#start-at-login")
        .await
        .click()
        .await
        .expect("untick");
    let deadline = Instant::now() + WAIT;
    while std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0) > 0 {
        assert!(Instant::now() < deadline, "the entry stayed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client.close().await.expect("quit the app");
}
