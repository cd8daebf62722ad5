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
            // Debian's rustc-web ships the wasm32 target as std sources only.
            cmd.env("RUSTC", "/usr/bin/rustc")
                .env("RUSTC_BOOTSTRAP", "1")
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
