//! Connecting accounts against local fake platforms: the whole flow, and the
//! attacks it must refuse before any token request.

use rand::rngs::OsRng;
use reachloop::oauth::{
    self, Credentials, Endpoints, OAuthError, PlatformConfig, RefreshLocks, RefreshOutcome,
};
use reachloop::secrets::Vault;
use reachloop::App;
use reachloop_ipc::{AccountStatus, Platform};

use crate::{at, data_dir, TestKeychain};
use reachloop_fakes::oauth::FakeOAuth;
use serde_json::json;
use zeroize::Zeroizing;

struct World {
    _dir: tempfile::TempDir,
    _keys: TestKeychain,
    app: App,
    vault: Vault,
    http: reqwest::Client,
    browser: reqwest::Client,
    fake: FakeOAuth,
    platform: Platform,
    redirect: String,
    db: std::path::PathBuf,
}

const REDIRECT: &str = "http://127.0.0.1:53682/oauth/x/callback";

async fn world(name: &str) -> World {
    world_for(name, Platform::X).await
}

async fn world_for(name: &str, platform: Platform) -> World {
    let (dir, keys, app, vault) = crate::unlocked_app(name).await;
    World {
        db: crate::db_path(dir.path()),
        _dir: dir,
        _keys: keys,
        app,
        vault,
        http: crate::no_redirect_client(),
        browser: crate::no_redirect_client(),
        fake: match platform {
            Platform::X => FakeOAuth::x().await,
            Platform::Youtube => FakeOAuth::youtube().await,
            Platform::Tiktok => FakeOAuth::tiktok().await,
            other => panic!("no fake for {other}"),
        },
        platform,
        redirect: oauth::loopback_redirect_uri(platform, 53682),
    }
}

impl World {
    fn config(&self) -> PlatformConfig {
        PlatformConfig {
            endpoints: Endpoints::all_at(&self.fake.base).expect("fake base"),
            credentials: Credentials {
                client_id: self.fake.dialect.client_id.into(),
                client_secret: self
                    .fake
                    .dialect
                    .client_secret
                    .map(|s| Zeroizing::new(s.to_string())),
            },
        }
    }

    async fn begin(&self, minute: u32) -> oauth::Begun {
        oauth::begin(
            self.app.store(),
            &self.vault,
            self.platform,
            &self.config(),
            &self.redirect,
            at(9, minute),
            &mut OsRng,
        )
        .await
        .expect("begin")
    }

    /// Plays the browser: opens the consent page and returns where it redirects.
    async fn consent(&self, begun: &oauth::Begun) -> String {
        crate::follow_consent(&self.browser, begun).await
    }

    async fn complete(
        &self,
        callback_url: &str,
        minute: u32,
    ) -> Result<oauth::Connected, OAuthError> {
        let callback = oauth::parse_callback(callback_url).expect("our callback");
        let config = self.config();
        oauth::complete(
            self.app.store(),
            &self.vault,
            &self.http,
            |_| Ok(config.clone()),
            &callback,
            at(9, minute),
            &mut OsRng,
        )
        .await
    }

    async fn connect(&self) -> reachloop_ipc::Account {
        let callback = self.consent(&self.begin(0).await).await;
        self.complete(&callback, 1)
            .await
            .expect("connect")
            .account()
            .expect("an account")
    }

    async fn refresh(&self, locks: &RefreshLocks, id: &str, hour: u32) -> RefreshOutcome {
        oauth::refresh_account(
            self.app.store(),
            &self.vault,
            &self.http,
            locks,
            &self.config(),
            id,
            at(hour, 0),
            &mut OsRng,
        )
        .await
        .expect("refresh ran")
    }

    /// The plaintext refresh token stored for `id`.
    async fn stored_refresh(&self, id: &str) -> String {
        let (_, refresh) = self.app.store().sealed_tokens(id).await.expect("tokens");
        let plain = self
            .vault
            .open(
                &refresh.expect("refresh"),
                format!("account:{id}:refresh").as_bytes(),
            )
            .expect("open");
        String::from_utf8(plain.to_vec()).expect("utf-8")
    }

    /// Every stored account, as the store lists them.
    async fn accounts(&self) -> Vec<reachloop_ipc::Account> {
        self.app.store().list_accounts().await.expect("list")
    }

    async fn account(&self) -> reachloop_ipc::Account {
        self.accounts().await.remove(0)
    }

    async fn actions(&self, action: &str) -> usize {
        self.app
            .recent_audit(100)
            .await
            .expect("audit")
            .iter()
            .filter(|e| e.action == action)
            .count()
    }

    fn token_requests(&self) -> usize {
        self.fake.with(|b| b.token_requests)
    }

    async fn rejections(&self) -> Vec<String> {
        self.app
            .recent_audit(50)
            .await
            .expect("audit")
            .into_iter()
            .filter(|e| e.action == "oauth.rejected")
            .map(|e| e.details)
            .collect()
    }
}

#[tokio::test]
async fn connects_an_x_account_and_keeps_tokens_sealed() {
    let w = world("oauth-connect").await;
    let begun = w.begin(0).await;
    let callback = w.consent(&begun).await;
    assert!(callback.starts_with(REDIRECT), "{callback}");

    let connected = w.complete(&callback, 1).await.expect("connected");
    let account = connected.account().expect("an account");
    assert_eq!(account.platform, Platform::X);
    let (id, username, name) = w.fake.dialect.user;
    assert_eq!(account.handle, format!("@{username}"));
    assert_eq!(account.display_name, name);
    assert_eq!(account.external_id, id);
    assert_eq!(account.status, AccountStatus::Connected);
    assert!(account.renews_itself);
    assert_eq!(
        account.token_expires_at.as_deref(),
        Some("2026-11-26T11:01:00.000Z"),
        "now + 7200 s"
    );
    assert_eq!(w.accounts().await, vec![account.clone()]);

    // The tokens open with the vault, bound to this account, and appear nowhere in plaintext.
    let (access, refresh) = w
        .app
        .store()
        .sealed_tokens(&account.id)
        .await
        .expect("tokens");
    let access = w
        .vault
        .open(
            &access.expect("access"),
            format!("account:{}:access", account.id).as_bytes(),
        )
        .expect("open");
    assert!(String::from_utf8_lossy(&access).starts_with("access-"));
    assert!(w
        .vault
        .open(
            &refresh.clone().expect("refresh"),
            format!("account:{}:access", account.id).as_bytes()
        )
        .is_err());
    // The CLI lists the account from the same database, without secrets.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
        .env("REACHLOOP_DATA_DIR", w._dir.path())
        .args(["accounts", "list", "--json"])
        .output()
        .expect("run reachloop-cli");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let listed: Vec<reachloop_ipc::Account> = serde_json::from_str(&stdout).expect("JSON accounts");
    assert_eq!(listed, vec![account.clone()]);
    for token in w.fake.with(|b| b.issued_tokens.clone()) {
        assert!(!stdout.contains(&token), "the CLI printed a token");
    }

    w.app.store().clone().close().await;
    let mut files = std::fs::read(&w.db).expect("db");
    if let Ok(wal) = std::fs::read(w.db.with_extension("sqlite3-wal")) {
        files.extend(wal);
    }
    for token in w.fake.with(|b| b.issued_tokens.clone()) {
        assert!(
            !files
                .windows(token.len())
                .any(|win| win == token.as_bytes()),
            "token {token} is in the database"
        );
    }
}

#[tokio::test]
async fn a_forged_state_is_rejected_without_a_token_request() {
    let w = world("oauth-forged").await;
    let begun = w.begin(0).await;
    let callback = w.consent(&begun).await;
    let forged = callback.replace(&begun.state, "forged-state-value");
    let err = w.complete(&forged, 1).await.expect_err("forged");
    assert!(matches!(err, OAuthError::UnknownState), "{err:?}");
    assert_eq!(w.token_requests(), 0);
    assert!(w.rejections().await[0].contains("unknown_state"));

    let no_state = format!("{REDIRECT}?code=abc");
    assert!(matches!(
        w.complete(&no_state, 1).await,
        Err(OAuthError::MissingState)
    ));
    assert_eq!(w.token_requests(), 0);
}

#[tokio::test]
async fn a_replayed_state_is_rejected() {
    let w = world("oauth-replay").await;
    let callback = w.consent(&w.begin(0).await).await;
    w.complete(&callback, 1).await.expect("first use");
    let err = w.complete(&callback, 2).await.expect_err("replay");
    assert!(matches!(err, OAuthError::ReusedState), "{err:?}");
    assert_eq!(w.token_requests(), 1, "the replay made no token request");
}

#[tokio::test]
async fn an_expired_state_is_rejected() {
    let w = world("oauth-expired").await;
    let callback = w.consent(&w.begin(0).await).await;
    let err = w.complete(&callback, 11).await.expect_err("expired");
    assert!(matches!(err, OAuthError::ExpiredState), "{err:?}");
    assert_eq!(w.token_requests(), 0);
    // And it stays used: a retry within the window does not revive it.
    assert!(matches!(
        w.complete(&callback, 5).await,
        Err(OAuthError::ReusedState)
    ));
}

#[tokio::test]
async fn a_callback_for_another_platform_is_rejected() {
    let w = world("oauth-mismatch").await;
    let callback = w.consent(&w.begin(0).await).await;
    let other = callback.replace("/oauth/x/callback", "/oauth/tiktok/callback");
    let err = w.complete(&other, 1).await.expect_err("mismatch");
    assert!(
        matches!(
            err,
            OAuthError::PlatformMismatch {
                expected: Platform::X,
                got: Platform::Tiktok
            }
        ),
        "{err:?}"
    );
    assert_eq!(w.token_requests(), 0);
}

#[tokio::test]
async fn a_denied_consent_is_reported_without_a_token_request() {
    let w = world("oauth-denied").await;
    w.fake.with(|b| b.deny = true);
    let callback = w.consent(&w.begin(0).await).await;
    let err = w.complete(&callback, 1).await.expect_err("denied");
    assert!(
        matches!(&err, OAuthError::Denied { error, .. } if error == "access_denied"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "X did not grant access: access_denied");
    assert_eq!(w.token_requests(), 0);
    assert!(w.accounts().await.is_empty());
}

#[tokio::test]
async fn a_code_used_with_another_verifier_is_refused_by_pkce() {
    let w = world("oauth-pkce").await;
    // The attacker's authorization produced a code; the victim's session has another verifier.
    let attacker = w.begin(0).await;
    let victim = w.begin(0).await;
    let attacker_callback = w.consent(&attacker).await;
    let injected = attacker_callback.replace(&attacker.state, &victim.state);
    let err = w.complete(&injected, 1).await.expect_err("wrong verifier");
    match &err {
        OAuthError::TokenRejected {
            error, description, ..
        } => {
            assert_eq!(error, "invalid_request");
            assert_eq!(
                description.as_deref(),
                Some("Value passed for the authorization code was invalid.")
            );
        }
        other => panic!("expected the token request to be refused, got {other:?}"),
    }
    assert_eq!(w.token_requests(), 1);
    assert!(w.accounts().await.is_empty());
}

#[tokio::test]
async fn a_code_past_its_lifetime_is_refused() {
    let w = world("oauth-code-lifetime").await;
    w.fake.with(|b| b.code_lifetime = std::time::Duration::ZERO);
    let callback = w.consent(&w.begin(0).await).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let err = w.complete(&callback, 1).await.expect_err("code expired");
    assert!(matches!(err, OAuthError::TokenRejected { .. }), "{err:?}");
}

#[tokio::test]
async fn reconnecting_never_loses_the_stored_refresh_token() {
    let w = world("oauth-reconnect").await;
    let first = w
        .complete(&w.consent(&w.begin(0).await).await, 1)
        .await
        .expect("connect")
        .account()
        .expect("an account");
    let (_, refresh_before) = w
        .app
        .store()
        .sealed_tokens(&first.id)
        .await
        .expect("tokens");

    w.fake.with(|b| b.omit_refresh_token = true);
    let again = w
        .complete(&w.consent(&w.begin(30).await).await, 31)
        .await
        .expect("reconnect")
        .account()
        .expect("an account");
    assert_eq!(again.id, first.id, "the same account, not a new one");
    assert!(again.renews_itself);
    let (_, refresh_after) = w
        .app
        .store()
        .sealed_tokens(&first.id)
        .await
        .expect("tokens");
    assert_eq!(
        refresh_after, refresh_before,
        "an absent refresh token keeps the stored one"
    );
    let actions: Vec<String> = w
        .app
        .recent_audit(20)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.contains(&"account.reconnected".to_string()),
        "{actions:?}"
    );
    assert_eq!(w.accounts().await.len(), 1);
}

#[tokio::test]
async fn platforms_that_need_a_secret_say_so_before_the_browser_opens() {
    let w = world("oauth-secret").await;
    let config = PlatformConfig {
        endpoints: Endpoints::all_at(&w.fake.base).expect("base"),
        credentials: Credentials {
            client_id: "g".into(),
            client_secret: None,
        },
    };
    let err = oauth::begin(
        w.app.store(),
        &w.vault,
        Platform::Youtube,
        &config,
        REDIRECT,
        at(9, 0),
        &mut OsRng,
    )
    .await
    .expect_err("no secret");
    assert!(
        matches!(err, OAuthError::MissingSecret(Platform::Youtube)),
        "{err:?}"
    );
    assert!(err.to_string().contains("OAUTH_YOUTUBE_CLIENT_SECRET"));
}

#[tokio::test]
async fn refresh_rotates_and_persists_the_new_refresh_token() {
    let w = world("refresh-rotate").await;
    let account = w.connect().await;
    let before = w.stored_refresh(&account.id).await;
    let locks = RefreshLocks::default();
    let outcome = w.refresh(&locks, &account.id, 10).await;
    assert_eq!(
        outcome,
        RefreshOutcome::Refreshed {
            expires_at: Some(at(12, 0)),
            rotated: true
        }
    );
    let after = w.stored_refresh(&account.id).await;
    assert_ne!(after, before);
    assert!(w.fake.refresh_token_valid(&after));
    assert!(
        !w.fake.refresh_token_valid(&before),
        "the fake rotated the old one out"
    );
    let refreshed = w.account().await;
    assert_eq!(
        refreshed.token_expires_at.as_deref(),
        Some("2026-11-26T12:00:00.000Z")
    );
    let next = w
        .app
        .store()
        .next_refresh_at(&account.id)
        .await
        .expect("next")
        .expect("scheduled");
    assert!(
        next.as_str() > "2026-11-26T11:00:00" && next.as_str() < "2026-11-26T11:40:00",
        "{next}"
    );
}

#[tokio::test]
async fn concurrent_refreshes_of_one_account_never_use_a_rotated_token() {
    let w = world("refresh-concurrent").await;
    let account = w.connect().await;
    let locks = RefreshLocks::default();
    w.fake
        .with(|b| b.delay = std::time::Duration::from_millis(200));
    let (a, b) = tokio::join!(
        w.refresh(&locks, &account.id, 10),
        w.refresh(&locks, &account.id, 10)
    );
    assert!(matches!(a, RefreshOutcome::Refreshed { .. }), "{a:?}");
    assert!(matches!(b, RefreshOutcome::Refreshed { .. }), "{b:?}");
    assert_eq!(w.fake.with(|b| b.stale_refresh_uses), 0);
    assert_eq!(w.account().await.status, AccountStatus::Connected);
}

#[tokio::test]
async fn a_revoked_grant_needs_action_and_is_reported_once() {
    let w = world("refresh-revoked").await;
    let account = w.connect().await;
    w.fake.revoke_all();
    let locks = RefreshLocks::default();
    match w.refresh(&locks, &account.id, 10).await {
        RefreshOutcome::NeedsAction { reason, newly } => {
            assert!(newly);
            assert!(
                reason.contains("Value passed for the token was invalid."),
                "{reason}"
            );
        }
        other => panic!("expected needs action, got {other:?}"),
    }
    let after = w.account().await;
    assert_eq!(after.status, AccountStatus::NeedsAction);
    assert!(after.status_reason.expect("reason").contains("reconnect"));
    assert_eq!(
        w.refresh(&locks, &account.id, 11).await,
        RefreshOutcome::Skipped("not connected")
    );
    assert!(!w
        .app
        .store()
        .mark_needs_action(at(12, 0), &account.id, "again")
        .await
        .expect("mark"));
    assert_eq!(
        w.actions("account.needs_action").await,
        1,
        "the user is told once"
    );
    assert!(w
        .app
        .store()
        .accounts_due_for_refresh(at(23, 0))
        .await
        .expect("due")
        .is_empty());

    // Reconnecting brings it back.
    w.fake.with(|b| b.deny = false);
    let callback = w.consent(&w.begin(40).await).await;
    let back = w
        .complete(&callback, 41)
        .await
        .expect("reconnect")
        .account()
        .expect("an account");
    assert_eq!(back.status, AccountStatus::Connected);
    assert_eq!(back.status_reason, None);
}

#[tokio::test]
async fn a_network_blip_retries_later_and_keeps_the_account_connected() {
    let w = world("refresh-transient").await;
    let account = w.connect().await;
    let locks = RefreshLocks::default();
    let before = w.stored_refresh(&account.id).await;
    w.fake.with(|b| {
        b.fail_next.push((
            reachloop_fakes::StatusCode::SERVICE_UNAVAILABLE,
            "<html>503 Service Unavailable</html>",
        ));
        b.fail_next.push((
            reachloop_fakes::StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"error":"server_error"}"#,
        ));
    });
    for _ in 0..2 {
        match w.refresh(&locks, &account.id, 10).await {
            RefreshOutcome::RetryLater { at: retry, reason } => {
                assert!(retry > at(10, 0) && retry <= at(10, 2), "{retry}");
                assert!(!reason.is_empty());
            }
            other => panic!("expected a retry, got {other:?}"),
        }
        assert_eq!(w.account().await.status, AccountStatus::Connected);
    }
    assert_eq!(w.actions("account.refresh_failed").await, 2);
    assert_eq!(
        w.stored_refresh(&account.id).await,
        before,
        "nothing was lost"
    );

    // A timeout is a blip too.
    w.fake.with(|b| b.delay = std::time::Duration::from_secs(4));
    assert!(matches!(
        w.refresh(&locks, &account.id, 10).await,
        RefreshOutcome::RetryLater { .. }
    ));
    w.fake.with(|b| b.delay = std::time::Duration::ZERO);

    // The stored refresh token was never used up by the failures; the next try works.
    assert!(matches!(
        w.refresh(&locks, &account.id, 11).await,
        RefreshOutcome::Refreshed { .. }
    ));
    assert_eq!(w.account().await.status, AccountStatus::Connected);
}

/// A careless token endpoint: its refusals quote the refresh token and
/// client secret it was sent, run over several lines, carry a direction
/// override and a page of text. The user, the notification, the audit log
/// and the database get only what `server_words` lets through.
#[tokio::test]
async fn a_refresh_refusal_reaches_the_user_only_through_server_words() {
    // YouTube: Google's desktop clients have a secret to leak.
    let w = world_for("refresh-echo", Platform::Youtube).await;
    let secret = w.fake.dialect.client_secret.expect("a confidential client");
    let locks = RefreshLocks::default();
    // Each refusal answers the next token request; connecting is one, so
    // each is queued just before its refresh.
    let refuse_next = |body: serde_json::Value| {
        // `fail_next` takes a &'static str: these few small bodies live as
        // long as the test binary.
        let leaked: &'static str = Box::leak(body.to_string().into_boxed_str());
        w.fake.with(|b| {
            b.fail_next
                .push((reachloop_fakes::StatusCode::BAD_REQUEST, leaked))
        });
    };
    let shouting = "CALL NOW ".repeat(500);
    let mut refresh_tokens = Vec::new();

    // The echo: only the error code is kept.
    let account = w.connect().await;
    let refresh = w.stored_refresh(&account.id).await;
    refresh_tokens.push(refresh.clone());
    refuse_next(json!({
        "error": "invalid_grant",
        "error_description": format!("refresh_token {refresh} was revoked\nsecret={secret}"),
    }));
    match w.refresh(&locks, &account.id, 10).await {
        RefreshOutcome::NeedsAction { reason, .. } => {
            assert!(reason.contains("(invalid_grant)"), "{reason}");
            assert!(
                !reason.contains(&refresh) && !reason.contains(secret),
                "{reason}"
            );
        }
        other => panic!("expected needs action, got {other:?}"),
    }

    // The long one: its first line, no controls, cut short.
    let account = w.connect().await;
    refresh_tokens.push(w.stored_refresh(&account.id).await);
    refuse_next(json!({
        "error": "invalid_grant",
        "error_description": format!("Token revoked \u{202e}lave\u{202c} {shouting}\nsecond line"),
    }));
    match w.refresh(&locks, &account.id, 11).await {
        RefreshOutcome::NeedsAction { reason, .. } => {
            assert!(reason.contains("Token revoked"), "{reason}");
            assert!(
                !reason.contains('\u{202e}') && !reason.contains("second line"),
                "{reason:?}"
            );
            assert!(
                reason.chars().count() < 250,
                "{} characters",
                reason.chars().count()
            );
        }
        other => panic!("expected needs action, got {other:?}"),
    }

    // An error code carrying the secret is dropped whole; retried later.
    let account = w.connect().await;
    refresh_tokens.push(w.stored_refresh(&account.id).await);
    refuse_next(json!({
        "error": format!("invalid_client {secret}"),
        "error_description": "bad client",
    }));
    match w.refresh(&locks, &account.id, 12).await {
        RefreshOutcome::RetryLater { reason, .. } => {
            assert!(!reason.contains(secret), "{reason}");
            assert!(reason.contains("an unreadable error"), "{reason}");
        }
        other => panic!("expected a retry, got {other:?}"),
    }

    let audit = w.app.recent_audit(100).await.expect("audit");
    let db = std::fs::read(&w.db).expect("db");
    let wal = std::fs::read(w.db.with_extension("sqlite3-wal")).unwrap_or_default();
    let needles = refresh_tokens
        .iter()
        .map(String::as_str)
        .chain([secret, &shouting[..200]]);
    for needle in needles {
        assert!(
            audit.iter().all(|e| !e.details.contains(needle)),
            "{needle}"
        );
        for bytes in [&db, &wal] {
            assert!(
                !bytes
                    .windows(needle.len())
                    .any(|win| win == needle.as_bytes()),
                "{needle} is in the database"
            );
        }
    }
}

/// A token endpoint answering more than Reachloop reads (5 MiB): the answer
/// is given up at the cap, a blip rather than a revoked grant.
#[tokio::test]
async fn a_token_answer_over_the_cap_is_a_blip_not_a_revocation() {
    let w = world("refresh-oversized").await;
    let account = w.connect().await;
    let huge = json!({
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
        "padding": "x".repeat(5 << 20),
    });
    // One 5 MiB body for the life of the test binary (`fail_next` wants 'static).
    let leaked: &'static str = Box::leak(huge.to_string().into_boxed_str());
    w.fake.with(|b| {
        b.fail_next
            .push((reachloop_fakes::StatusCode::BAD_REQUEST, leaked))
    });
    let locks = RefreshLocks::default();
    match w.refresh(&locks, &account.id, 10).await {
        RefreshOutcome::RetryLater { reason, .. } => {
            assert!(reason.contains("larger than 4 MiB"), "{reason}")
        }
        other => panic!("expected a retry, got {other:?}"),
    }
    assert_eq!(w.account().await.status, AccountStatus::Connected);
    assert!(matches!(
        w.refresh(&locks, &account.id, 11).await,
        RefreshOutcome::Refreshed { .. }
    ));
}

#[tokio::test]
async fn an_empty_refresh_token_in_a_response_keeps_the_stored_one() {
    let w = world("refresh-empty").await;
    let account = w.connect().await;
    let before = w.stored_refresh(&account.id).await;
    w.fake.with(|b| b.omit_refresh_token = true);
    let locks = RefreshLocks::default();
    assert_eq!(
        w.refresh(&locks, &account.id, 10).await,
        RefreshOutcome::Refreshed {
            expires_at: Some(at(12, 0)),
            rotated: false
        }
    );
    assert_eq!(w.stored_refresh(&account.id).await, before);
}

#[tokio::test]
async fn refresh_is_scheduled_ahead_of_expiry() {
    let w = world("refresh-due").await;
    let account = w.connect().await;
    let store = w.app.store();
    // Connected at 09:01 with a 2 h token: due between 10:32 and 10:37.
    assert!(store
        .accounts_due_for_refresh(at(10, 30))
        .await
        .expect("due")
        .is_empty());
    assert_eq!(
        store
            .accounts_due_for_refresh(at(10, 40))
            .await
            .expect("due"),
        vec![account.id]
    );
}

#[tokio::test]
async fn disconnect_revokes_deletes_tokens_and_keeps_history() {
    let w = world("disconnect").await;
    let account = w.connect().await;
    let refresh = w.stored_refresh(&account.id).await;
    let store = w.app.store();
    for sql in [
        "INSERT INTO campaigns (id, name, goal, created_at, updated_at) VALUES ('c1', 'C', 'reach', 't', 't')".to_string(),
        format!(
            "INSERT INTO posts (id, campaign_id, provider_id, account_id, scheduled_at, status, created_at, updated_at)
             VALUES ('p1', 'c1', 'x', '{}', '2026-11-20T10:00:00.000Z', 'published', 't', 't')",
            account.id
        ),
        "INSERT INTO metric_snapshots (post_id, captured_at, likes) VALUES ('p1', '2026-11-21T10:00:00.000Z', 42)".to_string(),
    ] {
        store.execute_raw(&sql).await.expect("seed history");
    }

    let outcome = oauth::disconnect(
        store,
        &w.vault,
        &w.http,
        Some(&w.config()),
        &account.id,
        at(12, 0),
    )
    .await
    .expect("disconnect");
    assert_eq!(outcome, oauth::Revocation::Revoked);
    assert!(
        w.fake.with(|b| b.revoked.contains(&refresh)),
        "the refresh token was revoked at X"
    );
    assert!(!w.fake.refresh_token_valid(&refresh));
    assert_eq!(
        store.sealed_tokens(&account.id).await.expect("tokens"),
        (None, None)
    );
    let after = w.account().await;
    assert_eq!(after.status, AccountStatus::Disconnected);
    assert!(!after.renews_itself);
    assert_eq!(after.handle, account.handle, "the account stays listed");
    assert_eq!(
        store
            .scalar_raw("SELECT likes FROM metric_snapshots")
            .await
            .expect("history"),
        42
    );
    assert_eq!(w.actions("account.disconnected").await, 1);
    assert!(store
        .accounts_due_for_refresh(at(23, 0))
        .await
        .expect("due")
        .is_empty());
}

#[tokio::test]
async fn disconnect_forgets_tokens_even_when_the_platform_is_unreachable() {
    let w = world("disconnect-offline").await;
    let account = w.connect().await;
    let unreachable = PlatformConfig {
        endpoints: Endpoints::all_at("http://127.0.0.1:9").expect("base"),
        credentials: Credentials {
            client_id: w.fake.dialect.client_id.into(),
            client_secret: None,
        },
    };
    let outcome = oauth::disconnect(
        w.app.store(),
        &w.vault,
        &w.http,
        Some(&unreachable),
        &account.id,
        at(12, 0),
    )
    .await
    .expect("disconnect");
    assert!(
        matches!(outcome, oauth::Revocation::Failed(ref m) if m.contains("did not confirm")),
        "{outcome:?}"
    );
    assert_eq!(
        w.app
            .store()
            .sealed_tokens(&account.id)
            .await
            .expect("tokens"),
        (None, None)
    );
    let after = w.account().await;
    assert_eq!(after.status, AccountStatus::Disconnected);
    assert!(
        after.status_reason.is_some(),
        "the user learns that revoking at X failed"
    );
    let missing = oauth::disconnect(
        w.app.store(),
        &w.vault,
        &w.http,
        None,
        "no-such-id",
        at(12, 0),
    )
    .await;
    assert!(matches!(missing, Err(OAuthError::NoSuchAccount(_))));
}

#[tokio::test]
async fn a_failed_revoke_keeps_nothing_the_server_echoed_and_says_what_to_do() {
    let w = world("revoke-echo").await;
    let account = w.connect().await;
    w.fake
        .with(|b| b.revoke_fails_with = Some(reqwest::StatusCode::INTERNAL_SERVER_ERROR));
    let outcome = oauth::disconnect(
        w.app.store(),
        &w.vault,
        &w.http,
        Some(&w.config()),
        &account.id,
        at(12, 0),
    )
    .await
    .expect("disconnect");
    let oauth::Revocation::Failed(message) = &outcome else {
        panic!("expected a failed revocation, got {outcome:?}");
    };
    let after = w.account().await;
    let reason = after.status_reason.clone().expect("a reason for the user");
    assert_eq!(&reason, message);
    // In words: the tokens here are gone, and where to finish at X.
    assert!(reason.contains("deleted its tokens"), "{reason}");
    assert!(
        reason.contains("https://x.com/settings/connected_apps"),
        "{reason}"
    );
    assert!(
        reason.contains("HTTP 500") && reason.contains("server_error"),
        "{reason}"
    );
    assert!(!reason.contains('{'), "no raw JSON: {reason}");
    // The body echoed the token; it reaches neither the account, the audit
    // log nor the database file.
    let issued = w.fake.with(|b| b.issued_tokens.clone());
    let db = std::fs::read(&w.db).expect("db");
    let wal = std::fs::read(w.db.with_extension("sqlite3-wal")).unwrap_or_default();
    let audit = w.app.recent_audit(50).await.expect("audit");
    for token in &issued {
        assert!(!reason.contains(token.as_str()));
        assert!(audit.iter().all(|e| !e.details.contains(token.as_str())));
        for bytes in [&db, &wal] {
            assert!(
                !bytes
                    .windows(token.len())
                    .any(|win| win == token.as_bytes()),
                "a token is in the database"
            );
        }
    }
}

/// Connects `fake`'s user into `w`'s app (another platform than `w`'s own).
async fn connect_other(w: &World, fake: &FakeOAuth, platform: Platform) -> reachloop_ipc::Account {
    let config = PlatformConfig {
        endpoints: Endpoints::all_at(&fake.base).expect("base"),
        credentials: Credentials {
            client_id: fake.dialect.client_id.into(),
            client_secret: fake.dialect.client_secret.map(|s| Zeroizing::new(s.into())),
        },
    };
    let begun = oauth::begin(
        w.app.store(),
        &w.vault,
        platform,
        &config,
        &oauth::loopback_redirect_uri(platform, 53690),
        at(9, 0),
        &mut OsRng,
    )
    .await
    .expect("begin");
    let answer = crate::follow_consent(&w.browser, &begun).await;
    let callback = oauth::parse_callback(&answer).expect("callback");
    oauth::complete(
        w.app.store(),
        &w.vault,
        &w.http,
        |_| Ok(config.clone()),
        &callback,
        at(9, 1),
        &mut OsRng,
    )
    .await
    .expect("connect")
    .account()
    .expect("an account")
}

/// The app's own refresh round, with its app settings pointed at the fakes.
async fn point_app_at(w: &World, platform: Platform, fake: &FakeOAuth) {
    w.app
        .point_platform_at(platform, Endpoints::all_at(&fake.base).expect("base"));
    w.app
        .save_platform_app(
            platform,
            fake.dialect.client_id,
            fake.dialect.client_secret,
            None,
            &w._keys.0,
            at(9, 0),
        )
        .await
        .expect("app settings");
}

#[tokio::test]
async fn one_broken_account_does_not_stop_the_refresh_round_and_revocation_notifies_once() {
    let w = world("round").await;
    let youtube = FakeOAuth::youtube().await;
    let x_account = w.connect().await;
    let yt_account = connect_other(&w, &youtube, Platform::Youtube).await;
    point_app_at(&w, Platform::X, &w.fake).await;
    point_app_at(&w, Platform::Youtube, &youtube).await;
    // YouTube's token (1 h) is due first; its sealed refresh token is broken.
    w.app
        .store()
        .execute_raw(&format!(
            "UPDATE social_accounts SET refresh_token_enc = x'0001020304' WHERE id = '{}'",
            yt_account.id
        ))
        .await
        .expect("break it");
    let outcomes = w
        .app
        .refresh_due_accounts(&w._keys.0, at(12, 0))
        .await
        .expect("the round itself does not fail");
    let of = |id: &str| {
        outcomes
            .iter()
            .find(|(a, _)| a == id)
            .map(|(_, o)| o.clone())
            .unwrap_or_else(|| panic!("no outcome for {id}: {outcomes:?}"))
    };
    assert!(
        matches!(of(&yt_account.id), RefreshOutcome::RetryLater { .. }),
        "{outcomes:?}"
    );
    assert!(
        matches!(of(&x_account.id), RefreshOutcome::Refreshed { .. }),
        "the healthy account still renewed: {outcomes:?}"
    );
    // The broken account is marked, not retried at once in a hot loop.
    let broken = w
        .app
        .store()
        .refresh_target(&yt_account.id)
        .await
        .expect("target")
        .expect("still there");
    assert_eq!(broken.refresh_failures, 1);
    let again = w
        .app
        .refresh_due_accounts(&w._keys.0, at(12, 0))
        .await
        .expect("round");
    assert!(again.iter().all(|(a, _)| a != &yt_account.id), "{again:?}");

    // The user revokes Reachloop at X: one notification's worth, once.
    w.fake.revoke_all();
    let needs = |outcomes: &[(String, RefreshOutcome)]| {
        outcomes
            .iter()
            .filter(|(a, o)| {
                a == &x_account.id && matches!(o, RefreshOutcome::NeedsAction { newly: true, .. })
            })
            .count()
    };
    let mut announced = 0;
    for hour in [15, 18, 21] {
        let round = w
            .app
            .refresh_due_accounts(&w._keys.0, at(hour, 0))
            .await
            .expect("round");
        announced += needs(&round);
    }
    assert_eq!(announced, 1, "announced exactly once");
}

#[tokio::test]
async fn a_huge_expires_in_is_clamped_instead_of_ending_the_refresher() {
    let w = world("huge-expiry").await;
    // Seconds beyond what a date can hold once added to now.
    w.fake
        .with(|b| b.expires_in_override = Some(serde_json::json!(9_000_000_000_000_000u64)));
    let account = w.connect().await;
    let expires = account.token_expires_at.clone().expect("an expiry");
    let expires = chrono::DateTime::parse_from_rfc3339(&expires).expect("rfc3339");
    assert!(
        expires.with_timezone(&chrono::Utc) <= at(9, 1) + chrono::Duration::days(365),
        "{expires}"
    );
    point_app_at(&w, Platform::X, &w.fake).await;
    w.fake
        .with(|b| b.expires_in_override = Some(serde_json::json!(u64::MAX)));
    let far = at(9, 0) + chrono::Duration::days(400);
    let round = w
        .app
        .refresh_due_accounts(&w._keys.0, far)
        .await
        .expect("no panic, no error");
    assert!(
        matches!(round.first(), Some((_, RefreshOutcome::Refreshed { .. }))),
        "{round:?}"
    );
}

/// The whole life of an account on every platform the authorization-code
/// flow serves: connect, refresh (rotating or not), revoked grant, reconnect,
/// code injection refused by PKCE, disconnect with revocation.
#[tokio::test]
async fn every_platform_connects_refreshes_and_disconnects() {
    for platform in [Platform::X, Platform::Youtube, Platform::Tiktok] {
        let w = world_for(&format!("life-{}", platform.as_str()), platform).await;
        let d = w.fake.dialect;

        // PKCE refuses a code bound to another session's verifier, in the platform's own words.
        let attacker = w.begin(0).await;
        let victim = w.begin(0).await;
        let injected = w
            .consent(&attacker)
            .await
            .replace(&attacker.state, &victim.state);
        match w.complete(&injected, 1).await {
            Err(OAuthError::TokenRejected {
                error, description, ..
            }) => {
                assert_eq!(
                    (error.as_str(), description.as_deref()),
                    (d.bad_verifier.1, Some(d.bad_verifier.2)),
                    "{platform}"
                )
            }
            other => panic!("{platform}: expected a refused token request, got {other:?}"),
        }

        let account = w.connect().await;
        let (id, handle, name) = d.user;
        assert_eq!(account.external_id, id, "{platform}");
        // TikTok's `username` needs `user.info.profile`, which Reachloop
        // does not ask for: the handle shown is the display name.
        let handle = if platform == Platform::Tiktok {
            name
        } else {
            handle
        };
        assert!(
            account.handle.ends_with(handle.trim_start_matches('@')),
            "{platform}: {}",
            account.handle
        );
        assert_eq!(
            w.fake.with(|b| b.refusals.clone()),
            Vec::<String>::new(),
            "{platform}: the adapter broke none of the platform's rules on the way"
        );
        assert_eq!(account.display_name, name, "{platform}");
        assert!(account.renews_itself, "{platform}");

        let locks = RefreshLocks::default();
        let before = w.stored_refresh(&account.id).await;
        match w.refresh(&locks, &account.id, 10).await {
            RefreshOutcome::Refreshed { rotated, .. } => {
                assert_eq!(rotated, d.rotates_refresh_tokens, "{platform}")
            }
            other => panic!("{platform}: {other:?}"),
        }
        let after = w.stored_refresh(&account.id).await;
        assert_eq!(
            after == before,
            !d.rotates_refresh_tokens,
            "{platform}: rotation as the platform does it"
        );
        assert_eq!(w.fake.with(|b| b.stale_refresh_uses), 0);

        w.fake.revoke_all();
        match w.refresh(&locks, &account.id, 11).await {
            RefreshOutcome::NeedsAction {
                reason,
                newly: true,
            } => assert!(reason.contains(d.bad_refresh.2), "{platform}: {reason}"),
            other => panic!("{platform}: expected needs action, got {other:?}"),
        }
        let back = w
            .complete(&w.consent(&w.begin(30).await).await, 31)
            .await
            .expect("reconnect")
            .account()
            .expect("an account");
        assert_eq!(
            (back.id.as_str(), back.status),
            (account.id.as_str(), AccountStatus::Connected),
            "{platform}"
        );

        let refresh = w.stored_refresh(&account.id).await;
        let outcome = oauth::disconnect(
            w.app.store(),
            &w.vault,
            &w.http,
            Some(&w.config()),
            &account.id,
            at(12, 0),
        )
        .await
        .expect("disconnect");
        assert_eq!(outcome, oauth::Revocation::Revoked, "{platform}");
        assert!(w.fake.with(|b| b.revoked.contains(&refresh)), "{platform}");
        assert_eq!(
            w.account().await.status,
            AccountStatus::Disconnected,
            "{platform}"
        );
    }
}

/// Everything logged at any level by this test binary from the first call on.
#[derive(Clone, Default)]
pub(crate) struct LogCapture(pub(crate) std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

/// Installs the process-wide capture once. (A thread-local subscriber misses
/// events whose call sites other test threads registered first.)
pub(crate) fn captured_logs() -> &'static LogCapture {
    static LOGS: std::sync::OnceLock<LogCapture> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = LogCapture::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("the only global subscriber in this binary");
        logs
    })
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_token_reaches_the_logs_or_the_database_in_plaintext() {
    let logs = captured_logs();

    let w = world_for("no-plaintext", Platform::Tiktok).await;
    // A client secret saved through Settings lives in the keychain only.
    let settings_secret = "tt-settings-secret-5f2c9a71";
    w.app
        .save_platform_app(
            Platform::Tiktok,
            w.fake.dialect.client_id,
            Some(settings_secret),
            None,
            &w._keys.0,
            at(9, 0),
        )
        .await
        .expect("save the app");
    let config = w
        .app
        .platform_config(Platform::Tiktok, &w._keys.0)
        .await
        .expect("config");
    assert_eq!(
        config
            .credentials
            .client_secret
            .as_deref()
            .map(|s| s.as_str()),
        Some(settings_secret)
    );
    assert!(!format!("{config:?}").contains(settings_secret));
    let account = w.connect().await;
    let locks = RefreshLocks::default();
    assert!(matches!(
        w.refresh(&locks, &account.id, 10).await,
        RefreshOutcome::Refreshed { .. }
    ));
    w.fake.with(|b| {
        b.fail_next
            .push((reachloop_fakes::StatusCode::BAD_GATEWAY, "upstream failed"))
    });
    assert!(matches!(
        w.refresh(&locks, &account.id, 11).await,
        RefreshOutcome::RetryLater { .. }
    ));
    w.fake.revoke_all();
    assert!(matches!(
        w.refresh(&locks, &account.id, 12).await,
        RefreshOutcome::NeedsAction { .. }
    ));
    w.complete(&w.consent(&w.begin(40).await).await, 41)
        .await
        .expect("reconnect");
    oauth::disconnect(
        w.app.store(),
        &w.vault,
        &w.http,
        Some(&w.config()),
        &account.id,
        at(13, 0),
    )
    .await
    .expect("disconnect");
    let audit = w.app.recent_audit(500).await.expect("audit");
    w.app.store().clone().close().await;

    let logged = String::from_utf8(logs.0.lock().expect("log buffer").clone()).expect("utf-8 logs");
    assert!(
        logged.contains(&account.id) && logged.contains("token refreshed"),
        "the cycle was logged:\n{logged}"
    );
    let mut db = std::fs::read(&w.db).expect("db");
    if let Ok(wal) = std::fs::read(w.db.with_extension("sqlite3-wal")) {
        db.extend(wal);
    }
    let secrets = w.fake.with(|b| b.issued_tokens.clone());
    assert!(
        secrets.len() >= 6,
        "access and refresh tokens of several rounds"
    );
    // Codes, states and PKCE verifiers are secrets too while a sign-in runs.
    let in_flight = w.fake.with(|b| {
        let mut v = b.seen_codes.clone();
        v.extend(b.seen_states.clone());
        v.extend(b.seen_verifiers.clone());
        v
    });
    assert!(
        in_flight.len() >= 6,
        "two sign-ins' codes, states and verifiers"
    );
    for token in secrets.iter().chain(&in_flight).map(String::as_str).chain([
        w.fake.dialect.client_secret.expect("tiktok has a secret"),
        settings_secret,
    ]) {
        assert!(!logged.contains(token), "a secret is in the logs: {token}");
        assert!(
            !db.windows(token.len()).any(|win| win == token.as_bytes()),
            "a secret is in the database: {token}"
        );
        assert!(
            audit.iter().all(|e| !e.details.contains(token)),
            "a secret is in the audit log"
        );
    }
}

#[tokio::test]
async fn platform_app_credentials_live_in_settings_and_the_keychain() {
    let dir = data_dir();
    let keys = TestKeychain::new("platform-apps");
    let app = App::open(dir.path()).await.expect("open");

    let missing = app
        .platform_config(Platform::Youtube, &keys.0)
        .await
        .expect_err("nothing configured");
    assert_eq!(missing.code(), "not_configured");
    assert!(
        missing.to_string().contains("OAUTH_YOUTUBE_CLIENT_ID"),
        "{missing}"
    );

    let err = app
        .save_platform_app(Platform::Youtube, "  ", None, None, &keys.0, at(9, 0))
        .await
        .expect_err("empty id");
    assert_eq!(err.fields()[0].field, "client_id");
    let err = app
        .save_platform_app(
            Platform::Youtube,
            "has space",
            None,
            None,
            &keys.0,
            at(9, 0),
        )
        .await
        .expect_err("bad id");
    assert_eq!(err.fields()[0].code, "invalid");

    let secret = "GOCSPX-not-a-real-secret-0123456789";
    app.save_platform_app(
        Platform::Youtube,
        " 123-abc.apps.googleusercontent.com ",
        Some(secret),
        None,
        &keys.0,
        at(9, 1),
    )
    .await
    .unwrap_or_else(|e| {
        panic!("this test needs a Secret Service; run it through `cargo xtask test`: {e}")
    });
    let config = app
        .platform_config(Platform::Youtube, &keys.0)
        .await
        .expect("configured");
    assert_eq!(
        config.credentials.client_id,
        "123-abc.apps.googleusercontent.com"
    );
    assert_eq!(
        config
            .credentials
            .client_secret
            .as_deref()
            .map(String::as_str),
        Some(secret)
    );
    assert_eq!(
        config.endpoints.token_base.as_str(),
        "https://oauth2.googleapis.com/"
    );

    // Saving the id again without a secret keeps the stored secret.
    app.save_platform_app(
        Platform::Youtube,
        "123-abc.apps.googleusercontent.com",
        None,
        None,
        &keys.0,
        at(9, 2),
    )
    .await
    .expect("save id only");
    let config = app
        .platform_config(Platform::Youtube, &keys.0)
        .await
        .expect("configured");
    assert_eq!(
        config
            .credentials
            .client_secret
            .as_deref()
            .map(String::as_str),
        Some(secret)
    );

    // Meta wants https redirects: a relay page, checked, then used.
    let err = app
        .save_platform_app(
            Platform::Facebook,
            "1234",
            None,
            Some("http://relay.example/r"),
            &keys.0,
            at(9, 3),
        )
        .await
        .expect_err("plain http relay");
    assert_eq!(
        (
            err.fields()[0].field.as_str(),
            err.fields()[0].code.as_str()
        ),
        ("relay_url", "invalid")
    );
    assert!(err.fields()[0].message.contains("https"), "{err:?}");
    app.save_platform_app(
        Platform::Facebook,
        "1234",
        None,
        Some(" https://me.github.io/reachloop-relay "),
        &keys.0,
        at(9, 4),
    )
    .await
    .expect("relay saved");

    let apps = app.platform_apps(&keys.0).await.expect("apps");
    let platforms: Vec<Platform> = apps.iter().map(|a| a.platform).collect();
    assert_eq!(
        platforms,
        [
            Platform::X,
            Platform::Youtube,
            Platform::Facebook,
            Platform::Instagram,
            Platform::Tiktok
        ]
    );
    let facebook = &apps[2];
    assert_eq!(
        facebook.redirect_uri,
        "https://me.github.io/reachloop-relay/oauth/facebook/callback/"
    );
    assert!(facebook.supports_relay && !apps[0].supports_relay);
    assert_eq!(
        apps[3].redirect_uri,
        "http://127.0.0.1:47615/oauth/instagram/callback"
    );
    let youtube = &apps[1];
    assert!(youtube.has_secret && youtube.needs_secret && !youtube.from_env);
    assert_eq!(
        youtube.redirect_uri,
        "http://127.0.0.1:<any port>/oauth/youtube/callback"
    );
    assert_eq!(
        apps[0].redirect_uri,
        "http://127.0.0.1:47613/oauth/x/callback"
    );
    let shown = serde_json::to_string(&apps).expect("json");
    assert!(
        !shown.contains(secret),
        "the secret never goes back to the UI"
    );

    let audit = app.recent_audit(20).await.expect("audit");
    assert!(audit.iter().any(|e| e.action == "oauth.app_configured"));
    assert!(audit.iter().all(|e| !e.details.contains(secret)));
    app.store().clone().close().await;
    let db = std::fs::read(crate::db_path(dir.path())).expect("db");
    assert!(
        !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the secret is not in the database"
    );
    let _ = keys
        .0
        .with_user(&oauth::client_secret_entry(Platform::Youtube))
        .forget();
}

#[tokio::test]
async fn a_sign_in_that_cannot_renew_shows_expiring_then_needs_action() {
    let w = world("standing").await;
    w.fake.with(|b| b.omit_refresh_token = true);
    let account = w.connect().await; // at 09:01, a 2 h token and no refresh token
    assert!(!account.renews_itself);
    let at_ten = w
        .app
        .list_accounts(at(10, 0))
        .await
        .expect("list")
        .remove(0);
    assert_eq!(at_ten.status, AccountStatus::Expiring);
    assert_eq!(
        at_ten.status_reason.as_deref(),
        Some("The sign-in expires in 1 hour and cannot renew itself; reconnect to extend it.")
    );
    let later = w
        .app
        .list_accounts(at(11, 30))
        .await
        .expect("list")
        .remove(0);
    assert_eq!(later.status, AccountStatus::NeedsAction);
    assert_eq!(
        later.status_reason.as_deref(),
        Some("The sign-in expired; reconnect the account.")
    );
}

/// `reachloop-cli accounts connect x` prints the consent address, waits on
/// the loopback listener like the app, and stores the account for both.
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_connects_an_x_account_through_the_browser() {
    use std::io::BufRead;
    let w = world("oauth-cli").await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        l.local_addr().expect("addr").port()
    };
    w.fake
        .register_redirect(&format!("http://127.0.0.1:{port}/oauth/x/callback"));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
        .env("REACHLOOP_DATA_DIR", w._dir.path())
        .env("REACHLOOP_KEYCHAIN_SERVICE", &w._keys.1)
        .env("OAUTH_X_CLIENT_ID", w.fake.dialect.client_id)
        .env("REACHLOOP_X_AUTH_BASE", &w.fake.base)
        .env("REACHLOOP_X_TOKEN_BASE", &w.fake.base)
        .env("REACHLOOP_X_API_BASE", &w.fake.base)
        .env("REACHLOOP_X_REDIRECT_PORT", port.to_string())
        .args(["accounts", "connect", "x", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run reachloop-cli");
    // The address comes on stderr; then the CLI waits.
    let mut err = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut said = String::new();
    let url = loop {
        let mut line = String::new();
        if err.read_line(&mut line).expect("read stderr") == 0 {
            panic!("the CLI ended without a consent address: {said}");
        }
        said.push_str(&line);
        if let Some(u) = line.trim().strip_prefix("http") {
            break format!("http{u}");
        }
    };
    assert!(said.contains("connect X"), "{said}");
    assert!(url.starts_with(&w.fake.base), "{url}");
    // Play the browser: consent, then follow the redirect to the CLI.
    let consent = w.browser.get(&url).send().await.expect("consent page");
    assert!(consent.status().is_redirection(), "{}", consent.status());
    let callback = consent.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(
        callback.starts_with(&format!("http://127.0.0.1:{port}/oauth/x/callback?")),
        "{callback}"
    );
    let landing = w.browser.get(&callback).send().await.expect("callback");
    assert!(landing.status().is_success(), "{}", landing.status());
    let out = child.wait_with_output().expect("the CLI ends");
    assert!(out.status.success(), "{said}");
    let connected: Vec<reachloop_ipc::Account> =
        serde_json::from_slice(&out.stdout).expect("JSON accounts");
    assert_eq!(connected.len(), 1);
    assert_eq!(connected[0].platform, Platform::X);
    assert_eq!(connected[0].handle, format!("@{}", w.fake.dialect.user.1));
    // The app sees the same account, its tokens sealed with the same key.
    assert_eq!(w.accounts().await, connected);
    let (access, _) = w
        .app
        .store()
        .sealed_tokens(&connected[0].id)
        .await
        .expect("tokens");
    assert!(w
        .vault
        .open(
            &access.expect("access"),
            format!("account:{}:access", connected[0].id).as_bytes()
        )
        .is_ok());
    for token in w.fake.with(|b| b.issued_tokens.clone()) {
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(!printed.contains(&token) && !said.contains(&token));
    }
}
