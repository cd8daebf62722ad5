//! Tidy tests: checks of the codebase itself, so `cargo test` keeps the house
//! in order and ARCHITECTURE.md honest.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::workspace_root;

/// Every `.rs` file we own (not generated, not vendored).
fn rust_files() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                let skip = name.starts_with('.')
                    || name == "target"
                    || name == "gen"
                    || path == root.join("ui/dist");
                if !skip {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    assert!(out.len() > 10, "found too few Rust files: {out:?}");
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn rel(path: &Path) -> String {
    path.strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let missing: Vec<String> = rust_files()
        .into_iter()
        .filter(|p| !read(p).trim_start().starts_with("//!"))
        .map(|p| rel(&p))
        .collect();
    assert!(
        missing.is_empty(),
        "add a `//!` line saying what these files are for: {missing:?}"
    );
}

#[test]
fn no_debugging_leftovers_or_skipped_tests() {
    // Built with concat! so this file does not trip its own check.
    let banned = [
        concat!("dbg", "!("),
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
        concat!("#[", "ignore"),
        concat!("should", "_panic"),
        concat!("print", "ln!(\"DEBUG"),
    ];
    let mut found = Vec::new();
    for path in rust_files() {
        for (n, line) in read(&path).lines().enumerate() {
            for b in banned {
                if line.contains(b) {
                    found.push(format!("{}:{}: {}", rel(&path), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "remove these: {found:#?}");
}

#[test]
fn architecture_has_a_heading_for_every_folder() {
    let root = workspace_root();
    let doc = read(&root.join("ARCHITECTURE.md"));
    let mut folders = BTreeSet::new();
    for entry in std::fs::read_dir(&root).expect("read root").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && !name.starts_with('.') && name != "target" {
            folders.insert(name);
        }
    }
    let missing: Vec<&String> = folders
        .iter()
        .filter(|f| !doc.contains(&format!("### `{f}/`")))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md needs a `### `<folder>/`` heading for {missing:?}"
    );
    // And no heading for a folder that no longer exists.
    let stale: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("### `")?.strip_suffix("/`"))
        .filter(|f| !folders.contains(*f))
        .collect();
    assert!(
        stale.is_empty(),
        "ARCHITECTURE.md describes folders that are gone: {stale:?}"
    );
}

#[test]
fn architecture_has_a_heading_for_every_capability_folder_of_the_core() {
    let root = workspace_root();
    let doc = read(&root.join("ARCHITECTURE.md"));
    let headings: Vec<&str> = doc.lines().filter(|l| l.starts_with("#### ")).collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(root.join("src"))
        .expect("read src")
        .flatten()
    {
        if !entry.path().is_dir() {
            continue;
        }
        let name = format!("`src/{}/`", entry.file_name().to_string_lossy());
        if name == "`src/bin/`" {
            continue;
        }
        if !headings.iter().any(|h| h.contains(&name)) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md needs a `#### ` heading naming {missing:?}"
    );
}

/// The names in the first `[...]` list after `marker`, e.g. a `&["a", "b"]`
/// const or a `generate_handler![a, b]`.
fn names_after(text: &str, marker: &str) -> BTreeSet<String> {
    let from = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not found"))
        + marker.len();
    let open = from + text[from..].find('[').expect("list start") + 1;
    let body = &text[open..open + text[open..].find(']').expect("list end")];
    body.split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn commands_are_registered_permitted_and_used_consistently() {
    let root = workspace_root();
    let acl = names_after(
        &read(&root.join("src-tauri/build.rs")),
        "const COMMANDS: &[&str] =",
    );
    // Registered by path (`accounts::list_accounts`): the name is the last part.
    let handler: BTreeSet<String> = names_after(
        &read(&root.join("src-tauri/src/commands/mod.rs")),
        "generate_handler!",
    )
    .into_iter()
    .map(|path| path.rsplit("::").next().unwrap_or_default().to_string())
    .collect();
    assert_eq!(
        acl, handler,
        "build.rs COMMANDS and generate_handler! must list the same commands"
    );

    let capability = read(&root.join("src-tauri/capabilities/main-window.json"));
    let granted: BTreeSet<String> = capability
        .lines()
        .filter_map(|l| {
            l.trim()
                .trim_end_matches(',')
                .trim_matches('"')
                .strip_prefix("allow-")
                .map(String::from)
        })
        .map(|p| p.replace('-', "_"))
        .collect();
    assert_eq!(
        granted, acl,
        "the main window must be granted exactly the app's own commands"
    );
    // Of the core's plugins, only listening to (and leaving) the app's
    // live-update events: never emitting, windows, paths...
    let core: BTreeSet<&str> = capability
        .lines()
        .map(|l| l.trim().trim_end_matches(',').trim_matches('"'))
        .filter(|l| l.starts_with("core:"))
        .collect();
    assert_eq!(
        core,
        BTreeSet::from(["core:event:allow-listen", "core:event:allow-unlisten"]),
        "the main window gets no core plugin permission but listening to events"
    );

    let services = read(&root.join("ui/src/services.rs"));
    // `call(` for JSON arguments, `call_raw(` for a binary body.
    let called: BTreeSet<String> = services
        .replace("call_raw(", "call(")
        .split("call(")
        .skip(1)
        .filter_map(|s| s.trim_start().strip_prefix('"')?.split('"').next())
        .map(String::from)
        .collect();
    assert_eq!(
        called, acl,
        "ui/src/services.rs must wrap exactly the registered commands"
    );
}

#[test]
fn layers_only_know_what_they_may() {
    let root = workspace_root();
    for path in rust_files() {
        let r = rel(&path);
        let text = read(&path);
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        if r.starts_with("src/") {
            for word in ["tauri", "yew", "wasm_bindgen"] {
                assert!(!code.contains(word), "{r}: the core must not know {word}");
            }
            if !r.starts_with("src/store/") {
                assert!(!code.contains("sqlx"), "{r}: only src/store/ names sqlx");
            }
        }
        if r.starts_with("ui/") {
            assert!(
                !code.contains("reachloop::"),
                "{r}: the UI only sees reachloop-ipc types"
            );
        }
        if r.starts_with("ipc/") {
            assert!(
                !code.contains("reachloop::"),
                "{r}: ipc depends on nothing of ours"
            );
        }
    }
    let ui_manifest = read(&root.join("ui/Cargo.toml"));
    assert!(
        !ui_manifest.contains("reachloop ="),
        "ui must not depend on the core"
    );
}

#[test]
fn readme_gives_exactly_the_two_commands_and_ci_runs_the_test_one() {
    let root = workspace_root();
    let readme = read(&root.join("README.md"));
    for cmd in ["cargo xtask run", "cargo xtask test"] {
        assert!(
            readme.contains(&format!("\n{cmd}\n")),
            "README.md must show `{cmd}` on a line of its own"
        );
    }
    let ci = read(&root.join(".ci/run"));
    assert!(
        ci.contains("cargo xtask test"),
        ".ci/run must run the README's test command"
    );
    assert!(
        ci.contains("cargo fmt") && ci.contains("cargo clippy"),
        ".ci/run must check fmt and clippy"
    );
}
