//! Warnings before they bite, pure: two posts to one account too close
//! together, the same or nearly the same text to one account within a
//! window (platforms flag accounts for it), a text that breaks its
//! platform's rules. Platform caps come from the adapters with the posts.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use reachloop_ipc::Platform;

/// One planned post as the checks see it.
#[derive(Debug, Clone)]
pub struct Planned<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub platform: Platform,
    pub at: DateTime<Utc>,
    /// The text it will post, when a variant is chosen.
    pub body: Option<&'a str>,
}

/// How close is too close.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Posts to one account closer than this are flagged.
    pub min_gap: Duration,
    /// The same text to one account within this window is flagged.
    pub duplicate_window: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            min_gap: Duration::minutes(30),
            duplicate_window: Duration::hours(24),
        }
    }
}

/// The warnings for each post, in the order of `posts`.
///
/// In one pass over each account's posts in time order, comparing a text
/// only with the distinct texts the account got within the window (a
/// campaign has a few variants; a dense cadence has thousands of posts):
/// a month of an every-minute cadence is checked in milliseconds.
pub fn check(posts: &[Planned<'_>], limits: Limits) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new(); posts.len()];
    let order = by_account_then_time(posts);
    let mut near: HashMap<(&str, &str), bool> = HashMap::new();
    let mut broken: HashMap<(Platform, &str), Option<String>> = HashMap::new();
    for group in order.chunk_by(|&a, &b| posts[a].account_id == posts[b].account_id) {
        // Each text this account got, with the last time it did.
        let mut last_sent: HashMap<&str, DateTime<Utc>> = HashMap::new();
        for (k, &i) in group.iter().enumerate() {
            let p = &posts[i];
            if let Some(&j) = k.checked_sub(1).and_then(|k| group.get(k)) {
                let gap = p.at - posts[j].at;
                if gap < limits.min_gap {
                    out[i].push(format!(
                        "Only {} after the previous post to this account (less than {} minutes); platforms may throttle posts this close.",
                        words(gap),
                        limits.min_gap.num_minutes()
                    ));
                }
            }
            let Some(body) = p.body else { continue };
            let repeat = last_sent.iter().any(|(&b, &at)| {
                p.at - at <= limits.duplicate_window
                    && (b == body
                        || *near
                            .entry(if b < body { (b, body) } else { (body, b) })
                            .or_insert_with(|| crate::generate::near_duplicate(b, body)))
            });
            if repeat {
                out[i].push(format!(
                    "The same or nearly the same text goes to this account within {} hours; platforms flag accounts for repeats.",
                    limits.duplicate_window.num_hours()
                ));
            }
            last_sent.insert(body, p.at);
            let problem = broken.entry((p.platform, body)).or_insert_with(|| {
                crate::rules::check(&crate::rules::Post {
                    platform: p.platform,
                    body,
                    title: None,
                    banned: &[],
                })
                .problems
                .first()
                .map(|problem| problem.message.clone())
            });
            if let Some(problem) = problem {
                out[i].push(format!(
                    "The text breaks {}'s rules: {problem}",
                    p.platform.label(),
                ));
            }
        }
    }
    out
}

/// The indices of `posts` by account, then time (ties keep their order).
fn by_account_then_time(posts: &[Planned<'_>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..posts.len()).collect();
    order.sort_by_key(|&i| (posts[i].account_id, posts[i].at));
    order
}

/// Warnings for posts that would break a platform's posting limit: a
/// documented cap (`caps`, by platform: at most `posts` per account in the
/// window) or a limit the platform last reported (`observed`, by account:
/// `remaining` posts until it resets). In the order of `posts`; in one
/// pass over each account's posts, counting a window's posts as it slides.
pub fn check_caps(
    posts: &[Planned<'_>],
    caps: &dyn Fn(Platform) -> &'static [crate::platforms::Cap],
    observed: &[(&str, crate::platforms::ObservedLimit)],
) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new(); posts.len()];
    let order = by_account_then_time(posts);
    for group in order.chunk_by(|&a, &b| posts[a].account_id == posts[b].account_id) {
        // Per cap (by name and window): the first of the group's posts
        // still inside the window of the post at hand.
        let mut starts: HashMap<(&str, i64), usize> = HashMap::new();
        for (k, &i) in group.iter().enumerate() {
            let p = &posts[i];
            for cap in caps(p.platform) {
                let window = Duration::seconds(cap.window_secs);
                let start = starts.entry((cap.name, cap.window_secs)).or_insert(0);
                while *start < k && p.at - posts[group[*start]].at >= window {
                    *start += 1;
                }
                // This post and the account's earlier ones within the window.
                let within = k - *start + 1;
                if within > cap.posts as usize {
                    out[i].push(format!(
                        "{within} posts to this account within {}: over {} ({} posts).",
                        words(window),
                        cap.name,
                        cap.posts
                    ));
                }
            }
            for (account, l) in observed {
                if *account != p.account_id || p.at >= l.resets_at {
                    continue;
                }
                // The account's posts from now until the reset, this one included.
                let before = k + 1;
                if before > l.remaining as usize {
                    out[i].push(format!(
                        "{} allows {} more posts until {} UTC (as it last said); this one would wait.",
                        l.name,
                        l.remaining,
                        l.resets_at.format("%Y-%m-%d %H:%M")
                    ));
                }
            }
        }
    }
    out
}

fn words(d: Duration) -> String {
    match d.num_minutes() {
        0 => format!("{} seconds", d.num_seconds().max(0)),
        1 => "1 minute".into(),
        m => format!("{m} minutes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // The first, plain versions (each post walks back through its
    // account's earlier ones): the fast ones must say exactly what they say.
    /// The warnings for each post, in the order of `posts`.
    fn naive_check(posts: &[Planned<'_>], limits: Limits) -> Vec<Vec<String>> {
        let mut out = vec![Vec::new(); posts.len()];
        let mut order: Vec<usize> = (0..posts.len()).collect();
        order.sort_by_key(|&i| (posts[i].account_id, posts[i].at));
        for (k, &i) in order.iter().enumerate() {
            let p = &posts[i];
            // The previous post to the same account.
            if let Some(&j) = order[..k]
                .iter()
                .rev()
                .find(|&&j| posts[j].account_id == p.account_id)
            {
                let gap = p.at - posts[j].at;
                if gap < limits.min_gap {
                    out[i].push(format!(
                        "Only {} after the previous post to this account (less than {} minutes); platforms may throttle posts this close.",
                        words(gap),
                        limits.min_gap.num_minutes()
                    ));
                }
            }
            if let Some(body) = p.body {
                // Sorted by account, then time: walk back only through this
                // account's posts within the window.
                let repeat = order[..k]
                    .iter()
                    .rev()
                    .map(|&j| &posts[j])
                    .take_while(|q| {
                        q.account_id == p.account_id && p.at - q.at <= limits.duplicate_window
                    })
                    .any(|q| {
                        q.body
                            .is_some_and(|b| b == body || crate::generate::near_duplicate(b, body))
                    });
                if repeat {
                    out[i].push(format!(
                        "The same or nearly the same text goes to this account within {} hours; platforms flag accounts for repeats.",
                        limits.duplicate_window.num_hours()
                    ));
                }
                let checked = crate::rules::check(&crate::rules::Post {
                    platform: p.platform,
                    body,
                    title: None,
                    banned: &[],
                });
                if let Some(problem) = checked.problems.first() {
                    out[i].push(format!(
                        "The text breaks {}'s rules: {}",
                        p.platform.label(),
                        problem.message
                    ));
                }
            }
        }
        out
    }

    /// Warnings for posts that would break a platform's posting limit: a
    /// documented cap (`caps`, by platform: at most `posts` per account in the
    /// window) or a limit the platform last reported (`observed`, by account:
    /// `remaining` posts until it resets). In the order of `posts`.
    fn naive_check_caps(
        posts: &[Planned<'_>],
        caps: &dyn Fn(Platform) -> &'static [crate::platforms::Cap],
        observed: &[(&str, crate::platforms::ObservedLimit)],
    ) -> Vec<Vec<String>> {
        let mut out = vec![Vec::new(); posts.len()];
        let mut order: Vec<usize> = (0..posts.len()).collect();
        order.sort_by_key(|&i| (posts[i].account_id, posts[i].at));
        for (k, &i) in order.iter().enumerate() {
            let p = &posts[i];
            for cap in caps(p.platform) {
                let window = Duration::seconds(cap.window_secs);
                // This post and the account's earlier ones within the window.
                let within = 1 + order[..k]
                    .iter()
                    .rev()
                    .map(|&j| &posts[j])
                    .take_while(|q| q.account_id == p.account_id && p.at - q.at < window)
                    .count();
                if within > cap.posts as usize {
                    out[i].push(format!(
                        "{within} posts to this account within {}: over {} ({} posts).",
                        words(window),
                        cap.name,
                        cap.posts
                    ));
                }
            }
            for (account, l) in observed {
                if *account != p.account_id || p.at >= l.resets_at {
                    continue;
                }
                // The account's posts from now until the reset, this one included.
                let before = 1 + order[..k]
                    .iter()
                    .rev()
                    .map(|&j| &posts[j])
                    .take_while(|q| q.account_id == p.account_id)
                    .count();
                if before > l.remaining as usize {
                    out[i].push(format!(
                        "{} allows {} more posts until {} UTC (as it last said); this one would wait.",
                        l.name,
                        l.remaining,
                        l.resets_at.format("%Y-%m-%d %H:%M")
                    ));
                }
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn the_fast_checks_say_what_the_plain_ones_say(
            posts in proptest::collection::vec(
                (0usize..3, 0i64..(3 * 24 * 60), proptest::option::of(0usize..5), any::<bool>()),
                0..60,
            ),
            remaining in 0u32..6,
            resets in 0i64..(3 * 24 * 60),
        ) {
            use crate::platforms::{Cap, ObservedLimit};
            const BODIES: [&str; 5] = [
                "Fresh bread today!",
                "fresh bread TODAY",
                "Sourdough at nine",
                "New: rye and spelt loaves",
                "Fresh bread today! Come early",
            ];
            const CAPS: &[Cap] = &[
                Cap { posts: 3, window_secs: 900, name: "the 15-minute limit" },
                Cap { posts: 17, window_secs: 86_400, name: "the daily limit" },
            ];
            let accounts = ["a", "b", "c"];
            let ids: Vec<String> = (0..posts.len()).map(|i| i.to_string()).collect();
            let planned: Vec<Planned> = posts
                .iter()
                .zip(&ids)
                .map(|(&(a, minute, body, x), id)| Planned {
                    id,
                    account_id: accounts[a],
                    platform: if x { Platform::X } else { Platform::Sandbox },
                    at: t(0, 0) + Duration::minutes(minute),
                    body: body.map(|b| BODIES[b]),
                })
                .collect();
            prop_assert_eq!(check(&planned, Limits::default()), naive_check(&planned, Limits::default()));
            let caps = |p: Platform| if p == Platform::X { CAPS } else { &[] as &[Cap] };
            let observed = [(
                "b",
                ObservedLimit {
                    name: "X's 24-hour limit for this account".into(),
                    window_secs: 86_400,
                    limit: 17,
                    remaining,
                    resets_at: t(0, 0) + Duration::minutes(resets),
                    whole_platform: false,
                },
            )];
            prop_assert_eq!(
                check_caps(&planned, &caps, &observed),
                naive_check_caps(&planned, &caps, &observed)
            );
        }
    }

    #[test]
    fn documented_caps_and_reported_limits_are_flagged() {
        use crate::platforms::{Cap, ObservedLimit};
        const TWO: &[Cap] = &[Cap {
            posts: 2,
            window_secs: 900,
            name: "the 15-minute limit",
        }];
        let caps = |p: Platform| if p == Platform::X { TWO } else { &[] as &[Cap] };
        let at = [t(9, 0), t(9, 5), t(9, 10), t(9, 20), t(9, 30)];
        let posts: Vec<Planned> = at
            .iter()
            .enumerate()
            .map(|(i, at)| Planned {
                id: ["a", "b", "c", "d", "e"][i],
                account_id: "acc",
                platform: Platform::X,
                at: *at,
                body: None,
            })
            .collect();
        let w = check_caps(&posts, &caps, &[]);
        // 09:10 is the third within 15 minutes; 09:20 has 09:10 and 09:20.
        let flagged: Vec<usize> = (0..5).filter(|i| !w[*i].is_empty()).collect();
        assert_eq!(flagged, vec![2], "{w:?}");
        // The platform said one more until 09:25: 09:05 on waits.
        let observed = [(
            "acc",
            ObservedLimit {
                name: "X's 24-hour limit for this account".into(),
                window_secs: 86_400,
                limit: 17,
                remaining: 1,
                resets_at: t(9, 25),
                whole_platform: false,
            },
        )];
        let none = |_: Platform| &[] as &[Cap];
        let w = check_caps(&posts, &none, &observed);
        let flagged: Vec<usize> = (0..5).filter(|i| !w[*i].is_empty()).collect();
        assert_eq!(flagged, vec![1, 2, 3], "after the reset it is fine: {w:?}");
        assert!(w[1][0].contains("allows 1 more"), "{}", w[1][0]);
    }

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 1, h, m, 0)
            .single()
            .expect("t")
    }

    #[test]
    fn close_posts_repeats_and_broken_texts_are_flagged() {
        let long = "a".repeat(300);
        let posts = [
            Planned {
                id: "1",
                account_id: "a",
                platform: Platform::X,
                at: t(9, 0),
                body: Some("Fresh bread today!"),
            },
            Planned {
                id: "2",
                account_id: "a",
                platform: Platform::X,
                at: t(9, 10),
                body: Some("fresh bread TODAY"),
            },
            Planned {
                id: "3",
                account_id: "b",
                platform: Platform::X,
                at: t(9, 10),
                body: Some("Fresh bread today!"),
            },
            Planned {
                id: "4",
                account_id: "a",
                platform: Platform::X,
                at: t(12, 0),
                body: Some(&long),
            },
            Planned {
                id: "5",
                account_id: "a",
                platform: Platform::X,
                at: t(18, 0),
                body: None,
            },
        ];
        let w = check(&posts, Limits::default());
        assert!(w[0].is_empty(), "{:?}", w[0]);
        assert_eq!(w[1].len(), 2, "too close and a repeat: {:?}", w[1]);
        assert!(w[1][0].contains("Only 10 minutes"));
        assert!(w[2].is_empty(), "another account: {:?}", w[2]);
        assert_eq!(w[3].len(), 1);
        assert!(w[3][0].contains("rules"), "{:?}", w[3]);
        assert!(w[4].is_empty());
    }
}
