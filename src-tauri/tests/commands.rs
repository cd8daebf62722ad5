//! The shell's commands through Tauri's real IPC and ACL, on the mock runtime
//! (no window, no display), against a real SQLite file.

use reachloop_desktop::{builder_with, ShellOptions};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

struct Harness {
    _dir: tempfile::TempDir,
    _app: App<MockRuntime>,
    main: WebviewWindow<MockRuntime>,
    other: WebviewWindow<MockRuntime>,
}

fn harness() -> Harness {
    let dir = tempfile::Builder::new()
        .prefix("reachloop-cmd-")
        .tempdir()
        .expect("temp dir");
    harness_on(dir.path().to_path_buf(), dir)
}

fn harness_on(data_dir: std::path::PathBuf, dir: tempfile::TempDir) -> Harness {
    let core = tauri::async_runtime::block_on(reachloop::App::open(&data_dir));
    let app = builder_with(
        mock_builder(),
        core,
        ShellOptions {
            tray: false,
            deep_links: false,
            main_window: false,
        },
    )
    .build(tauri::generate_context!())
    .expect("build the app on the mock runtime");
    let main = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("main window");
    let other = WebviewWindowBuilder::new(&app, "other", Default::default())
        .build()
        .expect("other window");
    Harness {
        _dir: dir,
        _app: app,
        main,
        other,
    }
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("JSON response"))
}

#[test]
fn creates_and_lists_campaigns() {
    let h = harness();
    let input = json!({ "input": { "name": "Launch", "prompt": "p", "platforms": ["youtube", "x"], "goal": "reach" } });
    let created = invoke(&h.main, "create_campaign", input).expect("created");
    assert_eq!(created["name"], "Launch");
    assert_eq!(created["status"], "draft");
    assert_eq!(created["platforms"], json!(["x", "youtube"]));
    let listed = invoke(&h.main, "list_campaigns", json!({})).expect("listed");
    assert_eq!(listed, json!([created]));
}

#[test]
fn validation_errors_cross_as_codes_with_fields() {
    let h = harness();
    let input = json!({ "input": { "name": "", "prompt": "", "platforms": [], "goal": "reach" } });
    let err = invoke(&h.main, "create_campaign", input).expect_err("invalid");
    assert_eq!(err["code"], "validation");
    let fields: Vec<&str> = err["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["name", "platforms"]);
    assert_eq!(
        invoke(&h.main, "list_campaigns", json!({})).expect("listed"),
        json!([])
    );
}

#[test]
fn malformed_arguments_are_rejected_not_panicked() {
    let h = harness();
    let err = invoke(
        &h.main,
        "create_campaign",
        json!({ "input": { "name": 5 } }),
    )
    .expect_err("bad shape");
    assert!(
        err.as_str().is_some_and(|s| s.contains("invalid args")),
        "{err}"
    );
}

#[test]
fn pause_flag_round_trips_and_is_audited() {
    let h = harness();
    assert_eq!(
        invoke(&h.main, "app_status", json!({})).expect("status")["publishing_paused"],
        false
    );
    let status =
        invoke(&h.main, "set_publishing_paused", json!({ "paused": true })).expect("paused");
    assert_eq!(status["publishing_paused"], true);
    assert_eq!(
        invoke(&h.main, "app_status", json!({})).expect("status")["publishing_paused"],
        true
    );
    let audit = invoke(&h.main, "recent_audit", json!({ "limit": 10 })).expect("audit");
    assert_eq!(audit[0]["action"], "publishing.paused");
    assert_eq!(audit[0]["actor"], "user");
}

#[test]
fn acl_allows_only_our_commands_and_only_in_the_main_window() {
    let h = harness();
    // Core plugin commands are not granted.
    for cmd in [
        "plugin:window|close",
        "plugin:event|emit",
        "plugin:path|resolve_directory",
    ] {
        let err = invoke(&h.main, cmd, json!({})).expect_err(cmd);
        assert!(err.to_string().contains("not allowed"), "{cmd}: {err}");
    }
    // Unknown commands do not exist.
    assert!(invoke(&h.main, "drop_everything", json!({})).is_err());
    // Another window has no capability at all.
    let err = invoke(&h.other, "list_campaigns", json!({})).expect_err("other window");
    assert!(err.to_string().contains("not allowed"), "{err}");
}

#[test]
fn an_unopenable_data_dir_is_explained_by_every_command() {
    let dir = tempfile::Builder::new()
        .prefix("reachloop-cmd-")
        .tempdir()
        .expect("temp dir");
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"").expect("write");
    let h = harness_on(file, dir);
    for (cmd, args) in [
        ("list_campaigns", json!({})),
        ("app_status", json!({})),
        ("recent_audit", json!({ "limit": 5 })),
        ("set_publishing_paused", json!({ "paused": true })),
    ] {
        let err = invoke(&h.main, cmd, args).expect_err(cmd);
        assert_eq!(err["code"], "storage", "{cmd}");
        let message = err["message"].as_str().expect("message");
        assert!(
            message
                .starts_with("Reachloop could not open its data: cannot create the data directory"),
            "{message}"
        );
    }
}

#[test]
fn picking_pages_without_a_pending_facebook_sign_in_is_explained() {
    let h = harness();
    let selection =
        json!({ "selection": { "grant": "made-up", "pages": ["101"], "instagram": [] } });
    let err = invoke(&h.main, "connect_pages", selection).expect_err("no pending sign-in");
    assert_eq!(err["code"], "no_pending_grant", "{err}");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("no longer waiting")),
        "{err}"
    );
    // A malformed selection is refused by the IPC layer, not a panic.
    let err = invoke(
        &h.main,
        "connect_pages",
        json!({ "selection": { "grant": 5 } }),
    )
    .expect_err("malformed");
    assert!(err.to_string().contains("invalid"), "{err}");
}

#[test]
fn the_sandbox_seed_is_shown_changed_and_explained() {
    let h = harness();
    let world = invoke(&h.main, "sandbox_world", json!({})).expect("world");
    let seed = world["seed"].as_u64().expect("a number");
    assert_eq!(world["from_environment"], false);
    let err = invoke(&h.main, "set_sandbox_seed", json!({ "seed": "12ab" })).expect_err("bad");
    assert_eq!(err["code"], "validation");
    assert_eq!(err["fields"][0]["field"], "seed");
    assert_eq!(err["fields"][0]["code"], "not_a_seed");
    assert_eq!(
        invoke(&h.main, "sandbox_world", json!({})).expect("world")["seed"].as_u64(),
        Some(seed)
    );
    let changed =
        invoke(&h.main, "set_sandbox_seed", json!({ "seed": " 31337 " })).expect("changed");
    assert_eq!(changed["seed"], 31337);
    assert_eq!(
        invoke(&h.main, "sandbox_world", json!({})).expect("world")["seed"],
        31337
    );
}

#[test]
fn posts_by_age_and_chart_exports_explain_what_is_wrong_before_any_dialog() {
    let h = harness();
    let err = invoke(&h.main, "post_history", json!({ "postId": "no-such-post" }))
        .expect_err("unknown post");
    assert_eq!(err["code"], "not_found");
    // A format neither SVG nor PNG is refused before the save dialog opens.
    for (cmd, args) in [
        ("export_chart", json!({ "filter": {}, "format": "gif" })),
        (
            "export_post_chart",
            json!({ "postId": "no-such-post", "format": "bmp" }),
        ),
    ] {
        let err = invoke(&h.main, cmd, args).expect_err(cmd);
        assert_eq!(err["code"], "validation", "{cmd}: {err}");
        assert_eq!(err["fields"][0]["field"], "format", "{cmd}: {err}");
    }
    // A good format for a post that does not exist: not found, no dialog.
    let err = invoke(
        &h.main,
        "export_post_chart",
        json!({ "postId": "no-such-post", "format": "PNG" }),
    )
    .expect_err("unknown post");
    assert_eq!(err["code"], "not_found");
    let svg = invoke(&h.main, "dashboard_chart", json!({ "filter": {} })).expect("chart");
    assert!(svg.as_str().is_some_and(|s| s.starts_with("<svg")), "{svg}");
}
