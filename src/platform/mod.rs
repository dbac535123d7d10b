//! The side effects the core needs, each behind a small trait, and
//! [`Platform`], which gathers them: one value per host, built in one place
//! (the worker's in `src/worker/platform.rs`, the tests' and the CLI's in
//! [`fakes::MemoryPlatform`]).
//!
//! The core never talks to Workers KV, the network or the clock directly: the
//! adapter (`src/worker/`) implements these traits on top of the platform, and
//! [`fakes`] implements them in memory for native tests, benches and the CLI.
//! A leaf: it imports nothing of the crate.

pub mod fakes;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

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
pub trait Cache {
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
    /// The block's brief from the catalog (`generate.brief`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brief: Option<String>,
    /// The block's guardrails from the catalog (`generate.guardrails`), if
    /// any: the generator may refuse early; the control worker enforces them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrails: Option<crate::guardrails::Guardrails>,
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

/// The origin's generator, reached over HTTP. Its answer may arrive after
/// the response, so the call is `'static`.
pub trait Generator {
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
    /// Safe, but it breaks one of the block's guardrails (checked by the
    /// control worker, or by the generator itself): refused and kept for
    /// review with the rule, never served.
    Guardrail(crate::guardrails::Violation),
}

/// A generator's own refusal of its draft (a `422` answer, see
/// `docs/generator.md`): the rule it broke, why, and the draft if given.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GeneratorRefusal {
    /// The rule's name (`max_words`; a name Tailor does not know is the generator's own rule).
    pub rule: String,
    /// What broke it.
    #[serde(default)]
    pub detail: String,
}

/// The fragment sanitizer (in the control worker, over its service binding;
/// natively the same code in-process).
pub trait Sanitizer {
    /// Checks `html` generated for `request` (sanitizer, then the request's
    /// guardrails); `approval` keeps it pending. With `refused`, the
    /// generator already refused the draft: it is only kept for review.
    fn sanitize(
        &self,
        request: &GenerateRequest,
        html: &str,
        approval: bool,
        refused: Option<&GeneratorRefusal>,
    ) -> impl Future<Output = Result<Sanitized, String>> + 'static;
}

/// Wall-clock time in milliseconds since the Unix epoch.
///
/// On Workers this is `Date.now()`, which only advances after I/O: good for
/// deadlines around I/O and expiry checks, useless for timing CPU work.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;

    /// Whole seconds since the Unix epoch (0 before it).
    fn now_s(&self) -> u64 {
        (self.now_ms() / 1000.0).max(0.0) as u64
    }

    /// Whole milliseconds since the Unix epoch (0 before it).
    fn now_unix_ms(&self) -> u64 {
        self.now_ms().max(0.0) as u64
    }

    /// The offset from UTC of IANA time zone `timezone` at `at_s` (unix
    /// seconds), in minutes; `None` for a zone the platform does not know.
    /// Without a time zone database, only UTC is known.
    fn utc_offset_min(&self, timezone: &str, at_s: u64) -> Option<i32> {
        let _ = at_s;
        matches!(timezone, "UTC" | "Etc/UTC" | "Etc/GMT" | "GMT").then_some(0)
    }
}

/// Timers, so the core can bound how long it waits for I/O.
pub trait Timer {
    /// Completes after `ms` milliseconds.
    fn sleep(&self, ms: u32) -> impl Future<Output = ()>;
}

/// Where exposure and conversion events go (`TAILOR_EVENTS_URL`): one
/// batch of NDJSON per call. A failed send is the sink's fault; the page
/// never waits for it.
pub trait EventSink {
    /// Sends one batch; `Err` says what failed.
    fn send(&self, ndjson: String) -> impl Future<Output = Result<(), String>> + 'static;
}

/// Compiles regular expression patterns written for JavaScript `RegExp`
/// (GrowthBook's `$regex`): JS `RegExp` itself in the worker, the `regex`
/// crate natively ([`crate::targeting::NativeRegex`]).
pub trait RegexEngine {
    /// Compiles `pattern` as `new RegExp(pattern)` would (no flags).
    /// The error is a human-readable reason.
    fn compile(&self, pattern: &str) -> Result<Rc<dyn CompiledRegex>, String>;

    /// Compiles `pattern` case-insensitively, as `new RegExp(pattern, "i")`
    /// would (the SDK's `$regexi`).
    fn compile_case_insensitive(&self, pattern: &str) -> Result<Rc<dyn CompiledRegex>, String>;
}

/// A compiled regular expression.
pub trait CompiledRegex {
    /// Whether the expression matches anywhere in `text` (JS `RegExp.prototype.test`).
    fn is_match(&self, text: &str) -> bool;
}

/// A task for after the response (`ctx.waitUntil`).
pub type Task = Pin<Box<dyn Future<Output = ()>>>;

/// Everything one host gives the core: storage, time, the generator and
/// its sanitizer, the events sink, background work, the regex engine and
/// the log. Cheap to clone (handles, not data), so work that outlives the
/// response takes its own copy.
pub trait Platform: Clone + 'static {
    /// Workers KV (read).
    type Kv: Kv;
    /// The per-location cache.
    type Cache: Cache;
    /// Wall-clock time.
    type Clock: Clock;
    /// Timers.
    type Timer: Timer;
    /// The origin's generator.
    type Generator: Generator;
    /// The sanitizer generated HTML goes through.
    type Sanitizer: Sanitizer;
    /// The events sink.
    type Events: EventSink;

    /// Workers KV.
    fn kv(&self) -> &Self::Kv;
    /// The Cache API.
    fn cache(&self) -> &Self::Cache;
    /// The clock.
    fn clock(&self) -> &Self::Clock;
    /// Timers.
    fn timer(&self) -> &Self::Timer;
    /// The generator and the sanitizer its answers go through, when both are
    /// there: no generated HTML is ever served unsanitized.
    fn generation(&self) -> Option<(&Self::Generator, &Self::Sanitizer)>;
    /// The events sink, when one is configured.
    fn events(&self) -> Option<&Self::Events>;
    /// Runs `task` to completion even after the response is sent.
    fn spawn(&self, task: Task);
    /// The engine `$regex` conditions compile with.
    fn regex(&self) -> &'static dyn RegexEngine;
    /// One line for the operator's log (never a cookie value or a secret).
    fn log(&self, line: &str);
    /// 16 bytes from a cryptographically secure source, new on each call.
    fn random_bytes(&self) -> [u8; 16];
    /// The loop's lift report as the control worker renders it from its
    /// counts (HTML, or JSON with `json`); `Err` says why not (no control
    /// worker, no loop store).
    fn loop_report(&self, json: bool) -> impl Future<Output = Result<String, String>> {
        let _ = json;
        std::future::ready(Err("the loop is not enabled here".to_owned()))
    }
    /// Sends a review action (JSON `{"action", …}`) to the control worker's
    /// review queue for the preview panel; its status and JSON answer, or
    /// `Err` saying why there is none (no control worker).
    fn review(&self, body: String) -> impl Future<Output = Result<(u16, String), String>> {
        let _ = body;
        std::future::ready(Err("no control worker".to_owned()))
    }
    /// Whether `key` may spend one more of its allowance in the host's own
    /// rate limiter (the Workers rate-limiting binding); `None` when there
    /// is none, and the core limits in the isolate instead.
    fn limit(&self, key: &str) -> impl Future<Output = Option<bool>> {
        let _ = key;
        std::future::ready(None)
    }
}
