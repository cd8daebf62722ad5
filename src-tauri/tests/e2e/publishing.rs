//! Publishing from the window: the Sandbox loop, desktop notifications.

use super::*;

/// The whole loop with the Sandbox, without touching the window once it is
/// set up: connect a Sandbox account, create a campaign, write a variant,
/// activate it, schedule every minute (the cadence in words and its next
/// runs show while typing), and watch a post go out in the Calendar.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_loop_schedules_and_publishes_by_itself() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let env = [
        ("REACHLOOP_PUBLISH_INTERVAL_SECS", "2".to_string()),
        // The world's seed is random: no injected failure to wait out.
        ("REACHLOOP_SANDBOX_FAILURE_RATE", "0".to_string()),
    ];
    let driver = start_driver(data.path(), &env);
    let shots = Artifacts::new();
    let client = launch(&driver).await;

    click(&client, "#nav-accounts").await;
    click(&client, "#connect-sandbox").await;
    let row = wait_for(
        &client,
        "#account-list .account-item",
        "the Sandbox account is listed",
    )
    .await;
    assert!(row.text().await.expect("text").contains("@sandbox"));
    shots.shot(&client, "50-sandbox-connected").await;

    click(&client, "#nav-campaigns").await;
    find(&client, "#campaign-name")
        .await
        .send_keys("Sandbox loop")
        .await
        .expect("name");
    click(&client, "#platform-sandbox").await;
    click(&client, "#campaign-submit").await;
    wait_for_listed(&client, "Sandbox loop").await;
    click(&client, "#campaign-list .campaign-open").await;
    wait_for(&client, "#add-variant-sandbox", "the campaign opens").await;
    add_sandbox_variant(&client, "Fresh from the Sandbox oven", 1).await;
    // A second variant, to pick by hand in the calendar.
    add_sandbox_variant(&client, "The hand-picked one", 2).await;
    click(&client, "#status-active").await;

    // Every minute, in UTC: the words and the next runs show while typing.
    let cron = find(&client, "#schedule-cron").await;
    clear_field(&cron).await;
    cron.send_keys("* * * * *").await.expect("type");
    find(&client, "#schedule-zone")
        .await
        .send_keys("UTC")
        .await
        .expect("zone");
    // Found again on each look: the preview is drawn anew as the zone is
    // typed ("U" and "UT" are no zone), so a handle kept from the first
    // look can point at a preview that is gone.
    eventually(WAIT, "the preview in words", async || {
        let text = text_of(&client, "#schedule-preview").await;
        if text.to_lowercase().contains("every minute") && text.contains("UTC") {
            Ok(())
        } else {
            Err(text)
        }
    })
    .await;
    shots.shot(&client, "51-schedule-preview").await;
    click(&client, "#schedule-submit").await;
    wait_for(
        &client,
        "#schedule-list .schedule-item",
        "the schedule is listed",
    )
    .await;

    // Hands off: the Calendar shows a post go out within about a minute.
    click(&client, "#nav-calendar").await;
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        if client
            .find(Locator::Css("#calendar-grid .post.published"))
            .await
            .is_ok()
        {
            break;
        }
        assert!(Instant::now() < deadline, "no post was published");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let status = find(&client, "#publisher-status")
        .await
        .text()
        .await
        .expect("text");
    assert!(status.contains("this app"), "{status}");
    shots.shot(&client, "52-calendar-published").await;

    // Open an upcoming post: pick its variant, then move it 30 minutes on.
    // A few minutes ahead, so the publisher does not claim it meanwhile.
    client
        .execute(
            "document.querySelectorAll('#calendar-grid .post.scheduled')[4].click();",
            vec![],
        )
        .await
        .expect("open a post");
    wait_for(&client, "#post-detail #post-variant", "the post opens").await;
    let post_id = find(&client, "#post-detail")
        .await
        .attr("data-id")
        .await
        .expect("attr")
        .expect("an id");
    client
        .execute(
            "const s = document.querySelector('#post-variant');
             const o = [...s.options].find(o => o.text.startsWith('The hand-picked'));
             s.value = o.value; s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .expect("pick");
    assert!(!post_id.is_empty());
    click(&client, "#post-pick-variant").await;
    wait_for_text(&client, "#post-detail-variant", "The hand-picked one").await;
    wait_for(&client, "#post-detail .badge[title]", "marked overridden").await;
    shots.shot(&client, "53-variant-picked").await;
    // Move it half an hour on, typed with the keyboard in the post's zone
    // (UTC here), at :30 seconds (every minute is a slot). The field
    // starts with the post's own time.
    let field = find(&client, "#post-move-to").await;
    let shown = field
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    let own = chrono::NaiveDateTime::parse_from_str(&shown, "%Y-%m-%d %H:%M")
        .unwrap_or_else(|e| panic!("Move to starts with the post's time, not {shown:?}: {e}"));
    let soon = chrono::Utc::now().naive_utc();
    assert!(
        own > soon && own < soon + chrono::Duration::minutes(10),
        "{own} is not the upcoming post's time"
    );
    let to = chrono::Utc::now() + chrono::Duration::minutes(30);
    clear_field(&field).await;
    field
        .send_keys(&to.format("%Y-%m-%d %H:%M:30").to_string())
        .await
        .expect("type the time");
    let was = find(&client, "#post-detail-when")
        .await
        .text()
        .await
        .unwrap_or_default();
    click(&client, "#post-move").await;
    // A move leaves the old slot cancelled and makes the post anew; the
    // detail follows the new one.
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(problem) = client.find(Locator::Css("#post-detail-problem")).await {
            panic!(
                "the move was refused: {}",
                problem.text().await.unwrap_or_default()
            );
        }
        let when = match client
            .find(Locator::Css(&format!(
                "#post-detail:not([data-id='{post_id}']) #post-detail-when"
            )))
            .await
        {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if when != was && when.contains(":30") {
            break;
        }
        if Instant::now() > deadline {
            shots.shot(&client, "54-move-failed").await;
            panic!("the move did not show: was {was:?}, now {when:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_for_text(&client, "#post-detail-variant", "The hand-picked one").await;
    shots.shot(&client, "54-post-moved").await;
    click(&client, "#post-detail-close").await;

    // Pause publishing: more than a minute goes by and nothing publishes.
    click(&client, "#nav-settings").await;
    wait_for(&client, "#publishing-paused", "Settings shows").await;
    click(&client, "#publishing-paused").await;
    let deadline = Instant::now() + WAIT;
    while !find(&client, "#publishing-paused")
        .await
        .is_selected()
        .await
        .unwrap_or(false)
    {
        assert!(Instant::now() < deadline, "the pause did not switch");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // The Sandbox's world shows its seed; a new one is taken, a wrong one
    // is explained.
    let seed = wait_for(&client, "#sandbox-seed", "the Sandbox seed").await;
    // The field shows before the seed is read into it.
    let deadline = Instant::now() + WAIT;
    let shown = loop {
        let v = seed.prop("value").await.expect("value").unwrap_or_default();
        if !v.is_empty() || Instant::now() > deadline {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    assert!(
        shown.len() == 6 && shown.chars().all(|c| c.is_ascii_digit()),
        "{shown:?}"
    );
    clear_field(&seed).await;
    seed.send_keys("12ab").await.expect("type");
    click(&client, "#sandbox-seed-save").await;
    wait_for_text(&client, "#sandbox-seed-form .error", "is not a seed").await;
    clear_field(&seed).await;
    seed.send_keys("777").await.expect("type");
    click(&client, "#sandbox-seed-save").await;
    wait_for_text(&client, "#sandbox-seed-form .ok", "Saved").await;
    shots.shot(&client, "55a-sandbox-seed").await;
    click(&client, "#nav-calendar").await;
    // What the database says, through the CLI on the same data.
    let posts = || cli(data.path(), &["posts", "list", "--json"]);
    let with_status = |posts: &serde_json::Value, status: &str| -> Vec<serde_json::Value> {
        posts
            .as_array()
            .expect("a list of posts")
            .iter()
            .filter(|p| p["status"] == status)
            .cloned()
            .collect()
    };
    // A round that claimed posts before the pause may still finish them.
    let before = eventually(WAIT, "the round in flight finishes", async || {
        let all = posts();
        match with_status(&all, "publishing").len() {
            0 => Ok(with_status(&all, "published").len()),
            n => Err(format!("{n} posts still publishing")),
        }
    })
    .await;
    // A slot that comes due while paused stays scheduled round after round
    // (one every 2 s): wait until one is 15 s overdue, nothing published.
    let overdue = eventually(
        Duration::from_secs(120),
        "a slot due while paused stays scheduled 15 s past its time",
        async || {
            let all = posts();
            let published = with_status(&all, "published").len();
            assert_eq!(published, before, "a post was published while paused");
            let late = chrono::Utc::now() - chrono::Duration::seconds(15);
            with_status(&all, "scheduled")
                .into_iter()
                .find(|p| {
                    p["scheduled_at"]
                        .as_str()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        .is_some_and(|t| t < late)
                })
                .map(|p| p["id"].as_str().expect("an id").to_string())
                .ok_or_else(|| format!("{} published, none scheduled overdue yet", published))
        },
    )
    .await;
    shots.shot(&client, "55-paused").await;

    // Resume: first it says which posts it skips (their time passed while
    // paused: a pause is a decision not to post then), then the next slot
    // goes out and the overdue one never does.
    click(&client, "#nav-settings").await;
    wait_for(&client, "#publishing-paused", "Settings shows").await;
    click(&client, "#publishing-paused").await;
    wait_for_text(&client, "#publishing-resume-confirm", "Resuming skips").await;
    assert!(
        find(&client, "#publishing-paused")
            .await
            .is_selected()
            .await
            .unwrap_or(false),
        "still paused until the user says yes"
    );
    shots.shot(&client, "55-resume-says-what-it-skips").await;
    click(&client, "#publishing-resume-skip").await;
    let deadline = Instant::now() + WAIT;
    while find(&client, "#publishing-paused")
        .await
        .is_selected()
        .await
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "the pause did not switch");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let resumed_at = chrono::Utc::now();
    click(&client, "#nav-calendar").await;
    eventually(
        Duration::from_secs(90),
        "a post due after resuming is published, the overdue one skipped",
        async || {
            let all = posts();
            let skipped = all.as_array().into_iter().flatten().any(|p| {
                p["id"] == overdue.as_str()
                    && p["status"] == "cancelled"
                    && p["last_error"]
                        .as_str()
                        .is_some_and(|e| e.contains("publishing was paused"))
            });
            let after = with_status(&all, "published").into_iter().any(|p| {
                p["scheduled_at"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| t >= resumed_at - chrono::Duration::seconds(60))
            });
            match (skipped, after) {
                (true, true) => Ok(()),
                _ => Err(format!("skipped {skipped}, published after {after}: {all}")),
            }
        },
    )
    .await;
    shots.shot(&client, "56-resumed").await;
    client.close().await.expect("quit the app");
}

/// What the desktop's notification service was asked to show.
type Shown = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A stand-in for the desktop's notification service
/// (`org.freedesktop.Notifications`) on the test's private session bus:
/// it keeps each notification's title and text.
struct Notifications(Shown);

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: &str,
        _replaces_id: u32,
        _app_icon: &str,
        summary: &str,
        body: &str,
        _actions: Vec<String>,
        _hints: std::collections::HashMap<String, zbus::OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.0.lock().expect("notifications");
        shown.push((summary.to_string(), body.to_string()));
        shown.len() as u32
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "reachloop-e2e".into(),
            "reachloop".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

/// A post whose platform never confirms it (the Sandbox loses the answer
/// and its lookup never tells) waits to be checked round after round; it is
/// announced on the desktop once, not every round.
#[tokio::test]
async fn a_post_that_needs_checking_is_announced_on_the_desktop_once() {
    let shown = Shown::default();
    let _service = zbus::connection::Builder::session()
        .name("org.freedesktop.Notifications")
        .serve_at(
            "/org/freedesktop/Notifications",
            Notifications(shown.clone()),
        )
        .build()
        .await
        .expect("own org.freedesktop.Notifications on the test's session bus (dbus-run-session)");
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let d = data.path();
    a_sandbox_post_due_soon(d, "Unconfirmed");
    let env = [
        ("REACHLOOP_PUBLISH_INTERVAL_SECS", "2".to_string()),
        ("REACHLOOP_SANDBOX_FAILURE_RATE", "0".to_string()),
        ("REACHLOOP_SANDBOX_LOST_ANSWER_RATE", "1".to_string()),
        ("REACHLOOP_SANDBOX_UNVERIFIABLE", "1".to_string()),
    ];
    // The app's log: the Sandbox says there each time a round asks it.
    let log = d.join("app.log");
    let driver = start_driver_logged(d, &env, &log);
    let shots = Artifacts::new();
    let client = launch(&driver).await;
    click(&client, "#nav-calendar").await;
    let announced = || {
        shown
            .lock()
            .expect("notifications")
            .iter()
            .filter(|(title, _)| title == "A post needs checking")
            .cloned()
            .collect::<Vec<_>>()
    };
    let asked = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(reachloop::platforms::sandbox::UNVERIFIABLE))
            .count()
    };
    let first = eventually(
        Duration::from_secs(60),
        "the post that needs checking is announced",
        async || match announced().first() {
            Some((_, body)) => Ok(body.clone()),
            None => Err(format!("{:?}", shown.lock().expect("notifications"))),
        },
    )
    .await;
    assert!(first.contains("did not confirm"), "{first}");
    shots.shot(&client, "80-needs-checking-announced").await;
    // Five more rounds ask the Sandbox, which cannot tell: the post still
    // waits to be checked, and the user heard of it once.
    let since = asked();
    eventually(
        Duration::from_secs(60),
        "five more rounds ask the Sandbox about the post",
        async || match asked() - since {
            n if n >= 5 => Ok(()),
            n => Err(format!("{n} rounds asked")),
        },
    )
    .await;
    let waiting = cli(
        d,
        &["posts", "list", "--status", "needs_verification", "--json"],
    );
    assert_eq!(
        waiting.as_array().map(Vec::len),
        Some(1),
        "the post still waits to be checked: {waiting}"
    );
    assert_eq!(
        announced().len(),
        1,
        "announced once over {} rounds: {:?}",
        asked(),
        shown.lock().expect("notifications")
    );
    shots
        .shot(&client, "81-still-needs-checking-announced-once")
        .await;
    client.close().await.expect("quit the app");
}

/// A variant with the brand's banned word is not published by itself:
/// activating the campaign in the window names it, the post due soon is
/// held on the Calendar with why, and picking the variant in the post
/// (a person's choice) sends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variant_with_a_banned_word_is_held_until_a_person_picks_it() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let d = data.path();
    let (campaign, account) = a_draft_sandbox_campaign(
        d,
        "Banned words",
        &["--banned", "cheap"],
        "Cheap bread today",
    );
    schedule_once(
        d,
        &campaign,
        &account,
        chrono::Utc::now() + chrono::Duration::seconds(20),
    );
    let env = [
        ("REACHLOOP_PUBLISH_INTERVAL_SECS", "2".to_string()),
        ("REACHLOOP_SANDBOX_FAILURE_RATE", "0".to_string()),
    ];
    let driver = start_driver(d, &env);
    let shots = Artifacts::new();
    let client = launch(&driver).await;
    wait_for_listed(&client, "Banned words").await;
    click(&client, "#campaign-list .campaign-open").await;
    click_when_ready(&client, "#status-active").await;
    wait_for_text(&client, "#campaign-warnings", "Cheap bread today").await;
    wait_for_text(&client, "#campaign-warnings", "banned").await;
    shots
        .shot(&client, "57-activation-names-the-banned-variant")
        .await;

    click(&client, "#nav-calendar").await;
    let chip = eventually(Duration::from_secs(90), "the post is held", async || {
        client
            .find(Locator::Css("#calendar-grid .chip.held"))
            .await
            .map_err(|e| e.to_string())
    })
    .await;
    chip.click().await.expect("open the held post");
    wait_for_text(&client, "#post-detail-held", "Pick a variant").await;
    shots.shot(&client, "58-held-post").await;
    assert_eq!(
        cli(d, &["posts", "list", "--status", "published", "--json"]),
        json!([]),
        "nothing went out by itself"
    );
    click(&client, "#post-pick-variant").await;
    eventually(
        Duration::from_secs(60),
        "the picked post goes out",
        async || {
            let posts = cli(d, &["posts", "list", "--status", "published", "--json"]);
            match posts.as_array().map(Vec::len) {
                Some(1) => Ok(()),
                _ => Err(posts.to_string()),
            }
        },
    )
    .await;
    client.close().await.expect("quit the app");
}

/// Clicks `css` once it shows.
async fn click_when_ready(client: &Client, css: &str) {
    wait_for(client, css, "the button shows")
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
}

/// A draft campaign's schedule: the Calendar shows its posts as not going
/// out, on the post and its day, with why; the campaign's schedule list
/// says so too; Activate in the post lets them go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_campaigns_posts_say_why_they_will_not_go_out_and_activate_fixes_it() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let d = data.path();
    let (campaign, account) = a_draft_sandbox_campaign(d, "Still a draft", &[], "Rye on Fridays");
    schedule_once(
        d,
        &campaign,
        &account,
        chrono::Utc::now() + chrono::Duration::minutes(30),
    );
    let driver = start_driver(d, &[("REACHLOOP_PUBLISH_INTERVAL_SECS", "2".to_string())]);
    let shots = Artifacts::new();
    let client = launch(&driver).await;

    // The campaign's schedule says it.
    wait_for_listed(&client, "Still a draft").await;
    click(&client, "#campaign-list .campaign-open").await;
    wait_for_text(&client, "#schedule-list .schedule-blocked", "is a draft").await;
    wait_for(
        &client,
        "#schedule-list .schedule-activate",
        "an Activate button",
    )
    .await;

    // The Calendar: the post and its day.
    click(&client, "#nav-calendar").await;
    let chip = wait_for(&client, "#calendar-grid .chip.held", "the post shows held").await;
    wait_for_text(&client, "#calendar-grid .day-held", "1 will not go out").await;
    chip.click().await.expect("open it");
    wait_for_text(&client, "#post-detail-held", "is a draft").await;
    wait_for_text(&client, "#post-detail-status", "held").await;
    shots.shot(&client, "59-draft-post-will-not-go-out").await;
    click(&client, "#post-fix-activate").await;
    wait_for_gone(
        &client,
        "#calendar-grid .chip.held",
        "nothing is held once active",
    )
    .await;
    let campaigns = cli(d, &["campaigns", "list", "--json"]);
    assert_eq!(campaigns[0]["status"], "active", "{campaigns}");
    client.close().await.expect("quit the app");
}
