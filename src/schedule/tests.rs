//! Crontab edge cases and DST in six zones. Expected instants were computed
//! independently (Python's zoneinfo on the IANA database).

use super::*;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

fn runs(expr: &str, zone: &str, from: &str, n: usize) -> Vec<String> {
    preview(expr, zone, utc(from), n)
        .unwrap_or_else(|e| panic!("{expr} in {zone}: {e}"))
        .iter()
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .collect()
}

#[test]
fn crontab_edge_cases() {
    // 2026-11-30 is a Monday.
    let table: &[(&str, &str, &[&str])] = &[
        // The product design's example: 14:00 on Monday, Wednesday, Friday.
        (
            "0 14 * * 1,3,5",
            "2026-11-30T00:00:00Z",
            &[
                "2026-11-30T14:00:00Z",
                "2026-12-02T14:00:00Z",
                "2026-12-04T14:00:00Z",
                "2026-12-07T14:00:00Z",
            ],
        ),
        // Names and ranges.
        (
            "30 9 * * MON-FRI",
            "2026-12-04T10:00:00Z",
            &["2026-12-07T09:30:00Z", "2026-12-08T09:30:00Z"],
        ),
        // 0 and 7 are both Sunday.
        (
            "0 8 * * 0",
            "2026-11-30T00:00:00Z",
            &["2026-12-06T08:00:00Z", "2026-12-13T08:00:00Z"],
        ),
        (
            "0 8 * * 7",
            "2026-11-30T00:00:00Z",
            &["2026-12-06T08:00:00Z", "2026-12-13T08:00:00Z"],
        ),
        (
            "0 8 * * SUN",
            "2026-11-30T00:00:00Z",
            &["2026-12-06T08:00:00Z"],
        ),
        // Both day fields restricted: a day matching either runs (the 1st,
        // the 15th, and every Friday).
        (
            "0 12 1,15 * FRI",
            "2026-11-30T00:00:00Z",
            &[
                "2026-12-01T12:00:00Z",
                "2026-12-04T12:00:00Z",
                "2026-12-11T12:00:00Z",
                "2026-12-15T12:00:00Z",
                "2026-12-18T12:00:00Z",
            ],
        ),
        // Steps within a range.
        (
            "*/20 9-10 * * *",
            "2026-11-30T10:30:00Z",
            &[
                "2026-11-30T10:40:00Z",
                "2026-12-01T09:00:00Z",
                "2026-12-01T09:20:00Z",
            ],
        ),
        // Month names; the year turns.
        (
            "0 0 1 JAN,JUL *",
            "2026-11-30T00:00:00Z",
            &["2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z"],
        ),
        // A day that only some months have.
        (
            "0 6 31 * *",
            "2026-11-30T00:00:00Z",
            &[
                "2026-12-31T06:00:00Z",
                "2027-01-31T06:00:00Z",
                "2027-03-31T06:00:00Z",
            ],
        ),
        // Leap day.
        (
            "0 0 29 2 *",
            "2026-11-30T00:00:00Z",
            &["2028-02-29T00:00:00Z"],
        ),
        // Aliases; and "at or after": a run exactly at `from` counts.
        (
            "@daily",
            "2026-12-01T00:00:00Z",
            &["2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z"],
        ),
        (
            "59 23 31 12 *",
            "2026-11-30T00:00:00Z",
            &["2026-12-31T23:59:00Z"],
        ),
        // Extra spaces are fine.
        (
            "  0  14 *  * 1 ",
            "2026-11-30T00:00:00Z",
            &["2026-11-30T14:00:00Z"],
        ),
    ];
    for (expr, from, want) in table {
        assert_eq!(runs(expr, "UTC", from, want.len()), *want, "{expr}");
    }
}

#[test]
fn bad_cadences_and_zones_name_what_is_wrong() {
    let field = |expr: &str| match Cadence::parse(expr) {
        Err(ScheduleError::Field { field, .. }) => field,
        other => panic!("{expr}: {other:?}"),
    };
    assert_eq!(field("60 * * * *"), "minute");
    assert_eq!(field("* 24 * * *"), "hour");
    assert_eq!(field("* * 32 * *"), "day of month");
    assert_eq!(field("* * 0 * *"), "day of month");
    assert_eq!(field("* * * 13 *"), "month");
    assert_eq!(field("* * * FOO *"), "month");
    assert_eq!(field("* * * * 8"), "day of week");
    assert_eq!(field("5-1/x * * * *"), "minute");
    assert_eq!(Cadence::parse("* * * *"), Err(ScheduleError::FieldCount(4)));
    assert_eq!(
        Cadence::parse("0 0 0 * * *"),
        Err(ScheduleError::FieldCount(6))
    );
    assert_eq!(Cadence::parse(""), Err(ScheduleError::FieldCount(0)));
    let e = Cadence::parse("* * * 13 *").expect_err("month");
    assert!(e.to_string().contains("month field \"13\""), "{e}");
    assert!(matches!(
        parse_zone("Mars/Olympus"),
        Err(ScheduleError::Zone(_))
    ));
    assert!(matches!(
        preview("0 0 30 2 *", "UTC", utc("2026-01-01T00:00:00Z"), 1),
        Err(ScheduleError::NeverRuns | ScheduleError::Field { .. } | ScheduleError::Pattern(..))
    ));
    // An escape sequence in a bad field is shown escaped.
    let e = Cadence::parse("\u{1b}[31m * * * *").expect_err("bad");
    assert!(!e.to_string().contains('\u{1b}'), "{e}");
}

#[test]
fn describes_cadences_in_words() {
    let d = Cadence::parse("0 14 * * 1,3,5").expect("parse").describe();
    assert!(d.contains("14:00"), "{d}");
    assert!(
        d.contains("Monday") && d.contains("Wednesday") && d.contains("Friday"),
        "{d}"
    );
}

/// A daily time that does not exist on the spring-forward day runs at the
/// first valid instant after the gap; one that happens twice on the
/// fall-back day runs once, at the first.
#[test]
fn dst_gaps_run_after_the_gap_and_overlaps_run_once() {
    let table: &[(&str, &str, &str, [&str; 3])] = &[
        (
            "America/New_York",
            "30 2 * * *",
            "2026-03-07T00:00:00Z",
            [
                "2026-03-07T07:30:00Z",
                "2026-03-08T07:00:00Z",
                "2026-03-09T06:30:00Z",
            ],
        ),
        (
            "America/New_York",
            "30 1 * * *",
            "2026-10-31T00:00:00Z",
            [
                "2026-10-31T05:30:00Z",
                "2026-11-01T05:30:00Z",
                "2026-11-02T06:30:00Z",
            ],
        ),
        (
            "Europe/Berlin",
            "30 2 * * *",
            "2026-03-28T00:00:00Z",
            [
                "2026-03-28T01:30:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-30T00:30:00Z",
            ],
        ),
        (
            "Europe/Berlin",
            "30 2 * * *",
            "2026-10-24T00:00:00Z",
            [
                "2026-10-24T00:30:00Z",
                "2026-10-25T00:30:00Z",
                "2026-10-26T01:30:00Z",
            ],
        ),
        (
            "Europe/London",
            "30 1 * * *",
            "2026-03-28T00:00:00Z",
            [
                "2026-03-28T01:30:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-30T00:30:00Z",
            ],
        ),
        (
            "Europe/London",
            "30 1 * * *",
            "2026-10-24T00:00:00Z",
            [
                "2026-10-24T00:30:00Z",
                "2026-10-25T00:30:00Z",
                "2026-10-26T01:30:00Z",
            ],
        ),
        (
            "Australia/Sydney",
            "30 2 * * *",
            "2026-10-02T00:00:00Z",
            [
                "2026-10-02T16:30:00Z",
                "2026-10-03T16:00:00Z",
                "2026-10-04T15:30:00Z",
            ],
        ),
        (
            "Australia/Sydney",
            "30 2 * * *",
            "2026-04-03T00:00:00Z",
            [
                "2026-04-03T15:30:00Z",
                "2026-04-04T15:30:00Z",
                "2026-04-05T16:30:00Z",
            ],
        ),
        (
            "Asia/Kolkata",
            "0 9 * * *",
            "2026-03-08T00:00:00Z",
            [
                "2026-03-08T03:30:00Z",
                "2026-03-09T03:30:00Z",
                "2026-03-10T03:30:00Z",
            ],
        ),
        // Lord Howe moves by 30 minutes.
        (
            "Australia/Lord_Howe",
            "15 2 * * *",
            "2026-10-02T00:00:00Z",
            [
                "2026-10-02T15:45:00Z",
                "2026-10-03T15:30:00Z",
                "2026-10-04T15:15:00Z",
            ],
        ),
        (
            "Australia/Lord_Howe",
            "45 1 * * *",
            "2026-04-03T00:00:00Z",
            [
                "2026-04-03T14:45:00Z",
                "2026-04-04T14:45:00Z",
                "2026-04-05T15:15:00Z",
            ],
        ),
    ];
    for (zone, expr, from, want) in table {
        assert_eq!(runs(expr, zone, from, 3), want.to_vec(), "{expr} in {zone}");
    }
}

#[test]
fn an_hourly_cadence_runs_each_wall_time_once_across_a_fall_back() {
    // New York, 2026-11-01: 01:00-01:59 happens twice (EDT, then EST).
    let got = runs("0 * * * *", "America/New_York", "2026-11-01T04:00:00Z", 4);
    assert_eq!(
        got,
        [
            "2026-11-01T04:00:00Z", // 00:00 EDT
            "2026-11-01T05:00:00Z", // 01:00 EDT, the first 01:00
            "2026-11-01T07:00:00Z", // 02:00 EST (the second 01:00 does not run)
            "2026-11-01T08:00:00Z",
        ]
    );
    // Every minute, starting inside the second 01:xx: its wall times already
    // ran, so the next run is 02:00 EST.
    let got = runs("* * * * *", "America/New_York", "2026-11-01T06:10:00Z", 2);
    assert_eq!(got, ["2026-11-01T07:00:00Z", "2026-11-01T07:01:00Z"]);
    // And across a spring-forward nothing is doubled or skipped twice.
    let got = runs("0 * * * *", "Europe/Berlin", "2026-03-29T00:00:00Z", 3);
    assert_eq!(
        got,
        [
            "2026-03-29T00:00:00Z",
            "2026-03-29T01:00:00Z",
            "2026-03-29T02:00:00Z"
        ]
    );
}

#[test]
fn start_and_end_dates_bound_the_runs_in_the_schedules_zone() {
    let zone = parse_zone("Europe/Berlin").expect("zone");
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    let timing = Timing::new(
        When::Cadence(Box::new(
            Cadence::parse("0 0 * * *").expect("daily midnight"),
        )),
        zone,
        Some(day("2026-12-02")),
        Some(day("2026-12-04")),
    )
    .expect("timing");
    let got = timing.runs_between(
        utc("2026-11-01T00:00:00Z"),
        utc("2027-01-01T00:00:00Z"),
        100,
    );
    // Local midnights of Dec 2, 3 and 4 (UTC+1).
    assert_eq!(
        got,
        [
            utc("2026-12-01T23:00:00Z"),
            utc("2026-12-02T23:00:00Z"),
            utc("2026-12-03T23:00:00Z")
        ]
    );
    assert!(matches!(
        Timing::new(
            When::Once(utc("2026-12-01T00:00:00Z")),
            zone,
            Some(day("2026-12-05")),
            Some(day("2026-12-04"))
        ),
        Err(ScheduleError::EndBeforeStart { .. })
    ));
    let once =
        Timing::new(When::Once(utc("2026-12-01T09:00:00Z")), zone, None, None).expect("once");
    assert_eq!(
        once.runs_between(utc("2026-12-01T00:00:00Z"), utc("2026-12-02T00:00:00Z"), 5)
            .len(),
        1
    );
    assert!(once
        .runs_between(utc("2026-12-01T09:00:01Z"), utc("2026-12-02T00:00:00Z"), 5)
        .is_empty());
}

#[test]
fn missed_posts_are_published_late_only_within_the_grace_window() {
    let due = utc("2026-12-01T09:00:00Z");
    let grace = chrono::Duration::hours(2);
    assert_eq!(
        late_policy(due, utc("2026-12-01T10:59:00Z"), grace),
        Late::PublishNow
    );
    assert_eq!(
        late_policy(due, utc("2026-12-01T11:00:00Z"), grace),
        Late::PublishNow
    );
    assert_eq!(
        late_policy(due, utc("2026-12-01T11:00:01Z"), grace),
        Late::Missed
    );
}

#[test]
fn the_ui_preview_shows_local_and_utc_times() {
    let p = preview_for_ui(
        None,
        Some("0 14 * * 1,3,5"),
        "Europe/Berlin",
        "UTC",
        utc("2026-11-30T00:00:00Z"),
        2,
    )
    .expect("preview");
    assert_eq!(p.runs_utc, ["2026-11-30T13:00:00Z", "2026-12-02T13:00:00Z"]);
    assert_eq!(
        p.runs_local,
        ["Mon 2026-11-30 14:00 CET", "Wed 2026-12-02 14:00 CET"]
    );
    assert!(p.description.contains("14:00"));
}

/// A one-off's time is a wall time in the schedule's zone, whatever the
/// computer's zone: 09:10 in Berlin is 08:10 UTC in winter, 07:10 in
/// summer; an instant with an offset is taken as it is.
#[test]
fn a_one_off_is_read_in_its_zone() {
    let now = utc("2026-11-30T00:00:00Z");
    let at = |raw: &str, zone: &str| {
        preview_for_ui(Some(raw), None, zone, "America/New_York", now, 5)
            .map(|p| (p.runs_utc, p.runs_local, p.note))
    };
    for raw in [
        "2026-12-10T09:10",
        "2026-12-10 09:10",
        "2026-12-10T09:10:00",
    ] {
        let (utc_, local, note) = at(raw, "Europe/Berlin").expect(raw);
        assert_eq!(utc_, ["2026-12-10T08:10:00Z"], "{raw}");
        assert_eq!(local, ["Thu 2026-12-10 09:10 CET"], "{raw}");
        assert_eq!(note, None);
    }
    let (utc_, ..) = at("2027-07-01T09:10", "Europe/Berlin").expect("summer");
    assert_eq!(utc_, ["2027-07-01T07:10:00Z"]);
    // The computer's zone when the form names none.
    let (utc_, ..) = at("2026-12-10T09:10", "").expect("default zone");
    assert_eq!(utc_, ["2026-12-10T14:10:00Z"]);
    // With an offset: that instant, whatever the zone.
    let (utc_, local, _) = at("2026-12-10T09:10:00+01:00", "Asia/Tokyo").expect("offset");
    assert_eq!(utc_, ["2026-12-10T08:10:00Z"]);
    assert_eq!(local, ["Thu 2026-12-10 17:10 JST"]);
}

/// A one-off in a spring-forward gap posts at the first minute after the
/// gap, one in a repeated hour at the first of the two, as cadences do,
/// and the preview says so.
#[test]
fn a_one_off_in_a_gap_or_a_repeated_hour_is_explained() {
    let now = utc("2026-01-01T00:00:00Z");
    let p = preview_for_ui(
        Some("2026-03-29 02:30"),
        None,
        "Europe/Berlin",
        "UTC",
        now,
        5,
    )
    .expect("gap");
    assert_eq!(p.runs_utc, ["2026-03-29T01:00:00Z"]);
    let note = p.note.expect("a note");
    assert!(
        note.contains("does not exist") && note.contains("03:00"),
        "{note}"
    );
    let p = preview_for_ui(
        Some("2026-11-01 01:30"),
        None,
        "America/New_York",
        "UTC",
        now,
        5,
    )
    .expect("repeated");
    assert_eq!(p.runs_utc, ["2026-11-01T05:30:00Z"]);
    let note = p.note.expect("a note");
    assert!(
        note.contains("happens twice") && note.contains("01:30 EDT"),
        "{note}"
    );
}

/// Each problem is tied to its field, once, in a sentence: a cadence's
/// number out of range names the value and the range, a bad zone is the
/// zone's, a past or unreadable one-off time is the time's.
#[test]
fn preview_problems_name_their_field_value_and_range() {
    let now = utc("2026-11-30T00:00:00Z");
    let problems = |run_at: Option<&str>, cron: Option<&str>, zone: &str| {
        preview_for_ui(run_at, cron, zone, "UTC", now, 5)
            .expect_err("a problem")
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect::<Vec<_>>()
    };
    let p = problems(None, Some("61 25 * * *"), "");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, "cron");
    assert!(
        p[0].1.contains("\"61\"") && p[0].1.contains("from 0 to 59") && p[0].1.ends_with('.'),
        "{p:?}"
    );
    let p = problems(None, Some("0 25 * * *"), "");
    assert!(p[0].1.contains("hours go from 0 to 23"), "{p:?}");
    let p = problems(None, Some("0 9 * * 8"), "");
    assert!(p[0].1.contains("from 0 to 7 (0 and 7 are Sunday)"), "{p:?}");
    let p = problems(None, Some("0 9 * 13 *"), "");
    assert!(p[0].1.contains("months go from 1 to 12"), "{p:?}");
    let p = problems(None, Some("0 9 * * *"), "Mars/Olympus");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, "time_zone", "{p:?}");
    let p = problems(Some("2026-11-29 10:00"), None, "UTC");
    assert_eq!(p[0].0, "run_at");
    assert!(p[0].1.contains("already passed"), "{p:?}");
    let p = problems(Some(""), None, "UTC");
    assert_eq!(
        p[0].0, "run_at",
        "an empty time is the time's problem: {p:?}"
    );
    let p = problems(Some("9999-12-31 23:59"), None, "UTC");
    assert_eq!(p[0].0, "run_at");
    assert!(p[0].1.contains("five years"), "{p:?}");
    let p = problems(Some("next tuesday"), None, "UTC");
    assert_eq!(p[0].0, "run_at");
    assert!(p[0].1.contains("2026-12-10 09:10"), "{p:?}");
}
