//! The Analytics page and a post by age.

use super::*;

/// With a Sandbox campaign publishing (its audience 900 times faster), the
/// Analytics page's figures change on screen without a click; filtering by
/// platform narrows them; the CSV behind Export has the post's row.
#[tokio::test]
async fn analytics_update_by_themselves_filter_and_export() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let d = data.path();
    let campaign = a_sandbox_post_due_soon(d, "Live figures");
    let env = [
        ("REACHLOOP_PUBLISH_INTERVAL_SECS", "2".to_string()),
        ("REACHLOOP_SANDBOX_FAILURE_RATE", "0".to_string()),
        ("REACHLOOP_SANDBOX_SPEEDUP", "900".to_string()),
    ];
    let driver = start_driver(d, &env);
    let shots = Artifacts::new();
    let client = launch(&driver).await;
    click(&client, "#nav-analytics").await;
    wait_for(&client, "#page-analytics #kpi-posts", "the Analytics page").await;
    shots.shot(&client, "70-analytics-before").await;

    // The post goes out and its figures arrive and grow, with no click.
    let reach = || async {
        text_of(&client, "#kpi-reach .kpi-value")
            .await
            .replace(',', "")
            .parse::<u64>()
            .ok()
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    let first = loop {
        if let Some(r) = reach().await.filter(|r| *r > 0) {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "no figures arrived: {:?}",
            text_of(&client, "#page-analytics").await
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    shots.shot(&client, "71-analytics-first-figures").await;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if reach().await.is_some_and(|r| r > first) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the figures never grew past {first}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(text_of(&client, "#fetched-at").await.contains("fetched"));
    assert!(text_of(&client, "#by-variant").await.contains("Warm bread"));
    shots.shot(&client, "72-analytics-grown").await;
    // The best-time heat map: every hour of the week, the post in its hour.
    let cells = client
        .find_all(Locator::Css("#heatmap td.heat"))
        .await
        .expect("heat map cells");
    assert_eq!(cells.len(), 168);
    let with_posts = client
        .find_all(Locator::Css("#heatmap td[data-posts='1']"))
        .await
        .expect("cells");
    assert_eq!(with_posts.len(), 1);
    client
        .execute(
            "document.getElementById('heatmap').scrollIntoView()",
            vec![],
        )
        .await
        .expect("scroll");
    shots.shot(&client, "73-analytics-heatmap").await;

    // Only X: nothing published there.
    click(&client, "#filter-x").await;
    wait_for_text(&client, "#kpi-posts .kpi-value", "0").await;
    assert_eq!(text_of(&client, "#kpi-reach .kpi-value").await, "—");
    shots.shot(&client, "74-analytics-only-x").await;
    click(&client, "#filter-x").await;
    click(&client, "#filter-sandbox").await;
    wait_for_text(&client, "#kpi-posts .kpi-value", "1").await;
    assert!(text_of(&client, "#by-platform").await.contains("Sandbox"));

    // Export needs a campaign; the report behind it has the post's rows.
    click(&client, "#filter-campaign").await;
    client
        .find(Locator::Css(&format!(
            "#filter-campaign option[value='{campaign}']"
        )))
        .await
        .expect("the campaign is listed")
        .click()
        .await
        .expect("pick it");
    let deadline = Instant::now() + WAIT;
    while !find(&client, "#export-csv")
        .await
        .is_enabled()
        .await
        .unwrap_or(false)
    {
        assert!(Instant::now() < deadline, "Export CSV stayed disabled");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    shots.shot(&client, "75-analytics-campaign").await;
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_reachloop")).with_file_name("reachloop-cli");
    let report = Command::new(bin)
        .env("REACHLOOP_DATA_DIR", d)
        .args(["report", "csv", "--campaign", &campaign])
        .output()
        .expect("report");
    let text = String::from_utf8_lossy(&report.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("row,platform,variant_id,variant,posts,reach"),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("variant,sandbox,")
            && l.contains("\"Warm bread, \"\"fresh\"\", at 7\",1,")),
        "{text}"
    );
    assert!(
        lines.last().is_some_and(|l| l.starts_with("total,,,,1,")),
        "{text}"
    );

    // The post's figures by age in its detail (the Sandbox lives 900×
    // faster: an hour is 4 s), next to its campaign's others (none yet).
    click(&client, "#nav-calendar").await;
    wait_for(
        &client,
        "#calendar-grid .post.published",
        "the published post",
    )
    .await;
    client
        .execute(
            "document.querySelector('#calendar-grid .post.published').click();",
            vec![],
        )
        .await
        .expect("open the post");
    wait_for(&client, "#post-ages", "the post by age").await;
    let one_hour = "#post-ages tr[data-age='60'] td.reach";
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let cell = text_of(&client, one_hour).await.replace(',', "");
        if cell.parse::<u64>().is_ok_and(|r| r > 0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no reading at 1 h: {:?}",
            text_of(&client, "#post-history").await
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        text_of(&client, "#post-ages tr[data-age='43200'] td.reach").await,
        "not yet"
    );
    assert!(text_of(&client, "#post-history-compared")
        .await
        .contains("No other Sandbox post"));
    wait_for(&client, "#post-history-chart", "its chart").await;
    client
        .execute(
            "document.getElementById('post-history').scrollIntoView()",
            vec![],
        )
        .await
        .expect("scroll");
    shots.shot(&client, "76-post-by-age").await;
    // Its chart as PNG, as Export (PNG) draws it, kept with the screens.
    let post = find(&client, "#post-detail")
        .await
        .attr("data-id")
        .await
        .expect("attr")
        .expect("an id");
    let png = shots.0.join("77-post-by-age-chart.png");
    let saved = Command::new(
        std::path::Path::new(env!("CARGO_BIN_EXE_reachloop")).with_file_name("reachloop-cli"),
    )
    .env("REACHLOOP_DATA_DIR", d)
    .env("REACHLOOP_SANDBOX_SPEEDUP", "900")
    .args(["report", "post", &post, "--chart"])
    .arg(&png)
    .output()
    .expect("report post");
    assert!(
        saved.status.success(),
        "{}",
        String::from_utf8_lossy(&saved.stderr)
    );
    let bytes = std::fs::read(&png).expect("the PNG");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let table = String::from_utf8_lossy(&saved.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("1 h") && !l.contains("not yet")),
        "{table}"
    );
    client.close().await.expect("quit the app");
}
