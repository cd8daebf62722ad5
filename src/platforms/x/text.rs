//! A post's text as X gives it back, so that verification recognises a
//! post it sent. X does not return the text it was sent: every link that
//! twitter-text recognises (also a bare domain such as `example.com`)
//! becomes a 23-character `https://t.co/…` address, `&`, `<` and `>` come
//! back as `&amp;`, `&lt;` and `&gt;`, and a post with media gets one more
//! t.co link at its end (its `pic.x.com` address). Both sides are brought
//! to one shape: NFC, whitespace runs as one space, entities unescaped,
//! each link a placeholder with its address beside it (the sent one, and
//! on X's side the `expanded_url` of `entities.urls` where X gives it).

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

/// What stands where a link was.
const LINK: &str = "\u{FFFC}";

/// A text reduced to what survives X's rewriting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// The words, links replaced by [`LINK`].
    words: String,
    /// Each link's address in order, normalised; `None` where X did not
    /// say what a t.co link stands for.
    links: Vec<Option<String>>,
}

/// One of `entities.urls` of a post on X's timeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlEntity {
    pub expanded_url: Option<String>,
    /// The link of attached media (`pic.x.com/…`, or a `media_key`).
    pub media: bool,
}

/// The links twitter-text finds in `text`, in order (the Pest/external-TLD
/// backend, as the rules use: the nom one panics on some text).
fn links_in(text: &str) -> Vec<String> {
    std::panic::catch_unwind(|| {
        twitter_text::extractor::Extractor::with_parser_backend(
            twitter_text::extractor::ParserBackend::External,
        )
        .extract_urls(text)
    })
    .unwrap_or_default()
}

/// A link's address for comparison: with a scheme (X expands a bare
/// domain with `http://`), scheme and host in lower case, no trailing `/`.
fn normalise(url: &str) -> String {
    let with_scheme = if url.contains("://") {
        url.to_string()
    } else {
        format!("http://{url}")
    };
    let (scheme, rest) = with_scheme
        .split_once("://")
        .unwrap_or(("http", &with_scheme));
    let (host, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        // X shows https links of a site the same as http ones.
        "https" => "http".to_string(),
        s => s.to_string(),
    };
    format!(
        "{scheme}://{}{}",
        host.to_ascii_lowercase(),
        path.trim_end_matches('/')
    )
}

/// Replaces each of `links` (found in order) by [`LINK`], collapsing
/// whitespace.
fn words_without(text: &str, links: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    for link in links {
        match rest.find(link.as_str()) {
            Some(i) => {
                out.push_str(&rest[..i]);
                out.push(' ');
                out.push_str(LINK);
                out.push(' ');
                rest = &rest[i + link.len()..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The shape of a text as Reachloop sends it.
pub fn as_sent(text: &str) -> Shape {
    let text: String = text.nfc().collect();
    let links = links_in(&text);
    Shape {
        words: words_without(&text, &links),
        links: links.iter().map(|l| Some(normalise(l))).collect(),
    }
}

/// X's HTML escapes undone (`&amp;` last, so `&amp;lt;` stays `&lt;`).
pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The shape of a text as X gives it back, with what `entities` (by t.co
/// address) says about its links (the media link X adds at the end is
/// dropped where they say so, else by [`same_post`]).
pub fn as_shown(text: &str, entities: &HashMap<String, UrlEntity>) -> Shape {
    let mut text: String = unescape(text).nfc().collect();
    // The media's own link, where the entities say which it is (else it is
    // the trailing t.co link past those the text had, dropped in
    // `same_post`).
    for (tco, e) in entities {
        if e.media {
            text = text.replace(tco.as_str(), " ");
        }
    }
    let links = links_in(&text);
    Shape {
        words: words_without(&text, &links),
        links: links
            .iter()
            .map(|l| match entities.get(l) {
                Some(UrlEntity {
                    expanded_url: Some(e),
                    ..
                }) => Some(normalise(e)),
                // A t.co link X said nothing about; any other link as is.
                _ if is_tco(l) => None,
                _ => Some(normalise(l)),
            })
            .collect(),
    }
}

fn is_tco(link: &str) -> bool {
    let lower = link.to_ascii_lowercase();
    lower.starts_with("https://t.co/") || lower.starts_with("http://t.co/")
}

/// Whether a post X shows (`shown`) is the one sent (`sent`): the same
/// words around the same number of links, each link the same address
/// where X says which. With media, X's trailing media link may be extra.
pub fn same_post(sent: &Shape, shown: &Shape, with_media: bool) -> bool {
    if sent.words == shown.words && links_agree(&sent.links, &shown.links) {
        return true;
    }
    if !with_media || shown.links.len() != sent.links.len() + 1 {
        return false;
    }
    // Drop X's trailing media link and compare again.
    let Some(words) = shown.words.strip_suffix(LINK) else {
        return false;
    };
    let words = words.trim_end();
    words == sent.words && links_agree(&sent.links, &shown.links[..sent.links.len()])
}

fn links_agree(sent: &[Option<String>], shown: &[Option<String>]) -> bool {
    sent.len() == shown.len()
        && sent
            .iter()
            .zip(shown)
            .all(|(a, b)| a.is_none() || b.is_none() || a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> HashMap<String, UrlEntity> {
        HashMap::new()
    }

    fn matches(sent: &str, shown: &str) -> bool {
        same_post(&as_sent(sent), &as_shown(shown, &none()), false)
    }

    #[test]
    fn x_s_escapes_and_t_co_links_are_the_sent_text() {
        assert!(matches("Tips & tricks", "Tips &amp; tricks"));
        assert!(matches("a < b > c", "a &lt; b &gt; c"));
        assert!(matches(
            "see reachloop.app today",
            "see https://t.co/AbCdEfGhIj today"
        ));
        assert!(matches(
            "New  drop\nhttps://shop.example.com/a?b=1&c=2 today",
            "New drop https://t.co/abc123XYZ0 today"
        ));
        // Literal entities in the sent text come back escaped once more.
        assert!(matches(
            "write &amp; like this",
            "write &amp;amp; like this"
        ));
        // Emoji and composed characters survive as they are.
        assert!(matches("Café ☕ 🙋🏽 now", "Cafe\u{301} ☕ 🙋🏽 now"));
    }

    #[test]
    fn different_texts_stay_different() {
        assert!(!matches("New drop today", "New drop tomorrow"));
        // A link is not a word, nor two links one.
        assert!(!matches("see reachloop.app", "see reachloop"));
        assert!(!matches("a.com b.com", "https://t.co/abcdefghij"));
        // An unescaped `&` where X would escape is not what X gives back
        // for `&amp;` sent.
        assert!(!matches("Tips &amp; tricks", "Tips &amp; tricks"));
    }

    #[test]
    fn expanded_links_tell_apart_texts_that_differ_only_by_link() {
        let mut entities = HashMap::new();
        entities.insert(
            "https://t.co/AAAAAAAAAA".to_string(),
            UrlEntity {
                expanded_url: Some("http://reachloop.app".into()),
                media: false,
            },
        );
        let shown = as_shown("go https://t.co/AAAAAAAAAA", &entities);
        assert!(same_post(&as_sent("go reachloop.app"), &shown, false));
        assert!(same_post(
            &as_sent("go https://Reachloop.app/"),
            &shown,
            false
        ));
        assert!(!same_post(&as_sent("go example.com"), &shown, false));
    }

    #[test]
    fn the_media_link_x_appends_is_not_part_of_the_text() {
        let sent = as_sent("Look at this");
        let plain = as_shown("Look at this https://t.co/MeDiA12345", &none());
        assert!(same_post(&sent, &plain, true));
        // Without media the extra link is a difference.
        assert!(!same_post(&sent, &plain, false));
        let mut entities = HashMap::new();
        entities.insert(
            "https://t.co/MeDiA12345".to_string(),
            UrlEntity {
                expanded_url: Some("https://x.com/u/status/1/photo/1".into()),
                media: true,
            },
        );
        let told = as_shown("Look at this https://t.co/MeDiA12345", &entities);
        assert!(same_post(&sent, &told, true));
    }
}
