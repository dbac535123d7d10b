//! What both workers read of the platform: the `CATALOG` KV namespace
//! (written only by the control worker), `Date.now()` and `setTimeout`.

use std::future::Future;

use wasm_bindgen::JsValue;
use worker::Env;

use super::io::{binding, describe, kv_get, settle};
use crate::platform::{Clock, Kv, KvError};

/// The KV binding that holds the catalog.
pub const CATALOG_BINDING: &str = "CATALOG";

/// Workers KV through the `CATALOG` binding; every call fails when unbound.
#[derive(Clone)]
pub struct WorkerKv(Option<JsValue>);

impl WorkerKv {
    /// The `CATALOG` binding.
    pub fn from_env(env: &Env) -> Self {
        Self(binding(env.as_ref(), CATALOG_BINDING).map(JsValue::from))
    }

    /// Starts one KV call now; `None` when unbound.
    fn start(&self, call: impl FnOnce(&JsValue) -> js_sys::Promise) -> Option<js_sys::Promise> {
        self.0.as_ref().map(call)
    }
}

/// A KV call's value; `Err` says what failed (never the value).
async fn finish(call: Option<js_sys::Promise>) -> Result<JsValue, String> {
    let call = call.ok_or_else(|| format!("no KV binding `{CATALOG_BINDING}`"))?;
    settle(call).await.map_err(|e| describe(&e))
}

impl Kv for WorkerKv {
    fn get_text(&self, key: &str) -> impl Future<Output = Result<Option<String>, KvError>> {
        let read = finish(self.start(|kv| kv_get(kv, key)));
        let key = key.to_owned();
        async move {
            read.await
                .map(|v| v.as_string())
                .map_err(|reason| KvError { key, reason })
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
        let write = finish(self.start(|kv| super::io::kv_put(kv, key, value, ttl_s)));
        let key = key.to_owned();
        async move {
            write
                .await
                .map(drop)
                .map_err(|reason| crate::platform::KvWriteError { key, reason })
        }
    }

    fn delete_key(&self, key: &str) -> impl Future<Output = Result<(), crate::platform::KvWriteError>> {
        let delete = finish(self.start(|kv| super::io::kv_delete(kv, key)));
        let key = key.to_owned();
        async move {
            delete
                .await
                .map(drop)
                .map_err(|reason| crate::platform::KvWriteError { key, reason })
        }
    }
}

#[cfg(feature = "control")]
impl crate::publish::review::ReviewKv for WorkerKv {
    fn list_keys(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, KvError>> {
        // More than a review lists; the rest are left off.
        let max = 4 * crate::publish::review::MAX_LISTED as u32;
        let list = finish(self.start(|kv| super::io::kv_list(kv, prefix, max)));
        let key = prefix.to_owned();
        async move {
            let names = list.await.map_err(|reason| KvError { key, reason })?;
            Ok(js_sys::Array::from(&names)
                .iter()
                .filter_map(|name| name.as_string())
                .collect())
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

    /// From `Intl` (workerd carries the time zone database).
    fn utc_offset_min(&self, timezone: &str, at_s: u64) -> Option<i32> {
        super::io::utc_offset_minutes(timezone, at_s as f64 * 1000.0)
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
