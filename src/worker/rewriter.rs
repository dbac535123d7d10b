//! workerd's native `HTMLRewriter`, driven from Rust.
//!
//! workers-rs has no binding for it (workers-rs issue #202). The element
//! handler is a few lines of JS (`rewrite-markers.mjs`), not a Rust closure: workerd calls it
//! for every marker on the page, and a call into wasm and back (the name out,
//! the fragment in, as copies) cost ~50 µs per marker on top of workerd's
//! own ~30 µs (`benches/workerd.mjs`, docs/benchmarks.md). Rust builds the
//! plan's `Map` once per page; the handler only looks names up in it.
//!
//! The JS module also keeps the page whole when workerd's rewriter fails
//! after the response has started (a marker start tag over its 3 MiB cap,
//! HTML its strict mode cannot parse): the rest of the page is then the
//! origin's own bytes, from the last point known to be rewritten whole
//! (`rewrite-markers.mjs` says how; docs/security.md).

use std::future::Future;

use js_sys::{Array, Map, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

use crate::rewrite::{RewritePlan, MARKER_NAME_ATTRIBUTE, MARKER_SELECTOR};

#[wasm_bindgen(module = "/src/worker/rewrite-markers.mjs")]
extern "C" {
    #[wasm_bindgen(catch, js_name = rewriteMarkers)]
    fn rewrite_markers(
        response: &Response,
        selector: &str,
        attribute: &str,
        fills: &Map,
        guarded: bool,
    ) -> Result<Array, JsValue>;
}

/// Streams `response` through workerd's `HTMLRewriter` applying `plan`;
/// `guarded` keeps the page whole if the rewriter fails mid-stream
/// (`TAILOR_REWRITE_GUARD`). Returns the response and the names of the
/// blocks whose fill reached the client, once the page has been streamed
/// (never, for a page an unguarded rewriter cut). On any error here, the
/// caller serves `response` as it is.
pub fn apply(
    plan: &RewritePlan,
    response: &Response,
    guarded: bool,
) -> Result<(Response, impl Future<Output = Vec<String>> + 'static), JsValue> {
    // A Map, not an object: a block named `__proto__` must not reach the prototype.
    let fills = Map::new();
    for (name, fill) in plan.iter() {
        fills.set(&JsValue::from_str(name), &JsValue::from_str(&fill.html));
    }
    let parts = rewrite_markers(response, MARKER_SELECTOR, MARKER_NAME_ATTRIBUTE, &fills, guarded)?;
    let rewritten: Response = parts.get(0).dyn_into()?;
    let filled = JsFuture::from(Promise::from(parts.get(1)));
    let names = async move {
        let names: Array = filled.await.map(Into::into).unwrap_or_default();
        names.iter().filter_map(|name| name.as_string()).collect()
    };
    Ok((rewritten, names))
}
