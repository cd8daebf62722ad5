//! Each platform's rules for a post's text, from `reference/platforms/`:
//! length counted the platform's way, forbidden characters, hashtag and
//! mention limits, and the brand's banned words. Pure and total: any input,
//! however odd, gets a [`PostCheck`], never a panic. The publisher's
//! pre-flight checks, the generator's repair loop, the UI's live checks and
//! `reachloop-cli post check` all call [`check`].

use std::sync::OnceLock;

use reachloop_ipc::{Attachment, MediaKind, Platform, PostCheck, PostProblem};
use twitter_text_config::Configuration;
use unicode_normalization::UnicodeNormalization;

/// X: twitter-text v3 weighted length.
pub const X_LIMIT: usize = 280;
/// YouTube: title characters, description UTF-8 bytes.
pub const YOUTUBE_TITLE_LIMIT: usize = 100;
pub const YOUTUBE_DESCRIPTION_LIMIT: usize = 5000;
/// Instagram: caption characters, hashtags, @ mentions.
pub const INSTAGRAM_LIMIT: usize = 2200;
pub const INSTAGRAM_HASHTAGS: usize = 30;
pub const INSTAGRAM_MENTIONS: usize = 20;
/// TikTok: caption UTF-16 units ("2200 in UTF-16 runes").
pub const TIKTOK_LIMIT: usize = 2200;
/// Facebook Page posts: not in the Graph docs; 63,206 is the widely cited
/// figure (reference/platforms/facebook.md §2.1, unverified).
pub const FACEBOOK_LIMIT: usize = 63_206;

fn x_config() -> &'static Configuration {
    static CONFIG: OnceLock<Configuration> = OnceLock::new();
    CONFIG.get_or_init(|| Configuration::configuration_from_json(twitter_text_config::V3_JSON))
}

/// What a post is checked with.
#[derive(Debug, Clone, Copy)]
pub struct Post<'a> {
    pub platform: Platform,
    pub body: &'a str,
    /// YouTube's video title; ignored elsewhere.
    pub title: Option<&'a str>,
    /// The brand's banned words and phrases.
    pub banned: &'a [String],
}

/// A variant that may not be posted automatically, and why, in words
/// ("“Cheap bread today…”: “cheap” is on the brand's banned list.").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuledOut {
    pub variant_id: String,
    pub why: String,
}

/// Which of a campaign's live variants on `platform` break its rules (the
/// platform's, the brand's banned words, the media's): the publisher never
/// picks those by itself, activation names them.
pub fn ruled_out(
    platform: Platform,
    variants: &[(String, String, Option<String>, Vec<Attachment>)],
    banned: &[String],
) -> Vec<RuledOut> {
    variants
        .iter()
        .filter_map(|(id, body, title, media)| {
            let mut problems = check(&Post {
                platform,
                body,
                title: title.as_deref(),
                banned,
            })
            .problems;
            problems.extend(check_media(platform, media));
            let first = problems.first()?;
            let opening: String = body.chars().take(30).collect();
            let ellipsis = if body.chars().count() > 30 { "…" } else { "" };
            Some(RuledOut {
                variant_id: id.clone(),
                why: format!(
                    "\u{201c}{}{ellipsis}\u{201d}: {}",
                    opening.trim(),
                    first.message.trim_end_matches('.')
                ) + ".",
            })
        })
        .collect()
}

/// Checks `post` against its platform's rules and the banned words.
pub fn check(post: &Post<'_>) -> PostCheck {
    let body = post.body;
    let mut problems = Vec::new();
    let hashtags = sigil_spans(body, '#');
    let mentions = sigil_spans(body, '@');
    let (length, weighted_length, limit, unit) = match post.platform {
        Platform::X => {
            let weighted = x_weighted_length(body);
            let length = body.nfc().count();
            (length, Some(weighted), X_LIMIT, "weighted")
        }
        Platform::Youtube => (body.len(), None, YOUTUBE_DESCRIPTION_LIMIT, "bytes"),
        Platform::Tiktok => (body.encode_utf16().count(), None, TIKTOK_LIMIT, "utf16"),
        Platform::Instagram => (body.chars().count(), None, INSTAGRAM_LIMIT, "characters"),
        Platform::Facebook | Platform::Sandbox => {
            (body.chars().count(), None, FACEBOOK_LIMIT, "characters")
        }
    };
    let measured = weighted_length.unwrap_or(length);
    let body_field = if post.platform == Platform::Youtube {
        "description"
    } else {
        "post"
    };

    if body.trim().is_empty() && post.platform != Platform::Youtube {
        problems.push(problem(
            "empty",
            "body",
            format!("The {body_field} is empty."),
            None,
        ));
    }
    if measured > limit {
        let unit_name = match unit {
            "weighted" => "weighted characters (URLs count 23, CJK and emoji 2)",
            "bytes" => "bytes (UTF-8)",
            "utf16" => "UTF-16 units",
            _ => "characters",
        };
        problems.push(problem(
            "too_long",
            "body",
            format!(
                "The {body_field} is {measured} {unit_name}; {} allows {limit}.",
                post.platform
            ),
            None,
        ));
    }
    match post.platform {
        Platform::X => {
            for (i, c) in body.nfc().enumerate() {
                if matches!(c, '\u{FFFE}' | '\u{FEFF}' | '\u{FFFF}') {
                    problems.push(problem(
                        "invalid_character",
                        "body",
                        format!("X does not accept the character U+{:04X}.", c as u32),
                        Some((i, i + 1)),
                    ));
                }
            }
        }
        Platform::Youtube => {
            angle_brackets(body, "body", "description", &mut problems);
        }
        Platform::Instagram => {
            if hashtags.len() > INSTAGRAM_HASHTAGS {
                problems.push(problem(
                    "too_many_hashtags",
                    "body",
                    format!(
                        "The caption has {} hashtags; Instagram allows {INSTAGRAM_HASHTAGS}.",
                        hashtags.len()
                    ),
                    hashtags.get(INSTAGRAM_HASHTAGS).copied(),
                ));
            }
            if mentions.len() > INSTAGRAM_MENTIONS {
                problems.push(problem(
                    "too_many_mentions",
                    "body",
                    format!(
                        "The caption has {} @ mentions; Instagram allows {INSTAGRAM_MENTIONS}.",
                        mentions.len()
                    ),
                    mentions.get(INSTAGRAM_MENTIONS).copied(),
                ));
            }
        }
        _ => {}
    }

    let (title_length, title_limit) = if post.platform == Platform::Youtube {
        let title = post.title.unwrap_or("");
        let length = title.chars().count();
        if title.trim().is_empty() {
            problems.push(problem(
                "title_required",
                "title",
                "YouTube needs a video title.".into(),
                None,
            ));
        } else if length > YOUTUBE_TITLE_LIMIT {
            problems.push(problem(
                "title_too_long",
                "title",
                format!("The title is {length} characters; YouTube allows {YOUTUBE_TITLE_LIMIT}."),
                Some((YOUTUBE_TITLE_LIMIT, length)),
            ));
        }
        angle_brackets(title, "title", "title", &mut problems);
        (Some(length), Some(YOUTUBE_TITLE_LIMIT))
    } else {
        (None, None)
    };

    for (field, text) in [("body", body), ("title", post.title.unwrap_or(""))] {
        if field == "title" && post.platform != Platform::Youtube {
            continue;
        }
        for (word, span) in banned_hits(text, post.banned) {
            problems.push(problem(
                "banned_word",
                field,
                format!("\u{201c}{word}\u{201d} is on the brand's banned list."),
                Some(span),
            ));
        }
    }

    PostCheck {
        platform: post.platform,
        length,
        weighted_length,
        limit,
        unit: unit.to_string(),
        title_length,
        title_limit,
        hashtags: hashtags.len(),
        mentions: mentions.len(),
        valid: problems.is_empty(),
        problems,
    }
}

/// Beyond this many characters a post is counted with plain weights: it is
/// far over X's 280 whatever its URLs, and parsing it would only cost time.
const X_PARSE_MAX_CHARS: usize = 20_000;

/// At most this many characters of a post are parsed in all (runs after
/// that get plain weights): a post that fits X's limit is far shorter, even
/// with several long links, and it bounds the worst case to a few runs.
const X_PARSE_BUDGET: usize = 5_000;

/// A run without whitespace longer than this is counted with plain weights
/// instead of being parsed: twitter-text's parser takes time quadratic in a
/// run's length (8,000 letters took 3.4 s; 999 letters about 50 ms), and the
/// editor checks as the user types. No word or ordinary link is this long,
/// while 140 family emoji (980 characters, 280 weighted) still fit;
/// counting a longer run without a URL discount can only over-estimate.
const X_PARSE_MAX_RUN: usize = 1_000;

/// X's weighted length the way twitter-text v3 counts it, in bounded time:
/// the text is parsed run by run (URLs and emoji never span whitespace, so
/// the sum is the same) and overlong runs are counted with plain weights.
fn x_weighted_length(body: &str) -> usize {
    if body.chars().count() > X_PARSE_MAX_CHARS {
        return plain_weighted_length(body);
    }
    let mut total = 0;
    let mut start = 0;
    let mut in_space = None;
    let mut pieces = Vec::new();
    for (i, c) in body.char_indices() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|s| s != space) {
            pieces.push((&body[start..i], in_space == Some(true)));
            start = i;
        }
        in_space = Some(space);
    }
    if start < body.len() {
        pieces.push((&body[start..], in_space == Some(true)));
    }
    let mut budget = X_PARSE_BUDGET;
    for (piece, space) in pieces {
        let chars = piece.chars().count();
        total += if space || chars > X_PARSE_MAX_RUN || chars > budget {
            plain_weighted_length(piece)
        } else {
            budget -= chars;
            parsed_weighted_length(piece)
        };
    }
    total
}

/// twitter-text's own count of one run.
fn parsed_weighted_length(text: &str) -> usize {
    // The default (nom) backend of twitter-text 0.3.1 panics on a
    // multi-byte character two bytes before a sigil ("日本@user");
    // the Pest grammar with external TLD lookup does not.
    std::panic::catch_unwind(|| {
        twitter_text::parse_with_parser_backend(
            text,
            x_config(),
            true,
            twitter_text::ParserBackend::External,
        )
        .weighted_length
    })
    .map(|w| usize::try_from(w).unwrap_or(0))
    // Should the library still trip over some text, count without its URL
    // and emoji discounts (an over-estimate, never a crash).
    .unwrap_or_else(|_| {
        tracing::warn!("twitter-text failed on a post; counting without URL discounts");
        plain_weighted_length(text)
    })
}

/// twitter-text's character weights alone: 1 in the v3 ranges, else 2.
fn plain_weighted_length(text: &str) -> usize {
    let config = x_config();
    let scale = usize::try_from(config.scale).unwrap_or(100).max(1);
    text.nfc()
        .map(|c| {
            let code = c as i32;
            let weight = config
                .ranges
                .iter()
                .find(|r| r.contains(code))
                .map_or(config.default_weight, |r| r.weight);
            usize::try_from(weight).unwrap_or(200)
        })
        .sum::<usize>()
        / scale
}

const MB: u64 = 1024 * 1024;

/// Checks a variant's attached media against its platform's rules
/// (reference/platforms/*.md): which kinds and how many, sizes, durations,
/// picture sizes and aspect ratios. Problems are on the field `media`.
pub fn check_media(platform: Platform, media: &[Attachment]) -> Vec<PostProblem> {
    let mut problems = Vec::new();
    let mut add =
        |code: &str, message: String| problems.push(problem(code, "media", message, None));
    let count = |k: MediaKind| media.iter().filter(|m| m.kind == k).count();
    let (images, videos, gifs) = (
        count(MediaKind::Image),
        count(MediaKind::Video),
        count(MediaKind::Gif),
    );
    let secs = |m: &Attachment| m.duration_ms.map(|d| d as f64 / 1000.0);
    let name = |m: &Attachment| m.file_name.clone();
    match platform {
        Platform::X => {
            if videos + gifs > 0 && media.len() > 1 {
                add(
                    "mixed_media",
                    "X takes up to 4 images, or 1 video, or 1 GIF per post, not a mix.".into(),
                );
            } else if images > 4 {
                add(
                    "too_many_media",
                    format!("X takes up to 4 images per post; this has {images}."),
                );
            }
            for m in media {
                let limit = match m.kind {
                    MediaKind::Gif => 15 * MB,
                    MediaKind::Video => 512 * MB,
                    _ => 5 * MB,
                };
                if m.bytes > limit {
                    add(
                        "media_too_large",
                        format!(
                            "{} is {}; X takes {} at most for this kind.",
                            name(m),
                            size(m.bytes),
                            size(limit)
                        ),
                    );
                }
                if let Some(s) = secs(m).filter(|_| m.kind == MediaKind::Video) {
                    if !(0.5..=140.0).contains(&s) {
                        add(
                            "media_duration",
                            format!("{} runs {s:.1} s; X takes videos of 0.5 to 140 s.", name(m)),
                        );
                    }
                }
            }
        }
        Platform::Youtube | Platform::Tiktok => {
            let label = platform.label();
            if videos == 0 {
                add(
                    "video_required",
                    format!("{label} posts need a video; attach one."),
                );
            }
            if media.len() > 1 || images + gifs > 0 {
                add(
                    "too_many_media",
                    format!("{label} posts are one video and nothing else."),
                );
            }
            if platform == Platform::Tiktok {
                for m in media.iter().filter(|m| m.kind == MediaKind::Video) {
                    if let Some(s) = secs(m) {
                        if !(3.0..=600.0).contains(&s) {
                            add(
                                "media_duration",
                                format!(
                                    "{} runs {s:.1} s; TikTok takes videos of 3 s to 10 min.",
                                    name(m)
                                ),
                            );
                        }
                    }
                    if let (Some(w), Some(h)) = (m.width, m.height) {
                        if !(360..=4096).contains(&w) || !(360..=4096).contains(&h) {
                            add(
                                "media_dimensions",
                                format!(
                                    "{} is {w}x{h}; TikTok takes 360 to 4096 pixels a side.",
                                    name(m)
                                ),
                            );
                        }
                    }
                }
            }
        }
        Platform::Instagram => {
            if media.is_empty() {
                add(
                    "media_required",
                    "Instagram posts need an image or a video; attach one.".into(),
                );
            } else if media.len() > 10 {
                add(
                    "too_many_media",
                    "An Instagram carousel holds at most 10 items.".into(),
                );
            }
            if gifs > 0 {
                add(
                    "unsupported_media",
                    "Instagram does not take GIFs; use a JPEG image or a video.".into(),
                );
            }
            for m in media {
                match m.kind {
                    MediaKind::Image => {
                        if m.mime != "image/jpeg" {
                            add(
                                "unsupported_media",
                                format!(
                                    "{} is {}; Instagram publishing takes JPEG images.",
                                    name(m),
                                    m.mime
                                ),
                            );
                        }
                        if m.bytes > 8 * MB {
                            add(
                                "media_too_large",
                                format!(
                                    "{} is {}; Instagram takes images up to 8 MB.",
                                    name(m),
                                    size(m.bytes)
                                ),
                            );
                        }
                        if let (Some(w), Some(h)) = (m.width, m.height) {
                            let ratio = f64::from(w) / f64::from(h.max(1));
                            if !(0.8..=1.91).contains(&ratio) {
                                add("aspect_ratio", format!("{} is {w}x{h} ({ratio:.2}:1); Instagram takes 4:5 to 1.91:1.", name(m)));
                            }
                        }
                    }
                    MediaKind::Video => {
                        if m.bytes > 300 * MB {
                            add(
                                "media_too_large",
                                format!(
                                    "{} is {}; Instagram takes videos up to 300 MB.",
                                    name(m),
                                    size(m.bytes)
                                ),
                            );
                        }
                        if let Some(s) = secs(m) {
                            if !(3.0..=900.0).contains(&s) {
                                add(
                                    "media_duration",
                                    format!(
                                        "{} runs {s:.1} s; Instagram takes reels of 3 s to 15 min.",
                                        name(m)
                                    ),
                                );
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Platform::Facebook | Platform::Sandbox => {
            if videos > 1 || (videos == 1 && media.len() > 1) {
                add(
                    "mixed_media",
                    "A Facebook post takes one video, or images.".into(),
                );
            }
        }
    }
    problems
}

fn size(bytes: u64) -> String {
    if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

fn problem(code: &str, field: &str, message: String, span: Option<(usize, usize)>) -> PostProblem {
    PostProblem {
        code: code.into(),
        field: field.into(),
        message,
        span,
    }
}

/// YouTube refuses `<` and `>` in titles and descriptions.
fn angle_brackets(text: &str, field: &str, name: &str, problems: &mut Vec<PostProblem>) {
    if let Some(i) = text.chars().position(|c| c == '<' || c == '>') {
        problems.push(problem(
            "invalid_character",
            field,
            format!("YouTube does not accept < or > in the {name}."),
            Some((i, i + 1)),
        ));
    }
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || is_joiner(c)
}

/// Characters that keep a word together inside hashtags (ZWJ/ZWNJ, combining marks).
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}') || unicode_normalization::char::is_combining_mark(c)
}

/// Where each `#hashtag` or `@mention` is, in characters. A sigil counts
/// when it starts the text or follows a non-word character, and is followed
/// by a tag (hashtags: not only digits; mentions: letters, digits, `_`, `.`).
pub fn sigil_spans(text: &str, sigil: char) -> Vec<(usize, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let after_boundary = i == 0 || !(is_tag_char(chars[i - 1]) || chars[i - 1] == sigil);
        let is_sigil = chars[i] == sigil || (sigil == '#' && chars[i] == '\u{FF03}');
        if is_sigil && after_boundary {
            let mut end = i + 1;
            while end < chars.len()
                && (is_tag_char(chars[end])
                    || (sigil == '@'
                        && chars[end] == '.'
                        && end + 1 < chars.len()
                        && is_tag_char(chars[end + 1])))
            {
                end += 1;
            }
            let tag = &chars[i + 1..end];
            let counts = match sigil {
                '#' => tag.iter().any(|c| !c.is_numeric()),
                _ => !tag.is_empty(),
            };
            if counts {
                spans.push((i, end));
                i = end;
                continue;
            }
        }
        i += 1;
    }
    spans
}

/// `text` folded for matching: lower case and canonically decomposed, char
/// by char, each folded char with the index of the original char it came
/// from (so a hit maps back to what the user sees).
fn folded(text: &str) -> Vec<(char, usize)> {
    let mut out = Vec::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        for lower in c.to_lowercase() {
            for d in std::iter::once(lower).nfd() {
                out.push((d, i));
            }
        }
    }
    out
}

/// A letter, digit, underscore or combining mark: part of a word.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || unicode_normalization::char::is_combining_mark(c)
}

/// Each occurrence of a banned word or phrase in `text`, matched as the
/// user wrote it: literally, punctuation and symbols included (`c++`,
/// `#sale`, `$$$`), ignoring case and Unicode normalization, with any run of
/// whitespace standing for any other. Where the entry begins (ends) with a
/// word character, the text must not continue the word there, so `cheap`
/// does not match "cheapest" but `#sale` still matches "#sale!". Returns the
/// entry as written and the character span it covers.
pub fn banned_hits(text: &str, banned: &[String]) -> Vec<(String, (usize, usize))> {
    if banned.is_empty() {
        return Vec::new();
    }
    let hay = folded(text);
    let chars = text.chars().count();
    let mut hits = Vec::new();
    for entry in banned {
        let trimmed = entry.trim();
        let needle: Vec<char> = folded(trimmed).into_iter().map(|(c, _)| c).collect();
        let (Some(&first), Some(&last)) = (needle.first(), needle.last()) else {
            continue;
        };
        let (word_start, word_end) = (is_word_char(first), is_word_char(last));
        for start in 0..hay.len() {
            let Some(end) = match_at(&hay, start, &needle) else {
                continue;
            };
            if word_start && start > 0 && is_word_char(hay[start - 1].0) {
                continue;
            }
            if word_end && end < hay.len() && is_word_char(hay[end].0) {
                continue;
            }
            let from = hay[start].1;
            let to = hay[end - 1].1 + 1;
            hits.push((trimmed.to_string(), (from, to.min(chars))));
        }
    }
    hits.sort_by_key(|(_, span)| *span);
    hits.dedup();
    hits
}

/// Where a match of `needle` starting at `hay[start]` ends (exclusive);
/// whitespace in the needle matches one or more whitespace in the hay.
fn match_at(hay: &[(char, usize)], start: usize, needle: &[char]) -> Option<usize> {
    let mut h = start;
    let mut n = 0;
    while n < needle.len() {
        let c = needle[n];
        if c.is_whitespace() {
            while n < needle.len() && needle[n].is_whitespace() {
                n += 1;
            }
            if h >= hay.len() || !hay[h].0.is_whitespace() {
                return None;
            }
            while h < hay.len() && hay[h].0.is_whitespace() {
                h += 1;
            }
        } else {
            if h >= hay.len() || hay[h].0 != c {
                return None;
            }
            h += 1;
            n += 1;
        }
    }
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(body: &str) -> PostCheck {
        check(&Post {
            platform: Platform::X,
            body,
            title: None,
            banned: &[],
        })
    }

    fn codes(c: &PostCheck) -> Vec<&str> {
        c.problems.iter().map(|p| p.code.as_str()).collect()
    }

    #[test]
    fn overlong_runs_are_counted_without_parsing() {
        // Once quadratic: 100,000 letters without a space took minutes.
        for n in [X_PARSE_MAX_RUN + 1, 8_000, 100_000, X_PARSE_MAX_CHARS + 5] {
            let body = "a".repeat(n);
            assert_eq!(x(&body).weighted_length, Some(n), "{n}");
        }
        // A long run beside ordinary words: the words keep their discounts.
        let body = format!("{} see https://example.com/page", "b".repeat(5_000));
        assert_eq!(x(&body).weighted_length, Some(5_000 + 5 + 23));
    }

    #[test]
    fn x_counts_as_twitter_text_v3_does() {
        // The conformance examples quoted in reference/platforms/x.md §2.2.
        let cases: Vec<(String, usize, bool)> = vec![
            ("Hi http://test.co".into(), 26, true),
            ("http://test.co".into(), 23, true),
            ("我".repeat(160), 320, false),
            ("🙋🏽👨\u{200d}🎤".into(), 4, true),
            ("👨\u{200d}👩\u{200d}👧\u{200d}👦".repeat(140), 280, true),
            ("1\u{20e3}".into(), 2, true),
            // Once a panic in twitter-text's default parser.
            ("日本@user".into(), 9, true),
            ("ü#@foo".into(), 6, true),
            ("ABC\u{202A}\u{FFFF}ABC\u{FFFE}".into(), 12, false),
            (
                "\u{2066}\u{202A}https://example.com\u{202C}\u{2069}".into(),
                31,
                true,
            ),
            // NFC: e + combining acute counts as one é.
            ("cafe\u{301}".into(), 4, true),
            ("a".repeat(280), 280, true),
            ("a".repeat(281), 281, false),
        ];
        for (text, weighted, valid) in cases {
            let c = x(&text);
            assert_eq!(c.weighted_length, Some(weighted), "{text:?}");
            assert_eq!(c.valid, valid, "{text:?}: {:?}", c.problems);
        }
        assert_eq!(x("cafe\u{301}").length, 4);
        assert_eq!(plain_weighted_length("ab我😀"), 6);
        let bad = x("ABC\u{FFFF}");
        assert_eq!(codes(&bad), ["invalid_character"]);
        assert_eq!(bad.problems[0].span, Some((3, 4)));
        assert_eq!(codes(&x("   ")), ["empty"]);
        assert_eq!(codes(&x(&"a".repeat(281))), ["too_long"]);
    }

    #[test]
    fn youtube_titles_and_descriptions() {
        let yt = |title: Option<&str>, body: &str| {
            check(&Post {
                platform: Platform::Youtube,
                body,
                title,
                banned: &[],
            })
        };
        assert!(
            yt(Some("Launch day"), "").valid,
            "an empty description is fine"
        );
        assert_eq!(codes(&yt(None, "desc")), ["title_required"]);
        assert_eq!(codes(&yt(Some(&"t".repeat(101)), "")), ["title_too_long"]);
        assert!(
            yt(Some(&"é".repeat(100)), "").valid,
            "100 characters, not bytes"
        );
        // 5000 bytes: 2500 two-byte letters fit, 2501 do not.
        assert!(yt(Some("t"), &"é".repeat(2500)).valid);
        let c = yt(Some("t"), &"é".repeat(2501));
        assert_eq!((c.length, c.limit, c.unit.as_str()), (5002, 5000, "bytes"));
        assert_eq!(codes(&c), ["too_long"]);
        assert_eq!(
            codes(&yt(Some("a <b>"), "x > y")),
            ["invalid_character", "invalid_character"]
        );
    }

    #[test]
    fn instagram_limits_caption_hashtags_and_mentions() {
        let ig = |body: &str| {
            check(&Post {
                platform: Platform::Instagram,
                body,
                title: None,
                banned: &[],
            })
        };
        let tags = |n: usize| {
            (0..n)
                .map(|i| format!("#tag{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(ig(&tags(30)).hashtags, 30);
        assert!(ig(&tags(30)).valid);
        assert_eq!(codes(&ig(&tags(31))), ["too_many_hashtags"]);
        let at = |n: usize| {
            (0..n)
                .map(|i| format!("@user.{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(ig(&at(20)).valid);
        assert_eq!(codes(&ig(&at(21))), ["too_many_mentions"]);
        assert!(ig(&"x".repeat(2200)).valid);
        assert_eq!(codes(&ig(&"x".repeat(2201))), ["too_long"]);
        // Not tags: numbers, e-mail addresses, mid-word signs, a bare sign.
        let c = ig("Call #1 or mail a@b.co, C# rocks, # alone, #café #日本 #tag_2");
        assert_eq!((c.hashtags, c.mentions), (3, 0));
    }

    #[test]
    fn tiktok_counts_utf16_units_and_facebook_characters() {
        let tt = |body: &str| {
            check(&Post {
                platform: Platform::Tiktok,
                body,
                title: None,
                banned: &[],
            })
        };
        // An emoji outside the BMP is two UTF-16 units.
        let c = tt(&"😀".repeat(1100));
        assert_eq!((c.length, c.valid), (2200, true));
        let c = tt(&"😀".repeat(1101));
        assert_eq!((c.length, codes(&c)), (2202, vec!["too_long"]));
        let fb = check(&Post {
            platform: Platform::Facebook,
            body: &"😀".repeat(FACEBOOK_LIMIT),
            title: None,
            banned: &[],
        });
        assert!(fb.valid, "{:?}", fb.problems);
    }

    fn media(
        kind: MediaKind,
        mime: &str,
        bytes: u64,
        dims: (u32, u32),
        ms: Option<u64>,
    ) -> Attachment {
        Attachment {
            sha256: "0".repeat(64),
            kind,
            mime: mime.into(),
            bytes,
            width: Some(dims.0),
            height: Some(dims.1),
            duration_ms: ms,
            container: None,
            file_name: "f".into(),
        }
    }

    #[test]
    fn media_follows_each_platforms_rules() {
        let jpg = media(MediaKind::Image, "image/jpeg", 200_000, (1080, 1350), None);
        let png = media(MediaKind::Image, "image/png", 200_000, (1080, 1080), None);
        let video = media(
            MediaKind::Video,
            "video/mp4",
            5 * MB,
            (1080, 1920),
            Some(30_000),
        );
        let gif = media(MediaKind::Gif, "image/gif", 2 * MB, (480, 270), None);
        let codes = |p: Platform, m: &[Attachment]| -> Vec<String> {
            check_media(p, m).into_iter().map(|p| p.code).collect()
        };
        assert!(codes(
            Platform::X,
            &[jpg.clone(), jpg.clone(), jpg.clone(), jpg.clone()]
        )
        .is_empty());
        assert_eq!(
            codes(Platform::X, &vec![jpg.clone(); 5]),
            ["too_many_media"]
        );
        assert_eq!(
            codes(Platform::X, &[video.clone(), jpg.clone()]),
            ["mixed_media"]
        );
        assert!(codes(Platform::X, std::slice::from_ref(&gif)).is_empty());
        assert_eq!(
            codes(
                Platform::X,
                &[media(MediaKind::Image, "image/png", 6 * MB, (10, 10), None)]
            ),
            ["media_too_large"]
        );
        assert_eq!(
            codes(
                Platform::X,
                &[media(
                    MediaKind::Video,
                    "video/mp4",
                    MB,
                    (720, 720),
                    Some(200_000)
                )]
            ),
            ["media_duration"]
        );
        assert!(
            codes(Platform::X, &[]).is_empty(),
            "text-only posts are fine on X"
        );

        assert_eq!(codes(Platform::Youtube, &[]), ["video_required"]);
        assert!(codes(Platform::Youtube, std::slice::from_ref(&video)).is_empty());
        assert_eq!(
            codes(Platform::Tiktok, std::slice::from_ref(&jpg)),
            ["video_required", "too_many_media"]
        );
        assert_eq!(
            codes(
                Platform::Tiktok,
                &[media(
                    MediaKind::Video,
                    "video/mp4",
                    MB,
                    (320, 240),
                    Some(2_000)
                )]
            ),
            ["media_duration", "media_dimensions"]
        );

        assert_eq!(codes(Platform::Instagram, &[]), ["media_required"]);
        assert!(codes(Platform::Instagram, std::slice::from_ref(&jpg)).is_empty());
        assert!(codes(Platform::Instagram, &[video]).is_empty());
        assert_eq!(codes(Platform::Instagram, &[png]), ["unsupported_media"]);
        assert_eq!(codes(Platform::Instagram, &[gif]), ["unsupported_media"]);
        assert_eq!(
            codes(
                Platform::Instagram,
                &[media(
                    MediaKind::Image,
                    "image/jpeg",
                    MB,
                    (1080, 1920),
                    None
                )]
            ),
            ["aspect_ratio"]
        );
        assert!(check_media(Platform::Instagram, &[jpg])[..].is_empty());
    }

    #[test]
    fn banned_entries_keep_their_punctuation_and_symbols() {
        let banned: Vec<String> = ["c++", "#sale", "$$$", "50% off", "!"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let hits = |text: &str| -> Vec<String> {
            banned_hits(text, &banned)
                .into_iter()
                .map(|(w, _)| w)
                .collect()
        };
        assert!(hits("c rocks").is_empty(), "c++ is not c");
        assert_eq!(hits("we love C++ here"), ["c++"]);
        assert!(hits("big sale today").is_empty(), "#sale needs its #");
        assert_eq!(hits("big #SALE today"), ["#sale"]);
        assert!(
            hits("#salesforce").is_empty(),
            "a word continues after sale"
        );
        assert_eq!(hits("get rich $$$ fast"), ["$$$"]);
        assert_eq!(hits("now 50%  OFF"), ["50% off"]);
        assert_eq!(
            banned_hits("wow!", &banned),
            [("!".to_string(), (3, 4))],
            "a symbol matches anywhere"
        );
    }

    #[test]
    fn banned_words_match_whole_words_ignoring_case_across_scripts() {
        let banned: Vec<String> = ["cheap", "Free Money", "ÉTÉ", "дешево", "  "]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let hits = |text: &str| banned_hits(text, &banned);
        assert_eq!(hits("Not CHEAP at all"), [("cheap".to_string(), (4, 9))]);
        assert!(
            hits("cheapest deals, cheapskate").is_empty(),
            "whole words only"
        );
        assert_eq!(
            hits("get FREE   money now")[0],
            ("Free Money".to_string(), (4, 16))
        );
        assert!(
            hits("free, money").is_empty(),
            "the entry is matched as written: a comma is not a space"
        );
        assert_eq!(hits("cet été")[0].1, (4, 7));
        assert_eq!(hits("cet e\u{301}te\u{301}").len(), 1, "NFC-normalized");
        assert_eq!(hits("Очень ДЕШЕВО!").len(), 1);
        assert!(hits("").is_empty());
        let c = check(&Post {
            platform: Platform::X,
            body: "So cheap!",
            title: None,
            banned: &banned,
        });
        assert_eq!(codes(&c), ["banned_word"]);
        assert_eq!(c.problems[0].span, Some((3, 8)));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn platforms() -> impl Strategy<Value = Platform> {
        prop::sample::select(vec![
            Platform::X,
            Platform::Youtube,
            Platform::Facebook,
            Platform::Instagram,
            Platform::Tiktok,
        ])
    }

    /// Text mixing ASCII, combining marks, joiners, emoji, CJK, sigils,
    /// URLs and the characters X refuses, so odd combinations come up often.
    fn tricky_text() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "a",
            " ",
            "#",
            "@",
            ".",
            "\u{301}",
            "\u{200d}",
            "😀",
            "👨",
            "我",
            "\u{FFFF}",
            "\u{FEFF}",
            "http://t.co/x",
            "https://",
            "<",
            ">",
            "é",
            "\n",
            "_",
            "1",
            "\u{FF03}",
            "www.",
        ]);
        prop::collection::vec(pieces, 0..60).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn never_panics_and_agrees_with_itself(
            platform in platforms(),
            body in prop_oneof![any::<String>(), tricky_text()],
            title in proptest::option::of(any::<String>()),
            banned in prop::collection::vec(prop_oneof![any::<String>(), tricky_text()], 0..4),
        ) {
            let c = check(&Post { platform, body: &body, title: title.as_deref(), banned: &banned });
            prop_assert_eq!(c.valid, c.problems.is_empty());
            let chars = body.chars().count();
            for p in &c.problems {
                if let (Some((start, end)), "body") = (p.span, p.field.as_str()) {
                    prop_assert!(start <= end && end <= chars.max(body.nfc().count()), "{:?}", p);
                }
            }
            match platform {
                Platform::Tiktok => prop_assert_eq!(c.length, body.encode_utf16().count()),
                Platform::Youtube => prop_assert_eq!(c.length, body.len()),
                Platform::X => prop_assert!(c.weighted_length.is_some()),
                _ => prop_assert_eq!(c.length, chars),
            }
        }

        /// Counting run by run gives twitter-text's own count of the whole.
        #[test]
        fn run_by_run_counting_agrees_with_parsing_the_whole(
            body in prop_oneof![tricky_text(), "[a-z .:/#@\\n]{0,300}"],
        ) {
            prop_assert_eq!(x_weighted_length(&body), parsed_weighted_length(&body));
        }

        #[test]
        fn a_banned_word_is_found_wherever_it_stands_alone(
            before in "[a-z ]{0,20}",
            after in "[a-z ]{0,20}",
            word in "[a-zA-Zéß]{1,10}",
        ) {
            let text = format!("{before} {word}! {after}");
            let hits = banned_hits(&text, std::slice::from_ref(&word));
            prop_assert!(!hits.is_empty(), "{text:?} / {word:?}");
        }
    }
}
