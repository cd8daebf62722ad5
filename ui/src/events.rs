//! The core's live-update events (`reachloop_ipc::events`) as a hook: a
//! counter that goes up each time one of them arrives, for effects to
//! depend on. Listening is the only event permission the window has.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], catch)]
    async fn listen(event: &str, handler: &Closure<dyn FnMut(JsValue)>)
        -> Result<JsValue, JsValue>;
}

#[derive(Default, PartialEq)]
struct Ticks(u32);

impl Reducible for Ticks {
    type Action = ();

    fn reduce(self: Rc<Self>, _: ()) -> Rc<Self> {
        Rc::new(Ticks(self.0.wrapping_add(1)))
    }
}

/// How many of `names`' events arrived since the component mounted.
#[hook]
pub fn use_event_ticks(names: &'static [&'static str]) -> u32 {
    let ticks = use_reducer(Ticks::default);
    {
        let ticks = ticks.dispatcher();
        use_effect_with((), move |_| {
            let alive = Rc::new(Cell::new(true));
            let unlisten: Rc<RefCell<Vec<js_sys::Function>>> = Rc::default();
            let handler = Rc::new(Closure::<dyn FnMut(JsValue)>::new(move |_| {
                ticks.dispatch(())
            }));
            for name in names {
                let (alive, unlisten, handler) = (alive.clone(), unlisten.clone(), handler.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    match listen(name, &handler).await {
                        Ok(f) => {
                            let f: js_sys::Function = f.unchecked_into();
                            if alive.get() {
                                unlisten.borrow_mut().push(f);
                            } else {
                                let _ = f.call0(&JsValue::NULL);
                            }
                        }
                        Err(e) => web_sys::console::warn_2(&"cannot listen for".into(), &e),
                    }
                });
            }
            move || {
                alive.set(false);
                for f in unlisten.borrow_mut().drain(..) {
                    let _ = f.call0(&JsValue::NULL);
                }
                drop(handler);
            }
        });
    }
    ticks.0
}
