//! Builds the Yew UI for wasm32 and lays it out in `ui/dist`, which the
//! desktop shell embeds.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{cargo, output, run, step, target_dir, workspace_root};

/// Files copied as they are from `ui/` into `ui/dist/`.
const STATIC_FILES: &[&str] = &["index.html", "main.js", "styles.css"];

pub fn build() -> Result<()> {
    let root = workspace_root();
    let wasm_target = target_dir().join("wasm");
    step("build the UI for wasm32", || {
        let mut cmd = cargo();
        cmd.args([
            "build",
            "--release",
            "-p",
            "reachloop-ui",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .env("CARGO_TARGET_DIR", &wasm_target);
        if !rustup_has_wasm_target() {
            // Debian's rustc-web ships the wasm32 target as std sources only,
            // and nothing named `rust-lld` (the target's default linker):
            // name Debian's wasm-ld ourselves.
            let linker = wasm_linker()?;
            cmd.env("RUSTC", DEBIAN_RUSTC)
                .env("RUSTC_BOOTSTRAP", "1")
                .env(LINKER_VAR, &linker)
                .arg("-Zbuild-std=std,panic_abort");
        }
        run(&mut cmd)
    })?;
    let wasm = wasm_target.join("wasm32-unknown-unknown/release/reachloop-ui.wasm");
    let dist = root.join("ui/dist");
    step("generate the JS glue (wasm-bindgen)", || {
        std::fs::create_dir_all(&dist).with_context(|| format!("create {}", dist.display()))?;
        run(Command::new("wasm-bindgen")
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                "reachloop-ui",
                "--out-dir",
            ])
            .arg(&dist)
            .arg(&wasm))?;
        for file in STATIC_FILES {
            copy(&root.join("ui").join(file), &dist.join(file))?;
        }
        Ok(())
    })
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .with_context(|| format!("copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// Debian's wasm32-capable compiler (package rustc-web).
pub const DEBIAN_RUSTC: &str = "/usr/bin/rustc";

/// Cargo's per-target linker setting for the UI's target.
pub const LINKER_VAR: &str = "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER";

/// The wasm linker for the Debian route: the user's own choice if they set
/// `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER`, else the newest `wasm-ld-NN`
/// an `lld-NN` package installed (on PATH, or under /usr/lib/llvm-NN/bin).
pub fn wasm_linker() -> Result<std::path::PathBuf> {
    if let Some(set) = std::env::var_os(LINKER_VAR).filter(|v| !v.is_empty()) {
        return Ok(std::path::PathBuf::from(set));
    }
    let mut candidates: Vec<(u32, std::path::PathBuf)> = Vec::new();
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            collect_versioned(&dir, "wasm-ld-", &mut candidates);
        }
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib") {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(n) = name
                .strip_prefix("llvm-")
                .and_then(|v| v.parse::<u32>().ok())
            {
                let ld = entry.path().join("bin/wasm-ld");
                if ld.is_file() {
                    candidates.push((n, ld));
                }
            }
        }
    }
    pick_newest(candidates).with_context(|| {
        format!(
            "no wasm linker found: the UI's wasm32 build needs `wasm-ld` from LLVM's lld.\n\
             install it with:\n  sudo apt-get install -y {WASM_LLD_PACKAGE}\n\
             or name one with {LINKER_VAR}=/path/to/wasm-ld"
        )
    })
}

/// The lld package the Debian route installs (provides `wasm-ld-22`).
pub const WASM_LLD_PACKAGE: &str = "lld-22";

fn collect_versioned(dir: &Path, prefix: &str, into: &mut Vec<(u32, std::path::PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(n) = name
            .strip_prefix(prefix)
            .and_then(|v| v.parse::<u32>().ok())
        {
            let path = entry.path();
            if path.is_file() {
                into.push((n, path));
            }
        }
    }
}

fn pick_newest(mut candidates: Vec<(u32, std::path::PathBuf)>) -> Option<std::path::PathBuf> {
    candidates.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)));
    candidates.pop().map(|(_, p)| p)
}

/// Whether rustup's own wasm32 target is installed (developer laptops).
pub fn rustup_has_wasm_target() -> bool {
    output(Command::new("rustup").args(["target", "list", "--installed"]))
        .is_some_and(|s| s.lines().any(|l| l.trim() == "wasm32-unknown-unknown"))
}

/// The wasm-bindgen version in Cargo.lock; the CLI must match it exactly.
pub fn wasm_bindgen_version() -> Result<String> {
    let lock_path = workspace_root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .with_context(|| format!("read {}", lock_path.display()))?;
    match locked_version(&lock, "wasm-bindgen") {
        Some(v) => Ok(v),
        None => bail!("Cargo.lock has no wasm-bindgen package"),
    }
}

fn locked_version(lock: &str, package: &str) -> Option<String> {
    let needle = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == needle {
            let version = lines
                .next()?
                .trim()
                .strip_prefix("version = \"")?
                .strip_suffix('"')?;
            return Some(version.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_exact_package_not_a_prefix() {
        let lock = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"9.9.9\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lock, "yew"), None);
    }

    #[test]
    fn the_newest_versioned_wasm_ld_wins() {
        let dir = tempdir_for("wasm-ld");
        for name in [
            "wasm-ld-14",
            "wasm-ld-22",
            "wasm-ld-9",
            "wasm-ld-x",
            "ld.lld-30",
        ] {
            std::fs::write(dir.join(name), b"").expect("write");
        }
        let mut found = Vec::new();
        collect_versioned(&dir, "wasm-ld-", &mut found);
        assert_eq!(found.len(), 3, "only wasm-ld-NN files count: {found:?}");
        assert_eq!(pick_newest(found), Some(dir.join("wasm-ld-22")));
        assert_eq!(pick_newest(Vec::new()), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempdir_for(what: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn the_workspace_lock_pins_wasm_bindgen_like_the_ui_manifest() {
        let version = wasm_bindgen_version().expect("Cargo.lock pins wasm-bindgen");
        let manifest =
            std::fs::read_to_string(workspace_root().join("ui/Cargo.toml")).expect("ui manifest");
        assert!(
            manifest.contains(&format!("wasm-bindgen = \"={version}\"")),
            "ui/Cargo.toml must pin ={version}"
        );
    }
}
