//! The Calendar with a busy schedule: a day of an every-minute cadence
//! holds 1,440 posts; each one can be reached, opened and moved.

use super::*;

async fn count(client: &Client, css: &str) -> usize {
    client
        .find_all(Locator::Css(css))
        .await
        .map(|v| v.len())
        .unwrap_or(0)
}

/// Tomorrow holds a post every minute. The week shows its first 20 and
/// "+1,420 more", which opens the day: its pages reach all 1,440, the last
/// one opens, and moved to the day after it shows there, in the day and
/// back in the week.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_day_opens_from_more_and_a_moved_post_shows_where_it_went() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let d = data.path();
    let (campaign, account) = a_sandbox_campaign(d, "Every minute");
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    let after = tomorrow + chrono::Duration::days(1);
    let day = tomorrow.to_string();
    cli(
        d,
        &[
            "schedule",
            "add",
            "--campaign",
            &campaign,
            "--platform",
            "sandbox",
            "--account",
            &account,
            "--cron",
            "* * * * *",
            "--tz",
            "UTC",
            "--start",
            &day,
            "--end",
            &day,
        ],
    );
    // The window's days are UTC days, as the schedule's.
    let driver = start_driver(d, &[("TZ", "UTC".to_string())]);
    let shots = Artifacts::new();
    let client = launch(&driver).await;

    click(&client, "#nav-calendar").await;
    wait_for(&client, "#calendar-grid", "the Calendar").await;
    let cell = format!("#calendar-grid .cell[data-day='{day}']");
    if count(&client, &cell).await == 0 {
        // Today is a Sunday: tomorrow is next week.
        click(&client, "#calendar-next").await;
    }
    wait_for_text(&client, &format!("{cell} .more"), "+1,420 more").await;
    assert_eq!(count(&client, &format!("{cell} .chip")).await, 20);
    shots.shot(&client, "65-busy-week").await;

    // "+1,420 more" opens the day, a hundred at a time.
    click(&client, &format!("{cell} .more")).await;
    wait_for_text(&client, "#day-range", "1–100 of 1,440").await;
    assert_eq!(count(&client, "#calendar-day .post").await, 100);
    for _ in 0..14 {
        click(&client, "#day-next-page").await;
    }
    wait_for_text(&client, "#day-range", "1,401–1,440 of 1,440").await;
    assert_eq!(count(&client, "#calendar-day .post").await, 40);
    assert!(!find(&client, "#day-next-page")
        .await
        .is_enabled()
        .await
        .expect("enabled"));
    shots.shot(&client, "66-busy-day-last-page").await;

    // The day's last post, 23:59, opens and moves to 09:30 the day after.
    let last = client
        .find_all(Locator::Css("#calendar-day .post"))
        .await
        .expect("posts")
        .pop()
        .expect("a post");
    assert!(last.text().await.expect("text").contains("23:59"));
    last.click().await.expect("open");
    let field = wait_for(&client, "#post-move-to", "the post detail").await;
    // The keyboard goes into the panel with the post (it was left on the
    // list, 94 tabs away from the panel).
    wait_focused(&client, "post-detail-close", "the panel has the keyboard").await;
    clear_field(&field).await;
    field
        .send_keys(&format!("{after} 09:30"))
        .await
        .expect("type");
    click(&client, "#post-move").await;
    // The Calendar follows it: the day after, where it is the one post.
    wait_for_text(
        &client,
        "#calendar-title",
        &after.format("%A %-d %B %Y").to_string(),
    )
    .await;
    wait_for_text(&client, "#day-range", "1–1 of 1").await;
    wait_for_text(&client, "#calendar-day .post", "09:30").await;
    wait_for_text(&client, "#post-detail-when", "9:30").await;
    shots.shot(&client, "67-moved-post-followed").await;
    // Escape closes the panel.
    find(&client, "#post-detail-close")
        .await
        .send_keys(&char::from(fantoccini::key::Key::Escape).to_string())
        .await
        .expect("escape");
    wait_for_gone(&client, "#post-detail", "Escape closes the post").await;

    // Back in the week, it is on its day.
    click(&client, "#day-back").await;
    wait_for_text(
        &client,
        &format!("#calendar-grid .cell[data-day='{after}'] .chip"),
        "09:30",
    )
    .await;
    shots.shot(&client, "68-week-after-move").await;
    client.close().await.expect("quit the app");
}
