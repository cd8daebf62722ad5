//! A campaign's report as CSV, pure: one row per platform and variant with
//! its figures, then one per platform, then the total (the summary KPIs).
//!
//! Columns (`COLUMNS`): `row` (variant, platform or total), `platform`,
//! `variant_id`, `variant` (its text on one line), `posts`, `reach`
//! (impressions, else views), `likes`, `comments`, `shares`, `clicks`,
//! `engagement_rate` and `ctr` (fractions, 0.0123 is 1.23 %), then the
//! platform-specific counts of `reachloop_ipc::EXTRAS` (`quotes`,
//! `bookmarks`, `profile_clicks`, `engagements`, `saves`, `video_views`,
//! `watch_minutes`), summed over the posts that give each. An empty cell
//! is a metric the platform does not give. Quoting is the `csv` crate's
//! (RFC 4180). A text cell that a spreadsheet would read as a formula
//! (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a
//! leading `'`.

use reachloop_ipc::{Dashboard, DashboardRow, Figures, EXTRAS};

/// The common columns; the extras' follow (see [`columns`]).
pub const COLUMNS: [&str; 12] = [
    "row",
    "platform",
    "variant_id",
    "variant",
    "posts",
    "reach",
    "likes",
    "comments",
    "shares",
    "clicks",
    "engagement_rate",
    "ctr",
];

/// The header row: [`COLUMNS`], then each of `EXTRAS` by name.
pub fn columns() -> Vec<&'static str> {
    COLUMNS
        .into_iter()
        .chain(EXTRAS.iter().map(|(name, _)| *name))
        .collect()
}

/// A text cell a spreadsheet will not run.
pub fn neutralised(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

fn count(v: Option<u64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

fn rate(v: Option<f64>) -> String {
    v.map(|r| format!("{r:.6}")).unwrap_or_default()
}

fn figures(f: &Figures) -> Vec<String> {
    let mut cells = vec![
        f.posts.to_string(),
        count(f.reach),
        count(f.likes),
        count(f.comments),
        count(f.shares),
        count(f.clicks),
        rate(f.engagement_rate),
        rate(f.ctr),
    ];
    cells.extend(
        EXTRAS
            .iter()
            .map(|(name, _)| count(f.extras.get(*name).copied())),
    );
    cells
}

fn record(w: &mut ::csv::Writer<Vec<u8>>, head: [String; 4], f: &Figures) {
    let row: Vec<String> = head.into_iter().chain(figures(f)).collect();
    // Writing to memory cannot fail.
    let _ = w.write_record(&row);
}

/// The report of `d` as CSV text; `variant_text` gives a variant row's
/// text (its whole body, not the table's excerpt).
pub fn csv(d: &Dashboard, variant_text: impl Fn(&DashboardRow) -> String) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(columns());
    for r in &d.by_variant {
        let head = [
            "variant".into(),
            r.platform.clone(),
            r.key.clone(),
            neutralised(&variant_text(r)),
        ];
        record(&mut w, head, &r.figures);
    }
    for r in &d.by_platform {
        let head = [
            "platform".into(),
            r.platform.clone(),
            String::new(),
            String::new(),
        ];
        record(&mut w, head, &r.figures);
    }
    let head = ["total".into(), String::new(), String::new(), String::new()];
    record(&mut w, head, &d.figures);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_looking_text_is_neutralised_and_other_text_left_alone() {
        for f in ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx"] {
            assert!(neutralised(f).starts_with('\''), "{f:?}");
        }
        for ok in ["Sale, today", "\"quoted\"", "🍞 bread", "", "a=b"] {
            assert_eq!(neutralised(ok), ok);
        }
    }
}
