//! Between the core's HTTP types and `web_sys`: our responses, header edits
//! on the origin's, bodies read up to a limit, and the POSTs we send.

use wasm_bindgen::JsValue;
#[cfg(not(feature = "control"))]
use web_sys::Request;
use web_sys::{Headers, Response, ResponseInit};
#[cfg(not(feature = "control"))]
use {js_sys::Reflect, wasm_bindgen_futures::JsFuture};

use crate::http;

/// A response of ours as a platform response.
pub fn to_response(ours: &http::Response) -> Result<Response, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in &ours.headers {
        headers.append(name, value)?;
    }
    let init = ResponseInit::new();
    init.set_status(ours.status);
    init.set_headers(&headers);
    let body = (!ours.body.is_empty()).then_some(ours.body.as_str());
    Response::new_with_opt_str_and_init(body, &init)
}

/// The body as text.
#[cfg(not(feature = "control"))]
pub async fn text(response: &Response) -> Result<String, JsValue> {
    Ok(JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default())
}

/// A body of at most `max` bytes; `None` when it is larger or unreadable.
#[cfg(not(feature = "control"))]
pub async fn read_body(req: &Request, max: usize) -> Option<String> {
    let declared = req.headers().get("content-length").ok().flatten();
    if declared
        .and_then(|l| l.trim().parse::<usize>().ok())
        .is_some_and(|l| l > max)
    {
        return None;
    }
    let text = JsFuture::from(req.text().ok()?).await.ok()?.as_string()?;
    (text.len() <= max).then_some(text)
}

/// A copy of `response` (same body stream, not read) with `edits` applied.
#[cfg(not(feature = "control"))]
pub fn with_headers(response: &Response, edits: &[http::HeaderEdit]) -> Result<Response, JsValue> {
    let headers = Headers::new_with_headers(&response.headers())?;
    for edit in edits {
        match edit {
            http::HeaderEdit::Set(name, value) => headers.set(name, value)?,
            http::HeaderEdit::Append(name, value) => headers.append(name, value)?,
            http::HeaderEdit::Remove(name) => headers.delete(name)?,
        }
    }
    let init = ResponseInit::new();
    init.set_status(response.status());
    init.set_status_text(&response.status_text());
    init.set_headers(&headers);
    Response::new_with_opt_readable_stream_and_init(response.body().as_ref(), &init)
}

/// A `POST` of `body` to `url` as `content_type`, aborted after `timeout_ms`
/// when given (the generator, sanitizer and events calls).
#[cfg(not(feature = "control"))]
pub fn post(url: &str, content_type: &str, body: &str, timeout_ms: Option<u32>) -> Result<Request, JsValue> {
    let headers = Headers::new()?;
    headers.set("content-type", content_type)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    if let Some(ms) = timeout_ms {
        init.set_signal(Some(&web_sys::AbortSignal::timeout_with_u32(ms)));
    }
    Request::new_with_str_and_init(url, &init)
}

/// A JS error's message, for the log.
#[cfg(not(feature = "control"))]
pub fn describe(error: &JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            Reflect::get(error, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "unknown error".to_owned())
}
