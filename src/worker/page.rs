//! The page worker: pages, `/__tailor/` endpoints, OFREP. It reaches the
//! origin ([`super::origin`]) and drives workerd's native `HTMLRewriter`
//! ([`super::rewriter`]). Every path ends in a response: the origin's own
//! when anything of ours fails.

use std::cell::OnceCell;
use std::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::{Headers, Request, Response, ResponseInit};
use worker::{event, Context, Env};

use super::generation::{ControlSanitizer, HttpGenerator, WaitUntil, WorkerCache};
use super::http::to_response;
use super::origin::{fetch_binding, Origin};
use super::platform::{DateClock, DelayTimer, WebResponseHead, WorkerKv};
use super::regex::JsRegex;
use super::rewriter;
use super::sink;
use super::vars::ParsedVars;
use crate::api::{self, ApiResponse, Route};
use crate::catalog::CatalogStore;
use crate::config::{Config, VARS};
use crate::events::{self, RateLimiter};
use crate::fragments::generate::GeneratorState;
use crate::fragments::FragmentCache;
use crate::ofrep::{self, OfrepRoute};
use crate::page::{
    dispose, path_of, query_of, should_personalize, Disposition, Edge, Generation, HeaderEdit, PageRequest,
};
use crate::platform::Clock;
use crate::profile::{preview_enabled, resolve, PreviewKeys, ProfileSource, RejectionCounts, RequestContext};
use wasm_bindgen_futures::JsFuture;

/// What an isolate keeps between requests: immutable, content-keyed data only.
struct Isolate {
    catalog: Rc<CatalogStore>,
    fragments: OnceCell<Rc<FragmentCache>>,
    generation: Rc<GeneratorState>,
    /// Conversion beacons: bursts of 200, 100 per second on average.
    beacons: RateLimiter,
    refused_cookies: RejectionCounts,
}

thread_local! {
    static ISOLATE: Rc<Isolate> = Rc::new(Isolate {
        catalog: Rc::new(CatalogStore::new()),
        fragments: OnceCell::new(),
        generation: Rc::new(GeneratorState::new()),
        beacons: RateLimiter::new(200, 100),
        refused_cookies: RejectionCounts::default(),
    });
}

/// A `request.cf` property, when the platform provides it.
fn cf_value(req: &Request, name: &str) -> Option<JsValue> {
    let cf = js_sys::Reflect::get(req, &"cf".into())
        .ok()
        .filter(|cf| cf.is_object())?;
    js_sys::Reflect::get(&cf, &name.into()).ok()
}

fn cf_string(req: &Request, name: &str) -> Option<String> {
    cf_value(req, name)?.as_string()
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let origin = Origin::from_env(&env);
    match serve(&req, &env, &ctx, &origin).await {
        Ok(response) => Ok(response),
        // The origin itself could not be reached: there is no page to serve.
        Err(error) => {
            worker::console_error!("tailor: origin fetch failed: {}", describe(&error));
            bad_gateway()
        }
    }
}

/// The request headers the profile and routing read, owned.
#[derive(Clone)]
struct RequestFacts {
    method: String,
    url: String,
    cookie: Option<String>,
    user_agent: Option<String>,
    referer: Option<String>,
    host: Option<String>,
    preview_key: Option<String>,
    origin: Option<String>,
    api_key: Option<String>,
    authorization: Option<String>,
    if_none_match: Option<String>,
    country: Option<String>,
    asn: Option<u32>,
    as_organization: Option<String>,
    gpc: bool,
}

impl RequestFacts {
    /// Everything else, once routing has shown the request needs it.
    fn read(req: &Request, method: String, url: String) -> Self {
        let headers = req.headers();
        let header = |name: &str| headers.get(name).ok().flatten();
        Self {
            method,
            url,
            cookie: header("cookie"),
            user_agent: header("user-agent"),
            referer: header("referer"),
            host: header("host"),
            preview_key: header("x-tailor-preview-key"),
            origin: header("origin"),
            api_key: header("x-api-key"),
            authorization: header("authorization"),
            if_none_match: header("if-none-match"),
            country: cf_string(req, "country"),
            asn: cf_value(req, "asn")
                .and_then(|v| v.as_f64())
                .filter(|n| (0.0..4.3e9).contains(n))
                .map(|n| n as u32),
            as_organization: cf_string(req, "asOrganization"),
            gpc: header("sec-gpc").is_some_and(|v| v.trim() == "1"),
        }
    }

    fn context<'a>(&'a self, preview: Option<&'a PreviewKeys>) -> RequestContext<'a> {
        RequestContext {
            cookie_header: self.cookie.as_deref(),
            user_agent: self.user_agent.as_deref(),
            referer: self.referer.as_deref(),
            host: self.host.as_deref(),
            query: query_of(&self.url),
            country: self.country.as_deref(),
            global_privacy_control: self.gpc,
            preview,
            asn: self.asn,
            as_organization: self.as_organization.as_deref(),
        }
    }

    /// In `wrangler dev` and tests only (`TAILOR_DEV_OVERRIDES = "on"`):
    /// `X-Tailor-Dev-Cf-Asn`, `-As-Organization`, `-Country` stand in for the
    /// `request.cf` values the local runtime cannot know. Production ignores them.
    fn with_dev_overrides(mut self, config: &Config, req: &Request) -> Self {
        if !config.dev_overrides {
            return self;
        }
        let headers = req.headers();
        let header = |name: &str| headers.get(name).ok().flatten();
        if let Some(asn) = header("x-tailor-dev-cf-asn").and_then(|v| v.trim().parse().ok()) {
            self.asn = Some(asn);
        }
        if let Some(org) = header("x-tailor-dev-cf-as-organization") {
            self.as_organization = Some(org);
        }
        if let Some(country) = header("x-tailor-dev-cf-country") {
            self.country = Some(country);
        }
        self
    }

    fn secure(&self) -> bool {
        self.url.starts_with("https:")
    }
}

thread_local! {
    static CONFIG: ParsedVars<Config> = const { ParsedVars::new() };
}

fn read_config(env: &Env) -> Rc<Config> {
    CONFIG.with(|parsed| parsed.get(env, VARS, |var| Config::from_vars(var)))
}

async fn serve(req: &Request, env: &Env, ctx: &Context, origin: &Origin) -> Result<Response, JsValue> {
    #[cfg(feature = "fault-injection")]
    super::fault::before_serve(req);
    // Routing needs the method and URL only: a static asset goes to the
    // origin before any header or `cf` value is copied out of the request.
    let (method, url) = (req.method(), req.url());
    let path = path_of(&url);
    let facts = || RequestFacts::read(req, method.clone(), url.clone());
    if let Some(route) = ofrep::route(&method, path) {
        let facts = facts();
        let config = read_config(env);
        let preflight = route == Ok(OfrepRoute::Preflight);
        let mut response = match route {
            Ok(route) => serve_ofrep(route, req, env, ctx, &facts, &config).await,
            Err(response) => response,
        };
        response.headers.extend(ofrep::cors_headers(
            facts.origin.as_deref(),
            &config.ofrep_cors_origins,
            preflight,
        ));
        return to_response(&response);
    }
    if crate::publish::is_push_path(path) {
        return forward_to_control(req, env).await;
    }
    if let Some(route) = api::route(&method, path) {
        let response = match route {
            Ok(route) => serve_api(route, req, env, ctx, &facts()).await,
            Err(response) => response,
        };
        return to_response(&response);
    }
    // The request's context is read only for a page that may be personalized.
    let probe = PageRequest {
        method: &method,
        path,
        has_range: req.headers().has("range").unwrap_or(true),
        record_visit: true,
        context: RequestContext::default(),
    };
    if should_personalize(&probe).is_err() {
        return origin.fetch(req)?.await;
    }
    let facts = facts();

    let config = read_config(env);
    let seen = facts.clone().with_dev_overrides(&config, req);
    let isolate = ISOLATE.with(Rc::clone);
    let platform = RequestPlatform::new(env, ctx, &config);
    let edge = edge(&config, &isolate, &platform);
    let preview = preview_keys(&config, &seen);
    let page = PageRequest {
        context: seen.context(preview),
        ..probe
    };
    // The origin request is sent now, before any catalog I/O is awaited.
    let origin_response = origin.fetch(req)?;
    let fallbacks_before: u64 = isolate.generation.fallbacks().values().sum();
    let (response, prepared) = edge.serve(&page, origin_response).await;
    count_refusal(&isolate, &prepared.visitor.source);
    let fallbacks = isolate.generation.fallbacks();
    if crosses_power_of_two(fallbacks_before, fallbacks.values().sum()) {
        // Counts by reason, per isolate (each request's own are in Server-Timing).
        worker::console_log!("tailor: generator fallbacks in this isolate: {:?}", fallbacks);
    }
    let exposures = match (config.site.as_deref(), config.events_url.is_some()) {
        (Some(site), true) => events::exposures(&prepared, site, path, DateClock.now_ms().max(0.0) as u64),
        _ => Vec::new(),
    };
    let response = response?;
    Ok(match dispose(prepared, &WebResponseHead(&response)) {
        Disposition::PassThrough => response,
        Disposition::Annotate { headers } => with_headers(&response, &headers).unwrap_or(response),
        Disposition::Rewrite { plan, headers } => {
            let Ok(edited) = with_headers(&response, &headers) else {
                return Ok(response);
            };
            #[cfg(feature = "fault-injection")]
            let edited = super::fault::trap_in_stream(req, edited)?;
            // Only a page that is really personalized counts as an exposure.
            sink::send_after_response(ctx, config.events_url.as_deref(), &exposures);
            if facts.method.eq_ignore_ascii_case("HEAD") || edited.body().is_none() {
                edited
            } else {
                rewriter::apply(&plan, &edited, config.rewrite_guard).unwrap_or(edited)
            }
        }
    })
}

/// The control worker's service binding (publish, rollback).
const CONTROL_BINDING: &str = "CONTROL";

/// Publish and rollback run in the control worker, which holds the
/// sanitizer and KV write access; the request goes there unchanged, so its
/// signature still covers the same method, path and body.
async fn forward_to_control(req: &Request, env: &Env) -> Result<Response, JsValue> {
    match fetch_binding(env, CONTROL_BINDING) {
        Some(control) => match control.send(req).await {
            Ok(response) => Ok(response),
            Err(error) => {
                worker::console_error!("tailor: control worker failed: {}", describe(&error));
                to_response(&ApiResponse::error(502, "the control worker did not answer"))
            }
        },
        None => to_response(&ApiResponse::error(
            404,
            "publishing is not enabled on this worker: bind the control worker as CONTROL",
        )),
    }
}

/// One request's handles on the platform.
struct RequestPlatform<'a> {
    kv: WorkerKv,
    cache: WorkerCache,
    background: WaitUntil<'a>,
    /// The generator and the sanitizer its answers go through; both are
    /// needed (no generated HTML is served unsanitized).
    generation: Option<(HttpGenerator, ControlSanitizer)>,
}

impl<'a> RequestPlatform<'a> {
    fn new(env: &Env, ctx: &'a Context, config: &Config) -> Self {
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
            background: WaitUntil(ctx),
            generation,
        }
    }
}

/// The core's flow over this isolate's memory and the Workers platform.
fn edge<'a>(
    config: &'a Config,
    isolate: &'a Isolate,
    platform: &'a RequestPlatform<'_>,
) -> Edge<'a, WorkerKv, DateClock, DelayTimer, WorkerCache, HttpGenerator, ControlSanitizer> {
    Edge {
        config,
        catalog: &isolate.catalog,
        fragments: isolate.fragments.get_or_init(|| config.fragment_cache()),
        cache: &platform.cache,
        background: &platform.background,
        generation: platform
            .generation
            .as_ref()
            .map(|(generator, sanitizer)| Generation {
                generator,
                sanitizer,
                state: &isolate.generation,
            }),
        kv: &platform.kv,
        clock: &DateClock,
        timer: &DelayTimer,
        regex: &JsRegex,
    }
}

/// The preview keys when preview is on for this request.
fn preview_keys<'a>(config: &'a Config, facts: &RequestFacts) -> Option<&'a PreviewKeys> {
    let keys = config.preview_keys.as_ref();
    let on = preview_enabled(
        keys,
        config.preview_mode,
        facts.preview_key.as_deref(),
        facts.cookie.as_deref(),
    );
    keys.filter(|_| on)
}

/// Whether a count went past 1, 2, 4, 8…: per-isolate counters are logged
/// then, not on every request (a client sending bad cookies on purpose
/// must not fill the logs).
fn crosses_power_of_two(before: u64, after: u64) -> bool {
    after > before && (before == 0 || after.ilog2() > before.ilog2())
}

fn count_refusal(isolate: &Isolate, source: &ProfileSource) {
    if let ProfileSource::Anonymous(Some(rejection)) = source {
        // The reason and a count, never the cookie's value.
        let count = isolate.refused_cookies.record(*rejection);
        if !crosses_power_of_two(count.saturating_sub(1), count) {
            return;
        }
        worker::console_log!(
            "tailor: profile cookie refused: {} ({count} in this isolate)",
            rejection.label()
        );
    }
}

/// `/__tailor/…`: our own endpoints. Never the origin's.
async fn serve_api(
    route: Route,
    req: &Request,
    env: &Env,
    ctx: &Context,
    facts: &RequestFacts,
) -> ApiResponse {
    let config = read_config(env);
    let facts = &facts.clone().with_dev_overrides(&config, req);
    let preview = preview_keys(&config, facts);
    let query = query_of(&facts.url);
    if route.is_preview() && preview.is_none() {
        // Production: presenting the key once starts a session for this browser.
        let presented = api::form_value(query, "key");
        return match (route, &config.preview_keys, presented) {
            (Route::Preview, Some(keys), Some(key)) if keys.is_key(&key) => {
                api::start_session(keys, facts.secure())
            }
            _ => ApiResponse::error(404, "preview is not enabled"),
        };
    }
    let isolate = ISOLATE.with(Rc::clone);
    let platform = RequestPlatform::new(env, ctx, &config);
    let edge = edge(&config, &isolate, &platform);
    let now_s = (DateClock.now_ms() / 1000.0) as u64;
    let prepare = |path: String| {
        let context = facts.context(preview);
        let edge = &edge;
        async move {
            let page = PageRequest {
                method: "GET",
                path: &path,
                has_range: false,
                context,
                record_visit: false,
            };
            edge.prepare(&page, DateClock.now_ms()).await
        }
    };
    let page_path = || {
        api::form_value(query, "path")
            .filter(|p| p.starts_with('/') && p.len() <= 1024)
            .unwrap_or_else(|| "/".to_owned())
    };
    match route {
        Route::Decide => {
            let path = page_path();
            let prepared = prepare(path.clone()).await;
            api::decide_json(&prepared, &path)
        }
        Route::Why => api::why_page(&prepare(page_path()).await),
        Route::WhyChoice => match read_form(req).await {
            Some(form) => api::why_choice(&form, facts.secure()),
            None => ApiResponse::error(413, "form too large"),
        },
        Route::Preview => api::preview_page(&prepare("/".to_owned()).await, &config.preview_stylesheets),
        Route::PreviewScript => api::preview_script(),
        Route::EventsScript => api::events_script(),
        Route::Event => {
            let Some(body) = read_body(req, events::MAX_BEACON_BYTES).await else {
                return ApiResponse::error(413, "beacon too large");
            };
            let beacon = match events::parse_beacon(&body) {
                Ok(beacon) => beacon,
                Err(e) => return ApiResponse::error(400, &e.to_string()),
            };
            if !isolate.beacons.allow(DateClock.now_ms()) {
                let mut limited = ApiResponse::error(429, "too many beacons");
                limited.headers.push(("retry-after", "1".to_owned()));
                return limited;
            }
            if let (Some(site), Some(url)) = (config.site.as_deref(), config.events_url.as_deref()) {
                let prepared = prepare(beacon.path.clone()).await;
                let now = DateClock.now_ms().max(0.0) as u64;
                let conversions = events::conversions(&beacon, &prepared, site, now);
                sink::send_after_response(ctx, Some(url), &conversions);
            }
            ApiResponse {
                status: 204,
                headers: vec![("cache-control", "no-store".to_owned())],
                body: String::new(),
            }
        }
        Route::PreviewGallery => api::gallery_json(&edge.gallery().await),
        Route::PreviewProfile | Route::PreviewForce => {
            let (Some(keys), Some(form)) = (preview, read_form(req).await) else {
                return ApiResponse::error(413, "form too large");
            };
            if route == Route::PreviewProfile {
                api::set_preview_profile(&form, keys, now_s, facts.secure())
            } else {
                api::set_forced(&form, keys, facts.cookie.as_deref(), facts.secure())
            }
        }
    }
}

/// `/ofrep/v1/…`: blocks as OpenFeature flags.
async fn serve_ofrep(
    route: OfrepRoute,
    req: &Request,
    env: &Env,
    ctx: &Context,
    facts: &RequestFacts,
    config: &Config,
) -> ApiResponse {
    let facts = &facts.clone().with_dev_overrides(config, req);
    let key = match &route {
        OfrepRoute::Preflight => {
            return ApiResponse {
                status: 204,
                headers: Vec::new(),
                body: String::new(),
            }
        }
        OfrepRoute::Configuration => return ofrep::configuration(),
        OfrepRoute::Single(key) => Some(key.as_str()),
        OfrepRoute::Bulk => None,
    };
    let Some(body) = read_body(req, ofrep::MAX_BODY_BYTES).await else {
        let error = ofrep::BodyError {
            code: "PARSE_ERROR",
            details: "request body is larger than 16 KiB",
        };
        return ofrep::body_error(&error, key);
    };
    let context = match ofrep::parse_context(&body) {
        Ok(context) => context,
        Err(error) => return ofrep::body_error(&error, key),
    };
    let trusted = ofrep::presents_api_key(
        &config.ofrep_keys,
        facts.api_key.as_deref(),
        facts.authorization.as_deref(),
    );
    let visitor = if trusted {
        ofrep::server_visitor(&context)
    } else {
        // A browser or app: the visitor's own profile, as the page would see it.
        let now_s = (DateClock.now_ms() / 1000.0) as u64;
        let mut visitor = resolve(
            &facts.context(preview_keys(config, facts)),
            &config.profile,
            now_s,
        );
        ofrep::add_client_context(&mut visitor, &context);
        visitor
    };
    let isolate = ISOLATE.with(Rc::clone);
    let platform = RequestPlatform::new(env, ctx, config);
    let edge = edge(config, &isolate, &platform);
    match (edge.decide_all(&visitor).await, key) {
        (Ok((catalog, decisions)), None) => ofrep::bulk(&catalog, &decisions, facts.if_none_match.as_deref()),
        (Ok((catalog, decisions)), Some(key)) => ofrep::single(key, &catalog, &decisions),
        (Err(reason), key) => {
            worker::console_warn!("tailor: OFREP evaluation unavailable: {reason}");
            ofrep::unavailable(key)
        }
    }
}

/// A body of at most `max` bytes, or `None` when it is larger.
async fn read_body(req: &Request, max: usize) -> Option<String> {
    let length = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|l| l.parse::<usize>().ok());
    if length.is_some_and(|l| l > max) {
        return None;
    }
    let text = JsFuture::from(req.text().ok()?).await.ok()?.as_string()?;
    (text.len() <= max).then_some(text)
}

/// A small form body, or `None` when it is larger than we accept.
async fn read_form(req: &Request) -> Option<String> {
    read_body(req, api::MAX_FORM_BYTES).await
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
