//! What differs between the platforms' OAuth servers, from
//! `reference/platforms/*.md`. Pure data: no I/O.

use reachloop_ipc::Platform;

/// How the PKCE challenge is encoded from SHA-256(verifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeEncoding {
    /// RFC 7636: base64url without padding.
    Base64Url,
    /// TikTok's desktop flow: lowercase hex.
    Hex,
}

/// Which token exchange a platform speaks after the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// RFC 6749 token endpoint with refresh tokens, through the `oauth2` crate.
    Standard,
    /// Facebook Login, manual flow: code exchange (POST form), `fb_exchange_token`
    /// for a 60-day user token, then one Page token per Page the user picks.
    Facebook,
    /// Business Login for Instagram: POST code exchange, `ig_exchange_token`
    /// for a 60-day token, renewed with `ig_refresh_token`.
    InstagramLogin,
}

/// One platform's OAuth facts.
#[derive(Debug)]
pub struct Profile {
    pub platform: Platform,
    pub default_auth_base: &'static str,
    pub default_token_base: &'static str,
    pub default_api_base: &'static str,
    /// Path of the consent page under the auth base.
    pub authorize_path: &'static str,
    /// Path of the token endpoint under the token base.
    pub token_path: &'static str,
    /// Path of the revocation endpoint under the token base, if any.
    pub revoke_path: Option<&'static str>,
    pub scopes: &'static [&'static str],
    pub scope_separator: &'static str,
    /// `client_id` everywhere but TikTok (`client_key`).
    pub client_id_param: &'static str,
    pub challenge: ChallengeEncoding,
    /// The token endpoint needs the client secret (Google's desktop secret is
    /// "not confidential" but still required; TikTok requires it too).
    pub needs_secret: bool,
    /// Extra authorize parameters.
    pub extra_authorize_params: &'static [(&'static str, &'static str)],
    /// Refresh tokens are single-use: each refresh returns a new one.
    pub rotates_refresh_tokens: bool,
    pub flow: Flow,
    /// Where the user removes Reachloop's access at the platform (a page or, for
    /// apps without one, the menu path).
    pub manage_access_at: &'static str,
}

pub const X: Profile = Profile {
    platform: Platform::X,
    default_auth_base: "https://x.com",
    default_token_base: "https://api.x.com",
    default_api_base: "https://api.x.com",
    authorize_path: "/i/oauth2/authorize",
    token_path: "/2/oauth2/token",
    revoke_path: Some("/2/oauth2/revoke"),
    scopes: &[
        "tweet.read",
        "tweet.write",
        "users.read",
        "offline.access",
        "media.write",
    ],
    scope_separator: " ",
    client_id_param: "client_id",
    challenge: ChallengeEncoding::Base64Url,
    needs_secret: false,
    extra_authorize_params: &[],
    rotates_refresh_tokens: true,
    flow: Flow::Standard,
    manage_access_at: "https://x.com/settings/connected_apps",
};

pub const YOUTUBE: Profile = Profile {
    platform: Platform::Youtube,
    default_auth_base: "https://accounts.google.com",
    default_token_base: "https://oauth2.googleapis.com",
    default_api_base: "https://youtube.googleapis.com",
    authorize_path: "/o/oauth2/v2/auth",
    token_path: "/token",
    revoke_path: Some("/revoke"),
    scopes: &[
        "https://www.googleapis.com/auth/youtube.upload",
        "https://www.googleapis.com/auth/youtube.readonly",
        "https://www.googleapis.com/auth/yt-analytics.readonly",
    ],
    scope_separator: " ",
    client_id_param: "client_id",
    challenge: ChallengeEncoding::Base64Url,
    needs_secret: true,
    // A refresh token is only issued with offline access, and only on consent.
    extra_authorize_params: &[("access_type", "offline"), ("prompt", "consent")],
    rotates_refresh_tokens: false,
    flow: Flow::Standard,
    manage_access_at: "https://myaccount.google.com/connections",
};

pub const TIKTOK: Profile = Profile {
    platform: Platform::Tiktok,
    default_auth_base: "https://www.tiktok.com",
    default_token_base: "https://open.tiktokapis.com",
    default_api_base: "https://open.tiktokapis.com",
    authorize_path: "/v2/auth/authorize/",
    token_path: "/v2/oauth/token/",
    revoke_path: Some("/v2/oauth/revoke/"),
    scopes: &[
        "user.info.basic",
        "video.publish",
        "video.upload",
        "video.list",
    ],
    scope_separator: ",",
    client_id_param: "client_key",
    challenge: ChallengeEncoding::Hex,
    needs_secret: true,
    extra_authorize_params: &[],
    rotates_refresh_tokens: true,
    flow: Flow::Standard,
    manage_access_at:
        "TikTok's Settings and privacy → Security and permissions → Apps and services permissions",
};

/// The Graph API version Reachloop speaks to Meta.
pub const GRAPH_VERSION: &str = "v25.0";

pub const FACEBOOK: Profile = Profile {
    platform: Platform::Facebook,
    default_auth_base: "https://www.facebook.com",
    default_token_base: "https://graph.facebook.com",
    default_api_base: "https://graph.facebook.com",
    authorize_path: "/v25.0/dialog/oauth",
    token_path: "/v25.0/oauth/access_token",
    // `DELETE /me/permissions` with the user token ends the whole grant.
    revoke_path: Some("/v25.0/me/permissions"),
    scopes: &[
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_posts",
        "read_insights",
        "business_management",
        "instagram_basic",
        "instagram_content_publish",
        "instagram_manage_insights",
    ],
    scope_separator: ",",
    client_id_param: "client_id",
    // Meta honours PKCE in its OIDC flow; the manual flow ignores it and
    // authenticates the code exchange with the app secret instead.
    challenge: ChallengeEncoding::Base64Url,
    needs_secret: true,
    extra_authorize_params: &[],
    rotates_refresh_tokens: false,
    flow: Flow::Facebook,
    manage_access_at: "https://www.facebook.com/settings/?tab=business_tools",
};

/// Instagram with Business Login for Instagram. Instagram accounts reached
/// through a Facebook Page use [`FACEBOOK`].
pub const INSTAGRAM: Profile = Profile {
    platform: Platform::Instagram,
    default_auth_base: "https://www.instagram.com",
    default_token_base: "https://api.instagram.com",
    default_api_base: "https://graph.instagram.com",
    authorize_path: "/oauth/authorize",
    token_path: "/oauth/access_token",
    // No documented revoke endpoint: the user removes the app in Instagram.
    revoke_path: None,
    scopes: &[
        "instagram_business_basic",
        "instagram_business_content_publish",
        "instagram_business_manage_insights",
    ],
    scope_separator: ",",
    client_id_param: "client_id",
    challenge: ChallengeEncoding::Base64Url,
    needs_secret: true,
    extra_authorize_params: &[],
    rotates_refresh_tokens: false,
    flow: Flow::InstagramLogin,
    manage_access_at: "https://www.instagram.com/accounts/manage_access/",
};

/// The OAuth profile of `platform`; `None` for platforms that do not use
/// this authorization-code flow (yet).
pub fn profile(platform: Platform) -> Option<&'static Profile> {
    match platform {
        Platform::X => Some(&X),
        Platform::Youtube => Some(&YOUTUBE),
        Platform::Tiktok => Some(&TIKTOK),
        Platform::Facebook => Some(&FACEBOOK),
        Platform::Instagram => Some(&INSTAGRAM),
        Platform::Sandbox => None,
    }
}
