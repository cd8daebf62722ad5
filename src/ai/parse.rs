//! Reading a model's answer into typed variants, tolerantly: code fences,
//! prose before or after the JSON, a bare array instead of an object, and
//! JSON cut off mid-way (complete variants are kept, the broken tail is
//! dropped). What still does not fit is a [`ParseError`] naming the problem,
//! never a panic.

use reachloop_ipc::{MediaKind, MediaRecommendation};
use serde_json::Value;

/// One variant as the model wrote it, before the rules check it.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub body: String,
    pub title: Option<String>,
    pub media: MediaRecommendation,
}

/// The answer could not be read as variants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the model's answer is empty")]
    Empty,
    #[error("the model's answer holds no JSON")]
    NoJson,
    #[error("the model's answer is not valid JSON ({0})")]
    BadJson(String),
    #[error("the model's answer has no variants (expected {{\"variants\": [...]}})")]
    NoVariants,
    #[error("no variant in the model's answer has text ({0})")]
    WrongFields(String),
}

/// Reads `answer` into drafts. `wants_title` makes a missing title a problem
/// of that variant (YouTube), which drops it.
pub fn parse_variants(answer: &str, wants_title: bool) -> Result<Vec<Draft>, ParseError> {
    let answer = answer.trim();
    if answer.is_empty() {
        return Err(ParseError::Empty);
    }
    let value = extract_json(answer)?;
    let items = match &value {
        Value::Array(items) => items.clone(),
        Value::Object(map) => {
            let list = ["variants", "posts", "items", "data"]
                .iter()
                .find_map(|k| map.get(*k).and_then(Value::as_array));
            match list {
                Some(items) => items.clone(),
                // A single variant object.
                None if text_of(&value).is_some() => vec![value.clone()],
                None => return Err(ParseError::NoVariants),
            }
        }
        _ => return Err(ParseError::NoVariants),
    };
    if items.is_empty() {
        return Err(ParseError::NoVariants);
    }
    let mut drafts = Vec::new();
    let mut missing = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(body) = text_of(item) else {
            let keys: Vec<String> = item
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            missing.push(format!("variant {} has fields {:?}", i + 1, keys));
            continue;
        };
        let title = str_field(item, &["title", "video_title"]);
        if wants_title && title.is_none() {
            missing.push(format!("variant {} has no title", i + 1));
            continue;
        }
        drafts.push(Draft {
            body,
            title,
            media: media_of(item),
        });
    }
    if drafts.is_empty() {
        return Err(ParseError::WrongFields(missing.join("; ")));
    }
    Ok(drafts)
}

fn str_field(v: &Value, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        v.get(*n)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    })
}

fn text_of(v: &Value) -> Option<String> {
    if let Some(s) = v.as_str().filter(|s| !s.trim().is_empty()) {
        return Some(s.trim().to_string());
    }
    str_field(
        v,
        &["text", "body", "caption", "description", "post", "content"],
    )
}

fn media_of(v: &Value) -> MediaRecommendation {
    let m = v.get("media").or_else(|| v.get("media_recommendation"));
    let kind = m
        .and_then(|m| m.get("type").or_else(|| m.get("kind")))
        .and_then(Value::as_str)
        .and_then(MediaKind::parse)
        .unwrap_or(MediaKind::None);
    MediaRecommendation {
        kind,
        aspect_ratio: m
            .and_then(|m| m.get("aspect_ratio"))
            .and_then(Value::as_str)
            .map(String::from),
        duration_seconds: m
            .and_then(|m| m.get("duration_seconds"))
            .and_then(Value::as_f64)
            .filter(|d| d.is_finite() && *d > 0.0)
            .map(|d| d.round() as u32),
        notes: m
            .and_then(|m| m.get("notes").or_else(|| m.get("description")))
            .and_then(Value::as_str)
            .map(String::from),
    }
}

/// The JSON value inside `text`: whole, fenced, or surrounded by prose; cut
/// off JSON is closed where it broke.
fn extract_json(text: &str) -> Result<Value, ParseError> {
    let text = strip_fence(text);
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Ok(v);
    }
    let start = text.find(['{', '[']).ok_or(ParseError::NoJson)?;
    let candidate = &text[start..];
    // Prose after the JSON: take the first complete value.
    let mut stream = serde_json::Deserializer::from_str(candidate).into_iter::<Value>();
    match stream.next() {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) if e.is_eof() => {
            let repaired = close_truncated(candidate);
            serde_json::from_str(&repaired).map_err(|e| ParseError::BadJson(e.to_string()))
        }
        Some(Err(e)) => Err(ParseError::BadJson(e.to_string())),
        None => Err(ParseError::NoJson),
    }
}

/// The body of the first ``` fence, if the text has one.
fn strip_fence(text: &str) -> &str {
    let Some(open) = text.find("```") else {
        return text;
    };
    let after = &text[open + 3..];
    // Skip the info string (```json).
    let body_start = after.find('\n').map_or(after.len(), |i| i + 1);
    let body = &after[body_start..];
    match body.find("```") {
        Some(close) => body[..close].trim(),
        None => body.trim(),
    }
}

/// Closes JSON that stops mid-way: drops an unfinished key or value at the
/// end and closes open strings, arrays and objects. The last variant, if
/// unfinished, is dropped rather than guessed.
fn close_truncated(text: &str) -> String {
    // Walk once, remembering where each still-open container began and the
    // last position where the text was a clean prefix (after a complete
    // element inside the innermost container).
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    // (byte offset just after a complete element, stack depth there)
    let mut clean: Option<(usize, usize)> = None;
    for (i, c) in text.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => stack.push((c, i)),
            '}' | ']' => {
                stack.pop();
                clean = Some((i + 1, stack.len()));
            }
            ',' => clean = Some((i, stack.len())),
            _ => {}
        }
    }
    let (cut, depth) = clean.unwrap_or((0, 0));
    let mut out = text[..cut].trim_end().trim_end_matches(',').to_string();
    for (open, _) in stack[..depth.min(stack.len())].iter().rev() {
        out.push(if *open == '{' { '}' } else { ']' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"{"variants":[{"text":"One","media":{"type":"image","aspect_ratio":"1:1"}},{"text":"Two","media":{"type":"video","aspect_ratio":"9:16","duration_seconds":15}}]}"#;

    fn bodies(r: Result<Vec<Draft>, ParseError>) -> Vec<String> {
        r.expect("variants").into_iter().map(|d| d.body).collect()
    }

    #[test]
    fn reads_clean_fenced_and_wrapped_json() {
        assert_eq!(bodies(parse_variants(VALID, false)), ["One", "Two"]);
        let fenced = format!("Here you go:\n```json\n{VALID}\n```\nEnjoy!");
        assert_eq!(bodies(parse_variants(&fenced, false)), ["One", "Two"]);
        let prose = format!("Sure! {VALID} Let me know if you want more.");
        assert_eq!(bodies(parse_variants(&prose, false)), ["One", "Two"]);
        let bare = r#"[{"caption":"A"},{"body":"B"}]"#;
        assert_eq!(bodies(parse_variants(bare, false)), ["A", "B"]);
        let media = &parse_variants(VALID, false).expect("ok")[1].media;
        assert_eq!(
            (
                media.kind,
                media.aspect_ratio.as_deref(),
                media.duration_seconds
            ),
            (MediaKind::Video, Some("9:16"), Some(15))
        );
    }

    #[test]
    fn keeps_the_complete_variants_of_truncated_json() {
        let cut = r#"{"variants":[{"text":"One","media":{"type":"image"}},{"text":"Tw"#;
        assert_eq!(bodies(parse_variants(cut, false)), ["One"]);
        let cut = r#"{"variants":[{"text":"One"},{"text":"Two"},"#;
        assert_eq!(bodies(parse_variants(cut, false)), ["One", "Two"]);
        let cut = r#"{"variants":[{"text":"Only part"#;
        assert!(parse_variants(cut, false).is_err());
    }

    #[test]
    fn explains_what_does_not_fit() {
        assert_eq!(parse_variants("  ", false), Err(ParseError::Empty));
        assert_eq!(
            parse_variants("I cannot help with that.", false),
            Err(ParseError::NoJson)
        );
        assert_eq!(
            parse_variants(r#"{"ideas":"none"}"#, false),
            Err(ParseError::NoVariants)
        );
        match parse_variants(r#"{"variants":[{"headline":"x","score":3}]}"#, false) {
            Err(ParseError::WrongFields(m)) => assert!(m.contains("headline"), "{m}"),
            other => panic!("{other:?}"),
        }
        // YouTube needs titles: variants without one are dropped.
        let yt = r#"{"variants":[{"title":"T","description":"D"},{"description":"no title"}]}"#;
        let drafts = parse_variants(yt, true).expect("one");
        assert_eq!((drafts.len(), drafts[0].title.as_deref()), (1, Some("T")));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in ".*", wants_title: bool) {
            let _ = parse_variants(&text, wants_title);
        }

        #[test]
        fn never_panics_on_cut_json(cut in 0usize..400, wants_title: bool) {
            let cut = cut.min(VALID.len());
            let _ = parse_variants(&VALID[..cut], wants_title);
        }
    }
}
