//! The fakes refuse what their platforms refuse (per the references in
//! shared/reference/platforms), so an adapter that breaks a rule fails its
//! test instead of passing against a lenient fake.

use reachloop_fakes::ai::FakeAi;
use reachloop_fakes::oauth::FakeOAuth;
use serde_json::{json, Value};

fn http() -> reqwest::Client {
    crate::no_redirect_client()
}

/// Runs the consent page with `scope` and `redirect`; the code, or the
/// error the platform answered.
async fn consent(fake: &FakeOAuth, scope: &str, redirect: &str) -> Result<String, String> {
    let d = fake.dialect;
    let r = http()
        .get(format!("{}{}", fake.base, d.authorize_path))
        .query(&[
            (d.client_param, d.client_id),
            ("response_type", "code"),
            ("redirect_uri", redirect),
            ("scope", scope),
            ("state", "s"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .expect("authorize");
    if !r.status().is_redirection() {
        return Err(r.text().await.unwrap_or_default());
    }
    let to = url::Url::parse(r.headers()["location"].to_str().expect("location")).expect("url");
    let pairs: std::collections::HashMap<String, String> = to.query_pairs().into_owned().collect();
    match (pairs.get("code"), pairs.get("error")) {
        (Some(c), _) => Ok(c.clone()),
        (_, Some(e)) => Err(e.clone()),
        _ => Err("no code".into()),
    }
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

async fn exchange(
    fake: &FakeOAuth,
    code: &str,
    redirect: &str,
    basic: Option<(&str, &str)>,
    extra: &[(&str, &str)],
) -> (reqwest::StatusCode, Value) {
    let d = fake.dialect;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect),
        ("code_verifier", VERIFIER),
    ];
    form.extend_from_slice(extra);
    let mut req = http()
        .post(format!("{}{}", fake.base, d.token_path))
        .form(&form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let r = req.send().await.expect("token");
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn fake_x_matches_callbacks_exactly_checks_scopes_and_client_auth() {
    let fake = FakeOAuth::x().await;
    let id = fake.dialect.client_id;
    let registered = "http://127.0.0.1:53682/oauth/x/callback";
    // Another port, or a trailing slash: not the registered callback.
    for other in [
        "http://127.0.0.1:53683/oauth/x/callback",
        "http://127.0.0.1:53682/oauth/x/callback/",
        "http://localhost:53682/oauth/x/callback",
    ] {
        let e = consent(&fake, "tweet.read users.read", other)
            .await
            .expect_err(other);
        assert!(e.contains("Callback URL not approved"), "{other}: {e}");
    }
    // Scopes are space-separated and must exist.
    assert_eq!(
        consent(&fake, "tweet.read,users.read", registered).await,
        Err("invalid_scope".into())
    );
    // A public client sends its id in the body, never Basic or a secret.
    let code = consent(&fake, "tweet.read users.read", registered)
        .await
        .expect("code");
    let (status, body) = exchange(&fake, &code, registered, Some((id, "x")), &[]).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // Without offline.access there is no refresh token.
    let code = consent(&fake, "tweet.read users.read", registered)
        .await
        .expect("code");
    let (status, body) = exchange(&fake, &code, registered, None, &[("client_id", id)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("refresh_token").is_none(), "{body}");
    let code = consent(&fake, "tweet.read users.read offline.access", registered)
        .await
        .expect("code");
    let (_, body) = exchange(&fake, &code, registered, None, &[("client_id", id)]).await;
    assert!(body["refresh_token"].is_string(), "{body}");
    assert_eq!(body["scope"], "tweet.read users.read offline.access");
}

#[tokio::test]
async fn fake_tiktok_wants_its_credentials_in_the_body_and_fields_within_scopes() {
    let fake = FakeOAuth::tiktok().await;
    let d = fake.dialect;
    let secret = d.client_secret.expect("secret");
    let redirect = "http://127.0.0.1:40123/oauth/tiktok/callback";
    // No port, or a query: not a desktop redirect.
    for bad in [
        "http://127.0.0.1/oauth/tiktok/callback",
        "http://127.0.0.1:4/cb?x=1",
    ] {
        assert!(
            consent(&fake, "user.info.basic", bad).await.is_err(),
            "{bad}"
        );
    }
    // Challenge as hex, as TikTok's desktop flow wants.
    let hex_challenge: String = {
        use sha2::Digest;
        sha2::Sha256::digest(VERIFIER.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let consent_hex = || async {
        let r = http()
            .get(format!("{}{}", fake.base, d.authorize_path))
            .query(&[
                ("client_key", d.client_id),
                ("response_type", "code"),
                ("redirect_uri", redirect),
                ("scope", "user.info.basic,video.list"),
                ("state", "s"),
                ("code_challenge", hex_challenge.as_str()),
                ("code_challenge_method", "S256"),
            ])
            .send()
            .await
            .expect("authorize");
        let to = url::Url::parse(r.headers()["location"].to_str().expect("location")).expect("url");
        to.query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("code")
    };
    // HTTP Basic is not how TikTok authenticates a client.
    let code = consent_hex().await;
    let (status, body) = exchange(&fake, &code, redirect, Some((d.client_id, secret)), &[]).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let code = consent_hex().await;
    let (status, body) = exchange(
        &fake,
        &code,
        redirect,
        None,
        &[("client_key", d.client_id), ("client_secret", secret)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().expect("token").to_string();
    let info = |fields: &'static str| {
        let token = token.clone();
        let url = format!("{}{}", fake.base, d.profile_path);
        async move {
            let r = http()
                .get(url)
                .query(&[("fields", fields)])
                .bearer_auth(token)
                .send()
                .await
                .expect("user info");
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        }
    };
    let (status, body) = info("open_id,display_name,username").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &json!("scope_not_authorized"))
    );
    let (status, body) = info("open_id,shoe_size").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("invalid_params"))
    );
    let (status, body) = info("open_id,display_name").await;
    assert_eq!(status, 200);
    assert!(
        body["data"]["user"].get("username").is_none(),
        "only what was asked: {body}"
    );
}

#[tokio::test]
async fn fake_youtube_wants_part_and_a_filter_for_channels() {
    let fake = FakeOAuth::youtube().await;
    let d = fake.dialect;
    let redirect = "http://127.0.0.1:40999/";
    assert!(consent(
        &fake,
        "https://www.googleapis.com/auth/youtube.readonly",
        "https://example.com/cb"
    )
    .await
    .is_err());
    let code = consent(
        &fake,
        "https://www.googleapis.com/auth/youtube.readonly",
        redirect,
    )
    .await
    .expect("code");
    let (status, body) = exchange(
        &fake,
        &code,
        redirect,
        None,
        &[
            ("client_id", d.client_id),
            ("client_secret", d.client_secret.expect("secret")),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().expect("token").to_string();
    let channels = |query: &'static [(&'static str, &'static str)]| {
        let (token, url) = (token.clone(), format!("{}{}", fake.base, d.profile_path));
        async move {
            let r = http()
                .get(url)
                .query(query)
                .bearer_auth(token)
                .send()
                .await
                .expect("get");
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        }
    };
    let (status, body) = channels(&[("mine", "true")]).await;
    assert_eq!(
        (status, &body["error"]["errors"][0]["reason"]),
        (400, &json!("required"))
    );
    let (status, _) = channels(&[("part", "snippet")]).await;
    assert_eq!(status, 400, "no filter");
    let (status, _) = channels(&[("part", "snippet"), ("mine", "true")]).await;
    assert_eq!(status, 200);
}

/// X gives a post's non-public metrics to its author for its first 30
/// days, by the fake's clock (a test's, here decades from the wall clock);
/// the public ones at any age.
#[tokio::test]
async fn fake_x_gives_non_public_metrics_for_30_days_by_its_clock() {
    use reachloop_fakes::x::{FakeX, XMetrics, XPost};
    use std::time::{Duration, SystemTime};
    let fake = FakeX::start().await;
    let token = fake.oauth.issue_for_test(&["tweet.read", "users.read"]);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(4_000_000_000);
    let day = Duration::from_secs(24 * 3600);
    let author = fake.oauth.dialect.user.0;
    fake.with(|x| {
        x.clock = Some(now);
        for (id, age, author) in [
            ("1", 30 * day - Duration::from_secs(1), author),
            ("2", 30 * day, author),
            ("3", day, "someone-else"),
        ] {
            x.posts.push(XPost {
                id: id.into(),
                author_id: author.into(),
                text: format!("Post {id}"),
                media_ids: Vec::new(),
                created_at: now - age,
                metrics: XMetrics {
                    link_clicks: 7,
                    likes: 2,
                    ..XMetrics::default()
                },
            });
        }
    });
    let lookup = |fields: &'static str| {
        let (token, url) = (token.clone(), format!("{}/2/tweets", fake.base));
        async move {
            let r = http()
                .get(url)
                .query(&[("ids", "1,2,3"), ("tweet.fields", fields)])
                .bearer_auth(token)
                .send()
                .await
                .expect("lookup");
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.expect("json")
        }
    };
    let body = lookup("public_metrics,non_public_metrics").await;
    let given: Vec<(&str, Option<u64>)> = body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["id"].as_str().unwrap_or_default(),
                d["non_public_metrics"]["url_link_clicks"].as_u64(),
            )
        })
        .collect();
    assert_eq!(given, [("1", Some(7))], "{body}");
    let refused: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["resource_id"].as_str().unwrap_or_default(),
                e["field"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [("2", "non_public_metrics"), ("3", "non_public_metrics")],
        "{body}"
    );
    let body = lookup("public_metrics").await;
    let likes: Vec<Option<u64>> = body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| d["public_metrics"]["like_count"].as_u64())
        .collect();
    assert_eq!(likes, [Some(2); 3], "{body}");
}

#[tokio::test]
async fn fake_ai_refuses_a_json_schema_that_strict_mode_refuses() {
    let fake = FakeAi::start().await;
    let ask = |schema: Value| {
        let url = format!("{}/v1/chat/completions", fake.base);
        async move {
            let r = http()
                .post(url)
                .json(&json!({
                    "model": "fake-model",
                    "messages": [{ "role": "user", "content": "Write 1 X post." }],
                    "response_format": { "type": "json_schema", "json_schema": schema },
                }))
                .send()
                .await
                .expect("chat");
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let object = |extra: Value| {
        let mut o = json!({
            "type": "object",
            "properties": { "body": { "type": "string" } },
            "required": ["body"],
            "additionalProperties": false,
        });
        if let (Some(o), Some(e)) = (o.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        o
    };
    // No name, not strict, a missing `required`, open objects: refused.
    for (why, schema) in [
        (
            "no name",
            json!({ "strict": true, "schema": object(json!({})) }),
        ),
        (
            "not strict",
            json!({ "name": "v", "schema": object(json!({})) }),
        ),
        (
            "a property not required",
            json!({ "name": "v", "strict": true, "schema": object(json!({ "required": [] })) }),
        ),
        (
            "open object",
            json!({ "name": "v", "strict": true, "schema": object(json!({ "additionalProperties": true })) }),
        ),
    ] {
        let (status, body) = ask(schema).await;
        assert_eq!(status, 400, "{why}: {body}");
        assert!(body["error"]["message"].is_string(), "{why}: {body}");
    }
    let (status, body) =
        ask(json!({ "name": "v", "strict": true, "schema": object(json!({})) })).await;
    assert_eq!(status, 200, "{body}");
}
