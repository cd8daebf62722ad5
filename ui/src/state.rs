//! Pure UI state: reducers that the components drive, tested without a browser.

use std::collections::BTreeSet;
use std::rc::Rc;

use reachloop_ipc::{
    BrandConstraints, Campaign, ErrorDto, FieldError, Goal, Kpi, LengthPreference, MediaPreference,
    NewCampaign, Platform,
};
use yew::Reducible;

/// The pages in the navigation, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Accounts,
    Campaigns,
    Calendar,
    Analytics,
    Optimizer,
    Activity,
    Settings,
}

impl Page {
    pub const ALL: [Page; 7] = [
        Page::Accounts,
        Page::Campaigns,
        Page::Calendar,
        Page::Analytics,
        Page::Optimizer,
        Page::Activity,
        Page::Settings,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Page::Accounts => "Accounts",
            Page::Campaigns => "Campaigns",
            Page::Calendar => "Calendar",
            Page::Analytics => "Analytics",
            Page::Optimizer => "Optimizer",
            Page::Activity => "Activity",
            Page::Settings => "Settings",
        }
    }

    /// Stable id used by the navigation buttons (and the end-to-end tests).
    pub fn id(self) -> &'static str {
        match self {
            Page::Accounts => "nav-accounts",
            Page::Campaigns => "nav-campaigns",
            Page::Calendar => "nav-calendar",
            Page::Analytics => "nav-analytics",
            Page::Optimizer => "nav-optimizer",
            Page::Activity => "nav-activity",
            Page::Settings => "nav-settings",
        }
    }

    /// The page whose `id()` is `id` (the page remembered across a window
    /// closed to the tray and opened again).
    pub fn from_id(id: &str) -> Option<Page> {
        Page::ALL.into_iter().find(|p| p.id() == id)
    }
}

/// The "new campaign" form.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignForm {
    pub name: String,
    pub prompt: String,
    pub platforms: BTreeSet<Platform>,
    pub goal: Goal,
    pub tone: String,
    /// Banned words as typed: one per line or comma-separated.
    pub banned: String,
    pub length: LengthPreference,
    pub media: MediaPreference,
    pub variants: u8,
    /// KPI rows as typed: (metric, target).
    pub kpis: Vec<(String, String)>,
    pub errors: Vec<FieldError>,
    /// An error not tied to a field (storage, internal).
    pub failure: Option<String>,
    pub submitting: bool,
    /// Bumped on every successful save, so the list knows to reload.
    pub saved: u32,
    /// Bumped when a submit comes back with field errors: only then does
    /// focus move to the first one (not while the user fixes them).
    pub focus_request: u32,
}

impl Default for CampaignForm {
    fn default() -> Self {
        CampaignForm {
            name: String::new(),
            prompt: String::new(),
            platforms: BTreeSet::new(),
            goal: Goal::Reach,
            tone: String::new(),
            banned: String::new(),
            length: LengthPreference::Any,
            media: MediaPreference::Any,
            variants: 2,
            kpis: Vec::new(),
            errors: Vec::new(),
            failure: None,
            submitting: false,
            saved: 0,
            focus_request: 0,
        }
    }
}

pub enum FormAction {
    SetName(String),
    SetPrompt(String),
    TogglePlatform(Platform),
    SetGoal(Goal),
    SetTone(String),
    SetBanned(String),
    SetLength(LengthPreference),
    SetMedia(MediaPreference),
    SetVariants(u8),
    AddKpi,
    SetKpiMetric(usize, String),
    SetKpiTarget(usize, String),
    RemoveKpi(usize),
    Submit,
    Failed(ErrorDto),
    Saved,
}

impl CampaignForm {
    /// Whether the user typed or picked something `pristine` (the empty
    /// form, or the campaign as it was opened) does not hold: leaving the
    /// page then asks first. Errors, progress and focus are not input.
    pub fn holds_input(&self, pristine: &CampaignForm) -> bool {
        self.to_input() != pristine.to_input()
    }

    /// What is sent to the shell; validation is the core's job.
    pub fn to_input(&self) -> NewCampaign {
        NewCampaign {
            name: self.name.clone(),
            prompt: self.prompt.clone(),
            platforms: self
                .platforms
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
            goal: self.goal.as_str().to_string(),
            brand: BrandConstraints {
                tone: self.tone.clone(),
                banned_words: split_banned(&self.banned),
                length: self.length,
                media: self.media,
            },
            kpis: self
                .kpis
                .iter()
                .filter(|(_, t)| !t.trim().is_empty())
                .map(|(metric, target)| Kpi {
                    metric: metric.clone(),
                    // Not a number: the core explains ("must be a number above 0").
                    target: target.trim().parse().unwrap_or(-1.0),
                })
                .collect(),
            variants_per_platform: Some(self.variants),
        }
    }

    /// The form filled in from a saved campaign, for editing.
    pub fn from_campaign(c: &Campaign) -> CampaignForm {
        CampaignForm {
            name: c.name.clone(),
            prompt: c.prompt.clone(),
            platforms: c.platforms.iter().copied().collect(),
            goal: c.goal,
            tone: c.brand.tone.clone(),
            banned: c.brand.banned_words.join("\n"),
            length: c.brand.length,
            media: c.brand.media,
            variants: c.variants_per_platform,
            kpis: c
                .kpis
                .iter()
                .map(|k| (k.metric.clone(), k.target.to_string()))
                .collect(),
            ..CampaignForm::default()
        }
    }

    /// The message for `field`, if it has a problem.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn clear(&mut self, field: &str) {
        self.errors.retain(|e| e.field != field);
    }
}

impl Reducible for CampaignForm {
    type Action = FormAction;

    fn reduce(self: Rc<Self>, action: FormAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            FormAction::SetName(v) => {
                next.name = v;
                next.clear("name");
            }
            FormAction::SetPrompt(v) => {
                next.prompt = v;
                next.clear("prompt");
            }
            FormAction::TogglePlatform(p) => {
                if !next.platforms.remove(&p) {
                    next.platforms.insert(p);
                }
                next.clear("platforms");
            }
            FormAction::SetGoal(g) => {
                next.goal = g;
                next.clear("goal");
            }
            FormAction::SetTone(v) => {
                next.tone = v;
                next.clear("tone");
            }
            FormAction::SetBanned(v) => {
                next.banned = v;
                next.clear("banned_words");
            }
            FormAction::SetLength(v) => next.length = v,
            FormAction::SetMedia(v) => next.media = v,
            FormAction::SetVariants(v) => {
                next.variants = v;
                next.clear("variants_per_platform");
            }
            FormAction::AddKpi => {
                let unused = KPI_METRICS
                    .iter()
                    .find(|m| !next.kpis.iter().any(|(k, _)| k == *m))
                    .unwrap_or(&KPI_METRICS[0]);
                next.kpis.push((unused.to_string(), String::new()));
            }
            FormAction::SetKpiMetric(i, m) => {
                if let Some(row) = next.kpis.get_mut(i) {
                    row.0 = m;
                }
                next.clear("kpis");
            }
            FormAction::SetKpiTarget(i, t) => {
                if let Some(row) = next.kpis.get_mut(i) {
                    row.1 = t;
                }
                next.clear("kpis");
            }
            FormAction::RemoveKpi(i) => {
                if i < next.kpis.len() {
                    next.kpis.remove(i);
                }
                next.clear("kpis");
            }
            FormAction::Submit => {
                next.submitting = true;
                next.failure = None;
            }
            FormAction::Failed(err) => {
                next.submitting = false;
                if err.fields.is_empty() {
                    next.failure = Some(err.message);
                } else {
                    next.errors = err.fields;
                    next.focus_request = self.focus_request + 1;
                }
            }
            FormAction::Saved => {
                next = CampaignForm {
                    saved: self.saved + 1,
                    goal: self.goal,
                    ..CampaignForm::default()
                };
            }
        }
        Rc::new(next)
    }
}

/// `n` and the noun, singular or plural: "1 variant", "2 variants".
pub fn count(n: u64, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// The metrics a KPI row offers (the core checks against the same list).
pub use reachloop_ipc::KPI_METRICS;

/// Banned words typed one per line or separated by commas.
pub fn split_banned(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

/// What the app asks before a page with unsaved edits is left.
pub fn leave_question(unsaved: usize) -> String {
    match unsaved {
        1 => "A variant has unsaved changes. Leave and lose them?".to_string(),
        n => format!("{n} variants have unsaved changes. Leave and lose them?"),
    }
}

/// An audit action in words: `campaign.status_changed` → "Campaign status
/// changed" (the first letter capitalised, dots and underscores as spaces).
pub fn action_label(action: &str) -> String {
    let words = action.replace(['.', '_'], " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An audit entry's JSON details as "key: value" pairs a person can read,
/// nulls and empty values left out; anything that is not a JSON object is
/// shown as it is.
pub fn describe_details(details: &str, local_time: impl Fn(&str) -> String) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(details)
    else {
        return details.to_string();
    };
    let show = |v: &serde_json::Value| -> Option<String> {
        match v {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) if s.is_empty() => None,
            // Instants read in the user's zone.
            serde_json::Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {
                Some(local_time(s))
            }
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Bool(true) => Some("yes".into()),
            serde_json::Value::Bool(false) => Some("no".into()),
            serde_json::Value::Array(a) if a.is_empty() => None,
            serde_json::Value::Array(a) => Some(
                a.iter()
                    .map(|x| {
                        x.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| x.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            other => Some(other.to_string()),
        }
    };
    // Ids say nothing to a person: what they name is shown beside.
    map.iter()
        .filter(|(k, _)| !(k.as_str() == "id" || k.ends_with("_id") || k.ends_with("_ids")))
        .filter_map(|(k, v)| show(v).map(|v| format!("{}: {v}", k.replace('_', " "))))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Splits `text` into (piece, highlighted) runs by character `spans`
/// (start, end), for marking banned words. Overlapping or out-of-range
/// spans are clamped, never a panic.
pub fn highlight(text: &str, spans: &[(usize, usize)]) -> Vec<(String, bool)> {
    let chars: Vec<char> = text.chars().collect();
    let mut marks = vec![false; chars.len()];
    for &(start, end) in spans {
        for m in marks.iter_mut().take(end.min(chars.len())).skip(start) {
            *m = true;
        }
    }
    let mut runs: Vec<(String, bool)> = Vec::new();
    for (c, m) in chars.into_iter().zip(marks) {
        match runs.last_mut() {
            Some((s, mark)) if *mark == m => s.push(c),
            _ => runs.push((c.to_string(), m)),
        }
    }
    runs
}

/// "in 1 h 35 min", "in 3 days", "expired": how long until `expires_ms`
/// (epoch milliseconds) from `now_ms`.
pub fn expires_in_label(now_ms: f64, expires_ms: f64) -> String {
    let minutes = ((expires_ms - now_ms) / 60_000.0).floor();
    if !minutes.is_finite() {
        return "unknown".into();
    }
    let minutes = minutes as i64;
    match minutes {
        m if m < 0 => "expired".into(),
        0 => "in under a minute".into(),
        m if m < 60 => format!("in {m} min"),
        m if m < 48 * 60 => match m % 60 {
            0 => format!("in {} h", m / 60),
            r => format!("in {} h {r} min", m / 60),
        },
        m => format!("in {} days", m / (24 * 60)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_singular_for_one() {
        assert_eq!(super::count(1, "hashtag"), "1 hashtag");
        assert_eq!(super::count(3, "mention"), "3 mentions");
    }

    #[test]
    fn typed_input_is_unsaved_but_errors_and_a_save_are_not() {
        use super::*;
        let pristine = CampaignForm::default();
        let mut form = CampaignForm::default();
        assert!(!form.holds_input(&pristine));
        form.errors.push(FieldError {
            field: "name".into(),
            code: "required".into(),
            message: "Name it.".into(),
        });
        form.focus_request += 1;
        assert!(!form.holds_input(&pristine), "errors are not input");
        form.name = "Spring".into();
        assert!(form.holds_input(&pristine));
        let form = Rc::new(form).reduce(FormAction::Saved);
        assert!(!form.holds_input(&pristine), "saved: nothing to lose");
        let mut form = CampaignForm::default();
        form.platforms.insert(Platform::Sandbox);
        assert!(form.holds_input(&pristine), "a ticked platform counts");
    }

    use super::*;

    fn apply(form: CampaignForm, actions: Vec<FormAction>) -> CampaignForm {
        let mut state = Rc::new(form);
        for a in actions {
            state = state.reduce(a);
        }
        (*state).clone()
    }

    fn field_error(field: &str) -> FieldError {
        FieldError {
            field: field.into(),
            code: "required".into(),
            message: format!("{field} needed"),
        }
    }

    #[test]
    fn builds_the_input_the_core_validates() {
        let form = apply(
            CampaignForm::default(),
            vec![
                FormAction::SetName("Launch".into()),
                FormAction::TogglePlatform(Platform::Youtube),
                FormAction::TogglePlatform(Platform::X),
                FormAction::TogglePlatform(Platform::Tiktok),
                FormAction::TogglePlatform(Platform::Tiktok),
                FormAction::SetGoal(Goal::Ctr),
            ],
        );
        let input = form.to_input();
        assert_eq!(input.name, "Launch");
        assert_eq!(input.platforms, vec!["x", "youtube"]);
        assert_eq!(input.goal, "ctr");
    }

    #[test]
    fn pages_are_found_by_their_id() {
        for p in Page::ALL {
            assert_eq!(Page::from_id(p.id()), Some(p));
        }
        assert_eq!(Page::from_id("nav-nowhere"), None);
    }

    #[test]
    fn leaving_asks_in_words() {
        assert_eq!(
            leave_question(1),
            "A variant has unsaved changes. Leave and lose them?"
        );
        assert!(leave_question(3).starts_with("3 variants"));
    }

    #[test]
    fn audit_entries_read_as_words() {
        assert_eq!(
            action_label("campaign.status_changed"),
            "Campaign status changed"
        );
        assert_eq!(action_label(""), "");
        let local = |at: &str| format!("<{at} here>");
        assert_eq!(
            describe_details(
                r#"{"from":"draft","to":"active","note":null,"platforms":["x","tiktok"],"kept":true}"#,
                local
            ),
            "from: draft · kept: yes · platforms: x, tiktok · to: active"
        );
        // Ids are left out; instants are the user's.
        assert_eq!(
            describe_details(
                r#"{"post_id":"p-1","variant_id":"v-2","to":"2026-12-05T10:00:00.000Z","why":"moved"}"#,
                local
            ),
            "to: <2026-12-05T10:00:00.000Z here> · why: moved"
        );
        assert_eq!(describe_details("{}", local), "");
        assert_eq!(describe_details("not json", local), "not json");
    }

    #[test]
    fn field_errors_show_until_that_field_is_edited() {
        let err = ErrorDto {
            code: "validation".into(),
            message: "invalid".into(),
            fields: vec![field_error("name"), field_error("platforms")],
        };
        let form = apply(
            CampaignForm::default(),
            vec![FormAction::Submit, FormAction::Failed(err)],
        );
        assert!(!form.submitting);
        assert_eq!(form.error("name"), Some("name needed"));
        assert_eq!(form.error("platforms"), Some("platforms needed"));
        assert_eq!(form.focus_request, 1, "a failed submit asks for focus");
        let form = apply(form, vec![FormAction::SetName("x".into())]);
        assert_eq!(form.error("name"), None);
        assert_eq!(form.error("platforms"), Some("platforms needed"));
        assert_eq!(
            form.focus_request, 1,
            "fixing one error does not move focus to the next"
        );
    }

    #[test]
    fn other_failures_are_shown_apart_and_saving_resets_the_form() {
        let err = ErrorDto {
            code: "storage".into(),
            message: "disk full".into(),
            fields: vec![],
        };
        let form = apply(
            CampaignForm::default(),
            vec![
                FormAction::SetName("Keep me".into()),
                FormAction::Submit,
                FormAction::Failed(err),
            ],
        );
        assert_eq!(form.failure.as_deref(), Some("disk full"));
        assert_eq!(form.name, "Keep me", "a failed save loses nothing");
        let form = apply(
            form,
            vec![
                FormAction::SetGoal(Goal::Engagement),
                FormAction::Submit,
                FormAction::Saved,
            ],
        );
        assert_eq!(form.name, "");
        assert_eq!(form.saved, 1);
        assert_eq!(
            form.goal,
            Goal::Engagement,
            "the goal choice is kept for the next campaign"
        );
        assert!(form.failure.is_none() && !form.submitting);
    }

    #[test]
    fn brand_fields_and_kpis_reach_the_input() {
        let form = apply(
            CampaignForm::default(),
            vec![
                FormAction::SetBanned("cheap, free money\n\n  deal ".into()),
                FormAction::SetVariants(4),
                FormAction::AddKpi,
                FormAction::SetKpiTarget(0, "5000".into()),
                FormAction::AddKpi,
                FormAction::SetKpiMetric(1, "ctr".into()),
                FormAction::SetKpiTarget(1, "lots".into()),
                FormAction::AddKpi,
            ],
        );
        let input = form.to_input();
        assert_eq!(input.brand.banned_words, ["cheap", "free money", "deal"]);
        assert_eq!(input.variants_per_platform, Some(4));
        assert_eq!(input.kpis.len(), 2, "an empty row is left out");
        assert_eq!(
            (input.kpis[0].metric.as_str(), input.kpis[0].target),
            ("impressions", 5000.0)
        );
        assert_eq!(
            input.kpis[1].target, -1.0,
            "not a number: the core explains"
        );
        let form = apply(
            form,
            vec![FormAction::RemoveKpi(0), FormAction::RemoveKpi(9)],
        );
        assert_eq!(form.kpis.len(), 2);
    }

    #[test]
    fn highlights_split_text_into_marked_runs() {
        assert_eq!(
            highlight("so cheap!", &[(3, 8)]),
            vec![
                ("so ".to_string(), false),
                ("cheap".to_string(), true),
                ("!".to_string(), false)
            ]
        );
        assert_eq!(
            highlight("é日本", &[(1, 99)]),
            vec![("é".to_string(), false), ("日本".to_string(), true)]
        );
        assert_eq!(highlight("", &[(0, 3)]), Vec::<(String, bool)>::new());
        assert_eq!(highlight("ab", &[(5, 1)]), vec![("ab".to_string(), false)]);
    }

    #[test]
    fn expiry_labels_read_naturally() {
        let min = 60_000.0;
        let table = [
            (-1.0, "expired"),
            (0.5, "in under a minute"),
            (59.0, "in 59 min"),
            (60.0, "in 1 h"),
            (95.0, "in 1 h 35 min"),
            (47.0 * 60.0 + 59.0, "in 47 h 59 min"),
            (60.0 * 24.0 * 59.5, "in 59 days"),
        ];
        for (minutes, want) in table {
            assert_eq!(expires_in_label(0.0, minutes * min), want, "{minutes} min");
        }
        assert_eq!(expires_in_label(0.0, f64::NAN), "unknown");
    }

    #[test]
    fn navigation_ids_are_unique() {
        let mut ids: Vec<&str> = Page::ALL.iter().map(|p| p.id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), Page::ALL.len());
    }
}
