//! The RFC 8252 loopback redirect: an HTTP listener on 127.0.0.1 that
//! catches the platform's redirect and hands the callback URL over.
//!
//! Only an answer carrying the `state` of the sign-in it waits for ends the
//! wait: any web page can send a request to a fixed loopback port, so every
//! other request gets an error page and the listener keeps waiting until
//! the answer or the timeout.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use reachloop_ipc::Platform;
use tokio::sync::oneshot;

/// The loopback listener could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LoopbackError {
    #[error(
        "cannot listen on 127.0.0.1:{port} for the sign-in answer ({reason}); close the program using that port \
         or set another with REACHLOOP_<PLATFORM>_REDIRECT_PORT (and register it with the platform)"
    )]
    Bind { port: u16, reason: String },
    #[error("no answer from the browser within {} minutes; start connecting again", .0.as_secs() / 60)]
    TimedOut(Duration),
    #[error("the sign-in listener stopped before an answer arrived")]
    Closed,
}

/// A listening loopback redirect target.
pub struct Loopback {
    port: u16,
    platform: Platform,
    rx: oneshot::Receiver<String>,
    stop: Option<oneshot::Sender<()>>,
    expected: Expected,
}

const DONE_PAGE: &str = "<!doctype html><meta charset=utf-8><title>Reachloop</title>\
    <body style=\"font-family:system-ui;margin:3em\"><h1>Back to Reachloop</h1>\
    <p>Reachloop received the answer. You can close this tab.</p></body>";

const NOT_OURS_PAGE: &str = "<!doctype html><meta charset=utf-8><title>Reachloop</title>\
    <body style=\"font-family:system-ui;margin:3em\"><h1>Not the sign-in Reachloop is waiting for</h1>\
    <p>This page did not come from the sign-in you started in Reachloop, so Reachloop ignored it \
    and is still waiting. Finish signing in in the tab the app opened.</p></body>";

type Slot = Arc<Mutex<Option<oneshot::Sender<String>>>>;
/// The `state` of the sign-in being waited for; nothing until it is known.
type Expected = Arc<Mutex<Option<String>>>;

/// Listens on 127.0.0.1:`port` (0 picks a free port) for
/// `/oauth/<platform>/callback`.
pub async fn listen(platform: Platform, port: u16) -> Result<Loopback, LoopbackError> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|e| LoopbackError::Bind {
            port,
            reason: e.to_string(),
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| LoopbackError::Bind {
            port,
            reason: e.to_string(),
        })?
        .port();
    let (tx, rx) = oneshot::channel();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let slot: Slot = Arc::new(Mutex::new(Some(tx)));
    let expected: Expected = Arc::new(Mutex::new(None));
    let path = format!("/oauth/{}/callback", platform.as_str());
    let router =
        Router::new()
            .route(&path, get(callback))
            .with_state((slot, expected.clone(), port));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await;
    });
    Ok(Loopback {
        port,
        platform,
        rx,
        stop: Some(stop_tx),
        expected,
    })
}

async fn callback(
    State((slot, expected, port)): State<(Slot, Expected, u16)>,
    uri: Uri,
) -> Response {
    let state = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned());
    let matches = {
        let expected = expected.lock().unwrap_or_else(|p| p.into_inner());
        matches!((expected.as_deref(), state.as_deref()), (Some(e), Some(s)) if e == s)
    };
    if !matches {
        tracing::info!("ignored a request to the sign-in listener that is not the awaited answer");
        return (StatusCode::BAD_REQUEST, Html(NOT_OURS_PAGE)).into_response();
    }
    let sender = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    match sender {
        Some(tx) => {
            let _ = tx.send(format!("http://127.0.0.1:{port}{uri}"));
            Html(DONE_PAGE).into_response()
        }
        None => (
            StatusCode::GONE,
            "This sign-in answer was already received.",
        )
            .into_response(),
    }
}

impl Loopback {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The redirect URI to send in the authorization request.
    pub fn redirect_uri(&self) -> String {
        super::loopback_redirect_uri(self.platform, self.port)
    }

    /// Hands over only the answer whose `state` is this one.
    pub fn expect_state(&self, state: &str) {
        *self.expected.lock().unwrap_or_else(|p| p.into_inner()) = Some(state.to_string());
    }

    /// Waits for the callback URL, then stops listening.
    pub async fn wait(mut self, timeout: Duration) -> Result<String, LoopbackError> {
        let result = match tokio::time::timeout(timeout, &mut self.rx).await {
            Ok(Ok(url)) => Ok(url),
            Ok(Err(_)) => Err(LoopbackError::Closed),
            Err(_) => Err(LoopbackError::TimedOut(timeout)),
        };
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        result
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The loopback port for `platform`: `REACHLOOP_<PLATFORM>_REDIRECT_PORT`, else
/// X's registered default (X matches redirect URIs exactly, port included),
/// else any free port (Google and TikTok accept any loopback port).
pub fn port_for(platform: Platform) -> Result<u16, String> {
    let var = format!(
        "REACHLOOP_{}_REDIRECT_PORT",
        platform.as_str().to_uppercase()
    );
    match std::env::var(&var) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .map_err(|_| format!("{var} must be a port number, not {v:?}")),
        // Platforms that match redirect URIs exactly get a fixed port.
        _ => Ok(match platform {
            Platform::X => X_DEFAULT_PORT,
            Platform::Facebook => FACEBOOK_DEFAULT_PORT,
            Platform::Instagram => INSTAGRAM_DEFAULT_PORT,
            Platform::Youtube | Platform::Tiktok | Platform::Sandbox => 0,
        }),
    }
}

/// Register `http://127.0.0.1:47613/oauth/x/callback` as the X app's callback URL.
pub const X_DEFAULT_PORT: u16 = 47613;
/// Meta matches redirect URIs exactly too (and wants https outside
/// development mode: see [`super::relay`]).
pub const FACEBOOK_DEFAULT_PORT: u16 = 47614;
pub const INSTAGRAM_DEFAULT_PORT: u16 = 47615;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hands_over_only_the_awaited_answer_and_keeps_waiting() {
        let lb = listen(Platform::X, 0).await.expect("listen");
        let uri = lb.redirect_uri();
        assert!(
            uri.starts_with("http://127.0.0.1:") && uri.ends_with("/oauth/x/callback"),
            "{uri}"
        );
        let client = reqwest::Client::new();
        let get = |u: String| {
            let client = client.clone();
            async move { client.get(u).send().await.expect("get") }
        };
        assert_eq!(
            get(uri.replace("/oauth/x/", "/oauth/tiktok/"))
                .await
                .status(),
            404
        );
        // Before the sign-in's state is known, nothing is taken.
        assert_eq!(get(format!("{uri}?state=s&code=c")).await.status(), 400);
        lb.expect_state("s");
        // A web page poking the port: no state, another state, an error.
        for stray in [
            uri.clone(),
            format!("{uri}?code=c"),
            format!("{uri}?state=other&code=c"),
            format!("{uri}?state=S&code=c"),
            format!("{uri}?error=access_denied"),
        ] {
            let r = get(stray.clone()).await;
            assert_eq!(r.status(), 400, "{stray}");
            assert!(r.text().await.expect("body").contains("still waiting"));
        }
        let page = get(format!("{uri}?state=s&code=c")).await;
        assert_eq!(page.status(), 200);
        assert!(page
            .text()
            .await
            .expect("body")
            .contains("You can close this tab"));
        assert_eq!(
            lb.wait(Duration::from_secs(5)).await.expect("callback"),
            format!("{uri}?state=s&code=c")
        );
    }

    #[tokio::test]
    async fn times_out_and_reports_a_busy_port() {
        let lb = listen(Platform::Youtube, 0).await.expect("listen");
        let port = lb.port();
        match listen(Platform::Youtube, port).await {
            Err(LoopbackError::Bind { port: p, .. }) => assert_eq!(p, port),
            other => panic!("expected a bind error, got {:?}", other.map(|l| l.port())),
        }
        assert!(matches!(
            lb.wait(Duration::from_millis(50)).await,
            Err(LoopbackError::TimedOut(_))
        ));
    }
}
