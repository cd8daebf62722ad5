//! The Calendar's reads: days counted in the user's zone (DST included),
//! each day's first posts with their warnings and holds, every post of a
//! busy day reachable a page at a time, and a moved post where it went.

use chrono::{TimeZone, Utc};
use reachloop::store::Actor;
use reachloop::App;
use reachloop_ipc::{CalendarDayQuery, CalendarQuery, NewSchedule, PostChange};

use crate::data_dir;

/// Every minute of Sunday 2027-03-28 in Berlin: the clocks go forward at
/// 02:00, so the day has 23 hours, 1,380 posts.
async fn busy_day(app: &App) -> (String, String) {
    let now = Utc.with_ymd_and_hms(2027, 3, 27, 12, 0, 0).unwrap();
    let account = app.connect_sandbox(now, "Busy").await.expect("sandbox");
    let campaign =
        crate::active_sandbox_campaign(app, now, "Every minute", &["Fresh bread at the corner"])
            .await;
    let s = app
        .create_schedule(
            now,
            Actor::User,
            &NewSchedule {
                campaign_id: campaign.clone(),
                platform: "sandbox".into(),
                account_id: account.id,
                cron: Some("* * * * *".into()),
                time_zone: "Europe/Berlin".into(),
                start_date: Some("2027-03-28".into()),
                end_date: Some("2027-03-28".into()),
                ..NewSchedule::default()
            },
            "UTC",
        )
        .await
        .expect("schedule");
    while app.plan_all(now).await.expect("plan") > 0 {}
    (campaign, s.id)
}

fn query(from: &str, to: &str, zone: &str, per_day: u32) -> CalendarQuery {
    CalendarQuery {
        from: from.into(),
        to: to.into(),
        zone: zone.into(),
        per_day,
        selected: None,
    }
}

#[tokio::test]
async fn every_post_of_a_busy_day_is_counted_in_the_users_zone_and_reachable() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let (_, schedule) = busy_day(&app).await;

    // The week in Berlin: the day holds all 1,380, the first 20 shown.
    let week = app
        .calendar_days(&query("2027-03-22", "2027-03-28", "Europe/Berlin", 20))
        .await
        .expect("week");
    assert_eq!(week.days.len(), 7);
    let sunday = &week.days[6];
    assert_eq!((sunday.day.as_str(), sunday.total), ("2027-03-28", 1_380));
    assert_eq!(week.days[..6].iter().map(|d| d.total).sum::<u32>(), 0);
    assert_eq!(sunday.posts.len(), 20);
    // Local midnight is 23:00 UTC the day before; in time order.
    assert_eq!(sunday.posts[0].scheduled_at, "2027-03-27T23:00:00.000Z");
    assert!(sunday
        .posts
        .windows(2)
        .all(|w| w[0].scheduled_at < w[1].scheduled_at));
    // Warnings come with the shown posts: the first has no post before it.
    assert!(
        !sunday.posts[0]
            .warnings
            .iter()
            .any(|w| w.starts_with("Only")),
        "{:?}",
        sunday.posts[0].warnings
    );
    assert!(
        sunday.posts[1]
            .warnings
            .iter()
            .any(|w| w.starts_with("Only 1 minute")),
        "{:?}",
        sunday.posts[1].warnings
    );
    assert_eq!(sunday.held, 0, "an active campaign's posts go out");

    // The same posts in UTC fall on two days.
    let utc = app
        .calendar_days(&query("2027-03-27", "2027-03-28", "UTC", 4))
        .await
        .expect("utc");
    assert_eq!(
        utc.days.iter().map(|d| d.total).collect::<Vec<_>>(),
        vec![60, 1_320]
    );

    // The day view: pages of 200 give every post once, in order; a later
    // page's posts are checked against the posts before them.
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = app
            .calendar_day(&CalendarDayQuery {
                day: "2027-03-28".into(),
                zone: "Europe/Berlin".into(),
                offset,
                limit: 200,
            })
            .await
            .expect("page");
        assert_eq!(page.total, 1_380);
        if page.posts.is_empty() {
            break;
        }
        if offset == 1_200 {
            assert!(
                page.posts[0]
                    .warnings
                    .iter()
                    .any(|w| w.starts_with("Only 1 minute")),
                "{:?}",
                page.posts[0].warnings
            );
        }
        offset += page.posts.len() as u32;
        seen.extend(page.posts.into_iter().map(|p| p.scheduled_at));
    }
    assert_eq!(seen.len(), 1_380);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "in order, each once");

    // Paused, the schedule's posts will not go out: the day says how many.
    let later = Utc.with_ymd_and_hms(2027, 3, 27, 12, 5, 0).unwrap();
    app.set_schedule_paused(later, Actor::User, &schedule, true)
        .await
        .expect("pause");
    let paused = app
        .calendar_days(&query("2027-03-28", "2027-03-28", "Europe/Berlin", 3))
        .await
        .expect("paused");
    assert_eq!(paused.days[0].held, 1_380);
    assert!(paused.days[0].posts.iter().all(|p| p.held.is_some()));
}

#[tokio::test]
async fn a_moved_post_shows_where_it_went() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    busy_day(&app).await;
    let now = Utc.with_ymd_and_hms(2027, 3, 27, 12, 1, 0).unwrap();
    let day = app
        .calendar_day(&CalendarDayQuery {
            day: "2027-03-28".into(),
            zone: "Europe/Berlin".into(),
            offset: 700,
            limit: 1,
        })
        .await
        .expect("page");
    let moved = app
        .change_post(
            now,
            Actor::User,
            &PostChange {
                post_id: day.posts[0].id.clone(),
                action: "move".into(),
                at: Some("2027-03-29 09:30".into()),
                ..PostChange::default()
            },
        )
        .await
        .expect("move");
    // Far down a busy day it would be past the first posts: the range
    // brings the selected post with it, wherever it is.
    let mut q = query("2027-03-22", "2027-03-28", "Europe/Berlin", 20);
    q.selected = Some(moved.id.clone());
    let week = app.calendar_days(&q).await.expect("week");
    assert_eq!(
        week.selected.as_ref().map(|p| p.id.as_str()),
        Some(moved.id.as_str())
    );
    // Its old slot stays, cancelled (the calendar strikes it through).
    assert_eq!(week.days[6].total, 1_380);
    let old = app
        .calendar_day(&CalendarDayQuery {
            day: "2027-03-28".into(),
            zone: "Europe/Berlin".into(),
            offset: 700,
            limit: 1,
        })
        .await
        .expect("page");
    assert_eq!(old.posts[0].status, "cancelled");
    let next = app
        .calendar_days(&query("2027-03-29", "2027-04-04", "Europe/Berlin", 20))
        .await
        .expect("next week");
    assert_eq!(next.days[0].total, 1);
    assert_eq!(next.days[0].posts[0].id, moved.id);
    assert_eq!(
        next.days[0].posts[0].scheduled_at,
        "2027-03-29T07:30:00.000Z"
    );
}

#[tokio::test]
async fn what_the_calendar_cannot_read_is_said_plainly() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    for (q, field) in [
        (query("2027-03-01", "2027-05-30", "UTC", 4), "to"),
        (query("2027-03-10", "2027-03-01", "UTC", 4), "to"),
        (query("March", "2027-03-01", "UTC", 4), "from"),
        (query("2027-03-01", "2027-03-07", "Mars/Olympus", 4), "zone"),
        // chrono reads any signed year; the day after its last one would
        // have panicked.
        (query("+262143-12-31", "+262143-12-31", "UTC", 4), "from"),
        (query("0999-01-01", "0999-01-02", "UTC", 4), "from"),
    ] {
        match app.calendar_days(&q).await {
            Err(reachloop::Error::Validation(f)) => assert_eq!(f[0].field, field, "{q:?}: {f:?}"),
            other => panic!("{q:?}: {other:?}"),
        }
    }
    for day in ["2027-02-30", "+262143-12-31", "27-02-01"] {
        let bad_day = app
            .calendar_day(&CalendarDayQuery {
                day: day.into(),
                zone: "UTC".into(),
                offset: 0,
                limit: 100,
            })
            .await;
        assert!(
            matches!(&bad_day, Err(reachloop::Error::Validation(f)) if f[0].message.contains("not a day")),
            "{day}: {bad_day:?}"
        );
    }
    // The last day shown has a day after it.
    let last = app
        .calendar_day(&CalendarDayQuery {
            day: "9999-12-31".into(),
            zone: "Pacific/Kiritimati".into(),
            offset: 0,
            limit: 100,
        })
        .await
        .expect("the last day");
    assert_eq!(last.total, 0);
}
