//! Why upcoming posts and schedules will not go out on their own
//! (`publish::blockers`), filled into what the Calendar and the campaign's
//! schedule list read.

use std::collections::HashMap;

use reachloop_ipc::{Account, Platform, Schedule, ScheduledPost};

use super::App;
use crate::publish::blockers::{why_not, Context, Fix};
use crate::Error;

/// What a post's or schedule's fate depends on, read once per call.
pub(super) struct Known {
    campaigns: HashMap<String, reachloop_ipc::Campaign>,
    paused: HashMap<String, bool>,
    accounts: HashMap<String, Account>,
    /// Per campaign and platform: live variants, and how many break the rules.
    variants: HashMap<(String, Platform), (usize, usize)>,
}

impl Known {
    /// Why a post of `campaign_id` on `platform` by `schedule_id` to
    /// `account_id` will not go out on its own (`picked`: a person chose
    /// its variant); `None` when the campaign is unknown (`Some(None)`:
    /// nothing stops it).
    pub(super) fn blocked(
        &self,
        campaign_id: &str,
        platform: Platform,
        schedule_id: Option<&str>,
        account_id: &str,
        picked: bool,
    ) -> Option<Option<(String, Fix)>> {
        let campaign = self.campaigns.get(campaign_id)?;
        let (live_variants, ruled_out) = self
            .variants
            .get(&(campaign_id.to_string(), platform))
            .copied()
            .unwrap_or((0, 0));
        let context = Context {
            platform,
            campaign_name: &campaign.name,
            campaign_status: campaign.status,
            schedule_paused: schedule_id
                .and_then(|s| self.paused.get(s))
                .copied()
                .unwrap_or(false),
            account: self
                .accounts
                .get(account_id)
                .map(|a| (a.status, a.handle.as_str())),
            live_variants,
            ruled_out,
            picked,
        };
        Some(why_not(&context))
    }
}

impl App {
    pub(super) async fn known(&self, wanted: &[(String, Platform)]) -> Result<Known, Error> {
        let store = self.store();
        let campaigns = store
            .list_campaigns()
            .await?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
        let paused = store
            .list_schedules(None)
            .await?
            .into_iter()
            .map(|s| (s.id, s.paused))
            .collect();
        let accounts = store
            .list_accounts()
            .await?
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect();
        let mut variants = HashMap::new();
        for (campaign, platform) in wanted {
            if variants.contains_key(&(campaign.clone(), *platform)) {
                continue;
            }
            let (count, ruled) = crate::publish::ruled_out_of(store, campaign, *platform).await?;
            variants.insert((campaign.clone(), *platform), (count, ruled.len()));
        }
        Ok(Known {
            campaigns,
            paused,
            accounts,
            variants,
        })
    }

    /// Fills in why each upcoming post of `posts` will not go out on its
    /// own, and what lets it; a post held by the publisher keeps its words.
    pub(crate) async fn explain_holds(&self, posts: &mut [ScheduledPost]) -> Result<(), Error> {
        let wanted: Vec<(String, Platform)> = posts
            .iter()
            .filter(|p| p.status == "scheduled")
            .map(|p| (p.campaign_id.clone(), p.platform))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let known = self.known(&wanted).await?;
        for p in posts.iter_mut().filter(|p| p.status == "scheduled") {
            let blocked = known.blocked(
                &p.campaign_id,
                p.platform,
                p.schedule_id.as_deref(),
                &p.account_id,
                p.overridden && p.variant_id.is_some(),
            );
            let Some(blocked) = blocked else {
                continue;
            };
            match blocked {
                // The publisher's own words for a post it held stay.
                Some((_, Fix::PickVariant)) if p.held.is_some() => {
                    p.fix = Some(Fix::PickVariant.as_str().into());
                }
                Some((why, fix)) => {
                    p.held = Some(why);
                    p.fix = Some(fix.as_str().into());
                }
                None if p.held.is_some() => p.fix = Some(Fix::PickVariant.as_str().into()),
                None => {}
            }
        }
        Ok(())
    }

    /// Fills in why each schedule's posts will not go out on their own
    /// (its own pause aside: the list shows that).
    pub(crate) async fn explain_schedules(&self, schedules: &mut [Schedule]) -> Result<(), Error> {
        let wanted: Vec<(String, Platform)> = schedules
            .iter()
            .map(|s| (s.campaign_id.clone(), s.platform))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let known = self.known(&wanted).await?;
        for s in schedules.iter_mut() {
            let Some(campaign) = known.campaigns.get(&s.campaign_id) else {
                continue;
            };
            let (live_variants, ruled_out) = known
                .variants
                .get(&(s.campaign_id.clone(), s.platform))
                .copied()
                .unwrap_or((0, 0));
            let context = Context {
                platform: s.platform,
                campaign_name: &campaign.name,
                campaign_status: campaign.status,
                schedule_paused: false,
                account: known
                    .accounts
                    .get(&s.account_id)
                    .map(|a| (a.status, a.handle.as_str())),
                live_variants,
                ruled_out,
                picked: false,
            };
            if let Some((why, fix)) = why_not(&context) {
                s.blocked = Some(why.replace("this post", "each post"));
                s.fix = Some(fix.as_str().into());
            }
        }
        Ok(())
    }
}
