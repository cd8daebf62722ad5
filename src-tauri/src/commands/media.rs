//! Media attached to variants: picked, dropped, previewed, detached.

use reachloop::store::Actor;
use reachloop_ipc::{ErrorDto, Variant};
use tauri::{AppHandle, Runtime, State};

use super::to_dto;
use super::Shell;

pub(crate) fn media_error(message: String) -> ErrorDto {
    ErrorDto {
        code: "media".into(),
        message,
        fields: vec![],
    }
}

/// Opens the system file dialog and attaches the picked images or videos.
/// Answers the variant as it is afterwards (unchanged if the dialog was
/// closed). The first file that cannot be used stops with its reason.
#[tauri::command]
pub(crate) async fn pick_media<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    variant_id: String,
) -> Result<Variant, ErrorDto> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Attach images or videos")
        .add_filter(
            "Images and videos",
            &["jpg", "jpeg", "png", "gif", "webp", "mp4", "mov", "webm"],
        )
        .pick_files(move |picked| {
            let _ = tx.send(picked);
        });
    let picked = rx.await.unwrap_or_default().unwrap_or_default();
    let core = shell.core()?;
    for file in picked {
        let path = file
            .into_path()
            .map_err(|e| media_error(format!("the picked file has no local path: {e}")))?;
        core.attach_media(chrono::Utc::now(), &variant_id, &path, Actor::User)
            .await
            .map_err(to_dto)?;
    }
    core.store()
        .variant(&variant_id)
        .await
        .map_err(|e| to_dto(e.into()))?
        .ok_or_else(|| to_dto(reachloop::store::StoreError::NotFound.into()))
}

/// A file dropped on a variant: the raw bytes as the request body, the
/// variant and the (percent-encoded) file name in headers.
#[tauri::command]
pub(crate) async fn attach_dropped_media(
    shell: State<'_, Shell>,
    request: tauri::ipc::Request<'_>,
) -> Result<Variant, ErrorDto> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned()
            })
    };
    let variant_id = header("x-variant-id")
        .ok_or_else(|| media_error("the dropped file came without its variant".into()))?;
    let name = header("x-file-name").unwrap_or_else(|| "dropped file".into());
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(media_error(format!("{name} arrived without its bytes")));
    };
    shell
        .core()?
        .attach_media_bytes(
            chrono::Utc::now(),
            &variant_id,
            &name,
            bytes.clone(),
            Actor::User,
        )
        .await
        .map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn detach_media(
    shell: State<'_, Shell>,
    variant_id: String,
    sha256: String,
) -> Result<Variant, ErrorDto> {
    shell
        .core()?
        .detach_media(chrono::Utc::now(), &variant_id, &sha256, Actor::User)
        .await
        .map_err(to_dto)
}

/// A thumbnail for an attached image (`None` for video).
#[tauri::command]
pub(crate) async fn media_preview(
    shell: State<'_, Shell>,
    sha256: String,
    mime: String,
) -> Result<Option<String>, ErrorDto> {
    shell.core()?.media_preview(&sha256, &mime).map_err(to_dto)
}
