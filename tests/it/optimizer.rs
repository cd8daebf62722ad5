//! The optimizer in the app: on a Sandbox campaign whose variants differ in
//! appeal, over simulated days (a clock passed in, no waiting), posts go
//! more and more to the best variant; its state rebuilt from the snapshots
//! equals the state kept; a person's choice is respected and logged beside
//! the optimizer's; a decision and its attempt are written together.

use chrono::{DateTime, Duration, TimeZone, Utc};
use reachloop::collect::{self, Sources};
use reachloop::platforms::sandbox::{Sandbox, SandboxConfig};
use reachloop::platforms::sandbox_world::appeal;
use reachloop::publish::{self, Adapters};
use reachloop::store::Actor;
use reachloop::App;
use reachloop_ipc::{NewSchedule, Platform, PostChange};

use crate::data_dir;

const GRACE: Duration = Duration::hours(2);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0)
        .single()
        .expect("t0")
}

fn config(seed: u64) -> SandboxConfig {
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

struct World {
    app: App,
    campaign: String,
    variants: Vec<String>,
    account: String,
    seed: u64,
}

/// A Sandbox campaign (goal engagement) with three variants and an
/// optimized schedule every 30 minutes from `t0`; the Sandbox's seed is
/// picked so that one variant's appeal clearly leads (1.3× the next).
async fn world(dir: &std::path::Path) -> World {
    let app = App::open(dir).await.expect("open");
    let account = app.connect_sandbox(t0(), "Shop").await.expect("sandbox").id;
    let (campaign, variants) = crate::active_campaign_for(
        &app,
        t0(),
        "Learn",
        Platform::Sandbox,
        "engagement",
        &[
            "Our autumn sale starts today",
            "Half price on every scarf until Sunday",
            "Cold outside? Warm deals inside",
        ],
    )
    .await;
    let seed = (1..1000u64)
        .find(|s| {
            let mut a: Vec<f64> = variants.iter().map(|v| appeal(*s, v)).collect();
            a.sort_by(|x, y| y.total_cmp(x));
            a[0] > 1.3 * a[1]
        })
        .expect("a seed with a clear leader");
    app.create_schedule(
        t0(),
        Actor::User,
        &NewSchedule {
            campaign_id: campaign.clone(),
            platform: "sandbox".into(),
            account_id: account.clone(),
            cron: Some("*/30 * * * *".into()),
            time_zone: "UTC".into(),
            use_optimizer: true,
            ..NewSchedule::default()
        },
        "UTC",
    )
    .await
    .expect("schedule");
    World {
        app,
        campaign,
        variants,
        account,
        seed,
    }
}

impl World {
    fn best(&self) -> &str {
        self.variants
            .iter()
            .max_by(|a, b| appeal(self.seed, a).total_cmp(&appeal(self.seed, b)))
            .expect("variants")
    }

    /// Plans, publishes and collects at `now`, as the app's loops do.
    async fn tick(&self, now: DateTime<Utc>) {
        let clock = move || now;
        self.app.plan_all(now).await.expect("plan");
        let adapters = Adapters(vec![Box::new(Sandbox::new(
            self.app.store().clone(),
            config(self.seed),
        ))]);
        publish::round(self.app.store(), &adapters, "app", &clock, GRACE, 50)
            .await
            .expect("publish");
        let sources = Sources(vec![Box::new(Sandbox::new(
            self.app.store().clone(),
            config(self.seed),
        ))]);
        collect::round(self.app.store(), &sources, &clock, 2000)
            .await
            .expect("collect");
    }

    /// The published posts' variants, oldest first.
    async fn published(&self) -> Vec<String> {
        let mut posts = self.app.list_posts(Some("published")).await.expect("posts");
        posts.sort_by(|a, b| a.scheduled_at.cmp(&b.scheduled_at));
        posts.into_iter().filter_map(|p| p.variant_id).collect()
    }
}

fn share(of: &[String], best: &str) -> f64 {
    of.iter().filter(|v| *v == best).count() as f64 / of.len().max(1) as f64
}

#[tokio::test]
async fn the_share_of_posts_going_to_the_best_variant_rises_and_the_state_rebuilds_the_same() {
    let dir = data_dir();
    let w = world(dir.path()).await;
    // Three days, a post every 30 minutes (figures count at a day's age).
    let ticks = 3 * 48;
    for i in 0..ticks {
        w.tick(t0() + Duration::minutes(30 * i + 1)).await;
    }
    let end = t0() + Duration::minutes(30 * ticks + 1);
    let published = w.published().await;
    assert_eq!(published.len(), ticks as usize, "every slot went out once");
    let (first, last) = (&published[..48], &published[published.len() - 48..]);
    let (early, late) = (share(first, w.best()), share(last, w.best()));
    eprintln!(
        "best variant's share: {early:.2} of the first day's posts, {late:.2} of the last day's"
    );
    assert!(
        late >= 0.7 && late > early + 0.25,
        "the best variant's share should rise: {early:.2} of the first day's posts, {late:.2} of the last day's"
    );

    // Every post has its decision, naming the variant it went out with.
    let decisions = w
        .app
        .optimizer_decisions(&w.campaign, 10_000, end)
        .await
        .expect("decisions");
    assert_eq!(decisions.len(), ticks as usize);
    assert!(decisions.iter().all(|d| d.actor == "optimizer"));
    assert!(decisions
        .iter()
        .any(|d| d.rationale.contains("highest sampled engagement")));
    assert!(decisions
        .iter()
        .any(|d| d.rationale.contains("explored: only 0 of the 2 posts")));

    // The page: the best variant leads, most likely chosen next.
    let view = w.app.optimizer_view(&w.campaign, end).await.expect("view");
    let p = &view.platforms[0];
    assert!(p.optimized);
    let lead = p
        .variants
        .iter()
        .max_by(|a, b| a.p_best.total_cmp(&b.p_best))
        .expect("variants");
    assert_eq!(lead.variant_id, w.best(), "{p:#?}");
    assert!(lead.posts > 20 && lead.estimate.is_some(), "{lead:?}");
    assert!(p
        .exploration_share
        .is_some_and(|e| (0.0..=1.0).contains(&e)));
    assert!(p.chart_svg.starts_with("<svg"));
    // A clear leader after three days is named a winner, the others losers.
    assert_eq!(
        p.verdict.winner.as_deref(),
        Some(w.best()),
        "{:?}",
        p.verdict
    );
    assert_eq!(p.verdict.losers.len(), 2);
    assert!(
        p.verdict.words.contains("could be retired"),
        "{}",
        p.verdict.words
    );
    let retired = w
        .app
        .retire_losers(end, Actor::User, &w.campaign, Platform::Sandbox)
        .await
        .expect("retire");
    assert_eq!(retired.len(), 2);
    let after = w.app.optimizer_view(&w.campaign, end).await.expect("view");
    let live: Vec<_> = after.platforms[0]
        .variants
        .iter()
        .filter(|v| !v.retired)
        .map(|v| v.variant_id.as_str())
        .collect();
    assert_eq!(live, [w.best()]);

    // The state kept incrementally equals the state rebuilt from the
    // snapshots.
    let kept = w
        .app
        .store()
        .optimizer_evidence(&w.campaign, "sandbox", end - Duration::days(7))
        .await
        .expect("kept")
        .expect("campaign");
    assert!(kept.observations.len() > 80, "{}", kept.observations.len());
    let counted = w
        .app
        .rebuild_optimizer(&w.campaign, end)
        .await
        .expect("rebuild");
    let rebuilt = w
        .app
        .store()
        .optimizer_evidence(&w.campaign, "sandbox", end - Duration::days(7))
        .await
        .expect("rebuilt")
        .expect("campaign");
    assert_eq!(counted, kept.observations.len());
    assert_eq!(rebuilt.observations, kept.observations);
    assert_eq!(rebuilt.pending, kept.pending);
}

#[tokio::test]
async fn a_persons_choice_is_kept_and_logged_beside_the_optimizers() {
    let dir = data_dir();
    let w = world(dir.path()).await;
    let now = t0() + Duration::minutes(1);
    w.app.plan_all(now).await.expect("plan");
    let mut upcoming = w.app.list_posts(Some("scheduled")).await.expect("posts");
    upcoming.sort_by(|a, b| a.scheduled_at.cmp(&b.scheduled_at));
    let third = &w.variants[2];
    let post = w
        .app
        .change_post(
            now,
            Actor::User,
            &PostChange {
                post_id: upcoming[0].id.clone(),
                action: "variant".into(),
                variant_id: Some(third.clone()),
                ..PostChange::default()
            },
        )
        .await
        .expect("override");
    w.tick(t0() + Duration::minutes(1)).await;
    let sent = w
        .app
        .list_posts(Some("published"))
        .await
        .expect("published");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].variant_id.as_deref(), Some(third.as_str()));
    // What the next post to this account must not repeat on X or Facebook.
    assert_eq!(
        w.app
            .store()
            .last_sent_variant(&w.account, "sandbox")
            .await
            .expect("last"),
        Some(third.clone())
    );
    assert_eq!(
        w.app
            .store()
            .last_sent_variant(&w.account, "x")
            .await
            .expect("last"),
        None
    );
    let decisions = w
        .app
        .optimizer_decisions(&w.campaign, 10, now)
        .await
        .expect("decisions");
    // The person's choice only: the publisher did not decide for this post.
    assert_eq!(decisions.len(), 1, "{decisions:#?}");
    let d = &decisions[0];
    assert_eq!(
        (d.actor.as_str(), d.post_id.as_deref()),
        ("user", Some(post.id.as_str()))
    );
    assert_eq!(d.user_choice.as_deref(), Some("v3"));
    assert_eq!(d.chosen.as_deref(), Some("v1"), "cold start: v1 first");
    assert!(
        d.rationale.starts_with("v3 chosen by you"),
        "{}",
        d.rationale
    );
    assert!(d.rationale.contains("the optimizer would have chosen v1"));
    let audit = w.app.recent_audit(50).await.expect("audit");
    assert!(audit
        .iter()
        .any(|e| e.action == "optimizer.overridden" && e.actor == "user"));

    // Later posts are the optimizer's again, each audited as its decision.
    w.tick(t0() + Duration::minutes(31)).await;
    let audit = w.app.recent_audit(50).await.expect("audit");
    assert!(audit
        .iter()
        .any(|e| e.action == "optimizer.decided" && e.actor == "optimizer"));

    // The Activity page's filters: people's choices vs the optimizer's, per
    // campaign.
    let people = w
        .app
        .audit_entries(50, Some(&w.campaign), Some("people"))
        .await
        .expect("people");
    assert!(people.iter().all(|e| e.actor == "user" || e.actor == "cli"));
    assert!(people.iter().any(|e| e.action == "optimizer.overridden"));
    assert!(
        people.iter().any(|e| e.action == "campaign.created"),
        "{people:#?}"
    );
    let decided = w
        .app
        .audit_entries(50, Some(&w.campaign), Some("optimizer"))
        .await
        .expect("optimizer");
    assert!(!decided.is_empty());
    assert!(decided.iter().all(|e| e.action == "optimizer.decided"));
    let automated = w
        .app
        .audit_entries(200, Some(&w.campaign), Some("automated"))
        .await
        .expect("automated");
    assert!(automated.iter().any(|e| e.action == "post.attempt"));
    assert!(automated.iter().all(|e| e.actor != "user"));
    let elsewhere = w
        .app
        .audit_entries(50, Some("no-such-campaign"), None)
        .await
        .expect("none");
    assert!(elsewhere.is_empty(), "{elsewhere:#?}");
    let bad = w.app.audit_entries(50, None, Some("robots")).await;
    assert!(bad.is_err());
}

#[tokio::test]
async fn a_decision_and_its_attempt_are_written_together_or_not_at_all() {
    let dir = data_dir();
    let w = world(dir.path()).await;
    // The decision's write fails inside the attempt's transaction (as a
    // crash between the two would leave it): nothing of either is kept.
    let db = crate::db_path(dir.path());
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("db");
    sqlx::query(
        "CREATE TRIGGER no_decisions BEFORE INSERT ON optimizer_decisions
         BEGIN SELECT RAISE(ABORT, 'disk gone'); END",
    )
    .execute(&pool)
    .await
    .expect("trigger");
    let now = t0() + Duration::minutes(1);
    w.tick(now).await;
    let posts = w.app.list_posts(None).await.expect("posts");
    let first = posts
        .iter()
        .min_by(|a, b| a.scheduled_at.cmp(&b.scheduled_at))
        .expect("a post");
    assert_eq!(
        first.attempts, 0,
        "no attempt without its decision: {first:?}"
    );
    assert_eq!(first.variant_id, None, "no variant chosen either");
    assert_eq!(
        w.app
            .store()
            .sandbox_count(&w.account)
            .await
            .expect("count"),
        0,
        "nothing was sent"
    );
    assert!(w
        .app
        .optimizer_decisions(&w.campaign, 10, now)
        .await
        .expect("decisions")
        .is_empty());
    // Once writes work again, the post goes out with its decision.
    sqlx::query("DROP TRIGGER no_decisions")
        .execute(&pool)
        .await
        .expect("drop");
    pool.close().await;
    w.tick(now + Duration::minutes(10)).await;
    let sent = w
        .app
        .list_posts(Some("published"))
        .await
        .expect("published");
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let decisions = w
        .app
        .optimizer_decisions(&w.campaign, 10, now)
        .await
        .expect("decisions");
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].post_id.as_deref(), Some(sent[0].id.as_str()));
}
