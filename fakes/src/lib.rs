//! Local stand-ins for the platforms, on 127.0.0.1, speaking the wire formats
//! in `reference/platforms/` (including their error bodies). Used by the
//! core's integration tests, the end-to-end tests and `reachloop-fakes`.

pub mod ai;
pub mod meta;
pub mod oauth;
pub mod x;

use std::net::SocketAddr;

pub use axum::http::StatusCode;
use axum::Router;

/// Serves `router` on an ephemeral port of 127.0.0.1 for as long as the test
/// runtime lives; returns its base URL.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind fake");
    let addr = listener.local_addr().expect("fake address");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("fake server");
    });
    format!("http://{addr}")
}
