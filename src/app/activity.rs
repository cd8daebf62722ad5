//! The audit log as the Activity page shows it: each entry with what it is
//! about in the user's words (the campaign's name, the post's time and
//! platform, the variant's first words, the account's name), never only
//! the ids it holds.

use std::collections::HashMap;

use reachloop_ipc::{Account, AuditEntry, AuditSubject, Campaign, ScheduledPost};

use super::App;
use crate::Error;

/// At most this many words of a variant's text.
const FIRST_WORDS: usize = 8;

/// The first words of `text`, with "…" when there is more.
pub fn first_words(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = words
        .iter()
        .take(FIRST_WORDS)
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if out.chars().count() > 60 {
        out = out.chars().take(59).collect();
        out.push('…');
    } else if words.len() > FIRST_WORDS {
        out.push('…');
    }
    out
}

/// What has been looked up once per call.
#[derive(Default)]
struct Seen {
    campaigns: HashMap<String, Option<Campaign>>,
    posts: HashMap<String, Option<ScheduledPost>>,
    variants: HashMap<String, Option<String>>,
    schedules: HashMap<String, Option<reachloop_ipc::Schedule>>,
}

impl App {
    /// The newest `limit` audit entries, newest first, each with what it
    /// is about.
    pub async fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>, Error> {
        self.audit_entries(limit, None, None).await
    }

    /// [`App::recent_audit`] about one campaign and by `who` (`automated`,
    /// `optimizer` or `people`); an unknown `who` is refused.
    pub async fn audit_entries(
        &self,
        limit: u32,
        campaign: Option<&str>,
        who: Option<&str>,
    ) -> Result<Vec<AuditEntry>, Error> {
        let who = who.filter(|w| !w.is_empty());
        if let Some(w) = who {
            if !["automated", "optimizer", "people"].contains(&w) {
                return Err(super::publishing::problem(
                    "who",
                    "unknown",
                    format!(
                        "Unknown filter {}: automated, optimizer or people.",
                        crate::text::echo(w, 20)
                    ),
                ));
            }
        }
        let campaign = campaign.filter(|c| !c.is_empty());
        let mut entries = self.store().audit_entries(limit, campaign, who).await?;
        let accounts: HashMap<String, Account> = self
            .store()
            .list_accounts()
            .await?
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect();
        let mut seen = Seen::default();
        for e in &mut entries {
            e.about = self.subject_of(e, &accounts, &mut seen).await?;
        }
        Ok(entries)
    }

    async fn subject_of(
        &self,
        e: &AuditEntry,
        accounts: &HashMap<String, Account>,
        seen: &mut Seen,
    ) -> Result<AuditSubject, Error> {
        let details: serde_json::Value = serde_json::from_str(&e.details).unwrap_or_default();
        let field = |key: &str| {
            details
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let id = e.entity_id.clone();
        let mut campaign_id = field("campaign_id");
        let mut variant_id = field("variant_id");
        let mut account_id = field("account_id");
        let mut post_id = field("post_id");
        let mut about = AuditSubject::default();
        match (e.entity_type.as_str(), id) {
            ("post", Some(id)) => post_id = Some(id),
            ("campaign", Some(id)) => campaign_id = Some(id),
            ("variant", Some(id)) => variant_id = Some(id),
            ("account", Some(id)) => account_id = Some(id),
            ("schedule", Some(id)) => {
                if !seen.schedules.contains_key(&id) {
                    let s = self.store().schedule(&id).await?;
                    seen.schedules.insert(id.clone(), s);
                }
                if let Some(Some(s)) = seen.schedules.get(&id) {
                    campaign_id = campaign_id.or(Some(s.campaign_id.clone()));
                    account_id = account_id.or(Some(s.account_id.clone()));
                    about.platform = Some(s.platform);
                }
            }
            _ => {}
        }
        if let Some(pid) = &post_id {
            if !seen.posts.contains_key(pid) {
                let p = self.store().post(pid).await?;
                seen.posts.insert(pid.clone(), p);
            }
            if let Some(Some(p)) = seen.posts.get(pid) {
                about.post_id = Some(p.id.clone());
                about.post_at = Some(p.scheduled_at.clone());
                about.platform = Some(p.platform);
                campaign_id = campaign_id.or(Some(p.campaign_id.clone()));
                account_id = account_id.or(Some(p.account_id.clone()));
                variant_id = variant_id.or(p.variant_id.clone());
            }
        }
        if let Some(cid) = &campaign_id {
            if !seen.campaigns.contains_key(cid) {
                let c = self.store().campaign(cid).await?;
                seen.campaigns.insert(cid.clone(), c);
            }
            about.campaign = seen
                .campaigns
                .get(cid)
                .and_then(|c| c.as_ref())
                .map(|c| c.name.clone());
        }
        if let Some(vid) = &variant_id {
            if !seen.variants.contains_key(vid) {
                let body = self.store().variant_body(vid).await?;
                seen.variants.insert(vid.clone(), body);
            }
            about.variant = seen
                .variants
                .get(vid)
                .and_then(|b| b.as_deref())
                .map(first_words);
        }
        if let Some(a) = account_id.as_ref().and_then(|a| accounts.get(a)) {
            about.account = Some(format!("{} ({})", a.name, a.handle));
        }
        Ok(about)
    }
}

#[cfg(test)]
mod tests {
    use super::first_words;

    #[test]
    fn a_variant_is_named_by_its_first_words() {
        assert_eq!(first_words("Fresh bread"), "Fresh bread");
        assert_eq!(
            first_words("one two three four five six seven eight nine ten"),
            "one two three four five six seven eight…"
        );
        let long = "a".repeat(100);
        assert_eq!(first_words(&long).chars().count(), 60);
        assert!(first_words(&long).ends_with('…'));
        assert_eq!(first_words("  spaced\n\tout  "), "spaced out");
    }
}
