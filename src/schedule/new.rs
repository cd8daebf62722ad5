//! Checking a schedule the user asks for: every field, every problem at
//! once, each tied to its field.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use reachloop_ipc::{FieldError, NewSchedule, Platform, SchedulePreview};

use super::{describe_once, parse_one_off, parse_zone, Cadence, ScheduleError, Timing, When};

/// A schedule whose fields were all checked.
#[derive(Debug, Clone)]
pub struct ValidSchedule {
    pub campaign_id: String,
    pub platform: Platform,
    pub account_id: String,
    pub timing: Timing,
    pub use_optimizer: bool,
}

/// How far ahead a one-off (or a moved post) may be: a time further out is
/// a typo (a year of 9999), not a plan.
pub const FARTHEST_DAYS: i64 = 5 * 366;

fn field(name: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: name.into(),
        code: code.into(),
        message: message.into(),
    }
}

fn date(raw: &Option<String>, name: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let raw = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(field(
                name,
                "invalid",
                format!(
                    "\"{}\" is not a date; write it as YYYY-MM-DD.",
                    crate::text::echo(raw, 20)
                ),
            ));
            None
        }
    }
}

/// The schedule's zone: `raw`, or the computer's when empty.
fn zone_field(raw: &str, default_zone: &str, errors: &mut Vec<FieldError>) -> Option<Tz> {
    let name = match raw.trim() {
        "" => default_zone,
        named => named,
    };
    match parse_zone(name) {
        Ok(z) => Some(z),
        Err(e) => {
            errors.push(field("time_zone", "invalid", sentence(&e.to_string())));
            None
        }
    }
}

/// A one-off time (`run_at`, read in `zone` when it has no offset) or a
/// cadence, with what the zone did to a one-off's wall time in words.
fn when_fields(
    run_at: Option<&str>,
    cron: Option<&str>,
    zone: Option<Tz>,
    now: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) -> Option<(When, Option<String>)> {
    let cron = cron.map(str::trim).filter(|c| !c.is_empty());
    let asked_once = run_at.is_some();
    let run_at = run_at.map(str::trim).filter(|c| !c.is_empty());
    match (run_at, cron) {
        (None, None) if asked_once => {
            errors.push(field(
                "run_at",
                "required",
                "Type the date and time to post at, e.g. 2026-12-10 09:10.",
            ));
            None
        }
        (Some(_), Some(_)) => {
            errors.push(field(
                "cron",
                "conflict",
                "Give either a one-off time or a cadence, not both.",
            ));
            None
        }
        (None, None) => {
            errors.push(field(
                "cron",
                "required",
                "Give a time to post once, or a cadence such as \"0 14 * * 1,3,5\".",
            ));
            None
        }
        (Some(at), None) => {
            // A wall time needs the zone it is read in.
            let zone = zone?;
            match parse_one_off(at, zone) {
                Ok((t, _)) if t.at < now => {
                    errors.push(field(
                        "run_at",
                        "in_the_past",
                        format!(
                            "{} has already passed.",
                            t.at.with_timezone(&zone).format("%a %Y-%m-%d %H:%M %Z")
                        ),
                    ));
                    None
                }
                Ok((t, _)) if t.at > now + chrono::Duration::days(FARTHEST_DAYS) => {
                    errors.push(field(
                        "run_at",
                        "too_far",
                        "That is more than five years ahead; pick a nearer time.",
                    ));
                    None
                }
                Ok((t, wall)) => {
                    let note = wall.and_then(|w| t.explain(w, zone));
                    Some((When::Once(t.at), note))
                }
                Err(message) => {
                    errors.push(field("run_at", "invalid", message));
                    None
                }
            }
        }
        (None, Some(expr)) => match Cadence::parse(expr) {
            Ok(c) => Some((When::Cadence(Box::new(c)), None)),
            Err(e) => {
                errors.push(field("cron", "invalid", sentence(&e.to_string())));
                None
            }
        },
    }
}

/// An error's words as a sentence: a capital first letter and a full stop.
fn sentence(words: &str) -> String {
    let s = crate::error::sentence(words.trim());
    match s.ends_with(['.', '!', '?']) {
        true => s,
        false => s + ".",
    }
}

/// What the schedule form shows while it is typed: a cadence's words and
/// next `count` runs, or a one-off's time in its zone (and what the zone
/// did to it), each run in the zone's local time and in UTC. Problems come
/// back tied to their field (`cron`, `run_at`, `time_zone`), in the words
/// saving would use.
pub fn preview(
    run_at: Option<&str>,
    cron: Option<&str>,
    time_zone: &str,
    default_zone: &str,
    now: DateTime<Utc>,
    count: usize,
) -> Result<SchedulePreview, Vec<FieldError>> {
    let mut errors = Vec::new();
    let zone = zone_field(time_zone, default_zone, &mut errors);
    let when = when_fields(run_at, cron, zone, now, &mut errors);
    let (Some(zone), Some((when, note)), true) = (zone, when, errors.is_empty()) else {
        return Err(errors);
    };
    let (description, runs) = match &when {
        When::Once(at) => (describe_once(*at, zone), vec![*at]),
        When::Cadence(c) => {
            let runs = c.runs(zone, now, count);
            if runs.is_empty() {
                return Err(vec![field(
                    "cron",
                    "never_runs",
                    sentence(&ScheduleError::NeverRuns.to_string()),
                )]);
            }
            (c.describe(), runs)
        }
    };
    Ok(SchedulePreview {
        description,
        note,
        slot_taken: None,
        time_zone: zone.name().to_string(),
        runs_utc: runs
            .iter()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .collect(),
        runs_local: runs
            .iter()
            .map(|t| {
                t.with_timezone(&zone)
                    .format("%a %Y-%m-%d %H:%M %Z")
                    .to_string()
            })
            .collect(),
    })
}

/// Checks `input`; `default_zone` is the computer's zone, used when the
/// input names none; `now` refuses a one-off time already in the past.
pub fn validate(
    input: &NewSchedule,
    default_zone: &str,
    now: DateTime<Utc>,
) -> Result<ValidSchedule, Vec<FieldError>> {
    let mut errors = Vec::new();
    let platform = match Platform::parse(&input.platform.trim().to_lowercase()) {
        Some(p) => Some(p),
        None => {
            errors.push(field(
                "platform",
                "unknown_platform",
                format!(
                    "Unknown platform \"{}\"; choose from {}.",
                    crate::text::echo(input.platform.trim(), 20),
                    Platform::ALL.map(Platform::as_str).join(", ")
                ),
            ));
            None
        }
    };
    if input.campaign_id.trim().is_empty() {
        errors.push(field(
            "campaign_id",
            "required",
            "Pick the campaign to post for.",
        ));
    }
    if input.account_id.trim().is_empty() {
        errors.push(field(
            "account_id",
            "required",
            "Pick the account to post to.",
        ));
    }
    let zone = zone_field(&input.time_zone, default_zone, &mut errors);
    let when = when_fields(
        input.run_at.as_deref(),
        input.cron.as_deref(),
        zone,
        now,
        &mut errors,
    );
    let start = date(&input.start_date, "start_date", &mut errors);
    let end = date(&input.end_date, "end_date", &mut errors);
    let timing = match (when, zone) {
        (Some((when, _)), Some(zone)) => match Timing::new(when, zone, start, end) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(field("end_date", "before_start", e.to_string()));
                None
            }
        },
        _ => None,
    };
    match (errors.is_empty(), platform, timing) {
        (true, Some(platform), Some(timing)) => Ok(ValidSchedule {
            campaign_id: input.campaign_id.trim().to_string(),
            platform,
            account_id: input.account_id.trim().to_string(),
            timing,
            use_optimizer: input.use_optimizer,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z")
            .expect("t")
            .with_timezone(&Utc)
    }

    fn input() -> NewSchedule {
        NewSchedule {
            campaign_id: "c".into(),
            platform: "x".into(),
            account_id: "a".into(),
            cron: Some("0 14 * * 1,3,5".into()),
            ..NewSchedule::default()
        }
    }

    fn fields(r: Result<ValidSchedule, Vec<FieldError>>) -> Vec<(String, String)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn a_good_schedule_takes_the_computers_zone_by_default() {
        let v = validate(&input(), "Europe/Berlin", now()).expect("valid");
        assert_eq!(v.timing.zone.name(), "Europe/Berlin");
        assert_eq!(v.platform, Platform::X);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = NewSchedule {
            campaign_id: " ".into(),
            platform: "myspace".into(),
            account_id: "".into(),
            cron: Some("0 25 * * *".into()),
            time_zone: "Nowhere/City".into(),
            start_date: Some("12/01/2026".into()),
            ..NewSchedule::default()
        };
        assert_eq!(
            fields(validate(&bad, "UTC", now())),
            [
                ("platform".into(), "unknown_platform".into()),
                ("campaign_id".into(), "required".into()),
                ("account_id".into(), "required".into()),
                ("time_zone".into(), "invalid".into()),
                ("cron".into(), "invalid".into()),
                ("start_date".into(), "invalid".into()),
            ]
        );
        let both = NewSchedule {
            run_at: Some("2026-12-02T10:00:00Z".into()),
            ..input()
        };
        assert_eq!(
            fields(validate(&both, "UTC", now())),
            [("cron".into(), "conflict".into())]
        );
        let past = NewSchedule {
            run_at: Some("2026-11-30T10:00:00Z".into()),
            cron: None,
            ..input()
        };
        assert_eq!(
            fields(validate(&past, "UTC", now())),
            [("run_at".into(), "in_the_past".into())]
        );
        let backwards = NewSchedule {
            start_date: Some("2026-12-10".into()),
            end_date: Some("2026-12-01".into()),
            ..input()
        };
        assert_eq!(
            fields(validate(&backwards, "UTC", now())),
            [("end_date".into(), "before_start".into())]
        );
    }
}
