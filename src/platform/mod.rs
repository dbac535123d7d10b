//! The side effects the core needs, each behind a small trait.
//!
//! The core never talks to Workers KV, the network or the clock directly: the
//! adapter (`src/worker/`) implements these traits on top of the platform, and
//! [`fakes`] implements them in memory for native tests, benches and the CLI.

pub mod fakes;

use std::future::Future;

use thiserror::Error;

/// A failed key-value read. The store, not the caller, is at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("KV read of `{key}` failed: {reason}")]
pub struct KvError {
    /// The key that could not be read.
    pub key: String,
    /// What the store reported.
    pub reason: String,
}

/// Read access to the key-value store that holds the catalog (Workers KV).
pub trait Kv {
    /// Reads `key` as text; `Ok(None)` when the key does not exist.
    fn get_text(&self, key: &str) -> impl Future<Output = Result<Option<String>, KvError>>;
}

/// A failed key-value write. The store is at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("KV write of `{key}` failed: {reason}")]
pub struct KvWriteError {
    /// The key that could not be written or deleted.
    pub key: String,
    /// What the store reported.
    pub reason: String,
}

/// Write access to Workers KV: only the publisher (control worker, CLI) has it.
pub trait KvWrite: Kv {
    /// Stores `value` under `key`; with `ttl_s`, KV forgets it after that many
    /// seconds (Workers KV's minimum is 60).
    fn put_text(
        &self,
        key: &str,
        value: &str,
        ttl_s: Option<u32>,
    ) -> impl Future<Output = Result<(), KvWriteError>>;
    /// Deletes `key` (no error when it does not exist).
    fn delete_key(&self, key: &str) -> impl Future<Output = Result<(), KvWriteError>>;
}

/// The per-location HTTP cache (the Workers Cache API), holding fragment
/// HTML by URL-shaped key. Failures are misses: it is only a cache.
pub trait Cache: Clone + 'static {
    /// The cached text for `key`, if present and fresh.
    fn get_text(&self, key: &str) -> impl Future<Output = Option<String>>;
    /// Caches `value` under `key` for `ttl_s` seconds.
    fn put_text(&self, key: &str, value: &str, ttl_s: u32) -> impl Future<Output = ()>;
}

/// A request to the origin's generator: only the segment's labels, never
/// anything personal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    /// The site.
    pub site: String,
    /// The block.
    pub block: String,
    /// The variant the decision chose (its precomputed HTML is the fallback).
    pub variant: String,
    /// The catalog version.
    pub catalog_version: String,
    /// Segment labels (`industry`, `role`, `company_size`, `lifecycle`), sorted.
    pub segment: std::collections::BTreeMap<String, String>,
}

/// The generator's answer, as received (the core checks it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorAnswer {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body (the adapter stops reading past the size cap).
    pub body: String,
}

/// The origin's generator, reached over HTTP. Owned by background tasks,
/// so cheap to clone and `'static`.
pub trait Generator: Clone + 'static {
    /// Asks for a fragment; `Err` says what failed (network, timeout). The
    /// implementation bounds the whole call by its configured timeout.
    fn generate(
        &self,
        request: &GenerateRequest,
    ) -> impl Future<Output = Result<GeneratorAnswer, String>> + 'static;
}

/// What the sanitizer made of a generated fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sanitized {
    /// Safe; the cleaned HTML may be served.
    Clean(String),
    /// Safe, but the block needs approval: kept pending for review, not served.
    Pending,
    /// Unsafe markup; refused, with what was found.
    Refused(String),
}

/// The fragment sanitizer (in the control worker, over its service binding;
/// natively the same code in-process).
pub trait Sanitizer: Clone + 'static {
    /// Checks `html` generated for `request`; `approval` keeps it pending.
    fn sanitize(
        &self,
        request: &GenerateRequest,
        html: &str,
        approval: bool,
    ) -> impl Future<Output = Result<Sanitized, String>> + 'static;
}

/// Work that continues after the response (`ctx.waitUntil`).
pub trait Background {
    /// Runs `task` to completion even after the response is sent.
    fn spawn(&self, task: std::pin::Pin<Box<dyn Future<Output = ()>>>);
}

/// Wall-clock time in milliseconds since the Unix epoch.
///
/// On Workers this is `Date.now()`, which only advances after I/O: good for
/// deadlines around I/O and expiry checks, useless for timing CPU work.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
}

/// Timers, so the core can bound how long it waits for I/O.
pub trait Timer {
    /// Completes after `ms` milliseconds.
    fn sleep(&self, ms: u32) -> impl Future<Output = ()>;
}

/// What the core needs to know about the origin's response to decide whether
/// (and how) to personalize it. The body stays with the adapter.
pub trait ResponseHead {
    /// The HTTP status code.
    fn status(&self) -> u16;
    /// The value of a response header, if present (case-insensitive name).
    fn header(&self, name: &str) -> Option<String>;
}
