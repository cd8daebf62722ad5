//! When to refresh a token, and how long to wait after a failure. Pure: the
//! caller passes `now` and the random draws.

use chrono::{DateTime, Duration, Utc};
use reachloop_ipc::AccountStatus;

/// How far ahead a sign-in that cannot renew itself is shown as expiring.
pub const EXPIRING_WINDOW: Duration = Duration::days(7);

/// How an account's sign-in stands at `now`: a token that cannot be renewed
/// automatically (no refresh token) shows as expiring within
/// [`EXPIRING_WINDOW`] and as needing action once expired. Returns the status
/// and, when it was derived here, the reason to show.
pub fn standing(
    stored: AccountStatus,
    expires_at: Option<DateTime<Utc>>,
    renews_itself: bool,
    now: DateTime<Utc>,
) -> (AccountStatus, Option<String>) {
    match (stored, expires_at) {
        (AccountStatus::Connected | AccountStatus::Expiring, Some(at)) if !renews_itself => {
            if at <= now {
                (
                    AccountStatus::NeedsAction,
                    Some("The sign-in expired; reconnect the account.".into()),
                )
            } else if at - now <= EXPIRING_WINDOW {
                let left = at - now;
                let plural =
                    |n: i64, unit: &str| format!("in {n} {unit}{}", if n == 1 { "" } else { "s" });
                let when = if left >= Duration::days(1) {
                    plural(left.num_days(), "day")
                } else {
                    plural(left.num_hours().max(1), "hour")
                };
                (AccountStatus::Expiring, Some(format!("The sign-in expires {when} and cannot renew itself; reconnect to extend it.")))
            } else {
                (AccountStatus::Connected, None)
            }
        }
        (stored, _) => (stored, None),
    }
}

/// The longest a token is taken to live, whatever the server says: a year.
/// Beyond it a lifetime is either a server's mistake or a way to overflow
/// date arithmetic; the token is then simply renewed after a year.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::days(365);

/// A token lifetime of `seconds` as the server reported it, clamped to
/// `0..=MAX_TOKEN_LIFETIME`; `None` for no or a non-positive lifetime.
pub fn lifetime_from_secs(seconds: i64) -> Option<Duration> {
    (seconds > 0).then(|| {
        Duration::try_seconds(seconds.min(MAX_TOKEN_LIFETIME.num_seconds()))
            .unwrap_or(MAX_TOKEN_LIFETIME)
    })
}

/// The same for a `std` duration (the `oauth2` crate's).
pub fn lifetime_from_std(d: std::time::Duration) -> Option<Duration> {
    lifetime_from_secs(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `at + lifetime`, the lifetime clamped as above, never overflowing.
pub fn expires_at(at: DateTime<Utc>, lifetime: Duration) -> DateTime<Utc> {
    let lifetime = lifetime.clamp(Duration::zero(), MAX_TOKEN_LIFETIME);
    at.checked_add_signed(lifetime).unwrap_or(at)
}

/// When to refresh a token that lives `lifetime` from `issued_at`: a margin
/// of a fifth of its life (at least 2 minutes, at most an hour) before it
/// expires, moved earlier by `jitter` (a draw in `0.0..1.0`) times up to a
/// tenth of its life (at most 5 minutes), so many accounts do not refresh at
/// the same instant.
pub fn refresh_at(issued_at: DateTime<Utc>, lifetime: Duration, jitter: f64) -> DateTime<Utc> {
    let lifetime = lifetime.clamp(Duration::zero(), MAX_TOKEN_LIFETIME);
    let margin = (lifetime / 5).clamp(Duration::minutes(2), Duration::hours(1));
    let spread = (lifetime / 10).min(Duration::minutes(5));
    let jitter =
        Duration::milliseconds((spread.num_milliseconds() as f64 * jitter.clamp(0.0, 1.0)) as i64);
    let at = expires_at(issued_at, lifetime - margin - jitter);
    // A very short-lived token is refreshed right away rather than in the past.
    at.max(issued_at)
}

/// How long to wait before retrying after `failures` transient failures in a
/// row: exponential from 30 s, capped at 30 minutes, with "full jitter"
/// (`jitter` in `0.0..1.0` picks a point in the upper half of the window).
pub fn retry_after(failures: u32, jitter: f64) -> Duration {
    let base = Duration::seconds(30);
    let cap = Duration::minutes(30);
    let window = base
        .checked_mul(1 << failures.min(16))
        .unwrap_or(cap)
        .min(cap);
    let half = window / 2;
    half + Duration::milliseconds((half.num_milliseconds() as f64 * jitter.clamp(0.0, 1.0)) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn refreshes_ahead_of_expiry_per_platform_lifetime() {
        // (lifetime, jitter, expected minutes after issue)
        let table = [
            (Duration::hours(2), 0.0, 96),      // X: 2 h - 24 min
            (Duration::hours(2), 1.0, 91),      // ... minus up to 5 min of jitter
            (Duration::seconds(3599), 0.0, 47), // Google: 3599 s less 719.8 s
            (Duration::hours(24), 0.5, 1377),   // TikTok (older docs): 24 h - 1 h - 2.5 min
            (Duration::days(60), 0.0, 86_340),  // Meta long-lived: 60 d - 1 h
        ];
        for (lifetime, jitter, minutes) in table {
            let at = refresh_at(t0(), lifetime, jitter);
            assert_eq!(
                (at - t0()).num_minutes(),
                minutes,
                "lifetime {lifetime}, jitter {jitter}"
            );
            assert!(at < t0() + lifetime);
        }
    }

    #[test]
    fn sign_ins_that_cannot_renew_show_as_expiring_then_needing_action() {
        use AccountStatus::*;
        let h = |n: i64| Some(t0() + Duration::hours(n));
        let table = [
            (Connected, h(2), true, Connected),  // renews itself
            (Connected, h(-1), true, Connected), // the refresher will catch up
            (Connected, None, false, Connected), // never expires (Page tokens)
            (Connected, h(24 * 30), false, Connected),
            (Connected, h(24 * 6), false, Expiring),
            (Connected, h(2), false, Expiring),
            (Connected, h(0), false, NeedsAction),
            (Disconnected, h(-5), false, Disconnected),
            (NeedsAction, h(5), false, NeedsAction),
        ];
        for (stored, at, refresh, want) in table {
            assert_eq!(
                standing(stored, at, refresh, t0()).0,
                want,
                "{stored:?} {at:?} refresh={refresh}"
            );
        }
        assert_eq!(
            standing(Connected, h(24 * 6 + 1), false, t0()).1.as_deref(),
            Some("The sign-in expires in 6 days and cannot renew itself; reconnect to extend it.")
        );
        assert_eq!(
            standing(Connected, h(5), false, t0()).1.as_deref(),
            Some("The sign-in expires in 5 hours and cannot renew itself; reconnect to extend it.")
        );
    }

    #[test]
    fn tiny_or_negative_lifetimes_refresh_now() {
        assert_eq!(refresh_at(t0(), Duration::seconds(30), 0.3), t0());
        assert_eq!(refresh_at(t0(), Duration::seconds(-5), 0.3), t0());
    }

    #[test]
    fn huge_lifetimes_are_clamped_not_panicking() {
        // Each of these panicked in chrono before the clamp.
        assert_eq!(lifetime_from_secs(i64::MAX), Some(MAX_TOKEN_LIFETIME));
        assert_eq!(lifetime_from_secs(0), None);
        assert_eq!(lifetime_from_secs(-1), None);
        assert_eq!(
            lifetime_from_std(std::time::Duration::from_secs(u64::MAX)),
            Some(MAX_TOKEN_LIFETIME)
        );
        assert_eq!(lifetime_from_secs(3600), Some(Duration::hours(1)));
        assert_eq!(expires_at(t0(), Duration::MAX), t0() + MAX_TOKEN_LIFETIME);
        assert_eq!(
            expires_at(DateTime::<Utc>::MAX_UTC, Duration::days(1)),
            DateTime::<Utc>::MAX_UTC
        );
        let at = refresh_at(t0(), Duration::MAX, 0.5);
        assert!(at <= t0() + MAX_TOKEN_LIFETIME && at > t0(), "{at}");
    }

    #[test]
    fn backoff_grows_then_caps_and_jitter_stays_in_the_window() {
        let table = [
            (0, 15, 30),
            (1, 30, 60),
            (2, 60, 120),
            (5, 480, 960),
            (6, 900, 1800),
            (40, 900, 1800),
        ];
        for (failures, lo, hi) in table {
            assert_eq!(
                retry_after(failures, 0.0).num_seconds(),
                lo,
                "failures {failures}"
            );
            assert_eq!(
                retry_after(failures, 1.0).num_seconds(),
                hi,
                "failures {failures}"
            );
            let mid = retry_after(failures, 0.5).num_seconds();
            assert!(lo < mid && mid < hi);
        }
    }
}
