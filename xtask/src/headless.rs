//! Running programs without a desktop: a private D-Bus session, an unlocked
//! throwaway gnome-keyring (the real Secret Service) and, when asked, Xvfb.

use std::path::Path;
use std::process::Command;

use crate::target_dir;

#[derive(Debug, Clone, Copy)]
pub struct Session {
    /// Run under a virtual X display.
    pub display: bool,
    /// Start an unlocked gnome-keyring on the private session bus.
    pub keyring: bool,
}

pub fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// `program` wrapped in `dbus-run-session` (and `xvfb-run`), with a fresh
/// keyring that never touches the user's own.
pub fn wrap(program: &Path, session: Session) -> Command {
    let mut cmd = Command::new("dbus-run-session");
    cmd.arg("--");
    if session.display {
        cmd.args(["xvfb-run", "-a", "-s", "-screen 0 1280x900x24"]);
    }
    let keyring_home = target_dir().join("xtask-keyring");
    let script = if session.keyring {
        let _ = std::fs::remove_dir_all(&keyring_home);
        let _ = std::fs::create_dir_all(&keyring_home);
        // The password only protects this throwaway keyring.
        "printf reachloop-test | XDG_DATA_HOME=\"$KEYRING_HOME\" gnome-keyring-daemon --unlock \
         --components=secrets >/dev/null || { echo 'xtask: cannot start gnome-keyring' >&2; exit 1; }; exec \"$@\""
    } else {
        "exec \"$@\""
    };
    cmd.args(["bash", "-c", script, "xtask-session"])
        .arg(program)
        .env("KEYRING_HOME", &keyring_home);
    isolate_from_desktop(&mut cmd);
    cmd
}

/// Keeps a test keyring away from the user's own: its control socket goes to
/// a private runtime directory, and it never finds the desktop's daemon.
fn isolate_from_desktop(cmd: &mut Command) {
    let runtime = target_dir().join("xtask-runtime");
    let _ = std::fs::create_dir_all(&runtime);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700));
    }
    cmd.env("XDG_RUNTIME_DIR", &runtime)
        .env_remove("GNOME_KEYRING_CONTROL")
        .env_remove("SSH_AUTH_SOCK");
}
