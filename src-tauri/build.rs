//! Generates Tauri's context and the ACL for the app's own commands.

/// Every command the UI may call; each gets an `allow-<name>` permission that
/// `capabilities/main-window.json` grants to the main window.
const COMMANDS: &[&str] = &[
    "list_campaigns",
    "create_campaign",
    "app_status",
    "set_publishing_paused",
    "recent_audit",
    "ui_ready",
    "page_shown",
    "list_accounts",
    "connect_account",
    "connect_pages",
    "cancel_connect",
    "disconnect_account",
    "list_platform_apps",
    "save_platform_app",
    "get_campaign",
    "update_campaign",
    "duplicate_campaign",
    "set_campaign_status",
    "campaign_warnings",
    "delete_campaign",
    "list_variants",
    "add_variant",
    "edit_variant",
    "delete_variant",
    "check_post",
    "generate_variants",
    "cancel_generation",
    "generation_jobs",
    "ai_settings",
    "save_ai_settings",
    "test_ai_connection",
    "pick_media",
    "attach_dropped_media",
    "detach_media",
    "media_preview",
    "connect_sandbox",
    "rename_account",
    "preview_schedule",
    "create_schedule",
    "list_schedules",
    "set_schedule_paused",
    "skipped_on_resume",
    "publisher_status",
    "ui_timing",
    "calendar_days",
    "calendar_day",
    "override_post",
    "start_at_login",
    "set_start_at_login",
    "sandbox_world",
    "set_sandbox_seed",
    "dashboard",
    "dashboard_chart",
    "optimizer_view",
    "retire_losers",
    "export_optimizer_chart",
    "export_campaign_csv",
    "export_chart",
    "post_history",
    "export_post_chart",
];

fn main() {
    ensure_ui_dist();
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build: check tauri.conf.json and capabilities/");
}

/// `generate_context!` embeds `ui/dist`, which `cargo xtask` builds. A plain
/// `cargo build` before that gets a page saying how to build the UI, instead
/// of a compile error.
fn ensure_ui_dist() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist");
    println!("cargo:rerun-if-changed=../ui/dist");
    if dist.join("index.html").exists() {
        // Each file too: the embedded assets must follow every rebuilt UI
        // (a window once came up without its wasm after a rebuild).
        for entry in std::fs::read_dir(&dist).into_iter().flatten().flatten() {
            println!("cargo:rerun-if-changed={}", entry.path().display());
        }
        return;
    }
    std::fs::create_dir_all(&dist).expect("create ui/dist");
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><meta charset=utf-8><title>Reachloop</title>\
         <p>The UI has not been built. Run <code>cargo xtask run</code> from the repository root.</p>",
    )
    .expect("write placeholder ui/dist/index.html");
}
