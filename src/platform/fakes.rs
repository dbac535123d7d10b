//! In-memory implementations of the platform traits, for tests, benches and
//! the CLI (which renders pages natively exactly as the edge would).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use crate::http::ResponseHead;

use super::{
    Cache, Clock, EventSink, GenerateRequest, Generator, GeneratorAnswer, GeneratorRefusal, Kv, KvError,
    KvWrite, KvWriteError, Platform, RegexEngine, Sanitized, Sanitizer, Task, Timer,
};
use crate::guardrails::{GuardrailRule, Violation};

/// How a [`MemoryKv`] answers for one key, beyond plain storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvFault {
    /// The read fails with this message.
    Fail(String),
    /// The read never completes (a store slower than any budget).
    Hang,
}

/// A key-value store in memory, with injectable faults per key; clones
/// share the store (as two handles on one KV namespace do).
#[derive(Debug, Default, Clone)]
pub struct MemoryKv {
    values: Rc<RefCell<HashMap<String, String>>>,
    faults: Rc<RefCell<HashMap<String, KvFault>>>,
    reads: Rc<RefCell<Vec<String>>>,
    writes: Rc<RefCell<Vec<String>>>,
    failing_writes: Rc<RefCell<Vec<String>>>,
    ttls: Rc<RefCell<HashMap<String, u32>>>,
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

    /// The lifetime the last write of `key` asked for (`None`: kept until
    /// deleted, or never written through [`KvWrite`]).
    pub fn ttl_of(&self, key: &str) -> Option<u32> {
        self.ttls.borrow().get(key).copied()
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
    // The TTL is recorded (`ttl_of`), not simulated: tests that need
    // expiry delete the key.
    fn put_text(
        &self,
        key: &str,
        value: &str,
        ttl_s: Option<u32>,
    ) -> impl Future<Output = Result<(), KvWriteError>> {
        let written = self.write(key, Some(value));
        if written.is_ok() {
            let mut ttls = self.ttls.borrow_mut();
            match ttl_s {
                Some(ttl) => ttls.insert(key.to_owned(), ttl),
                None => ttls.remove(key),
            };
        }
        std::future::ready(written)
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

/// A clock that only moves when told to; clones share the time.
#[derive(Debug, Default, Clone)]
pub struct ManualClock {
    now: Rc<Cell<f64>>,
}

impl ManualClock {
    /// A clock reading `now_ms`.
    pub fn at(now_ms: f64) -> Self {
        Self {
            now: Rc::new(Cell::new(now_ms)),
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

    /// A few fixed zones, without daylight saving time (enough for tests).
    fn utc_offset_min(&self, timezone: &str, _at_s: u64) -> Option<i32> {
        match timezone {
            "UTC" | "Etc/UTC" => Some(0),
            "Europe/Berlin" => Some(60),
            "America/New_York" => Some(-300),
            "Asia/Kolkata" => Some(330),
            "Asia/Tokyo" => Some(540),
            _ => None,
        }
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

/// The Cache API in memory (TTL not simulated); clones share entries.
#[derive(Debug, Default, Clone)]
pub struct MemoryCache {
    entries: Rc<RefCell<HashMap<String, String>>>,
    gets: Rc<Cell<usize>>,
}

impl MemoryCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The keys cached so far, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.entries.borrow().keys().cloned().collect();
        keys.sort();
        keys
    }

    /// Every key and value cached, sorted by key.
    pub fn entries(&self) -> Vec<(String, String)> {
        let mut entries: Vec<_> = self
            .entries
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        entries.sort();
        entries
    }

    /// Removes every entry (a location whose cache was evicted).
    pub fn clear(&self) {
        self.entries.borrow_mut().clear();
    }

    /// Stores `value` under `key` directly (to set up a test).
    pub fn insert(&self, key: &str, value: &str) {
        self.entries.borrow_mut().insert(key.to_owned(), value.to_owned());
    }

    /// How many lookups were made.
    pub fn gets(&self) -> usize {
        self.gets.get()
    }
}

impl Cache for MemoryCache {
    fn get_text(&self, key: &str) -> impl Future<Output = Option<String>> {
        self.gets.set(self.gets.get() + 1);
        std::future::ready(self.entries.borrow().get(key).cloned())
    }

    fn put_text(&self, key: &str, value: &str, _ttl_s: u32) -> impl Future<Output = ()> {
        self.entries.borrow_mut().insert(key.to_owned(), value.to_owned());
        std::future::ready(())
    }
}

/// Background work held until the test runs it ("after the response").
#[derive(Default)]
pub struct DeferredTasks {
    tasks: RefCell<Vec<Pin<Box<dyn Future<Output = ()>>>>>,
}

impl std::fmt::Debug for DeferredTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeferredTasks({} waiting)", self.tasks.borrow().len())
    }
}

impl DeferredTasks {
    /// No tasks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tasks waiting.
    pub fn len(&self) -> usize {
        self.tasks.borrow().len()
    }

    /// Whether no task is waiting.
    pub fn is_empty(&self) -> bool {
        self.tasks.borrow().is_empty()
    }

    /// Takes the waiting tasks, to drive them with any executor.
    pub fn take(&self) -> Vec<Pin<Box<dyn Future<Output = ()>>>> {
        std::mem::take(&mut *self.tasks.borrow_mut())
    }
}

impl DeferredTasks {
    /// Holds `task` until [`DeferredTasks::take`].
    pub fn push(&self, task: Task) {
        self.tasks.borrow_mut().push(task);
    }
}

/// How a [`FakeGenerator`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeAnswer {
    /// `200 text/html` with this body, at once.
    Html(String),
    /// `200 text/html` with this body after being polled once more (later
    /// than an [`InstantTimer`] budget, ready in the background).
    Slow(String),
    /// This status and body.
    Status(u16, String),
    /// A body of another content type.
    ContentType(String, String),
    /// This status, content type and body.
    StatusType(u16, String, String),
    /// The connection fails.
    Error,
    /// Never answers.
    Hang,
}

/// A generator that answers as scripted and records each request.
#[derive(Debug, Clone)]
pub struct FakeGenerator {
    answer: Rc<RefCell<FakeAnswer>>,
    requests: Rc<RefCell<Vec<GenerateRequest>>>,
}

impl FakeGenerator {
    /// A generator that always answers `answer`.
    pub fn answering(answer: FakeAnswer) -> Self {
        Self {
            answer: Rc::new(RefCell::new(answer)),
            requests: Rc::default(),
        }
    }

    /// Changes the answer for later calls.
    pub fn set(&self, answer: FakeAnswer) {
        *self.answer.borrow_mut() = answer;
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<GenerateRequest> {
        self.requests.borrow().clone()
    }
}

impl Generator for FakeGenerator {
    fn generate(
        &self,
        request: &GenerateRequest,
    ) -> impl Future<Output = Result<GeneratorAnswer, String>> + 'static {
        self.requests.borrow_mut().push(request.clone());
        let answer = self.answer.borrow().clone();
        async move {
            let html = |body: String| GeneratorAnswer {
                status: 200,
                content_type: Some("text/html; charset=utf-8".to_owned()),
                body,
            };
            match answer {
                FakeAnswer::Html(body) => Ok(html(body)),
                FakeAnswer::Slow(body) => {
                    YieldOnce(false).await;
                    Ok(html(body))
                }
                FakeAnswer::Status(status, body) => Ok(GeneratorAnswer { status, ..html(body) }),
                FakeAnswer::ContentType(content_type, body) => Ok(GeneratorAnswer {
                    content_type: Some(content_type),
                    ..html(body)
                }),
                FakeAnswer::StatusType(status, content_type, body) => Ok(GeneratorAnswer {
                    status,
                    content_type: Some(content_type),
                    body,
                }),
                FakeAnswer::Error => Err("connection refused".to_owned()),
                FakeAnswer::Hang => std::future::pending().await,
            }
        }
    }
}

/// Pending once, then ready: "not yet" for a budget, done when polled again.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

/// A stand-in for the control worker's sanitizer (the real one is tested
/// with the `sanitize` feature and end to end): refuses `<script`, applies
/// the request's guardrails (the real rules), keeps answers for blocks
/// needing approval pending.
#[derive(Debug, Clone, Default)]
pub struct FakeSanitizer {
    /// What was kept pending for approval.
    pub pending: Rc<RefCell<Vec<String>>>,
    /// Drafts refused by a guardrail: (rule label, draft).
    pub refused: Rc<RefCell<Vec<(&'static str, String)>>>,
}

impl Sanitizer for FakeSanitizer {
    fn sanitize(
        &self,
        request: &GenerateRequest,
        html: &str,
        approval: bool,
        refused: Option<&GeneratorRefusal>,
    ) -> impl Future<Output = Result<Sanitized, String>> + 'static {
        let broken = request
            .guardrails
            .as_ref()
            .and_then(|g| g.check(html).err())
            .or_else(|| {
                refused.map(|r| Violation {
                    rule: GuardrailRule::from_name(&r.rule),
                    detail: r.detail.clone(),
                })
            });
        let result = if html.to_ascii_lowercase().contains("<script") {
            Sanitized::Refused("<script> element".into())
        } else if let Some(violation) = broken {
            self.refused
                .borrow_mut()
                .push((violation.rule.label(), html.to_owned()));
            Sanitized::Guardrail(violation)
        } else if approval {
            self.pending.borrow_mut().push(html.to_owned());
            Sanitized::Pending
        } else {
            Sanitized::Clean(html.to_owned())
        };
        std::future::ready(Ok(result))
    }
}

/// A sanitizer that is not there (no control worker): every answer fails.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSanitizer;

impl Sanitizer for NoSanitizer {
    fn sanitize(
        &self,
        _request: &GenerateRequest,
        _html: &str,
        _approval: bool,
        _refused: Option<&GeneratorRefusal>,
    ) -> impl Future<Output = Result<Sanitized, String>> + 'static {
        std::future::ready(Err("no sanitizer".to_owned()))
    }
}

/// An events sink in memory: every batch sent; clones share them.
#[derive(Debug, Clone, Default)]
pub struct MemoryEvents {
    batches: Rc<RefCell<Vec<String>>>,
}

impl MemoryEvents {
    /// No batches yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every batch sent so far, in order.
    pub fn batches(&self) -> Vec<String> {
        self.batches.borrow().clone()
    }

    /// Every event line sent so far, parsed.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.batches
            .borrow()
            .iter()
            .flat_map(|batch| batch.lines().map(str::to_owned).collect::<Vec<_>>())
            .filter_map(|line| serde_json::from_str(&line).ok())
            .collect()
    }
}

impl EventSink for MemoryEvents {
    fn send(&self, ndjson: String) -> impl Future<Output = Result<(), String>> + 'static {
        self.batches.borrow_mut().push(ndjson);
        std::future::ready(Ok(()))
    }
}

/// A stand-in for the control worker's review queue (a test wires it to
/// the real one over a [`MemoryKv`]).
pub type ReviewQueue = Rc<dyn Fn(&str) -> (u16, String)>;

/// The whole platform in memory, for tests, benches and the CLI. Clones
/// share every store, so a test keeps one and hands the core another.
#[derive(Clone)]
pub struct MemoryPlatform<T = InstantTimer> {
    /// KV.
    pub kv: MemoryKv,
    /// The Cache API.
    pub cache: MemoryCache,
    /// The clock.
    pub clock: ManualClock,
    /// Timers.
    pub timer: T,
    /// The generator (none: no generation).
    pub generator: Option<FakeGenerator>,
    /// The sanitizer generated HTML goes through.
    pub sanitizer: FakeSanitizer,
    /// The events sink (none: no events).
    pub events: Option<MemoryEvents>,
    /// Work left for after the response.
    pub tasks: Rc<DeferredTasks>,
    /// Lines logged.
    pub logs: Rc<RefCell<Vec<String>>>,
    /// Random bytes drawn so far: each draw is this counter's next value,
    /// spread by SplitMix64 (deterministic, distinct, evenly spread).
    pub draws: Rc<Cell<u64>>,
    /// What the control worker would answer for the loop's report, as
    /// (HTML, JSON) (none: no loop).
    pub loop_report: Option<(String, String)>,
    /// The control worker's review queue (none: no control worker): a
    /// review action's body in, its status and JSON answer out.
    pub review: Option<ReviewQueue>,
    regex: &'static dyn RegexEngine,
}

impl MemoryPlatform {
    /// A platform over `kv`, its clock at 2023-11-14T22:13:20Z, with sleeps
    /// that end at once ([`InstantTimer`]), no generator and no events sink.
    /// `regex`: the engine conditions compile with (`&NativeRegex`).
    pub fn new(kv: MemoryKv, regex: &'static dyn RegexEngine) -> Self {
        Self {
            kv,
            cache: MemoryCache::new(),
            clock: ManualClock::at(1_700_000_000_000.0),
            timer: InstantTimer,
            generator: None,
            sanitizer: FakeSanitizer::default(),
            events: None,
            tasks: Rc::new(DeferredTasks::new()),
            logs: Rc::default(),
            draws: Rc::default(),
            loop_report: None,
            review: None,
            regex,
        }
    }
}

impl<T> MemoryPlatform<T> {
    /// The same platform with other timers.
    pub fn with_timer<U>(self, timer: U) -> MemoryPlatform<U> {
        MemoryPlatform {
            kv: self.kv,
            cache: self.cache,
            clock: self.clock,
            timer,
            generator: self.generator,
            sanitizer: self.sanitizer,
            events: self.events,
            tasks: self.tasks,
            logs: self.logs,
            draws: self.draws,
            loop_report: self.loop_report,
            review: self.review,
            regex: self.regex,
        }
    }

    /// Every line logged so far.
    pub fn logged(&self) -> Vec<String> {
        self.logs.borrow().clone()
    }
}

impl<T: Timer + Clone + 'static> Platform for MemoryPlatform<T> {
    type Kv = MemoryKv;
    type Cache = MemoryCache;
    type Clock = ManualClock;
    type Timer = T;
    type Generator = FakeGenerator;
    type Sanitizer = FakeSanitizer;
    type Events = MemoryEvents;

    fn kv(&self) -> &MemoryKv {
        &self.kv
    }

    fn cache(&self) -> &MemoryCache {
        &self.cache
    }

    fn clock(&self) -> &ManualClock {
        &self.clock
    }

    fn timer(&self) -> &T {
        &self.timer
    }

    fn generation(&self) -> Option<(&FakeGenerator, &FakeSanitizer)> {
        self.generator
            .as_ref()
            .map(|generator| (generator, &self.sanitizer))
    }

    fn events(&self) -> Option<&MemoryEvents> {
        self.events.as_ref()
    }

    fn spawn(&self, task: Task) {
        self.tasks.push(task);
    }

    fn regex(&self) -> &'static dyn RegexEngine {
        self.regex
    }

    fn log(&self, line: &str) {
        self.logs.borrow_mut().push(line.to_owned());
    }

    fn loop_report(&self, json: bool) -> impl Future<Output = Result<String, String>> {
        let report = self.loop_report.clone().ok_or_else(|| "no loop store".to_owned());
        std::future::ready(report.map(|(html, body)| if json { body } else { html }))
    }

    fn review(&self, body: String) -> impl Future<Output = Result<(u16, String), String>> {
        std::future::ready(
            self.review
                .as_ref()
                .map(|queue| queue(&body))
                .ok_or_else(|| "no control worker".to_owned()),
        )
    }

    fn random_bytes(&self) -> [u8; 16] {
        let n = self.draws.get();
        self.draws.set(n + 1);
        let (high, low) = (splitmix64(2 * n), splitmix64(2 * n + 1));
        ((u128::from(high) << 64) | u128::from(low)).to_le_bytes()
    }
}

/// SplitMix64's output function: distinct inputs give distinct, evenly spread
/// outputs (`splitmix64(s)` is the generator's next value from state `s`).
pub fn splitmix64(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
