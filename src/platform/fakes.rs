//! In-memory implementations of the platform traits, for tests, benches and
//! the CLI (which renders pages natively exactly as the edge would).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;

use super::{Clock, Kv, KvError, KvWrite, KvWriteError, ResponseHead, Timer};

/// How a [`MemoryKv`] answers for one key, beyond plain storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvFault {
    /// The read fails with this message.
    Fail(String),
    /// The read never completes (a store slower than any budget).
    Hang,
}

/// A key-value store in memory, with injectable faults per key.
#[derive(Debug, Default)]
pub struct MemoryKv {
    values: RefCell<HashMap<String, String>>,
    faults: RefCell<HashMap<String, KvFault>>,
    reads: RefCell<Vec<String>>,
    writes: RefCell<Vec<String>>,
    failing_writes: RefCell<Vec<String>>,
}

impl MemoryKv {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `entries`.
    pub fn with_entries<I: IntoIterator<Item = (String, String)>>(entries: I) -> Self {
        let kv = Self::new();
        kv.values.borrow_mut().extend(entries);
        kv
    }

    /// Stores `value` under `key`.
    pub fn put(&self, key: &str, value: &str) {
        self.values.borrow_mut().insert(key.to_owned(), value.to_owned());
    }

    /// Deletes `key`.
    pub fn delete(&self, key: &str) {
        self.values.borrow_mut().remove(key);
    }

    /// Makes every later read of `key` behave as `fault`.
    pub fn inject(&self, key: &str, fault: KvFault) {
        self.faults.borrow_mut().insert(key.to_owned(), fault);
    }

    /// Removes every injected fault.
    pub fn heal(&self) {
        self.faults.borrow_mut().clear();
    }

    /// Every key read so far, in order.
    pub fn reads(&self) -> Vec<String> {
        self.reads.borrow().clone()
    }

    /// Makes every later write or delete of a key starting with `prefix` fail.
    pub fn fail_writes(&self, prefix: &str) {
        self.failing_writes.borrow_mut().push(prefix.to_owned());
    }

    /// Every key written or deleted through [`KvWrite`] so far, in order.
    pub fn writes(&self) -> Vec<String> {
        self.writes.borrow().clone()
    }

    /// Every key and value, sorted by key (to compare whole stores).
    pub fn snapshot(&self) -> Vec<(String, String)> {
        let mut entries: Vec<_> = self
            .values
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        entries.sort();
        entries
    }

    fn write(&self, key: &str, value: Option<&str>) -> Result<(), KvWriteError> {
        self.writes.borrow_mut().push(key.to_owned());
        if self
            .failing_writes
            .borrow()
            .iter()
            .any(|p| key.starts_with(p.as_str()))
        {
            return Err(KvWriteError {
                key: key.to_owned(),
                reason: "injected write fault".to_owned(),
            });
        }
        match value {
            Some(value) => self.put(key, value),
            None => self.delete(key),
        }
        Ok(())
    }
}

impl KvWrite for MemoryKv {
    // The TTL is not simulated: tests that need expiry delete the key.
    fn put_text(
        &self,
        key: &str,
        value: &str,
        _ttl_s: Option<u32>,
    ) -> impl Future<Output = Result<(), KvWriteError>> {
        std::future::ready(self.write(key, Some(value)))
    }

    fn delete_key(&self, key: &str) -> impl Future<Output = Result<(), KvWriteError>> {
        std::future::ready(self.write(key, None))
    }
}

impl Kv for MemoryKv {
    fn get_text(&self, key: &str) -> impl Future<Output = Result<Option<String>, KvError>> {
        self.reads.borrow_mut().push(key.to_owned());
        let fault = self.faults.borrow().get(key).cloned();
        let value = self.values.borrow().get(key).cloned();
        let key = key.to_owned();
        async move {
            match fault {
                Some(KvFault::Fail(reason)) => Err(KvError { key, reason }),
                Some(KvFault::Hang) => std::future::pending().await,
                None => Ok(value),
            }
        }
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: Cell<f64>,
}

impl ManualClock {
    /// A clock reading `now_ms`.
    pub fn at(now_ms: f64) -> Self {
        Self {
            now: Cell::new(now_ms),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, ms: f64) {
        self.now.set(self.now.get() + ms);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> f64 {
        self.now.get()
    }
}

/// A timer whose sleeps complete as soon as they are polled: anything that is
/// not ready at once loses a race against it, so a hanging fake models
/// "slower than the budget" deterministically.
#[derive(Debug, Default, Clone, Copy)]
pub struct InstantTimer;

impl Timer for InstantTimer {
    fn sleep(&self, _ms: u32) -> impl Future<Output = ()> {
        std::future::ready(())
    }
}

/// A timer that never fires: for tests where the budget must not interfere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NeverTimer;

impl Timer for NeverTimer {
    fn sleep(&self, _ms: u32) -> impl Future<Output = ()> {
        std::future::pending()
    }
}

/// An origin response held in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl MemoryResponse {
    /// A 200 response with a `text/html; charset=utf-8` body.
    pub fn html(body: &str) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".to_owned(), "text/html; charset=utf-8".to_owned())],
            body: body.as_bytes().to_vec(),
        }
    }
}

impl ResponseHead for MemoryResponse {
    fn status(&self) -> u16 {
        self.status
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}
