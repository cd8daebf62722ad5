//! X's metrics, as the collector reads them: `GET /2/tweets?ids=` (up to
//! 100 posts a request) with `public_metrics`, and for the account's own
//! posts younger than 30 days `non_public_metrics` too (impressions, link
//! and profile clicks: X keeps them only that long, so older posts are
//! asked for the public ones alone). Video views come with the media.
//! Renamed fields are read under both names (`retweet_count` in 2.166,
//! `repost_count` in 2.167).

use chrono::{DateTime, Duration, Utc};
use reachloop_ipc::Platform;
use serde_json::Value;

use super::X;
use crate::analytics::Metrics;
use crate::platforms::{BoxFuture, Fetched, MetricsRequest, MetricsSource, PublishError};

/// X gives a post's non-public metrics for 30 days; asked only until a
/// margin before that.
pub const PRIVATE_METRICS_UNTIL: Duration = Duration::hours(30 * 24 - 1);

/// How many posts one lookup may name.
pub const IDS_PER_REQUEST: usize = 100;

impl MetricsSource for X {
    fn platform(&self) -> Platform {
        Platform::X
    }

    fn batch(&self) -> usize {
        IDS_PER_REQUEST
    }

    fn metrics<'a>(
        &'a self,
        account_id: &'a str,
        posts: &'a [MetricsRequest],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Vec<(String, Fetched)>, PublishError>> {
        Box::pin(async move {
            let access = self.tokens.access(account_id).await?;
            let (young, old): (Vec<&MetricsRequest>, Vec<&MetricsRequest>) = posts
                .iter()
                .partition(|p| now - p.published_at < PRIVATE_METRICS_UNTIL);
            let mut out = Vec::new();
            for (group, private) in [(young, true), (old, false)] {
                if group.is_empty() {
                    continue;
                }
                out.extend(self.lookup_metrics(&access, &group, private, now).await?);
            }
            Ok(out)
        })
    }
}

impl X {
    async fn lookup_metrics(
        &self,
        access: &super::Access,
        posts: &[&MetricsRequest],
        private: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, Fetched)>, PublishError> {
        let mut url = self.url("/2/tweets");
        let ids: Vec<&str> = posts.iter().map(|p| p.remote_id.as_str()).collect();
        url.query_pairs_mut()
            .append_pair("ids", &ids.join(","))
            .append_pair(
                "tweet.fields",
                if private {
                    "public_metrics,non_public_metrics"
                } else {
                    "public_metrics"
                },
            )
            .append_pair("expansions", "attachments.media_keys")
            .append_pair("media.fields", "public_metrics");
        let response = self
            .http
            .get(url)
            .bearer_auth(access.token.as_str())
            .timeout(self.config.request_timeout)
            .send()
            .await
            .map_err(|e| PublishError::Retry {
                code: "unreachable".into(),
                message: format!(
                    "X could not be reached for metrics: {}",
                    crate::error::transport_words(&e)
                ),
            })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = crate::body::text(response).await.unwrap_or_default();
        let body: Result<Value, _> = serde_json::from_str(&text);
        if status != 200 {
            let body = body.unwrap_or(Value::Null);
            return Err(match super::classify(status, &headers, &body, "", now) {
                PublishError::Permanent { code, .. } if code == "token_expired" => {
                    PublishError::Permanent {
                        code,
                        message: "X no longer accepts this account's sign-in, so its metrics cannot be read: reconnect it in Accounts.".into(),
                    }
                }
                PublishError::RateLimited {
                    until,
                    whole_platform,
                    ..
                } => PublishError::RateLimited {
                    until,
                    whole_platform,
                    message: "X's limit for reading posts is used up; metrics wait until it resets."
                        .into(),
                },
                PublishError::Unknown(_) => PublishError::Retry {
                    code: "x_failed".into(),
                    message: format!("X failed to give metrics (HTTP {status}); asked again later."),
                },
                other => other,
            });
        }
        let Ok(body) = body.and_then(|b: Value| {
            if b.is_object() {
                Ok(b)
            } else {
                serde_json::from_str("!")
            }
        }) else {
            return Err(PublishError::Retry {
                code: "unreadable".into(),
                message: "X's answer with the metrics could not be read (cut off, too large or not JSON); asked again later.".into(),
            });
        };
        Ok(read_lookup(&body, posts))
    }
}

fn u(v: &Value) -> Option<u64> {
    v.as_u64()
}

/// One answer per post asked about, from a `GET /2/tweets` body: its
/// metrics, gone (not found), or failed (an error X gave for it).
pub fn read_lookup(body: &Value, posts: &[&MetricsRequest]) -> Vec<(String, Fetched)> {
    let media_views = |keys: &Value| -> Option<u64> {
        let keys: Vec<&str> = keys.as_array()?.iter().filter_map(Value::as_str).collect();
        let views: Vec<u64> = body["includes"]["media"]
            .as_array()?
            .iter()
            .filter(|m| m["media_key"].as_str().is_some_and(|k| keys.contains(&k)))
            .filter_map(|m| u(&m["public_metrics"]["view_count"]))
            .collect();
        (!views.is_empty()).then(|| views.iter().sum())
    };
    let data: Vec<&Value> = body["data"].as_array().into_iter().flatten().collect();
    let errors: Vec<&Value> = body["errors"].as_array().into_iter().flatten().collect();
    posts
        .iter()
        .map(|p| {
            let id = p.remote_id.as_str();
            if let Some(d) = data.iter().find(|d| d["id"].as_str() == Some(id)) {
                let public = &d["public_metrics"];
                let private = &d["non_public_metrics"];
                let mut extras = std::collections::BTreeMap::new();
                for (name, v) in [
                    ("quotes", &public["quote_count"]),
                    ("bookmarks", &public["bookmark_count"]),
                    ("profile_clicks", &private["user_profile_clicks"]),
                    ("engagements", &private["engagements"]),
                ] {
                    if let Some(n) = u(v) {
                        extras.insert(name.to_string(), n);
                    }
                }
                let m = Metrics {
                    impressions: u(&private["impression_count"])
                        .or_else(|| u(&public["impression_count"])),
                    views: media_views(&d["attachments"]["media_keys"]),
                    likes: u(&public["like_count"]),
                    comments: u(&public["reply_count"]),
                    shares: u(&public["retweet_count"]).or_else(|| u(&public["repost_count"])),
                    clicks: u(&private["url_link_clicks"]),
                    extras,
                };
                return (p.post_id.clone(), Fetched::Metrics(m));
            }
            let error = errors
                .iter()
                .find(|e| e["resource_id"].as_str() == Some(id) || e["value"].as_str() == Some(id));
            let answer = match error {
                Some(e)
                    if e["type"]
                        .as_str()
                        .is_some_and(|t| t.ends_with("/resource-not-found")) =>
                {
                    Fetched::Gone("X no longer has this post (deleted).".into())
                }
                Some(e) => Fetched::Failed(format!(
                    "X did not give this post's metrics: {}",
                    e["detail"]
                        .as_str()
                        .and_then(|d| crate::oauth::server_words(d, &[]))
                        .unwrap_or_else(|| "no reason given".into())
                )),
                None => Fetched::Failed("X's answer left this post out.".into()),
            };
            (p.post_id.clone(), answer)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(post: &str, remote: &str) -> MetricsRequest {
        MetricsRequest {
            post_id: post.into(),
            account_id: "a".into(),
            remote_id: remote.into(),
            variant_id: None,
            published_at: Utc::now(),
        }
    }

    #[test]
    fn the_documented_examples_read_as_metrics_under_either_name() {
        let docs: Value =
            serde_json::from_str(include_str!("../../../fakes/fixtures/x-docs-examples.json"))
                .expect("fixture");
        let examples = &docs["x-api/fundamentals/metrics.mdx"];
        let p = req("p", "1234567890");
        let one = |v: &Value| {
            let body = serde_json::json!({ "data": [v["data"].clone()], "includes": v["includes"].clone() });
            match read_lookup(&body, &[&p]).pop() {
                Some((_, Fetched::Metrics(m))) => m,
                other => panic!("{other:?}"),
            }
        };
        let public = one(&examples[0]);
        assert_eq!(public.impressions, Some(5432));
        assert_eq!(public.likes, Some(234));
        assert_eq!(public.comments, Some(12));
        assert_eq!(public.shares, Some(50));
        assert_eq!(
            public.clicks, None,
            "link clicks are not public: unavailable, not 0"
        );
        assert_eq!(public.views, None);
        assert_eq!(public.extras.get("quotes"), Some(&5));
        assert_eq!(public.extras.get("bookmarks"), Some(&8));
        let private = one(&examples[1]);
        assert_eq!(private.clicks, Some(89));
        assert_eq!(private.extras.get("profile_clicks"), Some(&156));
        for name in public.extras.keys().chain(private.extras.keys()) {
            assert!(
                reachloop_ipc::extra_label(name).is_some(),
                "{name} is named in EXTRAS, so reports and the UI show it"
            );
        }
        let video = one(&examples[2]);
        assert_eq!(video.views, Some(12543));
        // 2.167's name for reposts.
        let mut renamed = examples[0].clone();
        let pm = renamed["data"]["public_metrics"]
            .as_object_mut()
            .expect("object");
        let n = pm.remove("retweet_count").expect("retweets");
        pm.insert("repost_count".into(), n);
        assert_eq!(one(&renamed).shares, Some(50));
    }

    #[test]
    fn a_deleted_post_is_gone_and_another_error_is_a_failure() {
        let docs: Value =
            serde_json::from_str(include_str!("../../../fakes/fixtures/x-docs-examples.json"))
                .expect("fixture");
        let body = &docs["x-api/fundamentals/response-codes-and-errors.mdx"][1];
        let (kept, gone, missing) = (req("a", "123"), req("b", "456"), req("c", "789"));
        let answers = read_lookup(body, &[&kept, &gone, &missing]);
        assert!(matches!(answers[0].1, Fetched::Metrics(_)));
        assert!(matches!(&answers[1].1, Fetched::Gone(_)), "{answers:?}");
        assert!(matches!(&answers[2].1, Fetched::Failed(_)), "{answers:?}");
    }
}
