//! The core's platform traits on Workers: KV, `Date.now()`, `setTimeout`.

use std::future::Future;
use std::time::Duration;

use web_sys::Response;
use worker::kv::KvStore;
use worker::{Delay, Env};

use crate::platform::{Clock, Kv, KvError, ResponseHead, Timer};

/// The KV binding that holds the catalog.
pub const CATALOG_BINDING: &str = "CATALOG";

/// Workers KV through the `CATALOG` binding.
pub struct WorkerKv(Option<KvStore>);

impl WorkerKv {
    /// The `CATALOG` binding, or a store whose every read fails when unbound.
    pub fn from_env(env: &Env) -> Self {
        Self(env.kv(CATALOG_BINDING).ok())
    }
}

impl Kv for WorkerKv {
    fn get_text(&self, key: &str) -> impl Future<Output = Result<Option<String>, KvError>> {
        let store = self.0.clone();
        let key = key.to_owned();
        async move {
            let Some(store) = store else {
                return Err(KvError {
                    key,
                    reason: format!("no KV binding `{CATALOG_BINDING}`"),
                });
            };
            let result = store.get(&key).text().await;
            result.map_err(|e| KvError {
                key,
                reason: e.to_string(),
            })
        }
    }
}

/// `Date.now()`.
pub struct DateClock;

impl Clock for DateClock {
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }
}

/// `setTimeout`, through the `worker` crate's `Delay`.
pub struct DelayTimer;

impl Timer for DelayTimer {
    fn sleep(&self, ms: u32) -> impl Future<Output = ()> {
        Delay::from(Duration::from_millis(u64::from(ms)))
    }
}

/// The status and headers of a `web_sys::Response`.
pub struct WebResponseHead<'a>(pub &'a Response);

impl ResponseHead for WebResponseHead<'_> {
    fn status(&self) -> u16 {
        self.0.status()
    }

    fn header(&self, name: &str) -> Option<String> {
        self.0.headers().get(name).ok().flatten()
    }
}
