//! Generating a platform's post variants with the model: ask in the
//! platform's form, read the answer tolerantly, check every variant against
//! the platform's rules and the brand's banned words, re-ask for the broken
//! ones with each violation named (at most [`MAX_REPAIRS`] times), reject
//! near-duplicates and ask for replacements. Variants still broken after
//! that are returned flagged with the reason, for the user to fix.

use std::time::Duration;

use reachloop_ipc::{
    BrandConstraints, Goal, LengthPreference, MediaPreference, Platform, PostCheck,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::ai::{self, AiConfig, AiError, Draft, Format, Message, ParseError, RetryPolicy};
use crate::rules;

/// Re-asks after the first answer, for broken, unreadable or duplicate variants.
pub const MAX_REPAIRS: u32 = 2;

/// Word-set overlap (Jaccard) at which two variants count as the same post.
pub const NEAR_DUPLICATE: f64 = 0.8;

/// What to write.
#[derive(Debug, Clone, Copy)]
pub struct Brief<'a> {
    pub campaign: &'a str,
    pub prompt: &'a str,
    pub goal: Goal,
    pub brand: &'a BrandConstraints,
    pub platform: Platform,
    pub count: usize,
    /// Bodies of the platform's variants that already exist: new ones must differ.
    pub existing: &'a [String],
}

/// One generated variant, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub draft: Draft,
    pub check: PostCheck,
    /// Why the variant is shown as needing the user (still broken after the repairs).
    pub flagged: Option<String>,
}

/// The variants of one platform, and how they were obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub variants: Vec<Generated>,
    /// The response format the server accepted (to start there next time).
    pub format: Format,
    /// SHA-256 of the first request's messages, stored with each variant.
    pub prompt_hash: String,
    pub requests: u32,
    pub repairs: u32,
    pub duplicates_rejected: u32,
}

/// Where a generation is, for the progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Asking {
        round: u32,
    },
    Repairing {
        round: u32,
        broken: usize,
        duplicates: usize,
    },
}

/// Generating failed as a whole.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Ai(#[from] AiError),
    #[error("{0} (after {1} tries)")]
    Unreadable(ParseError, u32),
}

impl GenerateError {
    pub fn code(&self) -> &'static str {
        match self {
            GenerateError::Ai(e) => e.code(),
            GenerateError::Unreadable(..) => "ai_bad_answer",
        }
    }
}

/// Generates `brief.count` variants for `brief.platform`.
pub async fn generate<S, F>(
    http: &reqwest::Client,
    config: &AiConfig,
    brief: &Brief<'_>,
    start: Format,
    policy: RetryPolicy,
    sleep: S,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Outcome, GenerateError>
where
    S: Fn(Duration) -> F,
    F: std::future::Future<Output = ()>,
{
    let wants_title = brief.platform == Platform::Youtube;
    let schema = schema_for(brief.platform);
    let mut messages = vec![
        Message::system(system_prompt(brief)),
        Message::user(user_prompt(brief, brief.count)),
    ];
    let prompt_hash = hash_messages(&messages);
    let mut format = start;
    let mut requests = 0;
    let mut repairs = 0;
    let mut duplicates_rejected = 0;
    let mut accepted: Vec<Generated> = Vec::new();
    let mut broken: Vec<Generated> = Vec::new();
    progress(Progress::Asking { round: 0 });
    loop {
        requests += 1;
        let answer = ai::complete(http, config, &messages, &schema, format, policy, &sleep).await?;
        format = answer.format;
        let mut note = String::new();
        let mut dup_now = 0;
        broken.clear();
        match ai::parse_variants(&answer.content, wants_title) {
            Err(e) if repairs >= MAX_REPAIRS => {
                if accepted.is_empty() {
                    return Err(GenerateError::Unreadable(e, requests));
                }
                break;
            }
            Err(e) => {
                note = format!(
                    "Your answer could not be read: {e}. Answer with JSON only, exactly in the requested shape."
                );
            }
            Ok(drafts) => {
                for draft in drafts {
                    if accepted.len() >= brief.count {
                        break;
                    }
                    let check = rules::check(&rules::Post {
                        platform: brief.platform,
                        body: &draft.body,
                        title: draft.title.as_deref(),
                        banned: &brief.brand.banned_words,
                    });
                    let seen = accepted
                        .iter()
                        .map(|g| g.draft.body.as_str())
                        .chain(brief.existing.iter().map(String::as_str))
                        .chain(broken.iter().map(|g| g.draft.body.as_str()));
                    if seen
                        .into_iter()
                        .any(|other| near_duplicate(other, &draft.body))
                    {
                        dup_now += 1;
                        continue;
                    }
                    let item = Generated {
                        draft,
                        check,
                        flagged: None,
                    };
                    if item.check.valid {
                        accepted.push(item);
                    } else {
                        broken.push(item);
                    }
                }
            }
        }
        duplicates_rejected += dup_now;
        if accepted.len() >= brief.count {
            break;
        }
        if repairs >= MAX_REPAIRS {
            break;
        }
        repairs += 1;
        progress(Progress::Repairing {
            round: repairs,
            broken: broken.len(),
            duplicates: dup_now as usize,
        });
        let still_needed = brief.count - accepted.len();
        messages.push(Message::assistant(answer.content));
        messages.push(Message::user(repair_prompt(
            brief,
            &broken,
            dup_now,
            &note,
            still_needed,
        )));
    }
    // Still broken after the repairs: shown to the user with the reason.
    for mut item in broken {
        if accepted.len() >= brief.count {
            break;
        }
        let reasons: Vec<&str> = item
            .check
            .problems
            .iter()
            .map(|p| p.message.as_str())
            .collect();
        item.flagged = Some(format!(
            "Still breaks the rules after {MAX_REPAIRS} repair requests: {}",
            reasons.join(" ")
        ));
        accepted.push(item);
    }
    Ok(Outcome {
        variants: accepted,
        format,
        prompt_hash,
        requests,
        repairs,
        duplicates_rejected,
    })
}

/// Whether two posts say the same thing: their word sets overlap by
/// [`NEAR_DUPLICATE`] or more (case, punctuation and order ignored).
pub fn near_duplicate(a: &str, b: &str) -> bool {
    use std::collections::BTreeSet;
    use unicode_segmentation::UnicodeSegmentation;
    let words =
        |s: &str| -> BTreeSet<String> { s.unicode_words().map(|w| w.to_lowercase()).collect() };
    let (a, b) = (words(a), words(b));
    if a.is_empty() && b.is_empty() {
        return true;
    }
    let shared = a.intersection(&b).count() as f64;
    let all = a.union(&b).count() as f64;
    shared / all >= NEAR_DUPLICATE
}

fn hash_messages(messages: &[Message]) -> String {
    let mut hasher = Sha256::new();
    for m in messages {
        hasher.update(m.role.as_bytes());
        hasher.update([0]);
        hasher.update(m.content.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

fn platform_rules(platform: Platform) -> String {
    match platform {
        Platform::X => format!(
            "An X post: at most {} weighted characters (each URL counts 23, each emoji and CJK character counts 2). One or two hashtags at most.",
            rules::X_LIMIT
        ),
        Platform::Youtube => format!(
            "A YouTube video: a title of at most {} characters and a description of at most {} bytes, with no < or > characters anywhere.",
            rules::YOUTUBE_TITLE_LIMIT,
            rules::YOUTUBE_DESCRIPTION_LIMIT
        ),
        Platform::Instagram => format!(
            "An Instagram caption: at most {} characters, at most {} hashtags and {} @ mentions. Hashtags go at the end.",
            rules::INSTAGRAM_LIMIT,
            rules::INSTAGRAM_HASHTAGS,
            rules::INSTAGRAM_MENTIONS
        ),
        Platform::Tiktok => format!(
            "A TikTok caption for a short vertical video: at most {} characters, with a few hashtags.",
            rules::TIKTOK_LIMIT
        ),
        Platform::Facebook | Platform::Sandbox => {
            "A Facebook Page post: conversational, a link-friendly first line, a few hundred characters at most.".into()
        }
    }
}

fn system_prompt(brief: &Brief<'_>) -> String {
    let brand = brief.brand;
    let mut s = format!(
        "You write social media posts for a small business or creator.\n{}\nThe campaign's goal is {}: {}.",
        platform_rules(brief.platform),
        brief.goal.label(),
        match brief.goal {
            Goal::Reach => "posts people share and that travel beyond current followers",
            Goal::Engagement => "posts that invite replies, likes and saves",
            Goal::Ctr => "posts that make people click the link",
        }
    );
    if !brand.tone.trim().is_empty() {
        s.push_str(&format!("\nTone: {}.", brand.tone.trim()));
    }
    if brand.length != LengthPreference::Any {
        s.push_str(&format!("\nPreferred length: {}.", brand.length.as_str()));
    }
    s.push_str(&format!(
        "\nMedia: recommend {} for each variant (type, aspect ratio, and duration in seconds for video).",
        match brand.media {
            MediaPreference::Any => "the best media",
            MediaPreference::Image => "an image",
            MediaPreference::Video => "a video",
            MediaPreference::TextOnly => "no media (type none)",
        }
    ));
    if !brand.banned_words.is_empty() {
        s.push_str(&format!(
            "\nNever use these words or phrases: {}.",
            brand.banned_words.join(", ")
        ));
    }
    s.push_str(
        "\nEvery variant must take a clearly different angle. Answer with JSON only: \
         {\"variants\": [{\"text\": \"…\", \"title\": \"…\" (YouTube only, else null), \
         \"media\": {\"type\": \"image|video|gif|carousel|none\", \"aspect_ratio\": \"9:16\", \"duration_seconds\": 30}}]}",
    );
    s
}

fn user_prompt(brief: &Brief<'_>, count: usize) -> String {
    let mut s = format!(
        "Campaign: {}\nBrief: {}\nPlatform: {}\nCount: {count}\n",
        brief.campaign.trim(),
        brief.prompt.trim(),
        brief.platform.as_str()
    );
    if !brief.brand.banned_words.is_empty() {
        s.push_str(&format!(
            "Banned words: {}\n",
            brief.brand.banned_words.join(", ")
        ));
    }
    if !brief.existing.is_empty() {
        s.push_str("Already written (do not repeat these):\n");
        for e in brief.existing.iter().take(10) {
            s.push_str(&format!("- {e}\n"));
        }
    }
    s.push_str(&format!("Write {count} distinct variants."));
    s
}

fn repair_prompt(
    brief: &Brief<'_>,
    broken: &[Generated],
    duplicates: u32,
    note: &str,
    still_needed: usize,
) -> String {
    let mut s = String::new();
    if !note.is_empty() {
        s.push_str(note);
        s.push('\n');
    }
    if !broken.is_empty() {
        s.push_str("These variants break the rules:\n");
        for (i, g) in broken.iter().enumerate() {
            let problems: Vec<&str> = g
                .check
                .problems
                .iter()
                .map(|p| p.message.as_str())
                .collect();
            s.push_str(&format!(
                "{}. \"{}\": {}\n",
                i + 1,
                g.draft.body,
                problems.join(" ")
            ));
        }
    }
    if duplicates > 0 {
        s.push_str(&format!(
            "{} repeated another one almost word for word; write something different instead.\n",
            crate::text::count(duplicates as u64, "variant")
        ));
    }
    s.push_str(&format!(
        "Platform: {}\nCount: {still_needed}\nWrite {still_needed} new variant(s) that fix these problems, in the same JSON shape.",
        brief.platform.as_str()
    ));
    s
}

/// The JSON schema of the answer for `platform` (strict: every field
/// required, nullable where optional).
pub fn schema_for(platform: Platform) -> Value {
    let title = if platform == Platform::Youtube {
        json!({ "type": "string" })
    } else {
        json!({ "type": ["string", "null"] })
    };
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["variants"],
        "properties": {
            "variants": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["text", "title", "media"],
                    "properties": {
                        "text": { "type": "string" },
                        "title": title,
                        "media": {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["type", "aspect_ratio", "duration_seconds"],
                            "properties": {
                                "type": { "type": "string", "enum": ["image", "video", "gif", "carousel", "none"] },
                                "aspect_ratio": { "type": ["string", "null"] },
                                "duration_seconds": { "type": ["number", "null"] }
                            }
                        }
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_duplicates_ignore_case_punctuation_and_order() {
        assert!(near_duplicate(
            "Fresh bread today! Come by.",
            "come by, FRESH BREAD TODAY"
        ));
        assert!(!near_duplicate(
            "Fresh bread today",
            "New cakes this weekend"
        ));
        assert!(near_duplicate("", "  "));
        assert!(!near_duplicate(
            "Fresh bread today, come by the shop",
            "Fresh bread today, order online now"
        ));
    }

    #[test]
    fn the_prompt_carries_the_brief_and_the_constraints() {
        let brand = BrandConstraints {
            tone: "warm".into(),
            banned_words: vec!["cheap".into()],
            length: LengthPreference::Short,
            media: MediaPreference::Video,
        };
        let brief = Brief {
            campaign: "Spring",
            prompt: "New sourdough",
            goal: Goal::Ctr,
            brand: &brand,
            platform: Platform::Tiktok,
            count: 3,
            existing: &["Old post".to_string()],
        };
        let system = system_prompt(&brief);
        assert!(
            system.contains("2200") && system.contains("Tone: warm") && system.contains("cheap")
        );
        assert!(system.contains("a video") && system.contains("Preferred length: short"));
        let user = user_prompt(&brief, 3);
        assert!(user.contains("Platform: tiktok\nCount: 3"), "{user}");
        assert!(user.contains("- Old post"));
        assert_eq!(
            hash_messages(&[Message::user("a")]),
            hash_messages(&[Message::user("a")])
        );
        assert_ne!(
            hash_messages(&[Message::user("a")]),
            hash_messages(&[Message::system("a")])
        );
        assert_eq!(
            schema_for(Platform::Youtube)["properties"]["variants"]["items"]["properties"]["title"]
                ["type"],
            "string"
        );
    }
}
