//! Campaign rules that need no storage: what a valid new campaign is.

use reachloop_ipc::{FieldError, Goal, NewCampaign, Platform};

/// Longest campaign name, in characters.
pub const NAME_MAX_CHARS: usize = 120;
/// Longest prompt, in characters.
pub const PROMPT_MAX_CHARS: usize = 8000;

/// A new campaign that passed validation: the only way to build one is
/// [`validate`], so storage never sees unchecked input.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidCampaign {
    name: String,
    prompt: String,
    platforms: Vec<Platform>,
    goal: Goal,
}

impl ValidCampaign {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn prompt(&self) -> &str {
        &self.prompt
    }
    /// Distinct, in the order of [`Platform::ALL`].
    pub fn platforms(&self) -> &[Platform] {
        &self.platforms
    }
    pub fn goal(&self) -> Goal {
        self.goal
    }
}

/// Checks every field and reports every problem at once, each tied to its
/// field, so a form can show them beside the inputs.
pub fn validate(input: &NewCampaign) -> Result<ValidCampaign, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, code: &str, message: String| {
        errors.push(FieldError {
            field: field.into(),
            code: code.into(),
            message,
        })
    };

    let name = input.name.trim();
    if name.is_empty() {
        fail("name", "required", "Give the campaign a name.".into());
    } else if name.chars().count() > NAME_MAX_CHARS {
        fail(
            "name",
            "too_long",
            format!("Keep the name to {NAME_MAX_CHARS} characters or fewer."),
        );
    } else if name.chars().any(char::is_control) {
        fail(
            "name",
            "invalid_character",
            "The name cannot contain control characters.".into(),
        );
    }

    let prompt = input.prompt.trim();
    if prompt.chars().count() > PROMPT_MAX_CHARS {
        fail(
            "prompt",
            "too_long",
            format!("Keep the prompt to {PROMPT_MAX_CHARS} characters or fewer."),
        );
    }

    let mut platforms = Vec::new();
    let mut unknown = Vec::new();
    for raw in &input.platforms {
        match Platform::parse(raw.trim()) {
            Some(p) => platforms.push(p),
            None => unknown.push(raw.clone()),
        }
    }
    platforms.sort();
    platforms.dedup();
    if !unknown.is_empty() {
        fail(
            "platforms",
            "unknown_platform",
            format!(
                "Unknown platform {}; choose from {}.",
                unknown
                    .iter()
                    .map(|u| format!("\"{u}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
                Platform::ALL.map(Platform::as_str).join(", ")
            ),
        );
    } else if platforms.is_empty() {
        fail(
            "platforms",
            "required",
            "Pick at least one platform.".into(),
        );
    }

    let goal = Goal::parse(input.goal.trim());
    if goal.is_none() {
        let message = if input.goal.trim().is_empty() {
            "Pick a goal: reach, engagement or CTR.".to_string()
        } else {
            format!(
                "Unknown goal \"{}\"; choose reach, engagement or ctr.",
                input.goal
            )
        };
        fail(
            "goal",
            if input.goal.trim().is_empty() {
                "required"
            } else {
                "unknown_goal"
            },
            message,
        );
    }

    match goal {
        Some(goal) if errors.is_empty() => Ok(ValidCampaign {
            name: name.to_string(),
            prompt: prompt.to_string(),
            platforms,
            goal,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, prompt: &str, platforms: &[&str], goal: &str) -> NewCampaign {
        NewCampaign {
            name: name.into(),
            prompt: prompt.into(),
            platforms: platforms.iter().map(|p| p.to_string()).collect(),
            goal: goal.into(),
        }
    }

    fn codes(r: Result<ValidCampaign, Vec<FieldError>>) -> Vec<(String, String)> {
        r.expect_err("should be invalid")
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn accepts_and_normalises_a_good_campaign() {
        let v = validate(&input(
            "  Spring launch ",
            " Tell them ",
            &["youtube", "x", "x"],
            "ctr",
        ))
        .expect("valid");
        assert_eq!(v.name(), "Spring launch");
        assert_eq!(v.prompt(), "Tell them");
        assert_eq!(v.platforms(), &[Platform::X, Platform::Youtube]);
        assert_eq!(v.goal(), Goal::Ctr);
    }

    #[test]
    fn reports_each_bad_field() {
        let table: &[(NewCampaign, &[(&str, &str)])] = &[
            (input("", "", &["x"], "reach"), &[("name", "required")]),
            (input("   ", "", &["x"], "reach"), &[("name", "required")]),
            (
                input(&"n".repeat(NAME_MAX_CHARS + 1), "", &["x"], "reach"),
                &[("name", "too_long")],
            ),
            (
                input("a\u{7}b", "", &["x"], "reach"),
                &[("name", "invalid_character")],
            ),
            (
                input("ok", &"p".repeat(PROMPT_MAX_CHARS + 1), &["x"], "reach"),
                &[("prompt", "too_long")],
            ),
            (input("ok", "", &[], "reach"), &[("platforms", "required")]),
            (
                input("ok", "", &["x", "myspace"], "reach"),
                &[("platforms", "unknown_platform")],
            ),
            (input("ok", "", &["x"], ""), &[("goal", "required")]),
            (input("ok", "", &["x"], "fame"), &[("goal", "unknown_goal")]),
            (
                input("", "", &[], "fame"),
                &[
                    ("name", "required"),
                    ("platforms", "required"),
                    ("goal", "unknown_goal"),
                ],
            ),
        ];
        for (given, want) in table {
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(f, c)| (f.to_string(), c.to_string()))
                .collect();
            assert_eq!(codes(validate(given)), want, "for {given:?}");
        }
    }

    #[test]
    fn names_at_the_limit_pass_counting_characters_not_bytes() {
        let name = "é".repeat(NAME_MAX_CHARS);
        assert!(validate(&input(&name, "", &["x"], "reach")).is_ok());
    }
}
