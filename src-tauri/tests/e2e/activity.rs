//! What a user reads instead of ids: accounts by names they choose (never
//! two alike), and the Activity page's entries by campaign, post time and
//! variant, each post's entry opening it in the Calendar, live.

use super::*;

/// Rename the Sandbox account with the keyboard; a second Sandbox account
/// gets a name of its own, and taking the first one's is refused with the
/// typing kept. Then a post skipped from the shell shows on the Activity
/// page at once, by campaign, time and account, and opens in the Calendar.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_have_names_and_activity_says_what_each_entry_is_about() {
    use fantoccini::key::Key;
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let d = data.path();
    let (campaign, account) = a_sandbox_campaign(d, "Winter loaves");
    schedule_once(
        d,
        &campaign,
        &account,
        chrono::Utc::now() + chrono::Duration::days(2),
    );
    let driver = start_driver(d, &[]);
    let shots = Artifacts::new();
    let client = launch(&driver).await;

    click(&client, "#nav-accounts").await;
    let rename = format!("tr[data-id='{account}'] .account-rename");
    wait_for(&client, &rename, "the account is listed").await;
    click(&client, &rename).await;
    let field = wait_for(
        &client,
        &format!("#account-name-{account}"),
        "the name field",
    )
    .await;
    clear_field(&field).await;
    field
        .send_keys(&format!("Bakery front{}", char::from(Key::Enter)))
        .await
        .expect("type");
    wait_for_text(
        &client,
        &format!("tr[data-id='{account}'] .account-name"),
        "Bakery front",
    )
    .await;

    // More Sandbox accounts: each a name of its own, never a copy.
    click(&client, "#connect-sandbox").await;
    wait_for_text(&client, "#account-list", "@sandbox").await;
    click(&client, "#connect-sandbox").await;
    wait_for_text(&client, "#account-list", "Sandbox 2").await;
    let listed = cli(d, &["accounts", "list", "--json"]);
    let names: Vec<&str> = listed
        .as_array()
        .expect("accounts")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names.len(), 3);
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 3, "no two alike: {names:?}");
    let other = listed
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["handle"] == "@sandbox")
        .and_then(|a| a["id"].as_str())
        .expect("the Sandbox account")
        .to_string();
    click(&client, &format!("tr[data-id='{other}'] .account-rename")).await;
    let field = wait_for(&client, &format!("#account-name-{other}"), "the name field").await;
    clear_field(&field).await;
    field
        .send_keys(&format!("bakery FRONT{}", char::from(Key::Enter)))
        .await
        .expect("type");
    wait_for_text(
        &client,
        &format!("tr[data-id='{other}'] .field-error"),
        "already called",
    )
    .await;
    let kept = find(&client, &format!("#account-name-{other}"))
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert_eq!(kept, "bakery FRONT", "the refused name stays to be fixed");
    shots.shot(&client, "14-account-name-taken").await;
    find(&client, &format!("#account-name-{other}"))
        .await
        .send_keys(&char::from(Key::Escape).to_string())
        .await
        .expect("escape");
    wait_for_text(
        &client,
        &format!("tr[data-id='{other}'] .account-name"),
        "Sandbox",
    )
    .await;

    // The Activity page follows what happens, by name.
    click(&client, "#nav-activity").await;
    wait_for_text(&client, "#audit-list", "Bakery front").await;
    let posts = cli(d, &["posts", "list", "--json"]);
    let post = posts[0]["id"].as_str().expect("a post").to_string();
    cli(d, &["posts", "override", &post, "--skip"]);
    let entry = format!("#audit-list .audit-open-post[data-post='{post}']");
    wait_for(&client, &entry, "the skip shows, live").await;
    let row = text_of(&client, "#audit-list .audit-entry").await;
    assert!(
        row.contains("Winter loaves")
            && row.contains("Sandbox post of")
            && row.contains("Bakery front (@bakery)"),
        "the newest entry names campaign, post and account: {row}"
    );
    assert!(!row.contains(&post), "no raw id: {row}");
    shots.shot(&client, "15-activity-in-words").await;
    click(&client, &entry).await;
    wait_for(
        &client,
        &format!("#page-calendar #post-detail[data-id='{post}']"),
        "the post opens in the Calendar",
    )
    .await;
    shots.shot(&client, "16-activity-opened-the-post").await;
    client.close().await.expect("quit the app");
}
