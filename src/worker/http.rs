//! Our own responses as `web_sys::Response`s, and the POST requests we send.

use wasm_bindgen::JsValue;
#[cfg(not(feature = "control"))]
use web_sys::{AbortSignal, Request, RequestInit};
use web_sys::{Headers, Response, ResponseInit};

use crate::api::ApiResponse;

/// An [`ApiResponse`] as a platform response.
pub fn to_response(api: &ApiResponse) -> Result<Response, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in &api.headers {
        headers.append(name, value)?;
    }
    let init = ResponseInit::new();
    init.set_status(api.status);
    init.set_headers(&headers);
    let body = (!api.body.is_empty()).then_some(api.body.as_str());
    Response::new_with_opt_str_and_init(body, &init)
}

/// A `POST` of `body` to `url` as `content_type`, aborted after `timeout_ms`
/// when given (the page worker's generator, sanitizer and events calls).
#[cfg(not(feature = "control"))]
pub fn post(url: &str, content_type: &str, body: &str, timeout_ms: Option<u32>) -> Result<Request, JsValue> {
    let headers = Headers::new()?;
    headers.set("content-type", content_type)?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    if let Some(ms) = timeout_ms {
        init.set_signal(Some(&AbortSignal::timeout_with_u32(ms)));
    }
    Request::new_with_str_and_init(url, &init)
}
