//! The control worker: `POST /__tailor/publish` and `POST /__tailor/rollback`
//! (usually reached through the page worker's `CONTROL` service binding).
//! It alone links the HTML sanitizer and writes KV; see `docs/catalog.md`.

use std::rc::Rc;

use js_sys::Uint8Array;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response};
use worker::{event, Context, Env};

use super::http::to_response;
use super::platform::{DateClock, WorkerKv};
use super::regex::JsRegex;
use super::vars::ParsedVars;
use crate::api::ApiResponse;
use crate::page::path_of;
use crate::platform::Clock;
use crate::publish::signature::{SignatureHeaders, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use crate::publish::{
    handle, handle_generated, route, too_large, PublishConfig, PublishGuard, PushIo, PushRequest,
    GENERATED_PATH, PUBLISH_VARS,
};

thread_local! {
    static GUARD: Rc<PublishGuard> = Rc::new(PublishGuard::new());
    static CONFIG: ParsedVars<PublishConfig> = const { ParsedVars::new() };
}

fn read_config(env: &Env) -> Rc<PublishConfig> {
    CONFIG.with(|parsed| parsed.get(env, PUBLISH_VARS, |var| PublishConfig::from_vars(var)))
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let answer = serve(&req, &env).await;
    Ok(to_response(&answer)?)
}

async fn serve(req: &Request, env: &Env) -> ApiResponse {
    let url = req.url();
    let path = path_of(&url);
    if path == GENERATED_PATH && req.method() == "POST" {
        let config = read_config(env);
        let Some(body) = read_bytes(req).await else {
            return ApiResponse::error(400, "the body could not be read");
        };
        let kv = WorkerKv::from_env(env);
        let now_ms = DateClock.now_ms().max(0.0) as u64;
        return handle_generated(&body, &config.site, &kv, now_ms).await;
    }
    let action = match route(&req.method(), path) {
        None => {
            return ApiResponse::error(
                404,
                "the control worker answers /__tailor/publish and /__tailor/rollback",
            )
        }
        Some(Err(refusal)) => return refusal,
        Some(Ok(action)) => action,
    };
    let config = read_config(env);
    let headers = req.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    let declared = header("content-length").and_then(|l| l.trim().parse::<usize>().ok());
    if declared.is_some_and(|l| l > config.max_body_bytes) {
        return too_large(config.max_body_bytes);
    }
    let Some(body) = read_bytes(req).await else {
        return ApiResponse::error(400, "the body could not be read");
    };
    let (id, timestamp, signature) = (
        header(HEADER_ID),
        header(HEADER_TIMESTAMP),
        header(HEADER_SIGNATURE),
    );
    let request = PushRequest {
        path,
        headers: SignatureHeaders {
            id: id.as_deref(),
            timestamp: timestamp.as_deref(),
            signature: signature.as_deref(),
        },
        body: &body,
    };
    let guard = GUARD.with(Rc::clone);
    let kv = WorkerKv::from_env(env);
    let io = PushIo {
        kv: &kv,
        now_ms: DateClock.now_ms().max(0.0) as u64,
        regex: &JsRegex,
        guard: &guard,
    };
    let answer = handle(action, &request, &config, &io).await;
    worker::console_log!("tailor control: {} {} → {}", req.method(), path, answer.status);
    answer
}

/// The whole body as bytes (the handler checks its size against the cap
/// before anything else reads it).
async fn read_bytes(req: &Request) -> Option<Vec<u8>> {
    let buffer = JsFuture::from(req.array_buffer().ok()?).await.ok()?;
    Some(Uint8Array::new(&buffer).to_vec())
}
