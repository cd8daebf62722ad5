//! Installs what a fresh machine lacks: Debian packages (when it can) and the
//! two cargo-installed tools, wasm-bindgen-cli and tauri-driver.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{on_path, output, run, step};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Run,
    Test,
}

/// What Tauri needs to build and show a window on Linux.
const BUILD_PACKAGES: &[&str] = &[
    // twitter-text depends on cxx, whose build compiles a little C++.
    "g++",
    "pkg-config",
    "libssl-dev",
    "libwebkit2gtk-4.1-dev",
    "libsoup-3.0-dev",
    "libjavascriptcoregtk-4.1-dev",
    "librsvg2-dev",
    "libayatana-appindicator3-dev",
    "libxdo-dev",
    "libdbus-1-dev",
    "dbus",
    "xvfb",
    "xauth",
    "gnome-keyring",
    // `reachloop://` sign-in links: the deep-link plugin registers a .desktop handler.
    "desktop-file-utils",
    "xdg-utils",
    // The labels of charts exported as PNG (resvg draws with system fonts).
    "fonts-dejavu-core",
];

/// Debian's wasm32-capable rustc, used when rustup has no wasm32 target.
const WASM_PACKAGES: &[&str] = &["rustc-web", "rust-web-src", crate::ui::WASM_LLD_PACKAGE];

/// Headless end-to-end testing (WebKit's WebDriver, curl as the test's
/// browser, gio to open `reachloop://` links), locking a test keyring (gdbus)
/// and testing the relay page's script (node).
const TEST_PACKAGES: &[&str] = &[
    "webkit2gtk-driver",
    "dbus-x11",
    "libglib2.0-bin",
    "curl",
    "nodejs",
    "procps",
];

pub fn ensure(purpose: Purpose) -> Result<()> {
    if cfg!(target_os = "linux") {
        let mut wanted: Vec<&str> = BUILD_PACKAGES.to_vec();
        if !crate::ui::rustup_has_wasm_target() {
            wanted.extend(WASM_PACKAGES);
        }
        if purpose == Purpose::Test {
            wanted.extend(TEST_PACKAGES);
        }
        ensure_debian_packages(&wanted)?;
    }
    let wasm_bindgen = crate::ui::wasm_bindgen_version()?;
    ensure_cargo_tool("wasm-bindgen-cli", "wasm-bindgen", &wasm_bindgen, false)?;
    if purpose == Purpose::Test && cfg!(target_os = "linux") {
        ensure_cargo_tool("tauri-driver", "tauri-driver", TAURI_DRIVER, true)?;
    }
    Ok(())
}

pub const TAURI_DRIVER: &str = "2.1.0";

fn ensure_debian_packages(wanted: &[&str]) -> Result<()> {
    if !on_path("dpkg-query") {
        println!(
            "xtask: not a Debian/Ubuntu system; make sure the equivalents of these packages are installed:\n  {}",
            wanted.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|p| !debian_package_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    let sudo = if is_root() {
        None
    } else if on_path("sudo")
        && Command::new("sudo")
            .args(["-n", "true"])
            .status()
            .is_ok_and(|s| s.success())
    {
        Some("sudo")
    } else {
        bail!(
            "these system packages are missing and I cannot install them without root:\n  {list}\n\
             install them with:\n  sudo apt-get update && sudo apt-get install -y {list}"
        );
    };
    step(&format!("install system packages: {list}"), || {
        let apt = |args: &[&str]| {
            let mut cmd = match sudo {
                Some(s) => {
                    let mut c = Command::new(s);
                    c.arg("apt-get");
                    c
                }
                None => Command::new("apt-get"),
            };
            cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
            cmd
        };
        run(&mut apt(&["update", "-qq"]))?;
        let mut install = apt(&["install", "-y", "-qq", "--no-install-recommends"]);
        install.args(&missing);
        run(&mut install).with_context(|| format!("apt-get could not install: {list}"))
    })
}

fn debian_package_installed(package: &str) -> bool {
    output(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
        .is_some_and(|s| s.trim() == "install ok installed")
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|s| s.trim() == "0")
}

/// Makes sure `binary` from crate `krate` is installed at exactly `version`.
fn ensure_cargo_tool(krate: &str, binary: &str, version: &str, locked: bool) -> Result<()> {
    let reported = output(Command::new(binary).arg("--version")).unwrap_or_default();
    let by_cargo = output(crate::cargo().args(["install", "--list"])).unwrap_or_default();
    let cargo_line = format!("{krate} v{version}:");
    if reported.split_whitespace().any(|word| word == version)
        || (on_path(binary) && by_cargo.lines().any(|l| l.trim() == cargo_line))
    {
        return Ok(());
    }
    step(
        &format!("install {krate} {version} (cargo install, a few minutes)"),
        || {
            let mut cmd = crate::cargo();
            cmd.args(["install", krate, "--version", version]);
            // wasm-bindgen-cli's lockfile names a crate the registry here does
            // not serve, so it installs unlocked (see ../shared toolchain notes).
            if locked {
                cmd.arg("--locked");
            }
            run(&mut cmd)
        },
    )?;
    if !on_path(binary) {
        bail!("{binary} was installed but is not on PATH; add ~/.cargo/bin to PATH");
    }
    Ok(())
}
