//! Campaign rules that need no storage: what a valid campaign is, and which
//! status changes are allowed.

use reachloop_ipc::{
    BrandConstraints, CampaignStatus, FieldError, Goal, Kpi, NewCampaign, Platform,
};

/// Longest campaign name, in characters.
pub const NAME_MAX_CHARS: usize = 120;
/// Longest prompt, in characters.
pub const PROMPT_MAX_CHARS: usize = 8000;
/// Longest tone description, in characters.
pub const TONE_MAX_CHARS: usize = 300;
/// Most banned words or phrases, and the longest one.
pub const BANNED_MAX: usize = 200;
pub const BANNED_MAX_CHARS: usize = 80;
/// Variants per platform: at least, at most, by default.
pub const VARIANTS_MIN: u8 = 1;
pub const VARIANTS_MAX: u8 = 5;
pub const VARIANTS_DEFAULT: u8 = 2;
/// The metrics a KPI may target (shared with the UI through `ipc`).
pub use reachloop_ipc::KPI_METRICS;

/// A new campaign that passed validation: the only way to build one is
/// [`validate`], so storage never sees unchecked input.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidCampaign {
    name: String,
    prompt: String,
    platforms: Vec<Platform>,
    goal: Goal,
    brand: BrandConstraints,
    kpis: Vec<Kpi>,
    variants_per_platform: u8,
}

impl ValidCampaign {
    pub fn brand(&self) -> &BrandConstraints {
        &self.brand
    }
    pub fn kpis(&self) -> &[Kpi] {
        &self.kpis
    }
    pub fn variants_per_platform(&self) -> u8 {
        self.variants_per_platform
    }
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

/// At most three of `items`, each quoted safely and cut short, then how
/// many more there were: a message never repeats a flood of input.
fn quoted_list(items: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for i in items {
        if !seen.contains(&i.as_str()) {
            seen.push(i);
        }
    }
    let shown: Vec<String> = seen
        .iter()
        .take(3)
        .map(|u| format!("\"{}\"", crate::text::echo(u, 30)))
        .collect();
    match seen.len() {
        n if n > 3 => format!("{} and {} more", shown.join(", "), n - 3),
        _ => shown.join(", "),
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

    let cleaned = crate::text::clean_name(&input.name);
    let name = cleaned.as_deref().unwrap_or_default();
    match &cleaned {
        Err(_) if input.name.trim().is_empty() => {
            fail("name", "required", "Give the campaign a name.".into())
        }
        Err(crate::text::NameProblem::Empty) => fail(
            "name",
            "required",
            "Give the campaign a name: this one has only invisible characters.".into(),
        ),
        Err(crate::text::NameProblem::BadCharacter) => fail(
            "name",
            "invalid_character",
            "The name cannot contain line breaks, control characters or text-direction \
             overrides."
                .into(),
        ),
        Ok(name) if name.chars().count() > NAME_MAX_CHARS => fail(
            "name",
            "too_long",
            format!("Keep the name to {NAME_MAX_CHARS} characters or fewer."),
        ),
        Ok(_) => {}
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
        match Platform::parse(&raw.trim().to_lowercase()) {
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
                quoted_list(&unknown),
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

    let goal = Goal::parse(&input.goal.trim().to_lowercase());
    if goal.is_none() {
        let message = if input.goal.trim().is_empty() {
            "Pick a goal: reach, engagement or CTR.".to_string()
        } else {
            format!(
                "Unknown goal \"{}\"; choose reach, engagement or CTR.",
                crate::text::echo(input.goal.trim(), 30)
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

    let tone = input.brand.tone.trim();
    if tone.chars().count() > TONE_MAX_CHARS {
        fail(
            "tone",
            "too_long",
            format!("Keep the tone to {TONE_MAX_CHARS} characters or fewer."),
        );
    }
    let mut banned: Vec<String> = Vec::new();
    for word in &input.brand.banned_words {
        let word = word.trim();
        if word.is_empty() {
            continue;
        }
        if word.chars().count() > BANNED_MAX_CHARS {
            fail(
                "banned_words",
                "too_long",
                format!(
                    "\u{201c}{}…\u{201d} is longer than {BANNED_MAX_CHARS} characters.",
                    crate::text::echo(&word.chars().take(20).collect::<String>(), 20)
                ),
            );
            continue;
        }
        if !banned
            .iter()
            .any(|b| b.to_lowercase() == word.to_lowercase())
        {
            banned.push(word.to_string());
        }
    }
    if banned.len() > BANNED_MAX {
        fail(
            "banned_words",
            "too_many",
            format!("Keep the banned list to {BANNED_MAX} entries."),
        );
    }

    let variants = input.variants_per_platform.unwrap_or(VARIANTS_DEFAULT);
    if !(VARIANTS_MIN..=VARIANTS_MAX).contains(&variants) {
        fail(
            "variants_per_platform",
            "out_of_range",
            format!("Ask for {VARIANTS_MIN} to {VARIANTS_MAX} variants per platform."),
        );
    }

    let mut kpis: Vec<Kpi> = Vec::new();
    for kpi in &input.kpis {
        let metric = kpi.metric.trim().to_ascii_lowercase();
        if !KPI_METRICS.contains(&metric.as_str()) {
            fail(
                "kpis",
                "unknown_metric",
                format!(
                    "Unknown KPI metric \"{}\"; choose from {}.",
                    crate::text::echo(kpi.metric.trim(), 30),
                    KPI_METRICS.join(", ")
                ),
            );
        } else if !(kpi.target.is_finite() && kpi.target > 0.0) {
            fail(
                "kpis",
                "invalid_target",
                format!("The {metric} target must be a number above 0."),
            );
        } else if kpis.iter().any(|k| k.metric == metric) {
            fail(
                "kpis",
                "duplicate",
                format!("There is already a {metric} target."),
            );
        } else if metric.ends_with("rate") || metric == "ctr" {
            if kpi.target > 100.0 {
                fail(
                    "kpis",
                    "invalid_target",
                    format!("The {metric} target is a percentage: at most 100."),
                );
            } else {
                kpis.push(Kpi {
                    metric,
                    target: kpi.target,
                });
            }
        } else {
            kpis.push(Kpi {
                metric,
                target: kpi.target,
            });
        }
    }

    match goal {
        Some(goal) if errors.is_empty() => Ok(ValidCampaign {
            name: name.to_string(),
            prompt: prompt.to_string(),
            platforms,
            goal,
            brand: BrandConstraints {
                tone: tone.to_string(),
                banned_words: banned,
                length: input.brand.length,
                media: input.brand.media,
            },
            kpis,
            variants_per_platform: variants,
        }),
        _ => Err(errors),
    }
}

/// The status changes a user may make: draft → active ⇄ paused → completed,
/// archiving from anywhere but active (pause first), and restoring an
/// archived campaign as a draft.
pub fn can_move(from: CampaignStatus, to: CampaignStatus) -> bool {
    use CampaignStatus::*;
    matches!(
        (from, to),
        (Draft, Active)
            | (Active, Paused)
            | (Paused, Active)
            | (Active | Paused, Completed)
            | (Draft | Paused | Completed, Archived)
            | (Archived, Draft)
    )
}

/// Checks a status change, explaining a refused one.
pub fn check_move(from: CampaignStatus, to: CampaignStatus) -> Result<(), FieldError> {
    if can_move(from, to) {
        return Ok(());
    }
    let allowed: Vec<&str> = CampaignStatus::ALL
        .into_iter()
        .filter(|t| can_move(from, *t))
        .map(CampaignStatus::as_str)
        .collect();
    Err(FieldError {
        field: "status".into(),
        code: "invalid_transition".into(),
        message: format!(
            "A {} campaign cannot become {}; it can become {}.",
            from.as_str(),
            to.as_str(),
            allowed.join(" or ")
        ),
    })
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
            ..Default::default()
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
    fn status_moves_only_along_valid_transitions() {
        use CampaignStatus::*;
        assert!(can_move(Draft, Active) && can_move(Active, Paused) && can_move(Paused, Active));
        assert!(
            can_move(Active, Completed)
                && can_move(Completed, Archived)
                && can_move(Archived, Draft)
        );
        for (from, to) in [
            (Draft, Paused),
            (Draft, Completed),
            (Completed, Active),
            (Active, Archived),
            (Archived, Active),
            (Active, Active),
        ] {
            assert!(!can_move(from, to), "{from:?} -> {to:?}");
        }
        let err = check_move(Completed, Active).expect_err("refused");
        assert_eq!(err.code, "invalid_transition");
        assert_eq!(
            err.message,
            "A completed campaign cannot become active; it can become archived."
        );
    }

    #[test]
    fn brand_constraints_kpis_and_variant_counts_are_checked() {
        let mut i = input("ok", "", &["x"], "reach");
        i.brand.banned_words = vec![
            " cheap ".into(),
            "CHEAP".into(),
            "".into(),
            "free money".into(),
        ];
        i.kpis = vec![Kpi {
            metric: "CTR".into(),
            target: 2.5,
        }];
        let v = validate(&i).expect("valid");
        assert_eq!(v.brand().banned_words, ["cheap", "free money"]);
        assert_eq!(v.variants_per_platform(), VARIANTS_DEFAULT);
        assert_eq!(v.kpis()[0].metric, "ctr");

        i.variants_per_platform = Some(6);
        i.kpis = vec![
            Kpi {
                metric: "fame".into(),
                target: 1.0,
            },
            Kpi {
                metric: "ctr".into(),
                target: 150.0,
            },
        ];
        i.brand.tone = "t".repeat(TONE_MAX_CHARS + 1);
        let codes: Vec<(String, String)> = validate(&i)
            .expect_err("invalid")
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect();
        assert_eq!(
            codes,
            [
                ("tone".to_string(), "too_long".to_string()),
                ("variants_per_platform".into(), "out_of_range".into()),
                ("kpis".into(), "unknown_metric".into()),
                ("kpis".into(), "invalid_target".into()),
            ]
        );
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
