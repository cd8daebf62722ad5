//! Schedules, the Calendar and overrides of single posts.

use reachloop::store::Actor;
use reachloop_ipc::ErrorDto;
use tauri::State;

use super::to_dto;
use super::Shell;

/// What the schedule form shows while it is typed: a cadence's next runs
/// or a one-off's time, in the zone (the computer's when empty), and
/// whether a one-off's minute is taken; problems tied to their field.
#[tauri::command]
pub(crate) async fn preview_schedule(
    shell: State<'_, Shell>,
    input: reachloop_ipc::NewSchedule,
) -> Result<reachloop_ipc::SchedulePreview, ErrorDto> {
    shell
        .core()?
        .preview_schedule(
            chrono::Utc::now(),
            &input,
            &reachloop::time::local_zone_name(),
        )
        .await
        .map_err(|fields| ErrorDto {
            code: reachloop_ipc::codes::VALIDATION.into(),
            message: fields
                .first()
                .map(|f| f.message.clone())
                .unwrap_or_default(),
            fields,
        })
}

#[tauri::command]
pub(crate) async fn create_schedule(
    shell: State<'_, Shell>,
    input: reachloop_ipc::NewSchedule,
) -> Result<reachloop_ipc::Schedule, ErrorDto> {
    shell
        .core()?
        .create_schedule(
            chrono::Utc::now(),
            Actor::User,
            &input,
            &reachloop::time::local_zone_name(),
        )
        .await
        .map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn list_schedules(
    shell: State<'_, Shell>,
    campaign_id: Option<String>,
) -> Result<Vec<reachloop_ipc::Schedule>, ErrorDto> {
    shell
        .core()?
        .list_schedules(campaign_id.as_deref())
        .await
        .map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn set_schedule_paused(
    shell: State<'_, Shell>,
    id: String,
    paused: bool,
) -> Result<reachloop_ipc::Schedule, ErrorDto> {
    shell
        .core()?
        .set_schedule_paused(chrono::Utc::now(), Actor::User, &id, paused)
        .await
        .map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn calendar_days(
    shell: State<'_, Shell>,
    query: reachloop_ipc::CalendarQuery,
) -> Result<reachloop_ipc::CalendarRange, ErrorDto> {
    shell.core()?.calendar_days(&query).await.map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn calendar_day(
    shell: State<'_, Shell>,
    query: reachloop_ipc::CalendarDayQuery,
) -> Result<reachloop_ipc::CalendarDayPage, ErrorDto> {
    shell.core()?.calendar_day(&query).await.map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn override_post(
    shell: State<'_, Shell>,
    change: reachloop_ipc::PostChange,
) -> Result<reachloop_ipc::ScheduledPost, ErrorDto> {
    shell
        .core()?
        .change_post(chrono::Utc::now(), Actor::User, &change)
        .await
        .map_err(to_dto)
}

/// The posts resuming would skip (their time passed during the pause): of
/// schedule `schedule_id`, or with none of all while publishing was paused.
#[tauri::command]
pub(crate) async fn skipped_on_resume(
    shell: State<'_, Shell>,
    schedule_id: Option<String>,
) -> Result<Vec<String>, ErrorDto> {
    shell
        .core()?
        .skipped_on_resume(chrono::Utc::now(), schedule_id.as_deref())
        .await
        .map_err(to_dto)
}
