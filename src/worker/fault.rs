//! Fault injection for the end-to-end tests (`--features fault-injection`,
//! never in a deployed build): the `X-Tailor-Fault` request header makes the
//! page worker fail in the worst way it can, a wasm trap, so the tests can
//! show that the page is still served and the next requests succeed.
//!
//! - `trap`: the handler traps before it answers.
//! - `trap-in-stream`: the rewriter's element handler traps while the page streams.
#![allow(clippy::panic)]

use js_sys::Map;
use wasm_bindgen::JsValue;
use web_sys::Request;

use crate::rewrite::{Fill, RewritePlan};

/// The request header naming the fault.
const HEADER: &str = "x-tailor-fault";
/// A fills-map key no block can have (names are validated), read by the element handler.
const TRAP_KEY: &str = "\0trap";

fn requested(req: &Request) -> Option<String> {
    req.headers().get(HEADER).ok().flatten()
}

/// Traps now when the request asks for `trap`.
pub fn before_serve(req: &Request) {
    if requested(req).as_deref() == Some("trap") {
        panic!("fault injection: trap before the response");
    }
}

/// Adds a fill the element handler traps on, when the request asks for `trap-in-stream`.
pub fn mark_stream(req: &Request, plan: &mut RewritePlan) {
    if requested(req).as_deref() == Some("trap-in-stream") {
        let fill = Fill {
            variant: String::new(),
            html: "".into(),
        };
        plan.insert(TRAP_KEY, fill);
    }
}

/// Traps inside the element handler when the plan was marked.
pub fn in_stream(fills: &Map) {
    if fills.has(&JsValue::from_str(TRAP_KEY)) {
        panic!("fault injection: trap inside the element handler");
    }
}
