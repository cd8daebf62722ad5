//! The Analytics page's filters as a reducer (tested natively): a period
//! (the last N days, or from one day to another), platforms, a campaign
//! and an account, all combining.

use std::rc::Rc;

use chrono::{Duration, NaiveDate};
use reachloop_ipc::AnalyticsFilter;
use yew::prelude::*;

/// The period shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Period {
    /// The last N days up to now.
    Last(i64),
    /// From the first day to the last, both included (the user's days).
    Days(NaiveDate, NaiveDate),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FilterState {
    pub period: Period,
    pub platforms: Vec<String>,
    pub campaign_id: Option<String>,
    pub account_id: Option<String>,
}

impl Default for FilterState {
    fn default() -> Self {
        FilterState {
            period: Period::Last(30),
            platforms: Vec::new(),
            campaign_id: None,
            account_id: None,
        }
    }
}

pub enum FilterAction {
    Last(i64),
    From(NaiveDate),
    To(NaiveDate),
    TogglePlatform(String),
    Campaign(Option<String>),
    Account(Option<String>),
}

impl Reducible for FilterState {
    type Action = FilterAction;

    fn reduce(self: Rc<Self>, action: FilterAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            FilterAction::Last(days) => s.period = Period::Last(days.clamp(1, 1_000)),
            FilterAction::From(d) => {
                let to = match s.period {
                    Period::Days(_, to) if to >= d => to,
                    _ => d + Duration::days(29),
                };
                s.period = Period::Days(d, to);
            }
            FilterAction::To(d) => {
                let from = match s.period {
                    Period::Days(from, _) if from <= d => from,
                    _ => d - Duration::days(29),
                };
                s.period = Period::Days(from, d);
            }
            FilterAction::TogglePlatform(p) => {
                if let Some(i) = s.platforms.iter().position(|q| *q == p) {
                    s.platforms.remove(i);
                } else {
                    s.platforms.push(p);
                    s.platforms.sort();
                }
            }
            FilterAction::Campaign(c) => s.campaign_id = c.filter(|c| !c.is_empty()),
            FilterAction::Account(a) => s.account_id = a.filter(|a| !a.is_empty()),
        }
        Rc::new(s)
    }
}

impl FilterState {
    /// The filter the core reads. `start_of` gives the instant a day of
    /// the user's starts and `days_ago` the instant N days before now (both
    /// RFC 3339), as the browser knows the user's zone and clock.
    pub fn to_filter(
        &self,
        start_of: impl Fn(NaiveDate) -> String,
        days_ago: impl Fn(i64) -> String,
    ) -> AnalyticsFilter {
        let (from, to) = match &self.period {
            // Up to now (the core's default end).
            Period::Last(days) => (Some(days_ago(*days)), None),
            Period::Days(from, to) => (
                Some(start_of(*from)),
                Some(start_of(*to + Duration::days(1))),
            ),
        };
        AnalyticsFilter {
            from,
            to,
            platforms: self.platforms.clone(),
            campaign_id: self.campaign_id.clone(),
            account_id: self.account_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, day).expect("day")
    }

    fn apply(s: Rc<FilterState>, a: FilterAction) -> Rc<FilterState> {
        s.reduce(a)
    }

    #[test]
    fn filters_combine_and_a_period_never_ends_before_it_starts() {
        let s = Rc::new(FilterState::default());
        let s = apply(s, FilterAction::TogglePlatform("x".into()));
        let s = apply(s, FilterAction::TogglePlatform("sandbox".into()));
        let s = apply(s, FilterAction::Campaign(Some("c1".into())));
        let s = apply(s, FilterAction::Account(Some(String::new())));
        assert_eq!(s.platforms, vec!["sandbox".to_string(), "x".to_string()]);
        assert_eq!(
            (s.campaign_id.as_deref(), s.account_id.as_deref()),
            (Some("c1"), None)
        );
        let s = apply(s, FilterAction::TogglePlatform("x".into()));
        assert_eq!(s.platforms, vec!["sandbox".to_string()]);

        let s = apply(s, FilterAction::From(d(10)));
        assert_eq!(s.period, Period::Days(d(10), d(10) + Duration::days(29)));
        let s = apply(s, FilterAction::To(d(12)));
        assert_eq!(s.period, Period::Days(d(10), d(12)));
        // A start after the end moves the end.
        let s = apply(s, FilterAction::From(d(20)));
        assert_eq!(s.period, Period::Days(d(20), d(20) + Duration::days(29)));
        let s = apply(s, FilterAction::Last(0));
        assert_eq!(s.period, Period::Last(1));
    }

    #[test]
    fn the_core_gets_instants_with_the_last_day_included() {
        let start_of = |day: NaiveDate| format!("{day}T00:00:00+01:00");
        let ago = |n: i64| format!("{n} days ago");
        let s = FilterState {
            period: Period::Days(d(1), d(3)),
            ..FilterState::default()
        };
        let f = s.to_filter(start_of, ago);
        assert_eq!(f.from.as_deref(), Some("2026-12-01T00:00:00+01:00"));
        assert_eq!(f.to.as_deref(), Some("2026-12-04T00:00:00+01:00"));
        let f = FilterState::default().to_filter(start_of, ago);
        assert_eq!((f.from.as_deref(), f.to), (Some("30 days ago"), None));
    }
}
