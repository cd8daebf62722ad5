//! The Optimizer page on a campaign that has been learning for three days,
//! and a person's choice in the Calendar showing on the Activity page.

use super::*;

use chrono::{Duration, Utc};
use reachloop::collect::{self, Sources};
use reachloop::platforms::sandbox::{Sandbox, SandboxConfig};
use reachloop::platforms::sandbox_world::appeal;
use reachloop::publish::{self, Adapters};
use reachloop::store::Actor;

fn sandbox(seed: u64) -> SandboxConfig {
    SandboxConfig {
        seed: Some(seed),
        latency: std::time::Duration::ZERO,
        failure_rate: 0.0,
        lost_answer_rate: 0.0,
        unverifiable: false,
        rate_limit: None,
        speedup: 1.0,
    }
}

/// Three days of an optimized Sandbox schedule (a post every 30 minutes)
/// lived through on the core with a clock passed in, up to now: the
/// campaign's id, its variants' labels by id order, and the best variant's
/// first words.
async fn three_days_of_learning(d: &std::path::Path) -> (String, String) {
    use reachloop_ipc::{CampaignStatus, NewCampaign, NewSchedule, Platform, VariantText};
    let start = Utc::now() - Duration::days(3);
    let app = reachloop::App::open(d).await.expect("open");
    let account = app
        .connect_sandbox(start, "Shop")
        .await
        .expect("sandbox")
        .id;
    let campaign = app
        .create_campaign(
            start,
            uuid_v4(),
            Actor::User,
            &NewCampaign {
                name: "Scarves".into(),
                platforms: vec!["sandbox".into()],
                goal: "engagement".into(),
                ..Default::default()
            },
        )
        .await
        .expect("campaign")
        .id;
    let bodies = [
        "Our autumn sale starts today",
        "Half price on every scarf until Sunday",
        "Cold outside? Warm deals inside",
    ];
    let mut variants = Vec::new();
    for body in bodies {
        let v = app
            .add_variant(
                start,
                &campaign,
                Platform::Sandbox,
                &VariantText {
                    title: None,
                    body: body.into(),
                },
                Actor::User,
            )
            .await
            .expect("variant");
        variants.push((v.id, body));
    }
    app.set_campaign_status(start, &campaign, Actor::User, CampaignStatus::Active)
        .await
        .expect("active");
    // A world where one variant clearly leads.
    let seed = (1..1000u64)
        .find(|s| {
            let mut a: Vec<f64> = variants.iter().map(|(v, _)| appeal(*s, v)).collect();
            a.sort_by(|x, y| y.total_cmp(x));
            a[0] > 1.3 * a[1]
        })
        .expect("a seed");
    app.set_sandbox_seed(start, Actor::User, &seed.to_string())
        .await
        .expect("seed");
    app.create_schedule(
        start,
        Actor::User,
        &NewSchedule {
            campaign_id: campaign.clone(),
            platform: "sandbox".into(),
            account_id: account,
            cron: Some("*/30 * * * *".into()),
            time_zone: "UTC".into(),
            use_optimizer: true,
            ..NewSchedule::default()
        },
        "UTC",
    )
    .await
    .expect("schedule");
    let mut now = start + Duration::minutes(1);
    while now < Utc::now() - Duration::minutes(20) {
        let at = now;
        let clock = move || at;
        app.plan_all(now).await.expect("plan");
        let adapters = Adapters(vec![Box::new(Sandbox::new(
            app.store().clone(),
            sandbox(seed),
        ))]);
        publish::round(
            app.store(),
            &adapters,
            "seed",
            &clock,
            Duration::hours(2),
            50,
        )
        .await
        .expect("publish");
        let sources = Sources(vec![Box::new(Sandbox::new(
            app.store().clone(),
            sandbox(seed),
        ))]);
        collect::round(app.store(), &sources, &clock, 2000)
            .await
            .expect("collect");
        now += Duration::minutes(30);
    }
    let best = variants
        .iter()
        .max_by(|a, b| appeal(seed, &a.0).total_cmp(&appeal(seed, &b.0)))
        .map(|(_, body)| (*body).to_string())
        .expect("best");
    app.store().clone().close().await;
    (campaign, best)
}

fn uuid_v4() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}

/// The page shows each variant's chance of being best and of being chosen
/// next, the exploration share and the decisions' rationale; the winner
/// is named; a variant picked for a post in the Calendar is on the
/// Activity page beside what the optimizer would have chosen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_optimizer_page_explains_its_choices_and_a_person_overrides_one() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let d = data.path();
    let (campaign, best) = three_days_of_learning(d).await;
    let driver = start_driver(d, &[]);
    let shots = Artifacts::new();
    let client = launch(&driver).await;

    click(&client, "#nav-optimizer").await;
    wait_for(
        &client,
        "#optimizer-sandbox",
        "the campaign's Sandbox panel",
    )
    .await;
    let rows = text_of(&client, "#optimizer-variants-sandbox tbody").await;
    assert!(rows.contains(&best), "{rows}");
    let leader = client
        .execute(
            "const rows = [...document.querySelectorAll('#optimizer-variants-sandbox tbody tr')];
             const p = r => parseFloat(r.querySelector('.p-best').textContent) || 0;
             return rows.sort((a, b) => p(b) - p(a))[0].querySelector('th').textContent;",
            vec![],
        )
        .await
        .expect("leader");
    assert!(
        leader.as_str().is_some_and(|l| l.contains(&best)),
        "the best variant has the highest chance: {leader:?}"
    );
    wait_for_text(&client, "#exploration-sandbox", "Exploring:").await;
    wait_for_text(&client, "#decisions-sandbox", "highest sampled engagement").await;
    wait_for_text(&client, "#verdict-sandbox", "is best with").await;
    wait_for(
        &client,
        "#retire-losers-sandbox",
        "the offer to retire the others",
    )
    .await;
    wait_for(&client, "#optimizer-chart-sandbox", "the chart").await;
    shots.shot(&client, "93-optimizer-page").await;

    // A person picks a variant for an upcoming post in the Calendar.
    click(&client, "#nav-calendar").await;
    wait_for(&client, "#calendar-grid .post.scheduled", "upcoming posts").await;
    client
        .execute(
            "document.querySelectorAll('#calendar-grid .post.scheduled')[3].click();",
            vec![],
        )
        .await
        .expect("open a post");
    wait_for(&client, "#post-detail #post-variant", "the post opens").await;
    client
        .execute(
            "const s = document.querySelector('#post-variant');
             const o = [...s.options].find(o => o.text.startsWith('Cold outside'));
             s.value = o.value; s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .expect("pick");
    click(&client, "#post-pick-variant").await;
    wait_for_text(&client, "#post-detail-variant", "Cold outside").await;

    // The Activity page has it, in words, beside the optimizer's choice.
    click(&client, "#nav-activity").await;
    wait_for_text(&client, "#audit-list", "Optimizer overridden").await;
    wait_for_text(&client, "#audit-list", "chosen by you").await;
    wait_for_text(&client, "#audit-list", "the optimizer would have chosen").await;
    // Filtered to people's choices in this campaign: the override, not the
    // optimizer's own decisions.
    client
        .execute(
            "const s = document.querySelector('#activity-who');
             s.value = 'people'; s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .expect("filter");
    eventually(WAIT, "only people's entries are listed", async || {
        let t = text_of(&client, "#audit-list").await;
        if t.contains("chosen by you") && !t.contains("Optimizer decided") {
            Ok(())
        } else {
            Err(t)
        }
    })
    .await;
    shots.shot(&client, "94-override-on-activity").await;
    // And on the Optimizer page's decisions.
    click(&client, "#nav-optimizer").await;
    wait_for_text(&client, "#decisions-sandbox", "chosen by you").await;

    // Retiring the losers leaves the winner alone to choose.
    click(&client, "#retire-losers-sandbox").await;
    wait_for_text(&client, "#optimizer-result", "Retired").await;
    let listed = cli(d, &["variants", "list", "--campaign", &campaign, "--json"]);
    let live: Vec<&str> = listed
        .as_array()
        .expect("variants")
        .iter()
        .filter(|v| v["archived"] != true)
        .filter_map(|v| v["body"].as_str())
        .collect();
    assert_eq!(live, [best.as_str()], "{listed}");
    shots.shot(&client, "95-losers-retired").await;
    client.close().await.expect("quit the app");
}
