//! What the Sandbox's audience does with a post, pure and deterministic from
//! the world's seed: each variant has a hidden appeal, each post its own
//! luck (a large post-to-post spread, as on real networks), the hour and
//! the weekday it went out matter, and its counts grow fast at first and
//! then level off. The same seed, variant, post and instant always give the
//! same counts, and counts never go down. The analytics collector reads
//! them as it would read a platform.

use chrono::{DateTime, Datelike, Timelike, Utc};
use sha2::{Digest, Sha256};

/// Cumulative counts of one post at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub impressions: u64,
    pub likes: u64,
    pub comments: u64,
    pub shares: u64,
    pub clicks: u64,
}

/// How fast a post's audience arrives: most of it within a few hours.
const GROWTH_HOURS: f64 = 6.0;
/// The reach of an average post of an average variant, at the end.
const BASE_IMPRESSIONS: f64 = 1_200.0;

/// A uniform draw in (0, 1) from the seed and `parts`.
fn draw(seed: u64, parts: &[&str]) -> f64 {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    ((u64::from_le_bytes(b) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// A standard normal draw (Box–Muller) from two uniform ones.
fn normal(seed: u64, parts: &[&str]) -> f64 {
    let mut a = parts.to_vec();
    a.push("u1");
    let u1 = draw(seed, &a);
    a.pop();
    a.push("u2");
    let u2 = draw(seed, &a);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A variant's hidden appeal: a multiplier around 1 (from about 0.5 to 2).
pub fn appeal(seed: u64, variant_id: &str) -> f64 {
    (0.35 * normal(seed, &["appeal", variant_id])).exp()
}

/// How much the hour and weekday of publishing help (UTC; the Sandbox's
/// audience lives there): evenings and midweek best, nights and weekends
/// weakest.
pub fn timing_factor(published_at: DateTime<Utc>) -> f64 {
    let hour = f64::from(published_at.hour()) + f64::from(published_at.minute()) / 60.0;
    // A smooth daily curve peaking at 18:00, lowest at 06:00.
    let day = 1.0 + 0.45 * ((hour - 12.0) / 24.0 * std::f64::consts::TAU).sin();
    let week = match published_at.weekday().num_days_from_monday() {
        1..=3 => 1.15,
        0 | 4 => 1.0,
        _ => 0.75,
    };
    day * week
}

/// The counts of post `post_id` (variant `variant_id`, published at
/// `published_at`) as the Sandbox reports them at `now`.
pub fn counts(
    seed: u64,
    variant_id: &str,
    post_id: &str,
    published_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Counts {
    let hours = (now - published_at).num_seconds() as f64 / 3_600.0;
    if hours <= 0.0 {
        return Counts::default();
    }
    let appeal = appeal(seed, variant_id);
    // The post's own luck: a wide spread (log-normal, sigma 0.6).
    let luck = (0.6 * normal(seed, &["luck", post_id])).exp();
    let grown = 1.0 - (-hours / GROWTH_HOURS).exp();
    let reach = BASE_IMPRESSIONS * appeal * luck * timing_factor(published_at) * grown;
    // Engagement rates depend on the appeal more than reach does.
    let rate = |name: &str, base: f64| {
        let jitter = (0.25 * normal(seed, &[name, post_id])).exp();
        base * appeal.powf(1.5) * jitter
    };
    let of = |r: f64| (reach * r).floor().max(0.0) as u64;
    Counts {
        impressions: reach.floor() as u64,
        likes: of(rate("likes", 0.035)),
        comments: of(rate("comments", 0.004)),
        shares: of(rate("shares", 0.003)),
        clicks: of(rate("clicks", 0.012)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0)
            .single()
            .expect("t")
    }

    #[test]
    fn the_same_world_gives_the_same_counts_and_they_never_go_down() {
        let at = t(2, 18);
        let a = counts(7, "v1", "p1", at, at + Duration::hours(5));
        assert_eq!(a, counts(7, "v1", "p1", at, at + Duration::hours(5)));
        assert_ne!(a, counts(8, "v1", "p1", at, at + Duration::hours(5)));
        assert_eq!(
            counts(7, "v1", "p1", at, at - Duration::minutes(1)),
            Counts::default()
        );
        let mut last = Counts::default();
        for m in (0..72 * 60).step_by(17) {
            let c = counts(7, "v1", "p1", at, at + Duration::minutes(m));
            assert!(c.impressions >= last.impressions && c.likes >= last.likes);
            assert!(c.clicks >= last.clicks && c.shares >= last.shares);
            assert!(c.comments >= last.comments);
            last = c;
        }
        assert!(last.impressions > 0 && last.likes > 0);
    }

    #[test]
    fn growth_is_fast_first_then_levels_off() {
        let at = t(2, 18);
        let i = |h: i64| counts(3, "v", "p", at, at + Duration::hours(h)).impressions;
        assert!(
            i(6) - i(0) > 2 * (i(12) - i(6)),
            "{} {} {}",
            i(0),
            i(6),
            i(12)
        );
        assert!(i(48) - i(24) < (i(24) - i(0)) / 20);
    }

    #[test]
    fn better_variants_do_better_on_average_through_the_noise() {
        let seed = 11;
        let mut variants: Vec<(f64, &str)> = ["a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|v| (appeal(seed, v), *v))
            .collect();
        variants.sort_by(|x, y| x.0.total_cmp(&y.0));
        let (worst, best) = (variants[0].1, variants[5].1);
        let at = t(2, 18);
        let total = |v: &str| -> u64 {
            (0..300)
                .map(|i| {
                    counts(
                        seed,
                        v,
                        &format!("post-{v}-{i}"),
                        at,
                        at + Duration::days(3),
                    )
                    .likes
                })
                .sum()
        };
        assert!(
            total(best) > total(worst),
            "the appeal shows through the luck"
        );
        // ...yet single posts of the worse one often beat the better one.
        let beaten = (0..300)
            .filter(|i| {
                let w = counts(seed, worst, &format!("w{i}"), at, at + Duration::days(3));
                let b = counts(seed, best, &format!("b{i}"), at, at + Duration::days(3));
                w.impressions > b.impressions
            })
            .count();
        assert!(beaten > 15, "post-to-post variance is large: {beaten}");
    }

    #[test]
    fn evenings_and_midweek_beat_nights_and_weekends() {
        // 2 December 2026 is a Wednesday, 6 December a Sunday.
        assert!(timing_factor(t(2, 18)) > timing_factor(t(2, 6)));
        assert!(timing_factor(t(2, 18)) > timing_factor(t(6, 18)));
    }
}
