//! Connecting accounts against local fake platforms: the whole flow, and the
//! attacks it must refuse before any token request.

use rand::rngs::OsRng;
use reachloop::oauth::{self, Credentials, Endpoints, OAuthError, PlatformConfig};
use reachloop::secrets::Vault;
use reachloop::App;
use reachloop_ipc::{AccountStatus, Platform};

use crate::fakes::x::{self, FakeX};
use crate::{at, data_dir, TestKeychain};

struct World {
    _dir: tempfile::TempDir,
    _keys: TestKeychain,
    app: App,
    vault: Vault,
    http: reqwest::Client,
    browser: reqwest::Client,
    fake: FakeX,
    db: std::path::PathBuf,
}

const REDIRECT: &str = "http://127.0.0.1:53682/oauth/x/callback";

async fn world(name: &str) -> World {
    let dir = data_dir();
    let keys = TestKeychain::new(name);
    let app = App::open(dir.path()).await.expect("open");
    let vault = app
        .unlock_vault(at(8, 0), &keys.0, &mut OsRng)
        .await
        .unwrap_or_else(|e| {
            panic!("this test needs a Secret Service; run it through `cargo xtask test`: {e}")
        });
    let no_redirects = || {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    };
    World {
        db: crate::db_path(dir.path()),
        _dir: dir,
        _keys: keys,
        app,
        vault,
        http: no_redirects(),
        browser: no_redirects(),
        fake: FakeX::start().await,
    }
}

impl World {
    fn config(&self) -> PlatformConfig {
        PlatformConfig {
            endpoints: Endpoints::all_at(&self.fake.base).expect("fake base"),
            credentials: Credentials {
                client_id: x::CLIENT_ID.into(),
                client_secret: None,
            },
        }
    }

    async fn begin(&self, minute: u32) -> oauth::Begun {
        oauth::begin(
            self.app.store(),
            &self.vault,
            Platform::X,
            &self.config(),
            REDIRECT,
            at(9, minute),
            &mut OsRng,
        )
        .await
        .expect("begin")
    }

    /// Plays the browser: opens the consent page and returns where it redirects.
    async fn consent(&self, begun: &oauth::Begun) -> String {
        let response = self
            .browser
            .get(begun.authorize_url.clone())
            .send()
            .await
            .expect("consent page");
        assert!(
            response.status().is_redirection(),
            "consent answered {}",
            response.status()
        );
        response.headers()["location"]
            .to_str()
            .expect("location")
            .to_string()
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
    let account = connected.account;
    assert_eq!(account.platform, Platform::X);
    assert_eq!(account.handle, format!("@{}", x::USERNAME));
    assert_eq!(account.display_name, x::NAME);
    assert_eq!(account.external_id, x::USER_ID);
    assert_eq!(account.status, AccountStatus::Connected);
    assert!(account.has_refresh_token);
    assert_eq!(
        account.token_expires_at.as_deref(),
        Some("2026-11-26T11:01:00.000Z"),
        "now + 7200 s"
    );
    assert_eq!(
        w.app.store().list_accounts().await.expect("list"),
        vec![account.clone()]
    );

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
    assert!(String::from_utf8_lossy(&access).starts_with("x-access-"));
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
    assert!(w
        .app
        .store()
        .list_accounts()
        .await
        .expect("list")
        .is_empty());
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
    assert!(w
        .app
        .store()
        .list_accounts()
        .await
        .expect("list")
        .is_empty());
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
        .account;
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
        .account;
    assert_eq!(again.id, first.id, "the same account, not a new one");
    assert!(again.has_refresh_token);
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
    assert_eq!(w.app.store().list_accounts().await.expect("list").len(), 1);
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
