//! How metrics read: counts with thousands separators, "—" for a metric
//! the platform does not give (never 0), and a post's newest figures.

use reachloop_ipc::PostMetrics;
use yew::prelude::*;

/// A count as the UI shows it: "1,234", or "—" when unavailable.
pub fn count(v: Option<u64>) -> String {
    let Some(n) = v else {
        return "—".into();
    };
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An extra metric's name as a label: its `EXTRAS` label, else spelled
/// out (`link_taps` → "Link taps").
pub fn label(name: &str) -> String {
    if let Some(known) = reachloop_ipc::extra_label(name) {
        return known.to_string();
    }
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What a post's metrics say about how they are collected.
pub fn collecting_note(m: &PostMetrics) -> Option<String> {
    match (m.state.as_str(), &m.captured_at, &m.error) {
        ("gone", _, Some(why)) => Some(format!("No longer polled: {why}")),
        ("gone", _, None) => Some("No longer polled: the platform no longer has it.".into()),
        (_, _, Some(why)) => Some(format!("The last poll did not answer: {why}")),
        ("collecting", None, None) => Some("First figures soon after publishing.".into()),
        ("done", _, None) => Some("Final: old posts are no longer polled.".into()),
        _ => None,
    }
}

#[derive(Properties, PartialEq)]
pub struct PostFiguresProps {
    pub metrics: PostMetrics,
    /// The fetch time, as the user reads it.
    pub fetched: Option<String>,
}

/// A published post's newest figures.
#[function_component(PostFigures)]
pub fn post_figures(p: &PostFiguresProps) -> Html {
    let m = &p.metrics;
    let rows = [
        ("Impressions", m.impressions),
        ("Views", m.views),
        ("Likes", m.likes),
        ("Comments", m.comments),
        ("Shares", m.shares),
        ("Link clicks", m.clicks),
    ];
    html! {
        <div class="post-figures" id="post-detail-metrics">
            <dl class="figures">
                { for rows.iter().map(|(name, v)| html! {
                    <div class="figure"><dt>{ *name }</dt><dd title={if v.is_none() { "This platform does not give it" } else { "" }}>{ count(*v) }</dd></div>
                }) }
                { for m.extras.iter().map(|(name, v)| html! {
                    <div class="figure"><dt>{ label(name) }</dt><dd>{ count(Some(*v)) }</dd></div>
                }) }
            </dl>
            if let Some(at) = &p.fetched { <p class="hint">{ format!("Fetched {at}") }</p> }
            if let Some(note) = collecting_note(m) { <p class="hint">{ note }</p> }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_with_separators_and_unavailable_is_a_dash_not_zero() {
        assert_eq!(count(None), "—");
        assert_eq!(count(Some(0)), "0");
        assert_eq!(count(Some(999)), "999");
        assert_eq!(count(Some(1_000)), "1,000");
        assert_eq!(count(Some(1_234_567)), "1,234,567");
        assert_eq!(label("profile_clicks"), "Profile clicks");
        assert_eq!(label("engagements"), "Engagements (as X counts them)");
        assert_eq!(label("link_taps"), "Link taps");
        assert_eq!(label(""), "");
    }

    #[test]
    fn the_note_says_why_figures_stopped_or_are_missing() {
        let m = |state: &str, at: Option<&str>, error: Option<&str>| PostMetrics {
            captured_at: at.map(String::from),
            state: state.into(),
            error: error.map(String::from),
            ..PostMetrics::default()
        };
        assert_eq!(
            collecting_note(&m(
                "gone",
                Some("t"),
                Some("X no longer has this post (deleted).")
            )),
            Some("No longer polled: X no longer has this post (deleted).".into())
        );
        assert_eq!(collecting_note(&m("collecting", Some("t"), None)), None);
        assert!(collecting_note(&m("collecting", None, None)).is_some());
        assert!(collecting_note(&m("collecting", Some("t"), Some("429")))
            .is_some_and(|n| n.contains("429")));
    }
}
