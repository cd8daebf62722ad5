//! An error message, with a way to the fix where the app knows one.

use reachloop_ipc::ErrorDto;
use yew::prelude::*;

use crate::state::Page;

/// Goes to another page and focuses the element with the given id there;
/// provided by the root component, which first asks before dropping
/// unsaved edits.
#[derive(Clone, PartialEq)]
pub struct Navigate(pub Callback<(Page, Option<&'static str>)>);

/// The unsaved edits on screen, by the key of what holds them, and the way
/// to ask before they are dropped; provided by the root component.
#[derive(Clone)]
pub struct Unsaved {
    pub set: std::rc::Rc<std::cell::RefCell<std::collections::BTreeSet<String>>>,
    /// Shows the "leave and lose them?" question; runs the action on yes.
    pub ask: Callback<Callback<()>>,
}

impl PartialEq for Unsaved {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.set, &other.set) && self.ask == other.ask
    }
}

impl Unsaved {
    /// Marks `key` as holding unsaved edits, or not.
    pub fn set(&self, key: &str, dirty: bool) {
        let mut set = self.set.borrow_mut();
        if dirty {
            set.insert(key.to_string());
        } else {
            set.remove(key);
        }
    }

    /// Runs `action` (which leaves the page) at once when nothing is
    /// unsaved; else asks first.
    pub fn leave(&self, action: Callback<()>) {
        if self.set.borrow().is_empty() {
            action.emit(());
        } else {
            self.ask.emit(action);
        }
    }
}

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
                go.emit((Page::Settings, Some("ai-base-url")));
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
