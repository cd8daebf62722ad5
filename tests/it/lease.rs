//! Who may write a post's fate, and who may publish: an answer that comes
//! after its claim ran out (late), a round that outlasts the publisher
//! lease, and a publisher whose process is gone.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use reachloop::platforms::{Adapter, BoxFuture, Lookup, PublishError, PublishRequest, Receipt};
use reachloop::publish::{self, Adapters, Sent, Timing};
use reachloop::store::{Actor, ClaimedPost, Finish, Finisher};
use reachloop::App;
use reachloop_ipc::{NewSchedule, Platform};

use crate::{at, data_dir};

const CLAIM: Duration = Duration::minutes(2);
const GRACE: Duration = Duration::hours(2);

/// A Sandbox account and campaign with `n` one-off posts due from `first`.
async fn due_posts(app: &App, first: DateTime<Utc>, n: usize) -> String {
    let account = app
        .connect_sandbox(first - Duration::hours(1), "Late")
        .await
        .expect("account")
        .id;
    let campaign = crate::active_sandbox_campaign(
        app,
        first - Duration::hours(1),
        "Late",
        &["One text", "Another text"],
    )
    .await;
    for i in 0..n {
        app.create_schedule(
            first - Duration::hours(1),
            Actor::User,
            &NewSchedule {
                campaign_id: campaign.clone(),
                platform: "sandbox".into(),
                account_id: account.clone(),
                run_at: Some((first + Duration::seconds(i as i64)).to_rfc3339()),
                time_zone: "UTC".into(),
                ..NewSchedule::default()
            },
            "UTC",
        )
        .await
        .expect("schedule");
    }
    account
}

/// Claims the one due post as `who` and records an attempt on it.
async fn attempt(app: &App, now: DateTime<Utc>, who: &str) -> ClaimedPost {
    let claimed = app
        .store()
        .claim_due_posts(now, who, CLAIM, GRACE, 1)
        .await
        .expect("claim");
    let post = claimed.into_iter().next().expect("a due post");
    let started = app
        .store()
        .start_attempt(now, &post.id, who, None, &[])
        .await
        .expect("attempt");
    assert!(matches!(
        started,
        reachloop::store::AttemptStart::Started { .. }
    ));
    post
}

async fn post_status(app: &App, id: &str) -> reachloop_ipc::ScheduledPost {
    app.list_posts(None)
        .await
        .expect("posts")
        .into_iter()
        .find(|p| p.id == id)
        .expect("the post")
}

/// The claim on `post` runs out at `at` and a verifier finds nothing yet:
/// it is put back, to be sent again at `retry_at`.
async fn lapses_and_looks_absent(
    app: &App,
    post: &ClaimedPost,
    at: DateTime<Utc>,
    retry_at: DateTime<Utc>,
) {
    app.store().expire_leases(at).await.expect("expire");
    assert_eq!(
        post_status(app, &post.id).await.status,
        "needs_verification"
    );
    let f = app
        .store()
        .finish_unpublished(
            at,
            &post.id,
            Finisher::Verifier { attempts: 1 },
            "verified_absent",
            "absent",
            Some(retry_at),
        )
        .await
        .expect("absent");
    assert_eq!(f, Finish::Applied);
}

/// `owner`'s answer to attempt `attempts` of `post`, written down at `at`.
async fn answer(
    app: &App,
    owner: &str,
    post: &ClaimedPost,
    attempts: i64,
    said: Result<Receipt, PublishError>,
    at: DateTime<Utc>,
) -> Sent {
    publish::record_answer(
        app.store(),
        owner,
        post,
        attempts,
        said,
        &move || at,
        &timing(),
    )
    .await
    .expect("recorded")
}

fn timing() -> Timing {
    Timing {
        claim: CLAIM,
        ..Timing::default()
    }
}

fn receipt(id: &str) -> Receipt {
    Receipt {
        remote_id: id.into(),
        url: Some(format!("test://{id}")),
        limits: Vec::new(),
    }
}

#[tokio::test]
async fn a_late_refusal_is_dropped_and_never_undoes_what_came_after_it() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    due_posts(&app, at(9, 0), 1).await;
    let slow = attempt(&app, at(9, 0), "slow").await;
    // Its claim runs out; a verifier finds nothing yet and puts it back.
    lapses_and_looks_absent(&app, &slow, at(9, 5), at(9, 5)).await;
    // Another publisher sends it again and loses that answer.
    let t2 = at(9, 6);
    let again = attempt(&app, t2, "p1").await;
    app.store()
        .mark_needs_verification(t2, &again.id, "p1", "timeout")
        .await
        .expect("unclear");
    // Now the slow answer to the first attempt: a refusal. Whoever holds
    // the post decides: it stays to be verified (the second attempt may
    // have made it); put back to scheduled, it would be sent a third time.
    let refused = Err(PublishError::Retry {
        code: "busy".into(),
        message: "busy".into(),
    });
    let sent = answer(&app, "slow", &slow, 1, refused, at(9, 7)).await;
    assert_eq!(sent, Sent::Skipped);
    let p = post_status(&app, &slow.id).await;
    assert_eq!(p.status, "needs_verification", "{p:?}");
    assert_eq!(
        app.store()
            .claim_due_posts(at(9, 30), "p2", CLAIM, GRACE, 5)
            .await
            .expect("claim")
            .len(),
        0,
        "nothing to send again"
    );
    let audit = app.recent_audit(20).await.expect("audit");
    assert!(
        audit.iter().any(|a| a.action == "post.late_answer_dropped"
            && a.entity_id.as_deref() == Some(slow.id.as_str())),
        "{audit:?}"
    );
    // A late "unclear" is dropped the same way.
    let unclear = Err(PublishError::Unknown("timeout".into()));
    let sent = answer(&app, "slow", &slow, 1, unclear, at(9, 7)).await;
    assert_eq!(sent, Sent::Skipped);
}

#[tokio::test]
async fn a_late_success_is_the_truth_and_the_post_is_never_sent_again() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    due_posts(&app, at(9, 0), 1).await;
    let slow = attempt(&app, at(9, 0), "slow").await;
    // The platform lags: the verifier does not see it and schedules a retry.
    lapses_and_looks_absent(&app, &slow, at(9, 5), at(9, 10)).await;
    // The answer comes at last: it was made.
    let sent = answer(&app, "slow", &slow, 1, Ok(receipt("remote-1")), at(9, 6)).await;
    assert_eq!(sent, Sent::Published);
    let p = post_status(&app, &slow.id).await;
    assert_eq!(p.status, "published");
    assert!(
        app.store()
            .claim_due_posts(at(9, 30), "p1", CLAIM, GRACE, 5)
            .await
            .expect("claim")
            .is_empty(),
        "a published post is never claimed again"
    );
    let audit = app.recent_audit(20).await.expect("audit");
    let published = audit
        .iter()
        .find(|a| a.action == "post.published")
        .expect("audited");
    assert!(published.details.contains("late"), "{published:?}");
}

#[tokio::test]
async fn a_late_success_beside_a_second_attempt_names_the_duplicate() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    due_posts(&app, at(9, 0), 1).await;
    let slow = attempt(&app, at(9, 0), "slow").await;
    lapses_and_looks_absent(&app, &slow, at(9, 5), at(9, 5)).await;
    let second = attempt(&app, at(9, 6), "p1").await;
    // The first answer lands while the second attempt is in flight.
    let first = answer(&app, "slow", &slow, 1, Ok(receipt("remote-1")), at(9, 6)).await;
    assert_eq!(first, Sent::Published);
    let second = answer(&app, "p1", &second, 2, Ok(receipt("remote-2")), at(9, 6)).await;
    assert_eq!(second, Sent::Skipped);
    let p = post_status(&app, &slow.id).await;
    assert_eq!(p.status, "published");
    assert_eq!(
        p.remote_url.as_deref(),
        Some("test://remote-1"),
        "the first kept"
    );
    let audit = app.recent_audit(20).await.expect("audit");
    assert!(
        audit
            .iter()
            .any(|a| a.action == "post.duplicate_found" && a.details.contains("remote-2")),
        "{audit:?}"
    );
}

/// An adapter whose calls wait until the test lets them go.
struct Gate {
    calls: AtomicU32,
    entered: tokio::sync::Notify,
    open: tokio::sync::Semaphore,
}

struct Gated(Arc<Gate>);

impl Adapter for Gated {
    fn platform(&self) -> Platform {
        Platform::Sandbox
    }

    fn publish<'a>(
        &'a self,
        req: &'a PublishRequest,
    ) -> BoxFuture<'a, Result<Receipt, PublishError>> {
        Box::pin(async move {
            self.0.calls.fetch_add(1, Ordering::SeqCst);
            self.0.entered.notify_one();
            let _pass = self.0.open.acquire().await.expect("gate");
            Ok(receipt(&format!("gated-{}", req.post_id)))
        })
    }

    /// The platform has every post asked about (the dead publisher's
    /// call made it).
    fn find<'a>(&'a self, req: &'a PublishRequest) -> BoxFuture<'a, Lookup> {
        Box::pin(async move { Lookup::Found(receipt(&format!("found-{}", req.post_id))) })
    }
}

fn gate() -> Arc<Gate> {
    Arc::new(Gate {
        calls: AtomicU32::new(0),
        entered: tokio::sync::Notify::new(),
        open: tokio::sync::Semaphore::new(0),
    })
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done().await {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_longer_than_the_lease_keeps_it_and_one_that_loses_it_stops_sending() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    app.tune_publishing(reachloop::app::publishing::PublishTimings {
        publisher_lease: Duration::seconds(1),
        claim_lease: Duration::seconds(60),
        retry_base: Duration::seconds(1),
    });
    let now = Utc::now();
    due_posts(&app, now - Duration::seconds(10), 2).await;
    let g = gate();
    let round = {
        let (app, g) = (app.clone(), g.clone());
        tokio::spawn(async move {
            let adapters = Adapters(vec![Box::new(Gated(g))]);
            app.publishing_tick("first", "agent", &adapters, &Utc::now)
                .await
        })
    };
    g.entered.notified().await;
    let taken_until = app
        .publisher_lease(Utc::now())
        .await
        .expect("lease")
        .expect("held")
        .until;
    // Past the lease as it was when the call began: renewed meanwhile, it
    // is still the first publisher's.
    let end = reachloop::time::from_db(&taken_until).expect("time");
    wait_for("the first lease's end", async || {
        Utc::now() > end + Duration::milliseconds(500)
    })
    .await;
    let other = App::open(dir.path()).await.expect("second process");
    let empty = Adapters(vec![Box::new(Gated(gate()))]);
    assert_eq!(
        other
            .publishing_tick("second", "agent", &empty, &Utc::now)
            .await
            .expect("tick"),
        None,
        "the first publisher still holds the lease"
    );
    // Someone takes the lease over (a clock far ahead): the first one's
    // renewal fails and it stops sending.
    assert!(other
        .store()
        .take_publisher_lease(
            Utc::now() + Duration::minutes(10),
            "thief",
            "agent",
            Duration::minutes(30)
        )
        .await
        .expect("take"));
    wait_for("the first publisher to notice", async || {
        app.recent_audit(50)
            .await
            .expect("audit")
            .iter()
            .any(|a| a.action == "publisher.lease_lost" && a.entity_id.as_deref() == Some("first"))
    })
    .await;
    g.open.add_permits(10);
    let r = round.await.expect("task").expect("round").expect("it ran");
    assert_eq!(r.published, 1, "{r:?}");
    assert_eq!(
        g.calls.load(Ordering::SeqCst),
        1,
        "the second post not sent"
    );
    let posts = app.list_posts(None).await.expect("posts");
    let waiting: Vec<_> = posts.iter().filter(|p| p.status == "scheduled").collect();
    assert_eq!(waiting.len(), 1, "given back untouched: {posts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_whose_process_is_gone_is_taken_over_at_once() {
    let dir = data_dir();
    let now = Utc::now();
    {
        let doomed = App::open(dir.path()).await.expect("open");
        due_posts(&doomed, now - Duration::seconds(10), 1).await;
        let g = gate();
        let task = {
            let (app, g) = (doomed.clone(), g.clone());
            tokio::spawn(async move {
                let adapters = Adapters(vec![Box::new(Gated(g))]);
                app.publishing_tick("doomed", "agent", &adapters, &Utc::now)
                    .await
            })
        };
        // The call is on its way when the process dies: its memory, open
        // files and locks go with it.
        g.entered.notified().await;
        task.abort();
        let _ = task.await;
        doomed.store().clone().close().await;
    }
    let heir = App::open(dir.path()).await.expect("open");
    let p = heir.list_posts(None).await.expect("posts").remove(0);
    assert_eq!(p.status, "publishing", "claimed by the dead one");
    // The default leases (2 and 5 minutes) have not run out, yet the heir
    // publishes now and verifies the dead one's attempt at once.
    let found = Adapters(vec![Box::new(Gated(gate()))]);
    let r = heir
        .publishing_tick("heir", "agent", &found, &Utc::now)
        .await
        .expect("tick");
    assert!(r.is_some(), "the heir holds the lease");
    let p = post_status(&heir, &p.id).await;
    assert_eq!(p.status, "published", "{p:?}");
    assert_eq!(
        p.remote_url.as_deref(),
        Some(format!("test://found-{}", p.id).as_str())
    );
    let audit = heir.recent_audit(20).await.expect("audit");
    assert!(
        audit
            .iter()
            .any(|a| a.action == "publisher.gone" && a.entity_id.as_deref() == Some("doomed")),
        "{audit:?}"
    );
}
