//! The platform calls the adapter makes, bound from `io.mjs`: each starts
//! its I/O at once and resolves to plain values.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/src/worker/fast-path.mjs")]
extern "C" {
    /// Sends the request to the origin: `ORIGIN_URL`, `ASSETS` or the route's.
    #[wasm_bindgen(js_name = toOrigin, catch)]
    pub fn to_origin(request: &web_sys::Request, env: &JsValue) -> Result<Promise, JsValue>;
}

#[wasm_bindgen(module = "/src/worker/io.mjs")]
extern "C" {
    #[wasm_bindgen(catch)]
    pub fn forward(via: &JsValue, request: &web_sys::Request) -> Result<Promise, JsValue>;
    pub fn binding(env: &JsValue, name: &str) -> Option<js_sys::Object>;
    #[wasm_bindgen(js_name = kvGet)]
    pub fn kv_get(kv: &JsValue, key: &str) -> Promise;
    #[wasm_bindgen(js_name = kvPut)]
    pub fn kv_put(kv: &JsValue, key: &str, value: &str, ttl_s: Option<u32>) -> Promise;
    #[wasm_bindgen(js_name = kvList)]
    pub fn kv_list(kv: &JsValue, prefix: &str, max: u32) -> Promise;
    #[wasm_bindgen(js_name = kvDelete)]
    pub fn kv_delete(kv: &JsValue, key: &str) -> Promise;
    #[wasm_bindgen(js_name = cacheGet)]
    pub fn cache_get(key: &str) -> Promise;
    #[wasm_bindgen(js_name = cachePut)]
    pub fn cache_put(key: &str, value: &str, ttl_s: u32) -> Promise;
    #[wasm_bindgen(js_name = getText)]
    pub fn get_text(via: &JsValue, url: &str, timeout_ms: u32) -> Promise;
    #[wasm_bindgen(js_name = queueSend)]
    pub fn queue_send(queue: &JsValue, body: &str) -> Promise;
    #[wasm_bindgen(js_name = d1Batch)]
    pub fn d1_batch(db: &JsValue, statements: Array) -> Promise;
    #[wasm_bindgen(js_name = rateLimit)]
    pub fn rate_limit(limiter: &JsValue, key: &str) -> Promise;
    pub fn post(
        via: Option<js_sys::Object>,
        url: &str,
        content_type: &str,
        accept: &str,
        body: &str,
        timeout_ms: Option<u32>,
        max_bytes: Option<u32>,
    ) -> Promise;
    #[wasm_bindgen(js_name = withHeaders, catch)]
    pub fn with_headers(response: &web_sys::Response, edits: Array) -> Result<web_sys::Response, JsValue>;
    #[wasm_bindgen(catch)]
    pub fn respond(status: u16, headers: Array, body: &str) -> Result<web_sys::Response, JsValue>;
    #[wasm_bindgen(js_name = readBody)]
    pub fn read_body(request: &web_sys::Request, max: u32) -> Promise;
    #[wasm_bindgen(js_name = readBytes)]
    pub fn read_bytes(request: &web_sys::Request) -> Promise;
    #[wasm_bindgen(js_name = readHeaders)]
    pub fn read_headers(request: &web_sys::Request, names: Array) -> Array;
    #[wasm_bindgen(js_name = edgeContext)]
    pub fn edge_context(request: &web_sys::Request) -> Array;
    pub fn describe(error: &JsValue) -> String;
    #[wasm_bindgen(js_name = randomBytes)]
    pub fn random_bytes() -> Vec<u8>;
    #[wasm_bindgen(js_name = utcOffsetMinutes)]
    pub fn utc_offset_minutes(time_zone: &str, at_ms: f64) -> Option<i32>;
    #[wasm_bindgen(js_name = regExp)]
    pub fn reg_exp(pattern: &str, flags: &str) -> Option<js_sys::Object>;
    #[wasm_bindgen(js_name = regExpTest)]
    pub fn reg_exp_test(re: &js_sys::Object, text: &str) -> bool;
}

/// The value a promise of ours resolves to.
pub async fn settle(promise: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

/// Strings as a JS array.
pub fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Array {
    items.into_iter().map(JsValue::from_str).collect()
}

/// A response of ours as a platform response.
pub fn to_response(ours: &crate::http::Response) -> Result<web_sys::Response, JsValue> {
    let headers: Array = ours
        .headers
        .iter()
        .map(|(name, value)| JsValue::from(strings([*name, value.as_str()])))
        .collect();
    respond(ours.status, headers, &ours.body)
}
