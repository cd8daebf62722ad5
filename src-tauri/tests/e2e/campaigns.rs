//! Campaigns from the window: the form, variants, a new user's first hour.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_a_campaign_restart_and_find_it_again() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let driver = start_driver(data.path(), &[]);
    let shots = Artifacts::new();

    // First launch: an empty app.
    let client = launch(&driver).await;
    wait_for(&client, "#campaign-empty", "empty state on first run").await;
    shots.shot(&client, "01-first-launch").await;

    // An empty name is refused beside the field, and nothing is created.
    click(&client, "#platform-x").await;
    click(&client, "#campaign-submit").await;
    let error = wait_for(
        &client,
        "#campaign-name-error",
        "an error appears beside the name field",
    )
    .await;
    assert_eq!(
        error.text().await.expect("text"),
        "Give the campaign a name."
    );
    let name_field = client
        .find(Locator::Css("#campaign-name"))
        .await
        .expect("name field");
    assert_eq!(
        name_field
            .attr("aria-invalid")
            .await
            .expect("attr")
            .as_deref(),
        Some("true")
    );
    let focused = client.active_element().await.expect("focused element");
    assert_eq!(
        focused.attr("id").await.expect("id").as_deref(),
        Some("campaign-name"),
        "focus moves to the field that needs attention"
    );
    assert!(
        client.find(Locator::Css("#campaign-empty")).await.is_ok(),
        "nothing was created"
    );
    shots.shot(&client, "02-empty-name-error").await;

    // Fill the form and create the campaign.
    name_field
        .send_keys("Spring launch")
        .await
        .expect("type name");
    assert!(
        client
            .find(Locator::Css("#campaign-name-error"))
            .await
            .is_err(),
        "the error clears once the name is edited"
    );
    find(&client, "#campaign-prompt")
        .await
        .send_keys("Announce the spring collection to new followers")
        .await
        .expect("type");
    click(&client, "#platform-instagram").await;
    client
        .find(Locator::Css("#campaign-goal"))
        .await
        .expect("goal")
        .select_by_value("engagement")
        .await
        .expect("pick goal");
    click(&client, "#campaign-submit").await;
    let names = wait_for_listed(&client, "Spring launch").await;
    assert_eq!(names, ["Spring launch"], "the new campaign is listed");
    let item = client
        .find(Locator::Css("#campaign-list .campaign-item"))
        .await
        .expect("item")
        .text()
        .await
        .expect("text");
    assert!(
        item.contains("draft") && item.contains("Engagement") && item.contains("X · Instagram"),
        "{item}"
    );
    shots.shot(&client, "03-campaign-created").await;
    client.close().await.expect("quit the app");

    // Restart: the campaign is still there, read back from SQLite.
    let client = launch(&driver).await;
    let names = wait_for_listed(&client, "Spring launch").await;
    shots.shot(&client, "04-after-restart").await;
    assert_eq!(names, ["Spring launch"], "the campaign survives a restart");

    // A second launch hands over to the running app and exits at once.
    let mut second = Command::new(env!("CARGO_BIN_EXE_reachloop"))
        .env("REACHLOOP_DATA_DIR", data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("launch a second instance");
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = second.try_wait().expect("poll second instance") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("a second instance kept running instead of handing over to the first");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        status.success(),
        "the second instance exits cleanly: {status}"
    );
    assert_eq!(
        listed_names(&client).await,
        ["Spring launch"],
        "the first instance is still serving"
    );

    // The Activity page shows the audit entry for it.
    click(&client, "#nav-activity").await;
    let table = wait_for(&client, "#audit-list", "audit list").await;
    let text = table.text().await.expect("text");
    assert!(
        text.contains("Campaign created") && text.contains("name: Spring launch"),
        "in words, not raw JSON: {text}"
    );
    assert!(!text.contains("{\""), "no raw JSON: {text}");
    shots.shot(&client, "05-activity").await;

    // Settings follows a pause made elsewhere (the tray calls the same
    // core operation; here the command is invoked behind the page's back).
    click(&client, "#nav-settings").await;
    let paused = wait_for(&client, "#publishing-paused", "settings").await;
    assert!(!paused.is_selected().await.expect("state"));
    client
        .execute(
            "return window.__TAURI__.core.invoke('set_publishing_paused', { paused: true }).then(() => true);",
            vec![],
        )
        .await
        .expect("pause behind the page's back");
    let deadline = Instant::now() + WAIT;
    while !find(&client, "#publishing-paused")
        .await
        .is_selected()
        .await
        .expect("state")
    {
        assert!(
            Instant::now() < deadline,
            "Settings did not follow the pause"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shots.shot(&client, "06-settings-follows-pause").await;
    client.close().await.expect("quit the app");
}

/// Create a campaign in the real window, generate variants against the fake
/// AI server, edit one until it breaks X's length rule and the banned list,
/// see the live check say so, save it, and find it saved after reopening.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_variants_edit_one_until_it_breaks_a_rule_and_save_it() {
    let fake = reachloop_fakes::ai::FakeAi::start().await;
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let env = [
        ("AI_BASE_URL", fake.base.clone()),
        ("AI_MODEL", "fake-model".to_string()),
    ];
    let driver = start_driver(data.path(), &env);
    let shots = Artifacts::new();
    let client = launch(&driver).await;

    find(&client, "#campaign-name")
        .await
        .send_keys("Sourdough week")
        .await
        .expect("type name");
    click(&client, "#platform-x").await;
    click(&client, "#platform-youtube").await;
    find(&client, "#campaign-banned_words")
        .await
        .send_keys("cheap")
        .await
        .expect("type banned");
    click(&client, "#campaign-submit").await;
    wait_for_listed(&client, "Sourdough week").await;
    click(&client, "#campaign-list .campaign-open").await;
    wait_for(&client, "#page-campaign #generate", "the campaign opens").await;
    shots.shot(&client, "30-campaign-open").await;

    click(&client, "#generate").await;
    let deadline = Instant::now() + WAIT;
    let texts = loop {
        let texts = variant_texts(&client).await;
        if texts.len() >= 4 || Instant::now() > deadline {
            break texts;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(texts.len(), 4, "two variants per platform: {texts:?}");
    assert_eq!(
        texts.iter().filter(|(p, _)| p == "variants-x").count(),
        2,
        "{texts:?}"
    );
    assert!(texts.iter().all(|(_, t)| !t.is_empty()));
    let asked = fake.requests();
    assert_eq!(asked.len(), 2, "one request per platform");
    assert_eq!(asked[0]["response_format"]["type"], "json_schema");
    let result = find(&client, "#generation-result")
        .await
        .text()
        .await
        .expect("text");
    assert!(result.contains("4 variants written"), "{result}");
    shots.shot(&client, "31-variants-generated").await;

    // Break the rules: over 280 weighted characters, with a banned word.
    let area = find(&client, "#variants-x .variant-card[data-id] textarea").await;
    clear_field(&area).await;
    let broken = format!("So cheap! {}", "a".repeat(280));
    area.send_keys(&broken).await.expect("type");
    let card = find(&client, "#variants-x .variant-card[data-id]").await;
    let deadline = Instant::now() + WAIT;
    loop {
        let text = card.text().await.expect("card text");
        if text.contains("X allows 280") && text.contains("on the brand's banned list") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the live check did not flag it: {text}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let counter = card
        .find(Locator::Css(".counter.over"))
        .await
        .expect("the counter shows over the limit")
        .text()
        .await
        .expect("text");
    assert!(counter.starts_with("290 / 280"), "{counter}");
    let mark = card
        .find(Locator::Css("mark.banned"))
        .await
        .expect("the banned word is marked")
        .text()
        .await
        .expect("text");
    assert_eq!(mark, "cheap");
    shots.shot(&client, "32-variant-breaks-rules").await;

    card.find(Locator::Css(".save-variant"))
        .await
        .expect("save button")
        .click()
        .await
        .expect("save");
    // Saved (in the database, read by the CLI): reopen the campaign and
    // find the text as typed.
    let campaign = cli(data.path(), &["campaigns", "list", "--json"])[0]["id"]
        .as_str()
        .expect("the campaign's id")
        .to_string();
    eventually(WAIT, "the broken variant is saved", async || {
        let saved = cli(
            data.path(),
            &["variants", "list", "--campaign", &campaign, "--json"],
        );
        match saved.as_array() {
            Some(v) if v.iter().any(|v| v["body"] == broken.as_str()) => Ok(()),
            _ => Err(format!("saved: {saved}")),
        }
    })
    .await;
    click(&client, "#campaign-back").await;
    wait_for_listed(&client, "Sourdough week").await;
    click(&client, "#campaign-list .campaign-open").await;
    let deadline = Instant::now() + WAIT;
    loop {
        let texts = variant_texts(&client).await;
        if texts.iter().any(|(p, t)| p == "variants-x" && *t == broken) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the edit was not saved: {texts:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    shots.shot(&client, "33-variant-saved").await;

    // YouTube needs a video: the check says so until one is attached.
    let yt = find(&client, "#variants-youtube .variant-card[data-id]").await;
    let deadline = Instant::now() + WAIT;
    loop {
        let text = yt.text().await.expect("card text");
        if text.contains("YouTube posts need a video") {
            break;
        }
        assert!(Instant::now() < deadline, "no media check: {text}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    // Drop an image on the second X variant (the webview gets the bytes,
    // as from a file manager): its thumbnail appears, read from the bytes.
    const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
    let dropped = client
        .execute(
            "const [b64, name] = arguments;
             const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
             const dt = new DataTransfer();
             dt.items.add(new File([bytes], name));
             const cards = document.querySelectorAll('#variants-x .variant-card[data-id]');
             const target = cards[cards.length - 1];
             target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
             return target.getAttribute('data-id');",
            vec![json!(PNG_1X1), json!("pixel.png")],
        )
        .await
        .expect("drop a file");
    let target = dropped.as_str().expect("the card's id").to_string();
    let css = format!(".variant-card[data-id='{target}'] .attachment img.thumb");
    let thumb = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&css))
        .await
        .expect("a thumbnail appears");
    let src = thumb.attr("src").await.expect("src").unwrap_or_default();
    assert!(src.starts_with("data:image/png;base64,"), "{src}");
    let caption = find(
        &client,
        &format!(".variant-card[data-id='{target}'] .attachment figcaption"),
    )
    .await
    .text()
    .await
    .expect("caption");
    assert!(
        caption.contains("pixel.png") && caption.contains("image/png") && caption.contains("1x1"),
        "{caption}"
    );
    shots.shot(&client, "34-media-dropped").await;
    client.close().await.expect("quit the app");
}

/// The value of the `n`th (0-based) unsaved X card's text box.
async fn unsaved_x_text(client: &Client, n: usize) -> String {
    let areas = client
        .find_all(Locator::Css(
            "#variants-x .variant-card:not([data-id]) textarea",
        ))
        .await
        .expect("find");
    match areas.get(n) {
        Some(a) => a.prop("value").await.expect("value").unwrap_or_default(),
        None => panic!("no unsaved card {n} (found {})", areas.len()),
    }
}

async fn active_id(client: &Client) -> String {
    client
        .active_element()
        .await
        .expect("active element")
        .attr("id")
        .await
        .expect("id")
        .unwrap_or_default()
}

/// What a new user hit in their first hour: typing a name after a failed
/// submit sent the keys to a checkbox; Generate with no AI left a silent
/// waiting job; a second hand-written card blanked the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_users_typing_is_kept_and_no_ai_points_to_settings() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let driver = start_driver(data.path(), &[]);
    let shots = Artifacts::new();
    let client = launch(&driver).await;

    // The first screen says what to do first (once the campaign list,
    // empty, has loaded).
    let welcome = wait_for(&client, "#getting-started", "the getting-started card")
        .await
        .text()
        .await
        .expect("text");
    assert!(welcome.contains("Create a draft campaign"), "{welcome}");
    find(&client, "#getting-started #start-ai").await;
    find(&client, "#getting-started #start-accounts").await;

    // Submit the empty form, then fix the name: focus stays in the name.
    click(&client, "#campaign-submit").await;
    wait_for(&client, "#campaign-name-error", "the name error shows").await;
    find(&client, "#campaign-name")
        .await
        .send_keys("Spring sale")
        .await
        .expect("type name");
    // Every key landed in the name, which keeps the focus.
    eventually(
        WAIT,
        "the name holds what was typed, with focus",
        async || {
            let name = find(&client, "#campaign-name")
                .await
                .prop("value")
                .await
                .expect("value")
                .unwrap_or_default();
            let focused = active_id(&client).await;
            if name == "Spring sale" && focused == "campaign-name" {
                Ok(())
            } else {
                Err(format!("name {name:?}, focus on {focused:?}"))
            }
        },
    )
    .await;
    let x_checked = find(&client, "#platform-x")
        .await
        .prop("checked")
        .await
        .expect("checked");
    assert_ne!(x_checked.as_deref(), Some("true"), "spaces toggled X");
    shots.shot(&client, "40-name-kept-after-error").await;
    click(&client, "#platform-x").await;
    click(&client, "#campaign-submit").await;
    wait_for_listed(&client, "Spring sale").await;
    assert!(
        client.find(Locator::Css("#getting-started")).await.is_err(),
        "the welcome steps go once there is a campaign"
    );
    click(&client, "#campaign-list .campaign-open").await;
    wait_for(&client, "#page-campaign #generate", "the campaign opens").await;

    // Generate without an AI endpoint: where to set one up, no silent job.
    click(&client, "#generate").await;
    let error = wait_for(&client, "#campaign-error", "an error shows")
        .await
        .text()
        .await
        .expect("text");
    assert!(error.contains("Settings → AI"), "{error}");
    find(&client, "#campaign-error .ai-setup-link").await;
    assert!(
        client
            .find(Locator::Css("#generation-status"))
            .await
            .is_err(),
        "no job is left waiting"
    );
    shots.shot(&client, "41-generate-without-ai").await;

    // Two hand-written cards: each keeps its own text.
    click(&client, "#add-variant-x").await;
    let first = find(&client, "#variants-x .variant-card:not([data-id]) textarea").await;
    first
        .send_keys("First idea, not saved")
        .await
        .expect("type");
    click(&client, "#add-variant-x").await;
    // Once the second card shows, the first has been drawn again.
    eventually(WAIT, "a second unsaved card shows", async || {
        let n = client
            .find_all(Locator::Css(
                "#variants-x .variant-card:not([data-id]) textarea",
            ))
            .await
            .map(|v| v.len())
            .unwrap_or(0);
        if n == 2 {
            Ok(())
        } else {
            Err(format!("{n} unsaved cards"))
        }
    })
    .await;
    assert_eq!(unsaved_x_text(&client, 0).await, "First idea, not saved");
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for a in client
            .find_all(Locator::Css("#variants-x textarea"))
            .await
            .expect("find")
        {
            ids.push(a.attr("id").await.expect("id").unwrap_or_default());
        }
        ids
    };
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1], "each card's box has its own id: {ids:?}");
    let cards = client
        .find_all(Locator::Css("#variants-x .variant-card:not([data-id])"))
        .await
        .expect("cards");
    let second = cards[1].find(Locator::Css("textarea")).await.expect("area");
    second.send_keys("Second idea, saved").await.expect("type");
    cards[1]
        .find(Locator::Css(".save-variant"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click save");
    let deadline = Instant::now() + WAIT;
    loop {
        let texts = variant_texts(&client).await;
        if texts.iter().any(|(_, t)| t == "Second idea, saved")
            && client
                .find(Locator::Css("#variants-x .variant-card[data-id]"))
                .await
                .is_ok()
        {
            break;
        }
        assert!(Instant::now() < deadline, "not saved: {texts:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_eq!(
        unsaved_x_text(&client, 0).await,
        "First idea, not saved",
        "saving another card kept this one's text"
    );
    shots.shot(&client, "42-unsaved-text-kept").await;

    // The way to the fix: Settings. The unsaved first card makes the app
    // ask first: staying keeps it, leaving is the user's choice.
    click(&client, "#campaign-error .ai-setup-link").await;
    let asked = wait_for(&client, "#leave-question", "the app asks before leaving")
        .await
        .text()
        .await
        .expect("text");
    assert!(asked.contains("unsaved changes"), "{asked}");
    shots.shot(&client, "43-leave-question").await;
    click(&client, "#leave-stay").await;
    wait_for_gone(&client, "#leave-question", "the question closes").await;
    assert_eq!(unsaved_x_text(&client, 0).await, "First idea, not saved");
    click(&client, "#campaign-error .ai-setup-link").await;
    click(&client, "#leave-anyway").await;
    wait_for(&client, "#page-settings #ai-base-url", "Settings opens").await;
    eventually(
        WAIT,
        "the AI address takes the focus",
        async || match active_id(&client).await {
            id if id == "ai-base-url" => Ok(()),
            id => Err(format!("focus on {id:?}")),
        },
    )
    .await;
    shots.shot(&client, "44-settings-ai").await;
}

/// Text typed into "New draft campaign" is not lost without a question
/// when the user goes to another page: Stay keeps it; once created, the
/// page can be left freely.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_written_campaign_asks_before_the_page_is_left() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let driver = start_driver(data.path(), &[]);
    let client = launch(&driver).await;
    find(&client, "#campaign-name")
        .await
        .send_keys("Half written")
        .await
        .expect("type");
    click(&client, "#nav-calendar").await;
    wait_for(&client, "#leave-question", "the app asks before leaving").await;
    click(&client, "#leave-stay").await;
    wait_for_gone(&client, "#leave-question", "the question closes").await;
    let kept = find(&client, "#campaign-name")
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert_eq!(kept, "Half written", "Stay keeps the text");
    click(&client, "#platform-sandbox").await;
    click(&client, "#campaign-submit").await;
    wait_for_text(
        &client,
        "#campaign-created",
        "Created the draft \u{201c}Half written\u{201d}",
    )
    .await;
    wait_for_listed(&client, "Half written").await;
    click(&client, "#nav-calendar").await;
    wait_for(
        &client,
        "#page-calendar",
        "created: the page is left without a question",
    )
    .await;
    client.close().await.expect("quit the app");
}
