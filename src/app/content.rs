//! The campaign builder's operations: editing campaigns and their status,
//! variants by hand, live rule checks, Settings → AI, and generation jobs
//! (queued while the AI endpoint is unreachable, run when it answers).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reachloop_ipc::{
    AiSettings, Campaign, CampaignStatus, FieldError, GenerationJob, NewCampaign, Platform,
    PostCheck, Variant, VariantText,
};
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::App;
use crate::ai::{self, AiConfig, AiError, Format, RetryPolicy};
use crate::generate::{self, Brief, Progress};
use crate::secrets::{KeyStore, OsKeychain};
use crate::store::{Actor, NewVariant, Provenance};
use crate::{campaigns, media, rules, Error};

/// Runs of a job that may time out before it is marked failed.
pub const MAX_TIMED_OUT_RUNS: u32 = 5;

/// The keychain entry holding the AI endpoint's API key.
pub const AI_KEY_ENTRY: &str = "ai-api-key";
/// Default model temperature.
pub const DEFAULT_TEMPERATURE: f32 = 0.8;

fn env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

fn field(field: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        code: code.into(),
        message: message.into(),
    }
}

impl App {
    /// A live variant, or `not_found`.
    pub async fn variant(&self, id: &str) -> Result<Variant, Error> {
        Ok(self
            .store()
            .variant(id)
            .await?
            .ok_or(crate::store::StoreError::NotFound)?)
    }

    /// Leaves a job queued with why it waits (no endpoint, unreachable).
    async fn keep_waiting(&self, job_id: &str, why: &AiError) -> Result<(), Error> {
        self.store()
            .move_job(
                Utc::now(),
                job_id,
                &["queued", "running"],
                "queued",
                Some(&format!("Waiting: {why}")),
                false,
            )
            .await?;
        Ok(())
    }

    async fn job(&self, id: &str) -> Result<GenerationJob, Error> {
        Ok(self
            .store()
            .generation_job(id)
            .await?
            .ok_or(crate::store::StoreError::NotFound)?)
    }

    pub async fn campaign(&self, id: &str) -> Result<Campaign, Error> {
        Ok(self
            .store()
            .campaign(id)
            .await?
            .ok_or(crate::store::StoreError::NotFound)?)
    }

    /// Saves an edited campaign. Invalid input writes nothing.
    pub async fn update_campaign(
        &self,
        now: DateTime<Utc>,
        id: &str,
        actor: Actor,
        input: &NewCampaign,
        expected_updated_at: Option<&str>,
    ) -> Result<Campaign, Error> {
        let valid = campaigns::validate(input).map_err(Error::Validation)?;
        Ok(self
            .store()
            .update_campaign(now, id, actor, &valid, expected_updated_at)
            .await?)
    }

    pub async fn duplicate_campaign(
        &self,
        now: DateTime<Utc>,
        id: &str,
        new_id: Uuid,
        actor: Actor,
    ) -> Result<Campaign, Error> {
        Ok(self
            .store()
            .duplicate_campaign(now, id, new_id, actor)
            .await?)
    }

    /// Moves a campaign along a valid transition, or explains why not.
    pub async fn set_campaign_status(
        &self,
        now: DateTime<Utc>,
        id: &str,
        actor: Actor,
        to: CampaignStatus,
    ) -> Result<Campaign, Error> {
        match self
            .store()
            .set_campaign_status(now, id, actor, to, |from| campaigns::can_move(from, to))
            .await?
        {
            Ok(c) => Ok(c),
            Err(from) => Err(Error::Validation(vec![
                campaigns::check_move(from, to).expect_err("refused by the same rule")
            ])),
        }
    }

    /// The variants of campaign `id` the publisher will not pick by itself
    /// because they break the rules (the platform's, the brand's banned
    /// words, their media's), in words with their platform; and, for a
    /// platform where every variant does, that its posts will be held.
    /// Said when a campaign is activated.
    pub async fn rule_breaking_variants(&self, id: &str) -> Result<Vec<String>, Error> {
        let campaign = self.campaign(id).await?;
        let mut out = Vec::new();
        for platform in &campaign.platforms {
            let (count, ruled) = crate::publish::ruled_out_of(self.store(), id, *platform).await?;
            for r in &ruled {
                out.push(format!("{}: {}", platform.label(), r.why));
            }
            if count > 0 && ruled.len() == count {
                out.push(format!(
                    "{}: every variant breaks the rules, so its posts will be held until you pick one for each post or fix a variant.",
                    platform.label()
                ));
            }
        }
        Ok(out)
    }

    pub async fn delete_campaign(
        &self,
        now: DateTime<Utc>,
        id: &str,
        actor: Actor,
    ) -> Result<(), Error> {
        Ok(self.store().delete_campaign(now, id, actor).await?)
    }

    pub async fn list_variants(&self, campaign_id: &str) -> Result<Vec<Variant>, Error> {
        Ok(self.store().list_variants(campaign_id).await?)
    }

    /// Checks a post against its platform's rules and, with a campaign,
    /// that campaign's banned words: the same function the generator, the
    /// publisher and `reachloop-cli post check` use. With a variant, its
    /// attached media are checked too.
    pub async fn check_post(
        &self,
        platform: Platform,
        text: &VariantText,
        campaign_id: Option<&str>,
        variant_id: Option<&str>,
    ) -> Result<PostCheck, Error> {
        let banned = match campaign_id {
            Some(id) => self.campaign(id).await?.brand.banned_words,
            None => Vec::new(),
        };
        let mut check = rules::check(&rules::Post {
            platform,
            body: &text.body,
            title: text.title.as_deref(),
            banned: &banned,
        });
        if let Some(id) = variant_id {
            if let Some(v) = self.store().variant(id).await? {
                check
                    .problems
                    .extend(rules::check_media(platform, &v.attachments));
                check.valid = check.problems.is_empty();
            }
        }
        Ok(check)
    }

    /// Where attached media are kept.
    pub fn media_dir(&self) -> std::path::PathBuf {
        self.data_dir().join("media")
    }

    /// Attaches the file at `path` to a variant: the app keeps its own
    /// content-addressed copy; the file's real type, size, dimensions and
    /// (video) duration come from its bytes.
    pub async fn attach_media(
        &self,
        now: DateTime<Utc>,
        variant_id: &str,
        path: &std::path::Path,
        actor: Actor,
    ) -> Result<Variant, Error> {
        let variant = self.variant(variant_id).await?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "the file".into());
        let dir = self.media_dir();
        let source = path.to_path_buf();
        let attachment = tokio::task::spawn_blocking(move || media::import(&dir, &source, &name))
            .await
            .map_err(|e| Error::Media(format!("reading the file stopped: {e}")))?
            .map_err(|e| Error::Media(e.to_string()))?;
        let mut attachments = variant.attachments.clone();
        if !attachments.iter().any(|a| a.sha256 == attachment.sha256) {
            attachments.push(attachment);
        }
        Ok(self
            .store()
            .set_attachments(
                now,
                variant_id,
                actor,
                &attachments,
                "variant.media_attached",
            )
            .await?)
    }

    /// Attaches dropped bytes (drag and drop hands the window bytes, not a path).
    pub async fn attach_media_bytes(
        &self,
        now: DateTime<Utc>,
        variant_id: &str,
        file_name: &str,
        bytes: Vec<u8>,
        actor: Actor,
    ) -> Result<Variant, Error> {
        let dir = self.media_dir();
        crate::paths::create_private_dir_all(&dir)
            .map_err(|e| Error::Media(format!("cannot create {}: {e}", dir.display())))?;
        let name: String = std::path::Path::new(file_name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "dropped file".into());
        let temp = tempfile::Builder::new()
            .prefix(".drop-")
            .tempdir_in(&dir)
            .map_err(|e| Error::Media(format!("cannot stage the dropped file: {e}")))?;
        let path = temp.path().join(&name);
        std::fs::write(&path, bytes)
            .map_err(|e| Error::Media(format!("cannot stage the dropped file: {e}")))?;
        self.attach_media(now, variant_id, &path, actor).await
    }

    /// Removes one attachment from a variant (the stored copy stays for
    /// other variants that use it).
    pub async fn detach_media(
        &self,
        now: DateTime<Utc>,
        variant_id: &str,
        sha256: &str,
        actor: Actor,
    ) -> Result<Variant, Error> {
        let variant = self.variant(variant_id).await?;
        let attachments: Vec<_> = variant
            .attachments
            .into_iter()
            .filter(|a| a.sha256 != sha256)
            .collect();
        Ok(self
            .store()
            .set_attachments(
                now,
                variant_id,
                actor,
                &attachments,
                "variant.media_detached",
            )
            .await?)
    }

    /// A `data:` URL of a stored image, for the grid's thumbnail; `None`
    /// for video (no decoder here) or an image over 10 MB.
    pub fn media_preview(&self, sha256: &str, mime: &str) -> Result<Option<String>, Error> {
        use base64::Engine;
        let path = media::stored_path(&self.media_dir(), sha256, media::extension_of(mime))
            .map_err(|e| Error::Media(e.to_string()))?;
        if !mime.starts_with("image/") {
            return Ok(None);
        }
        let meta = std::fs::metadata(&path).map_err(|e| {
            Error::Media(format!(
                "the stored copy is missing ({e}); attach the file again"
            ))
        })?;
        if meta.len() > 10 * 1024 * 1024 {
            return Ok(None);
        }
        let bytes = std::fs::read(&path)
            .map_err(|e| Error::Media(format!("cannot read the stored copy: {e}")))?;
        Ok(Some(format!(
            "data:{mime};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )))
    }

    /// Adds a hand-written variant (works offline).
    pub async fn add_variant(
        &self,
        now: DateTime<Utc>,
        campaign_id: &str,
        platform: Platform,
        text: &VariantText,
        actor: Actor,
    ) -> Result<Variant, Error> {
        let campaign = self.campaign(campaign_id).await?;
        if !campaign.platforms.contains(&platform) {
            return Err(Error::Validation(vec![field(
                "platform",
                "not_in_campaign",
                format!("This campaign does not target {platform}; add the platform to the campaign first."),
            )]));
        }
        require_text(text)?;
        let title = clean_title(platform, text.title.as_deref());
        let media = default_media(platform);
        let saved = self
            .store()
            .insert_variants(
                now,
                campaign_id,
                actor,
                &[NewVariant {
                    platform,
                    title: title.as_deref(),
                    body: &text.body,
                    media: &media,
                    flag_reason: None,
                }],
                None,
            )
            .await?;
        Ok(saved.into_iter().next().expect("one inserted"))
    }

    /// Saves an edited variant's text. A variant that breaks a rule is
    /// still saved (it is a draft); the check travels with it to the UI and
    /// the publisher refuses it until fixed.
    pub async fn edit_variant(
        &self,
        now: DateTime<Utc>,
        id: &str,
        text: &VariantText,
        actor: Actor,
        expected_updated_at: Option<&str>,
    ) -> Result<Variant, Error> {
        let variant = self.variant(id).await?;
        require_text(text)?;
        let title = clean_title(variant.platform, text.title.as_deref());
        Ok(self
            .store()
            .edit_variant(
                now,
                id,
                actor,
                title.as_deref(),
                &text.body,
                expected_updated_at,
            )
            .await?)
    }

    pub async fn delete_variant(
        &self,
        now: DateTime<Utc>,
        id: &str,
        actor: Actor,
    ) -> Result<(), Error> {
        Ok(self.store().archive_variant(now, id, actor).await?)
    }

    /// Settings → AI without the key.
    pub async fn ai_settings(&self, keys: &OsKeychain) -> Result<AiSettings, Error> {
        let (base, model, temperature) = self.store().ai_settings().await?;
        let mut from_env = Vec::new();
        for var in ["AI_BASE_URL", "AI_API_KEY", "AI_MODEL"] {
            if env(var).is_some() {
                from_env.push(var.to_string());
            }
        }
        let has_api_key = env("AI_API_KEY").is_some()
            || matches!(keys.with_user(AI_KEY_ENTRY).load(), Ok(Some(_)));
        Ok(AiSettings {
            base_url: env("AI_BASE_URL").or(base).unwrap_or_default(),
            model: env("AI_MODEL").or(model).unwrap_or_default(),
            temperature: temperature.unwrap_or(DEFAULT_TEMPERATURE),
            has_api_key,
            from_env,
            notice: None,
        })
    }

    /// Saves Settings → AI. An empty base URL means "no endpoint" (drafting
    /// by hand). `api_key`: `Some("")` removes the stored key, `None` keeps it.
    pub async fn save_ai_settings(
        &self,
        now: DateTime<Utc>,
        input: &AiSettings,
        api_key: Option<&str>,
        keys: &OsKeychain,
    ) -> Result<AiSettings, Error> {
        let mut problems = Vec::new();
        let base = input.base_url.trim();
        if !base.is_empty() {
            if let Err(e) = ai::parse_base_url(base) {
                problems.push(field("base_url", "invalid", e.to_string()));
            }
        }
        let model = input.model.trim();
        if !base.is_empty() && model.is_empty() {
            problems.push(field(
                "model",
                "required",
                "Name the model to use (Test connection lists them).",
            ));
        }
        if model.chars().any(char::is_control) || model.len() > 200 {
            problems.push(field(
                "model",
                "invalid",
                "A model name is one line of at most 200 characters.",
            ));
        }
        if !(input.temperature.is_finite() && (0.0..=2.0).contains(&input.temperature)) {
            problems.push(field(
                "temperature",
                "out_of_range",
                "Temperature goes from 0 to 2.",
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        // A key was given for the old address's host: never send it to
        // another one. Unless a new key comes with the change, drop it.
        let (stored_base, _, _) = self.store().ai_settings().await?;
        let moved = stored_base
            .as_deref()
            .is_some_and(|old| !same_origin(old, base));
        let entry = keys.with_user(AI_KEY_ENTRY);
        let had_key = matches!(entry.load(), Ok(Some(_)));
        let mut notice = None;
        let mut key_dropped = false;
        match api_key.map(str::trim) {
            Some("") => {
                let _ = entry.forget();
            }
            Some(key) => entry
                .save(key.as_bytes())
                .map_err(crate::secrets::SecretsError::from)?,
            None if moved && had_key => {
                entry.forget().map_err(crate::secrets::SecretsError::from)?;
                key_dropped = true;
                notice = Some(
                    "The saved API key was removed: it belonged to the previous address, and \
                     Reachloop never sends a key to another host. Enter the key for the new \
                     address if it needs one."
                        .to_string(),
                );
            }
            None => {}
        }
        self.store()
            .set_ai_settings(
                now,
                Some(base).filter(|b| !b.is_empty()),
                model,
                input.temperature,
                key_dropped,
            )
            .await?;
        let mut saved = self.ai_settings(keys).await?;
        saved.notice = notice;
        Ok(saved)
    }

    /// Where the model is, from Settings and the keychain, each overridden
    /// by `AI_BASE_URL`, `AI_API_KEY`, `AI_MODEL`.
    pub async fn ai_config(&self, keys: &OsKeychain) -> Result<AiConfig, Error> {
        let (base, model, temperature) = self.store().ai_settings().await?;
        let Some(base) = env("AI_BASE_URL").or(base) else {
            return Err(AiError::NotConfigured.into());
        };
        let base_url = ai::parse_base_url(&base)?;
        let api_key = match env("AI_API_KEY") {
            Some(k) => Some(Zeroizing::new(k)),
            None => keys
                .with_user(AI_KEY_ENTRY)
                .load()
                .map_err(crate::secrets::SecretsError::from)?
                .map(|b| Zeroizing::new(String::from_utf8_lossy(&b).into_owned())),
        };
        let model = env("AI_MODEL").or(model).unwrap_or_default();
        if model.is_empty() {
            return Err(AiError::BadSetting(
                "no model is set: choose one in Settings → AI (or AI_MODEL)".into(),
            )
            .into());
        }
        Ok(AiConfig {
            base_url,
            api_key,
            model,
            temperature: temperature.unwrap_or(DEFAULT_TEMPERATURE),
        })
    }

    /// "Test connection": the models the endpoint offers, or the exact error.
    pub async fn test_ai_connection(&self, keys: &OsKeychain) -> Result<Vec<String>, Error> {
        self.test_ai_address(keys, None, None).await
    }

    /// "Test connection" on what the user typed (`address`, and `api_key`
    /// if they typed one), before saving it. The saved key is only sent to
    /// the address it was saved for; `AI_BASE_URL` and `AI_API_KEY` win as
    /// everywhere.
    pub async fn test_ai_address(
        &self,
        keys: &OsKeychain,
        address: Option<&str>,
        api_key: Option<&str>,
    ) -> Result<Vec<String>, Error> {
        let (stored, _, _) = self.store().ai_settings().await?;
        let typed = address.map(str::trim).filter(|a| !a.is_empty());
        let Some(base) = env("AI_BASE_URL")
            .or(typed.map(String::from))
            .or(stored.clone())
        else {
            return Err(AiError::NotConfigured.into());
        };
        let base_url = ai::parse_base_url(&base)?;
        let key = match (
            env("AI_API_KEY"),
            api_key.map(str::trim).filter(|k| !k.is_empty()),
        ) {
            (Some(k), _) => Some(Zeroizing::new(k)),
            (None, Some(k)) => Some(Zeroizing::new(k.to_string())),
            // The saved key, only where it was saved for.
            (None, None) if stored.as_deref().is_some_and(|s| same_origin(s, &base)) => keys
                .with_user(AI_KEY_ENTRY)
                .load()
                .map_err(crate::secrets::SecretsError::from)?
                .map(|b| Zeroizing::new(String::from_utf8_lossy(&b).into_owned())),
            (None, None) => None,
        };
        let config = AiConfig {
            base_url,
            api_key: key,
            model: String::new(),
            temperature: DEFAULT_TEMPERATURE,
        };
        Ok(ai::list_models(self.http(), &config).await?)
    }

    /// Records a generation request. Run it with [`App::run_generation`].
    pub async fn request_generation(
        &self,
        now: DateTime<Utc>,
        campaign_id: &str,
        platform: Option<Platform>,
        variant_id: Option<&str>,
    ) -> Result<GenerationJob, Error> {
        let campaign = self.campaign(campaign_id).await?;
        if let Some(p) = platform {
            if !campaign.platforms.contains(&p) {
                return Err(Error::Validation(vec![field(
                    "platform",
                    "not_in_campaign",
                    format!("This campaign does not target {p}."),
                )]));
            }
        }
        if let Some(v) = variant_id {
            let variant = self.variant(v).await?;
            if variant.campaign_id != campaign_id {
                return Err(crate::store::StoreError::NotFound.into());
            }
        }
        // Without any endpoint there is nothing to wait for: say where to
        // set one up instead of leaving a job that would wait forever. (An
        // endpoint that is set but unreachable does queue the request.)
        let (base, _, _) = self.store().ai_settings().await?;
        if env("AI_BASE_URL").or(base).is_none() {
            return Err(AiError::NotConfigured.into());
        }
        Ok(self
            .store()
            .queue_generation(now, campaign_id, platform, variant_id)
            .await?)
    }

    /// What a job is doing right now, or its stored state.
    pub async fn generation_jobs(&self, campaign_id: &str) -> Result<Vec<GenerationJob>, Error> {
        let mut jobs = self.store().recent_jobs(campaign_id, 10).await?;
        let live = super::lock(&self.job_progress).clone();
        for job in &mut jobs {
            if job.status == "running" {
                if let Some(p) = live.get(&job.id) {
                    job.message = Some(p.clone());
                }
            }
        }
        Ok(jobs)
    }

    pub async fn cancel_generation(&self, now: DateTime<Utc>, job_id: &str) -> Result<(), Error> {
        // Only from queued or running: a job that already ended stays as it is.
        if self
            .store()
            .move_job(
                now,
                job_id,
                &["queued", "running"],
                "cancelled",
                Some("Cancelled."),
                false,
            )
            .await?
        {
            super::lock(&self.job_progress).remove(job_id);
        }
        Ok(())
    }

    /// Runs a queued job: generates (or regenerates) and stores variants.
    /// An unreachable or unconfigured endpoint leaves the job queued with
    /// the reason; other failures mark it failed with the message.
    pub async fn run_generation(
        &self,
        job_id: &str,
        keys: &OsKeychain,
        policy: RetryPolicy,
    ) -> Result<GenerationJob, Error> {
        let store = self.store();
        let job = self.job(job_id).await?;
        if job.status != "queued" {
            return Ok(job);
        }
        let config = match self.ai_config(keys).await {
            Ok(c) => c,
            Err(Error::Ai(e)) if e.is_offline() => {
                self.keep_waiting(job_id, &e).await?;
                return self.job(job_id).await;
            }
            Err(e) => {
                store
                    .move_job(
                        Utc::now(),
                        job_id,
                        &["queued"],
                        "failed",
                        Some(&e.to_string()),
                        true,
                    )
                    .await?;
                return Err(e);
            }
        };
        if !store.claim_job(Utc::now(), job_id).await? {
            // Another runner took it first, or it was cancelled.
            return self.job(job_id).await;
        }
        let result = self.generate_for_job(&job, &config, policy).await;
        super::lock(&self.job_progress).remove(job_id);
        // Every move below is from "running" only: a cancel that landed
        // meanwhile wins, whenever it landed.
        match result {
            // Cancelled while running: its output was refused, nothing to do.
            Err(Error::Store(crate::store::StoreError::JobNotRunning)) => {}
            Ok(summary) => {
                store
                    .move_job(
                        Utc::now(),
                        job_id,
                        &["running"],
                        "done",
                        Some(&summary),
                        false,
                    )
                    .await?;
            }
            // A server that answers but never in time is not "offline"
            // forever: after a few tries the job fails with the reason.
            Err(Error::Generate(generate::GenerateError::Ai(e)))
                if e.is_offline()
                    && !(matches!(e, AiError::TimedOut(_))
                        && job.attempts + 1 >= MAX_TIMED_OUT_RUNS) =>
            {
                self.keep_waiting(job_id, &e).await?
            }
            Err(e) => {
                store
                    .move_job(
                        Utc::now(),
                        job_id,
                        &["running"],
                        "failed",
                        Some(&e.to_string()),
                        false,
                    )
                    .await?;
                return Err(e);
            }
        }
        self.job(job_id).await
    }

    async fn generate_for_job(
        &self,
        job: &GenerationJob,
        config: &AiConfig,
        policy: RetryPolicy,
    ) -> Result<String, Error> {
        let campaign = self.campaign(&job.campaign_id).await?;
        let existing_all = self.list_variants(&campaign.id).await?;
        let target = match &job.variant_id {
            Some(id) => Some(
                existing_all
                    .iter()
                    .find(|v| &v.id == id)
                    .cloned()
                    .ok_or(crate::store::StoreError::NotFound)?,
            ),
            None => None,
        };
        let platforms: Vec<Platform> = match (&target, job.platform) {
            (Some(v), _) => vec![v.platform],
            (None, Some(p)) => vec![p],
            (None, None) => campaign.platforms.clone(),
        };
        let start = match self.store().ai_format().await?.as_deref() {
            Some("json_object") => Format::JsonObject,
            Some("text") => Format::Text,
            _ => Format::Schema,
        };
        // A rerun after a crash does not write again what it already wrote.
        let done = self.store().job_done_platforms(&job.id).await?;
        let mut made = 0;
        let mut flagged = 0;
        for platform in platforms.into_iter().filter(|p| !done.contains(p)) {
            let existing: Vec<String> = existing_all
                .iter()
                .filter(|v| v.platform == platform && Some(&v.id) != target.as_ref().map(|t| &t.id))
                .map(|v| v.body.clone())
                .collect();
            let count = if target.is_some() {
                1
            } else {
                usize::from(campaign.variants_per_platform)
            };
            let brief = Brief {
                campaign: &campaign.name,
                prompt: &campaign.prompt,
                goal: campaign.goal,
                brand: &campaign.brand,
                platform,
                count,
                existing: &existing,
            };
            let progress_map = Arc::clone(&self.job_progress);
            let job_id = job.id.clone();
            let label = platform.label();
            let report = move |p: Progress| {
                let text = match p {
                    Progress::Asking { .. } => format!("Writing {}…", crate::text::count(count as u64, &format!("{label} variant"))),
                    Progress::Repairing { round, broken, duplicates } => format!(
                        "Fixing {label} variants (round {round}: {broken} broke a rule, {duplicates} repeated another)…"
                    ),
                };
                super::lock(&progress_map).insert(job_id.clone(), text);
            };
            report(Progress::Asking { round: 0 });
            let outcome = generate::generate(
                self.http(),
                config,
                &brief,
                start,
                policy,
                tokio::time::sleep,
                &report,
            )
            .await?;
            self.store()
                .set_ai_format(Utc::now(), outcome.format.as_str())
                .await?;
            let provenance = Provenance {
                model: &config.model,
                temperature: config.temperature,
                prompt_hash: &outcome.prompt_hash,
                job: Some(&job.id),
                details: json!({
                    "format": outcome.format.as_str(),
                    "requests": outcome.requests,
                    "repairs": outcome.repairs,
                    "duplicates_rejected": outcome.duplicates_rejected,
                    "job": job.id,
                }),
            };
            let new: Vec<NewVariant<'_>> = outcome
                .variants
                .iter()
                .map(|g| NewVariant {
                    platform,
                    title: g.draft.title.as_deref(),
                    body: &g.draft.body,
                    media: &g.draft.media,
                    flag_reason: g.flagged.as_deref(),
                })
                .collect();
            flagged += new.iter().filter(|n| n.flag_reason.is_some()).count();
            match &target {
                Some(t) => {
                    if let Some(n) = new.first() {
                        self.store()
                            .replace_variant(Utc::now(), &t.id, Actor::User, n, &provenance)
                            .await?;
                        made += 1;
                    }
                }
                None => {
                    made += self
                        .store()
                        .insert_variants(
                            Utc::now(),
                            &campaign.id,
                            Actor::User,
                            &new,
                            Some(&provenance),
                        )
                        .await?
                        .len();
                }
            }
        }
        Ok(if flagged > 0 {
            format!(
                "{} written; {flagged} still break a rule and need you.",
                crate::text::count(made as u64, "variant")
            )
        } else {
            format!("{} written.", crate::text::count(made as u64, "variant"))
        })
    }

    /// Runs every queued job once (the shell calls this when the endpoint
    /// may be back). Returns the jobs that ran to an end.
    pub async fn run_queued_generations(
        &self,
        keys: &OsKeychain,
        policy: RetryPolicy,
    ) -> Result<Vec<GenerationJob>, Error> {
        let mut finished = Vec::new();
        for job in self.store().open_jobs(None).await? {
            if job.status != "queued" {
                continue;
            }
            // One job's error or panic is logged and marks that job; the
            // others still run.
            match self.run_generation_safely(&job.id, keys, policy).await {
                Ok(j) if j.status == "queued" => break, // still offline: try later
                Ok(j) => finished.push(j),
                Err(e) => tracing::warn!(job = %job.id, "queued generation failed: {e}"),
            }
        }
        Ok(finished)
    }

    /// [`App::run_generation`] for background tasks: a panic inside is
    /// caught, logged, and marks the job failed (instead of leaving it
    /// "running" until a restart).
    pub async fn run_generation_safely(
        &self,
        job_id: &str,
        keys: &OsKeychain,
        policy: RetryPolicy,
    ) -> Result<GenerationJob, Error> {
        match crate::background::isolate(self.run_generation(job_id, keys, policy)).await {
            Ok(job) => Ok(job),
            Err(crate::background::ItemFailure::Error(e)) => Err(e),
            Err(crate::background::ItemFailure::Panicked(m)) => {
                tracing::error!(job = %job_id, "generation panicked: {m}");
                super::lock(&self.job_progress).remove(job_id);
                self.store()
                    .move_job(
                        Utc::now(),
                        job_id,
                        &["queued", "running"],
                        "failed",
                        Some("Reachloop hit an internal error while writing these variants; try Generate again."),
                        false,
                    )
                    .await?;
                self.job(job_id).await
            }
        }
    }
}

/// A variant needs some text to post: an empty (or only invisible) body is
/// refused, so a blanked card can never be saved as an empty post.
fn require_text(text: &VariantText) -> Result<(), Error> {
    if !crate::text::is_blank(&text.body) {
        return Ok(());
    }
    Err(Error::Validation(vec![field(
        "body",
        "required",
        "Write the post text first; an empty variant cannot be saved.",
    )]))
}

/// YouTube keeps a title; other platforms have none.
fn clean_title(platform: Platform, title: Option<&str>) -> Option<String> {
    (platform == Platform::Youtube).then(|| title.unwrap_or("").trim().to_string())
}

fn default_media(platform: Platform) -> reachloop_ipc::MediaRecommendation {
    use reachloop_ipc::{MediaKind, MediaRecommendation};
    let (kind, ratio) = match platform {
        Platform::Youtube | Platform::Tiktok => (MediaKind::Video, Some("9:16")),
        Platform::Instagram => (MediaKind::Image, Some("4:5")),
        _ => (MediaKind::None, None),
    };
    MediaRecommendation {
        kind,
        aspect_ratio: ratio.map(String::from),
        duration_seconds: None,
        notes: None,
    }
}

/// How long a generation may keep retrying before the UI shows it failed.
pub fn default_policy() -> RetryPolicy {
    RetryPolicy {
        timeout: Duration::from_secs(120),
        ..RetryPolicy::default()
    }
}

/// Whether two AI addresses are the same scheme, host and port (an empty or
/// unreadable address matches nothing).
fn same_origin(a: &str, b: &str) -> bool {
    match (url::Url::parse(a.trim()), url::Url::parse(b.trim())) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}
