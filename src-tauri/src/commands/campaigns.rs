//! Campaigns, their variants, AI generation and its settings.

use reachloop::store::Actor;
use reachloop_ipc::{
    AiSettings, Campaign, CampaignStatus, ErrorDto, GenerationJob, NewCampaign, PostCheck, Variant,
    VariantText,
};
use tauri::State;

use super::parse_platform;
use super::to_dto;
use super::Shell;

#[tauri::command]
pub(crate) async fn list_campaigns(shell: State<'_, Shell>) -> Result<Vec<Campaign>, ErrorDto> {
    shell.core()?.list_campaigns().await.map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn create_campaign(
    shell: State<'_, Shell>,
    input: NewCampaign,
) -> Result<Campaign, ErrorDto> {
    let now = chrono::Utc::now();
    shell
        .core()?
        .create_campaign(now, uuid::Uuid::new_v4(), Actor::User, &input)
        .await
        .map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn get_campaign(
    shell: State<'_, Shell>,
    id: String,
) -> Result<Campaign, ErrorDto> {
    shell.core()?.campaign(&id).await.map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn update_campaign(
    shell: State<'_, Shell>,
    id: String,
    input: NewCampaign,
    expected_updated_at: Option<String>,
) -> Result<Campaign, ErrorDto> {
    shell
        .core()?
        .update_campaign(
            chrono::Utc::now(),
            &id,
            Actor::User,
            &input,
            expected_updated_at.as_deref(),
        )
        .await
        .map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn duplicate_campaign(
    shell: State<'_, Shell>,
    id: String,
) -> Result<Campaign, ErrorDto> {
    shell
        .core()?
        .duplicate_campaign(chrono::Utc::now(), &id, uuid::Uuid::new_v4(), Actor::User)
        .await
        .map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn set_campaign_status(
    shell: State<'_, Shell>,
    id: String,
    status: String,
) -> Result<Campaign, ErrorDto> {
    let status = CampaignStatus::parse(&status).ok_or_else(|| ErrorDto {
        code: reachloop_ipc::codes::VALIDATION.into(),
        message: format!("unknown campaign status {status:?}"),
        fields: vec![],
    })?;
    shell
        .core()?
        .set_campaign_status(chrono::Utc::now(), &id, Actor::User, status)
        .await
        .map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn delete_campaign(
    shell: State<'_, Shell>,
    id: String,
) -> Result<Vec<Campaign>, ErrorDto> {
    let core = shell.core()?;
    core.delete_campaign(chrono::Utc::now(), &id, Actor::User)
        .await
        .map_err(to_dto)?;
    core.list_campaigns().await.map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn list_variants(
    shell: State<'_, Shell>,
    campaign_id: String,
) -> Result<Vec<Variant>, ErrorDto> {
    shell
        .core()?
        .list_variants(&campaign_id)
        .await
        .map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn add_variant(
    shell: State<'_, Shell>,
    campaign_id: String,
    platform: String,
    text: VariantText,
) -> Result<Variant, ErrorDto> {
    let platform = parse_platform(&platform)?;
    shell
        .core()?
        .add_variant(
            chrono::Utc::now(),
            &campaign_id,
            platform,
            &text,
            Actor::User,
        )
        .await
        .map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn edit_variant(
    shell: State<'_, Shell>,
    id: String,
    text: VariantText,
    expected_updated_at: Option<String>,
) -> Result<Variant, ErrorDto> {
    shell
        .core()?
        .edit_variant(
            chrono::Utc::now(),
            &id,
            &text,
            Actor::User,
            expected_updated_at.as_deref(),
        )
        .await
        .map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn delete_variant(shell: State<'_, Shell>, id: String) -> Result<(), ErrorDto> {
    shell
        .core()?
        .delete_variant(chrono::Utc::now(), &id, Actor::User)
        .await
        .map_err(to_dto)
}

/// The live rule check the variant editor shows while typing.
#[tauri::command]
pub(crate) async fn check_post(
    shell: State<'_, Shell>,
    platform: String,
    text: VariantText,
    campaign_id: Option<String>,
    variant_id: Option<String>,
) -> Result<PostCheck, ErrorDto> {
    let platform = parse_platform(&platform)?;
    shell
        .core()?
        .check_post(
            platform,
            &text,
            campaign_id.as_deref(),
            variant_id.as_deref(),
        )
        .await
        .map_err(to_dto)
}

/// Queues a generation (all platforms, one platform, or one variant) and
/// starts it in the background; the UI follows it with `generation_jobs`.
#[tauri::command]
pub(crate) async fn generate_variants(
    shell: State<'_, Shell>,
    campaign_id: String,
    platform: Option<String>,
    variant_id: Option<String>,
) -> Result<GenerationJob, ErrorDto> {
    let platform = platform.as_deref().map(parse_platform).transpose()?;
    let core = shell.core()?.clone();
    let job = core
        .request_generation(
            chrono::Utc::now(),
            &campaign_id,
            platform,
            variant_id.as_deref(),
        )
        .await
        .map_err(to_dto)?;
    let keys = shell.keys.clone();
    let id = job.id.clone();
    let task = tokio::spawn(async move {
        if let Err(e) = core
            .run_generation_safely(&id, &keys, reachloop::app::default_policy())
            .await
        {
            tracing::warn!(job = %id, code = e.code(), "generation failed: {e}");
        }
    });
    shell
        .generations
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(job.id.clone(), task.abort_handle());
    Ok(job)
}

#[tauri::command]
pub(crate) async fn cancel_generation(
    shell: State<'_, Shell>,
    job_id: String,
) -> Result<(), ErrorDto> {
    if let Some(task) = shell
        .generations
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&job_id)
    {
        task.abort();
    }
    shell
        .core()?
        .cancel_generation(chrono::Utc::now(), &job_id)
        .await
        .map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn generation_jobs(
    shell: State<'_, Shell>,
    campaign_id: String,
) -> Result<Vec<GenerationJob>, ErrorDto> {
    shell
        .core()?
        .generation_jobs(&campaign_id)
        .await
        .map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn ai_settings(shell: State<'_, Shell>) -> Result<AiSettings, ErrorDto> {
    shell.core()?.ai_settings(&shell.keys).await.map_err(to_dto)
}

/// Saves Settings → AI; `api_key` goes to the OS keychain only ("" removes it).
#[tauri::command]
pub(crate) async fn save_ai_settings(
    shell: State<'_, Shell>,
    settings: AiSettings,
    api_key: Option<String>,
) -> Result<AiSettings, ErrorDto> {
    let api_key = api_key.map(zeroize::Zeroizing::new);
    shell
        .core()?
        .save_ai_settings(
            chrono::Utc::now(),
            &settings,
            api_key.as_deref().map(String::as_str),
            &shell.keys,
        )
        .await
        .map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn test_ai_connection(
    shell: State<'_, Shell>,
    address: Option<String>,
    api_key: Option<String>,
) -> Result<Vec<String>, ErrorDto> {
    let api_key = api_key.map(zeroize::Zeroizing::new);
    shell
        .core()?
        .test_ai_address(
            &shell.keys,
            address.as_deref(),
            api_key.as_deref().map(String::as_str),
        )
        .await
        .map_err(to_dto)
}

/// What activating campaign `id` should say: the variants the publisher
/// will not pick because they break the rules.
#[tauri::command]
pub(crate) async fn campaign_warnings(
    shell: State<'_, Shell>,
    id: String,
) -> Result<Vec<String>, ErrorDto> {
    shell
        .core()?
        .rule_breaking_variants(&id)
        .await
        .map_err(to_dto)
}
