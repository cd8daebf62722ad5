//! Helpers several command groups share: the runtime, naming a platform,
//! reading a post from stdin and printing JSON.

use std::io::Write;

use reachloop::Error;

/// The runtime every command (and the agent) runs on: one thread, as the
/// app's background work needs no more; `None` after saying why it failed.
pub(crate) fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            None
        }
    }
}

/// A platform named on the command line.
pub(crate) fn parse_platform(name: &str) -> Result<reachloop_ipc::Platform, Error> {
    reachloop_ipc::Platform::parse(&name.trim().to_lowercase()).ok_or_else(|| {
        Error::Validation(vec![reachloop_ipc::FieldError {
            field: "platform".into(),
            code: "unknown_platform".into(),
            message: format!(
                "Unknown platform \"{}\": use x, youtube, facebook, instagram, tiktok or sandbox.",
                reachloop::text::echo(name, 20)
            ),
        }])
    })
}

/// The most `post check` reads from stdin: far above the longest post any
/// platform takes (Facebook's 63,206 characters are at most 253 KB).
const POST_INPUT_MAX: usize = 1024 * 1024;

/// A post's text from stdin: at most [`POST_INPUT_MAX`] bytes of UTF-8, a
/// single trailing newline (how shells end input) left out.
pub(crate) fn read_post_stdin() -> Result<String, String> {
    let mut bytes = Vec::new();
    let mut input = std::io::Read::take(std::io::stdin().lock(), POST_INPUT_MAX as u64 + 1);
    std::io::Read::read_to_end(&mut input, &mut bytes)
        .map_err(|e| format!("cannot read the post from stdin: {e}"))?;
    if bytes.len() > POST_INPUT_MAX {
        return Err(format!(
            "the post is longer than {} KiB; no platform takes a post that long",
            POST_INPUT_MAX / 1024
        ));
    }
    let body = String::from_utf8(bytes).map_err(|e| {
        format!(
            "the post is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(
        match body
            .strip_suffix("\r\n")
            .or_else(|| body.strip_suffix('\n'))
        {
            Some(trimmed) => trimmed.to_string(),
            None => body,
        },
    )
}

pub(crate) fn print_json(out: &mut impl Write, value: &impl serde::Serialize) {
    let text = serde_json::to_string_pretty(value).expect("ipc types always serialise");
    let _ = writeln!(out, "{text}");
}
