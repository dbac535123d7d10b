//! The page worker's fetch handler: routes with the core, reads what the
//! route needs out of the request, calls the core, and applies its answer.
//! Every path ends in a response: the origin's own when anything of ours
//! fails; a 502 only when the origin itself cannot be reached.

use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Request, Response};
use worker::{event, Context, Env, ScheduleContext, ScheduledEvent};

use super::io::{
    binding, describe, edge_context, forward, post, read_body, read_headers, settle, strings, to_origin,
    to_response, with_headers,
};
use super::platform::{WorkerPlatform, CONTROL_BINDING};
use super::rewriter;
use super::vars::ParsedVars;
use crate::config::{Config, VARS};
use crate::edge::{Disposition, Edge, Isolate};
use crate::feedback::TICK_PATH;
use crate::http::{self, path_of, HeaderEdit, ResponseHead};
use crate::route::{self, EdgeContext, Route, DEV_OVERRIDE_HEADERS, REQUEST_HEADERS};

thread_local! {
    static ISOLATE: Rc<Isolate> = Rc::new(Isolate::new());
    static CONFIG: ParsedVars<Config> = const { ParsedVars::new() };
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    #[cfg(feature = "fault-injection")]
    super::fault::before_serve(&req);
    let (method, url) = (req.method(), req.url());
    // Routing needs the method and path, and a page the `Range` header:
    // nothing else is copied out of the request until a route needs it.
    let route = route::route(&method, path_of(&url), || {
        req.headers().has("range").unwrap_or(true)
    });
    let served = match route {
        Route::PassThrough(_) => pass_through(&req, &env).await,
        Route::Control => forward_to_control(&req, &env).await,
        route => {
            let config = CONFIG.with(|parsed| parsed.get(&env, VARS, |var| Config::from_vars(var)));
            let request = read_request(&req, method, url, &config);
            let isolate = ISOLATE.with(Rc::clone);
            let edge = Edge::new(
                &config,
                &isolate,
                WorkerPlatform::new(&env, Rc::new(ctx), &config),
            );
            if route == Route::Page {
                page(&req, &env, &edge, &request).await
            } else {
                let body = match route.body_limit().and_then(|max| u32::try_from(max).ok()) {
                    Some(max) => settle(read_body(&req, max))
                        .await
                        .ok()
                        .and_then(|b| b.as_string()),
                    None => None,
                };
                to_response(&edge.endpoint(&route, &request, body).await)
            }
        }
    };
    // Only the origin (or the control worker) failing gets here.
    Ok(served.or_else(|error| {
        worker::console_error!("tailor: the origin could not be reached: {}", describe(&error));
        to_response(&http::Response::new(
            502,
            "text/plain; charset=utf-8",
            "Bad gateway: the origin could not be reached.\n".to_owned(),
        ))
    })?)
}

/// The origin's response, untouched.
async fn pass_through(req: &Request, env: &Env) -> Result<Response, JsValue> {
    settle(to_origin(req, env.as_ref())?)
        .await
        .map(JsCast::unchecked_into)
}

/// The core's view of the request: the headers it reads and `request.cf`.
fn read_request(req: &Request, method: String, url: String, config: &Config) -> route::Request {
    let names = REQUEST_HEADERS.iter().chain(&DEV_OVERRIDE_HEADERS).copied();
    let values = read_headers(req, strings(names.clone()));
    let read: Vec<(&str, Option<String>)> = names.zip(values.iter().map(|v| v.as_string())).collect();
    let header = |name: &str| read.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.clone());
    let cf = edge_context(req);
    let edge = EdgeContext {
        country: cf.get(0).as_string(),
        asn: cf.get(1).as_f64(),
        as_organization: cf.get(2).as_string(),
        timezone: cf.get(3).as_string(),
    };
    route::Request::read(method, url, &header, edge, config.dev_overrides)
}

/// The status and headers of a `web_sys::Response`.
struct Head<'a>(&'a Response);

impl ResponseHead for Head<'_> {
    fn status(&self) -> u16 {
        self.0.status()
    }

    fn header(&self, name: &str) -> Option<String> {
        self.0.headers().get(name).ok().flatten()
    }
}

/// Header edits as `[op, name, value]` triples for `io.mjs`.
fn edits(headers: &[HeaderEdit]) -> Array {
    let triple = |op, name, value: &str| JsValue::from(strings([op, name, value]));
    headers
        .iter()
        .map(|edit| match edit {
            HeaderEdit::Set(name, value) => triple("set", name, value),
            HeaderEdit::Append(name, value) => triple("append", name, value),
            HeaderEdit::Remove(name) => triple("remove", name, ""),
        })
        .collect()
}

/// A page: the origin request is sent first, the core's work runs while it
/// answers, then the response is passed through, annotated or rewritten.
async fn page(
    req: &Request,
    env: &Env,
    edge: &Edge<'_, WorkerPlatform>,
    request: &route::Request,
) -> Result<Response, JsValue> {
    // Sent now, before any of the core's I/O is awaited.
    let origin = settle(to_origin(req, env.as_ref())?);
    let (response, prepared) = edge.page(request, origin).await;
    let response: Response = response?.unchecked_into();
    let (disposition, exposures) = edge.respond(request, prepared, &Head(&response));
    Ok(match disposition {
        Disposition::PassThrough => response,
        Disposition::Annotate { headers } => with_headers(&response, edits(&headers)).unwrap_or(response),
        Disposition::Rewrite { plan, headers } => {
            let Ok(edited) = with_headers(&response, edits(&headers)) else {
                return Ok(response);
            };
            #[cfg(feature = "fault-injection")]
            let edited = super::fault::trap_in_stream(req, edited)?;
            if request.is_head() || edited.body().is_none() {
                return Ok(edited);
            }
            match rewriter::apply(&plan, &edited, edge.config.rewrite_guard) {
                Ok((rewritten, filled)) => {
                    edge.expose(exposures, filled);
                    rewritten
                }
                Err(_) => edited,
            }
        }
    })
}

/// The cron trigger: asks the control worker, which alone writes KV, to
/// publish the loop's posteriors (`docs/events.md`). A failure is logged;
/// the next tick tries again.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let Some(control) = binding(env.as_ref(), CONTROL_BINDING) else {
        worker::console_warn!("tailor: a cron trigger, but no CONTROL binding to publish through");
        return;
    };
    let url = format!("https://control.internal{TICK_PATH}");
    let call = post(
        Some(control),
        &url,
        "application/json",
        "application/json",
        "",
        Some(TICK_TIMEOUT_MS),
        None,
    );
    match settle(call).await {
        Ok(answer) => {
            let parts: Array = answer.into();
            let (status, body) = (
                parts.get(0).as_f64().unwrap_or_default(),
                parts.get(2).as_string(),
            );
            worker::console_log!("tailor: loop tick → {status} {}", body.unwrap_or_default());
        }
        Err(error) => worker::console_error!("tailor: loop tick failed: {}", describe(&error)),
    }
}

/// How long the control worker's tick may take.
const TICK_TIMEOUT_MS: u32 = 30_000;

/// Publish and rollback run in the control worker, which holds the
/// sanitizer and KV write access; the request goes there unchanged, so its
/// signature still covers the same method, path and body.
async fn forward_to_control(req: &Request, env: &Env) -> Result<Response, JsValue> {
    let Some(control) = binding(env.as_ref(), CONTROL_BINDING) else {
        let refusal = "publishing is not enabled on this worker: bind the control worker as CONTROL";
        return to_response(&http::Response::error(404, refusal));
    };
    let sent = match forward(&control, req) {
        Ok(call) => settle(call).await,
        Err(error) => Err(error),
    };
    sent.map(JsCast::unchecked_into).or_else(|error| {
        worker::console_error!("tailor: control worker failed: {}", describe(&error));
        to_response(&http::Response::error(502, "the control worker did not answer"))
    })
}
