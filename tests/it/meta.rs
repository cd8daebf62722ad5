//! Facebook Pages and Instagram against the fake Meta servers: Facebook
//! Login with the Page picker (Page tokens, Instagram accounts linked to
//! Pages, one grant shared by several accounts) and Business Login for
//! Instagram (60-day token renewed with `ig_refresh_token`).

use rand::rngs::OsRng;
use reachloop::app::Delivered;
use reachloop::oauth::{
    self, Connected, Credentials, Endpoints, FacebookGrant, OAuthError, PlatformConfig,
    RefreshLocks, RefreshOutcome, Revocation,
};
use reachloop::secrets::{KeyStore, Vault};
use reachloop::App;
use reachloop_fakes::meta::{FakeMeta, FACEBOOK_USER, INSTAGRAM_USER, PAGES};
use reachloop_ipc::{Account, AccountStatus, PageSelection, Platform};
use zeroize::Zeroizing;

use crate::{at, data_dir, TestKeychain};

struct World {
    _dir: tempfile::TempDir,
    _keys: TestKeychain,
    app: App,
    vault: Vault,
    http: reqwest::Client,
    fake: FakeMeta,
    platform: Platform,
    redirect: String,
    db: std::path::PathBuf,
}

async fn world(name: &str, platform: Platform) -> World {
    let (dir, keys, app, vault) = crate::unlocked_app(name).await;
    World {
        db: crate::db_path(dir.path()),
        _dir: dir,
        _keys: keys,
        app,
        vault,
        http: crate::no_redirect_client(),
        fake: match platform {
            Platform::Facebook => FakeMeta::facebook().await,
            Platform::Instagram => FakeMeta::instagram().await,
            other => panic!("no Meta fake for {other}"),
        },
        platform,
        redirect: oauth::loopback_redirect_uri(platform, 47614),
    }
}

impl World {
    fn config(&self) -> PlatformConfig {
        PlatformConfig {
            endpoints: Endpoints::all_at(&self.fake.base).expect("fake base"),
            credentials: Credentials {
                client_id: self.fake.client_id().into(),
                client_secret: Some(Zeroizing::new(self.fake.client_secret().into())),
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

    /// Plays the browser on the consent page; returns where it redirects.
    async fn consent(&self, begun: &oauth::Begun) -> String {
        crate::follow_consent(&self.http, begun).await
    }

    async fn complete(&self, callback: &str, minute: u32) -> Result<Connected, OAuthError> {
        let callback = oauth::parse_callback(callback).expect("our callback");
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

    async fn sign_in(&self, minute: u32) -> Connected {
        let callback = self.consent(&self.begin(minute).await).await;
        self.complete(&callback, minute + 1).await.expect("sign in")
    }

    async fn facebook_grant(&self, minute: u32) -> FacebookGrant {
        match self.sign_in(minute).await {
            Connected::ChoosePages(grant) => grant,
            Connected::Account(a) => panic!("Facebook connected {a:?} without asking for Pages"),
        }
    }

    async fn pick(
        &self,
        grant: &FacebookGrant,
        pages: &[&str],
        instagram: &[&str],
    ) -> Result<Vec<Account>, OAuthError> {
        let selection = PageSelection {
            grant: "in-memory".into(),
            pages: pages.iter().map(|s| s.to_string()).collect(),
            instagram: instagram.iter().map(|s| s.to_string()).collect(),
        };
        oauth::connect_pages(
            self.app.store(),
            &self.vault,
            grant,
            &selection,
            at(9, 5),
            &mut OsRng,
        )
        .await
    }

    async fn disconnect(&self, id: &str) -> Revocation {
        oauth::disconnect(
            self.app.store(),
            &self.vault,
            &self.http,
            Some(&self.config()),
            id,
            at(12, 0),
        )
        .await
        .expect("disconnect")
    }

    /// The plaintext token of `kind` stored for `id`.
    async fn stored(&self, id: &str, kind: &str) -> String {
        let (access, _) = self.app.store().sealed_tokens(id).await.expect("tokens");
        let plain = self
            .vault
            .open(
                &access.expect("access token"),
                format!("account:{id}:{kind}").as_bytes(),
            )
            .expect("open");
        String::from_utf8(plain.to_vec()).expect("utf-8")
    }

    async fn accounts(&self) -> Vec<Account> {
        self.app.list_accounts(at(9, 30)).await.expect("list")
    }

    async fn by_handle(&self, handle: &str) -> Account {
        self.accounts()
            .await
            .into_iter()
            .find(|a| a.handle == handle)
            .unwrap_or_else(|| panic!("no account {handle}"))
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
async fn facebook_offers_every_page_and_linked_instagram_account() {
    let w = world("fb-pages", Platform::Facebook).await;
    let grant = w.facebook_grant(0).await;
    assert_eq!(grant.user_id, FACEBOOK_USER.0);
    assert_eq!(grant.user_name, FACEBOOK_USER.1);
    let pages = grant.pages();
    // The fake answers two Pages at a time: the cursor was followed.
    assert_eq!(
        pages.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        PAGES.iter().map(|p| p.id).collect::<Vec<_>>()
    );
    assert_eq!(
        pages
            .iter()
            .map(|p| (p.name.as_str(), p.can_publish))
            .collect::<Vec<_>>(),
        [
            ("Bakery Bros", true),
            ("Bike Club", true),
            ("Read Only Fan Page", false)
        ]
    );
    let ig = pages[0].instagram.as_ref().expect("linked Instagram");
    assert_eq!(ig.username, "bakerybros");
    // Short-lived code exchange, then the long-lived exchange, each with
    // its secrets in a POST body, none in a URL.
    assert_eq!(w.fake.with(|b| b.token_requests), 2);
    assert_eq!(w.fake.with(|b| b.secrets_in_query), 0);
    assert!(
        serde_json::to_string(&pages)
            .map(|s| !s.contains("EAA"))
            .expect("json"),
        "the offered Pages carry no token"
    );
    // Nothing is stored until the user picks.
    assert!(w.accounts().await.is_empty());
}

#[tokio::test]
async fn picked_pages_connect_with_their_own_non_expiring_tokens() {
    let w = world("fb-pick", Platform::Facebook).await;
    let grant = w.facebook_grant(0).await;

    let err = w
        .pick(&grant, &["999"], &[])
        .await
        .expect_err("not managed");
    assert_eq!(err.code(), "bad_selection");
    let err = w.pick(&grant, &[], &[]).await.expect_err("nothing picked");
    assert_eq!(err.code(), "bad_selection");
    assert!(w.accounts().await.is_empty(), "a bad pick stores nothing");

    let connected = w
        .pick(&grant, &["101", "102"], &["17841400000000001"])
        .await
        .expect("connect pages");
    assert_eq!(connected.len(), 3);
    let bakery = w.by_handle("Bakery Bros").await;
    let bikes = w.by_handle("Bike Club").await;
    let insta = w.by_handle("@bakerybros").await;
    assert_eq!(
        (bakery.platform, bikes.platform, insta.platform),
        (Platform::Facebook, Platform::Facebook, Platform::Instagram)
    );
    for a in [&bakery, &bikes, &insta] {
        assert_eq!(a.status, AccountStatus::Connected, "{}", a.handle);
        assert_eq!(a.token_expires_at, None, "Page tokens do not expire");
        assert!(!a.renews_itself);
    }
    // Each Page has its own token, which the fake accepts; the Instagram
    // account uses its Page's token.
    let bakery_token = w.stored(&bakery.id, "access").await;
    let bikes_token = w.stored(&bikes.id, "access").await;
    assert_ne!(bakery_token, bikes_token);
    assert!(w.fake.token_valid(&bakery_token) && w.fake.token_valid(&bikes_token));
    assert!(w.fake.token_valid(&w.stored(&insta.id, "access").await));
    // Nothing to renew: the refresher leaves them alone.
    assert!(w
        .app
        .store()
        .accounts_due_for_refresh(at(23, 0))
        .await
        .expect("due")
        .is_empty());

    // Signing in again and picking the same Page reuses its account.
    let again = w.facebook_grant(20).await;
    let reconnected = w.pick(&again, &["101"], &[]).await.expect("again");
    assert_eq!(reconnected[0].id, bakery.id);
    assert_eq!(w.accounts().await.len(), 3);
}

#[tokio::test]
async fn the_facebook_grant_is_revoked_with_the_last_account_using_it() {
    let w = world("fb-revoke", Platform::Facebook).await;
    let grant = w.facebook_grant(0).await;
    w.pick(&grant, &["101", "102"], &["17841400000000001"])
        .await
        .expect("connect");
    let bakery = w.by_handle("Bakery Bros").await;
    let bikes = w.by_handle("Bike Club").await;
    let insta = w.by_handle("@bakerybros").await;
    let insta_token = w.stored(&insta.id, "access").await;

    assert_eq!(w.disconnect(&bikes.id).await, Revocation::KeptForOthers);
    assert_eq!(w.disconnect(&bakery.id).await, Revocation::KeptForOthers);
    assert_eq!(w.fake.with(|b| b.revocations), 0);
    assert!(
        w.fake.token_valid(&insta_token),
        "the Instagram account still publishes"
    );
    assert_eq!(w.disconnect(&insta.id).await, Revocation::Revoked);
    assert_eq!(w.fake.with(|b| b.revocations), 1);
    assert!(!w.fake.token_valid(&insta_token));

    // History stays readable; no token is left.
    let all = w.accounts().await;
    assert_eq!(all.len(), 3);
    for a in &all {
        assert_eq!(a.status, AccountStatus::Disconnected);
        assert_eq!(
            w.app.store().sealed_tokens(&a.id).await.expect("tokens"),
            (None, None)
        );
    }
    let kept = all
        .iter()
        .find(|a| a.id == bikes.id)
        .and_then(|a| a.status_reason.clone())
        .expect("reason");
    assert!(kept.contains("other accounts"), "{kept}");
}

#[tokio::test]
async fn facebook_refuses_wrong_verifiers_expired_codes_and_denials() {
    let w = world("fb-attacks", Platform::Facebook).await;

    // Code injection: a code issued for one sign-in, returned with another
    // sign-in's state, meets that sign-in's PKCE verifier.
    let first = w.begin(0).await;
    let second = w.begin(0).await;
    let stolen = url::Url::parse(&w.consent(&first).await).expect("redirect");
    let code = stolen
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("code")
        .1
        .into_owned();
    let forged = format!("{}?code={code}&state={}", w.redirect, second.state);
    let err = w.complete(&forged, 1).await.expect_err("wrong verifier");
    assert_eq!(err.code(), "token_rejected");
    assert!(err.to_string().contains("Invalid code verifier"), "{err}");

    // A code past its lifetime: Meta's own message comes through.
    w.fake.with(|b| b.code_lifetime = std::time::Duration::ZERO);
    let late = w.consent(&w.begin(2).await).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let err = w.complete(&late, 3).await.expect_err("expired code");
    assert!(
        err.to_string()
            .contains("This authorization code has expired")
            && err.to_string().contains("code 100, subcode 36007"),
        "{err}"
    );

    // The user clicks Cancel: no token request at all.
    w.fake.with(|b| {
        b.deny = true;
        b.code_lifetime = std::time::Duration::from_secs(30);
    });
    let before = w.fake.with(|b| b.token_requests);
    let denied = w.consent(&w.begin(4).await).await;
    let err = w.complete(&denied, 5).await.expect_err("denied");
    assert_eq!(err.code(), "denied");
    assert!(err.to_string().contains("Permissions error."), "{err}");
    assert_eq!(w.fake.with(|b| b.token_requests), before);
    assert_eq!(w.rejections().await.len(), 3);

    // A wrong app secret is Meta's "Error validating client secret."
    w.fake.with(|b| b.deny = false);
    let callback = w.consent(&w.begin(6).await).await;
    let mut config = w.config();
    config.credentials.client_secret = Some(Zeroizing::new("wrong".into()));
    let cb = oauth::parse_callback(&callback).expect("callback");
    let err = oauth::complete(
        w.app.store(),
        &w.vault,
        &w.http,
        |_| Ok(config.clone()),
        &cb,
        at(9, 7),
        &mut OsRng,
    )
    .await
    .expect_err("bad secret");
    assert!(
        err.to_string().contains("Error validating client secret"),
        "{err}"
    );
    assert!(w.accounts().await.is_empty());
}

/// Instagram's renewal answering 5 MiB: given up at the cap (nothing of
/// it stored), retried later, the account still connected; and a refusal
/// that quotes the token it was sent keeps only its status.
#[tokio::test]
async fn an_instagram_renewal_over_the_cap_or_quoting_the_token_is_kept_out() {
    let w = world("ig-oversized", Platform::Instagram).await;
    let account = w.sign_in(0).await.account().expect("an account");
    let token = w.stored(&account.id, "access").await;
    let locks = RefreshLocks::default();
    let refresh = |hour: u32| {
        let config = w.config();
        let locks = locks.clone();
        let id = account.id.clone();
        let w = &w;
        async move {
            oauth::refresh_account(
                w.app.store(),
                &w.vault,
                &w.http,
                &locks,
                &config,
                &id,
                at(hour, 0),
                &mut OsRng,
            )
            .await
            .expect("refresh ran")
        }
    };
    // A token answer that would do, were it not 5 MiB long.
    let huge = serde_json::json!({
        "access_token": "IGAALforged",
        "token_type": "bearer",
        "expires_in": 5_184_000,
        "padding": "x".repeat(5 << 20),
    });
    // `fail_next` takes a &'static str: these bodies live as long as the
    // test binary.
    let leaked: &'static str = Box::leak(huge.to_string().into_boxed_str());
    w.fake
        .with(|b| b.fail_next.push((reachloop_fakes::StatusCode::OK, leaked)));
    match refresh(10).await {
        RefreshOutcome::RetryLater { reason, .. } => {
            assert!(reason.contains("larger than 4 MiB"), "{reason}")
        }
        other => panic!("expected a retry, got {other:?}"),
    }
    assert_eq!(
        w.stored(&account.id, "access").await,
        token,
        "nothing of it kept"
    );
    assert_eq!(
        w.by_handle("@dana.creates").await.status,
        AccountStatus::Connected
    );

    let echo = serde_json::json!({
        "error": {
            "message": format!("Invalid OAuth access token {token}"),
            "type": "OAuthException",
            "code": 190,
        }
    });
    let leaked: &'static str = Box::leak(echo.to_string().into_boxed_str());
    w.fake.with(|b| {
        b.fail_next
            .push((reachloop_fakes::StatusCode::BAD_REQUEST, leaked))
    });
    match refresh(11).await {
        RefreshOutcome::NeedsAction { reason, .. } => {
            assert!(reason.contains("HTTP 400"), "{reason}");
            assert!(!reason.contains(&token), "{reason}");
        }
        other => panic!("expected needs action, got {other:?}"),
    }
}

#[tokio::test]
async fn instagram_login_connects_renews_daily_and_needs_action_when_revoked() {
    let w = world("ig-login", Platform::Instagram).await;
    let redirect = w.consent(&w.begin(0).await).await;
    assert!(redirect.ends_with("#_"), "Instagram appends #_: {redirect}");
    let account = w
        .complete(&redirect, 1)
        .await
        .expect("connect")
        .account()
        .expect("an account");
    assert_eq!(account.platform, Platform::Instagram);
    assert_eq!(account.handle, format!("@{}", INSTAGRAM_USER.1));
    assert_eq!(account.external_id, INSTAGRAM_USER.0);
    assert!(account.renews_itself);
    let expires =
        chrono::DateTime::parse_from_rfc3339(account.token_expires_at.as_deref().expect("expiry"))
            .expect("rfc 3339");
    assert_eq!(
        expires.with_timezone(&chrono::Utc) - at(9, 1),
        chrono::Duration::seconds(5_184_000),
        "the 60-day token, not the 1-hour one"
    );
    let first_token = w.stored(&account.id, "access").await;
    assert!(first_token.starts_with("IGAAL"), "long-lived token stored");
    // Renewed daily: due a day after connecting, not before.
    let store = w.app.store();
    assert!(store
        .accounts_due_for_refresh(at(23, 0))
        .await
        .expect("due")
        .is_empty());
    let next = store
        .next_refresh_at(&account.id)
        .await
        .expect("next")
        .expect("scheduled");
    assert!(
        next.starts_with("2026-11-27T09:") || next.starts_with("2026-11-27T10:"),
        "{next}"
    );

    let locks = RefreshLocks::default();
    let refresh = |hour: u32| {
        let config = w.config();
        let locks = locks.clone();
        let id = account.id.clone();
        let w = &w;
        async move {
            oauth::refresh_account(
                w.app.store(),
                &w.vault,
                &w.http,
                &locks,
                &config,
                &id,
                at(hour, 0),
                &mut OsRng,
            )
            .await
            .expect("refresh ran")
        }
    };
    assert!(matches!(
        refresh(10).await,
        RefreshOutcome::Refreshed { rotated: false, .. }
    ));
    let renewed = w.stored(&account.id, "access").await;
    assert_ne!(renewed, first_token);
    assert!(w.fake.token_valid(&renewed));

    // Too young to renew (Meta wants 24 h): a transient refusal, retried.
    w.fake
        .with(|b| b.min_refresh_age = std::time::Duration::from_secs(3600));
    match refresh(11).await {
        RefreshOutcome::RetryLater { reason, .. } => {
            assert!(reason.contains("24 hours"), "{reason}")
        }
        other => panic!("expected a retry, got {other:?}"),
    }
    assert_eq!(
        w.by_handle("@dana.creates").await.status,
        AccountStatus::Connected
    );

    // The user changes their password: code 190, needs action, once.
    w.fake
        .with(|b| b.min_refresh_age = std::time::Duration::ZERO);
    w.fake.invalidate_all();
    match refresh(12).await {
        RefreshOutcome::NeedsAction { reason, newly } => {
            assert!(newly);
            assert!(reason.contains("Invalid OAuth access token"), "{reason}");
        }
        other => panic!("expected needs action, got {other:?}"),
    }
    assert_eq!(
        w.by_handle("@dana.creates").await.status,
        AccountStatus::NeedsAction
    );

    // Reconnect (flat exchange answer this time), then disconnect: there is
    // no revoke endpoint, so the tokens are deleted and the user told where.
    w.fake.with(|b| b.flat_exchange = true);
    let back = w.sign_in(30).await.account().expect("an account");
    assert_eq!(
        (back.id.as_str(), back.status),
        (account.id.as_str(), AccountStatus::Connected)
    );
    assert_eq!(w.disconnect(&account.id).await, Revocation::NotOffered);
    let gone = w.by_handle("@dana.creates").await;
    assert_eq!(gone.status, AccountStatus::Disconnected);
    assert!(gone
        .status_reason
        .as_deref()
        .is_some_and(|r| r.contains("remove Reachloop")));
}

#[tokio::test]
async fn instagram_refuses_a_bad_app_secret_with_its_own_error_shape() {
    let w = world("ig-secret", Platform::Instagram).await;
    let callback = w.consent(&w.begin(0).await).await;
    let mut config = w.config();
    config.credentials.client_secret = Some(Zeroizing::new("wrong".into()));
    let cb = oauth::parse_callback(&callback).expect("callback");
    let err = oauth::complete(
        w.app.store(),
        &w.vault,
        &w.http,
        |_| Ok(config.clone()),
        &cb,
        at(9, 1),
        &mut OsRng,
    )
    .await
    .expect_err("bad secret");
    assert_eq!(err.code(), "token_rejected");
    assert!(err.to_string().contains("Invalid platform app"), "{err}");
    // Replaying the same answer is refused before any token request.
    let before = w.fake.with(|b| b.token_requests);
    let err = w.complete(&callback, 2).await.expect_err("replay");
    assert_eq!(err.code(), "reused_state");
    assert_eq!(w.fake.with(|b| b.token_requests), before);
}

#[tokio::test]
async fn no_meta_token_reaches_the_logs_or_the_database_in_plaintext() {
    let logs = crate::oauth::captured_logs();
    let fb = world("meta-plain-fb", Platform::Facebook).await;
    let grant = fb.facebook_grant(0).await;
    fb.pick(&grant, &["101"], &["17841400000000001"])
        .await
        .expect("connect");
    for a in fb.accounts().await {
        fb.disconnect(&a.id).await;
    }
    let ig = world("meta-plain-ig", Platform::Instagram).await;
    let account = ig.sign_in(0).await.account().expect("an account");
    oauth::refresh_account(
        ig.app.store(),
        &ig.vault,
        &ig.http,
        &RefreshLocks::default(),
        &ig.config(),
        &account.id,
        at(11, 0),
        &mut OsRng,
    )
    .await
    .expect("refresh");

    let logged = String::from_utf8(logs.0.lock().expect("log buffer").clone()).expect("utf-8");
    assert!(logged.contains("through a Facebook Page") && logged.contains("token refreshed"));
    for w in [&fb, &ig] {
        let audit = w.app.recent_audit(500).await.expect("audit");
        w.app.store().clone().close().await;
        let mut db = std::fs::read(&w.db).expect("db");
        if let Ok(wal) = std::fs::read(w.db.with_extension("sqlite3-wal")) {
            db.extend(wal);
        }
        let tokens = w.fake.with(|b| b.issued_tokens.clone());
        assert!(tokens.len() >= 3, "several tokens were issued");
        for secret in tokens
            .iter()
            .map(String::as_str)
            .chain([w.fake.client_secret()])
        {
            assert!(
                !logged.contains(secret),
                "a secret is in the logs: {secret}"
            );
            assert!(
                !db.windows(secret.len()).any(|win| win == secret.as_bytes()),
                "a secret is in the database: {secret}"
            );
            assert!(audit.iter().all(|e| !e.details.contains(secret)));
        }
    }
}

#[tokio::test]
async fn a_deep_link_for_no_sign_in_is_dropped_quietly_without_the_keychain() {
    let dir = data_dir();
    let keys = TestKeychain::new("deep-link");
    let app = App::open(dir.path()).await.expect("open");
    for link in [
        "reachloop://oauth/facebook/callback?code=AQx&state=never-issued",
        "reachloop://oauth/facebook/callback?code=AQx",
        "reachloop://oauth/instagram/callback?error=access_denied&state=another",
    ] {
        let delivered = app.deliver_callback(link, &keys.0).await.expect("no error");
        assert!(
            matches!(delivered, Delivered::Ignored),
            "{link}: {delivered:?}"
        );
    }
    // The keychain was never asked: no data key was made for this database.
    assert!(
        keys.0.load().expect("keychain readable").is_none(),
        "a stray link unlocked (and so created) the data key"
    );
    // One audit line for the three links, not three.
    let audit = app.recent_audit(20).await.expect("audit");
    let ignored = audit
        .iter()
        .filter(|e| e.action == "oauth.link_ignored")
        .count();
    assert_eq!(ignored, 1, "{audit:?}");
    assert!(audit.iter().all(|e| !e.details.contains("AQx")));
}

#[tokio::test]
async fn a_malformed_deep_link_is_ignored_like_a_stray_one_and_never_quoted() {
    let dir = data_dir();
    let keys = TestKeychain::new("deep-link-malformed");
    let app = App::open(dir.path()).await.expect("open");
    // Any web page can open these: a platform that is a page of text, a
    // link that is no callback, one that is no URL at all.
    let shouting = "\u{202e}PAY-NOW-".repeat(20_000);
    let links = [
        format!("reachloop://oauth/{shouting}/callback?code=AQx&state=s"),
        format!("reachloop://settings/{shouting}"),
        format!("reachloop://[{shouting}"),
    ];
    for link in &links {
        let delivered = app.deliver_callback(link, &keys.0).await;
        assert!(
            matches!(delivered, Ok(Delivered::Ignored)),
            "{}…: {}…",
            link.chars().take(40).collect::<String>(),
            format!("{delivered:?}")
                .chars()
                .take(200)
                .collect::<String>()
        );
    }
    assert!(
        keys.0.load().expect("keychain readable").is_none(),
        "a malformed link unlocked (and so created) the data key"
    );
    let audit = app.recent_audit(20).await.expect("audit");
    let ignored: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "oauth.link_ignored")
        .collect();
    assert_eq!(ignored.len(), 1, "one audit line a minute: {audit:?}");
    assert!(audit.iter().all(|e| !e.details.contains("PAY-NOW")));
}
