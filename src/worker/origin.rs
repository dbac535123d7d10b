//! Reaching the origin the core names ([`crate::route::origin`]): a URL,
//! the static-assets binding, or the route's own; and service bindings.

use std::future::Future;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, RequestRedirect, Response};
use worker::Env;

use crate::route::{origin, rebased, OriginTarget};

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
pub struct Origin {
    target: OriginTarget,
    assets: Option<FetchBinding>,
}

impl Origin {
    /// `ORIGIN_URL`, the `ASSETS` binding or the route, as the core decides.
    pub fn from_env(env: &Env) -> Self {
        let url = env.var("ORIGIN_URL").ok().map(|v| v.to_string());
        let assets = fetch_binding(env, "ASSETS");
        Self {
            target: origin(url.as_deref(), assets.is_some()),
            assets,
        }
    }

    /// Sends `req` to the origin now; the returned future resolves to its
    /// response. Redirects are passed back to the browser, not followed.
    pub fn fetch(&self, req: &Request) -> Result<impl Future<Output = Result<Response, JsValue>>, JsValue> {
        let promise = match (&self.target, &self.assets) {
            (OriginTarget::Url(base), _) => global_fetch(&rebase(req, base)?)?,
            (OriginTarget::Assets, Some(assets)) => assets.fetch(req)?,
            _ => global_fetch(req)?,
        };
        let pending = JsFuture::from(promise);
        Ok(async move { pending.await.map(JsCast::unchecked_into) })
    }
}

/// The binding `name` if it is bound (assets, services).
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
    let init = RequestInit::new();
    init.set_method(&req.method());
    init.set_headers(&req.headers());
    if let Some(body) = req.body() {
        init.set_body(&body);
    }
    init.set_redirect(RequestRedirect::Manual);
    Request::new_with_str_and_init(&rebased(base, &req.url()), &init)
}
