//! Text that people type or servers send, made safe to store, show and
//! print: names that cannot look empty or spoof their display, and echoes
//! of raw input that cannot drive a terminal or flood it. Pure.

use unicode_normalization::UnicodeNormalization;

/// Characters that draw nothing or change how the text around them is
/// drawn: zero-width characters, bidirectional embeddings, overrides and
/// isolates, the byte-order mark, and the line and paragraph separators.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Whether `text` shows nothing: only whitespace and invisible characters.
pub fn is_blank(text: &str) -> bool {
    !text
        .chars()
        .any(|c| !c.is_whitespace() && !is_invisible_format(c))
}

/// Characters a one-line name must not hold: controls, line and paragraph
/// separators, and the bidirectional controls that reorder what follows.
fn breaks_a_name(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{061C}' | '\u{200E}' | '\u{200F}'
                | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    /// Nothing visible is left.
    Empty,
    /// A control, line break or direction override.
    BadCharacter,
}

/// A one-line name as people will see it: NFC, without zero-width and
/// byte-order marks at its ends or doubled inside, trimmed; refused when
/// nothing visible is left or it holds a character that breaks a line or
/// reorders the display.
pub fn clean_name(raw: &str) -> Result<String, NameProblem> {
    let nfc: String = raw.nfc().collect();
    if nfc.chars().any(breaks_a_name) {
        return Err(NameProblem::BadCharacter);
    }
    // Zero-width joiners inside emoji sequences are kept; marks that only
    // hide are dropped.
    let kept: String = nfc
        .chars()
        .filter(|c| !matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'))
        .collect();
    let name = kept.trim_matches(|c: char| c.is_whitespace() || is_invisible_format(c));
    if is_blank(name) {
        return Err(NameProblem::Empty);
    }
    Ok(name.to_string())
}

/// Raw input quoted back in a message: control and invisible characters
/// shown as `\u{…}` escapes, and cut to `max` characters with "…" (and how
/// much was left out).
/// A post's text on one line for a table: whitespace runs as one space,
/// invisible characters left out, at most `max` characters and "…".
pub fn excerpt(text: &str, max: usize) -> String {
    let one_line = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .collect::<String>();
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut out: String = one_line.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

pub fn echo(raw: &str, max: usize) -> String {
    let mut out = String::new();
    let total = raw.chars().count();
    for c in raw.chars().take(max) {
        if c.is_control() || is_invisible_format(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    if total > max {
        out.push_str(&format!("… ({} more characters)", total - max));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_is_one_clean_line_of_at_most_max_characters() {
        assert_eq!(excerpt("Fresh\n\nbread,  today", 60), "Fresh bread, today");
        assert_eq!(excerpt("a\u{200B}b", 60), "ab");
        assert_eq!(excerpt("abcdef", 4), "abc…");
        assert_eq!(excerpt("🍞🍞🍞", 3), "🍞🍞🍞");
    }

    #[test]
    fn names_that_look_empty_or_spoof_are_refused() {
        assert_eq!(clean_name("\u{200B}\u{200B}"), Err(NameProblem::Empty));
        assert_eq!(clean_name("\u{FEFF} \u{2060}"), Err(NameProblem::Empty));
        assert_eq!(
            clean_name("Sale\u{202E}txt.exe"),
            Err(NameProblem::BadCharacter)
        );
        assert_eq!(clean_name("a\u{2028}b"), Err(NameProblem::BadCharacter));
        assert_eq!(clean_name("a\nb"), Err(NameProblem::BadCharacter));
        assert_eq!(clean_name("\u{FEFF}Spring\u{200B}"), Ok("Spring".into()));
        // NFC: e + combining acute becomes é.
        assert_eq!(clean_name("Cafe\u{301}"), Ok("Caf\u{e9}".into()));
        // Emoji with joiners stay whole.
        assert_eq!(
            clean_name("Team \u{1F469}\u{200D}\u{1F4BB}"),
            Ok("Team \u{1F469}\u{200D}\u{1F4BB}".into())
        );
    }

    #[test]
    fn echoes_cannot_drive_a_terminal_or_flood_it() {
        assert_eq!(echo("x\u{1b}[31mred", 40), "x\\u{001B}[31mred");
        assert_eq!(echo("abcdef", 3), "abc… (3 more characters)");
        assert_eq!(echo("a\u{202E}b", 10), "a\\u{202E}b");
    }
}

/// `n` and the noun, singular or plural: "1 variant", "2 variants".
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    match n.into() {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn one_is_singular_and_others_plural() {
        assert_eq!(super::count(1u32, "variant"), "1 variant");
        assert_eq!(super::count(0u32, "variant"), "0 variants");
        assert_eq!(super::count(2u64, "post"), "2 posts");
    }
}
