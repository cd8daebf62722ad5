//! `reachloop-fakes`: runs the fake platforms on 127.0.0.1 and prints the
//! environment that points Reachloop at them, for demos without real accounts.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let x = reachloop_fakes::x::FakeX::start().await;
    println!("fake X listening at {}", x.base);
    println!(
        "export REACHLOOP_X_AUTH_BASE={0} REACHLOOP_X_TOKEN_BASE={0} REACHLOOP_X_API_BASE={0}",
        x.base
    );
    println!("export OAUTH_X_CLIENT_ID={}", reachloop_fakes::x::CLIENT_ID);
    println!("Ctrl+C to stop.");
    let _ = tokio::signal::ctrl_c().await;
}
