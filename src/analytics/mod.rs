//! Analytics, pure: what a platform reports about a post, and when the
//! collector asks again. Time comes in as a parameter; nothing here reads
//! the clock, the database or the network.

pub mod age;
pub mod chart;
pub mod dashboard;
pub mod report;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

/// One post's cumulative counts as its platform reported them at one
/// instant. `None`: the platform does not give that metric for this post
/// (shown as "—", never counted as zero).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Impressions (X).
    pub impressions: Option<u64>,
    /// Views (video on X; Instagram, Facebook, YouTube and TikTok).
    pub views: Option<u64>,
    pub likes: Option<u64>,
    pub comments: Option<u64>,
    pub shares: Option<u64>,
    /// Link clicks.
    pub clicks: Option<u64>,
    /// What only some platforms give, by name: `bookmarks`, `quotes`,
    /// `profile_clicks`, `saves`, `watch_minutes`...
    pub extras: BTreeMap<String, u64>,
}

/// How long after publishing a post is polled: often while its audience
/// arrives, then daily for a month (X's impressions and link clicks exist
/// only for a post's first 30 days), then weekly until 90 days.
pub fn poll_ages() -> Vec<Duration> {
    let mut ages: Vec<Duration> = [15, 60, 180, 360, 720]
        .into_iter()
        .map(Duration::minutes)
        .collect();
    ages.extend([1, 2, 3].into_iter().map(Duration::days));
    ages.extend((4..=29).map(Duration::days));
    // Just before X stops giving its non-public metrics.
    ages.push(Duration::days(30) - Duration::hours(6));
    ages.extend((5..=13).map(Duration::weeks));
    ages
}

/// The last age a post is polled at.
pub fn last_poll_age() -> Duration {
    poll_ages()
        .last()
        .copied()
        .unwrap_or_else(|| Duration::days(90))
}

/// When a post published at `published_at` should be polled next, seen at
/// `now`: the first planned age still ahead. `None`: polling is over. A
/// collector that was off does not catch up on every missed age: it polls
/// once and goes on from there.
pub fn next_poll(published_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    next_poll_at_speed(published_at, now, 1.0)
}

/// [`next_poll`] for a network whose time runs `speedup` times faster
/// (the Sandbox in demos and tests): every age divided by it.
pub fn next_poll_at_speed(
    published_at: DateTime<Utc>,
    now: DateTime<Utc>,
    speedup: f64,
) -> Option<DateTime<Utc>> {
    let speedup = if speedup.is_finite() && speedup >= 1.0 {
        speedup
    } else {
        1.0
    };
    poll_ages()
        .into_iter()
        .map(|age| {
            let ms = (age.num_milliseconds() as f64 / speedup).max(1.0);
            published_at + Duration::milliseconds(ms as i64)
        })
        .find(|at| *at > now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, m, 0)
            .single()
            .expect("t")
    }

    #[test]
    fn polls_come_often_first_then_daily_then_weekly_then_stop() {
        let at = t(1, 12, 0);
        assert_eq!(next_poll(at, at), Some(t(1, 12, 15)));
        assert_eq!(next_poll(at, t(1, 12, 15)), Some(t(1, 13, 0)));
        assert_eq!(next_poll(at, t(1, 14, 0)), Some(t(1, 15, 0)));
        assert_eq!(next_poll(at, t(2, 11, 0)), Some(t(2, 12, 0)));
        // Daily through the first month, with one poll before day 30.
        assert_eq!(next_poll(at, t(20, 12, 0)), Some(t(21, 12, 0)));
        assert_eq!(next_poll(at, t(30, 12, 0)), Some(t(31, 6, 0)));
        let gaps: Vec<_> = poll_ages().windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|g| *g > Duration::zero()), "ages rise");
        assert!(gaps.iter().all(|g| *g <= Duration::weeks(1)));
        // Then weekly, and none after 91 days.
        assert_eq!(last_poll_age(), Duration::weeks(13));
        assert_eq!(next_poll(at, at + Duration::weeks(13)), None);
    }

    #[test]
    fn a_faster_world_is_polled_as_much_sooner() {
        let at = t(1, 12, 0);
        assert_eq!(
            next_poll_at_speed(at, at, 900.0),
            Some(at + Duration::seconds(1))
        );
        assert_eq!(
            next_poll_at_speed(at, at + Duration::seconds(1), 900.0),
            Some(at + Duration::seconds(4))
        );
        // Nonsense speeds are taken as real time.
        assert_eq!(next_poll_at_speed(at, at, 0.0), next_poll(at, at));
        assert_eq!(next_poll_at_speed(at, at, f64::NAN), next_poll(at, at));
    }

    #[test]
    fn a_collector_that_was_off_polls_once_and_goes_on() {
        let at = t(1, 12, 0);
        // Off for the first two days: the next poll is the next age ahead,
        // not the backlog.
        let now = at + Duration::hours(50);
        assert_eq!(next_poll(at, now), Some(at + Duration::days(3)));
    }
}
