//! The honest empty state of a page whose feature has not shipped yet.

use yew::prelude::*;

use crate::state::Page;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub page: Page,
}

#[function_component(Upcoming)]
pub fn upcoming(props: &Props) -> Html {
    let what = match props.page {
        Page::Analytics => "Follow impressions, likes, comments, shares and clicks over time.",
        Page::Optimizer => "Let the optimizer pick the best variant, and see why.",
        _ => "",
    };
    html! {
        <section class="page" id={format!("page-{}", props.page.label().to_lowercase())}>
            <h1>{ props.page.label() }</h1>
            <p class="empty">{ what }</p>
            <p class="muted">{ "This part of Reachloop is not available in this version yet." }</p>
        </section>
    }
}
