//! Reaching the origin: a configured URL, the static-assets binding (the demo
//! under `wrangler dev`), or the route's own origin (production default).

use std::future::Future;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, RequestRedirect, Response};
use worker::Env;

/// The var naming the origin's base URL (`https://origin.example.com`).
pub const ORIGIN_URL_VAR: &str = "ORIGIN_URL";
/// The static-assets binding used as origin when no URL is configured.
pub const ASSETS_BINDING: &str = "ASSETS";

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`.
    #[wasm_bindgen(js_name = fetch, catch)]
    pub fn global_fetch(request: &Request) -> Result<Promise, JsValue>;

    /// Any binding with a `fetch(request)` method (assets, services).
    #[derive(Clone)]
    pub type FetchBinding;
    #[wasm_bindgen(method, catch, js_name = fetch)]
    fn fetch(this: &FetchBinding, request: &Request) -> Result<Promise, JsValue>;
}

/// Where page requests go.
pub enum Origin {
    /// A base URL; the request's path and query are appended.
    Url(String),
    /// A binding with `fetch` (the static-assets binding in `wrangler dev`).
    Binding(FetchBinding),
    /// The request's own URL: on a route, that is the zone's origin.
    Route,
}

impl Origin {
    /// `ORIGIN_URL` if set, else the `ASSETS` binding if bound, else the route.
    pub fn from_env(env: &Env) -> Self {
        if let Some(url) = env
            .var(ORIGIN_URL_VAR)
            .ok()
            .map(|v| v.to_string())
            .filter(|u| !u.is_empty())
        {
            return Self::Url(url.trim_end_matches('/').to_owned());
        }
        match fetch_binding(env, ASSETS_BINDING) {
            Some(binding) => Self::Binding(binding),
            None => Self::Route,
        }
    }

    /// Sends `req` to the origin now; the returned future resolves to its
    /// response. Redirects are passed back to the browser, not followed.
    pub fn fetch(&self, req: &Request) -> Result<impl Future<Output = Result<Response, JsValue>>, JsValue> {
        let promise = match self {
            Self::Url(base) => global_fetch(&rebase(req, base)?)?,
            Self::Binding(binding) => binding.fetch(req)?,
            Self::Route => global_fetch(req)?,
        };
        let pending = JsFuture::from(promise);
        Ok(async move { pending.await.map(JsCast::unchecked_into) })
    }
}

/// The binding `name` if it is bound and has `fetch` (assets, services).
pub fn fetch_binding(env: &Env, name: &str) -> Option<FetchBinding> {
    js_sys::Reflect::get(env, &JsValue::from_str(name))
        .ok()
        .filter(JsValue::is_object)
        .map(JsCast::unchecked_into)
}

impl FetchBinding {
    /// Sends `req` through the binding unchanged (method, headers, body).
    pub async fn send(&self, req: &Request) -> Result<Response, JsValue> {
        JsFuture::from(self.fetch(req)?).await.map(JsCast::unchecked_into)
    }
}

/// `req` addressed to `base` + its path and query, redirects not followed.
fn rebase(req: &Request, base: &str) -> Result<Request, JsValue> {
    let url = req.url();
    let target = format!("{base}{}", crate::page::path_and_query_of(&url));
    let init = RequestInit::new();
    init.set_method(&req.method());
    init.set_headers(&req.headers());
    if let Some(body) = req.body() {
        init.set_body(&body);
    }
    init.set_redirect(RequestRedirect::Manual);
    Request::new_with_str_and_init(&target, &init)
}
