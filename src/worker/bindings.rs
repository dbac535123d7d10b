//! What both workers read of the platform: the `CATALOG` KV namespace
//! (written only by the control worker), `Date.now()` and `setTimeout`.

use std::future::Future;

use worker::kv::KvStore;
use worker::Env;

use crate::platform::{Clock, Kv, KvError};
#[cfg(feature = "control")]
use crate::platform::{KvWrite, KvWriteError};

/// The KV binding that holds the catalog.
pub const CATALOG_BINDING: &str = "CATALOG";

/// Workers KV through the `CATALOG` binding; every read fails when unbound.
#[derive(Clone)]
pub struct WorkerKv(pub Option<KvStore>);

impl WorkerKv {
    /// The `CATALOG` binding.
    pub fn from_env(env: &Env) -> Self {
        Self(env.kv(CATALOG_BINDING).ok())
    }

    /// The store, or why there is none.
    pub fn store(&self) -> Result<&KvStore, String> {
        self.0
            .as_ref()
            .ok_or_else(|| format!("no KV binding `{CATALOG_BINDING}`"))
    }
}

impl Kv for WorkerKv {
    fn get_text(&self, key: &str) -> impl Future<Output = Result<Option<String>, KvError>> {
        let read = self.store().map(|store| store.get(key).text());
        let key = key.to_owned();
        async move {
            let fail = |reason: String| KvError {
                key: key.clone(),
                reason,
            };
            read.map_err(&fail)?.await.map_err(|e| fail(e.to_string()))
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

#[cfg(feature = "control")]
impl KvWrite for WorkerKv {
    fn put_text(
        &self,
        key: &str,
        value: &str,
        ttl_s: Option<u32>,
    ) -> impl Future<Output = Result<(), KvWriteError>> {
        let put = self.store().and_then(|store| {
            let put = store.put(key, value.to_owned()).map_err(|e| e.to_string())?;
            Ok(match ttl_s {
                Some(ttl) => put.expiration_ttl(u64::from(ttl)),
                None => put,
            })
        });
        let key = key.to_owned();
        async move {
            let fail = |reason: String| KvWriteError {
                key: key.clone(),
                reason,
            };
            put.map_err(&fail)?
                .execute()
                .await
                .map_err(|e| fail(e.to_string()))
        }
    }

    fn delete_key(&self, key: &str) -> impl Future<Output = Result<(), KvWriteError>> {
        let store = self.store().cloned();
        let key = key.to_owned();
        async move {
            let fail = |reason: String| KvWriteError {
                key: key.clone(),
                reason,
            };
            store
                .map_err(&fail)?
                .delete(&key)
                .await
                .map_err(|e| fail(e.to_string()))
        }
    }
}
