//! The I/O of connecting an account: remember the started authorization,
//! check the callback, exchange the code, read the profile, store the
//! account with sealed tokens. Every rejection is audited and makes no token
//! request.

use chrono::{DateTime, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, HttpClientError, PkceCodeVerifier,
    RedirectUrl, RequestTokenError, StandardErrorResponse, TokenResponse, TokenUrl,
};
use rand::{CryptoRng, RngCore};
use reachloop_ipc::{Account, Platform};
use serde_json::json;
use zeroize::Zeroizing;

use super::profiles::Flow;
use super::{
    authorize_url, endpoint, profile, random_token, Callback, Credentials, Endpoints, Profile,
    STATE_LIFETIME,
};
use crate::secrets::{SecretsError, Vault};
use crate::store::{
    Actor, AuditRecord, ConnectedAccount, OAuthSession, Store, StoreError, TakenSession,
};

/// Connecting failed. Messages are for people and never hold a token.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0} cannot be connected this way yet")]
    Unsupported(Platform),
    #[error("Connecting {} needs your {} developer app's client secret: paste it in Settings → Platform apps (or set OAUTH_{}_CLIENT_SECRET)", .0.label(), .0.label(), .0.as_str().to_uppercase())]
    MissingSecret(Platform),
    #[error("Connecting {} needs your {} developer app: paste its client ID in Settings → Platform apps (or set OAUTH_{}_CLIENT_ID)", .0.label(), .0.label(), .0.as_str().to_uppercase())]
    MissingClientId(Platform),
    #[error(
        "this sign-in link is not one Reachloop started (unknown state); start connecting again"
    )]
    UnknownState,
    #[error("this sign-in link was already used; start connecting again")]
    ReusedState,
    #[error("this sign-in took longer than 10 minutes and expired; start connecting again")]
    ExpiredState,
    #[error("the sign-in answer has no state parameter, so it cannot be trusted")]
    MissingState,
    #[error("the sign-in answer came back for {got} but was started for {expected}")]
    PlatformMismatch { expected: Platform, got: Platform },
    #[error("{} did not grant access: {error}{}", .platform.label(), .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Denied {
        platform: Platform,
        error: String,
        description: Option<String>,
    },
    #[error("the sign-in answer from {} has no authorization code", .0.label())]
    MissingCode(Platform),
    #[error("{} refused the token request: {error}{}", .platform.label(), .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    TokenRejected {
        platform: Platform,
        error: String,
        description: Option<String>,
    },
    #[error("cannot reach {}: {message}", .platform.label())]
    Network { platform: Platform, message: String },
    #[error("{} answered in an unexpected way: {message}", .platform.label())]
    BadResponse { platform: Platform, message: String },
    #[error("{0}")]
    BadSelection(String),
    #[error("this Facebook sign-in is no longer waiting (it expired after 10 minutes or was used); connect again")]
    NoPendingGrant,
    #[error("there is no account {0}")]
    NoSuchAccount(String),
    #[error(transparent)]
    Loopback(#[from] super::loopback::LoopbackError),
    #[error("cannot open the browser for the sign-in page: {0}")]
    Browser(String),
    #[error("the sign-in answer is not usable: {0}")]
    BadCallback(#[from] super::BadCallback),
    #[error(transparent)]
    Config(#[from] super::BadBaseUrl),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OAuthError {
    /// A stable code for the audit log and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::Unsupported(_) => "unsupported",
            OAuthError::NoSuchAccount(_) => "not_found",
            OAuthError::BadSelection(_) => "bad_selection",
            OAuthError::NoPendingGrant => "no_pending_grant",
            OAuthError::Loopback(super::loopback::LoopbackError::TimedOut(_)) => "timed_out",
            OAuthError::Loopback(_) => "loopback",
            OAuthError::Browser(_) => "browser",
            OAuthError::BadCallback(_) => "bad_callback",
            OAuthError::MissingSecret(_)
            | OAuthError::MissingClientId(_)
            | OAuthError::Config(_) => "not_configured",
            OAuthError::UnknownState => "unknown_state",
            OAuthError::ReusedState => "reused_state",
            OAuthError::ExpiredState => "expired_state",
            OAuthError::MissingState => "missing_state",
            OAuthError::PlatformMismatch { .. } => "platform_mismatch",
            OAuthError::Denied { .. } => "denied",
            OAuthError::MissingCode(_) => "missing_code",
            OAuthError::TokenRejected { .. } => "token_rejected",
            OAuthError::Network { .. } => "network",
            OAuthError::BadResponse { .. } => "bad_response",
            OAuthError::Secrets(_) => "keychain",
            OAuthError::Store(_) => "storage",
        }
    }
}

/// A started authorization: open `authorize_url` in the browser.
#[derive(Debug, Clone)]
pub struct Begun {
    pub authorize_url: url::Url,
    pub state: String,
}

/// Where a platform's servers are and who we are there.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    pub endpoints: Endpoints,
    pub credentials: Credentials,
}

fn session_owner(state: &str) -> Vec<u8> {
    format!("oauth-session:{state}").into_bytes()
}

pub(super) fn token_owner(account_id: &str, kind: &str) -> Vec<u8> {
    format!("account:{account_id}:{kind}").into_bytes()
}

/// Opens an account's sealed `kind` ("access" or "refresh") token.
pub(super) fn open_token(
    vault: &Vault,
    sealed: &[u8],
    account_id: &str,
    kind: &str,
) -> Result<String, OAuthError> {
    let plain = vault.open(sealed, &token_owner(account_id, kind))?;
    Ok(String::from_utf8(plain.to_vec()).map_err(|_| SecretsError::Malformed)?)
}

/// Starts connecting `platform`: a fresh `state` and PKCE verifier, stored
/// (the verifier sealed) for ten minutes.
#[allow(clippy::too_many_arguments)]
pub async fn begin(
    store: &Store,
    vault: &Vault,
    platform: Platform,
    config: &PlatformConfig,
    redirect_uri: &str,
    now: DateTime<Utc>,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Begun, OAuthError> {
    let profile = profile(platform).ok_or(OAuthError::Unsupported(platform))?;
    check_credentials(profile, &config.credentials)?;
    let state = random_token(rng);
    let verifier = Zeroizing::new(random_token(rng));
    let url = authorize_url(
        profile,
        &config.endpoints,
        &config.credentials.client_id,
        redirect_uri,
        &state,
        &verifier,
    );
    let verifier_enc = vault.seal(verifier.as_bytes(), &session_owner(&state), rng);
    let session = OAuthSession {
        state: state.clone(),
        platform,
        redirect_uri: redirect_uri.to_string(),
        verifier_enc,
        expires_at: now + STATE_LIFETIME,
    };
    store.insert_oauth_session(now, &session).await?;
    Ok(Begun {
        authorize_url: url,
        state,
    })
}

fn check_credentials(profile: &Profile, creds: &Credentials) -> Result<(), OAuthError> {
    if creds.client_id.trim().is_empty() {
        return Err(OAuthError::MissingClientId(profile.platform));
    }
    if profile.needs_secret && creds.client_secret.is_none() {
        return Err(OAuthError::MissingSecret(profile.platform));
    }
    Ok(())
}

/// What a callback produced.
#[derive(Debug)]
pub enum Connected {
    Account(Account),
    /// Facebook: the user picks Pages next (see [`super::connect_pages`]).
    ChoosePages(super::meta::FacebookGrant),
}

impl Connected {
    /// The connected account, unless Pages are still to be picked.
    pub fn account(self) -> Option<Account> {
        match self {
            Connected::Account(a) => Some(a),
            Connected::ChoosePages(_) => None,
        }
    }
}

/// Finishes connecting from the platform's callback. Checks the state
/// (known, unused, fresh, same platform) and the error parameter before any
/// token request.
pub async fn complete(
    store: &Store,
    vault: &Vault,
    http: &reqwest::Client,
    config_for: impl Fn(Platform) -> Result<PlatformConfig, OAuthError>,
    callback: &Callback,
    now: DateTime<Utc>,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Connected, OAuthError> {
    match connect(store, vault, http, config_for, callback, now, rng).await {
        Ok(c) => Ok(c),
        Err(e) => {
            let details = json!({
                "platform": callback.platform.map(Platform::as_str),
                "reason": e.code(),
                "message": e.to_string(),
            });
            let record = AuditRecord {
                actor: Actor::System,
                action: "oauth.rejected",
                entity_type: "account",
                entity_id: None,
                details,
            };
            store.audit(now, &record).await?;
            Err(e)
        }
    }
}

async fn connect(
    store: &Store,
    vault: &Vault,
    http: &reqwest::Client,
    config_for: impl Fn(Platform) -> Result<PlatformConfig, OAuthError>,
    callback: &Callback,
    now: DateTime<Utc>,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Connected, OAuthError> {
    let state = callback
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(OAuthError::MissingState)?;
    let session = match store.take_oauth_session(now, state).await? {
        TakenSession::Fresh(s) => s,
        TakenSession::Expired(_) => return Err(OAuthError::ExpiredState),
        TakenSession::AlreadyUsed => return Err(OAuthError::ReusedState),
        TakenSession::Unknown => return Err(OAuthError::UnknownState),
    };
    let platform = session.platform;
    if let Some(got) = callback.platform.filter(|p| *p != platform) {
        return Err(OAuthError::PlatformMismatch {
            expected: platform,
            got,
        });
    }
    if let Some(error) = &callback.error {
        return Err(OAuthError::Denied {
            platform,
            error: error.clone(),
            description: callback.error_description.clone(),
        });
    }
    let code = callback
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or(OAuthError::MissingCode(platform))?;
    let profile = profile(platform).ok_or(OAuthError::Unsupported(platform))?;
    let config = config_for(platform)?;
    check_credentials(profile, &config.credentials)?;
    let verifier = vault.open(&session.verifier_enc, &session_owner(state))?;
    let verifier = String::from_utf8(verifier.to_vec()).map_err(|_| SecretsError::Malformed)?;
    let verifier = Zeroizing::new(verifier);

    let redirect_uri = session.redirect_uri.as_str();
    match profile.flow {
        Flow::Standard => {}
        Flow::Facebook => {
            let grant =
                super::meta::facebook_sign_in(http, &config, redirect_uri, code, &verifier, now)
                    .await?;
            tracing::info!(
                pages = grant.pages().len(),
                "Facebook sign-in done; waiting for the user to pick Pages"
            );
            return Ok(Connected::ChoosePages(grant));
        }
        Flow::InstagramLogin => {
            let signed =
                super::meta::instagram_sign_in(http, &config, redirect_uri, code, &verifier)
                    .await?;
            let tokens = Tokens {
                access: signed.access,
                refresh: None,
                expires_in: signed.expires_in,
                scopes: signed.scopes,
            };
            let next = super::meta::instagram_refresh_at(now, unit_draw(rng));
            let account = save(
                store,
                vault,
                platform,
                &signed.who,
                &tokens,
                Some("instagram_login"),
                Some(next),
                now,
                rng,
            )
            .await?;
            return Ok(Connected::Account(account));
        }
    }

    let tokens = exchange_code(
        http,
        profile,
        &config,
        redirect_uri,
        code,
        verifier.to_string(),
    )
    .await?;
    let who = fetch_profile(http, profile, &config.endpoints, tokens.access.as_str()).await?;
    let next = tokens
        .expires_in
        .map(|d| super::schedule::refresh_at(now, d, unit_draw(rng)));
    let account = save(store, vault, platform, &who, &tokens, None, next, now, rng).await?;
    Ok(Connected::Account(account))
}

/// Stores a newly signed-in account with its tokens sealed.
#[allow(clippy::too_many_arguments)]
async fn save(
    store: &Store,
    vault: &Vault,
    platform: Platform,
    who: &Who,
    tokens: &Tokens,
    auth_flavor: Option<&str>,
    next_refresh_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Account, OAuthError> {
    let id = match store.account_id_for(platform, &who.external_id).await? {
        Some(id) => id,
        None => super::meta::new_id(rng),
    };
    let access_enc = vault.seal(tokens.access.as_bytes(), &token_owner(&id, "access"), rng);
    let refresh_enc = tokens
        .refresh
        .as_ref()
        .map(|r| vault.seal(r.as_bytes(), &token_owner(&id, "refresh"), rng));
    let account = store
        .save_connected_account(
            now,
            &ConnectedAccount {
                id: &id,
                platform,
                external_id: &who.external_id,
                handle: &who.handle,
                display_name: &who.display_name,
                scopes: &tokens.scopes,
                access_token_enc: &access_enc,
                refresh_token_enc: refresh_enc.as_deref(),
                token_expires_at: tokens
                    .expires_in
                    .map(|d| super::schedule::expires_at(now, d)),
                refresh_expires_at: None,
                next_refresh_at,
                auth_flavor,
                grant: None,
            },
        )
        .await?;
    tracing::info!(platform = platform.as_str(), handle = %who.handle, "account connected");
    Ok(account)
}

/// Fresh tokens from a token endpoint.
pub(super) struct Tokens {
    pub access: Zeroizing<String>,
    pub refresh: Option<Zeroizing<String>>,
    pub expires_in: Option<chrono::Duration>,
    pub scopes: String,
}

pub(super) type TokenError = RequestTokenError<
    HttpClientError<reqwest::Error>,
    StandardErrorResponse<BasicErrorResponseType>,
>;

/// The `oauth2` client for `profile`'s token endpoint.
pub(super) type TokenClient = BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

pub(super) fn token_client(profile: &Profile, config: &PlatformConfig) -> TokenClient {
    let token_url = TokenUrl::from_url(endpoint(&config.endpoints.token_base, profile.token_path));
    let mut client = BasicClient::new(ClientId::new(config.credentials.client_id.clone()))
        .set_token_uri(token_url)
        .set_auth_type(AuthType::RequestBody);
    if let Some(secret) = &config.credentials.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.to_string()));
        if profile.platform == Platform::X {
            // X's confidential clients authenticate with HTTP Basic.
            client = client.set_auth_type(AuthType::BasicAuth);
        }
    }
    client
}

pub(super) fn tokens_from(
    profile: &Profile,
    response: &oauth2::basic::BasicTokenResponse,
) -> Tokens {
    Tokens {
        access: Zeroizing::new(response.access_token().secret().clone()),
        // An empty refresh token is no refresh token.
        refresh: response
            .refresh_token()
            .map(|r| Zeroizing::new(r.secret().clone()))
            .filter(|r| !r.is_empty()),
        expires_in: response
            .expires_in()
            .and_then(super::schedule::lifetime_from_std),
        scopes: response
            .scopes()
            .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| profile.scopes.join(" ")),
    }
}

async fn exchange_code(
    http: &reqwest::Client,
    profile: &Profile,
    config: &PlatformConfig,
    redirect_uri: &str,
    code: &str,
    verifier: String,
) -> Result<Tokens, OAuthError> {
    let platform = profile.platform;
    let redirect =
        RedirectUrl::new(redirect_uri.to_string()).map_err(|e| OAuthError::BadResponse {
            platform,
            message: format!("redirect URI: {e}"),
        })?;
    let client = token_client(profile, config).set_redirect_uri(redirect);
    let mut request = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier));
    if profile.client_id_param != "client_id" {
        request = request.add_extra_param(
            profile.client_id_param,
            config.credentials.client_id.clone(),
        );
    }
    let response = request
        .request_async(&crate::body::TokenHttp(http))
        .await
        .map_err(|e| token_error(platform, e))?;
    Ok(tokens_from(profile, &response))
}

pub(super) fn token_error(platform: Platform, e: TokenError) -> OAuthError {
    match e {
        RequestTokenError::ServerResponse(r) => OAuthError::TokenRejected {
            platform,
            error: super::server_words(r.error().as_ref(), &[])
                .unwrap_or_else(|| "an unreadable error".into()),
            description: r
                .error_description()
                .and_then(|d| super::server_words(d, &[])),
        },
        RequestTokenError::Request(e) => OAuthError::Network {
            platform,
            message: token_transport_words(&e),
        },
        // serde's messages quote the values they could not read (a token,
        // say): keep only where in the answer it went wrong.
        RequestTokenError::Parse(e, _) => OAuthError::BadResponse {
            platform,
            message: parse_failure(&e),
        },
        RequestTokenError::Other(m) => OAuthError::BadResponse {
            platform,
            message: m,
        },
    }
}

/// What went wrong with a token request's connection, in words (an answer
/// over [`crate::body::MAX_BODY_BYTES`] comes as `Other`, already in words).
pub(super) fn token_transport_words(e: &oauth2::HttpClientError<reqwest::Error>) -> String {
    match e {
        oauth2::HttpClientError::Reqwest(re) => crate::error::transport_words(re),
        oauth2::HttpClientError::Other(words) => words.clone(),
        _ => "the connection failed".into(),
    }
}

/// What went wrong reading a token answer, without quoting any of it.
pub(super) fn parse_failure(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    use serde_json::error::Category;
    let what = match e.inner().classify() {
        Category::Syntax | Category::Eof => "is not valid JSON",
        Category::Data => "has a field of the wrong type or is missing one",
        Category::Io => "could not be read",
    };
    let path = e.path().to_string();
    if path.is_empty() || path == "." {
        format!("the token answer {what}")
    } else {
        format!(
            "the token answer {what} (at `{}`)",
            crate::text::echo(&path, 60)
        )
    }
}

/// Who the token belongs to.
pub(super) struct Who {
    pub external_id: String,
    pub handle: String,
    pub display_name: String,
}

async fn fetch_profile(
    http: &reqwest::Client,
    profile: &Profile,
    endpoints: &Endpoints,
    access: &str,
) -> Result<Who, OAuthError> {
    let platform = profile.platform;
    let bad = |message: String| OAuthError::BadResponse { platform, message };
    let mut url = match platform {
        Platform::X => endpoint(&endpoints.api_base, "/2/users/me"),
        Platform::Youtube => endpoint(&endpoints.api_base, "/youtube/v3/channels"),
        Platform::Tiktok => endpoint(&endpoints.api_base, "/v2/user/info/"),
        _ => return Err(OAuthError::Unsupported(platform)),
    };
    match platform {
        Platform::Youtube => {
            url.query_pairs_mut()
                .append_pair("part", "snippet")
                .append_pair("mine", "true");
        }
        Platform::Tiktok => {
            // Only what `user.info.basic` covers: `username` needs
            // `user.info.profile`, which Reachloop does not ask for.
            url.query_pairs_mut()
                .append_pair("fields", "open_id,union_id,display_name");
        }
        _ => {}
    }
    let response = http
        .get(url)
        .bearer_auth(access)
        .send()
        .await
        .map_err(|e| OAuthError::Network {
            platform,
            message: crate::error::transport_words(&e),
        })?;
    let status = response.status();
    let body = crate::body::json(response)
        .await
        .map_err(|e| bad(format!("the profile could not be read: {e}")))?;
    if !status.is_success() {
        return Err(bad(format!(
            "profile request failed with HTTP {status}: {}",
            error_detail(&body)
        )));
    }
    let text = |v: &serde_json::Value, name: &str| {
        v.get(name)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let need =
        |v: Option<String>, name: &str| v.ok_or_else(|| bad(format!("profile has no {name}")));
    match platform {
        Platform::X => {
            let data = &body["data"];
            Ok(Who {
                external_id: need(text(data, "id"), "id")?,
                handle: format!("@{}", need(text(data, "username"), "username")?),
                display_name: need(text(data, "name"), "name")?,
            })
        }
        Platform::Youtube => {
            let channel = body["items"]
                .get(0)
                .ok_or_else(|| bad("this Google account has no YouTube channel".into()))?;
            let title = need(text(&channel["snippet"], "title"), "channel title")?;
            Ok(Who {
                external_id: need(text(channel, "id"), "channel id")?,
                handle: text(&channel["snippet"], "customUrl").unwrap_or_else(|| title.clone()),
                display_name: title,
            })
        }
        Platform::Tiktok => {
            let code = body["error"]["code"].as_str().unwrap_or("ok");
            if code != "ok" {
                return Err(bad(format!(
                    "profile request failed: {}",
                    error_detail(&body)
                )));
            }
            let user = &body["data"]["user"];
            let display_name = need(text(user, "display_name"), "display_name")?;
            Ok(Who {
                external_id: need(text(user, "open_id"), "open_id")?,
                handle: display_name.clone(),
                display_name,
            })
        }
        _ => Err(OAuthError::Unsupported(platform)),
    }
}

/// The human part of an API error body, in any of the platforms' shapes.
fn error_detail(body: &serde_json::Value) -> String {
    let candidates = [
        &body["detail"],
        &body["error"]["message"],
        &body["error_description"],
        &body["error"],
    ];
    candidates
        .iter()
        .find_map(|v| v.as_str().filter(|s| !s.is_empty()))
        .unwrap_or("no detail")
        .to_string()
}

/// A uniform draw in `0.0..1.0` from `rng`.
pub(super) fn unit_draw(rng: &mut impl RngCore) -> f64 {
    (rng.next_u32() as f64) / (u32::MAX as f64 + 1.0)
}

/// Connects `platform` end to end through a loopback redirect: listen, start
/// the authorization, let `open_browser` show the consent page, wait for the
/// answer (at most `timeout`), finish. `clock` is read when each step needs
/// the time.
#[allow(clippy::too_many_arguments)]
pub async fn connect_with_loopback(
    store: &Store,
    vault: &Vault,
    http: &reqwest::Client,
    platform: Platform,
    config: &PlatformConfig,
    port: u16,
    timeout: std::time::Duration,
    clock: impl Fn() -> DateTime<Utc>,
    rng: &mut (impl RngCore + CryptoRng),
    open_browser: impl FnOnce(&url::Url) -> Result<(), String>,
) -> Result<Connected, OAuthError> {
    let listener = super::loopback::listen(platform, port).await?;
    let begun = begin(
        store,
        vault,
        platform,
        config,
        &listener.redirect_uri(),
        clock(),
        rng,
    )
    .await?;
    listener.expect_state(&begun.state);
    open_browser(&begun.authorize_url).map_err(OAuthError::Browser)?;
    let answer = listener.wait(timeout).await?;
    let callback = super::parse_callback(&answer)?;
    complete(
        store,
        vault,
        http,
        |_| Ok(config.clone()),
        &callback,
        clock(),
        rng,
    )
    .await
}

/// Opens an account's sealed access token (for the publishing adapters).
pub fn open_access_token(
    vault: &Vault,
    sealed: &[u8],
    account_id: &str,
) -> Result<zeroize::Zeroizing<String>, OAuthError> {
    open_token(vault, sealed, account_id, "access").map(zeroize::Zeroizing::new)
}
