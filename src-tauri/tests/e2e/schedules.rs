//! The schedule form as a new user meets it: times typed with the keyboard
//! are read in the zone the form shows, and each problem is said once,
//! under its own field, without moving the fields around.

use super::*;

/// The top of `css`'s box below the top of the schedule form, in CSS
/// pixels (typing scrolls the page: the viewport is no reference).
async fn top_of(client: &Client, css: &str) -> f64 {
    client
        .execute(
            "return document.querySelector(arguments[0]).getBoundingClientRect().top
                  - document.querySelector('#schedule-form').getBoundingClientRect().top;",
            vec![json!(css)],
        )
        .await
        .expect("measure")
        .as_f64()
        .expect("a number")
}

async fn count(client: &Client, css: &str) -> usize {
    client
        .find_all(Locator::Css(css))
        .await
        .map(|v| v.len())
        .unwrap_or(0)
}

async fn retype(client: &Client, css: &str, text: &str) {
    let field = find(client, css).await;
    clear_field(&field).await;
    field.send_keys(text).await.expect("type");
}

/// Chooses Once, until its time field shows: the campaign page draws its
/// variants and schedules as they load, and a click aimed while the form
/// was still moving once landed beside the radio button.
async fn choose_once(client: &Client) {
    eventually(WAIT, "Once is chosen", async || {
        if client.find(Locator::Css("#schedule-run-at")).await.is_ok() {
            return Ok(());
        }
        if let Ok(radio) = client.find(Locator::Css("#schedule-kind-once")).await {
            let _ = radio.click().await;
        }
        Err("no time field yet".to_string())
    })
    .await;
}

/// Waits until saving was answered `n` times.
async fn answered(client: &Client, n: usize) {
    wait_for(
        client,
        &format!("#schedule-form[data-answers='{n}']"),
        "saving is answered",
    )
    .await;
}

/// The computer is in New York; the schedule says Berlin. A one-off typed
/// as "<date> 09:10" is 09:10 in Berlin (08:10 UTC in December), in the
/// preview, in the schedule list and for the publisher. A cadence with a
/// minute and an hour out of range is one message naming the value and the
/// range, under Cadence, before and after saving; a zone that does not
/// exist is under Time zone; and the Time zone field does not move as the
/// preview comes, fails and goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_off_is_planned_in_the_zone_the_form_shows_and_problems_are_said_once() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let d = data.path();
    a_sandbox_campaign(d, "Berlin mornings");
    let env = [("TZ", "America/New_York".to_string())];
    let driver = start_driver(d, &env);
    let shots = Artifacts::new();
    let client = launch(&driver).await;
    click(&client, "#nav-campaigns").await;
    wait_for_listed(&client, "Berlin mornings").await;
    click(&client, "#campaign-list .campaign-open").await;
    wait_for(&client, "#schedule-form", "the schedule form").await;

    // A good cadence: its preview, and where the zone field sits with it.
    wait_for(
        &client,
        "#schedule-preview",
        "the default cadence's preview",
    )
    .await;
    let zone_top = top_of(&client, "#schedule-zone").await;

    // Out of range: one message, the field's words, the value, the range.
    retype(&client, "#schedule-cron", "61 25 * * *").await;
    wait_for_text(&client, "#schedule-preview-slot .field-error", "0 to 59").await;
    let message = text_of(&client, "#schedule-preview-slot .field-error").await;
    assert!(message.contains("\"61\""), "{message}");
    assert!(!message.contains("out of bounds"), "{message}");
    assert_eq!(count(&client, "#schedule-form .field-error").await, 1);
    assert_eq!(
        top_of(&client, "#schedule-zone").await,
        zone_top,
        "the form moved"
    );
    shots.shot(&client, "70-cadence-out-of-range").await;
    click(&client, "#schedule-submit").await;
    answered(&client, 1).await;
    assert_eq!(
        count(&client, "#schedule-form .field-error").await,
        1,
        "saving says it once more, not twice"
    );
    assert_eq!(
        text_of(&client, "#schedule-preview-slot .field-error").await,
        message,
        "in the same words"
    );

    // Fixed: the error goes and the preview comes, in the same place.
    retype(&client, "#schedule-cron", "0 9 * * *").await;
    wait_for(&client, "#schedule-preview", "the fixed cadence's preview").await;
    wait_for_gone(&client, "#schedule-form .field-error", "the old error goes").await;
    assert_eq!(
        top_of(&client, "#schedule-zone").await,
        zone_top,
        "the form moved"
    );

    // A zone that does not exist is the zone's problem.
    retype(&client, "#schedule-zone", "Nowhere/City").await;
    wait_for_text(&client, "#schedule-zone-field .field-error", "Nowhere/City").await;
    assert_eq!(
        count(&client, "#schedule-preview-slot .field-error").await,
        0
    );
    assert_eq!(count(&client, "#schedule-form .field-error").await, 1);

    // Once, typed with the keyboard, in Berlin.
    choose_once(&client).await;
    let prefilled = find(&client, "#schedule-run-at")
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert!(
        chrono::NaiveDateTime::parse_from_str(&prefilled, "%Y-%m-%d %H:%M").is_ok(),
        "the field starts with a time to change: {prefilled:?}"
    );
    let day = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive();
    retype(&client, "#schedule-run-at", &format!("{day} 09:10")).await;
    retype(&client, "#schedule-zone", "Europe/Berlin").await;
    wait_for_text(&client, "#schedule-preview", "09:10 CET").await;
    wait_for_text(&client, "#schedule-preview", &format!("{day}T08:10:00Z")).await;
    assert_eq!(count(&client, "#schedule-form .field-error").await, 0);
    shots.shot(&client, "71-one-off-in-berlin").await;
    click(&client, "#schedule-submit").await;
    answered(&client, 2).await;
    wait_for_text(&client, "#schedule-list .schedule-item", "09:10 CET").await;
    let listed = text_of(&client, "#schedule-list .schedule-item").await;
    assert!(listed.contains(&day.to_string()), "{listed}");
    shots.shot(&client, "72-one-off-listed").await;

    // The publisher has it at 08:10 UTC.
    let posts = cli(d, &["posts", "list", "--json"]);
    let times: Vec<&str> = posts
        .as_array()
        .expect("posts")
        .iter()
        .filter_map(|p| p["scheduled_at"].as_str())
        .collect();
    assert!(
        times.iter().any(|t| t.starts_with(&format!("{day}T08:10"))),
        "{times:?}"
    );
    client.close().await.expect("quit the app");
}

/// A daily 09:10 cadence in Berlin, and the user adds a one-off at 09:10
/// on a day it covers: before saving, the form says that minute holds the
/// cadence's post and offers the next free minute or to replace it. The
/// free minute goes into the field; back on 09:10, Replace saves the one-off
/// as the owner of that post.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_off_on_a_minute_a_cadence_covers_is_said_before_saving() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let d = data.path();
    let (campaign, account) = a_sandbox_campaign(d, "Daily at ten past nine");
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
            "10 9 * * *",
            "--tz",
            "Europe/Berlin",
        ],
    );
    let driver = start_driver(d, &[]);
    let shots = Artifacts::new();
    let client = launch(&driver).await;
    click(&client, "#nav-campaigns").await;
    wait_for_listed(&client, "Daily at ten past nine").await;
    click(&client, "#campaign-list .campaign-open").await;
    wait_for(&client, "#schedule-form", "the schedule form").await;

    choose_once(&client).await;
    let day = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive();
    retype(&client, "#schedule-zone", "Europe/Berlin").await;
    retype(&client, "#schedule-run-at", &format!("{day} 09:10")).await;
    wait_for_text(&client, "#schedule-slot-taken", "already has a post").await;
    let said = text_of(&client, "#schedule-slot-taken").await;
    assert!(said.contains("At 09:10"), "names the cadence: {said}");
    shots.shot(&client, "73-minute-taken").await;

    // The next free minute, in one click.
    click(&client, "#schedule-use-free-minute").await;
    eventually(WAIT, "the free minute goes into the field", async || {
        let v = find(&client, "#schedule-run-at")
            .await
            .prop("value")
            .await
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        match v == format!("{day} 09:11") {
            true => Ok(()),
            false => Err(v),
        }
    })
    .await;
    wait_for_gone(&client, "#schedule-slot-taken", "09:11 is free").await;

    // Back on 09:10: replace the cadence's post.
    retype(&client, "#schedule-run-at", &format!("{day} 09:10")).await;
    wait_for(&client, "#schedule-replace-slot", "the offer to replace").await;
    click(&client, "#schedule-replace-slot").await;
    wait_for(&client, "#schedule-will-replace", "the choice shows").await;
    click(&client, "#schedule-submit").await;
    answered(&client, 1).await;
    wait_for_text(&client, "#schedule-list", "Once,").await;
    shots.shot(&client, "74-one-off-replaced-the-slot").await;
    let schedules = cli(d, &["schedule", "list", "--campaign", &campaign, "--json"]);
    let one_off = schedules
        .as_array()
        .expect("schedules")
        .iter()
        .find(|s| s["kind"] == "once")
        .expect("the one-off is saved");
    let posts = cli(d, &["posts", "list", "--json"]);
    let post = posts
        .as_array()
        .expect("posts")
        .iter()
        .find(|p| {
            p["scheduled_at"]
                .as_str()
                .is_some_and(|t| t.starts_with(&format!("{day}T08:10")))
        })
        .expect("the post at 09:10 Berlin");
    assert_eq!(post["schedule_id"], one_off["id"], "the one-off owns it");
    client.close().await.expect("quit the app");
}
