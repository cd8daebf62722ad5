//! Pure UI state: reducers that the components drive, tested without a browser.

use std::collections::BTreeSet;
use std::rc::Rc;

use reachloop_ipc::{ErrorDto, FieldError, Goal, NewCampaign, Platform};
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
}

/// The "new campaign" form.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignForm {
    pub name: String,
    pub prompt: String,
    pub platforms: BTreeSet<Platform>,
    pub goal: Goal,
    pub errors: Vec<FieldError>,
    /// An error not tied to a field (storage, internal).
    pub failure: Option<String>,
    pub submitting: bool,
    /// Bumped on every successful save, so the list knows to reload.
    pub saved: u32,
}

impl Default for CampaignForm {
    fn default() -> Self {
        CampaignForm {
            name: String::new(),
            prompt: String::new(),
            platforms: BTreeSet::new(),
            goal: Goal::Reach,
            errors: Vec::new(),
            failure: None,
            submitting: false,
            saved: 0,
        }
    }
}

pub enum FormAction {
    SetName(String),
    SetPrompt(String),
    TogglePlatform(Platform),
    SetGoal(Goal),
    Submit,
    Failed(ErrorDto),
    Saved,
}

impl CampaignForm {
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
            ..Default::default()
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
        let form = apply(form, vec![FormAction::SetName("x".into())]);
        assert_eq!(form.error("name"), None);
        assert_eq!(form.error("platforms"), Some("platforms needed"));
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
