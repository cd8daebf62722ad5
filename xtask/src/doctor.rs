//! `cargo xtask doctor`: every external program xtask and the tests run,
//! where it was found and what provides it (the Debian package that owns the
//! file, a `cargo install`ed crate, or rustup). A program that nothing
//! provides (copied or linked by hand on one machine) fails the check, so a
//! missing install step turns CI red instead of hiding behind that machine.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Result};

use crate::{output, ui};

/// One program the build or the tests run.
struct Tool {
    /// What it is called (or an absolute path).
    program: String,
    /// Why Reachloop needs it.
    why: &'static str,
    /// What installs it, for the message when it is missing.
    install: String,
    /// Only needed for tests (`cargo xtask test`), not to build and run.
    test_only: bool,
}

fn tool(program: &str, why: &'static str, install: &str, test_only: bool) -> Tool {
    Tool {
        program: program.to_string(),
        why,
        install: install.to_string(),
        test_only,
    }
}

fn tools() -> Vec<Tool> {
    let mut list = vec![
        tool("cargo", "builds everything", "rustup", false),
        tool(
            "c++",
            "compiles cxx (under twitter-text)",
            "apt-get install g++",
            false,
        ),
        tool(
            "pkg-config",
            "finds WebKitGTK and OpenSSL",
            "apt-get install pkg-config",
            false,
        ),
    ];
    if cfg!(target_os = "linux") {
        list.push(tool(
            "dpkg-query",
            "tells which system packages are installed",
            "dpkg (part of Debian)",
            false,
        ));
        list.push(tool(
            "apt-get",
            "installs missing system packages",
            "apt (part of Debian)",
            false,
        ));
    }
    if !ui::rustup_has_wasm_target() {
        list.push(tool(
            ui::DEBIAN_RUSTC,
            "compiles the UI for wasm32 (Debian's rustc-web)",
            "apt-get install rustc-web rust-web-src",
            false,
        ));
        let linker = ui::wasm_linker()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "wasm-ld-22".to_string());
        list.push(tool(
            &linker,
            "links the UI's wasm32 build",
            &format!("apt-get install {}", ui::WASM_LLD_PACKAGE),
            false,
        ));
    }
    let wasm_bindgen = ui::wasm_bindgen_version().unwrap_or_else(|_| "<Cargo.lock>".into());
    list.push(tool(
        "wasm-bindgen",
        "generates the UI's JS glue",
        &format!("cargo install wasm-bindgen-cli --version {wasm_bindgen}"),
        false,
    ));
    if cfg!(target_os = "linux") {
        list.extend([
            tool(
                "dbus-run-session",
                "private D-Bus session for the keychain",
                "apt-get install dbus",
                false,
            ),
            tool(
                "gnome-keyring-daemon",
                "the Secret Service keychain in tests",
                "apt-get install gnome-keyring",
                true,
            ),
            tool("Xvfb", "virtual display", "apt-get install xvfb", false),
            tool(
                "xvfb-run",
                "starts the virtual display",
                "apt-get install xvfb",
                false,
            ),
            tool(
                "xauth",
                "xvfb-run's display authority",
                "apt-get install xauth",
                false,
            ),
            tool(
                "update-desktop-database",
                "registers reachloop:// links",
                "apt-get install desktop-file-utils",
                false,
            ),
            tool(
                "xdg-mime",
                "registers reachloop:// links",
                "apt-get install xdg-utils",
                false,
            ),
            tool(
                "tauri-driver",
                "WebDriver for the end-to-end journeys",
                &format!(
                    "cargo install tauri-driver --version {} --locked",
                    crate::setup::TAURI_DRIVER
                ),
                true,
            ),
            tool(
                "WebKitWebDriver",
                "WebKitGTK's WebDriver, under tauri-driver",
                "apt-get install webkit2gtk-driver",
                true,
            ),
            tool(
                "gdbus",
                "locks the test keyring",
                "apt-get install libglib2.0-bin",
                true,
            ),
            tool(
                "gio",
                "opens reachloop:// links in the journeys",
                "apt-get install libglib2.0-bin",
                true,
            ),
            tool(
                "curl",
                "the journeys' browser for consent pages",
                "apt-get install curl",
                true,
            ),
            tool(
                "node",
                "runs the relay page's script in tests",
                "apt-get install nodejs",
                true,
            ),
            tool(
                "timeout",
                "bounds the end-to-end step",
                "apt-get install coreutils",
                true,
            ),
            tool(
                "kill",
                "ends a failed journey's app",
                "apt-get install procps",
                true,
            ),
            tool(
                "bash",
                "runs the keyring set-up",
                "apt-get install bash",
                false,
            ),
            // Not a program: the font charts exported as PNG are labelled
            // with (the chart tests draw with it too).
            tool(
                "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                "labels charts exported as PNG",
                "apt-get install fonts-dejavu-core",
                false,
            ),
        ]);
    }
    list
}

/// A found program and what provides it.
#[derive(Debug)]
pub struct Finding {
    pub path: Option<PathBuf>,
    pub provider: Option<String>,
}

pub fn run(args: &[&str]) -> Result<()> {
    let test = match args {
        [] => true,
        ["--run-only"] => false,
        _ => bail!("usage: cargo xtask doctor [--run-only]"),
    };
    check(test)
}

/// Prints every tool; fails when any is missing or provided by nothing.
pub fn check(for_tests: bool) -> Result<()> {
    let mut bad = Vec::new();
    println!("xtask doctor: what Reachloop's build and tests run, and what provides it");
    for t in tools().into_iter().filter(|t| for_tests || !t.test_only) {
        let f = find(&t.program);
        match (&f.path, &f.provider) {
            (Some(path), Some(provider)) => {
                println!(
                    "  ok       {:<24} {}  ← {provider}",
                    t.program,
                    path.display()
                )
            }
            (Some(path), None) => {
                println!(
                    "  UNOWNED  {:<24} {}  ← no package or cargo install provides it ({}; install with: {})",
                    t.program,
                    path.display(),
                    t.why,
                    t.install
                );
                bad.push(t.program.clone());
            }
            (None, _) => {
                println!(
                    "  MISSING  {:<24} {}; install with: {}",
                    t.program, t.why, t.install
                );
                bad.push(t.program.clone());
            }
        }
    }
    if !bad.is_empty() {
        bail!(
            "{} tool(s) missing or provided by nothing: {} (`cargo xtask test` installs what it can)",
            bad.len(),
            bad.join(", ")
        );
    }
    println!("xtask doctor: every tool is provided by a package, rustup or cargo install");
    Ok(())
}

pub fn find(program: &str) -> Finding {
    let path = locate(program);
    let provider = path.as_deref().and_then(provider_of);
    Finding { path, provider }
}

fn locate(program: &str) -> Option<PathBuf> {
    let p = Path::new(program);
    if p.is_absolute() {
        return p.is_file().then(|| p.to_path_buf());
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(crate::exe(program)))
        .find(|c| c.is_file())
}

fn provider_of(path: &Path) -> Option<String> {
    if let Some(krate) = cargo_installed(path) {
        return Some(format!("cargo install {krate}"));
    }
    if is_rustup_proxy(path) {
        return Some("rustup".to_string());
    }
    debian_owner(path).map(|p| format!("Debian package {p}"))
}

/// The `cargo install`ed crate (with version) whose binary `path` is.
fn cargo_installed(path: &Path) -> Option<String> {
    let bin_dir = cargo_home()?.join("bin");
    if path.parent()? != bin_dir {
        return None;
    }
    let name = path.file_name()?.to_string_lossy().into_owned();
    let list = output(Command::new(crate::cargo_path()).args(["install", "--list"]))?;
    owner_in_install_list(&list, &name)
}

/// Parses `cargo install --list`: "krate v1.2.3:" lines followed by indented
/// binary names.
fn owner_in_install_list(list: &str, binary: &str) -> Option<String> {
    let mut current = None;
    for line in list.lines() {
        if !line.starts_with(char::is_whitespace) {
            current = line.strip_suffix(':').map(str::to_string);
        } else if line.trim() == binary {
            return current;
        }
    }
    None
}

fn is_rustup_proxy(path: &Path) -> bool {
    let Some(home) = cargo_home() else {
        return false;
    };
    path.parent() == Some(home.join("bin").as_path())
        && [
            "rustup",
            "cargo",
            "rustc",
            "rustdoc",
            "rustfmt",
            "cargo-clippy",
            "clippy-driver",
        ]
        .iter()
        .any(|n| path.file_name().is_some_and(|f| f == *n))
        && output(Command::new("rustup").arg("--version")).is_some()
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

/// The Debian package owning `path`, trying the path as found, the same path
/// across the merged /bin and /usr/bin, and the file a symlink points to.
fn debian_owner(path: &Path) -> Option<String> {
    let mut tries = vec![path.to_path_buf()];
    let s = path.to_string_lossy();
    if let Some(rest) = s.strip_prefix("/usr/bin/") {
        tries.push(PathBuf::from(format!("/bin/{rest}")));
    } else if let Some(rest) = s.strip_prefix("/bin/") {
        tries.push(PathBuf::from(format!("/usr/bin/{rest}")));
    }
    if let Ok(real) = std::fs::canonicalize(path) {
        tries.push(real);
    }
    tries.iter().find_map(|p| {
        let out = output(Command::new("dpkg-query").arg("-S").arg(p))?;
        parse_dpkg_owner(&out)
    })
}

/// `dpkg-query -S` prints "pkg1, pkg2: /path"; diversions print "diversion by …".
fn parse_dpkg_owner(out: &str) -> Option<String> {
    out.lines()
        .filter(|l| !l.starts_with("diversion by"))
        .find_map(|l| l.split_once(": ").map(|(pkgs, _)| pkgs.trim().to_string()))
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_crate_behind_a_cargo_installed_binary() {
        let list = "tauri-driver v2.1.0:\n    tauri-driver\nwasm-bindgen-cli v0.2.130:\n    wasm-bindgen\n    wasm-bindgen-test-runner\n";
        assert_eq!(
            owner_in_install_list(list, "wasm-bindgen").as_deref(),
            Some("wasm-bindgen-cli v0.2.130")
        );
        assert_eq!(
            owner_in_install_list(list, "tauri-driver").as_deref(),
            Some("tauri-driver v2.1.0")
        );
        assert_eq!(owner_in_install_list(list, "rust-lld"), None);
    }

    #[test]
    fn reads_dpkg_owners_and_skips_diversions() {
        assert_eq!(
            parse_dpkg_owner("lld-22: /usr/bin/wasm-ld-22\n").as_deref(),
            Some("lld-22")
        );
        assert_eq!(
            parse_dpkg_owner("diversion by foo from: /usr/bin/x\ndiversion by foo to: /usr/bin/x.real\nbar: /usr/bin/x\n")
                .as_deref(),
            Some("bar")
        );
        assert_eq!(parse_dpkg_owner(""), None);
    }

    #[test]
    fn a_hand_made_program_has_no_provider() {
        // What hid the missing linker: a program that no package installed.
        let dir = std::env::temp_dir().join(format!("xtask-doctor-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let fake = dir.join("rust-lld");
        std::fs::write(&fake, b"#!/bin/sh\n").expect("write");
        let f = find(&fake.display().to_string());
        assert_eq!(f.path.as_deref(), Some(fake.as_path()));
        assert_eq!(f.provider, None, "{f:?}");
        assert!(find("/nonexistent/reachloop-no-such-tool").path.is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
