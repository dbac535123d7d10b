//! Our own responses as `web_sys::Response`s.

use wasm_bindgen::JsValue;
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
