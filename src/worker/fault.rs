//! Fault injection for the end-to-end tests (`--features fault-injection`,
//! never in a deployed build): the `X-Tailor-Fault` request header makes the
//! page worker fail in the worst way it can, a wasm trap, so the tests can
//! show that the page is still served and the next requests succeed.
//!
//! - `trap`: the handler traps before it answers.
//! - `trap-in-stream`: a Rust element handler traps at the page's first
//!   marker, while the page streams.
#![allow(clippy::panic)]

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{Request, Response};

use crate::rewrite::MARKER_SELECTOR;

/// The request header naming the fault.
const HEADER: &str = "x-tailor-fault";

#[wasm_bindgen]
extern "C" {
    type HtmlRewriter;
    #[wasm_bindgen(constructor, js_class = "HTMLRewriter", catch)]
    fn new() -> Result<HtmlRewriter, JsValue>;
    #[wasm_bindgen(method, js_class = "HTMLRewriter", catch)]
    fn on(this: &HtmlRewriter, selector: &str, handlers: &Object) -> Result<HtmlRewriter, JsValue>;
    #[wasm_bindgen(method, js_class = "HTMLRewriter", catch)]
    fn transform(this: &HtmlRewriter, response: &Response) -> Result<Response, JsValue>;
}

fn requested(req: &Request) -> Option<String> {
    req.headers().get(HEADER).ok().flatten()
}

/// Traps now when the request asks for `trap`.
pub fn before_serve(req: &Request) {
    if requested(req).as_deref() == Some("trap") {
        panic!("fault injection: trap before the response");
    }
}

/// `response`, or when the request asks for `trap-in-stream`, `response`
/// through a rewriter whose Rust element handler traps.
pub fn trap_in_stream(req: &Request, response: Response) -> Result<Response, JsValue> {
    if requested(req).as_deref() != Some("trap-in-stream") {
        return Ok(response);
    }
    let trap = Closure::<dyn Fn(JsValue)>::new(|_element: JsValue| {
        panic!("fault injection: trap inside an element handler");
    });
    let handlers = Object::new();
    Reflect::set(&handlers, &"element".into(), trap.as_ref())?;
    // Test builds only: the instance traps and is replaced anyway.
    trap.forget();
    HtmlRewriter::new()?
        .on(MARKER_SELECTOR, &handlers)?
        .transform(&response)
}
