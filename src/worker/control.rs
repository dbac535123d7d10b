//! The control worker: `POST /__tailor/publish`, `POST /__tailor/rollback`
//! and the page worker's generated fragments (usually reached through the
//! page worker's `CONTROL` service binding). It alone links the HTML
//! sanitizer and writes KV; see `docs/catalog.md`.

use std::rc::Rc;

use js_sys::Uint8Array;
use web_sys::{Request, Response};
use worker::{event, Context, Env};

use super::bindings::{DateClock, WorkerKv};
use super::io::{read_bytes, settle, to_response};
use super::regex::JsRegex;
use super::vars::ParsedVars;
use crate::http::{self, path_of};
use crate::platform::Clock;
use crate::publish::{control_route, serve_control, PublishConfig, PublishGuard, PushIo, PUBLISH_VARS};

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
    worker::console_log!("tailor control: {method} {path} → {}", answer.status);
    answer
}
