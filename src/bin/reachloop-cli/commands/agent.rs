//! `agent`: plan and publish (and collect metrics) in the background
//! without a window, optionally listening for webhooks.

use clap::Args;
use reachloop::secrets::OsKeychain;
use reachloop::{App, Error};

#[derive(Args)]
pub(crate) struct AgentArgs {
    /// Seconds between rounds.
    #[arg(long, default_value_t = 15)]
    interval_secs: u64,
    /// Run one round and stop.
    #[arg(long)]
    once: bool,
    /// Also listen for platforms' webhooks on ADDR, a loopback address
    /// your https proxy forwards to (e.g. 127.0.0.1:8443; any other
    /// address is warned about): verified events make the agent poll
    /// that platform's metrics early. Secrets: REACHLOOP_X_CONSUMER_SECRET,
    /// REACHLOOP_META_VERIFY_TOKEN, and the Facebook and TikTok app
    /// secrets (Settings or OAUTH_<PLATFORM>_CLIENT_SECRET).
    #[arg(long, value_name = "ADDR")]
    webhooks: Option<String>,
}

pub(crate) async fn run(app: &App, args: AgentArgs) -> Result<(), Error> {
    let AgentArgs {
        interval_secs,
        once,
        webhooks,
    } = args;
    if let Some(addr) = webhooks {
        let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| {
            Error::Validation(vec![reachloop_ipc::FieldError {
                field: "webhooks".into(),
                code: "cannot_listen".into(),
                message: format!(
                    "Cannot listen for webhooks on {}: {e}",
                    reachloop::text::echo(&addr, 60)
                ),
            }])
        })?;
        let secrets = webhook_secrets(app).await;
        eprintln!("agent: listening for webhooks on {addr}");
        if let Ok(bound) = listener.local_addr() {
            if !bound.ip().to_canonical().is_loopback() {
                eprintln!(
                    "agent: warning: {bound} is not a loopback address, so anyone who \
                             can reach it talks to the listener without your https proxy; \
                             listen on 127.0.0.1 and let the proxy forward to it"
                );
            }
        }
        tokio::spawn(reachloop::webhooks::listener::serve(
            listener,
            app.store().clone(),
            secrets,
            reachloop::webhooks::listener::Limits::default(),
        ));
    }
    let holder = format!("agent-{}", uuid::Uuid::new_v4());
    let adapters = app.adapters(&OsKeychain::from_env());
    let sources = app.metrics_sources(&OsKeychain::from_env());
    let clock = chrono::Utc::now;
    // Listen for Ctrl-C (and SIGTERM) from the start, so a stop that
    // comes mid-round lets the round finish instead of killing it.
    let stop = std::sync::Arc::new(tokio::sync::Notify::new());
    let stopping = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (stop, stopping) = (stop.clone(), stopping.clone());
        tokio::spawn(async move {
            wait_for_stop_signal().await;
            stopping.store(true, std::sync::atomic::Ordering::SeqCst);
            stop.notify_one();
        });
    }
    tokio::task::yield_now().await;
    eprintln!(
        "agent: publishing from {} (Ctrl-C to stop)",
        app.data_dir().display()
    );
    loop {
        match app
            .publishing_tick(&holder, "agent", &adapters, &clock)
            .await
        {
            Ok(Some(r)) => {
                if r != reachloop::publish::Round::default() {
                    eprintln!(
                                "agent: published {}, verified {}, retried {}, failed {}, to verify {}, missed {}",
                                r.published, r.verified, r.retried, r.failed, r.to_verify, r.missed
                            );
                }
            }
            Ok(None) => eprintln!("agent: {}", waiting_for(app, clock()).await),
            // One bad round does not stop the agent.
            Err(e) => eprintln!("agent: this round failed: {e}"),
        }
        match app.collecting_tick(&holder, &sources, &clock).await {
            Ok(Some(c)) if c.snapshots + c.gone + c.deferred > 0 => eprintln!(
                "agent: metrics of {} posts kept, {} gone, {} asked again later",
                c.snapshots, c.gone, c.deferred
            ),
            Ok(_) => {}
            Err(e) => eprintln!("agent: collecting metrics failed: {e}"),
        }
        if once || stopping.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(interval_secs.max(1))) => {}
            _ = stop.notified() => break,
        }
    }
    app.stop_publishing(&holder).await?;
    eprintln!("agent: stopped");
    Ok(())
}

/// Ctrl-C, or on Unix also SIGTERM (a service manager stopping the agent).
async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// What the webhook listener verifies with: the environment, else the
/// platform apps' secrets (the keychain).
async fn webhook_secrets(app: &App) -> reachloop::webhooks::listener::Secrets {
    use zeroize::Zeroizing;
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .map(Zeroizing::new)
    };
    let keys = OsKeychain::from_env();
    let secret_of = |platform| {
        let (app, keys) = (app.clone(), keys.clone());
        async move {
            app.platform_config(platform, &keys)
                .await
                .ok()
                .and_then(|c| c.credentials.client_secret)
        }
    };
    reachloop::webhooks::listener::Secrets {
        x_consumer_secret: env("REACHLOOP_X_CONSUMER_SECRET"),
        meta_app_secret: secret_of(reachloop_ipc::Platform::Facebook).await,
        meta_verify_token: env("REACHLOOP_META_VERIFY_TOKEN"),
        tiktok_client_secret: secret_of(reachloop_ipc::Platform::Tiktok).await,
    }
}

/// Who holds the publisher lease the agent waits for, and until when.
async fn waiting_for(app: &App, now: chrono::DateTime<chrono::Utc>) -> String {
    match app.publisher_lease(now).await {
        Ok(Some(lease)) => {
            let who = match lease.kind.as_str() {
                "app" => format!("the Reachloop app ({})", lease.holder),
                _ => format!("another agent ({})", lease.holder),
            };
            let until = reachloop::time::from_db(&lease.until)
                .map(|t| {
                    t.with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M:%S %Z")
                        .to_string()
                })
                .unwrap_or(lease.until);
            format!("{who} is publishing, its lease renewed until {until}; waiting (a holder that stops or crashes is taken over at once)")
        }
        Ok(None) => "another publisher is publishing; waiting".into(),
        Err(e) => format!("another publisher is publishing ({e}); waiting"),
    }
}
