//! The dashboard's figures from each post's newest metrics, pure: totals
//! (with the period before for comparison), a day-by-day series and the
//! per-platform and per-variant tables. A period holds the posts
//! *published* in it, with what they have gathered so far.
//!
//! Sums run over the posts that have the metric: a metric no post in the
//! group has is `None` ("—"), never 0. Rates are taken over the posts that
//! have both sides: engagement rate = (likes + comments + shares) / reach,
//! CTR = clicks / reach, where reach is impressions, else views.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use reachloop_ipc::{DashboardRow, Figures, HeatCell, SeriesPoint};

use super::Metrics;

/// One published post as the dashboard sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PostFigures {
    pub platform: String,
    pub account_id: String,
    pub variant_id: Option<String>,
    pub published_at: DateTime<Utc>,
    /// Its newest metrics (`None`: not polled yet).
    pub metrics: Option<Metrics>,
    pub fetched_at: Option<DateTime<Utc>>,
}

/// What a post reaches: impressions, else views.
pub fn reach(m: &Metrics) -> Option<u64> {
    m.impressions.or(m.views)
}

/// Likes + comments + shares, over those the platform gives.
pub fn engagements(m: &Metrics) -> Option<u64> {
    match (m.likes, m.comments, m.shares) {
        (None, None, None) => None,
        (l, c, s) => Some(l.unwrap_or(0) + c.unwrap_or(0) + s.unwrap_or(0)),
    }
}

/// Adds `v` into `sum`, which stays `None` until some post has the metric.
fn add(sum: &mut Option<u64>, v: Option<u64>) {
    if let Some(v) = v {
        *sum = Some(sum.unwrap_or(0) + v);
    }
}

/// The totals of `posts`.
pub fn figures<'a>(posts: impl IntoIterator<Item = &'a PostFigures>) -> Figures {
    let mut f = Figures::default();
    let (mut er_num, mut er_den, mut ctr_num, mut ctr_den) = (0u64, 0u64, 0u64, 0u64);
    let (mut er_any, mut ctr_any) = (false, false);
    for p in posts {
        f.posts += 1;
        let Some(m) = &p.metrics else { continue };
        add(&mut f.reach, reach(m));
        add(&mut f.likes, m.likes);
        add(&mut f.comments, m.comments);
        add(&mut f.shares, m.shares);
        add(&mut f.clicks, m.clicks);
        // Once per post and grouping, on every refresh: a name is copied
        // only the first time the group meets it.
        for (name, v) in &m.extras {
            match f.extras.get_mut(name) {
                Some(sum) => *sum += v,
                None => {
                    f.extras.insert(name.clone(), *v);
                }
            }
        }
        if let (Some(r), Some(e)) = (reach(m), engagements(m)) {
            er_num += e;
            er_den += r;
            er_any = true;
        }
        if let (Some(r), Some(c)) = (reach(m), m.clicks) {
            ctr_num += c;
            ctr_den += r;
            ctr_any = true;
        }
    }
    let rate = |any: bool, num: u64, den: u64| (any && den > 0).then(|| num as f64 / den as f64);
    f.engagement_rate = rate(er_any, er_num, er_den);
    f.ctr = rate(ctr_any, ctr_num, ctr_den);
    f
}

/// The day (in `zone`) a post was published.
pub fn day_of(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// Per day of publishing (in `zone`), from `from` to `to` with every day
/// present (a day without posts has 0 posts and no figures).
pub fn series(posts: &[PostFigures], zone: Tz, from: NaiveDate, to: NaiveDate) -> Vec<SeriesPoint> {
    let mut by_day: BTreeMap<NaiveDate, Vec<&PostFigures>> = BTreeMap::new();
    for p in posts {
        by_day
            .entry(day_of(p.published_at, zone))
            .or_default()
            .push(p);
    }
    let mut out = Vec::new();
    let mut day = from;
    // At most about three years of days.
    while day <= to && out.len() < 1_100 {
        let f = figures(by_day.get(&day).into_iter().flatten().copied());
        out.push(SeriesPoint {
            day: day.format("%Y-%m-%d").to_string(),
            posts: f.posts,
            reach: f.reach,
            engagements: match (f.likes, f.comments, f.shares) {
                (None, None, None) => None,
                (l, c, s) => Some(l.unwrap_or(0) + c.unwrap_or(0) + s.unwrap_or(0)),
            },
            clicks: f.clicks,
        });
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    out
}

/// One table row per key (`key_of` a post), biggest reach first, then by
/// key; `label_of` names a key.
pub fn rows(
    posts: &[PostFigures],
    key_of: impl Fn(&PostFigures) -> Option<(String, String)>,
    label_of: impl Fn(&str) -> String,
) -> Vec<DashboardRow> {
    let mut groups: BTreeMap<(String, String), Vec<&PostFigures>> = BTreeMap::new();
    for p in posts {
        if let Some(k) = key_of(p) {
            groups.entry(k).or_default().push(p);
        }
    }
    let mut out: Vec<DashboardRow> = groups
        .into_iter()
        .map(|((platform, key), group)| DashboardRow {
            label: label_of(&key),
            key,
            platform,
            figures: figures(group),
        })
        .collect();
    out.sort_by(|a, b| {
        b.figures
            .reach
            .unwrap_or(0)
            .cmp(&a.figures.reach.unwrap_or(0))
            .then_with(|| a.platform.cmp(&b.platform))
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}

/// The best-time heat map: for each weekday (0 = Monday) and hour of
/// publishing in `zone`, the engagement rate of the posts published then
/// and how many posts it rests on. Always 7 × 24 cells, Monday 00:00 first.
pub fn heatmap(posts: &[PostFigures], zone: Tz) -> Vec<HeatCell> {
    use chrono::{Datelike, Timelike};
    let mut cells: Vec<Vec<&PostFigures>> = vec![Vec::new(); 7 * 24];
    for p in posts {
        let local = p.published_at.with_timezone(&zone);
        let i = local.weekday().num_days_from_monday() as usize * 24 + local.hour() as usize;
        cells[i].push(p);
    }
    cells
        .into_iter()
        .enumerate()
        .map(|(i, group)| {
            let f = figures(group);
            HeatCell {
                weekday: (i / 24) as u8,
                hour: (i % 24) as u8,
                posts: f.posts,
                engagement_rate: f.engagement_rate,
            }
        })
        .collect()
}

/// The period just before `[from, to)`, as long.
pub fn previous_period(from: DateTime<Utc>, to: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let len = (to - from).max(Duration::zero());
    (from - len, from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn post(_id: &str, platform: &str, day: u32, m: Option<Metrics>) -> PostFigures {
        PostFigures {
            platform: platform.into(),
            account_id: "a".into(),
            variant_id: Some(format!("v-{platform}")),
            published_at: Utc
                .with_ymd_and_hms(2026, 12, day, 23, 30, 0)
                .single()
                .expect("t"),
            metrics: m,
            fetched_at: None,
        }
    }

    fn m(impressions: Option<u64>, views: Option<u64>, likes: u64, clicks: Option<u64>) -> Metrics {
        Metrics {
            impressions,
            views,
            likes: Some(likes),
            comments: Some(1),
            shares: Some(0),
            clicks,
            extras: Default::default(),
        }
    }

    #[test]
    fn what_no_post_gives_stays_unavailable_and_rates_use_posts_with_both_sides() {
        let posts = [
            post("1", "x", 1, Some(m(Some(1000), None, 50, Some(20)))),
            // TikTok: views, no clicks.
            post("2", "tiktok", 1, Some(m(None, Some(500), 9, None))),
            // Not polled yet: counted as a post, nothing else.
            post("3", "x", 2, None),
        ];
        let f = figures(&posts);
        assert_eq!(f.posts, 3);
        assert_eq!(f.reach, Some(1500));
        assert_eq!(f.likes, Some(59));
        assert_eq!(f.clicks, Some(20), "TikTok's missing clicks are not zeros");
        // (51 + 10) / 1500.
        assert_eq!(f.engagement_rate, Some(61.0 / 1500.0));
        // Only X has clicks: 20 / 1000, not 20 / 1500.
        assert_eq!(f.ctr, Some(0.02));
        let none = figures(&posts[2..]);
        assert_eq!((none.posts, none.reach, none.ctr), (1, None, None));
    }

    #[test]
    fn the_series_has_every_day_in_the_users_zone() {
        let posts = [
            post("1", "x", 1, Some(m(Some(10), None, 1, None))),
            post("2", "x", 3, Some(m(Some(30), None, 3, None))),
        ];
        // 23:30 UTC is the next day in Berlin.
        let zone: Tz = "Europe/Berlin".parse().expect("zone");
        let d = |day| NaiveDate::from_ymd_opt(2026, 12, day).expect("day");
        let s = series(&posts, zone, d(1), d(4));
        let days: Vec<_> = s
            .iter()
            .map(|p| (p.day.as_str(), p.posts, p.reach))
            .collect();
        assert_eq!(
            days,
            vec![
                ("2026-12-01", 0, None),
                ("2026-12-02", 1, Some(10)),
                ("2026-12-03", 0, None),
                ("2026-12-04", 1, Some(30)),
            ]
        );
    }

    #[test]
    fn the_heat_map_has_every_hour_of_the_week_in_the_users_zone() {
        // 2026-12-01 is a Tuesday; 23:30 UTC is Wednesday 00:30 in Berlin.
        let posts = [
            post("1", "x", 1, Some(m(Some(1000), None, 50, None))),
            post("2", "x", 1, Some(m(Some(1000), None, 10, None))),
        ];
        let utc = heatmap(&posts, chrono_tz::UTC);
        assert_eq!(utc.len(), 168);
        let tuesday_23 = &utc[24 + 23];
        assert_eq!(
            (tuesday_23.weekday, tuesday_23.hour, tuesday_23.posts),
            (1, 23, 2)
        );
        // (51 + 11) / 2000.
        assert_eq!(tuesday_23.engagement_rate, Some(62.0 / 2000.0));
        assert_eq!(utc.iter().map(|c| c.posts).sum::<u32>(), 2);
        let berlin = heatmap(&posts, "Europe/Berlin".parse().expect("zone"));
        assert_eq!(berlin[2 * 24].posts, 2, "Wednesday 00:00 in Berlin");
        assert_eq!(berlin[3].engagement_rate, None);
    }

    #[test]
    fn rows_group_by_key_biggest_reach_first() {
        let posts = [
            post("1", "x", 1, Some(m(Some(10), None, 1, None))),
            post("2", "tiktok", 1, Some(m(None, Some(30), 3, None))),
            post("3", "x", 2, Some(m(Some(5), None, 3, None))),
        ];
        let by_platform = rows(
            &posts,
            |p| Some((p.platform.clone(), p.platform.clone())),
            |k| k.to_uppercase(),
        );
        let got: Vec<_> = by_platform
            .iter()
            .map(|r| (r.label.as_str(), r.figures.posts, r.figures.reach))
            .collect();
        assert_eq!(got, vec![("TIKTOK", 1, Some(30)), ("X", 2, Some(15))]);
        let (a, b) = previous_period(posts[0].published_at, posts[2].published_at);
        assert_eq!(b, posts[0].published_at);
        assert_eq!(b - a, posts[2].published_at - posts[0].published_at);
    }
}
