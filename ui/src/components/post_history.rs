//! A published post by age (1 h … 30 days): its reach, engagements and
//! clicks at each age beside the median of its campaign's other posts on
//! the same platform, as a table and as the core's chart, with export.
//! It follows the core's metrics events.

use reachloop_ipc::{events, AgePoint, PostHistory};
use yew::prelude::*;

use crate::components::metrics::count;
use crate::services;

/// A reading at an age as the table shows it: "not yet" before the post
/// is that old, "—" when nothing stands for that age.
pub fn cell(p: &AgePoint, v: Option<u64>) -> String {
    if !p.reached {
        "not yet".into()
    } else {
        count(v)
    }
}

/// How the post compares with the others' median: "+35 %", "−20 %",
/// "same"; `None` when either side is missing or the median is 0.
pub fn versus(own: Option<u64>, median: Option<u64>) -> Option<String> {
    let (own, median) = (own?, median?);
    if median == 0 {
        return None;
    }
    let change = (own as f64 - median as f64) / median as f64 * 100.0;
    Some(match change.round() as i64 {
        0 => "same".into(),
        c if c > 0 => format!("+{c} %"),
        c => format!("−{} %", -c),
    })
}

fn others(p: &AgePoint) -> String {
    if !p.reached || p.peers == 0 {
        return "—".into();
    }
    let vs = versus(p.own.reach, p.peer_median.reach)
        .map(|v| format!(" ({v})"))
        .unwrap_or_default();
    format!("{}{vs}, n = {}", count(p.peer_median.reach), p.peers)
}

#[derive(Properties, PartialEq)]
pub struct PostHistoryProps {
    pub post_id: AttrValue,
}

#[function_component(PostHistoryView)]
pub fn post_history_view(p: &PostHistoryProps) -> Html {
    let history = use_state(|| None::<Result<PostHistory, String>>);
    let saved = use_state(|| None::<String>);
    let ticks = crate::events::use_event_ticks(&[events::METRICS_UPDATED]);
    {
        let history = history.clone();
        let id = p.post_id.to_string();
        use_effect_with((id.clone(), ticks), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let got = services::post_history(&id).await.map_err(|e| e.message);
                if history.as_ref() != Some(&got) {
                    history.set(Some(got));
                }
            });
        });
    }
    let export = |format: &'static str| {
        let (saved, id) = (saved.clone(), p.post_id.to_string());
        Callback::from(move |_| {
            let (saved, id) = (saved.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::export_post_chart(&id, format).await {
                    Ok(Some(path)) => saved.set(Some(format!("Saved the chart to {path}"))),
                    Ok(None) => {}
                    Err(e) => saved.set(Some(e.message)),
                }
            });
        })
    };
    let h = match &*history {
        None => return html! { <p class="hint">{ "Loading its figures by age…" }</p> },
        Some(Err(e)) => return html! { <p class="error" id="post-history-problem">{ e }</p> },
        Some(Ok(h)) => h,
    };
    let src = format!(
        "data:image/svg+xml;charset=utf-8,{}",
        String::from(js_sys::encode_uri_component(&h.chart_svg))
    );
    html! {
        <section class="post-history" id="post-history" aria-label="By age">
            <h3>{ "By age" }</h3>
            <div class="table-scroll">
            <table class="figures-table" id="post-ages">
                <thead><tr>
                    <th scope="col">{ "Age" }</th><th scope="col">{ "Reach" }</th>
                    <th scope="col" title="Likes, comments and shares">{ "Engaged" }</th><th scope="col">{ "Clicks" }</th>
                    <th scope="col" title="The median reach of the campaign's other posts on this platform at the same age, and how many they are">{ "Others' reach" }</th>
                </tr></thead>
                <tbody>
                    { for h.ages.iter().map(|a| html! {
                        <tr data-age={a.age_minutes.to_string()} data-reached={a.reached.to_string()}>
                            <th scope="row">{ &a.label }</th>
                            <td class="reach">{ cell(a, a.own.reach) }</td>
                            <td>{ cell(a, a.own.engagements) }</td>
                            <td>{ cell(a, a.own.clicks) }</td>
                            <td class="peers">{ others(a) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            </div>
            <p class="hint" id="post-history-compared">{ &h.compared_with }</p>
            <img class="chart" id="post-history-chart" src={src}
                alt="This post's reach and engagements by age (solid) and the others' median (dashed)" />
            <div class="row">
                <button type="button" id="post-chart-svg" onclick={export("svg")}>{ "Export chart (SVG)…" }</button>
                <button type="button" id="post-chart-png" onclick={export("png")}>{ "Export chart (PNG)…" }</button>
            </div>
            if let Some(s) = &*saved {
                <p class="toast" role="status" id="post-export-result">
                    { s }
                    <button type="button" class="link" aria-label="Dismiss" onclick={{
                        let saved = saved.clone();
                        Callback::from(move |_| saved.set(None))
                    }}>{ "×" }</button>
                </p>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reachloop_ipc::Reading;

    fn at(reached: bool, reach: Option<u64>, median: Option<u64>, peers: u32) -> AgePoint {
        AgePoint {
            label: "24 h".into(),
            reached,
            own: Reading {
                reach,
                ..Reading::default()
            },
            peers,
            peer_median: Reading {
                reach: median,
                ..Reading::default()
            },
            ..AgePoint::default()
        }
    }

    #[test]
    fn ages_read_not_yet_dash_or_the_count() {
        assert_eq!(cell(&at(false, None, None, 0), None), "not yet");
        assert_eq!(cell(&at(true, None, None, 0), None), "—");
        assert_eq!(cell(&at(true, Some(1500), None, 0), Some(1500)), "1,500");
    }

    #[test]
    fn the_comparison_is_a_rounded_change_against_the_median() {
        assert_eq!(versus(Some(135), Some(100)).as_deref(), Some("+35 %"));
        assert_eq!(versus(Some(80), Some(100)).as_deref(), Some("−20 %"));
        assert_eq!(versus(Some(100), Some(100)).as_deref(), Some("same"));
        assert_eq!(versus(Some(5), Some(0)), None);
        assert_eq!(versus(None, Some(3)), None);
        assert_eq!(
            others(&at(true, Some(150), Some(100), 4)),
            "100 (+50 %), n = 4"
        );
        assert_eq!(others(&at(true, Some(150), None, 0)), "—");
        assert_eq!(others(&at(false, None, Some(100), 4)), "—");
    }
}
