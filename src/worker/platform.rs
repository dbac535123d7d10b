//! The core's [`Platform`] on Workers: KV, `caches.default`, `Date.now()`,
//! `setTimeout`, the origin's generator over `fetch`, the control worker's
//! sanitizer over its service binding, the events sink, `waitUntil`, JS
//! `RegExp` and the console. Every failure here is a miss, never an error page.

use std::future::Future;
use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Response, ResponseInit};
use worker::{Context, Env};

use super::bindings::{DateClock, DelayTimer, WorkerKv};
use super::http::{describe, post, text};
use super::origin::{fetch_binding, global_fetch, FetchBinding};
use super::regex::JsRegex;
use crate::catalog::source::MAX_FRAGMENT_BYTES;
use crate::config::Config;
use crate::http::ResponseHead;
use crate::platform::{
    Cache, EventSink, GenerateRequest, Generator, GeneratorAnswer, Platform, RegexEngine, Sanitized,
    Sanitizer, Task,
};
use crate::publish::{generated_answer, generated_request, GENERATED_PATH};

/// The control worker's service binding (publish, rollback, sanitizer).
pub const CONTROL_BINDING: &str = "CONTROL";
/// How long one events send may take.
const EVENTS_TIMEOUT_MS: u32 = 10_000;

/// The status and headers of a `web_sys::Response`.
pub struct WebResponseHead<'a>(pub &'a Response);

impl ResponseHead for WebResponseHead<'_> {
    fn status(&self) -> u16 {
        self.0.status()
    }

    fn header(&self, name: &str) -> Option<String> {
        self.0.headers().get(name).ok().flatten()
    }
}

/// `caches.default`, when the runtime has it; otherwise every lookup misses.
#[derive(Clone)]
pub struct WorkerCache(Option<web_sys::Cache>);

impl WorkerCache {
    fn default_cache() -> Self {
        let caches = Reflect::get(&js_sys::global(), &"caches".into())
            .ok()
            .filter(JsValue::is_object);
        let default = caches.and_then(|c| Reflect::get(&c, &"default".into()).ok());
        Self(default.filter(JsValue::is_object).map(JsCast::unchecked_into))
    }
}

async fn cache_get(cache: web_sys::Cache, key: String) -> Result<Option<String>, JsValue> {
    let found = JsFuture::from(cache.match_with_str(&key)).await?;
    if found.is_undefined() || found.is_null() {
        return Ok(None);
    }
    let response: Response = found.unchecked_into();
    Ok(if response.status() == 200 {
        Some(text(&response).await?)
    } else {
        None
    })
}

async fn cache_put(cache: web_sys::Cache, key: String, value: String, ttl_s: u32) -> Result<(), JsValue> {
    let headers = Headers::new()?;
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("cache-control", &format!("max-age={ttl_s}"))?;
    let init = ResponseInit::new();
    init.set_headers(&headers);
    let response = Response::new_with_opt_str_and_init(Some(&value), &init)?;
    JsFuture::from(cache.put_with_str(&key, &response))
        .await
        .map(drop)
}

impl Cache for WorkerCache {
    fn get_text(&self, key: &str) -> impl Future<Output = Option<String>> {
        let lookup = self.0.clone().map(|cache| cache_get(cache, key.to_owned()));
        async move { lookup?.await.ok().flatten() }
    }

    fn put_text(&self, key: &str, value: &str, ttl_s: u32) -> impl Future<Output = ()> {
        let store = self
            .0
            .clone()
            .map(|c| cache_put(c, key.to_owned(), value.to_owned(), ttl_s));
        async move {
            if let Some(Err(error)) = futures_util::future::OptionFuture::from(store).await {
                worker::console_warn!("tailor: cache put failed: {}", describe(&error));
            }
        }
    }
}

/// The origin's generator: `POST {TAILOR_GENERATOR_URL}` with the segment,
/// aborted after `TAILOR_GENERATOR_TIMEOUT_MS`.
#[derive(Clone)]
pub struct HttpGenerator {
    url: String,
    timeout_ms: u32,
}

async fn generate(url: String, timeout_ms: u32, body: String) -> Result<GeneratorAnswer, JsValue> {
    let request = post(&url, "application/json", &body, Some(timeout_ms))?;
    request.headers().set("accept", "text/html")?;
    let response: Response = JsFuture::from(global_fetch(&request)?).await?.unchecked_into();
    let content_type = response.headers().get("content-type")?;
    let declared = response
        .headers()
        .get("content-length")?
        .and_then(|l| l.parse::<usize>().ok());
    if declared.is_some_and(|l| l > MAX_FRAGMENT_BYTES) {
        // Refused unread: the core sees an oversized answer.
        return Ok(GeneratorAnswer {
            status: 413,
            content_type,
            body: String::new(),
        });
    }
    Ok(GeneratorAnswer {
        status: response.status(),
        content_type,
        body: text(&response).await?,
    })
}

impl Generator for HttpGenerator {
    fn generate(
        &self,
        request: &GenerateRequest,
    ) -> impl Future<Output = Result<GeneratorAnswer, String>> + 'static {
        let body = serde_json::to_string(request).unwrap_or_default();
        let answer = generate(self.url.clone(), self.timeout_ms, body);
        async move { answer.await.map_err(|e| describe(&e)) }
    }
}

/// The control worker's sanitizer, over the `CONTROL` service binding.
#[derive(Clone)]
pub struct ControlSanitizer(FetchBinding);

async fn sanitize(control: FetchBinding, body: String) -> Result<Sanitized, JsValue> {
    let url = format!("https://control.internal{GENERATED_PATH}");
    let response = control
        .send(&post(&url, "application/json", &body, None)?)
        .await?;
    let status = response.status();
    generated_answer(&text(&response).await?)
        .ok_or_else(|| JsValue::from_str(&format!("control worker answered {status}")))
}

impl Sanitizer for ControlSanitizer {
    fn sanitize(
        &self,
        request: &GenerateRequest,
        html: &str,
        approval: bool,
    ) -> impl Future<Output = Result<Sanitized, String>> + 'static {
        let answer = sanitize(self.0.clone(), generated_request(request, html, approval));
        async move { answer.await.map_err(|e| describe(&e)) }
    }
}

/// Events as NDJSON, POSTed to `TAILOR_EVENTS_URL`.
#[derive(Clone)]
pub struct HttpEvents(String);

async fn send_events(url: String, body: String) -> Result<(), JsValue> {
    let request = post(&url, "application/x-ndjson", &body, Some(EVENTS_TIMEOUT_MS))?;
    JsFuture::from(global_fetch(&request)?).await.map(drop)
}

impl EventSink for HttpEvents {
    fn send(&self, ndjson: String) -> impl Future<Output = Result<(), String>> + 'static {
        let sent = send_events(self.0.clone(), ndjson);
        async move { sent.await.map_err(|e| describe(&e)) }
    }
}

/// One request's handles on Workers.
#[derive(Clone)]
pub struct WorkerPlatform {
    kv: WorkerKv,
    cache: WorkerCache,
    ctx: Rc<Context>,
    generation: Option<(HttpGenerator, ControlSanitizer)>,
    events: Option<HttpEvents>,
}

impl WorkerPlatform {
    /// The platform for a request of `env`, as `config` asks.
    pub fn new(env: &Env, ctx: Rc<Context>, config: &Config) -> Self {
        let generation = match (&config.generator_url, fetch_binding(env, CONTROL_BINDING)) {
            (Some(url), Some(control)) => Some((
                HttpGenerator {
                    url: url.clone(),
                    timeout_ms: config.generator_timeout_ms,
                },
                ControlSanitizer(control),
            )),
            (Some(_), None) => {
                worker::console_warn!(
                    "tailor: TAILOR_GENERATOR_URL needs the CONTROL binding (sanitizer); no generation"
                );
                None
            }
            _ => None,
        };
        Self {
            kv: WorkerKv::from_env(env),
            cache: WorkerCache::default_cache(),
            ctx,
            generation,
            events: config.events_url.clone().map(HttpEvents),
        }
    }
}

impl Platform for WorkerPlatform {
    type Kv = WorkerKv;
    type Cache = WorkerCache;
    type Clock = DateClock;
    type Timer = DelayTimer;
    type Generator = HttpGenerator;
    type Sanitizer = ControlSanitizer;
    type Events = HttpEvents;

    fn kv(&self) -> &WorkerKv {
        &self.kv
    }

    fn cache(&self) -> &WorkerCache {
        &self.cache
    }

    fn clock(&self) -> &DateClock {
        &DateClock
    }

    fn timer(&self) -> &DelayTimer {
        &DelayTimer
    }

    fn generation(&self) -> Option<(&HttpGenerator, &ControlSanitizer)> {
        self.generation.as_ref().map(|(g, s)| (g, s))
    }

    fn events(&self) -> Option<&HttpEvents> {
        self.events.as_ref()
    }

    fn spawn(&self, task: Task) {
        self.ctx.wait_until(task);
    }

    fn regex(&self) -> &'static dyn RegexEngine {
        &JsRegex
    }

    fn log(&self, line: &str) {
        worker::console_log!("{line}");
    }
}
