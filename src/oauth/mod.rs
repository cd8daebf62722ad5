//! Connecting accounts: OAuth 2.0 authorization code with PKCE (S256) and a
//! random single-use `state`, per platform.
//!
//! Pure parts (URLs, PKCE, callback parsing) live here and in `profiles`;
//! `flow` does the I/O (SQLite, the keychain vault and HTTP). Base URLs are
//! configurable so tests point every request at local fakes.

mod disconnect;
mod flow;
pub mod loopback;
pub mod meta;
pub mod profiles;
mod refresh;
pub mod relay;
pub mod schedule;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::{CryptoRng, RngCore};
use reachloop_ipc::Platform;
use sha2::{Digest, Sha256};
use url::Url;
use zeroize::Zeroizing;

pub use disconnect::{disconnect, issuer, Revocation};
pub use flow::{
    begin, complete, connect_with_loopback, open_access_token, Begun, Connected, OAuthError,
    PlatformConfig,
};
pub use meta::{connect_pages, FacebookGrant};
pub use profiles::{profile, ChallengeEncoding, Flow, Profile};
pub use refresh::{classify, refresh_account, RefreshFailure, RefreshLocks, RefreshOutcome};

/// Words a server sent (an `error` code, a description), made safe to
/// store, log and show: the first line only, without control or
/// direction-changing characters, at most 120 characters, and `None` when
/// it is empty or contains any of `sent` (a server may echo the token or
/// secret it was given).
pub(crate) fn server_words(text: &str, sent: &[&str]) -> Option<String> {
    if sent.iter().any(|s| s.len() >= 4 && text.contains(s)) {
        return None;
    }
    let line = text.lines().next().unwrap_or_default();
    let clean: String = line
        .chars()
        .filter(|c| !c.is_control() && !crate::text::is_invisible_format(*c))
        .take(120)
        .collect();
    let clean = clean.trim();
    (!clean.is_empty()).then(|| clean.to_string())
}

/// How long a started authorization may take before its `state` expires.
pub const STATE_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);

/// Where a platform's servers are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub auth_base: Url,
    pub token_base: Url,
    pub api_base: Url,
}

/// A base URL could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{var} is not a valid base URL ({value:?}): {reason}")]
pub struct BadBaseUrl {
    pub var: String,
    pub value: String,
    pub reason: String,
}

impl Endpoints {
    /// The platform's real servers, overridden per URL by
    /// `REACHLOOP_<PLATFORM>_{AUTH,TOKEN,API}_BASE`.
    pub fn from_env(profile: &Profile) -> Result<Endpoints, BadBaseUrl> {
        let prefix = format!("REACHLOOP_{}", profile.platform.as_str().to_uppercase());
        let pick = |suffix: &str, default: &str| {
            let var = format!("{prefix}_{suffix}_BASE");
            let value = std::env::var(&var)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_string());
            parse_base(&var, &value)
        };
        Ok(Endpoints {
            auth_base: pick("AUTH", profile.default_auth_base)?,
            token_base: pick("TOKEN", profile.default_token_base)?,
            api_base: pick("API", profile.default_api_base)?,
        })
    }

    /// All three bases at one origin (tests: a single local fake).
    pub fn all_at(base: &str) -> Result<Endpoints, BadBaseUrl> {
        let url = parse_base("base", base)?;
        Ok(Endpoints {
            auth_base: url.clone(),
            token_base: url.clone(),
            api_base: url,
        })
    }
}

fn parse_base(var: &str, value: &str) -> Result<Url, BadBaseUrl> {
    let bad = |reason: &str| BadBaseUrl {
        var: var.into(),
        value: value.into(),
        reason: reason.into(),
    };
    let url = Url::parse(value).map_err(|e| bad(&e.to_string()))?;
    match url.scheme() {
        "https" => Ok(url),
        // Plain http only to this machine (local fakes, development).
        "http" if matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")) => Ok(url),
        _ => Err(bad("use https (plain http only for 127.0.0.1)")),
    }
}

/// Joins `path` (starting with `/`) onto `base`, keeping any path prefix of
/// the base (a fake may serve a platform under `/x`).
pub fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}{}", base.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url
}

/// An app's identity at a platform. The secret never leaves the core.
#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<hidden>"),
            )
            .finish()
    }
}

impl Credentials {
    /// `OAUTH_<PLATFORM>_CLIENT_SECRET` alone, when set.
    pub fn secret_from_env(platform: Platform) -> Option<Zeroizing<String>> {
        let var = format!("OAUTH_{}_CLIENT_SECRET", platform.as_str().to_uppercase());
        std::env::var(var)
            .ok()
            .filter(|v| !v.is_empty())
            .map(Zeroizing::new)
    }

    /// `OAUTH_<PLATFORM>_CLIENT_ID` / `OAUTH_<PLATFORM>_CLIENT_SECRET`.
    pub fn from_env(platform: Platform) -> Option<Credentials> {
        let prefix = format!("OAUTH_{}", platform.as_str().to_uppercase());
        let client_id = std::env::var(format!("{prefix}_CLIENT_ID"))
            .ok()
            .filter(|v| !v.is_empty())?;
        let client_secret = std::env::var(format!("{prefix}_CLIENT_SECRET"))
            .ok()
            .filter(|v| !v.is_empty())
            .map(Zeroizing::new);
        Some(Credentials {
            client_id,
            client_secret,
        })
    }
}

/// 32 random bytes, base64url: 43 characters, as PKCE and `state` need.
pub fn random_token(rng: &mut (impl RngCore + CryptoRng)) -> String {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The PKCE challenge for `verifier`, S256, in the platform's encoding.
pub fn challenge(verifier: &str, encoding: ChallengeEncoding) -> String {
    let digest = Sha256::digest(verifier.as_bytes());
    match encoding {
        ChallengeEncoding::Base64Url => URL_SAFE_NO_PAD.encode(digest),
        ChallengeEncoding::Hex => hex::encode(digest),
    }
}

/// The consent page URL the browser opens.
pub fn authorize_url(
    profile: &Profile,
    endpoints: &Endpoints,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    verifier: &str,
) -> Url {
    let mut url = endpoint(&endpoints.auth_base, profile.authorize_path);
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair(profile.client_id_param, client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &profile.scopes.join(profile.scope_separator))
            .append_pair("state", state)
            .append_pair("code_challenge", &challenge(verifier, profile.challenge))
            .append_pair("code_challenge_method", "S256");
        for (k, v) in profile.extra_authorize_params {
            q.append_pair(k, v);
        }
    }
    url
}

/// What came back from the consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The platform named in the callback path (`/oauth/<platform>/callback`).
    pub platform: Option<Platform>,
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// A callback URL that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadCallback {
    #[error("not a URL: {0}")]
    NotAUrl(String),
    #[error("not an OAuth callback of Reachloop (expected …/oauth/<platform>/callback)")]
    NotACallback,
    #[error("the callback names an unknown platform {0:?}")]
    UnknownPlatform(String),
}

/// Parses a loopback (`http://127.0.0.1:<port>/oauth/<platform>/callback?…`)
/// or deep-link (`reachloop://oauth/<platform>/callback?…`) callback.
pub fn parse_callback(raw: &str) -> Result<Callback, BadCallback> {
    let url = Url::parse(raw.trim()).map_err(|e| BadCallback::NotAUrl(e.to_string()))?;
    // In `reachloop://oauth/x/callback` the first segment is the host.
    let mut segments: Vec<String> = url
        .host_str()
        .filter(|_| url.scheme() == "reachloop")
        .map(String::from)
        .into_iter()
        .collect();
    segments.extend(
        url.path_segments()
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .map(String::from),
    );
    let platform = match segments.as_slice() {
        [oauth, platform, callback] if oauth == "oauth" && callback == "callback" => Some(
            Platform::parse(platform)
                .ok_or_else(|| BadCallback::UnknownPlatform(platform.clone()))?,
        ),
        _ => return Err(BadCallback::NotACallback),
    };
    let mut cb = Callback {
        platform,
        state: None,
        code: None,
        error: None,
        error_description: None,
    };
    for (k, v) in url.query_pairs() {
        let v = Some(v.into_owned());
        match k.as_ref() {
            "state" => cb.state = v,
            "code" => cb.code = v,
            "error" => cb.error = v,
            "error_description" => cb.error_description = v,
            _ => {}
        }
    }
    Ok(cb)
}

/// The app credentials to use: each of `OAUTH_<PLATFORM>_CLIENT_ID` and
/// `..._CLIENT_SECRET` overrides what Settings stored.
pub fn resolve_credentials(
    env: Option<Credentials>,
    stored_id: Option<String>,
    stored_secret: Option<Zeroizing<String>>,
) -> Option<Credentials> {
    let env_secret = env.as_ref().and_then(|c| c.client_secret.clone());
    let client_id = env
        .map(|c| c.client_id)
        .or(stored_id)
        .filter(|id| !id.trim().is_empty())?;
    Some(Credentials {
        client_id,
        client_secret: env_secret.or(stored_secret),
    })
}

/// The keychain entry holding `platform`'s app client secret.
pub fn client_secret_entry(platform: Platform) -> String {
    format!("oauth-client-secret-{}", platform.as_str())
}

/// The redirect URI for `platform` on a loopback listener at `port`.
pub fn loopback_redirect_uri(platform: Platform, port: u16) -> String {
    format!(
        "http://127.0.0.1:{port}/oauth/{}/callback",
        platform.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn pkce_challenge_agrees_with_the_oauth2_crate() {
        let mut rng = StdRng::seed_from_u64(9);
        for _ in 0..20 {
            let verifier = random_token(&mut rng);
            let theirs = oauth2::PkceCodeChallenge::from_code_verifier_sha256(
                &oauth2::PkceCodeVerifier::new(verifier.clone()),
            );
            assert_eq!(
                challenge(&verifier, ChallengeEncoding::Base64Url),
                theirs.as_str()
            );
            let raw = URL_SAFE_NO_PAD.decode(theirs.as_str()).expect("base64url");
            assert_eq!(
                challenge(&verifier, ChallengeEncoding::Hex),
                hex::encode(raw)
            );
        }
        assert_eq!(
            challenge("abc", ChallengeEncoding::Hex),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn random_tokens_are_long_enough_and_differ() {
        let mut rng = StdRng::seed_from_u64(1);
        let a = random_token(&mut rng);
        let b = random_token(&mut rng);
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn authorize_urls_follow_each_platform() {
        let ep = Endpoints::all_at("http://127.0.0.1:9000/fake").expect("base");
        let x = authorize_url(
            &profiles::X,
            &ep,
            "cid",
            "http://127.0.0.1:5000/oauth/x/callback",
            "st",
            "v",
        );
        assert_eq!(x.path(), "/fake/i/oauth2/authorize");
        let q: std::collections::HashMap<_, _> = x.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "cid");
        assert_eq!(
            q["scope"],
            "tweet.read tweet.write users.read offline.access media.write"
        );
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(
            q["code_challenge"],
            challenge("v", ChallengeEncoding::Base64Url)
        );
        assert_eq!(q["state"], "st");

        let t = authorize_url(
            &profiles::TIKTOK,
            &ep,
            "key",
            "http://127.0.0.1:5000/oauth/tiktok/callback",
            "st",
            "v",
        );
        let q: std::collections::HashMap<_, _> = t.query_pairs().into_owned().collect();
        assert_eq!(q["client_key"], "key");
        assert!(!q.contains_key("client_id"));
        assert_eq!(
            q["scope"],
            "user.info.basic,video.publish,video.upload,video.list"
        );
        assert_eq!(q["code_challenge"], challenge("v", ChallengeEncoding::Hex));

        let y = authorize_url(
            &profiles::YOUTUBE,
            &ep,
            "g",
            "http://127.0.0.1:5000/oauth/youtube/callback",
            "st",
            "v",
        );
        let q: std::collections::HashMap<_, _> = y.query_pairs().into_owned().collect();
        assert_eq!(
            (q["access_type"].as_str(), q["prompt"].as_str()),
            ("offline", "consent")
        );
    }

    #[test]
    fn parses_loopback_and_deep_link_callbacks() {
        let cb = parse_callback("http://127.0.0.1:4321/oauth/x/callback?state=abc&code=xyz")
            .expect("loopback");
        assert_eq!(cb.platform, Some(Platform::X));
        assert_eq!(
            (cb.state.as_deref(), cb.code.as_deref()),
            (Some("abc"), Some("xyz"))
        );
        let cb = parse_callback("reachloop://oauth/tiktok/callback?state=s&error=access_denied&error_description=no%20thanks")
            .expect("deep link");
        assert_eq!(cb.platform, Some(Platform::Tiktok));
        assert_eq!(cb.error.as_deref(), Some("access_denied"));
        assert_eq!(cb.error_description.as_deref(), Some("no thanks"));
        // Instagram appends `#_`.
        let cb = parse_callback("reachloop://oauth/instagram/callback?code=c&state=s#_")
            .expect("fragment");
        assert_eq!(cb.code.as_deref(), Some("c"));
    }

    #[test]
    fn rejects_foreign_urls() {
        assert_eq!(
            parse_callback("reachloop://oauth/myspace/callback?code=1"),
            Err(BadCallback::UnknownPlatform("myspace".into()))
        );
        assert_eq!(
            parse_callback("http://127.0.0.1:1/elsewhere?code=1"),
            Err(BadCallback::NotACallback)
        );
        assert_eq!(
            parse_callback("reachloop://settings"),
            Err(BadCallback::NotACallback)
        );
        assert!(matches!(parse_callback("::"), Err(BadCallback::NotAUrl(_))));
    }

    #[test]
    fn base_urls_must_be_https_or_loopback() {
        assert!(parse_base("v", "https://api.x.com").is_ok());
        assert!(parse_base("v", "http://127.0.0.1:8080").is_ok());
        assert!(parse_base("v", "http://evil.example").is_err());
        assert!(parse_base("v", "not a url").is_err());
        let u = endpoint(
            &Url::parse("http://127.0.0.1:1/fake/").expect("url"),
            "/2/oauth2/token",
        );
        assert_eq!(u.as_str(), "http://127.0.0.1:1/fake/2/oauth2/token");
    }

    #[test]
    fn environment_overrides_settings_piece_by_piece() {
        let secret = |s: &str| Some(Zeroizing::new(s.to_string()));
        let env = |id: &str, sec: Option<&str>| {
            Some(Credentials {
                client_id: id.into(),
                client_secret: sec.map(|s| Zeroizing::new(s.to_string())),
            })
        };
        let show = |c: Option<Credentials>| {
            c.map(|c| (c.client_id, c.client_secret.map(|s| s.to_string())))
        };
        assert_eq!(
            show(resolve_credentials(
                None,
                Some("stored".into()),
                secret("s1")
            )),
            Some(("stored".into(), Some("s1".into())))
        );
        assert_eq!(
            show(resolve_credentials(
                env("env", None),
                Some("stored".into()),
                secret("s1")
            )),
            Some(("env".into(), Some("s1".into())))
        );
        assert_eq!(
            show(resolve_credentials(
                env("env", Some("s2")),
                None,
                secret("s1")
            )),
            Some(("env".into(), Some("s2".into())))
        );
        assert_eq!(
            show(resolve_credentials(None, Some("  ".into()), secret("s1"))),
            None
        );
        assert_eq!(show(resolve_credentials(None, None, None)), None);
    }

    #[test]
    fn credentials_debug_hides_the_secret() {
        let c = Credentials {
            client_id: "id".into(),
            client_secret: Some(Zeroizing::new("s3cr3t".into())),
        };
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }
}
