//! What the Calendar reads: for the days on screen, how many posts each
//! holds and its first few (a month of an every-minute cadence is 40,000
//! posts: never all of them at once), one day a page at a time, and each
//! shown post's warnings and reasons it will not go out.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use reachloop_ipc::{
    CalendarDay, CalendarDayPage, CalendarDayQuery, CalendarQuery, CalendarRange, ScheduledPost,
};

use super::publishing::problem;
use super::App;
use crate::store::PlannedRow;
use crate::Error;

/// At most this many days at once (a month's six weeks, with room).
const MOST_DAYS: u64 = 62;
/// At most this many posts per day in the month or week view.
const MOST_PER_DAY: u32 = 50;
/// At most this many posts on one page of the day view.
const MOST_PER_PAGE: u32 = 200;

/// The years the Calendar reads (chrono's `%Y` takes any signed year,
/// and its last day has no day after it).
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

fn day_of(field: &str, v: &str) -> Result<NaiveDate, Error> {
    let v = v.trim();
    let not_a_day = || {
        problem(
            field,
            "invalid",
            format!(
                "\"{}\" is not a day; write it as 2026-12-10.",
                crate::text::echo(v, 30)
            ),
        )
    };
    // Four-digit years only: "+262143-12-31" is no day a calendar shows.
    if v.len() != 10 || !v.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        return Err(not_a_day());
    }
    let day = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| not_a_day())?;
    if !YEARS.contains(&chrono::Datelike::year(&day)) {
        return Err(problem(
            field,
            "range",
            "The Calendar shows the years 1970 to 9999.",
        ));
    }
    Ok(day)
}

fn zone_of(v: &str) -> Result<Tz, Error> {
    crate::schedule::parse_zone(v).map_err(|e| problem("zone", "invalid", e.to_string()))
}

/// Where each of `days` (and the day after the last) starts, in UTC: its
/// first minute in `zone` (after a gap, when midnight is skipped).
fn starts_of(zone: Tz, first: NaiveDate, days: u64) -> Result<Vec<DateTime<Utc>>, Error> {
    (0..=days)
        .map(|i| {
            let day = first.checked_add_days(Days::new(i)).ok_or_else(|| {
                problem("to", "range", "The Calendar shows the years 1970 to 9999.")
            })?;
            Ok(crate::schedule::wall_time_in(zone, day.and_time(chrono::NaiveTime::MIN)).at)
        })
        .collect()
}

impl App {
    /// The days `from` to `to` in the user's zone: each one's counts and
    /// its first `per_day` posts (with their warnings and holds), and the
    /// selected post wherever it is.
    pub async fn calendar_days(&self, q: &CalendarQuery) -> Result<CalendarRange, Error> {
        let (from, to) = (day_of("from", &q.from)?, day_of("to", &q.to)?);
        let zone = zone_of(&q.zone)?;
        let days = u64::try_from((to - from).num_days() + 1).unwrap_or(0);
        if days == 0 || days > MOST_DAYS {
            return Err(problem(
                "to",
                "range",
                format!("Ask for 1 to {MOST_DAYS} days, the last on or after the first."),
            ));
        }
        let per_day = q.per_day.min(MOST_PER_DAY);
        let starts = starts_of(zone, from, days)?;
        let (first, end) = (starts[0], starts[starts.len() - 1]);
        let store = self.store();

        // Counts, from five-minute buckets: every zone's day is whole ones.
        let buckets = store.post_buckets(first, end).await?;
        let wanted: Vec<_> = buckets
            .iter()
            .filter(|b| b.status == "scheduled")
            .map(|b| (b.campaign_id.clone(), b.platform))
            .collect();
        let known = self.known(&wanted).await?;
        let mut out: Vec<CalendarDay> = (0..days)
            .map(|i| CalendarDay {
                day: (from + Days::new(i)).to_string(),
                ..CalendarDay::default()
            })
            .collect();
        for b in &buckets {
            let Some(i) = starts.partition_point(|s| *s <= b.start).checked_sub(1) else {
                continue;
            };
            let Some(day) = out.get_mut(i) else { continue };
            day.total += b.count;
            match b.status.as_str() {
                "failed" | "needs_verification" => day.failed += b.count,
                "scheduled"
                    if b.held
                        || matches!(
                            known.blocked(
                                &b.campaign_id,
                                b.platform,
                                b.schedule_id.as_deref(),
                                &b.account_id,
                                b.picked,
                            ),
                            Some(Some(_))
                        ) =>
                {
                    day.held += b.count
                }
                _ => {}
            }
        }

        // The first posts of each day that has any.
        let mut shown: Vec<ScheduledPost> = Vec::new();
        let mut per: Vec<usize> = Vec::with_capacity(out.len());
        for (i, day) in out.iter().enumerate() {
            let posts = if day.total == 0 || per_day == 0 {
                Vec::new()
            } else {
                store
                    .posts_page(starts[i], starts[i + 1], 0, per_day)
                    .await?
            };
            per.push(posts.len());
            shown.extend(posts);
        }
        self.warn_and_explain(&mut shown).await?;
        // The selected post on its own: checked among its own day before,
        // wherever it is, never widening what the days read.
        let mut selected: Vec<ScheduledPost> = match &q.selected {
            Some(id) => store.post(id).await?.into_iter().collect(),
            None => Vec::new(),
        };
        self.warn_and_explain(&mut selected).await?;
        let selected = selected.pop();
        let mut rest = shown.into_iter();
        for (day, n) in out.iter_mut().zip(per) {
            day.posts = rest.by_ref().take(n).collect();
        }
        Ok(CalendarRange {
            days: out,
            selected,
        })
    }

    /// One page of one day's posts, in time order, with their warnings and
    /// holds, and how many the day holds.
    pub async fn calendar_day(&self, q: &CalendarDayQuery) -> Result<CalendarDayPage, Error> {
        let day = day_of("day", &q.day)?;
        let zone = zone_of(&q.zone)?;
        let starts = starts_of(zone, day, 1)?;
        let store = self.store();
        let total = store.count_posts_between(starts[0], starts[1]).await?;
        let mut posts = store
            .posts_page(
                starts[0],
                starts[1],
                q.offset,
                q.limit.clamp(1, MOST_PER_PAGE),
            )
            .await?;
        self.warn_and_explain(&mut posts).await?;
        Ok(CalendarDayPage {
            day: day.to_string(),
            offset: q.offset,
            total,
            posts,
        })
    }

    /// Fills in the warnings of `posts`, each checked among its account's
    /// upcoming posts of the day before it (the longest window a warning
    /// looks back over), and why the upcoming ones will not go out.
    async fn warn_and_explain(&self, posts: &mut [ScheduledPost]) -> Result<(), Error> {
        let times: Vec<DateTime<Utc>> = posts
            .iter()
            .filter(|p| p.status == "scheduled")
            .filter_map(|p| crate::time::from_db(&p.scheduled_at).ok())
            .collect();
        let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) else {
            return self.explain_holds(posts).await;
        };
        let mut accounts: Vec<String> = posts
            .iter()
            .filter(|p| p.status == "scheduled")
            .map(|p| p.account_id.clone())
            .collect();
        accounts.sort();
        accounts.dedup();
        let context = self
            .store()
            .planned_between(*first - chrono::Duration::hours(24), *last, &accounts)
            .await?;
        self.add_warnings(posts, &context).await
    }

    /// What the Calendar showed before it counted days: the last 100 posts
    /// and the next 400, with their warnings.
    pub async fn calendar(&self, now: DateTime<Utc>) -> Result<Vec<ScheduledPost>, Error> {
        let mut posts = self.store().posts_around(now, 100, 400).await?;
        self.add_own_warnings(&mut posts).await?;
        Ok(posts)
    }

    /// The posts scheduled in `[from, to)` (RFC 3339; at most 62 days), the
    /// first 1,000, with their warnings (the CLI and tests; the window
    /// reads days with [`App::calendar_days`]).
    pub async fn calendar_between(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<ScheduledPost>, Error> {
        let parse = |field: &str, v: &str| {
            chrono::DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    problem(
                        field,
                        "invalid",
                        format!("{field} must be an RFC 3339 instant, e.g. 2026-12-01T00:00:00Z."),
                    )
                })
        };
        let (from, to) = (parse("from", from)?, parse("to", to)?);
        if to <= from || to - from > chrono::Duration::days(62) {
            return Err(problem(
                "to",
                "range",
                "Ask for at most 62 days, ending after they start.",
            ));
        }
        let mut posts = self.store().posts_between(from, to, 1_000).await?;
        self.add_own_warnings(&mut posts).await?;
        Ok(posts)
    }

    /// Fills in each post's warnings, checked among the upcoming ones of
    /// `posts` itself.
    async fn add_own_warnings(&self, posts: &mut [ScheduledPost]) -> Result<(), Error> {
        let upcoming = planned_of(posts);
        self.add_warnings(posts, &upcoming).await
    }

    /// Fills in each post's warnings, checked among `upcoming`, and why
    /// the upcoming ones will not go out on their own.
    pub(super) async fn add_warnings(
        &self,
        posts: &mut [ScheduledPost],
        upcoming: &[PlannedRow],
    ) -> Result<(), Error> {
        let mut bodies: HashMap<&str, Option<String>> = HashMap::new();
        for p in upcoming {
            if let Some(v) = &p.variant_id {
                if !bodies.contains_key(v.as_str()) {
                    let body = self.store().variant_body(v).await?;
                    bodies.insert(v, body);
                }
            }
        }
        let planned: Vec<crate::publish::warnings::Planned<'_>> = upcoming
            .iter()
            .map(|p| crate::publish::warnings::Planned {
                id: &p.id,
                account_id: &p.account_id,
                platform: p.platform,
                at: p.at,
                body: p
                    .variant_id
                    .as_deref()
                    .and_then(|v| bodies.get(v))
                    .and_then(|b| b.as_deref()),
            })
            .collect();
        let mut warnings = crate::publish::warnings::check(&planned, Default::default());
        // The caps: documented per platform, and what each account's
        // platform last reported (kept per account scope).
        let live = self.store().live_limits(Utc::now()).await?;
        let observed: Vec<(&str, crate::platforms::ObservedLimit)> = live
            .iter()
            .filter_map(|(scope, l)| Some((scope.strip_prefix("account:")?, l.clone())))
            .collect();
        let capped =
            crate::publish::warnings::check_caps(&planned, &crate::platforms::caps_of, &observed);
        for (w, c) in warnings.iter_mut().zip(capped) {
            w.extend(c);
        }
        let by_id: HashMap<&str, &Vec<String>> = planned
            .iter()
            .zip(&warnings)
            .map(|(p, w)| (p.id, w))
            .collect();
        for p in posts.iter_mut() {
            if let Some(w) = by_id.get(p.id.as_str()) {
                p.warnings = (*w).clone();
            }
        }
        self.explain_holds(posts).await?;
        Ok(())
    }
}

/// The upcoming ones of `posts`, as the warnings see them.
pub(super) fn planned_of(posts: &[ScheduledPost]) -> Vec<PlannedRow> {
    posts
        .iter()
        .filter(|p| p.status == "scheduled")
        .filter_map(|p| {
            Some(PlannedRow {
                id: p.id.clone(),
                account_id: p.account_id.clone(),
                platform: p.platform,
                at: crate::time::from_db(&p.scheduled_at).ok()?,
                variant_id: p.variant_id.clone(),
            })
        })
        .collect()
}
