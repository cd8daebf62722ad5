//! The API boundary between the desktop shell and the UI.
//!
//! Everything here is plain serde data that compiles for both native and
//! `wasm32-unknown-unknown`. Domain types stay private to the core; the shell
//! converts them into these transport types. Nothing here may hold a secret.

use serde::{Deserialize, Serialize};

/// A social network Reachloop can publish to, plus the simulated `sandbox`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    X,
    Youtube,
    Facebook,
    Instagram,
    Tiktok,
    Sandbox,
}

impl Platform {
    /// Every platform, in the order the UI lists them.
    pub const ALL: [Platform; 6] = [
        Platform::X,
        Platform::Youtube,
        Platform::Facebook,
        Platform::Instagram,
        Platform::Tiktok,
        Platform::Sandbox,
    ];

    /// The identifier stored in SQLite and used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::X => "x",
            Platform::Youtube => "youtube",
            Platform::Facebook => "facebook",
            Platform::Instagram => "instagram",
            Platform::Tiktok => "tiktok",
            Platform::Sandbox => "sandbox",
        }
    }

    /// Parses the identifier produced by [`Platform::as_str`].
    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The name a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Platform::X => "X",
            Platform::Youtube => "YouTube",
            Platform::Facebook => "Facebook Pages",
            Platform::Instagram => "Instagram",
            Platform::Tiktok => "TikTok",
            Platform::Sandbox => "Sandbox",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// What a campaign optimises for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    Reach,
    Engagement,
    Ctr,
}

impl Goal {
    pub const ALL: [Goal; 3] = [Goal::Reach, Goal::Engagement, Goal::Ctr];

    pub fn as_str(self) -> &'static str {
        match self {
            Goal::Reach => "reach",
            Goal::Engagement => "engagement",
            Goal::Ctr => "ctr",
        }
    }

    pub fn parse(s: &str) -> Option<Goal> {
        Goal::ALL.into_iter().find(|g| g.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Goal::Reach => "Reach",
            Goal::Engagement => "Engagement",
            Goal::Ctr => "Click-through rate",
        }
    }
}

/// Where a campaign is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Draft,
    Active,
    Paused,
    Completed,
    Archived,
}

impl CampaignStatus {
    pub const ALL: [CampaignStatus; 5] = [
        CampaignStatus::Draft,
        CampaignStatus::Active,
        CampaignStatus::Paused,
        CampaignStatus::Completed,
        CampaignStatus::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Active => "active",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Completed => "completed",
            CampaignStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<CampaignStatus> {
        CampaignStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A campaign as the UI lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub prompt: String,
    pub platforms: Vec<Platform>,
    pub goal: Goal,
    pub status: CampaignStatus,
    #[serde(default)]
    pub brand: BrandConstraints,
    #[serde(default)]
    pub kpis: Vec<Kpi>,
    /// How many variants to generate per platform (1-5).
    #[serde(default = "default_variants")]
    pub variants_per_platform: u8,
    /// The statuses this campaign may move to now (the core's rule).
    #[serde(default)]
    pub next_statuses: Vec<CampaignStatus>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// When it last changed (RFC 3339, UTC): an edit opened before a change
    /// made elsewhere is refused instead of overwriting it.
    #[serde(default)]
    pub updated_at: String,
}

fn default_variants() -> u8 {
    2
}

/// The metrics a KPI may target; `engagement_rate` and `ctr` are percentages.
pub const KPI_METRICS: [&str; 7] = [
    "impressions",
    "likes",
    "comments",
    "shares",
    "clicks",
    "engagement_rate",
    "ctr",
];

/// A target for one metric, e.g. 5000 impressions or a 2% CTR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kpi {
    /// impressions, likes, comments, shares, clicks, engagement_rate or ctr.
    pub metric: String,
    pub target: f64,
}

/// The form a user fills in to create a draft campaign.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewCampaign {
    pub name: String,
    pub prompt: String,
    /// Platform identifiers as typed or ticked; validated by the core.
    pub platforms: Vec<String>,
    /// Goal identifier; validated by the core.
    pub goal: String,
    #[serde(default)]
    pub brand: BrandConstraints,
    #[serde(default)]
    pub kpis: Vec<Kpi>,
    /// 1-5; `None` means the default, 2.
    #[serde(default)]
    pub variants_per_platform: Option<u8>,
}

/// Where a connected account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Connected,
    /// The token expires soon and cannot be refreshed automatically.
    Expiring,
    /// The platform revoked or rejected the grant: reconnect.
    NeedsAction,
    Disconnected,
}

impl AccountStatus {
    pub const ALL: [AccountStatus; 4] = [
        AccountStatus::Connected,
        AccountStatus::Expiring,
        AccountStatus::NeedsAction,
        AccountStatus::Disconnected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Connected => "connected",
            AccountStatus::Expiring => "expiring",
            AccountStatus::NeedsAction => "needs_action",
            AccountStatus::Disconnected => "disconnected",
        }
    }

    pub fn parse(s: &str) -> Option<AccountStatus> {
        AccountStatus::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A social account as the UI lists it. Never carries a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub platform: Platform,
    /// The platform's own id for the account.
    pub external_id: String,
    pub handle: String,
    pub display_name: String,
    /// What the user calls it: their own name for it, else the platform's
    /// display name.
    #[serde(default)]
    pub name: String,
    pub status: AccountStatus,
    pub status_reason: Option<String>,
    /// RFC 3339, UTC; `None` when the token does not expire.
    pub token_expires_at: Option<String>,
    /// A refresh token (or Instagram's renewable token) keeps the sign-in alive.
    pub renews_itself: bool,
    /// RFC 3339, UTC.
    pub connected_at: String,
}

/// What finishing a sign-in produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConnectOutcome {
    Connected {
        account: Account,
    },
    /// Facebook: the user picks which Pages (and the Instagram accounts linked
    /// to them) to connect; `grant` names the pending sign-in for
    /// `connect_pages`. It is held in memory for 10 minutes.
    ChoosePages {
        grant: String,
        user_name: String,
        pages: Vec<PageChoice>,
    },
}

/// A Facebook Page the signed-in user manages. Never carries its token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageChoice {
    pub id: String,
    pub name: String,
    /// The user may create content on the Page (task `CREATE_CONTENT`).
    pub can_publish: bool,
    /// The Instagram professional account linked to the Page, if any.
    pub instagram: Option<LinkedInstagram>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedInstagram {
    pub id: String,
    pub username: String,
}

/// The Pages and Instagram accounts the user picked from a pending sign-in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageSelection {
    pub grant: String,
    pub pages: Vec<String>,
    /// Ids of linked Instagram accounts, connected through their Page.
    pub instagram: Vec<String>,
}

/// A platform app's settings as the UI shows them. Never holds the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformApp {
    pub platform: Platform,
    pub client_id: String,
    /// The client id comes from `OAUTH_<PLATFORM>_CLIENT_ID` and overrides Settings.
    pub from_env: bool,
    pub has_secret: bool,
    pub needs_secret: bool,
    /// The redirect URI to register with the platform.
    pub redirect_uri: String,
    /// The platform wants https redirect URIs, so it can sign in through an
    /// https relay page into the app's deep link.
    pub supports_relay: bool,
    /// The relay page in use, if any (from Settings or the environment).
    pub relay_url: Option<String>,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub details: String,
    /// What the entry is about, in the user's words.
    #[serde(default)]
    pub about: AuditSubject,
}

/// What an audit entry is about, as the user knows it: the campaign by
/// name, the post by its time and platform (with its id, to open it in
/// the Calendar), the variant by its first words, the account by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditSubject {
    pub campaign: Option<String>,
    pub post_id: Option<String>,
    /// RFC 3339, UTC: shown in the user's zone.
    pub post_at: Option<String>,
    pub platform: Option<Platform>,
    /// The variant's first words.
    pub variant: Option<String>,
    /// "Name (@handle)".
    pub account: Option<String>,
}

/// The Sandbox network's world, as Settings shows it: everything it does
/// (injected failures now, its audience's metrics) follows from the seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxWorld {
    pub seed: u32,
    /// `REACHLOOP_SANDBOX_SEED` is set (demos, tests) and wins over the
    /// stored seed: Settings shows it and cannot change it.
    pub from_environment: bool,
}

/// App-wide state the shell reports to the UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppStatus {
    pub version: String,
    pub publishing_paused: bool,
    pub data_dir: String,
}

/// A problem with one field of a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field, e.g. `name`.
    pub field: String,
    /// A stable machine-readable code, e.g. `required`.
    pub code: String,
    pub message: String,
}

/// An error as it crosses to the UI: the UI matches on `code`, never on
/// `message`. `fields` is non-empty for validation errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDto {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// Error codes the UI knows about.
pub mod codes {
    pub const VALIDATION: &str = "validation";
    pub const STORAGE: &str = "storage";
    pub const KEYCHAIN: &str = "keychain";
    pub const NOT_FOUND: &str = "not_found";
    pub const INTERNAL: &str = "internal";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_ids_round_trip_and_match_serde() {
        for p in Platform::ALL {
            assert_eq!(Platform::parse(p.as_str()), Some(p));
            let json = serde_json::to_string(&p).expect("serialise");
            assert_eq!(json, format!("\"{}\"", p.as_str()));
        }
        assert_eq!(Platform::parse("myspace"), None);
    }

    #[test]
    fn goal_and_status_ids_round_trip_and_match_serde() {
        for g in Goal::ALL {
            assert_eq!(Goal::parse(g.as_str()), Some(g));
            assert_eq!(
                serde_json::to_string(&g).expect("serialise"),
                format!("\"{}\"", g.as_str())
            );
        }
        for s in CampaignStatus::ALL {
            assert_eq!(CampaignStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).expect("serialise"),
                format!("\"{}\"", s.as_str())
            );
        }
    }

    #[test]
    fn error_dto_omits_empty_fields() {
        let e = ErrorDto {
            code: codes::STORAGE.into(),
            message: "disk full".into(),
            fields: vec![],
        };
        assert_eq!(
            serde_json::to_string(&e).expect("serialise"),
            r#"{"code":"storage","message":"disk full"}"#
        );
    }
}

/// How a post body (and title) measures up against one platform's rules.
/// `reachloop-cli post check` prints it; the UI shows it live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostCheck {
    pub platform: Platform,
    /// The body's length counted the platform's way (X: code points after
    /// NFC; YouTube: UTF-8 bytes; TikTok: UTF-16 units; else characters).
    pub length: usize,
    /// X only: twitter-text's weighted length (URLs 23, CJK and emoji 2).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub weighted_length: Option<usize>,
    /// The most `length` (for X: `weighted_length`) may be.
    pub limit: usize,
    /// The unit `length` and `limit` are in: "weighted", "bytes", "utf16" or "characters".
    pub unit: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub title_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub title_limit: Option<usize>,
    pub hashtags: usize,
    pub mentions: usize,
    pub valid: bool,
    pub problems: Vec<PostProblem>,
}

/// One broken rule, with a machine-readable code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostProblem {
    /// `empty`, `too_long`, `title_required`, `title_too_long`,
    /// `invalid_character`, `too_many_hashtags`, `too_many_mentions`,
    /// `banned_word`.
    pub code: String,
    /// `body` or `title`.
    pub field: String,
    pub message: String,
    /// Where in the field, in characters (start, end), when it is one place.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub span: Option<(usize, usize)>,
}

/// The kind of media a variant should carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    None,
    Image,
    Video,
    Gif,
    Carousel,
}

impl MediaKind {
    pub const ALL: [MediaKind; 5] = [
        MediaKind::None,
        MediaKind::Image,
        MediaKind::Video,
        MediaKind::Gif,
        MediaKind::Carousel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::None => "none",
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Gif => "gif",
            MediaKind::Carousel => "carousel",
        }
    }

    /// Reads a kind leniently (`"Photo"`, `"reel"`, `"text only"` …).
    pub fn parse(s: &str) -> Option<MediaKind> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "none" | "text" | "text only" | "text_only" | "" => MediaKind::None,
            "image" | "photo" | "picture" => MediaKind::Image,
            "video" | "reel" | "reels" | "short" | "clip" => MediaKind::Video,
            "gif" | "animated gif" => MediaKind::Gif,
            "carousel" | "album" => MediaKind::Carousel,
            _ => return None,
        })
    }
}

/// What media to make for a variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaRecommendation {
    pub kind: MediaKind,
    /// e.g. "9:16".
    pub aspect_ratio: Option<String>,
    /// Video length, where relevant.
    pub duration_seconds: Option<u32>,
    pub notes: Option<String>,
}

/// What a campaign's posts must respect, beyond the platforms' own rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BrandConstraints {
    /// Free text, e.g. "warm, playful, no jargon".
    pub tone: String,
    /// Whole words or phrases never to use (matched ignoring case).
    pub banned_words: Vec<String>,
    pub length: LengthPreference,
    pub media: MediaPreference,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LengthPreference {
    #[default]
    Any,
    Short,
    Medium,
    Long,
}

impl LengthPreference {
    pub fn as_str(self) -> &'static str {
        match self {
            LengthPreference::Any => "any",
            LengthPreference::Short => "short",
            LengthPreference::Medium => "medium",
            LengthPreference::Long => "long",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaPreference {
    #[default]
    Any,
    Image,
    Video,
    TextOnly,
}

impl MediaPreference {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaPreference::Any => "any",
            MediaPreference::Image => "image",
            MediaPreference::Video => "video",
            MediaPreference::TextOnly => "text_only",
        }
    }
}

/// A platform-specific post variant of a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub id: String,
    pub campaign_id: String,
    pub platform: Platform,
    /// YouTube's video title.
    pub title: Option<String>,
    pub body: String,
    pub media: MediaRecommendation,
    /// Media files attached from disk.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// "ai" or "manual".
    pub source: String,
    /// How it was asked for (AI variants): model, temperature, SHA-256 of the prompt.
    pub model: Option<String>,
    pub temperature: Option<f32>,
    pub prompt_hash: Option<String>,
    /// Set when generation could not make it follow the rules; cleared on edit.
    pub flag_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A media file attached to a variant, as the app's content-addressed copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    /// SHA-256 of the bytes: the copy's name in the data directory.
    pub sha256: String,
    pub kind: MediaKind,
    /// From the file's bytes, not its name: image/jpeg, image/png, image/gif,
    /// image/webp, video/mp4, video/quicktime, video/webm.
    pub mime: String,
    pub bytes: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
    /// The container (mp4, mov, webm) for video.
    pub container: Option<String>,
    /// The name the user picked, for display.
    pub file_name: String,
}

/// A variant written or edited by hand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VariantText {
    pub title: Option<String>,
    pub body: String,
}

/// A generation the user asked for, and where it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationJob {
    pub id: String,
    pub campaign_id: String,
    /// `None`: every platform of the campaign.
    pub platform: Option<Platform>,
    pub variant_id: Option<String>,
    /// queued, running, done, failed or cancelled.
    pub status: String,
    pub message: Option<String>,
    pub attempts: u32,
    pub created_at: String,
    pub updated_at: String,
}

/// Settings → AI, as the UI shows it. Never holds the API key itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AiSettings {
    pub base_url: String,
    pub model: String,
    pub temperature: f32,
    pub has_api_key: bool,
    /// Which values `AI_BASE_URL`, `AI_API_KEY`, `AI_MODEL` override.
    pub from_env: Vec<String>,
    /// Something the save did that the user should know, e.g. that the
    /// stored API key was removed because the address moved to another host.
    #[serde(default)]
    pub notice: Option<String>,
}

/// A schedule as the UI and the CLI show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub id: String,
    pub campaign_id: String,
    pub platform: Platform,
    pub account_id: String,
    /// `once` or `cron`.
    pub kind: String,
    /// RFC 3339, UTC (one-off schedules).
    pub run_at: Option<String>,
    /// The 5-field crontab expression (cadences).
    pub cron: Option<String>,
    /// The cadence in words, e.g. "At 14:00 on Monday, Wednesday, and Friday."
    pub description: String,
    /// The IANA zone the schedule runs in.
    pub time_zone: String,
    /// Local dates (YYYY-MM-DD), both included.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub paused: bool,
    pub use_optimizer: bool,
    /// Why its posts will not go out on their own (besides its own pause),
    /// and what lets them (as on a post).
    #[serde(default)]
    pub blocked: Option<String>,
    #[serde(default)]
    pub fix: Option<String>,
    /// RFC 3339, UTC: the next run not yet published.
    pub next_run_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A schedule as the user asks for it; the core validates every field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewSchedule {
    pub campaign_id: String,
    pub platform: String,
    pub account_id: String,
    /// A one-off time: a wall time in `time_zone` (`2026-12-10T09:10`) or
    /// an instant with its offset (RFC 3339), or...
    pub run_at: Option<String>,
    /// ...a 5-field crontab cadence.
    pub cron: Option<String>,
    /// IANA zone; empty means the computer's.
    pub time_zone: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub use_optimizer: bool,
    /// A one-off on a minute where the campaign already has a post for the
    /// account (from a cadence, or skipped): take that post over instead of
    /// being refused.
    #[serde(default)]
    pub replace_slot: bool,
}

/// A one-off's minute already holds a post of the campaign to the account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SlotTaken {
    /// What is there, in words ("@bakery already has a post of this
    /// campaign at Thu 2026-12-10 09:10 CET, from At 09:10.").
    pub message: String,
    /// Whether the one-off may replace it (it is upcoming or skipped; not
    /// when it is being or was published).
    pub can_replace: bool,
    /// The next free minute after it, as a wall time in the schedule's zone
    /// ("2026-12-10 09:11"), within the hour.
    pub free_minute: Option<String>,
}

/// What the Calendar asks for: the days `from` to `to` (both included,
/// `YYYY-MM-DD`, at most 62) in the user's `zone`, with at most `per_day`
/// posts of each day (the rest are counted), and the post open in the side
/// panel wherever it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalendarQuery {
    pub from: String,
    pub to: String,
    /// An IANA zone, e.g. "Europe/Berlin": the one days are counted in.
    pub zone: String,
    pub per_day: u32,
    #[serde(default)]
    pub selected: Option<String>,
}

/// One day of the Calendar: how many posts it holds, how many of its
/// upcoming ones will not go out on their own, and its first posts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalendarDay {
    /// `YYYY-MM-DD` in the query's zone.
    pub day: String,
    pub total: u32,
    /// Upcoming posts that will not go out on their own.
    pub held: u32,
    /// Posts that failed (or wait to be checked).
    pub failed: u32,
    /// The first `per_day` posts of the day, in time order.
    pub posts: Vec<ScheduledPost>,
}

/// The days asked for, and the selected post (absent when it is gone).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalendarRange {
    pub days: Vec<CalendarDay>,
    pub selected: Option<ScheduledPost>,
}

/// One page of one day's posts, for the Calendar's day view.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalendarDayQuery {
    /// `YYYY-MM-DD` in `zone`.
    pub day: String,
    pub zone: String,
    /// How many posts of the day come before this page.
    pub offset: u32,
    /// At most this many (at most 200).
    pub limit: u32,
}

/// A page of a day's posts, and how many the day holds in all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalendarDayPage {
    pub day: String,
    pub offset: u32,
    pub total: u32,
    pub posts: Vec<ScheduledPost>,
}

/// A person's change to an upcoming post, from the calendar.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PostChange {
    pub post_id: String,
    /// "variant" (with `variant_id`), "move" (with `at`: a wall time in the
    /// post's zone, "2026-12-10 09:10", or an RFC 3339 instant), "skip" or
    /// "publish_now".
    pub action: String,
    pub variant_id: Option<String>,
    pub at: Option<String>,
}

/// A post, planned or done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduledPost {
    pub id: String,
    pub campaign_id: String,
    pub platform: Platform,
    pub account_id: String,
    pub schedule_id: Option<String>,
    pub variant_id: Option<String>,
    /// RFC 3339, UTC.
    pub scheduled_at: String,
    /// The zone its slot was computed in.
    pub time_zone: String,
    /// scheduled, publishing, published, failed, needs_verification, missed or cancelled.
    pub status: String,
    /// A person chose its variant or time.
    pub overridden: bool,
    pub attempts: u32,
    pub remote_url: Option<String>,
    pub last_error: Option<String>,
    /// What may bite before it does: posts too close together on one
    /// account, the same text again, a variant that breaks the rules.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Why an upcoming post will not go out on its own, and what lets it:
    /// every variant it could take breaks the rules (a person's choice of
    /// variant sends it anyway).
    #[serde(default)]
    pub held: Option<String>,
    /// What lets a held post go: `activate_campaign`, `resume_schedule`,
    /// `reconnect_account`, `write_variant` or `pick_variant`.
    #[serde(default)]
    pub fix: Option<String>,
    /// While publishing with media: how far the upload got.
    #[serde(default)]
    pub upload: Option<Upload>,
    /// Once published and polled: its newest metrics.
    #[serde(default)]
    pub metrics: Option<PostMetrics>,
}

/// The platform-specific counts kept beside the common ones
/// (`PostMetrics::extras`, `Figures::extras`), by name, with their label.
/// Adapters name what they keep from this list.
pub const EXTRAS: [(&str, &str); 7] = [
    ("quotes", "Quotes"),
    ("bookmarks", "Bookmarks"),
    ("profile_clicks", "Profile clicks"),
    ("engagements", "Engagements (as X counts them)"),
    ("saves", "Saves"),
    ("video_views", "Video views"),
    ("watch_minutes", "Watch time (minutes)"),
];

/// How an extra count is called; `None` when it is not in [`EXTRAS`].
pub fn extra_label(name: &str) -> Option<&'static str> {
    EXTRAS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, label)| *label)
}

/// A published post's newest metrics. A `None` count: the platform does
/// not give that metric for it (shown as "—", never as 0).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostMetrics {
    /// When they were fetched (RFC 3339, UTC); `None` before the first poll.
    pub captured_at: Option<String>,
    pub impressions: Option<u64>,
    pub views: Option<u64>,
    pub likes: Option<u64>,
    pub comments: Option<u64>,
    pub shares: Option<u64>,
    pub clicks: Option<u64>,
    /// What only some platforms give: bookmarks, quotes, profile_clicks...
    #[serde(default)]
    pub extras: std::collections::BTreeMap<String, u64>,
    /// collecting, done (old enough) or gone (deleted on the platform).
    pub state: String,
    /// Why the last poll did not answer, if it did not.
    pub error: Option<String>,
}

/// Reach (impressions, else views), engagements (likes + comments +
/// shares) and link clicks at one instant; `None`: not given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    pub reach: Option<u64>,
    pub engagements: Option<u64>,
    pub clicks: Option<u64>,
}

/// A post at one age (1 h ... 30 days after publishing), beside the
/// median of its campaign's other posts on the same platform then.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgePoint {
    /// "1 h", "6 h", "24 h", "72 h", "7 days", "30 days".
    pub label: String,
    pub age_minutes: u32,
    /// The post is that old already.
    pub reached: bool,
    /// When the snapshot standing for this age was taken (RFC 3339, UTC);
    /// `None`: none near enough.
    pub captured_at: Option<String>,
    pub own: Reading,
    /// How many other posts have a reading at this age.
    pub peers: u32,
    pub peer_median: Reading,
}

/// A published post's figures over its life, for its detail view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostHistory {
    pub post_id: String,
    pub platform: Platform,
    pub published_at: String,
    /// What it is compared with, in words.
    pub compared_with: String,
    pub ages: Vec<AgePoint>,
    /// The chart of `ages` (SVG, drawn by the core).
    pub chart_svg: String,
}

/// The events the core emits to the main window when data changes (by this
/// app, the agent or the CLI on the same data); the window re-reads what it
/// shows through the typed commands. Stable names.
pub mod events {
    /// Posts were planned, published, moved, failed...
    pub const POSTS_CHANGED: &str = "posts-changed";
    /// New metrics arrived.
    pub const METRICS_UPDATED: &str = "metrics-updated";
    /// An account was connected, renewed or disconnected.
    pub const ACCOUNTS_CHANGED: &str = "accounts-changed";
    /// A generation job started, progressed or ended.
    pub const GENERATION_PROGRESS: &str = "generation-progress";
    /// Something was recorded in the audit log (the Activity page).
    pub const ACTIVITY_CHANGED: &str = "activity-changed";
    pub const ALL: [&str; 5] = [
        POSTS_CHANGED,
        METRICS_UPDATED,
        ACCOUNTS_CHANGED,
        GENERATION_PROGRESS,
        ACTIVITY_CHANGED,
    ];
}

/// Which published posts the Analytics page looks at; every filter set
/// narrows it (they combine).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsFilter {
    /// Published at or after (RFC 3339); default: 30 days before `to`.
    pub from: Option<String>,
    /// Published before (RFC 3339); default: now.
    pub to: Option<String>,
    /// Only these platforms (empty: all).
    #[serde(default)]
    pub platforms: Vec<String>,
    pub campaign_id: Option<String>,
    pub account_id: Option<String>,
}

/// Totals over a set of published posts, with what they gathered so far.
/// `None`: no post in the set gives that metric ("—").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub posts: u32,
    /// Impressions, else views.
    pub reach: Option<u64>,
    pub likes: Option<u64>,
    pub comments: Option<u64>,
    pub shares: Option<u64>,
    pub clicks: Option<u64>,
    /// (likes + comments + shares) / reach, over posts that have both.
    pub engagement_rate: Option<f64>,
    /// clicks / reach, over posts that have both.
    pub ctr: Option<f64>,
    /// What only some platforms give (bookmarks, quotes, profile_clicks...),
    /// summed over the posts that give each; absent: none does.
    #[serde(default)]
    pub extras: std::collections::BTreeMap<String, u64>,
}

/// One day of the chart: the posts published that day (in the user's zone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// YYYY-MM-DD.
    pub day: String,
    pub posts: u32,
    pub reach: Option<u64>,
    pub engagements: Option<u64>,
    pub clicks: Option<u64>,
}

/// A row of the per-platform or per-variant table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DashboardRow {
    /// The platform, or the variant's id.
    pub key: String,
    pub label: String,
    pub platform: String,
    pub figures: Figures,
}

/// One hour of the week in the best-time heat map.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HeatCell {
    /// 0 = Monday.
    pub weekday: u8,
    /// 0-23, in the user's zone.
    pub hour: u8,
    /// How many posts it rests on.
    pub posts: u32,
    pub engagement_rate: Option<f64>,
}

/// The Analytics page's data, for one filter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// The period as applied (RFC 3339).
    pub from: String,
    pub to: String,
    pub figures: Figures,
    /// The same filter over the period just before, as long.
    pub previous: Figures,
    pub series: Vec<SeriesPoint>,
    pub by_platform: Vec<DashboardRow>,
    pub by_variant: Vec<DashboardRow>,
    /// When the newest figure shown was fetched (RFC 3339).
    pub fetched_at: Option<String>,
    /// Engagement by weekday and hour of publishing (in the user's zone),
    /// from all posts of the filter's campaign, account and platforms ever
    /// published, not only the period's: 168 cells.
    #[serde(default)]
    pub heatmap: Vec<HeatCell>,
}

/// How far a post's media upload got, in bytes of all its attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub sent: u64,
    pub total: u64,
    /// Every byte is up; the platform is processing it.
    pub processing: bool,
}

/// A cadence's next runs, or a one-off's time, while the user types it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchedulePreview {
    /// The cadence in words, or the one-off time in its zone.
    pub description: String,
    /// What the zone does to a one-off's wall time (a gap or a repeated
    /// hour), in words.
    #[serde(default)]
    pub note: Option<String>,
    /// A one-off's minute already taken by a post of the campaign to the
    /// account: said before saving, with what can be done.
    #[serde(default)]
    pub slot_taken: Option<SlotTaken>,
    /// The zone the runs are in.
    pub time_zone: String,
    /// Each run as RFC 3339 in UTC, and as the zone's local wall time
    /// ("2026-12-02 14:00 CET").
    pub runs_utc: Vec<String>,
    pub runs_local: Vec<String>,
}

/// Who publishes now (the app or the agent), for the status line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PublisherStatus {
    /// `app` or `agent`; `None` when nothing publishes right now.
    pub kind: Option<String>,
    pub this_app: bool,
}

/// The Optimizer page of one campaign: per platform, what the optimizer
/// believes, what it would do next, and what it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizerView {
    pub campaign_id: String,
    pub campaign_name: String,
    /// reach, engagement or ctr.
    pub goal: String,
    pub platforms: Vec<OptimizerPlatform>,
}

/// The optimizer on one platform of a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizerPlatform {
    pub platform: Platform,
    /// A schedule of this campaign on this platform leaves the variant to
    /// the optimizer.
    pub optimized: bool,
    /// thompson (the default), ucb1 or uniform.
    pub policy: String,
    /// The live variants first (oldest first), then the retired ones.
    pub variants: Vec<OptimizerVariant>,
    /// The share of the last `recent_decisions` decisions that explored
    /// (`None`: no decision yet).
    pub exploration_share: Option<f64>,
    pub recent_decisions: u32,
    pub verdict: OptimizerVerdict,
    /// What the next decision would weigh, in words (guardrails included).
    pub next: String,
    /// Newest first.
    pub decisions: Vec<OptimizerDecision>,
    /// Each variant's estimate with its 95 % band, as SVG (drawn by the
    /// core, as the other charts).
    pub chart_svg: String,
}

/// One variant's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizerVariant {
    pub variant_id: String,
    /// "v1", "v2"... by age.
    pub label: String,
    /// Its first words.
    pub excerpt: String,
    pub retired: bool,
    /// Mature posts counted, those set aside after the audience changed,
    /// and those not mature yet.
    pub posts: u32,
    pub set_aside: u32,
    pub pending: u32,
    /// The estimated figure per post (a rate 0-1, or impressions) with its
    /// 95 % band; `None` before its first mature post.
    pub estimate: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// The probability that it is the best, and that it is chosen next.
    pub p_best: f64,
    pub p_next: f64,
}

/// Whether a winner can be named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizerVerdict {
    /// The winner's variant id, once there is one.
    pub winner: Option<String>,
    /// The variants that could be retired then.
    pub losers: Vec<String>,
    /// What it says, or what it waits for.
    pub words: String,
}

/// One decision: the optimizer's, or a person's instead of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizerDecision {
    pub id: i64,
    /// RFC 3339.
    pub decided_at: String,
    pub platform: Platform,
    pub post_id: Option<String>,
    /// The post's time (RFC 3339), while the post exists.
    pub post_at: Option<String>,
    /// optimizer, user or cli.
    pub actor: String,
    /// The optimizer's choice (its label), and the person's when they chose.
    pub chosen: Option<String>,
    pub user_choice: Option<String>,
    pub explored: bool,
    pub rationale: String,
}
