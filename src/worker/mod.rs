//! The Workers adapter: the only module that imports `worker` or touches JS.
//!
//! It wires the core's traits to the platform ([`platform`]), reaches the
//! origin ([`origin`]), and drives workerd's native `HTMLRewriter`
//! ([`rewriter`]). Every path ends in a response: the origin's own when
//! anything of ours fails.

mod origin;
mod platform;
mod regex;
mod rewriter;

use std::cell::OnceCell;
use std::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::{Headers, Request, Response, ResponseInit};
use worker::{event, Context, Env};

use crate::catalog::CatalogStore;
use crate::config::Config;
use crate::fragments::FragmentCache;
use crate::page::{
    dispose, path_of, query_of, should_personalize, Disposition, Edge, HeaderEdit, PageRequest,
};
use crate::profile::{ProfileSource, RejectionCounts, RequestContext};
use origin::Origin;
use platform::{DateClock, DelayTimer, WebResponseHead, WorkerKv};
use regex::JsRegex;

/// What an isolate keeps between requests: immutable, content-keyed data only.
struct Isolate {
    catalog: CatalogStore,
    fragments: OnceCell<FragmentCache>,
    refused_cookies: RejectionCounts,
}

thread_local! {
    static ISOLATE: Rc<Isolate> = Rc::new(Isolate {
        catalog: CatalogStore::new(),
        fragments: OnceCell::new(),
        refused_cookies: RejectionCounts::default(),
    });
}

/// `request.cf.country`, when the platform provides it.
fn cf_country(req: &Request) -> Option<String> {
    let cf = js_sys::Reflect::get(req, &"cf".into()).ok()?;
    js_sys::Reflect::get(&cf, &"country".into()).ok()?.as_string()
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let origin = Origin::from_env(&env);
    match serve(&req, &env, &origin).await {
        Ok(response) => Ok(response),
        // The origin itself could not be reached: there is no page to serve.
        Err(error) => {
            worker::console_error!("tailor: origin fetch failed: {}", describe(&error));
            bad_gateway()
        }
    }
}

async fn serve(req: &Request, env: &Env, origin: &Origin) -> Result<Response, JsValue> {
    let method = req.method();
    let url = req.url();
    let headers = req.headers();
    let has_range = headers.has("range").unwrap_or(true);
    let header = |name: &str| headers.get(name).ok().flatten();
    let (cookie, user_agent, referer, host) = (
        header("cookie"),
        header("user-agent"),
        header("referer"),
        header("host"),
    );
    let country = cf_country(req);
    let page = PageRequest {
        method: &method,
        path: path_of(&url),
        has_range,
        context: RequestContext {
            cookie_header: cookie.as_deref(),
            user_agent: user_agent.as_deref(),
            referer: referer.as_deref(),
            host: host.as_deref(),
            query: query_of(&url),
            country: country.as_deref(),
            global_privacy_control: header("sec-gpc").is_some_and(|v| v.trim() == "1"),
        },
    };
    if should_personalize(&page).is_err() {
        return origin.fetch(req)?.await;
    }

    let (config, warnings) = Config::from_vars(|name| env.var(name).ok().map(|v| v.to_string()));
    for warning in &warnings {
        worker::console_warn!("tailor: {}", warning);
    }
    let isolate = ISOLATE.with(Rc::clone);
    let fragments = isolate.fragments.get_or_init(|| config.fragment_cache());
    let kv = WorkerKv::from_env(env);
    let edge = Edge {
        config: &config,
        catalog: &isolate.catalog,
        fragments,
        kv: &kv,
        clock: &DateClock,
        timer: &DelayTimer,
        regex: &JsRegex,
    };
    // The origin request is sent now, before any catalog I/O is awaited.
    let origin_response = origin.fetch(req)?;
    let (response, prepared) = edge.serve(&page, origin_response).await;
    if let ProfileSource::Anonymous(Some(rejection)) = &prepared.visitor.source {
        // The reason and a count, never the cookie's value.
        let count = isolate.refused_cookies.record(*rejection);
        worker::console_log!(
            "tailor: profile cookie refused: {} ({count} in this isolate)",
            rejection.label()
        );
    }
    let response = response?;
    Ok(match dispose(prepared, &WebResponseHead(&response)) {
        Disposition::PassThrough => response,
        Disposition::Annotate { headers } => with_headers(&response, &headers).unwrap_or(response),
        Disposition::Rewrite { plan, headers } => {
            let Ok(edited) = with_headers(&response, &headers) else {
                return Ok(response);
            };
            if method.eq_ignore_ascii_case("HEAD") || edited.body().is_none() {
                edited
            } else {
                rewriter::apply(&plan, &edited).unwrap_or(edited)
            }
        }
    })
}

/// A copy of `response` (same body stream, not read) with `edits` applied.
fn with_headers(response: &Response, edits: &[HeaderEdit]) -> Result<Response, JsValue> {
    let headers = Headers::new_with_headers(&response.headers())?;
    for edit in edits {
        match edit {
            HeaderEdit::Set(name, value) => headers.set(name, value)?,
            HeaderEdit::Append(name, value) => headers.append(name, value)?,
            HeaderEdit::Remove(name) => headers.delete(name)?,
        }
    }
    let init = ResponseInit::new();
    init.set_status(response.status());
    init.set_status_text(&response.status_text());
    init.set_headers(&headers);
    Response::new_with_opt_readable_stream_and_init(response.body().as_ref(), &init)
}

fn bad_gateway() -> worker::Result<Response> {
    let init = ResponseInit::new();
    init.set_status(502);
    let headers = Headers::new()?;
    headers.set("content-type", "text/plain; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    init.set_headers(&headers);
    Ok(Response::new_with_opt_str_and_init(
        Some("Bad gateway: the origin could not be reached.\n"),
        &init,
    )?)
}

fn describe(error: &JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            js_sys::Reflect::get(error, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "unknown error".to_owned())
}
