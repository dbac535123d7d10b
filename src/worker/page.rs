//! The page worker's fetch handler: routes with the core, reads what the
//! route needs out of the request, calls the core, and applies its answer.
//! Every path ends in a response: the origin's own when anything of ours
//! fails; a 502 only when the origin itself cannot be reached.

use std::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::{Headers, Request, Response, ResponseInit};
use worker::{event, Context, Env};

use super::http::{describe, read_body, to_response, with_headers};
use super::origin::{fetch_binding, Origin};
use super::platform::{WebResponseHead, WorkerPlatform, CONTROL_BINDING};
use super::rewriter;
use super::vars::ParsedVars;
use crate::config::{Config, VARS};
use crate::edge::{Disposition, Edge, Isolate};
use crate::http::{self, path_of};
use crate::route::{self, EdgeContext, Route};

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
        Route::Page => page(&req, &env, ctx, method, url).await,
        endpoint => {
            let config = CONFIG.with(|parsed| parsed.get(&env, VARS, |var| Config::from_vars(var)));
            let request = read_request(&req, method, url, &config);
            let body = match endpoint.body_limit() {
                Some(max) => read_body(&req, max).await,
                None => None,
            };
            let isolate = ISOLATE.with(Rc::clone);
            let edge = Edge::new(
                &config,
                &isolate,
                WorkerPlatform::new(&env, Rc::new(ctx), &config),
            );
            to_response(&edge.endpoint(&endpoint, &request, body).await)
        }
    };
    // Only the origin (or the control worker) failing gets here.
    Ok(served.or_else(|error| {
        worker::console_error!("tailor: the origin could not be reached: {}", describe(&error));
        bad_gateway()
    })?)
}

/// The origin's response, untouched.
async fn pass_through(req: &Request, env: &Env) -> Result<Response, JsValue> {
    Origin::from_env(env).fetch(req)?.await
}

/// The core's view of the request: the headers it reads and `request.cf`.
fn read_request(req: &Request, method: String, url: String, config: &Config) -> route::Request {
    let headers = req.headers();
    let cf = js_sys::Reflect::get(req, &"cf".into())
        .ok()
        .filter(JsValue::is_object);
    let cf_value = |name: &str| {
        cf.as_ref()
            .and_then(|cf| js_sys::Reflect::get(cf, &name.into()).ok())
    };
    let edge = EdgeContext {
        country: cf_value("country").and_then(|v| v.as_string()),
        asn: cf_value("asn").and_then(|v| v.as_f64()),
        as_organization: cf_value("asOrganization").and_then(|v| v.as_string()),
    };
    let header = |name: &str| headers.get(name).ok().flatten();
    route::Request::read(method, url, &header, edge, config.dev_overrides)
}

/// A page: the origin request is sent first, the core's work runs while it
/// answers, then the response is passed through, annotated or rewritten.
async fn page(
    req: &Request,
    env: &Env,
    ctx: Context,
    method: String,
    url: String,
) -> Result<Response, JsValue> {
    let config = CONFIG.with(|parsed| parsed.get(env, VARS, |var| Config::from_vars(var)));
    let request = read_request(req, method, url, &config);
    let isolate = ISOLATE.with(Rc::clone);
    let edge = Edge::new(&config, &isolate, WorkerPlatform::new(env, Rc::new(ctx), &config));
    let origin = Origin::from_env(env).fetch(req)?;
    let (response, prepared) = edge.page(&request, origin).await;
    let response = response?;
    Ok(
        match edge.respond(&request, prepared, &WebResponseHead(&response)) {
            Disposition::PassThrough => response,
            Disposition::Annotate { headers } => with_headers(&response, &headers).unwrap_or(response),
            Disposition::Rewrite { plan, headers } => {
                let Ok(edited) = with_headers(&response, &headers) else {
                    return Ok(response);
                };
                #[cfg(feature = "fault-injection")]
                let edited = super::fault::trap_in_stream(req, edited)?;
                if request.is_head() || edited.body().is_none() {
                    edited
                } else {
                    rewriter::apply(&plan, &edited, config.rewrite_guard).unwrap_or(edited)
                }
            }
        },
    )
}

/// Publish and rollback run in the control worker, which holds the
/// sanitizer and KV write access; the request goes there unchanged, so its
/// signature still covers the same method, path and body.
async fn forward_to_control(req: &Request, env: &Env) -> Result<Response, JsValue> {
    let Some(control) = fetch_binding(env, CONTROL_BINDING) else {
        let refusal = "publishing is not enabled on this worker: bind the control worker as CONTROL";
        return to_response(&http::Response::error(404, refusal));
    };
    control.send(req).await.or_else(|error| {
        worker::console_error!("tailor: control worker failed: {}", describe(&error));
        to_response(&http::Response::error(502, "the control worker did not answer"))
    })
}

fn bad_gateway() -> Result<Response, JsValue> {
    let headers = Headers::new()?;
    headers.set("content-type", "text/plain; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    let init = ResponseInit::new();
    init.set_status(502);
    init.set_headers(&headers);
    Response::new_with_opt_str_and_init(Some("Bad gateway: the origin could not be reached.\n"), &init)
}
