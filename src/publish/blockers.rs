//! Why an upcoming post will not go out on its own, in words, with the one
//! thing that lets it: pure, from what the store knows of its campaign,
//! schedule, account and variants. The Calendar shows it on the post and
//! its day, the campaign on the schedule.

use reachloop_ipc::{AccountStatus, CampaignStatus, Platform};

/// What a post (or a schedule) depends on.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub platform: Platform,
    pub campaign_name: &'a str,
    pub campaign_status: CampaignStatus,
    pub schedule_paused: bool,
    /// The account's status and handle; `None`: the account is gone.
    pub account: Option<(AccountStatus, &'a str)>,
    /// Live variants of the campaign on the platform, and how many of them
    /// break the rules.
    pub live_variants: usize,
    pub ruled_out: usize,
    /// A person picked its variant: the rules do not hold it back.
    pub picked: bool,
}

/// The one thing that lets it go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    ActivateCampaign,
    ResumeSchedule,
    ReconnectAccount,
    WriteVariant,
    PickVariant,
}

impl Fix {
    /// Its name in the IPC types.
    pub fn as_str(self) -> &'static str {
        match self {
            Fix::ActivateCampaign => "activate_campaign",
            Fix::ResumeSchedule => "resume_schedule",
            Fix::ReconnectAccount => "reconnect_account",
            Fix::WriteVariant => "write_variant",
            Fix::PickVariant => "pick_variant",
        }
    }
}

/// Why it will not go out on its own (the first reason, in the order a
/// user fixes them), or `None` when nothing holds it back.
pub fn why_not(c: &Context<'_>) -> Option<(String, Fix)> {
    let name = c.campaign_name;
    if c.campaign_status != CampaignStatus::Active {
        let state = match c.campaign_status {
            CampaignStatus::Draft => "a draft",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Completed => "completed",
            CampaignStatus::Archived => "archived",
            CampaignStatus::Active => "active",
        };
        return Some((
            format!("Will not go out: the campaign \u{201c}{name}\u{201d} is {state}. Activate it to publish its posts."),
            Fix::ActivateCampaign,
        ));
    }
    if c.schedule_paused {
        return Some((
            "Will not go out: its schedule is paused. Resume the schedule to publish it.".into(),
            Fix::ResumeSchedule,
        ));
    }
    match c.account {
        None => return Some((
            "Will not go out: its account is no longer connected. Connect it again in Accounts."
                .into(),
            Fix::ReconnectAccount,
        )),
        Some((AccountStatus::Disconnected, handle)) => {
            return Some((
                format!("Will not go out: {handle} is disconnected. Connect it again in Accounts."),
                Fix::ReconnectAccount,
            ))
        }
        Some((AccountStatus::NeedsAction, handle)) => {
            return Some((
                format!("Will not go out: {handle} needs you to sign in again (Accounts)."),
                Fix::ReconnectAccount,
            ))
        }
        Some(_) => {}
    }
    if c.live_variants == 0 {
        return Some((
            format!(
                "Will not go out: the campaign has no variant for {}. Write one in the campaign.",
                c.platform.label()
            ),
            Fix::WriteVariant,
        ));
    }
    if !c.picked && c.ruled_out == c.live_variants {
        return Some((
            format!(
                "Will not go out by itself: every {} variant breaks the rules. Pick a variant for this post, or fix one.",
                c.platform.label()
            ),
            Fix::PickVariant,
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fine() -> Context<'static> {
        Context {
            platform: Platform::Sandbox,
            campaign_name: "Spring",
            campaign_status: CampaignStatus::Active,
            schedule_paused: false,
            account: Some((AccountStatus::Connected, "@bakery")),
            live_variants: 2,
            ruled_out: 1,
            picked: false,
        }
    }

    #[test]
    fn each_reason_names_its_fix_in_the_order_a_user_fixes_them() {
        assert_eq!(why_not(&fine()), None);
        let cases: [(Context<'static>, Fix, &str); 6] = [
            (
                Context {
                    campaign_status: CampaignStatus::Draft,
                    schedule_paused: true,
                    ..fine()
                },
                Fix::ActivateCampaign,
                "is a draft",
            ),
            (
                Context {
                    schedule_paused: true,
                    account: None,
                    ..fine()
                },
                Fix::ResumeSchedule,
                "paused",
            ),
            (
                Context {
                    account: Some((AccountStatus::NeedsAction, "@bakery")),
                    ..fine()
                },
                Fix::ReconnectAccount,
                "sign in again",
            ),
            (
                Context {
                    account: None,
                    ..fine()
                },
                Fix::ReconnectAccount,
                "no longer connected",
            ),
            (
                Context {
                    live_variants: 0,
                    ruled_out: 0,
                    ..fine()
                },
                Fix::WriteVariant,
                "no variant for Sandbox",
            ),
            (
                Context {
                    ruled_out: 2,
                    ..fine()
                },
                Fix::PickVariant,
                "breaks the rules",
            ),
        ];
        for (c, fix, words) in cases {
            let (why, got) = why_not(&c).expect("held back");
            assert_eq!(got, fix, "{why}");
            assert!(why.contains(words), "{why}");
        }
        // A person's pick goes out whatever the rules say.
        assert_eq!(
            why_not(&Context {
                ruled_out: 2,
                picked: true,
                ..fine()
            }),
            None
        );
        // An account that expires soon still publishes.
        assert_eq!(
            why_not(&Context {
                account: Some((AccountStatus::Expiring, "@bakery")),
                ..fine()
            }),
            None
        );
    }
}
