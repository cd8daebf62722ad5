//! A table of dashboard rows: per platform or per variant, with a column
//! for each platform-specific count some row has ("—" where a row's
//! platform does not give it).

use reachloop_ipc::{DashboardRow, EXTRAS};
use yew::prelude::*;

use crate::components::kpi::percent;
use crate::components::metrics::{count, label};

#[derive(Properties, PartialEq)]
pub struct TableProps {
    pub id: AttrValue,
    pub caption: AttrValue,
    /// The first column's heading.
    pub what: AttrValue,
    pub rows: Vec<DashboardRow>,
}

/// The extras some row has, in the order of `EXTRAS` (unknown ones after,
/// by name).
pub fn extra_columns(rows: &[DashboardRow]) -> Vec<String> {
    let mut names: Vec<String> = rows
        .iter()
        .flat_map(|r| r.figures.extras.keys().cloned())
        .collect();
    names.sort_by_key(|n| {
        (
            EXTRAS
                .iter()
                .position(|(e, _)| e == n)
                .unwrap_or(EXTRAS.len()),
            n.clone(),
        )
    });
    names.dedup();
    names
}

#[function_component(FiguresTable)]
pub fn figures_table(p: &TableProps) -> Html {
    let extras = extra_columns(&p.rows);
    let span = (9 + extras.len()).to_string();
    html! {
        <table class="figures-table" id={p.id.clone()}>
            <caption>{ &p.caption }</caption>
            <thead><tr>
                <th scope="col">{ &p.what }</th><th scope="col">{ "Posts" }</th>
                <th scope="col">{ "Reach" }</th><th scope="col">{ "Likes" }</th>
                <th scope="col">{ "Comments" }</th><th scope="col">{ "Shares" }</th>
                <th scope="col">{ "Clicks" }</th><th scope="col">{ "Engagement" }</th>
                <th scope="col">{ "CTR" }</th>
                { for extras.iter().map(|e| html! { <th scope="col" class="extra">{ label(e) }</th> }) }
            </tr></thead>
            <tbody>
                if p.rows.is_empty() {
                    <tr><td colspan={span} class="muted">{ "No published posts in this selection." }</td></tr>
                }
                { for p.rows.iter().map(|r| {
                    let f = &r.figures;
                    html! {
                        <tr data-key={r.key.clone()} data-platform={r.platform.clone()}>
                            <th scope="row">{ &r.label }</th>
                            <td>{ f.posts }</td><td>{ count(f.reach) }</td><td>{ count(f.likes) }</td>
                            <td>{ count(f.comments) }</td><td>{ count(f.shares) }</td><td>{ count(f.clicks) }</td>
                            <td>{ percent(f.engagement_rate) }</td><td>{ percent(f.ctr) }</td>
                            { for extras.iter().map(|e| html! {
                                <td class="extra" data-extra={e.clone()}>{ count(f.extras.get(e).copied()) }</td>
                            }) }
                        </tr>
                    }
                }) }
            </tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reachloop_ipc::Figures;

    fn row(extras: &[(&str, u64)]) -> DashboardRow {
        DashboardRow {
            figures: Figures {
                extras: extras.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
                ..Figures::default()
            },
            ..DashboardRow::default()
        }
    }

    #[test]
    fn extra_columns_are_those_some_row_has_in_the_documented_order() {
        let rows = [
            row(&[("profile_clicks", 3), ("zeta", 1)]),
            row(&[("quotes", 2), ("profile_clicks", 1)]),
            row(&[]),
        ];
        assert_eq!(
            extra_columns(&rows),
            ["quotes", "profile_clicks", "zeta"].map(String::from)
        );
        assert!(extra_columns(&[row(&[])]).is_empty());
    }
}
