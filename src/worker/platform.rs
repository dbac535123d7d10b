//! The core's platform traits on Workers: KV, `Date.now()`, `setTimeout`.

use std::future::Future;

#[cfg(not(feature = "control"))]
use web_sys::Response;
use worker::kv::KvStore;
use worker::Env;

#[cfg(not(feature = "control"))]
use crate::platform::ResponseHead;
use crate::platform::{Clock, Kv, KvError};

/// The KV binding that holds the catalog.
pub const CATALOG_BINDING: &str = "CATALOG";

/// Workers KV through the `CATALOG` binding.
#[derive(Clone)]
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

#[cfg(feature = "control")]
impl crate::platform::KvWrite for WorkerKv {
    fn put_text(
        &self,
        key: &str,
        value: &str,
        ttl_s: Option<u32>,
    ) -> impl Future<Output = Result<(), crate::platform::KvWriteError>> {
        let store = self.0.clone();
        let key = key.to_owned();
        let value = value.to_owned();
        async move {
            let fail = |reason: String| crate::platform::KvWriteError {
                key: key.clone(),
                reason,
            };
            let store = store.ok_or_else(|| fail(format!("no KV binding `{CATALOG_BINDING}`")))?;
            let mut put = store.put(&key, value).map_err(|e| fail(e.to_string()))?;
            if let Some(ttl) = ttl_s {
                put = put.expiration_ttl(u64::from(ttl));
            }
            put.execute().await.map_err(|e| fail(e.to_string()))
        }
    }

    fn delete_key(&self, key: &str) -> impl Future<Output = Result<(), crate::platform::KvWriteError>> {
        let store = self.0.clone();
        let key = key.to_owned();
        async move {
            let Some(store) = store else {
                return Err(crate::platform::KvWriteError {
                    key,
                    reason: format!("no KV binding `{CATALOG_BINDING}`"),
                });
            };
            let result = store.delete(&key).await;
            result.map_err(|e| crate::platform::KvWriteError {
                key,
                reason: e.to_string(),
            })
        }
    }
}

/// `Date.now()`.
#[derive(Clone, Copy)]
pub struct DateClock;

impl Clock for DateClock {
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }
}

/// `setTimeout`, through the `worker` crate's `Delay`.
#[cfg(not(feature = "control"))]
#[derive(Clone, Copy)]
pub struct DelayTimer;

#[cfg(not(feature = "control"))]
impl crate::platform::Timer for DelayTimer {
    fn sleep(&self, ms: u32) -> impl Future<Output = ()> {
        worker::Delay::from(std::time::Duration::from_millis(u64::from(ms)))
    }
}

/// The status and headers of a `web_sys::Response`.
#[cfg(not(feature = "control"))]
pub struct WebResponseHead<'a>(pub &'a Response);

#[cfg(not(feature = "control"))]
impl ResponseHead for WebResponseHead<'_> {
    fn status(&self) -> u16 {
        self.0.status()
    }

    fn header(&self, name: &str) -> Option<String> {
        self.0.headers().get(name).ok().flatten()
    }
}
