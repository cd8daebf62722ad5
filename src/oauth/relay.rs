//! Redirects through an https relay page into the app's deep link, for
//! platforms that only accept https redirect URIs (Meta outside development
//! mode). The relay is a static page the user hosts (`relay/` in this
//! repository); it forwards `https://<relay>/oauth/<platform>/callback/?…` to
//! `reachloop://oauth/<platform>/callback?…`, which the OS hands to the app.
//! Nothing secret passes through it: the code is useless without the PKCE
//! verifier and the app secret, both of which stay on this machine.

use reachloop_ipc::Platform;
use url::Url;

/// The relay page URL could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadRelay {
    #[error("the relay page address is not a URL: {0}")]
    NotAUrl(String),
    #[error("the relay page must be served over https (platforms refuse other redirect URIs)")]
    NotHttps,
    #[error("the relay page address must not have a query or fragment")]
    HasQuery,
}

/// Checks a relay base such as `https://you.github.io/reachloop-relay`.
pub fn parse_relay(raw: &str) -> Result<Url, BadRelay> {
    let url = Url::parse(raw.trim()).map_err(|e| BadRelay::NotAUrl(e.to_string()))?;
    if url.scheme() != "https" {
        return Err(BadRelay::NotHttps);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(BadRelay::HasQuery);
    }
    Ok(url)
}

/// The redirect URI to register with `platform` when signing in through the
/// relay at `base`.
pub fn relay_redirect_uri(base: &Url, platform: Platform) -> String {
    super::endpoint(base, &format!("/oauth/{}/callback/", platform.as_str())).to_string()
}

/// `REACHLOOP_<PLATFORM>_RELAY_URL`, when set, overrides Settings.
pub fn relay_from_env(platform: Platform) -> Option<String> {
    let var = format!("REACHLOOP_{}_RELAY_URL", platform.as_str().to_uppercase());
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_are_https_and_clean() {
        let base = parse_relay("https://me.github.io/reachloop-relay/").expect("relay");
        assert_eq!(
            relay_redirect_uri(&base, Platform::Facebook),
            "https://me.github.io/reachloop-relay/oauth/facebook/callback/"
        );
        assert_eq!(parse_relay("http://me.example"), Err(BadRelay::NotHttps));
        assert_eq!(
            parse_relay("https://me.example/?x=1"),
            Err(BadRelay::HasQuery)
        );
        assert!(matches!(parse_relay("relay"), Err(BadRelay::NotAUrl(_))));
    }

    #[test]
    fn the_relayed_deep_link_parses_as_a_callback() {
        // What relay/relay.js produces from the platform's redirect.
        let deep = "reachloop://oauth/instagram/callback?code=AQB&state=s1";
        let cb = super::super::parse_callback(deep).expect("callback");
        assert_eq!(cb.platform, Some(Platform::Instagram));
        assert_eq!(cb.code.as_deref(), Some("AQB"));
    }
}
