//! The publisher: one round claims due posts and sends each through its
//! platform's adapter, exactly once. The order of writes is what makes it
//! safe: the claim, then the attempt (committed before the platform call),
//! then the platform's id. A crash anywhere leaves either a post that was
//! never sent (requeued) or one that must be verified at the platform
//! before anything else happens to it.

pub mod alive;
pub mod blockers;
pub mod choose;
pub mod warnings;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;

use crate::platforms::{Adapter, Lookup, Progress, PublishError, PublishRequest};
use crate::store::{AttemptStart, ClaimedPost, Finish, Finisher, Store, StoreError};

/// How long a claim holds by default; a publisher that has not finished by
/// then is taken to have died.
pub const LEASE: Duration = Duration::minutes(5);

/// The publisher's timings.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// How long a claim on one post holds.
    pub claim: Duration,
    /// The missed-post grace window.
    pub grace: Duration,
    /// At most this many posts per round.
    pub limit: u32,
    /// The first retry waits about this long; each further one twice as
    /// long (with jitter), at most an hour.
    pub retry_base: Duration,
    /// After this many attempts a post fails instead of retrying.
    pub max_attempts: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            claim: LEASE,
            grace: Duration::hours(2),
            limit: 200,
            retry_base: Duration::seconds(30),
            max_attempts: MAX_ATTEMPTS,
        }
    }
}

/// Attempts before a post that keeps failing is given up on.
pub const MAX_ATTEMPTS: u32 = 8;

/// How long a post waits before its next attempt, after `attempts` so far:
/// exponential from `base` (doubling), with jitter up to the delay itself,
/// at most an hour. `seed` makes the jitter reproducible (the post's id).
pub fn retry_delay(attempts: u32, base: Duration, seed: u64) -> Duration {
    use backon::BackoffBuilder;
    let base = base.to_std().unwrap_or(std::time::Duration::from_secs(30));
    let delay = backon::ExponentialBuilder::default()
        .with_min_delay(base)
        .with_factor(2.0)
        .with_max_delay(std::time::Duration::from_secs(3_600))
        .with_jitter_seed(seed)
        .with_jitter()
        .without_max_times()
        .build()
        .nth(attempts.saturating_sub(1) as usize)
        .unwrap_or(std::time::Duration::from_secs(3_600));
    Duration::from_std(delay).unwrap_or(Duration::hours(1))
}

fn seed_of(post_id: &str, attempts: i64) -> u64 {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{post_id}:{attempts}"));
    u64::from_le_bytes(h[..8].try_into().unwrap_or([0; 8]))
}

/// Failures in a row before a platform is held back.
pub const BREAKER_AFTER: u32 = 5;

/// How long the breaker holds a platform back after `failures` in a row:
/// 30 s doubling per further failure, at most an hour.
pub fn breaker_wait(failures: u32) -> Duration {
    let extra = failures.saturating_sub(BREAKER_AFTER).min(10);
    (Duration::seconds(30) * 2i32.pow(extra)).min(Duration::hours(1))
}

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Round {
    pub published: u32,
    pub verified: u32,
    pub retried: u32,
    pub failed: u32,
    /// Posts whose fate is unclear (new this round or still waiting).
    pub to_verify: u32,
    /// Of those, the ones this round's attempts left unclear: what the
    /// user hears about, once.
    pub unclear: u32,
    pub missed: u64,
}

/// The adapters by platform.
pub struct Adapters(pub Vec<Box<dyn Adapter>>);

impl Adapters {
    /// The platforms these adapters publish to.
    pub fn platforms(&self) -> Vec<&'static str> {
        self.0.iter().map(|a| a.platform().as_str()).collect()
    }

    fn for_platform(&self, provider: &str) -> Option<&dyn Adapter> {
        self.0
            .iter()
            .find(|a| a.platform().as_str() == provider)
            .map(|a| a.as_ref())
    }
}

/// One publishing round for `owner` (the app or the agent). `clock` is read
/// at each step; `grace` is the missed-post window.
pub async fn round(
    store: &Store,
    adapters: &Adapters,
    owner: &str,
    clock: &(dyn Fn() -> DateTime<Utc> + Sync),
    grace: Duration,
    limit: u32,
) -> Result<Round, StoreError> {
    let timing = Timing {
        claim: LEASE,
        grace,
        limit,
        ..Timing::default()
    };
    round_with(store, adapters, owner, clock, timing).await
}

/// [`round`] with every timing given.
pub async fn round_with(
    store: &Store,
    adapters: &Adapters,
    owner: &str,
    clock: &(dyn Fn() -> DateTime<Utc> + Sync),
    timing: Timing,
) -> Result<Round, StoreError> {
    let holding = AtomicBool::new(true);
    round_while(store, adapters, owner, clock, timing, &holding).await
}

/// [`round_with`] while `holding` stays true: the publisher lease, renewed
/// beside the round. Once it is false nothing more is verified or sent
/// (a claimed post not yet attempted is given back), so a publisher that
/// lost its lease never sends beside the one that took it.
pub async fn round_while(
    store: &Store,
    adapters: &Adapters,
    owner: &str,
    clock: &(dyn Fn() -> DateTime<Utc> + Sync),
    timing: Timing,
    holding: &AtomicBool,
) -> Result<Round, StoreError> {
    let Timing {
        claim,
        grace,
        limit,
        ..
    } = timing;
    let mut report = Round::default();
    store.expire_leases(clock()).await?;
    // First what a crash or a timeout left unclear.
    for post in store.posts_to_verify().await? {
        if !holding.load(Ordering::SeqCst) {
            return Ok(report);
        }
        match crate::background::isolate(verify(store, adapters, &post, clock, &timing)).await {
            Ok(Some(true)) => report.verified += 1,
            Ok(Some(false)) => report.retried += 1,
            Ok(None) => report.to_verify += 1,
            Err(e) => tracing::warn!(post = %post.id, "verification failed: {e}"),
        }
    }
    // Only the platforms there is an adapter for: the others' posts wait
    // as they are.
    let platforms = adapters.platforms();
    report.missed = store
        .mark_missed_on(clock(), grace, Some(&platforms))
        .await?;
    if !holding.load(Ordering::SeqCst) {
        return Ok(report);
    }
    let claimed = store
        .claim_due_posts_on(clock(), owner, claim, grace, limit, Some(&platforms))
        .await?;
    // Accounts in parallel (up to `ACCOUNTS_AT_ONCE`), each account's posts
    // in order: one slow or rate-limited account does not hold the others.
    let mut by_account: Vec<Vec<ClaimedPost>> = Vec::new();
    for post in claimed {
        match by_account
            .iter_mut()
            .find(|g| g[0].account_id == post.account_id)
        {
            Some(group) => group.push(post),
            None => by_account.push(vec![post]),
        }
    }
    // The variants the publisher may not pick by itself, read and checked
    // once per campaign and platform of the round (not per post: a
    // campaign's hundred variants checked for each post ate the claims).
    let mut ruled_out: HashMap<(String, String), Vec<crate::rules::RuledOut>> = HashMap::new();
    for post in by_account
        .iter()
        .flatten()
        .filter(|p| p.variant_id.is_none())
    {
        let key = (post.campaign_id.clone(), post.provider_id.clone());
        if ruled_out.contains_key(&key) {
            continue;
        }
        let out = match reachloop_ipc::Platform::parse(&key.1) {
            Some(platform) => ruled_out_of(store, &key.0, platform).await?.1,
            None => Vec::new(),
        };
        ruled_out.insert(key, out);
    }
    let ruled_out = &ruled_out;
    let outcomes = std::sync::Mutex::new(Vec::new());
    futures_util::stream::iter(by_account)
        .for_each_concurrent(ACCOUNTS_AT_ONCE, |group| {
            let outcomes = &outcomes;
            async move {
                for post in group {
                    let none = Vec::new();
                    let rules = ruled_out
                        .get(&(post.campaign_id.clone(), post.provider_id.clone()))
                        .unwrap_or(&none);
                    let sent = crate::background::isolate(send(
                        store, adapters, owner, &post, rules, clock, &timing, holding,
                    ))
                    .await;
                    if let Err(e) = &sent {
                        tracing::warn!(post = %post.id, "publishing this post failed: {e}");
                    }
                    outcomes
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(sent.ok());
                }
            }
        })
        .await;
    for sent in outcomes.into_inner().unwrap_or_else(|p| p.into_inner()) {
        match sent {
            Some(Sent::Published) => report.published += 1,
            Some(Sent::Retry) => report.retried += 1,
            Some(Sent::Failed) => report.failed += 1,
            Some(Sent::Unknown) => {
                report.to_verify += 1;
                report.unclear += 1;
            }
            Some(Sent::Skipped) | None => {}
        }
    }
    Ok(report)
}

/// How many live variants `campaign_id` has on `platform`, and those of them
/// the publisher may not pick by itself because they break the rules (the
/// platform's, the brand's banned words, their media's).
pub async fn ruled_out_of(
    store: &Store,
    campaign_id: &str,
    platform: reachloop_ipc::Platform,
) -> Result<(usize, Vec<crate::rules::RuledOut>), StoreError> {
    let (live, banned) = store
        .variants_to_check(campaign_id, platform.as_str())
        .await?;
    let live: Vec<_> = live
        .into_iter()
        .map(|v| (v.id, v.body, v.title, v.media))
        .collect();
    Ok((
        live.len(),
        crate::rules::ruled_out(platform, &live, &banned),
    ))
}

/// How many accounts one round publishes to at once.
pub const ACCOUNTS_AT_ONCE: usize = 16;

/// What is sent, and looked for afterwards: the attempt that started at
/// `started` cannot outlive its claim.
fn request(
    post: &ClaimedPost,
    (body, media): (String, Vec<reachloop_ipc::Attachment>),
    started: DateTime<Utc>,
    claim: Duration,
    attempt: i64,
    progress: Progress,
) -> PublishRequest {
    PublishRequest {
        progress,
        attempt: u32::try_from(attempt).unwrap_or(u32::MAX),
        post_id: post.id.clone(),
        account_id: post.account_id.clone(),
        body,
        media,
        attempt_started_at: started,
        attempt_ends_by: started + claim,
        already_ours: Vec::new(),
    }
}

/// Keeps a post's upload progress in the store for the calendar: about
/// once a second, and whenever the stage changes or the last byte is up.
fn progress_to(store: &Store, post_id: &str) -> Progress {
    let (store, post_id) = (store.clone(), post_id.to_string());
    let last = std::sync::Mutex::new(None::<(std::time::Instant, bool)>);
    Progress::new(move |p| {
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        let due = match *last {
            None => true,
            Some((at, processing)) => {
                processing != p.processing
                    || p.sent == p.total
                    || at.elapsed() >= std::time::Duration::from_secs(1)
            }
        };
        if !due {
            return;
        }
        *last = Some((std::time::Instant::now(), p.processing));
        let (store, post_id) = (store.clone(), post_id.clone());
        tokio::spawn(async move {
            if let Err(e) = store.set_upload_progress(&post_id, p).await {
                tracing::debug!(post = %post_id, "upload progress not kept: {e}");
            }
        });
    })
}

/// What became of one post in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Published,
    Retry,
    Failed,
    Unknown,
    /// Nothing was sent (held back, the claim or the lease lost), or the
    /// answer came after the post moved on and was dropped.
    Skipped,
}

#[allow(clippy::too_many_arguments)]
async fn send(
    store: &Store,
    adapters: &Adapters,
    owner: &str,
    post: &ClaimedPost,
    ruled_out: &[crate::rules::RuledOut],
    clock: &(dyn Fn() -> DateTime<Utc> + Sync),
    timing: &Timing,
    holding: &AtomicBool,
) -> Result<Sent, StoreError> {
    let claim = timing.claim;
    // The lease went to another publisher during the round: give the
    // claim back untouched, it is theirs to send.
    if !holding.load(Ordering::SeqCst) {
        store.release_claim(clock(), &post.id, owner).await?;
        return Ok(Sent::Skipped);
    }
    let Some(adapter) = adapters.for_platform(&post.provider_id) else {
        store
            .finish_unpublished(
                clock(),
                &post.id,
                Finisher::Claim(owner),
                "no_adapter",
                "Publishing to this platform is not available yet.",
                None,
            )
            .await?;
        return Ok(Sent::Failed);
    };
    let started = clock();
    // Held back since the claim (a rate limit or the breaker, earlier in
    // this round), the claim given back untouched; else the attempt is
    // recorded, with the variant a person (or an earlier attempt) chose,
    // or the next one in turn, picked in the same write.
    // A variant the publisher picks by itself must keep the rules
    // (`ruled_out`, checked once for the round); one a person (or an
    // earlier attempt) chose is sent as it is.
    let ruled_out = match post.variant_id {
        Some(_) => &[][..],
        None => ruled_out,
    };
    let ids: Vec<String> = ruled_out.iter().map(|r| r.variant_id.clone()).collect();
    // An optimized schedule's post without a variant gets the optimizer's
    // choice, decided now and written with the attempt. Should it fail to
    // decide, the next variant in turn goes (the post is not held up).
    let mut chosen = None;
    if post.variant_id.is_none() && post.use_optimizer {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed_of(&post.id, post.attempts));
        match choose::choose(
            store,
            &post.campaign_id,
            &post.provider_id,
            &post.account_id,
            started,
            adapter.audience_speedup(),
            ruled_out,
            &mut rng,
        )
        .await
        {
            Ok(c) => chosen = c,
            Err(e) => tracing::warn!(
                post = %post.id,
                "the optimizer could not decide, the next variant in turn goes: {e}"
            ),
        }
    }
    let variant = post
        .variant_id
        .as_deref()
        .or(chosen.as_ref().map(|c| c.0.as_str()));
    let content = match store
        .start_attempt_deciding(
            started,
            &post.id,
            owner,
            variant,
            &ids,
            chosen.as_ref().map(|c| &c.1),
        )
        .await?
    {
        AttemptStart::Started { body, media, .. } => (body, media),
        AttemptStart::OnlyRuledOut => {
            let reasons: Vec<&str> = ruled_out.iter().map(|r| r.why.as_str()).collect();
            let why = format!(
                "Held: every variant for this platform breaks the rules ({}) Pick a variant for this post to send it as it is, or fix the variants.",
                reasons.join(" ")
            );
            store
                .hold_for_choice(clock(), &post.id, owner, &why)
                .await?;
            return Ok(Sent::Skipped);
        }
        // The claim ran out and someone else may hold the post now.
        AttemptStart::Held | AttemptStart::LostClaim => return Ok(Sent::Skipped),
        AttemptStart::NoVariant => {
            store
                .finish_unpublished(
                    clock(),
                    &post.id,
                    Finisher::Claim(owner),
                    "no_variant",
                    "The campaign has no variant for this platform (or the chosen one was deleted): write one, then reschedule.",
                    None,
                )
                .await?;
            return Ok(Sent::Failed);
        }
    };
    let attempts = post.attempts + 1;
    let req = request(
        post,
        content,
        started,
        claim,
        attempts,
        progress_to(store, &post.id),
    );
    let answer = adapter.publish(&req).await;
    record_answer(store, owner, post, attempts, answer, clock, timing).await
}

/// Writes down the platform's answer to attempt number `attempts` of
/// `post`, made by `owner`. A success is recorded whenever it comes (late
/// too: the post exists); anything else only while `owner` still holds
/// the claim, else it is dropped (whoever holds the post now decides).
pub async fn record_answer(
    store: &Store,
    owner: &str,
    post: &ClaimedPost,
    attempts: i64,
    answer: Result<crate::platforms::Receipt, PublishError>,
    clock: &(dyn Fn() -> DateTime<Utc> + Sync),
    timing: &Timing,
) -> Result<Sent, StoreError> {
    let by = Finisher::Claim(owner);
    let retry_at = |now: DateTime<Utc>| {
        now + retry_delay(
            u32::try_from(attempts).unwrap_or(u32::MAX),
            timing.retry_base,
            seed_of(&post.id, attempts),
        )
    };
    let unless_dropped = |f: Finish, sent: Sent| match f {
        Finish::Dropped => Sent::Skipped,
        Finish::Applied | Finish::Late => sent,
    };
    let gave_up = i64::from(timing.max_attempts) <= attempts;
    let platform_scope = format!("platform:{}", post.provider_id);
    match answer {
        Ok(receipt) => {
            store
                .record_limits(
                    clock(),
                    &format!("account:{}", post.account_id),
                    &platform_scope,
                    &receipt.limits,
                )
                .await?;
            let f = store
                .finish_published(
                    clock(),
                    &post.id,
                    by,
                    &receipt.remote_id,
                    receipt.url.as_deref(),
                    "published",
                )
                .await?;
            store.clear_failures(&platform_scope).await?;
            Ok(unless_dropped(f, Sent::Published))
        }
        Err(PublishError::RateLimited {
            until,
            whole_platform,
            message,
        }) => {
            let scope = if whole_platform {
                platform_scope
            } else {
                format!("account:{}", post.account_id)
            };
            store.pause_scope(clock(), &scope, until, &message).await?;
            let f = store
                .finish_unpublished(
                    clock(),
                    &post.id,
                    by,
                    "rate_limited",
                    &message,
                    Some(clock()),
                )
                .await?;
            Ok(unless_dropped(f, Sent::Retry))
        }
        Err(PublishError::Retry { code, message }) => {
            // A platform that keeps failing is left alone for a while (a
            // circuit breaker): `BREAKER_AFTER` failures in a row hold it
            // back, for longer each time, at most an hour.
            let failures = store.count_failure(clock(), &platform_scope).await?;
            if failures >= BREAKER_AFTER {
                let until = clock() + breaker_wait(failures);
                let why = format!("{failures} failures in a row: {message}");
                store
                    .pause_scope(clock(), &platform_scope, until, &why)
                    .await?;
            }
            if gave_up {
                let message = format!("{message} Gave up after {attempts} attempts: publish it again from the calendar when the platform works.");
                let f = store
                    .finish_unpublished(clock(), &post.id, by, &code, &message, None)
                    .await?;
                return Ok(unless_dropped(f, Sent::Failed));
            }
            let f = store
                .finish_unpublished(
                    clock(),
                    &post.id,
                    by,
                    &code,
                    &message,
                    Some(retry_at(clock())),
                )
                .await?;
            Ok(unless_dropped(f, Sent::Retry))
        }
        Err(PublishError::Permanent { code, message }) => {
            let f = store
                .finish_unpublished(clock(), &post.id, by, &code, &message, None)
                .await?;
            Ok(unless_dropped(f, Sent::Failed))
        }
        Err(PublishError::Unknown(why)) => {
            let f = store
                .mark_needs_verification(clock(), &post.id, owner, &why)
                .await?;
            Ok(unless_dropped(f, Sent::Unknown))
        }
    }
}

/// Asks the platform whether a post of unclear fate exists. `Some(true)`:
/// it does (published); `Some(false)`: provably absent (scheduled again);
/// `None`: the platform cannot tell, the user decides.
async fn verify(
    store: &Store,
    adapters: &Adapters,
    post: &ClaimedPost,
    clock: &(dyn Fn() -> DateTime<Utc> + Sync),
    timing: &Timing,
) -> Result<Option<bool>, StoreError> {
    let Some(adapter) = adapters.for_platform(&post.provider_id) else {
        return Ok(None);
    };
    let (Some(variant), Some(started)) = (&post.variant_id, &post.attempt_started_at) else {
        return Ok(None);
    };
    let started = crate::time::from_db(started)
        .map_err(|e| StoreError::Corrupt(format!("post {}: {e}", post.id)))?;
    // Too soon: the platform may not list the post yet.
    if started + adapter.settle() > clock() {
        return Ok(None);
    }
    let Some(content) = store.variant_to_send(variant, false).await? else {
        return Ok(None);
    };
    let mut req = request(
        post,
        content,
        started,
        timing.claim,
        post.attempts,
        Progress::default(),
    );
    req.already_ours = store
        .remote_ids_near(&post.account_id, &post.id, started - Duration::hours(1))
        .await?;
    let by = Finisher::Verifier {
        attempts: post.attempts,
    };
    match adapter.find(&req).await {
        Lookup::Found(r) => {
            store
                .finish_published(
                    clock(),
                    &post.id,
                    by,
                    &r.remote_id,
                    r.url.as_deref(),
                    "verified",
                )
                .await?;
            Ok(Some(true))
        }
        // Provably absent and out of attempts: failing it is safe.
        Lookup::Absent if i64::from(timing.max_attempts) <= post.attempts => {
            store
                .finish_unpublished(
                    clock(),
                    &post.id,
                    by,
                    "gave_up",
                    &format!("The platform does not have this post after {} attempts: publish it again from the calendar when the platform works.", post.attempts),
                    None,
                )
                .await?;
            Ok(Some(false))
        }
        Lookup::Absent => {
            store
                .finish_unpublished(
                    clock(),
                    &post.id,
                    by,
                    "verified_absent",
                    "The platform does not have this post; it will be sent again.",
                    Some(
                        clock()
                            + retry_delay(
                                u32::try_from(post.attempts).unwrap_or(u32::MAX),
                                timing.retry_base,
                                seed_of(&post.id, post.attempts),
                            ),
                    ),
                )
                .await?;
            Ok(Some(false))
        }
        Lookup::CannotTell(why) => {
            tracing::warn!(post = %post.id, "cannot verify: {why}");
            Ok(None)
        }
    }
}
