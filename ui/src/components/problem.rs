//! An error message, with a way to the fix where the app knows one.

use reachloop_ipc::ErrorDto;
use yew::prelude::*;

use crate::state::Page;

/// Goes to another page; provided by the root component.
#[derive(Clone, PartialEq)]
pub struct Navigate(pub Callback<Page>);

#[derive(Properties, PartialEq)]
pub struct ProblemProps {
    pub error: ErrorDto,
    #[prop_or_default]
    pub id: Option<AttrValue>,
}

/// Shows `error`; when the AI endpoint is not set up, with a button that
/// opens Settings on the AI address.
#[function_component(Problem)]
pub fn problem(props: &ProblemProps) -> Html {
    let nav = use_context::<Navigate>();
    let setup = (props.error.code == "ai_not_configured").then(|| {
        let nav = nav.clone();
        Callback::from(move |_| {
            if let Some(Navigate(go)) = &nav {
                go.emit(Page::Settings);
                // The page draws first; then the address field takes focus.
                gloo_timers::callback::Timeout::new(50, || {
                    crate::pages::campaigns::focus("ai-base-url")
                })
                .forget();
            }
        })
    });
    html! {
        <p class="error" id={props.id.clone()} role="alert">
            { &props.error.message }
            if let Some(onclick) = setup {
                { " " }
                <button type="button" class="link ai-setup-link" {onclick}>{ "Open Settings → AI" }</button>
            }
        </p>
    }
}
