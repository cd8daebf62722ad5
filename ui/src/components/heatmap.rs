//! The best-time heat map: weekdays down, hours across, each cell as dark
//! as its engagement rate against the best cell, with how many posts it
//! rests on.

use reachloop_ipc::HeatCell;
use yew::prelude::*;

use crate::components::kpi::percent;

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// How dark a cell is, 0 to 100: its rate against the best one.
pub fn shade(rate: Option<f64>, best: f64) -> u32 {
    match rate {
        Some(r) if best > 0.0 => ((r / best).clamp(0.0, 1.0) * 100.0).round() as u32,
        _ => 0,
    }
}

#[derive(Properties, PartialEq)]
pub struct HeatmapProps {
    pub cells: Vec<HeatCell>,
}

#[function_component(Heatmap)]
pub fn heatmap(p: &HeatmapProps) -> Html {
    let best = p
        .cells
        .iter()
        .filter_map(|c| c.engagement_rate)
        .fold(0.0f64, f64::max);
    html! {
        <table class="heatmap" id="heatmap">
            <caption>{ "Best time to post: engagement rate by weekday and hour of publishing (your time)" }</caption>
            <thead><tr><th></th>{ for (0..24).map(|h| html! { <th scope="col">{ format!("{h:02}") }</th> }) }</tr></thead>
            <tbody>
                { for DAYS.iter().enumerate().map(|(d, day)| html! {
                    <tr>
                        <th scope="row">{ *day }</th>
                        { for p.cells.iter().filter(|c| usize::from(c.weekday) == d).map(|c| {
                            let title = format!("{day} {:02}:00 — {}, from {} posts", c.hour, percent(c.engagement_rate), c.posts);
                            html! {
                                <td class={classes!("heat", format!("heat-{}", shade(c.engagement_rate, best) / 10))}
                                    title={title} data-posts={c.posts.to_string()}>
                                    if c.posts > 0 { { c.posts } }
                                </td>
                            }
                        }) }
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_shade_against_the_best_and_empty_ones_stay_light() {
        assert_eq!(shade(Some(0.05), 0.1), 50);
        assert_eq!(shade(Some(0.1), 0.1), 100);
        assert_eq!(shade(None, 0.1), 0);
        assert_eq!(shade(Some(0.2), 0.0), 0);
    }
}
