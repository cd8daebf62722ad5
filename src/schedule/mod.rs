//! When a schedule's posts are due: a one-off instant or a standard 5-field
//! crontab cadence, in a named IANA time zone, DST-correct. Pure: the time
//! to start from is always a parameter.
//!
//! Cadences are read by the `croner` crate (Vixie-cron semantics: names,
//! 0 and 7 for Sunday, and a day matching either restricted day field runs;
//! see ARCHITECTURE.md for why not `cron`). Around DST changes: a local time
//! that does not exist on a spring-forward day runs at the first valid
//! instant after the gap, and a local time that happens twice runs once, at
//! the first. Both are tested here in six zones.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

mod new;
pub use new::{preview as preview_for_ui, validate, ValidSchedule, FARTHEST_DAYS};

/// A cadence or zone that cannot be used, naming what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("a cadence has 5 fields (minute hour day-of-month month day-of-week), e.g. \"0 14 * * 1,3,5\"; this one has {0}")]
    FieldCount(usize),
    #[error("the {field} field \"{value}\" is not valid: {why}")]
    Field {
        field: &'static str,
        value: String,
        why: String,
    },
    #[error("\"{0}\" is not a cadence: {1}")]
    Pattern(String, String),
    #[error(
        "\"{0}\" is not a time zone; use an IANA name such as Europe/Berlin or America/New_York"
    )]
    Zone(String),
    #[error("the end date {end} is before the start date {start}")]
    EndBeforeStart { start: NaiveDate, end: NaiveDate },
    #[error("this cadence never runs (e.g. February 30th)")]
    NeverRuns,
}

/// The five crontab fields, in order.
pub const FIELDS: [&str; 5] = ["minute", "hour", "day of month", "month", "day of week"];

/// A parsed 5-field cadence.
#[derive(Debug, Clone)]
pub struct Cadence {
    expr: String,
    cron: croner::Cron,
}

impl PartialEq for Cadence {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}

fn parser() -> croner::parser::CronParser {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        // Vixie cron: a restricted day-of-month OR a restricted day-of-week.
        .dom_and_dow(false)
        .build()
}

impl Cadence {
    /// Reads a standard crontab expression (or an alias such as `@daily`).
    pub fn parse(expr: &str) -> Result<Cadence, ScheduleError> {
        let expr = expr.split_whitespace().collect::<Vec<_>>().join(" ");
        if !expr.starts_with('@') {
            let fields: Vec<&str> = expr.split(' ').filter(|f| !f.is_empty()).collect();
            if fields.len() != 5 {
                return Err(ScheduleError::FieldCount(fields.len()));
            }
            // Name the first field that is wrong on its own: a number out
            // of its field's range in the app's words, else croner's.
            for (i, value) in fields.iter().enumerate() {
                if let Some(why) = out_of_range(i, value) {
                    return Err(ScheduleError::Field {
                        field: FIELDS[i],
                        value: crate::text::echo(value, 40),
                        why,
                    });
                }
                let mut probe = ["*"; 5];
                probe[i] = value;
                if let Err(e) = parser().parse(&probe.join(" ")) {
                    return Err(ScheduleError::Field {
                        field: FIELDS[i],
                        value: crate::text::echo(value, 40),
                        why: cron_words(&e),
                    });
                }
            }
        }
        let cron = parser()
            .parse(&expr)
            .map_err(|e| ScheduleError::Pattern(crate::text::echo(&expr, 60), cron_words(&e)))?;
        Ok(Cadence { expr, cron })
    }

    pub fn expr(&self) -> &str {
        &self.expr
    }

    /// The cadence in words, e.g. "At 14:00 on Monday, Wednesday, and Friday."
    pub fn describe(&self) -> String {
        self.cron.describe()
    }

    /// The first run at or after `from`, in `zone`.
    pub fn next_at_or_after(&self, zone: Tz, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = from.with_timezone(&zone);
        self.cron
            .find_next_occurrence(&local, true)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// Runs at or after `from`, in `zone`, in order, at most `limit`.
    pub fn runs(&self, zone: Tz, from: DateTime<Utc>, limit: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::with_capacity(limit.min(1024));
        let mut at = from;
        // Bounded: at most one repeated hour (60 minute-runs) is skipped per
        // fall-back, and a run is at least a minute after the last one.
        let mut steps = 0usize;
        while out.len() < limit && steps < limit.saturating_add(128) {
            steps += 1;
            let Some(next) = self.next_at_or_after(zone, at) else {
                break;
            };
            at = next + chrono::Duration::minutes(1);
            // A wall time that happens twice (a fall-back) runs once, at
            // the first: the second instant of an ambiguous local time is
            // not a run.
            let wall = next.with_timezone(&zone).naive_local();
            if let chrono::LocalResult::Ambiguous(first, _) = zone.from_local_datetime(&wall) {
                if first.with_timezone(&Utc) != next {
                    continue;
                }
            }
            out.push(next);
        }
        out
    }
}

/// The numbers each field takes, inclusive (Sunday is 0 or 7).
const RANGES: [(u32, u32); 5] = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];

/// Why field `i`'s `value` holds a number outside the field's range, e.g.
/// "hours go from 0 to 23"; `None` when every number in it is in range
/// (or it holds none: names and `*` are croner's to judge). A step
/// (`*/90`) is not a value and is left to croner.
fn out_of_range(i: usize, value: &str) -> Option<String> {
    let (low, high) = RANGES[i];
    let unit = [
        "minutes",
        "hours",
        "days of the month",
        "months",
        "days of the week",
    ][i];
    value
        .split(',')
        .flat_map(|part| part.split('/').next().unwrap_or_default().split('-'))
        .filter_map(|n| n.parse::<u32>().ok())
        .find(|n| !(low..=high).contains(n))?;
    let extra = match i {
        4 => " (0 and 7 are Sunday)",
        _ => "",
    };
    Some(format!("{unit} go from {low} to {high}{extra}"))
}

fn cron_words(e: &croner::errors::CronError) -> String {
    use croner::errors::CronError::*;
    match e {
        EmptyPattern => "it is empty".into(),
        InvalidDate | InvalidTime => "it names a date or time that does not exist".into(),
        TimeSearchLimitExceeded => "it never matches a real date".into(),
        InvalidPattern(m) | IllegalCharacters(m) | ComponentError(m) => {
            // croner quotes the input back: escape what a terminal would run.
            crate::text::echo(m.trim_end_matches('.'), 160)
        }
    }
}

/// A wall time read in a zone, and what the zone did to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallTime {
    /// The instant it posts at.
    pub at: DateTime<Utc>,
    pub shift: Option<WallShift>,
}

/// A wall time the zone skips or repeats on that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WallShift {
    /// The clocks go forward over it: it posts at the first minute after
    /// the gap (this local time), as a cadence does.
    Gap { posts_at: NaiveDateTime },
    /// The clocks go back over it: it happens twice and posts at the first.
    Repeated,
}

/// Reads `wall` in `zone` with the rules cadences follow: a time in a
/// spring-forward gap posts at the first minute after the gap, a time that
/// happens twice posts at the first.
pub fn wall_time_in(zone: Tz, wall: NaiveDateTime) -> WallTime {
    match zone.from_local_datetime(&wall) {
        LocalResult::Single(t) => WallTime {
            at: t.with_timezone(&Utc),
            shift: None,
        },
        LocalResult::Ambiguous(first, _) => WallTime {
            at: first.with_timezone(&Utc),
            shift: Some(WallShift::Repeated),
        },
        LocalResult::None => {
            // Gaps are at most a few hours (zones have moved by up to a day
            // only across midnight-less date-line changes, which skip whole
            // days: then the next day's same minute is the first after).
            let after = (1..=24 * 60)
                .map(|m| wall + chrono::Duration::minutes(m))
                .find_map(|t| zone.from_local_datetime(&t).earliest().map(|z| (t, z)));
            match after {
                Some((local, t)) => WallTime {
                    at: t.with_timezone(&Utc),
                    shift: Some(WallShift::Gap { posts_at: local }),
                },
                // No valid minute in a day: read it as UTC rather than fail.
                None => WallTime {
                    at: Utc.from_utc_datetime(&wall),
                    shift: None,
                },
            }
        }
    }
}

impl WallTime {
    /// What the zone did to `wall`, in words; `None` when nothing.
    pub fn explain(&self, wall: NaiveDateTime, zone: Tz) -> Option<String> {
        let day = wall.format("%Y-%m-%d");
        let time = wall.format("%H:%M");
        match self.shift? {
            WallShift::Gap { posts_at } => Some(format!(
                "{time} does not exist on {day} in {zone} (the clocks go forward); \
                 it posts at the first minute after the gap, {}.",
                posts_at.format("%H:%M")
            )),
            WallShift::Repeated => Some(format!(
                "{time} happens twice on {day} in {zone} (the clocks go back); \
                 it posts once, at the first ({}).",
                self.at.with_timezone(&zone).format("%H:%M %Z")
            )),
        }
    }
}

/// Reads a one-off time: an instant with its offset (RFC 3339, e.g.
/// `2026-12-10T09:10:00+01:00`), or a wall time without one
/// (`2026-12-10T09:10`, `2026-12-10 09:10`, seconds optional) read in
/// `zone`. The wall time, when it was one, comes back beside the instant.
pub fn parse_one_off(raw: &str, zone: Tz) -> Result<(WallTime, Option<NaiveDateTime>), String> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok((
            WallTime {
                at: t.with_timezone(&Utc),
                shift: None,
            },
            None,
        ));
    }
    let wall = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok());
    match wall {
        Some(wall) => Ok((wall_time_in(zone, wall), Some(wall))),
        None => Err(format!(
            "\"{}\" is not a date and time; write it as 2026-12-10 09:10 (in the schedule's time zone).",
            crate::text::echo(raw, 30)
        )),
    }
}

/// A one-off time as the schedule list shows it, in its zone, e.g.
/// "Once, Thu 2026-12-10 09:10 CET".
pub fn describe_once(at: DateTime<Utc>, zone: Tz) -> String {
    format!(
        "Once, {}",
        at.with_timezone(&zone).format("%a %Y-%m-%d %H:%M %Z")
    )
}

/// Reads an IANA zone name.
pub fn parse_zone(name: &str) -> Result<Tz, ScheduleError> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| ScheduleError::Zone(crate::text::echo(name.trim(), 60)))
}

/// When a schedule fires: once, or on a cadence, always in a named zone,
/// optionally only between two local dates (both included).
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    pub when: When,
    pub zone: Tz,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum When {
    Once(DateTime<Utc>),
    Cadence(Box<Cadence>),
}

impl Timing {
    pub fn new(
        when: When,
        zone: Tz,
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
    ) -> Result<Timing, ScheduleError> {
        if let (Some(start), Some(end)) = (start, end) {
            if end < start {
                return Err(ScheduleError::EndBeforeStart { start, end });
            }
        }
        Ok(Timing {
            when,
            zone,
            start,
            end,
        })
    }

    fn in_window(&self, at: DateTime<Utc>) -> bool {
        let day = at.with_timezone(&self.zone).date_naive();
        self.start.is_none_or(|s| day >= s) && self.end.is_none_or(|e| day <= e)
    }

    /// The start of the first local day of the window, as an instant.
    fn window_start(&self) -> Option<DateTime<Utc>> {
        let start = self.start?;
        let midnight = start.and_hms_opt(0, 0, 0)?;
        // Midnight may itself fall in a gap (some zones change at 00:00).
        (0..=180)
            .map(|m| midnight + chrono::Duration::minutes(m))
            .find_map(|t| self.zone.from_local_datetime(&t).earliest())
            .map(|t| t.with_timezone(&Utc))
    }

    /// The runs in `[from, until)`, in order, at most `limit`.
    pub fn runs_between(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        let from = match self.window_start() {
            Some(s) if s > from => s,
            _ => from,
        };
        match &self.when {
            When::Once(at) => {
                if *at >= from && *at < until && self.in_window(*at) {
                    vec![*at]
                } else {
                    Vec::new()
                }
            }
            When::Cadence(c) => {
                let mut out = Vec::new();
                let mut at = from;
                while out.len() < limit {
                    let batch = c.runs(self.zone, at, 64);
                    let Some(last) = batch.last().copied() else {
                        break;
                    };
                    for t in batch {
                        if t >= until || out.len() >= limit {
                            return out;
                        }
                        if self.end.is_some() && !self.in_window(t) {
                            // Past the end date: nothing later can be in it.
                            if self
                                .end
                                .is_some_and(|e| t.with_timezone(&self.zone).date_naive() > e)
                            {
                                return out;
                            }
                            continue;
                        }
                        out.push(t);
                    }
                    at = last + chrono::Duration::minutes(1);
                }
                out
            }
        }
    }
}

/// What to do with a post whose time passed while nothing was running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Late {
    /// Within the grace window: publish now.
    PublishNow,
    /// Too late: mark it missed and tell the user.
    Missed,
}

/// The missed-post policy: a post due at `due` is published late if `now`
/// is within `grace` of it, else it is missed.
pub fn late_policy(due: DateTime<Utc>, now: DateTime<Utc>, grace: chrono::Duration) -> Late {
    if now - due <= grace {
        Late::PublishNow
    } else {
        Late::Missed
    }
}

/// `reachloop-cli schedule preview`: the first `count` runs at or after
/// `from` of `expr` in `zone`.
pub fn preview(
    expr: &str,
    zone: &str,
    from: DateTime<Utc>,
    count: usize,
) -> Result<Vec<DateTime<Utc>>, ScheduleError> {
    let cadence = Cadence::parse(expr)?;
    let zone = parse_zone(zone)?;
    let runs = cadence.runs(zone, from, count);
    if runs.is_empty() && count > 0 {
        return Err(ScheduleError::NeverRuns);
    }
    Ok(runs)
}

#[cfg(test)]
mod tests;
