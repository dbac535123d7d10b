//! workerd's native `HTMLRewriter`, driven from Rust.
//!
//! workers-rs has no binding for it (workers-rs issue #202), so this module
//! declares the few members it needs. Two rules keep it safe on every page:
//!
//! - No per-request closure: the element handler is created once per isolate
//!   and each request's plan is bound to it with `Function.prototype.bind`,
//!   so nothing is leaked or left for the finalizer per request.
//! - The handler never throws: workerd cuts the page at an element whose
//!   handler throws (and still answers 200). Every fallible call is caught and
//!   the element keeps the origin's content.

use js_sys::{Function, Map, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::Response;

use crate::rewrite::{RewritePlan, MARKER_NAME_ATTRIBUTE, MARKER_SELECTOR};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = HTMLRewriter)]
    type HtmlRewriter;
    #[wasm_bindgen(constructor, js_class = "HTMLRewriter", catch)]
    fn new() -> Result<HtmlRewriter, JsValue>;
    #[wasm_bindgen(method, js_class = "HTMLRewriter", catch)]
    fn on(this: &HtmlRewriter, selector: &str, handlers: &Object) -> Result<HtmlRewriter, JsValue>;
    #[wasm_bindgen(method, js_class = "HTMLRewriter", catch)]
    fn transform(this: &HtmlRewriter, response: &Response) -> Result<Response, JsValue>;

    /// The element a handler receives.
    type MarkedElement;
    #[wasm_bindgen(method, catch, js_name = getAttribute)]
    fn get_attribute(this: &MarkedElement, name: &str) -> Result<Option<String>, JsValue>;
    #[wasm_bindgen(method, catch, js_name = setInnerContent)]
    fn set_inner_content(this: &MarkedElement, content: &str, options: &JsValue) -> Result<JsValue, JsValue>;
}

struct Handler {
    /// `(fills: Map<name, html>, element) => void`, created once.
    function: Function,
    /// Keeps the Rust side of `function` alive for the isolate's lifetime.
    _closure: Closure<dyn Fn(JsValue, MarkedElement)>,
}

thread_local! {
    static HANDLER: Option<Handler> = make_handler();
}

fn make_handler() -> Option<Handler> {
    let html_option = Object::new();
    Reflect::set(&html_option, &"html".into(), &JsValue::TRUE).ok()?;
    let options: JsValue = html_option.into();
    let closure =
        Closure::<dyn Fn(JsValue, MarkedElement)>::new(move |fills: JsValue, element: MarkedElement| {
            fill_element(&fills, &element, &options);
        });
    let function: Function = closure.as_ref().unchecked_ref::<Function>().clone();
    Some(Handler {
        function,
        _closure: closure,
    })
}

/// The whole per-element logic, as in the native engine: look up the marker's
/// name in the plan and, when present, replace the inner content. Errors are
/// swallowed: the element then keeps the origin's content.
fn fill_element(fills: &JsValue, element: &MarkedElement, html_option: &JsValue) {
    let Ok(Some(name)) = element.get_attribute(MARKER_NAME_ATTRIBUTE) else {
        return;
    };
    let Some(fills) = fills.dyn_ref::<Map>() else {
        return;
    };
    #[cfg(feature = "fault-injection")]
    super::fault::in_stream(fills);
    if let Some(html) = fills.get(&JsValue::from_str(&name)).as_string() {
        let _ = element.set_inner_content(&html, html_option);
    }
}

/// Streams `response` through workerd's `HTMLRewriter` applying `plan`.
/// On any error, the caller serves `response` as it is.
pub fn apply(plan: &RewritePlan, response: &Response) -> Result<Response, JsValue> {
    HANDLER.with(|handler| {
        let handler = handler.as_ref().ok_or_else(|| JsValue::from_str("no handler"))?;
        // A Map, not an object: a block named `__proto__` must not reach the prototype.
        let fills = Map::new();
        for (name, fill) in plan.iter() {
            fills.set(&JsValue::from_str(name), &JsValue::from_str(&fill.html));
        }
        let bound = handler.function.bind1(&JsValue::UNDEFINED, &fills);
        let handlers = Object::new();
        Reflect::set(&handlers, &"element".into(), &bound)?;
        HtmlRewriter::new()?
            .on(MARKER_SELECTOR, &handlers)?
            .transform(response)
    })
}
