//! `reachloop-fakes`: runs the fake platforms on 127.0.0.1 and prints the
//! environment that points Reachloop at them, for demos without real accounts.

use reachloop_fakes::meta::FakeMeta;
use reachloop_fakes::oauth::FakeOAuth;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // X: its authorization server with the publishing API on the same port.
    let x = reachloop_fakes::x::FakeX::start().await;
    for (name, fake) in [
        ("X", x.oauth.clone()),
        ("YOUTUBE", FakeOAuth::youtube().await),
        ("TIKTOK", FakeOAuth::tiktok().await),
    ] {
        println!("# fake {name} at {}", fake.base);
        println!("export REACHLOOP_{name}_AUTH_BASE={0} REACHLOOP_{name}_TOKEN_BASE={0} REACHLOOP_{name}_API_BASE={0}", fake.base);
        println!("export OAUTH_{name}_CLIENT_ID={}", fake.dialect.client_id);
        if let Some(secret) = fake.dialect.client_secret {
            println!("export OAUTH_{name}_CLIENT_SECRET={secret}");
        }
    }
    for (name, fake) in [
        ("FACEBOOK", FakeMeta::facebook().await),
        ("INSTAGRAM", FakeMeta::instagram().await),
    ] {
        println!("# fake {name} at {}", fake.base);
        println!("export REACHLOOP_{name}_AUTH_BASE={0} REACHLOOP_{name}_TOKEN_BASE={0} REACHLOOP_{name}_API_BASE={0}", fake.base);
        println!("export OAUTH_{name}_CLIENT_ID={}", fake.client_id());
        println!("export OAUTH_{name}_CLIENT_SECRET={}", fake.client_secret());
    }
    println!("# Ctrl+C to stop.");
    let _ = tokio::signal::ctrl_c().await;
}
