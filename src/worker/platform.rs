//! The core's [`Platform`] on Workers: KV, `caches.default`, `Date.now()`,
//! `setTimeout`, the origin's generator over `fetch`, the control worker's
//! sanitizer over its service binding, the events sink, `waitUntil`, JS
//! `RegExp` and the console. Every failure here is a miss, never an error page.

use std::future::Future;
use std::rc::Rc;

use js_sys::{Array, Object};
use worker::{Context, Env};

use super::bindings::{DateClock, DelayTimer, WorkerKv};
use super::io::{binding, cache_get, cache_put, describe, get_text, post, queue_send, rate_limit, settle};
use super::regex::JsRegex;
use crate::catalog::source::MAX_FRAGMENT_BYTES;
use crate::config::Config;
use crate::feedback::{REPORT_JSON_PATH, REPORT_PATH};
use crate::platform::{
    Cache, EventSink, GenerateRequest, Generator, GeneratorAnswer, GeneratorRefusal, Platform, RegexEngine,
    Sanitized, Sanitizer, Task,
};
use crate::publish::{generated_answer, generated_request, GENERATED_PATH, REVIEW_INTERNAL_PATH};

/// The control worker's service binding (publish, rollback, sanitizer).
pub const CONTROL_BINDING: &str = "CONTROL";
/// The events Queue's producer binding (preferred over TAILOR_EVENTS_URL).
pub const EVENTS_QUEUE_BINDING: &str = "EVENTS";
/// The rate-limiting binding for conversion beacons, keyed per visitor.
pub const BEACON_LIMIT_BINDING: &str = "BEACON_LIMIT";
/// How long the control worker may take to answer for the loop's report or
/// the review queue (the operator's pages, not a visitor's).
const CONTROL_CALL_TIMEOUT_MS: u32 = 10_000;
/// How long one events send may take.
const EVENTS_TIMEOUT_MS: u32 = 10_000;

/// `caches.default`; without it every lookup misses.
#[derive(Clone, Copy)]
pub struct WorkerCache;

impl Cache for WorkerCache {
    fn get_text(&self, key: &str) -> impl Future<Output = Option<String>> {
        let lookup = cache_get(key);
        async move { settle(lookup).await.ok()?.as_string() }
    }

    fn put_text(&self, key: &str, value: &str, ttl_s: u32) -> impl Future<Output = ()> {
        let store = cache_put(key, value, ttl_s);
        async move {
            if let Err(error) = settle(store).await {
                worker::console_warn!("tailor: cache put failed: {}", describe(&error));
            }
        }
    }
}

/// A POST's answer: status, content type and body.
async fn answer(call: js_sys::Promise) -> Result<GeneratorAnswer, String> {
    let parts: Array = settle(call).await.map_err(|e| describe(&e))?.into();
    Ok(GeneratorAnswer {
        status: parts.get(0).as_f64().unwrap_or_default() as u16,
        content_type: parts.get(1).as_string(),
        body: parts.get(2).as_string().unwrap_or_default(),
    })
}

/// The origin's generator: `POST {TAILOR_GENERATOR_URL}` with the segment,
/// aborted after `TAILOR_GENERATOR_TIMEOUT_MS`.
#[derive(Clone)]
pub struct HttpGenerator {
    url: String,
    timeout_ms: u32,
}

impl Generator for HttpGenerator {
    fn generate(
        &self,
        request: &GenerateRequest,
    ) -> impl Future<Output = Result<GeneratorAnswer, String>> + 'static {
        let body = serde_json::to_string(request).unwrap_or_default();
        // A draft (≤ 64 KiB), or a refusal carrying one in JSON.
        let max = u32::try_from(2 * MAX_FRAGMENT_BYTES).ok();
        answer(post(
            None,
            &self.url,
            "application/json",
            "text/html, application/json;q=0.5",
            &body,
            Some(self.timeout_ms),
            max,
        ))
    }
}

/// The control worker's sanitizer, over the `CONTROL` service binding.
#[derive(Clone)]
pub struct ControlSanitizer(Object);

impl Sanitizer for ControlSanitizer {
    fn sanitize(
        &self,
        request: &GenerateRequest,
        html: &str,
        approval: bool,
        refused: Option<&GeneratorRefusal>,
    ) -> impl Future<Output = Result<Sanitized, String>> + 'static {
        let url = format!("https://control.internal{GENERATED_PATH}");
        let body = generated_request(request, html, approval, refused);
        let call = answer(post(
            Some(self.0.clone()),
            &url,
            "application/json",
            "application/json",
            &body,
            None,
            None,
        ));
        async move {
            let reply = call.await?;
            generated_answer(&reply.body).ok_or_else(|| format!("control worker answered {}", reply.status))
        }
    }
}

/// Where events go: the `EVENTS` Queue (one message per page or beacon,
/// NDJSON) when bound, else `POST {TAILOR_EVENTS_URL}`.
#[derive(Clone)]
pub enum WorkerEvents {
    /// A Queue producer binding.
    Queue(Object),
    /// An HTTP sink.
    Http(String),
}

impl EventSink for WorkerEvents {
    fn send(&self, ndjson: String) -> impl Future<Output = Result<(), String>> + 'static {
        let sent = match self {
            Self::Queue(queue) => queue_send(queue, &ndjson),
            Self::Http(url) => post(
                None,
                url,
                "application/x-ndjson",
                "*/*",
                &ndjson,
                Some(EVENTS_TIMEOUT_MS),
                None,
            ),
        };
        async move { settle(sent).await.map(drop).map_err(|e| describe(&e)) }
    }
}

/// One request's handles on Workers.
#[derive(Clone)]
pub struct WorkerPlatform {
    kv: WorkerKv,
    ctx: Rc<Context>,
    generation: Option<(HttpGenerator, ControlSanitizer)>,
    events: Option<WorkerEvents>,
    beacon_limit: Option<Object>,
    control: Option<Object>,
}

impl WorkerPlatform {
    /// The platform for a request of `env`, as `config` asks.
    pub fn new(env: &Env, ctx: Rc<Context>, config: &Config) -> Self {
        let control = binding(env.as_ref(), CONTROL_BINDING);
        let generation = match (&config.generator_url, control.clone()) {
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
            ctx,
            generation,
            events: binding(env.as_ref(), EVENTS_QUEUE_BINDING)
                .map(WorkerEvents::Queue)
                .or_else(|| config.events_url.clone().map(WorkerEvents::Http)),
            beacon_limit: binding(env.as_ref(), BEACON_LIMIT_BINDING),
            control,
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
    type Events = WorkerEvents;

    fn kv(&self) -> &WorkerKv {
        &self.kv
    }

    fn cache(&self) -> &WorkerCache {
        &WorkerCache
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

    fn events(&self) -> Option<&WorkerEvents> {
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

    fn random_bytes(&self) -> [u8; 16] {
        // 16 bytes by construction; never all zeros in practice.
        super::io::random_bytes().try_into().unwrap_or_default()
    }

    fn loop_report(&self, json: bool) -> impl Future<Output = Result<String, String>> {
        let path = if json { REPORT_JSON_PATH } else { REPORT_PATH };
        let call = self.control.as_ref().map(|control| {
            get_text(
                control,
                &format!("https://control.internal{path}"),
                CONTROL_CALL_TIMEOUT_MS,
            )
        });
        async move {
            let call = call.ok_or_else(|| format!("no {CONTROL_BINDING} binding"))?;
            let parts: Array = settle(call).await.map_err(|e| describe(&e))?.into();
            match (parts.get(0).as_f64(), parts.get(1).as_string()) {
                (Some(200.0), Some(body)) => Ok(body),
                (status, _) => Err(format!(
                    "the control worker answered {}",
                    status.unwrap_or_default()
                )),
            }
        }
    }

    fn review(&self, body: String) -> impl Future<Output = Result<(u16, String), String>> {
        let url = format!("https://control.internal{REVIEW_INTERNAL_PATH}");
        let call = self.control.as_ref().map(|control| {
            answer(post(
                Some(control.clone()),
                &url,
                "application/json",
                "application/json",
                &body,
                Some(CONTROL_CALL_TIMEOUT_MS),
                None,
            ))
        });
        async move {
            let reply = call
                .ok_or_else(|| format!("no {CONTROL_BINDING} binding"))?
                .await?;
            Ok((reply.status, reply.body))
        }
    }

    fn limit(&self, key: &str) -> impl Future<Output = Option<bool>> {
        let call = self.beacon_limit.as_ref().map(|limiter| rate_limit(limiter, key));
        async move {
            // A failed call is no answer: the core limits in the isolate.
            settle(call?).await.ok()?.as_bool()
        }
    }
}
