//! The static sign-in relay page (`relay/`): its script, run by node, turns
//! each platform's https redirect into the deep link the core accepts, and
//! forwards nothing but the OAuth answer.

use std::path::PathBuf;
use std::process::Command;

use reachloop::oauth;
use reachloop_ipc::Platform;

fn relay_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("relay")
}

/// What relay.js makes of `pathname` + `search`, or "null".
fn relay_target(pathname: &str, search: &str) -> String {
    let script = relay_dir().join("relay.js");
    let out = Command::new("node")
        .arg("-e")
        .arg(
            "const r = require(process.argv[1]); \
             process.stdout.write(String(r.target(process.argv[2], process.argv[3])));",
        )
        .arg(&script)
        .arg(pathname)
        .arg(search)
        .output()
        .unwrap_or_else(|e| {
            panic!("node runs the relay script (cargo xtask test installs nodejs): {e}")
        });
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn relay_forwards_each_platforms_answer_to_the_deep_link() {
    for platform in Platform::ALL
        .into_iter()
        .filter(|p| oauth::profile(*p).is_some())
    {
        let page = relay_dir()
            .join("oauth")
            .join(platform.as_str())
            .join("callback/index.html");
        let html = std::fs::read_to_string(&page)
            .unwrap_or_else(|e| panic!("{} exists: {e}", page.display()));
        assert!(
            html.contains("../../../relay.js"),
            "{platform} page loads the script"
        );

        let base =
            oauth::relay::parse_relay("https://me.github.io/reachloop-relay").expect("relay");
        let redirect = url::Url::parse(&oauth::relay::relay_redirect_uri(&base, platform))
            .expect("redirect uri");
        let deep = relay_target(
            redirect.path(),
            "?code=AQDx-1_2&state=st%2Bate&granted_scopes=pages_show_list&access_token=leak",
        );
        let callback = oauth::parse_callback(&deep)
            .unwrap_or_else(|e| panic!("{platform}: {deep:?} is a callback: {e}"));
        assert_eq!(callback.platform, Some(platform));
        assert_eq!(callback.code.as_deref(), Some("AQDx-1_2"));
        assert_eq!(callback.state.as_deref(), Some("st+ate"));
        assert!(
            !deep.contains("leak") && !deep.contains("granted_scopes"),
            "only the OAuth answer is forwarded: {deep}"
        );
    }
}

#[test]
fn relay_forwards_a_refusal_and_ignores_other_addresses() {
    let deep = relay_target(
        "/r/oauth/facebook/callback/",
        "?error=access_denied&error_reason=user_denied&error_description=Permissions+error.&state=s",
    );
    let callback = oauth::parse_callback(&deep).expect("callback");
    assert_eq!(callback.error.as_deref(), Some("access_denied"));
    assert_eq!(
        callback.error_description.as_deref(),
        Some("Permissions error.")
    );
    assert_eq!(relay_target("/oauth/myspace/callback/", "?code=1"), "null");
    assert_eq!(relay_target("/elsewhere", "?code=1"), "null");
}
