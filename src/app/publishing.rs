//! Schedules and the posts they plan, as the window and the CLI ask for
//! them: checked by `schedule` (pure), stored by `store`. The publisher
//! that sends them comes with the rest of issue 9.

use chrono::{DateTime, Utc};
use reachloop_ipc::{FieldError, NewSchedule, Platform, SandboxWorld, Schedule, ScheduledPost};

use super::App;
use crate::schedule::{self, Timing, When};
use crate::store::{Actor, NewScheduleRow, StoreError};
use crate::Error;

/// How far ahead schedules are planned as posts.
pub const PLAN_HORIZON: chrono::Duration = chrono::Duration::days(14);
/// How late a missed post may still be published (the missed-post policy's
/// default grace window); older slots are not planned at all, so a cadence
/// never fires a backlog.
pub const MISSED_GRACE: chrono::Duration = chrono::Duration::hours(2);
/// At most this many posts are planned per schedule and round.
const PLAN_LIMIT: usize = 2_000;

pub(super) fn problem(field: &str, code: &str, message: impl Into<String>) -> Error {
    Error::Validation(vec![FieldError {
        field: field.into(),
        code: code.into(),
        message: message.into(),
    }])
}

/// The timing a stored schedule runs on.
pub fn timing_of(s: &Schedule) -> Result<Timing, Error> {
    let corrupt =
        |why: String| Error::Store(StoreError::Corrupt(format!("schedule {}: {why}", s.id)));
    let zone = schedule::parse_zone(&s.time_zone).map_err(|e| corrupt(e.to_string()))?;
    let when = match (&s.cron, &s.run_at) {
        (Some(expr), _) => When::Cadence(Box::new(
            schedule::Cadence::parse(expr).map_err(|e| corrupt(e.to_string()))?,
        )),
        (None, Some(at)) => {
            When::Once(crate::time::from_db(at).map_err(|e| corrupt(e.to_string()))?)
        }
        (None, None) => return Err(corrupt("no time".into())),
    };
    let date = |d: &Option<String>| {
        d.as_deref()
            .map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d"))
            .transpose()
            .map_err(|e| corrupt(e.to_string()))
    };
    Timing::new(when, zone, date(&s.start_date)?, date(&s.end_date)?)
        .map_err(|e| corrupt(e.to_string()))
}

impl App {
    /// The Sandbox's seed: `REACHLOOP_SANDBOX_SEED` when set, else the
    /// stored one (picked at random on first use).
    pub async fn sandbox_world(&self, now: DateTime<Utc>) -> Result<SandboxWorld, Error> {
        if let Some(seed) = crate::platforms::sandbox::SandboxConfig::from_env().seed {
            if let Ok(seed) = u32::try_from(seed) {
                return Ok(SandboxWorld {
                    seed,
                    from_environment: true,
                });
            }
        }
        let fresh = crate::platforms::sandbox::fresh_seed(&mut rand::rngs::OsRng);
        Ok(SandboxWorld {
            seed: self.store().sandbox_seed_or_init(now, fresh).await?,
            from_environment: false,
        })
    }

    /// Gives the Sandbox a new world from `seed` as typed (a whole number
    /// from 0 to 4294967295). Posts already published keep what they
    /// collected; what happens from now on follows the new seed.
    pub async fn set_sandbox_seed(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        seed: &str,
    ) -> Result<SandboxWorld, Error> {
        let Ok(parsed) = seed.trim().parse::<u32>() else {
            return Err(Error::Validation(vec![reachloop_ipc::FieldError {
                field: "seed".into(),
                code: "not_a_seed".into(),
                message: format!(
                    "\"{}\" is not a seed: use a whole number from 0 to {}.",
                    crate::text::echo(seed, 24),
                    u32::MAX
                ),
            }]));
        };
        let world = self.sandbox_world(now).await?;
        if world.from_environment {
            return Err(Error::Validation(vec![reachloop_ipc::FieldError {
                field: "seed".into(),
                code: "set_by_environment".into(),
                message: format!(
                    "REACHLOOP_SANDBOX_SEED={} is set for this process and wins: unset it to choose the seed here.",
                    world.seed
                ),
            }]));
        }
        self.store().set_sandbox_seed(now, actor, parsed).await?;
        self.sandbox_world(now).await
    }

    /// Creates a schedule and plans its first posts. The zone defaults to
    /// `default_zone` (the computer's).
    pub async fn create_schedule(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        input: &NewSchedule,
        default_zone: &str,
    ) -> Result<Schedule, Error> {
        let valid = schedule::validate(input, default_zone, now).map_err(Error::Validation)?;
        let campaign = self.campaign(&valid.campaign_id).await?;
        if !campaign.platforms.contains(&valid.platform) {
            return Err(problem(
                "platform",
                "not_in_campaign",
                format!(
                    "The campaign \"{}\" does not target {}; add the platform to it first.",
                    campaign.name,
                    valid.platform.label()
                ),
            ));
        }
        let accounts = self.store().list_accounts().await?;
        let Some(account) = accounts.iter().find(|a| a.id == valid.account_id) else {
            return Err(problem(
                "account_id",
                "not_found",
                "There is no such account; connect it first.",
            ));
        };
        if account.platform != valid.platform {
            return Err(problem(
                "account_id",
                "wrong_platform",
                format!(
                    "{} is a {} account, not {}.",
                    account.handle,
                    account.platform.label(),
                    valid.platform.label()
                ),
            ));
        }
        if account.status == reachloop_ipc::AccountStatus::Disconnected {
            return Err(problem(
                "account_id",
                "disconnected",
                format!("{} is disconnected; reconnect it first.", account.handle),
            ));
        }
        let (run_at, cron) = match &valid.timing.when {
            When::Once(at) => (Some(*at), None),
            When::Cadence(c) => (None, Some(c.expr().to_string())),
        };
        // A one-off on a minute that already holds a post of the campaign
        // to the account is refused with what is there, unless it is asked
        // to take that post over: never dropped without a word.
        let mut replaces = None;
        if let Some(at) = run_at {
            if let Some(taken) = self.slot_taken(&valid, at).await? {
                match (input.replace_slot, taken.can_replace) {
                    (true, true) => {
                        replaces = self
                            .store()
                            .post_at(&valid.campaign_id, valid.platform, &valid.account_id, at)
                            .await?
                            .map(|p| p.id);
                    }
                    _ => {
                        let what = match (taken.can_replace, &taken.free_minute) {
                            (true, Some(free)) => format!(
                                " Pick another minute (the next free one is {free}), or let this one-off replace that post."
                            ),
                            (true, None) => " Pick another minute, or let this one-off replace that post.".to_string(),
                            (false, Some(free)) => format!(" Pick another minute (the next free one is {free})."),
                            (false, None) => " Pick another minute.".to_string(),
                        };
                        return Err(problem("run_at", "slot_taken", taken.message + &what));
                    }
                }
            }
        }
        let zone = valid.timing.zone.name().to_string();
        let created = self
            .store()
            .insert_schedule_taking(
                now,
                actor,
                &NewScheduleRow {
                    campaign_id: &valid.campaign_id,
                    platform: valid.platform,
                    account_id: &valid.account_id,
                    run_at,
                    cron: cron.as_deref(),
                    time_zone: &zone,
                    start_date: valid.timing.start,
                    end_date: valid.timing.end,
                    use_optimizer: valid.use_optimizer,
                },
                replaces.as_deref(),
            )
            .await?
            .ok_or_else(|| {
                problem(
                    "run_at",
                    "slot_taken",
                    "The post at that minute was published or changed meanwhile; pick another minute.",
                )
            })?;
        self.plan_schedule(now, &created).await?;
        Ok(self
            .store()
            .schedule(&created.id)
            .await?
            .ok_or(StoreError::NotFound)?)
    }

    /// What holds the minute `at` of `valid`'s campaign, platform and
    /// account, if a post does: in words, whether a one-off may take it
    /// over, and the next free minute in the schedule's zone.
    async fn slot_taken(
        &self,
        valid: &schedule::ValidSchedule,
        at: DateTime<Utc>,
    ) -> Result<Option<reachloop_ipc::SlotTaken>, Error> {
        let store = self.store();
        let zone = valid.timing.zone;
        let wall = |t: DateTime<Utc>| t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string();
        let when = at.with_timezone(&zone).format("%a %Y-%m-%d %H:%M %Z");
        let handle = store
            .list_accounts()
            .await?
            .into_iter()
            .find(|a| a.id == valid.account_id)
            .map(|a| a.handle)
            .unwrap_or_else(|| "This account".into());
        let free = || async {
            store
                .free_minute_after(&valid.campaign_id, valid.platform, &valid.account_id, at)
                .await
                .map(|t| t.map(wall))
        };
        let Some(post) = store
            .post_at(&valid.campaign_id, valid.platform, &valid.account_id, at)
            .await?
        else {
            // Not planned yet (beyond the planning horizon): a cadence of
            // the campaign to the account that runs then would post too.
            for s in store.list_schedules(Some(&valid.campaign_id)).await? {
                let same = s.platform == valid.platform && s.account_id == valid.account_id;
                if !same || s.paused || s.cron.is_none() {
                    continue;
                }
                let runs = timing_of(&s)?.runs_between(at, at + chrono::Duration::seconds(1), 1);
                if runs.is_empty() {
                    continue;
                }
                return Ok(Some(reachloop_ipc::SlotTaken {
                    message: format!(
                        "{handle} already gets a post of this campaign at {when} from the schedule \"{}\".",
                        s.description.trim_end_matches('.')
                    ),
                    can_replace: true,
                    free_minute: free().await?,
                }));
            }
            return Ok(None);
        };
        let from = match post.schedule_id.as_deref() {
            Some(id) => match store.schedule(id).await? {
                Some(s) => format!(
                    ", from the schedule \"{}\"",
                    s.description.trim_end_matches('.')
                ),
                None => String::new(),
            },
            None => ", moved there by you".to_string(),
        };
        let (state, can_replace) = match post.status.as_str() {
            "scheduled" => ("already has a post of this campaign", true),
            "cancelled" => ("had a post of this campaign, skipped,", true),
            "publishing" => ("is publishing a post of this campaign", false),
            "published" => ("already published a post of this campaign", false),
            _ => ("already had a post of this campaign", false),
        };
        Ok(Some(reachloop_ipc::SlotTaken {
            message: format!("{handle} {state} at {when}{from}."),
            can_replace,
            free_minute: free().await?,
        }))
    }

    /// What the schedule form shows while it is typed (see
    /// [`schedule::preview_for_ui`]), and, for a one-off whose campaign
    /// and account are chosen, whether its minute is taken.
    pub async fn preview_schedule(
        &self,
        now: DateTime<Utc>,
        input: &NewSchedule,
        default_zone: &str,
    ) -> Result<reachloop_ipc::SchedulePreview, Vec<reachloop_ipc::FieldError>> {
        let mut preview = schedule::preview_for_ui(
            input.run_at.as_deref().filter(|r| !r.trim().is_empty()),
            input.cron.as_deref().filter(|c| !c.trim().is_empty()),
            &input.time_zone,
            default_zone,
            now,
            5,
        )?;
        // The minute check needs the whole schedule; without it (no
        // account yet) the preview is the time alone.
        if let Ok(valid) = schedule::validate(input, default_zone, now) {
            if let When::Once(at) = valid.timing.when {
                match self.slot_taken(&valid, at).await {
                    Ok(taken) => preview.slot_taken = taken,
                    Err(e) => tracing::warn!("cannot check the one-off's minute: {e}"),
                }
            }
        }
        Ok(preview)
    }

    /// Plans one schedule's posts from `MISSED_GRACE` ago (but not before
    /// it was made) to `PLAN_HORIZON` ahead; returns how many were new.
    async fn plan_schedule(&self, now: DateTime<Utc>, s: &Schedule) -> Result<u64, Error> {
        if s.paused {
            return Ok(0);
        }
        // Never a slot from before the schedule existed: a new cadence does
        // not start with posts the user never had a chance to see.
        let created = crate::time::from_db(&s.created_at)
            .map_err(|e| StoreError::Corrupt(format!("schedule {}: {e}", s.id)))?;
        let from = (now - MISSED_GRACE).max(created);
        let slots = timing_of(s)?.runs_between(from, now + PLAN_HORIZON, PLAN_LIMIT);
        Ok(self.store().plan_posts(now, s, &slots).await?)
    }

    /// One planning round over every schedule (the agent and the app run it
    /// every minute). One broken schedule does not stop the others.
    pub async fn plan_all(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        let mut added = 0;
        for s in self.store().list_schedules(None).await? {
            match crate::background::isolate(self.plan_schedule(now, &s)).await {
                Ok(n) => added += n,
                Err(e) => tracing::warn!(schedule = %s.id, "cannot plan this schedule: {e}"),
            }
        }
        Ok(added)
    }

    /// The schedules (of one campaign), each with why its posts will not go
    /// out on their own, if something holds them back.
    pub async fn list_schedules(&self, campaign_id: Option<&str>) -> Result<Vec<Schedule>, Error> {
        let mut schedules = self.store().list_schedules(campaign_id).await?;
        self.explain_schedules(&mut schedules).await?;
        Ok(schedules)
    }

    /// Pauses or resumes a schedule; resuming plans its posts again.
    pub async fn set_schedule_paused(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        id: &str,
        paused: bool,
    ) -> Result<Schedule, Error> {
        let s = self
            .store()
            .set_schedule_paused(now, actor, id, paused)
            .await?;
        if !paused {
            self.plan_schedule(now, &s).await?;
        }
        Ok(self
            .store()
            .schedule(id)
            .await?
            .ok_or(StoreError::NotFound)?)
    }

    /// What resuming would skip (a pause is a decision not to post then):
    /// the times of the posts of schedule `schedule_id` (with `None`, of
    /// all while publishing was paused) that passed during the pause.
    pub async fn skipped_on_resume(
        &self,
        now: DateTime<Utc>,
        schedule_id: Option<&str>,
    ) -> Result<Vec<String>, Error> {
        Ok(self.store().missed_while_paused(now, schedule_id).await?)
    }

    /// Posts, soonest first, optionally only those in `status`.
    pub async fn list_posts(&self, status: Option<&str>) -> Result<Vec<ScheduledPost>, Error> {
        const STATUSES: [&str; 7] = [
            "scheduled",
            "publishing",
            "published",
            "failed",
            "needs_verification",
            "missed",
            "cancelled",
        ];
        if let Some(s) = status {
            if !STATUSES.contains(&s) {
                return Err(problem(
                    "status",
                    "unknown_status",
                    format!(
                        "Unknown status \"{}\"; choose from {}.",
                        crate::text::echo(s, 30),
                        STATUSES.join(", ")
                    ),
                ));
            }
        }
        let mut posts = self.store().list_posts(status).await?;
        let upcoming = if status == Some("scheduled") {
            super::calendar::planned_of(&posts)
        } else {
            super::calendar::planned_of(&self.store().list_posts(Some("scheduled")).await?)
        };
        self.add_warnings(&mut posts, &upcoming).await?;
        Ok(posts)
    }
}

/// How long the publisher lease lasts; it is renewed every round.
pub const PUBLISHER_LEASE: chrono::Duration = chrono::Duration::minutes(2);

/// The leases, shortened by `REACHLOOP_PUBLISHER_LEASE_SECS` and
/// `REACHLOOP_CLAIM_LEASE_SECS` (the fault test kills publishers often).
#[derive(Debug, Clone, Copy)]
pub struct PublishTimings {
    pub publisher_lease: chrono::Duration,
    pub claim_lease: chrono::Duration,
    /// The first retry's wait (`REACHLOOP_RETRY_BASE_MS`).
    pub retry_base: chrono::Duration,
}

impl PublishTimings {
    pub fn from_env() -> PublishTimings {
        let secs = |var: &str| {
            std::env::var(var)
                .ok()
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|s| (1..=86_400).contains(s))
                .map(chrono::Duration::seconds)
        };
        PublishTimings {
            publisher_lease: secs("REACHLOOP_PUBLISHER_LEASE_SECS").unwrap_or(PUBLISHER_LEASE),
            claim_lease: secs("REACHLOOP_CLAIM_LEASE_SECS").unwrap_or(crate::publish::LEASE),
            retry_base: std::env::var("REACHLOOP_RETRY_BASE_MS")
                .ok()
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|ms| (1..=3_600_000).contains(ms))
                .map(chrono::Duration::milliseconds)
                .unwrap_or(crate::publish::Timing::default().retry_base),
        }
    }
}

/// Accounts' access tokens for the adapters: sealed in the database, opened
/// with the vault (unlocked from the keychain on first use).
struct AccountTokens {
    app: App,
    keys: crate::secrets::OsKeychain,
}

impl crate::platforms::x::Tokens for AccountTokens {
    fn access<'a>(
        &'a self,
        account_id: &'a str,
    ) -> crate::platforms::BoxFuture<
        'a,
        Result<crate::platforms::x::Access, crate::platforms::PublishError>,
    > {
        use crate::platforms::PublishError;
        Box::pin(async move {
            let reconnect = |why: &str| PublishError::Permanent {
                code: "reconnect".into(),
                message: format!("{why}: reconnect the account in Accounts."),
            };
            let Some((user_id, status, sealed)) = self
                .app
                .store()
                .publishing_identity(account_id)
                .await
                .map_err(|e| PublishError::Retry {
                    code: "store".into(),
                    message: e.to_string(),
                })?
            else {
                return Err(reconnect("The account is gone"));
            };
            if status == "disconnected" || status == "needs_action" {
                return Err(reconnect("The account's sign-in no longer works"));
            }
            let Some(sealed) = sealed else {
                return Err(reconnect("The account has no sign-in stored"));
            };
            // A locked or missing keychain holds the platform back, not the
            // post: nothing was sent.
            let vault =
                self.app
                    .vault(&self.keys)
                    .await
                    .map_err(|e| PublishError::RateLimited {
                        until: Utc::now() + chrono::Duration::minutes(5),
                        whole_platform: true,
                        message: format!("Publishing waits for the keychain: {e}"),
                    })?;
            let token = crate::oauth::open_access_token(&vault, &sealed, account_id)
                .map_err(|_| reconnect("The account's stored sign-in cannot be opened"))?;
            Ok(crate::platforms::x::Access { token, user_id })
        })
    }
}

impl App {
    /// The adapters this build can publish with: the Sandbox always, X when
    /// its address (`REACHLOOP_X_API_BASE`, else api.x.com) is usable.
    pub fn adapters(&self, keys: &crate::secrets::OsKeychain) -> crate::publish::Adapters {
        self.adapters_with(keys, |_| {})
    }

    /// [`App::adapters`] with X's timings tuned (tests against a fake).
    pub fn adapters_with(
        &self,
        keys: &crate::secrets::OsKeychain,
        tune_x: impl FnOnce(&mut crate::platforms::x::XConfig),
    ) -> crate::publish::Adapters {
        let mut adapters: Vec<Box<dyn crate::platforms::Adapter>> = vec![Box::new(self.sandbox())];
        match self.x(keys, tune_x) {
            Ok(x) => adapters.push(Box::new(x)),
            Err(e) => tracing::warn!("publishing to X is off: {e}"),
        }
        crate::publish::Adapters(adapters)
    }

    /// The built-in network, as the environment sets it up.
    pub(crate) fn sandbox(&self) -> crate::platforms::sandbox::Sandbox {
        crate::platforms::sandbox::Sandbox::new(
            self.store().clone(),
            crate::platforms::sandbox::SandboxConfig::from_env(),
        )
    }

    /// X, at its configured address, reading tokens through the vault.
    pub(crate) fn x(
        &self,
        keys: &crate::secrets::OsKeychain,
        tune: impl FnOnce(&mut crate::platforms::x::XConfig),
    ) -> Result<crate::platforms::x::X, Error> {
        let endpoints = self.api_endpoints(Platform::X)?;
        let mut config = crate::platforms::x::XConfig::new(endpoints.api_base, self.media_dir());
        tune(&mut config);
        Ok(crate::platforms::x::X::new(
            config,
            Box::new(AccountTokens {
                app: self.clone(),
                keys: keys.clone(),
            }),
        ))
    }

    /// One tick of background publishing for `holder` (`kind`: app or
    /// agent): take or renew the publisher lease, plan every schedule, run
    /// one publishing round while renewing the lease beside it (a round
    /// that outlasts the lease keeps it, and one that loses it stops
    /// sending). `None` while another publisher holds the lease.
    ///
    /// First, publishers of this data directory whose process is gone (a
    /// crash, a kill) are recognised by their lock files: their lease and
    /// claims end at once, so their posts are put back or verified now
    /// rather than after the leases run out.
    pub async fn publishing_tick(
        &self,
        holder: &str,
        kind: &str,
        adapters: &crate::publish::Adapters,
        clock: &(dyn Fn() -> DateTime<Utc> + Sync),
    ) -> Result<Option<crate::publish::Round>, Error> {
        let t = self.publish_timings();
        if let Err(e) = self.liveness.hold(&self.data_dir, holder) {
            tracing::warn!("the publisher's lock file cannot be held ({e}); a crash of this publisher will be waited out");
        }
        self.end_gone_publishers(clock(), holder).await?;
        if !self
            .store()
            .take_publisher_lease(clock(), holder, kind, t.publisher_lease)
            .await?
        {
            return Ok(None);
        }
        self.plan_all(clock()).await?;
        let holding = std::sync::atomic::AtomicBool::new(true);
        let done = tokio::sync::Notify::new();
        let timing = crate::publish::Timing {
            claim: t.claim_lease,
            grace: MISSED_GRACE,
            limit: 200,
            retry_base: t.retry_base,
            max_attempts: crate::publish::MAX_ATTEMPTS,
        };
        let round = async {
            let r = crate::publish::round_while(
                self.store(),
                adapters,
                holder,
                clock,
                timing,
                &holding,
            )
            .await;
            done.notify_one();
            r
        };
        let every = (t.publisher_lease / 3)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(1))
            .max(std::time::Duration::from_millis(100));
        let renewing = async {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = done.notified() => return,
                }
                let renewed = self
                    .store()
                    .take_publisher_lease(clock(), holder, kind, t.publisher_lease)
                    .await;
                if !matches!(renewed, Ok(true)) {
                    holding.store(false, std::sync::atomic::Ordering::SeqCst);
                    let to = self.store().publisher_lease(clock()).await.ok().flatten();
                    tracing::warn!(
                        "the publisher lease could not be renewed ({}); this round stops sending",
                        match &renewed {
                            Err(e) => e.to_string(),
                            Ok(_) => format!(
                                "{} holds it",
                                to.as_ref()
                                    .map_or("another publisher", |l| l.holder.as_str())
                            ),
                        }
                    );
                    if let Err(e) = self
                        .store()
                        .note_lease_lost(clock(), holder, to.as_ref().map(|l| l.holder.as_str()))
                        .await
                    {
                        tracing::warn!("the lost lease is not audited: {e}");
                    }
                    return;
                }
            }
        };
        let (round, ()) = tokio::join!(round, renewing);
        Ok(Some(round?))
    }

    /// Ends the lease and the claims of publishers whose process is gone.
    async fn end_gone_publishers(&self, now: DateTime<Utc>, me: &str) -> Result<(), Error> {
        use crate::publish::alive::Alive;
        if let Some(lease) = self.store().publisher_lease(now).await? {
            if lease.holder != me
                && self.liveness.check(&self.data_dir, &lease.holder) == Alive::Gone
            {
                tracing::info!("the publisher {} is gone; its lease ends now", lease.holder);
                self.store()
                    .break_publisher_lease(now, &lease.holder)
                    .await?;
                // Its claims too, whatever the check below finds (the
                // lock file is gone now).
                self.store().end_claims_of(now, &lease.holder).await?;
            }
        }
        for other in self.store().claim_holders().await? {
            if other != me && self.liveness.check(&self.data_dir, &other) == Alive::Gone {
                let n = self.store().end_claims_of(now, &other).await?;
                tracing::info!("the publisher {other} is gone; its {n} claims end now");
            }
        }
        Ok(())
    }

    /// Who holds the publisher lease now, and until when.
    pub async fn publisher_lease(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<crate::store::LeaseHolder>, Error> {
        Ok(self.store().publisher_lease(now).await?)
    }

    /// Who publishes now: (holder, app or agent), if anyone.
    pub async fn publisher(&self, now: DateTime<Utc>) -> Result<Option<(String, String)>, Error> {
        Ok(self
            .store()
            .publisher_lease(now)
            .await?
            .map(|l| (l.holder, l.kind)))
    }

    /// Gives the publisher lease up on a clean stop.
    pub async fn stop_publishing(&self, holder: &str) -> Result<(), Error> {
        self.store().release_publisher_lease(holder).await?;
        self.liveness.release(&self.data_dir, holder);
        Ok(())
    }
}

impl App {
    /// [`App::override_post`] as the window asks for it.
    pub async fn change_post(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        change: &reachloop_ipc::PostChange,
    ) -> Result<ScheduledPost, Error> {
        use crate::store::PostOverride;
        let what = match change.action.as_str() {
            "variant" => match change.variant_id.as_deref().filter(|v| !v.is_empty()) {
                Some(v) => PostOverride::Variant(v.to_string()),
                None => {
                    return Err(problem(
                        "variant_id",
                        "required",
                        "Pick the variant to post.",
                    ))
                }
            },
            "move" => {
                let at = change.at.as_deref().map(str::trim).unwrap_or_default();
                if at.is_empty() {
                    return Err(problem(
                        "at",
                        "required",
                        "Type the date and time to move the post to, e.g. 2026-12-10 09:10.",
                    ));
                }
                // A wall time is read in the post's own zone.
                let post = self
                    .store()
                    .post(&change.post_id)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let zone =
                    crate::schedule::parse_zone(&post.time_zone).unwrap_or(chrono_tz::Tz::UTC);
                match crate::schedule::parse_one_off(at, zone) {
                    Ok((t, _)) => PostOverride::Move(t.at),
                    Err(message) => return Err(problem("at", "invalid", message)),
                }
            }
            "skip" => PostOverride::Skip,
            "publish_now" => PostOverride::Move(now),
            other => {
                return Err(problem(
                    "action",
                    "unknown",
                    format!("Unknown change {other:?}: pick variant, move, skip or publish_now."),
                ))
            }
        };
        self.override_post(now, actor, &change.post_id, &what).await
    }

    /// A person's change to an upcoming post: pick its variant, move it,
    /// skip it, or publish it now. Refused with a clear message once the
    /// publisher has claimed the post.
    pub async fn override_post(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        post_id: &str,
        change: &crate::store::PostOverride,
    ) -> Result<ScheduledPost, Error> {
        if let crate::store::PostOverride::Move(to) = change {
            if *to < now - chrono::Duration::minutes(1) {
                return Err(problem(
                    "at",
                    "in_the_past",
                    "Pick a time that has not passed (or publish it now).",
                ));
            }
            if *to > now + chrono::Duration::days(schedule::FARTHEST_DAYS) {
                return Err(problem(
                    "at",
                    "too_far",
                    "That is more than five years ahead; pick a nearer time.",
                ));
            }
        }
        match self
            .store()
            .override_post(now, actor, post_id, change)
            .await?
        {
            Ok(post) => {
                // A person's choice on an optimized schedule is the
                // decision log's too, beside the optimizer's.
                let noted = match change {
                    crate::store::PostOverride::Variant(v) => {
                        self.record_override(now, actor, &post, Some(v), "for this post")
                            .await
                    }
                    crate::store::PostOverride::Move(_) => {
                        self.record_override(now, actor, &post, None, "to another time")
                            .await
                    }
                    crate::store::PostOverride::Skip => Ok(()),
                };
                if let Err(e) = noted {
                    tracing::warn!(post = %post.id, "the override is not in the decision log: {e}");
                }
                Ok(post)
            }
            Err(refused) => Err(problem(
                "post",
                match refused {
                    crate::store::OverrideRefused::AlreadyPublishing => "already_publishing",
                    crate::store::OverrideRefused::NotUpcoming(_) => "not_upcoming",
                    crate::store::OverrideRefused::WrongVariant => "wrong_variant",
                    crate::store::OverrideRefused::SlotTaken => "slot_taken",
                },
                crate::error::sentence(&refused.to_string()) + ".",
            )),
        }
    }
}
