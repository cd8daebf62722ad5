//! Connecting accounts: the loopback listener, the relay page and deep links.

use super::*;

/// Connect a (fake) X account through the real window: the test plays the
/// browser by following the authorize URL, which lands on the app's loopback
/// listener; then the account is listed with its status, and disconnected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_and_disconnect_an_x_account() {
    let fake = reachloop_fakes::oauth::FakeOAuth::x().await;
    let x_port = free_port();
    fake.register_redirect(&format!("http://127.0.0.1:{x_port}/oauth/x/callback"));
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    // The "browser": follow the consent page's redirect to the loopback listener.
    let browser = data.path().join("browser.sh");
    std::fs::write(
        &browser,
        "#!/bin/sh\ncurl -s -o /dev/null -L --max-redirs 3 \"$1\" &\n",
    )
    .expect("browser script");
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let env = [
        ("REACHLOOP_X_AUTH_BASE", fake.base.clone()),
        ("REACHLOOP_X_TOKEN_BASE", fake.base.clone()),
        ("REACHLOOP_X_API_BASE", fake.base.clone()),
        ("OAUTH_X_CLIENT_ID", fake.dialect.client_id.to_string()),
        // X matches callback URLs exactly: register the one the app uses.
        ("REACHLOOP_X_REDIRECT_PORT", x_port.to_string()),
        ("BROWSER", format!("{} %s", browser.display())),
    ];
    // The app's own log output, to look for secrets in.
    let log = data.path().join("app.log");
    let driver = start_driver_logged(data.path(), &env, &log);
    let shots = Artifacts::new();
    let client = launch(&driver).await;

    click(&client, "#nav-accounts").await;
    wait_for(&client, "#accounts-empty", "no accounts yet").await;
    shots.shot(&client, "10-accounts-empty").await;

    click(&client, "#connect-x").await;
    let row = wait_for(
        &client,
        "#account-list .account-item",
        "the connected account is listed",
    )
    .await;
    let text = row.text().await.expect("text");
    assert!(
        text.contains("@XDevelopers") && text.contains("connected"),
        "{text}"
    );
    assert!(text.contains("renews automatically"), "{text}");
    assert_eq!(fake.with(|b| b.token_requests), 1);
    shots.shot(&client, "11-account-connected").await;

    click(&client, "#account-list .disconnect").await;
    let deadline = Instant::now() + WAIT;
    loop {
        let status = find(&client, "#account-list .account-status")
            .await
            .text()
            .await
            .expect("status");
        if status == "disconnected" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the account did not show as disconnected: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        fake.with(|b| b.revoked.len()),
        1,
        "the grant was revoked at X"
    );
    assert!(find(&client, "#account-list .reconnect")
        .await
        .is_displayed()
        .await
        .expect("displayed"));
    shots.shot(&client, "12-account-disconnected").await;

    // YouTube has no developer app yet: the error leads to its form in
    // Settings, with the keyboard in the client id field.
    click(&client, "#connect-youtube").await;
    wait_for_text(&client, "#accounts-error", "client ID").await;
    click(&client, "#accounts-open-app-settings").await;
    wait_focused(
        &client,
        "app-youtube-client-id",
        "the client id field has the keyboard",
    )
    .await;
    shots
        .shot(&client, "12a-youtube-app-missing-leads-to-settings")
        .await;

    // Settings: a client id that is refused stays as typed, to be fixed
    // (the form is drawn again with the error; what was typed is kept).
    let field = wait_for(&client, "#app-youtube-client-id", "YouTube's app form").await;
    field.send_keys("my youtube app").await.expect("type");
    click(&client, "#app-youtube button[type=submit]").await;
    wait_for_text(&client, "#app-youtube .field-error", "no spaces").await;
    let kept = find(&client, "#app-youtube-client-id")
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert_eq!(kept, "my youtube app", "the refused client id was lost");
    shots.shot(&client, "13-client-id-refused-kept").await;
    client.close().await.expect("quit the app");

    // Nothing secret went by in the shell's log: tokens, the code, the
    // state, the PKCE verifier.
    let logged = std::fs::read_to_string(&log).expect("the app's log");
    assert!(logged.contains("opening data directory"), "{logged}");
    let secrets = fake.with(|b| {
        let mut v = b.issued_tokens.clone();
        v.extend(b.seen_codes.clone());
        v.extend(b.seen_states.clone());
        v.extend(b.seen_verifiers.clone());
        v
    });
    assert!(secrets.len() >= 5, "{secrets:?}");
    for secret in secrets {
        assert!(!logged.contains(&secret), "in the app's log: {secret}");
    }
}

/// Connect Facebook Pages through the https relay and a `reachloop://` deep
/// link, then pick Pages: the "browser" follows the consent redirect to the
/// relay address, runs the real relay script (`relay/relay.js`) to get the
/// deep link, and opens it with `gio open`, which starts a second Reachloop
/// that hands the link to the running one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_facebook_pages_through_the_relay_and_a_deep_link() {
    let fake = reachloop_fakes::meta::FakeMeta::facebook().await;
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let relay_js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../relay/relay.js");
    let browser = data.path().join("browser.sh");
    let log = data.path().join("browser.log");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\n(\n\
             relay=$(curl -s -o /dev/null -w '%{{redirect_url}}' \"$1\")\n\
             deep=$(node -e 'const u = new URL(process.argv[2]); \
             process.stdout.write(String(require(process.argv[1]).target(u.pathname, u.search)))' \
             '{relay}' \"$relay\")\n\
             echo \"relay page: ${{relay%%\\?*}}\" >> '{log}'\n\
             gio open \"$deep\" >> '{log}' 2>&1\n\
             ) &\n",
            relay = relay_js.display(),
            log = log.display(),
        ),
    )
    .expect("browser script");
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    // The desktop registration of reachloop:// goes to this test's own dirs.
    let share = data.path().join("share");
    let config = data.path().join("config");
    std::fs::create_dir_all(share.join("applications")).expect("share dir");
    std::fs::create_dir_all(&config).expect("config dir");
    let env = [
        ("REACHLOOP_FACEBOOK_AUTH_BASE", fake.base.clone()),
        ("REACHLOOP_FACEBOOK_TOKEN_BASE", fake.base.clone()),
        ("REACHLOOP_FACEBOOK_API_BASE", fake.base.clone()),
        ("OAUTH_FACEBOOK_CLIENT_ID", fake.client_id().to_string()),
        (
            "OAUTH_FACEBOOK_CLIENT_SECRET",
            fake.client_secret().to_string(),
        ),
        (
            "REACHLOOP_FACEBOOK_RELAY_URL",
            "https://relay.invalid/reachloop".to_string(),
        ),
        ("BROWSER", format!("{} %s", browser.display())),
        ("XDG_DATA_HOME", share.display().to_string()),
        ("XDG_CONFIG_HOME", config.display().to_string()),
    ];
    let driver = start_driver(data.path(), &env);
    let shots = Artifacts::new();
    let client = launch(&driver).await;

    click(&client, "#nav-accounts").await;
    wait_for(&client, "#accounts-empty", "no accounts yet").await;
    click(&client, "#connect-facebook").await;
    let picker = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#page-picker"))
        .await
        .unwrap_or_else(|e| {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("the Page picker did not appear ({e}); browser log:\n{log}")
        });
    let browser_log = std::fs::read_to_string(&log).expect("browser log");
    assert!(
        browser_log
            .contains("relay page: https://relay.invalid/reachloop/oauth/facebook/callback/"),
        "the consent page sent the browser to the relay: {browser_log}"
    );
    let text = picker.text().await.expect("text");
    assert!(
        text.contains("Dana Baker")
            && text.contains("Bakery Bros")
            && text.contains("@bakerybros")
            && text.contains("you cannot create posts on this Page"),
        "{text}"
    );
    shots.shot(&client, "20-facebook-pick-pages").await;

    // Pages the user may publish to start ticked: keep Bakery Bros, drop
    // Bike Club, add the Instagram account linked to Bakery Bros.
    click(&client, "#pick-page-102").await;
    click(&client, "#pick-ig-17841400000000001").await;
    click(&client, "#pick-connect").await;
    let deadline = Instant::now() + WAIT;
    let rows = loop {
        let mut rows = Vec::new();
        for el in client
            .find_all(Locator::Css("#account-list .account-item"))
            .await
            .expect("rows")
        {
            rows.push(el.text().await.expect("text"));
        }
        if rows.len() == 2 || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r.contains("Facebook Pages") && r.contains("Bakery Bros")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("Instagram") && r.contains("@bakerybros")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .all(|r| r.contains("connected") && r.contains("does not expire")),
        "{rows:?}"
    );
    assert!(
        client.find(Locator::Css("#page-picker")).await.is_err(),
        "the picker closes"
    );
    assert_eq!(
        fake.with(|b| b.token_requests),
        2,
        "code and long-lived exchanges"
    );
    shots.shot(&client, "21-facebook-pages-connected").await;
    client.close().await.expect("quit the app");
}
