//! A post's figures by age, pure: what it had gathered 1 h, 6 h, 24 h,
//! 72 h, 7 days and 30 days after publishing, beside the median of its
//! campaign's other posts on the same platform at the same age (posts on
//! other platforms count reach differently, so they are not compared).
//!
//! The reading for an age is the snapshot taken nearest to it, within a
//! quarter of the age either way (the collector polls at 1 h, 6 h, 1 d, 3 d,
//! 7 d and just before 30 d, a little late when busy). No snapshot that
//! near (the collector was off then) is no reading: "—", never a guess
//! from a reading days away.

use chrono::{DateTime, Duration, Utc};
use reachloop_ipc::{AgePoint, Reading};

use super::dashboard::{engagements, reach};
use super::Metrics;

/// The ages shown, with their labels.
pub const AGES: [(i64, &str); 6] = [
    (60, "1 h"),
    (6 * 60, "6 h"),
    (24 * 60, "24 h"),
    (72 * 60, "72 h"),
    (7 * 24 * 60, "7 days"),
    (30 * 24 * 60, "30 days"),
];

/// One published post's snapshots, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub post_id: String,
    pub published_at: DateTime<Utc>,
    pub snapshots: Vec<(DateTime<Utc>, Metrics)>,
}

fn reading(m: &Metrics) -> Reading {
    Reading {
        reach: reach(m),
        engagements: engagements(m),
        clicks: m.clicks,
    }
}

/// `age` as the post's platform lives it: `speedup` times faster (the
/// Sandbox in demos and tests), else as it is.
fn scaled(age: Duration, speedup: f64) -> Duration {
    let speedup = if speedup.is_finite() && speedup >= 1.0 {
        speedup
    } else {
        1.0
    };
    Duration::milliseconds((age.num_milliseconds() as f64 / speedup) as i64)
}

/// The least slack: a world that runs faster than real time (the Sandbox
/// at 900×: an hour in 4 s) is still polled on a collector's ticks of a
/// second or two.
const MIN_SLACK: Duration = Duration::seconds(5);

/// How far from `age` a snapshot may be to stand for it.
fn slack(age: Duration) -> Duration {
    (age / 4).max(MIN_SLACK)
}

/// The spans after publishing whose snapshots can stand for one of
/// [`AGES`] (so the store reads only those).
pub fn windows(speedup: f64) -> Vec<(Duration, Duration)> {
    AGES.iter()
        .map(|(minutes, _)| {
            let age = scaled(Duration::minutes(*minutes), speedup);
            (age - slack(age), age + slack(age))
        })
        .collect()
}

/// The snapshot that stands for `age`: the nearest to it within a quarter
/// of it (at least [`MIN_SLACK`]; the earlier of two as near).
pub fn at_age(h: &History, age: Duration) -> Option<(DateTime<Utc>, &Metrics)> {
    let target = h.published_at + age;
    let slack = slack(age);
    h.snapshots
        .iter()
        .filter(|(at, _)| (*at - target).abs() <= slack)
        .min_by_key(|(at, _)| ((*at - target).abs(), *at))
        .map(|(at, m)| (*at, m))
}

/// The age at which a post counts for the optimizer: its figures then.
pub const MATURE_MINUTES: i64 = 24 * 60;
/// A post with no reading near [`MATURE_MINUTES`] may count by a later one
/// up to this age; past it, unread, it is lost to the optimizer.
pub const LOST_MINUTES: i64 = 7 * 24 * 60;

/// Where a published post stands for the optimizer.
#[derive(Debug, Clone, PartialEq)]
pub enum Maturity<'h> {
    /// Too young to count yet.
    Pending,
    /// It counts by this snapshot.
    Mature(DateTime<Utc>, &'h Metrics),
    /// Never read near its mature age nor after it, and too old now.
    Lost,
}

/// The rule: a post counts by its reading at 24 h (the snapshot nearest
/// to it within a quarter of it, as the by-age view reads), decided once
/// that window has closed, so the answer never changes afterwards; with no
/// reading there (the collector was off), by its first reading after the
/// window, up to 7 days; past 7 days without one it is lost. A younger
/// post is pending: it counts toward each variant's minimum but not toward
/// any estimate (a rate at 1 h is no guess of the rate at a day).
pub fn maturity(h: &History, now: DateTime<Utc>, speedup: f64) -> Maturity<'_> {
    let age = scaled(Duration::minutes(MATURE_MINUTES), speedup);
    if now < h.published_at + age + slack(age) {
        return Maturity::Pending;
    }
    if let Some((at, m)) = at_age(h, age) {
        return Maturity::Mature(at, m);
    }
    let after = h.published_at + age + slack(age);
    let lost = h.published_at + scaled(Duration::minutes(LOST_MINUTES), speedup);
    if let Some((at, m)) = h
        .snapshots
        .iter()
        .find(|(at, _)| *at > after && *at <= lost)
    {
        return Maturity::Mature(*at, m);
    }
    if now > lost {
        Maturity::Lost
    } else {
        Maturity::Pending
    }
}

/// The median of `values` (the mean of the middle two, rounded down, for
/// an even count); `None` for none.
pub fn median(mut values: Vec<u64>) -> Option<u64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => {
            let (a, b) = (values[n / 2 - 1], values[n / 2]);
            Some(a + (b - a) / 2)
        }
    }
}

/// `post` at each of [`AGES`] seen at `now`, beside the median of `others`
/// (the post itself among them is left out).
pub fn by_age(
    post: &History,
    others: &[History],
    now: DateTime<Utc>,
    speedup: f64,
) -> Vec<AgePoint> {
    AGES.iter()
        .map(|(minutes, label)| {
            let age = scaled(Duration::minutes(*minutes), speedup);
            let own = at_age(post, age);
            let peers: Vec<Reading> = others
                .iter()
                .filter(|o| o.post_id != post.post_id)
                .filter_map(|o| at_age(o, age))
                .map(|(_, m)| reading(m))
                .collect();
            let middle =
                |pick: fn(&Reading) -> Option<u64>| median(peers.iter().filter_map(pick).collect());
            AgePoint {
                label: (*label).into(),
                age_minutes: *minutes as u32,
                reached: now >= post.published_at + age,
                captured_at: own.map(|(at, _)| crate::time::to_db(at)),
                own: own.map(|(_, m)| reading(m)).unwrap_or_default(),
                peers: peers.len() as u32,
                peer_median: Reading {
                    reach: middle(|r| r.reach),
                    engagements: middle(|r| r.engagements),
                    clicks: middle(|r| r.clicks),
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
            .single()
            .expect("t0")
    }

    fn m(impressions: Option<u64>, likes: Option<u64>) -> Metrics {
        Metrics {
            impressions,
            likes,
            ..Metrics::default()
        }
    }

    fn history(id: &str, snaps: &[(i64, Metrics)]) -> History {
        History {
            post_id: id.into(),
            published_at: t0(),
            snapshots: snaps
                .iter()
                .map(|(min, m)| (t0() + Duration::minutes(*min), m.clone()))
                .collect(),
        }
    }

    #[test]
    fn each_age_reads_the_nearest_snapshot_within_a_quarter_of_it() {
        let h = history(
            "p",
            &[
                (15, m(Some(10), Some(1))),
                (62, m(Some(100), Some(5))),
                (6 * 60 + 3, m(Some(400), Some(9))),
                (3 * 24 * 60 + 1, m(Some(900), None)),
            ],
        );
        let now = t0() + Duration::days(40);
        let points = by_age(&h, &[], now, 1.0);
        let reach: Vec<_> = points.iter().map(|p| p.own.reach).collect();
        // The 15-minute poll does not stand for 1 h; nothing near 24 h,
        // 7 days or 30 days.
        assert_eq!(reach, [Some(100), Some(400), None, Some(900), None, None]);
        assert_eq!(points[0].own.engagements, Some(5));
        assert_eq!(
            points[3].own.engagements, None,
            "no likes given: unavailable"
        );
        assert!(points.iter().all(|p| p.reached));
        assert_eq!(
            points[0].captured_at.as_deref(),
            Some("2026-11-02T10:02:00.000Z")
        );
        // Seen two hours in, only the first age is reached.
        let early = by_age(&h, &[], t0() + Duration::hours(2), 1.0);
        assert_eq!(early.iter().filter(|p| p.reached).count(), 1);
    }

    #[test]
    fn peers_are_the_median_of_the_others_at_the_same_age() {
        let post = history("p", &[(60, m(Some(100), Some(10)))]);
        let others = [
            post.clone(),
            history("a", &[(61, m(Some(50), Some(1)))]),
            history("b", &[(59, m(Some(70), None))]),
            history("c", &[(60, m(Some(301), Some(3)))]),
            history("d", &[(420, m(Some(9_999), Some(99)))]),
        ];
        let points = by_age(&post, &others, t0() + Duration::days(1), 1.0);
        let one_hour = &points[0];
        assert_eq!(
            one_hour.peers, 3,
            "itself and a post without a 1 h reading left out"
        );
        assert_eq!(one_hour.peer_median.reach, Some(70));
        // Two of them gave likes: the mean of 1 and 3.
        assert_eq!(one_hour.peer_median.engagements, Some(2));
        assert_eq!(one_hour.peer_median.clicks, None);
        assert_eq!(points[1].peers, 1, "d's 7 h poll stands for 6 h");
    }

    #[test]
    fn a_faster_world_reaches_its_ages_sooner() {
        // The Sandbox at 900×: 1 h is 4 s.
        let h = History {
            post_id: "p".into(),
            published_at: t0(),
            snapshots: vec![(t0() + Duration::seconds(4), m(Some(7), None))],
        };
        let points = by_age(&h, &[], t0() + Duration::seconds(30), 900.0);
        assert_eq!(points[0].own.reach, Some(7));
        assert!(points[1].reached && !points[2].reached);
        // Polled on a collector's two-second tick, a little late.
        let late = History {
            snapshots: vec![
                (t0() + Duration::seconds(1), m(Some(1), None)),
                (t0() + Duration::seconds(6), m(Some(9), None)),
            ],
            ..h
        };
        let points = by_age(&late, &[], t0() + Duration::seconds(30), 900.0);
        assert_eq!(points[0].own.reach, Some(9));
    }

    #[test]
    fn the_windows_hold_every_snapshot_an_age_can_take() {
        let w = windows(1.0);
        assert_eq!(w.len(), AGES.len());
        assert_eq!(w[0], (Duration::minutes(45), Duration::minutes(75)));
        assert_eq!(
            w[5],
            (Duration::hours(22 * 24 + 12), Duration::hours(37 * 24 + 12))
        );
        assert_eq!(
            windows(900.0)[0],
            (Duration::seconds(-1), Duration::seconds(9))
        );
        // A snapshot at_age takes lies in its age's window.
        let h = history("p", &[(76, m(Some(1), None)), (75, m(Some(2), None))]);
        let (at, _) = at_age(&h, Duration::hours(1)).expect("the 75-minute poll");
        assert!(at - t0() <= w[0].1);
    }

    #[test]
    fn medians_round_down_and_never_overflow() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5]), Some(5));
        assert_eq!(median(vec![3, 1, 2]), Some(2));
        assert_eq!(median(vec![1, 2]), Some(1));
        assert_eq!(median(vec![3, 5]), Some(4));
        assert_eq!(median(vec![u64::MAX, u64::MAX]), Some(u64::MAX));
    }

    #[test]
    fn a_post_matures_at_a_day_by_the_reading_nearest_it_or_the_first_after() {
        let at = |h: i64| {
            Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
                .single()
                .expect("t")
                + Duration::hours(h)
        };
        let m = |n: u64| Metrics {
            impressions: Some(n),
            ..Metrics::default()
        };
        let h = History {
            post_id: "p".into(),
            published_at: at(0),
            snapshots: vec![
                (at(1), m(10)),
                (at(22), m(200)),
                (at(27), m(260)),
                (at(72), m(300)),
            ],
        };
        // Not before the window (24 h ± 6 h) has closed.
        assert_eq!(maturity(&h, at(29), 1.0), Maturity::Pending);
        // Then by the nearest (22 h and 27 h: 22 h is 2 h off, 27 h 3 h).
        assert_eq!(maturity(&h, at(31), 1.0), Maturity::Mature(at(22), &m(200)));
        // No reading in the window: the first after it, within 7 days.
        let late = History {
            snapshots: vec![(at(1), m(10)), (at(72), m(300))],
            ..h.clone()
        };
        assert_eq!(
            maturity(&late, at(100), 1.0),
            Maturity::Mature(at(72), &m(300))
        );
        // None at all: pending up to 7 days, then lost.
        let none = History {
            snapshots: vec![(at(1), m(10))],
            ..h.clone()
        };
        assert_eq!(maturity(&none, at(100), 1.0), Maturity::Pending);
        assert_eq!(maturity(&none, at(24 * 7 + 1), 1.0), Maturity::Lost);
        // The Sandbox at 900×: a day in 96 s.
        let fast = History {
            snapshots: vec![(at(0) + Duration::seconds(95), m(50))],
            ..h
        };
        let when = at(0) + Duration::seconds(96 + 25);
        assert_eq!(
            maturity(&fast, when, 900.0),
            Maturity::Mature(at(0) + Duration::seconds(95), &m(50))
        );
    }
}
