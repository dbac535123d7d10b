//! The control worker: `POST /__tailor/publish`, `POST /__tailor/rollback`
//! and the page worker's generated fragments (usually reached through the
//! page worker's `CONTROL` service binding). It alone links the HTML
//! sanitizer and writes KV; see `docs/catalog.md`.

use std::rc::Rc;

use js_sys::Uint8Array;
use web_sys::{Request, Response};
use worker::{event, Context, Env};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use wasm_bindgen::JsValue;
use worker::MessageBatch;

use super::bindings::{DateClock, WorkerKv};
use super::d1::D1Store;
use super::io::{random_bytes, read_bytes, settle, to_response};
use super::regex::JsRegex;
use super::vars::ParsedVars;
use crate::feedback::{self, loop_route, Batch, CountStore, LoopRoute, LoopSettings};
use crate::http::{self, path_of};
use crate::platform::Clock;
use crate::publish::{
    control_route, serve_control, PublishConfig, PublishGuard, PushIo, PUBLISH_VARS, REFUSED_HEADER,
};

thread_local! {
    static GUARD: Rc<PublishGuard> = Rc::new(PublishGuard::new());
    static CONFIG: ParsedVars<PublishConfig> = const { ParsedVars::new() };
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    Ok(to_response(&serve(&req, &env).await)?)
}

async fn serve(req: &Request, env: &Env) -> http::Response {
    let (method, url) = (req.method(), req.url());
    let path = path_of(&url);
    if let Some(route) = loop_route(&method, path) {
        return match route {
            Ok(route) => serve_loop(route, env).await,
            Err(answer) => answer,
        };
    }
    let route = match control_route(&method, path) {
        Ok(route) => route,
        Err(answer) => return answer,
    };
    let config = CONFIG.with(|parsed| parsed.get(env, PUBLISH_VARS, |var| PublishConfig::from_vars(var)));
    let headers = req.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    if let Some(refusal) = route.refuse_unread(header("content-length").as_deref(), &config) {
        return refusal;
    }
    // The whole body as bytes: the core checks its size and signature.
    let Ok(body) = settle(read_bytes(req))
        .await
        .map(|b| Uint8Array::from(b).to_vec())
    else {
        return http::Response::error(400, "the body could not be read");
    };
    let guard = GUARD.with(Rc::clone);
    let kv = WorkerKv::from_env(env);
    let io = PushIo {
        kv: &kv,
        now_ms: DateClock.now_unix_ms(),
        regex: &JsRegex,
        guard: &guard,
    };
    let answer = serve_control(route, path, &header, &body, &config, &io).await;
    // A draft refused by a guardrail names the rule it broke.
    let refused = answer
        .headers
        .iter()
        .find(|(name, _)| *name == REFUSED_HEADER)
        .map(|(_, rule)| format!(" refused {rule}"))
        .unwrap_or_default();
    worker::console_log!("tailor control: {method} {path} → {}{refused}", answer.status);
    answer
}

/// The loop's internal endpoints (reached over the page worker's service
/// binding): the tick its cron trigger asks for, and the rows for the report.
async fn serve_loop(route: LoopRoute, env: &Env) -> http::Response {
    let store = D1Store::from_env(env);
    let config = CONFIG.with(|parsed| parsed.get(env, PUBLISH_VARS, |var| PublishConfig::from_vars(var)));
    let kv = WorkerKv::from_env(env);
    let settings = LoopSettings {
        site: &config.site,
        window_days: config.loop_window_days,
        retain: config.retain,
    };
    let answer = feedback::serve_loop(route, &kv, store.as_ref(), settings, DateClock.now_unix_ms()).await;
    if answer.failed {
        worker::console_error!("tailor control: {}", answer.log);
    } else {
        worker::console_log!("tailor control: {}", answer.log);
    }
    answer.response
}

/// The events Queue's consumer: each batch counted once into D1. A batch
/// that cannot be counted is retried whole (the store counts it at most
/// once, so a retry never double counts).
#[event(queue)]
async fn queue(batch: MessageBatch<JsValue>, env: Env, _ctx: Context) -> worker::Result<()> {
    // The page worker sends text; anything else is not ours and is skipped.
    let bodies: Vec<String> = batch.raw_iter().filter_map(|m| m.body().as_string()).collect();
    let id = URL_SAFE_NO_PAD.encode(random_bytes());
    let config = CONFIG.with(|parsed| parsed.get(&env, PUBLISH_VARS, |var| PublishConfig::from_vars(var)));
    let events = Batch::from_messages(id, bodies.iter().map(String::as_str), config.loop_exposures);
    let Some(store) = D1Store::from_env(&env) else {
        worker::console_error!(
            "tailor control: events arrive but no D1 database is bound as LOOP; retrying later"
        );
        batch.retry_all();
        return Ok(());
    };
    match store.apply(&events).await {
        Ok(()) => worker::console_log!(
            "tailor control: counted {} event(s) from {} message(s) ({} repeated, {} skipped)",
            events.events.len(),
            bodies.len(),
            events.duplicates,
            events.skipped
        ),
        Err(error) => {
            worker::console_error!("tailor control: {error}; the batch will be retried");
            batch.retry_all();
        }
    }
    Ok(())
}
