//! One platform of the Optimizer page: each variant's estimate with its
//! band, its chance of being best and of being chosen next, the share of
//! recent decisions that explored, the verdict (retire the variants a
//! winner beat, the user's decision), and the decisions in words.

use reachloop_ipc::{OptimizerDecision, OptimizerPlatform, OptimizerVariant};
use yew::prelude::*;

use crate::local_time::short;
use crate::services;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub campaign_id: String,
    /// reach, engagement or ctr.
    pub goal: String,
    pub platform: OptimizerPlatform,
}

/// Decisions listed before "Show all".
const FIRST_DECISIONS: usize = 8;

/// A figure in the goal's unit: a rate as a percentage, reach as a count.
pub fn figure(goal: &str, v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(v) if goal == "reach" => {
            if v >= 10_000.0 {
                format!("{:.0}k", v / 1000.0)
            } else {
                format!("{v:.0}")
            }
        }
        Some(v) => {
            let pct = v * 100.0;
            if pct < 1.0 {
                format!("{pct:.2} %")
            } else {
                format!("{pct:.1} %")
            }
        }
    }
}

/// A probability as people read it ("< 1 %" rather than "0 %" when it is not nil).
pub fn chance(p: f64) -> String {
    if p > 0.0 && p < 0.005 {
        "< 1 %".into()
    } else {
        format!("{:.0} %", p * 100.0)
    }
}

#[function_component(OptimizerPanel)]
pub fn optimizer_panel(props: &Props) -> Html {
    let p = &props.platform;
    let key = p.platform.as_str();
    let note = use_state(|| None::<String>);
    let all = use_state(|| false);
    let retire = {
        let (note, campaign, platform) = (note.clone(), props.campaign_id.clone(), key.to_string());
        Callback::from(move |_| {
            let (note, campaign, platform) = (note.clone(), campaign.clone(), platform.clone());
            wasm_bindgen_futures::spawn_local(async move {
                note.set(Some(
                    match services::retire_losers(&campaign, &platform).await {
                        Ok(labels) => format!(
                            "Retired {}: the optimizer no longer chooses them.",
                            labels.join(", ")
                        ),
                        Err(e) => e.message,
                    },
                ));
            });
        })
    };
    let export = |format: &'static str| {
        let (note, campaign, platform) = (note.clone(), props.campaign_id.clone(), key.to_string());
        Callback::from(move |_| {
            let (note, campaign, platform) = (note.clone(), campaign.clone(), platform.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::export_optimizer_chart(&campaign, &platform, format).await {
                    Ok(Some(path)) => note.set(Some(format!("Saved the chart to {path}"))),
                    Ok(None) => {}
                    Err(e) => note.set(Some(e.message)),
                }
            });
        })
    };
    let src = format!(
        "data:image/svg+xml;charset=utf-8,{}",
        String::from(js_sys::encode_uri_component(&p.chart_svg))
    );
    let exploring = match p.exploration_share {
        Some(e) => format!(
            "Exploring: {} of the last {} decision{} (the rest went to the variant with the best estimate).",
            chance(e),
            p.recent_decisions,
            if p.recent_decisions == 1 { "" } else { "s" }
        ),
        None => "No decision yet: the first comes when a post of an optimized schedule goes out.".into(),
    };
    let shown: Vec<&OptimizerDecision> = if *all {
        p.decisions.iter().collect()
    } else {
        p.decisions.iter().take(FIRST_DECISIONS).collect()
    };
    let loser_names: Vec<String> = p
        .variants
        .iter()
        .filter(|v| p.verdict.losers.contains(&v.variant_id))
        .map(|v| v.label.clone())
        .collect();
    html! {
        <section class="optimizer-platform" id={format!("optimizer-{key}")}>
            <h2>{ p.platform.label() }</h2>
            if !p.optimized {
                <p class="hint warning" id={format!("optimizer-off-{key}")}>{ "No schedule of this campaign on this platform lets the optimizer choose: tick “Let the optimizer choose” when you add a schedule on the campaign's page." }</p>
            }
            <p class={classes!("verdict", p.verdict.winner.is_some().then_some("winner"))} id={format!("verdict-{key}")} role="status">
                { &p.verdict.words }
            </p>
            if p.verdict.winner.is_some() && !loser_names.is_empty() {
                <div class="actions">
                    <button type="button" class="secondary" id={format!("retire-losers-{key}")} onclick={retire}>
                        { format!("Retire {}", loser_names.join(" and ")) }
                    </button>
                </div>
            }
            <p id={format!("exploration-{key}")}>{ exploring }</p>
            if !p.next.is_empty() {
                <p class="hint" id={format!("next-{key}")}>{ &p.next }</p>
            }
            <table class="optimizer-variants" id={format!("optimizer-variants-{key}")}>
                <caption>{ "Variants" }</caption>
                <thead><tr>
                    <th scope="col">{ "Variant" }</th>
                    <th scope="col">{ "Posts" }</th>
                    <th scope="col">{ "Not mature yet" }</th>
                    <th scope="col">{ "Estimate per post (95 % band)" }</th>
                    <th scope="col">{ "Chance best" }</th>
                    <th scope="col">{ "Chance next" }</th>
                </tr></thead>
                <tbody>{ for p.variants.iter().map(|v| variant_row(&props.goal, v)) }</tbody>
            </table>
            <img class="chart" id={format!("optimizer-chart-{key}")} src={src} alt="Each variant's estimate (dot) with its 95 % band (bar)" />
            <div class="actions">
                <button type="button" class="secondary" onclick={export("svg")}>{ "Export chart (SVG)…" }</button>
                <button type="button" class="secondary" onclick={export("png")}>{ "Export chart (PNG)…" }</button>
            </div>
            <h3>{ "Decisions" }</h3>
            if p.decisions.is_empty() {
                <p class="muted">{ "None yet." }</p>
            } else {
                <ol class="decisions" id={format!("decisions-{key}")}>
                    { for shown.into_iter().map(decision_item) }
                </ol>
                if !*all && p.decisions.len() > FIRST_DECISIONS {
                    <button type="button" class="link" onclick={{
                        let all = all.clone();
                        Callback::from(move |_| all.set(true))
                    }}>{ format!("Show all {}", p.decisions.len()) }</button>
                }
            }
            if let Some(n) = &*note {
                <p class="toast" role="status" id="optimizer-result">
                    { n }
                    <button type="button" class="link" aria-label="Dismiss" onclick={{
                        let note = note.clone();
                        Callback::from(move |_| note.set(None))
                    }}>{ "×" }</button>
                </p>
            }
        </section>
    }
}

fn variant_row(goal: &str, v: &OptimizerVariant) -> Html {
    let band = match (v.low, v.high) {
        (Some(l), Some(h)) => format!(
            "{} ({} – {})",
            figure(goal, v.estimate),
            figure(goal, Some(l)),
            figure(goal, Some(h))
        ),
        _ => "— (no mature post yet)".into(),
    };
    let posts = if v.set_aside > 0 {
        format!("{} (+{} set aside)", v.posts, v.set_aside)
    } else {
        v.posts.to_string()
    };
    html! {
        <tr class={classes!(v.retired.then_some("retired"))} data-variant={v.variant_id.clone()}>
            <th scope="row" title={v.excerpt.clone()}>{ format!("{} “{}”", v.label, v.excerpt) }
                if v.retired { <span class="badge">{ "retired" }</span> }
            </th>
            <td>{ posts }</td>
            <td>{ v.pending }</td>
            <td>{ band }</td>
            <td class="p-best">{ if v.retired { "—".into() } else { chance(v.p_best) } }</td>
            <td class="p-next">{ if v.retired { "—".into() } else { chance(v.p_next) } }</td>
        </tr>
    }
}

fn decision_item(d: &OptimizerDecision) -> Html {
    let who = match (d.actor.as_str(), d.explored) {
        ("optimizer", true) => "Optimizer, exploring",
        ("optimizer", false) => "Optimizer",
        ("cli", _) => "You (command line)",
        _ => "You",
    };
    let post = d
        .post_at
        .as_deref()
        .map(|at| format!(" · post of {}", short(at)))
        .unwrap_or_default();
    html! {
        <li class={classes!("decision", (d.actor != "optimizer").then_some("override"))}>
            <span class="muted">{ format!("{}{} · {}", short(&d.decided_at), post, who) }</span>
            <span class="rationale">{ &d.rationale }</span>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_the_goal_counts_them() {
        assert_eq!(figure("engagement", Some(0.0412)), "4.1 %");
        assert_eq!(figure("ctr", Some(0.0042)), "0.42 %");
        assert_eq!(figure("reach", Some(1234.4)), "1234");
        assert_eq!(figure("reach", Some(25_400.0)), "25k");
        assert_eq!(figure("reach", None), "—");
        assert_eq!(chance(0.004), "< 1 %");
        assert_eq!(chance(0.0), "0 %");
        assert_eq!(chance(0.955), "96 %");
    }
}
