//! A table of dashboard rows: per platform or per variant.

use reachloop_ipc::DashboardRow;
use yew::prelude::*;

use crate::components::kpi::percent;
use crate::components::metrics::count;

#[derive(Properties, PartialEq)]
pub struct TableProps {
    pub id: AttrValue,
    pub caption: AttrValue,
    /// The first column's heading.
    pub what: AttrValue,
    pub rows: Vec<DashboardRow>,
}

#[function_component(FiguresTable)]
pub fn figures_table(p: &TableProps) -> Html {
    html! {
        <table class="figures-table" id={p.id.clone()}>
            <caption>{ &p.caption }</caption>
            <thead><tr>
                <th scope="col">{ &p.what }</th><th scope="col">{ "Posts" }</th>
                <th scope="col">{ "Reach" }</th><th scope="col">{ "Likes" }</th>
                <th scope="col">{ "Comments" }</th><th scope="col">{ "Shares" }</th>
                <th scope="col">{ "Clicks" }</th><th scope="col">{ "Engagement" }</th>
                <th scope="col">{ "CTR" }</th>
            </tr></thead>
            <tbody>
                if p.rows.is_empty() {
                    <tr><td colspan="9" class="muted">{ "No published posts in this selection." }</td></tr>
                }
                { for p.rows.iter().map(|r| {
                    let f = &r.figures;
                    html! {
                        <tr data-key={r.key.clone()} data-platform={r.platform.clone()}>
                            <th scope="row">{ &r.label }</th>
                            <td>{ f.posts }</td><td>{ count(f.reach) }</td><td>{ count(f.likes) }</td>
                            <td>{ count(f.comments) }</td><td>{ count(f.shares) }</td><td>{ count(f.clicks) }</td>
                            <td>{ percent(f.engagement_rate) }</td><td>{ percent(f.ctr) }</td>
                        </tr>
                    }
                }) }
            </tbody>
        </table>
    }
}
