//! The platform behind cached and generated fragments: the Cache API
//! (`caches.default`), the origin's generator over `fetch`, the control
//! worker's sanitizer over the `CONTROL` service binding, and `waitUntil`.
//! Every failure here is a miss or a fallback, never an error page.

use std::future::Future;
use std::pin::Pin;

use js_sys::Reflect;
use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Response, ResponseInit};
use worker::Context;

use super::http::post;
use super::origin::{global_fetch, FetchBinding};
use crate::catalog::source::MAX_FRAGMENT_BYTES;
use crate::platform::{Background, Cache, GenerateRequest, Generator, GeneratorAnswer, Sanitized, Sanitizer};

/// `caches.default`, when the runtime has it; otherwise every lookup misses.
#[derive(Clone)]
pub struct WorkerCache(Option<web_sys::Cache>);

impl WorkerCache {
    /// The location's default cache.
    pub fn default_cache() -> Self {
        let cache = Reflect::get(&js_sys::global(), &"caches".into())
            .ok()
            .filter(JsValue::is_object)
            .and_then(|caches| Reflect::get(&caches, &"default".into()).ok())
            .filter(JsValue::is_object)
            .map(JsCast::unchecked_into);
        Self(cache)
    }
}

async fn cache_get(cache: Option<web_sys::Cache>, key: String) -> Result<Option<String>, JsValue> {
    let Some(cache) = cache else { return Ok(None) };
    let found = JsFuture::from(cache.match_with_str(&key)).await?;
    if found.is_undefined() || found.is_null() {
        return Ok(None);
    }
    let response: Response = found.unchecked_into();
    if response.status() != 200 {
        return Ok(None);
    }
    Ok(JsFuture::from(response.text()?).await?.as_string())
}

async fn cache_put(
    cache: Option<web_sys::Cache>,
    key: String,
    value: String,
    ttl_s: u32,
) -> Result<(), JsValue> {
    let Some(cache) = cache else { return Ok(()) };
    let headers = Headers::new()?;
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("cache-control", &format!("max-age={ttl_s}"))?;
    let init = ResponseInit::new();
    init.set_headers(&headers);
    let response = Response::new_with_opt_str_and_init(Some(&value), &init)?;
    JsFuture::from(cache.put_with_str(&key, &response)).await?;
    Ok(())
}

impl Cache for WorkerCache {
    fn get_text(&self, key: &str) -> impl Future<Output = Option<String>> {
        let lookup = cache_get(self.0.clone(), key.to_owned());
        async move { lookup.await.ok().flatten() }
    }

    fn put_text(&self, key: &str, value: &str, ttl_s: u32) -> impl Future<Output = ()> {
        let store = cache_put(self.0.clone(), key.to_owned(), value.to_owned(), ttl_s);
        async move {
            if let Err(error) = store.await {
                worker::console_warn!("tailor: cache put failed: {:?}", error);
            }
        }
    }
}

/// The origin's generator: `POST {TAILOR_GENERATOR_URL}` with the segment,
/// aborted after `TAILOR_GENERATOR_TIMEOUT_MS`.
#[derive(Clone)]
pub struct HttpGenerator {
    /// The generator's URL.
    pub url: String,
    /// The whole call's timeout.
    pub timeout_ms: u32,
}

async fn call(url: String, timeout_ms: u32, body: String) -> Result<GeneratorAnswer, JsValue> {
    let request = post(&url, "application/json", &body, Some(timeout_ms))?;
    request.headers().set("accept", "text/html")?;
    let response: Response = JsFuture::from(global_fetch(&request)?).await?.unchecked_into();
    let declared = response
        .headers()
        .get("content-length")?
        .and_then(|l| l.parse::<usize>().ok());
    let content_type = response.headers().get("content-type")?;
    if declared.is_some_and(|l| l > MAX_FRAGMENT_BYTES) {
        // Refused unread: the core sees an oversized answer.
        return Ok(GeneratorAnswer {
            status: 413,
            content_type,
            body: String::new(),
        });
    }
    let body = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    Ok(GeneratorAnswer {
        status: response.status(),
        content_type,
        body,
    })
}

impl Generator for HttpGenerator {
    fn generate(
        &self,
        request: &GenerateRequest,
    ) -> impl Future<Output = Result<GeneratorAnswer, String>> + 'static {
        let body = serde_json::to_string(request).unwrap_or_default();
        let answer = call(self.url.clone(), self.timeout_ms, body);
        async move { answer.await.map_err(|e| describe(&e)) }
    }
}

/// The control worker's sanitizer, over the `CONTROL` service binding.
#[derive(Clone)]
pub struct ControlSanitizer(pub FetchBinding);

async fn sanitize_call(control: FetchBinding, body: String) -> Result<Sanitized, JsValue> {
    let request = post(
        "https://control.internal/__tailor/generated",
        "application/json",
        &body,
        None,
    )?;
    let response = control.send(&request).await?;
    let text = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let field = |name: &str| answer.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    Ok(match field("status").as_deref() {
        Some("clean") => Sanitized::Clean(field("html").unwrap_or_default()),
        Some("pending") => Sanitized::Pending,
        Some("refused") => Sanitized::Refused(field("error").unwrap_or_default()),
        _ => {
            return Err(JsValue::from_str(&format!(
                "control worker answered {}",
                response.status()
            )))
        }
    })
}

impl Sanitizer for ControlSanitizer {
    fn sanitize(
        &self,
        request: &GenerateRequest,
        html: &str,
        approval: bool,
    ) -> impl Future<Output = Result<Sanitized, String>> + 'static {
        let body = json!({ "request": request, "html": html, "approval": approval }).to_string();
        let answer = sanitize_call(self.0.clone(), body);
        async move { answer.await.map_err(|e| describe(&e)) }
    }
}

/// `ctx.waitUntil`: background work outlives the response.
pub struct WaitUntil<'a>(pub &'a Context);

impl Background for WaitUntil<'_> {
    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()>>>) {
        self.0.wait_until(task);
    }
}

fn describe(error: &JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            Reflect::get(error, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "unknown error".to_owned())
}
