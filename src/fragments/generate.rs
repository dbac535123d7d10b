//! Generated fragments: content the origin's generator produces per segment.
//!
//! A lookup goes isolate memory → Cache API → generator. The generator is
//! called only on a miss, with only the segment's labels; at most one call
//! per fragment is in flight per isolate (others get their fallback at
//! once), and a circuit breaker stops calling a generator that keeps
//! failing. The page waits for an answer only until its deadline: a late
//! call finishes in the background (`waitUntil`) and fills the cache for the
//! next visitor. Every answer is checked (status, content type, size) and
//! sanitized like a published fragment before it is cached or served.
//!
//! An answer that is not served (kept pending for approval, refused by a
//! guardrail, unsafe, failed) is remembered too, per generated key, in
//! isolate memory and in the Cache API as a marker (`\0pending`, …) for
//! `TAILOR_GENERATOR_RETRY_S`: the same segment's next requests get the same
//! fallback without calling the generator. Before calling, the review queue
//! is read from KV (a reviewer's rejection for the segment; a draft already
//! refused or, for a block needing approval, pending): a draft waiting for
//! review is never generated again for the same catalog version.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures_util::future::{join3, select, Either};
use serde_json::Value;

use super::FragmentCache;
use crate::budget::Deadline;
use crate::catalog::source::MAX_FRAGMENT_BYTES;
use crate::catalog::{pending_key, refused_key, rejected_key, short_sha256_hex};
use crate::guardrails::GuardrailRule;
use crate::platform::{
    Cache, Clock, GenerateRequest, Generator, GeneratorAnswer, GeneratorRefusal, Kv, Platform, Sanitized,
    Sanitizer, Timer,
};
use crate::profile::Visitor;

/// Consecutive failures that open the breaker.
pub const FAILURES_TO_OPEN: u32 = 3;
/// How long an open breaker refuses calls before letting one trial through.
pub const OPEN_MS: f64 = 30_000.0;
/// Default for how long an unserved outcome is remembered
/// (`TAILOR_GENERATOR_RETRY_S`).
pub const DEFAULT_GENERATOR_RETRY_S: u32 = 300;
/// Outcomes an isolate remembers at most (then the expired, or all, go).
const MAX_REMEMBERED: usize = 4096;
/// The first character of a Cache API marker: never the start of HTML.
const MARKER: char = '\0';
/// The profile attributes a segment is made of (labels only).
pub const SEGMENT_ATTRIBUTES: [&str; 4] = ["industry", "role", "company_size", "lifecycle"];

/// Why a generated fragment was not served; the block gets its fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerateMiss {
    /// The breaker is open after repeated failures.
    BreakerOpen,
    /// A call for the same fragment is already in flight in this isolate.
    InFlight,
    /// The answer did not arrive within the budget (it completes in the background).
    Late,
    /// The generator failed or its answer was unusable.
    Failed,
    /// The sanitizer refused the answer.
    Unsafe,
    /// The block needs approval: the answer is kept pending, never served.
    AwaitingApproval,
    /// The draft broke one of the block's guardrails (found by the control
    /// worker or by the generator): refused, kept for review, never served.
    Guardrail(GuardrailRule),
    /// A reviewer rejected generated drafts for this block and segment
    /// (`tailor review reject`): the generator is not asked again.
    Rejected,
}

impl GenerateMiss {
    /// A short, fixed label for diagnostics.
    pub fn label(self) -> &'static str {
        match self {
            Self::BreakerOpen => "generator-open",
            Self::InFlight => "generator-in-flight",
            Self::Late => "generator-late",
            Self::Failed => "generator-failed",
            Self::Unsafe => "generator-unsafe",
            Self::AwaitingApproval => "generator-pending-approval",
            Self::Guardrail(rule) => rule.label(),
            Self::Rejected => "generator-rejected",
        }
    }

    /// The Cache API marker remembering this outcome, `None` for a miss
    /// that says nothing about the fragment (breaker, in flight, late).
    pub fn marker(self) -> Option<String> {
        let what = match self {
            Self::BreakerOpen | Self::InFlight | Self::Late => return None,
            Self::Failed => "failed".to_owned(),
            Self::Unsafe => "unsafe".to_owned(),
            Self::AwaitingApproval => "pending".to_owned(),
            Self::Rejected => "rejected".to_owned(),
            Self::Guardrail(rule) => format!("refused:{}", rule.name()),
        };
        Some(format!("{MARKER}{what}"))
    }

    /// The outcome a cached text remembers, if it is a marker.
    pub fn from_marker(text: &str) -> Option<Self> {
        match text.strip_prefix(MARKER)? {
            "failed" => Some(Self::Failed),
            "unsafe" => Some(Self::Unsafe),
            "pending" => Some(Self::AwaitingApproval),
            "rejected" => Some(Self::Rejected),
            other => other
                .strip_prefix("refused:")
                .map(|rule| Self::Guardrail(GuardrailRule::from_name(rule))),
        }
    }
}

/// Where a served generated fragment came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeneratedSource {
    /// Isolate memory.
    Memory,
    /// The Cache API.
    Cache,
    /// The generator, within the budget.
    Generator,
}

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until_ms: Option<f64>,
    trial_in_flight: bool,
}

/// Per-isolate generator state: calls in flight, the breaker, and counts of
/// fallbacks by reason.
#[derive(Debug, Default)]
pub struct GeneratorState {
    in_flight: RefCell<BTreeSet<String>>,
    breaker: RefCell<Breaker>,
    fallbacks: RefCell<BTreeMap<&'static str, u64>>,
    calls: RefCell<u64>,
    /// Unserved outcomes by generated key, with when they are forgotten.
    outcomes: RefCell<BTreeMap<String, (GenerateMiss, f64)>>,
}

impl GeneratorState {
    /// A fresh isolate's state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Generator calls started in this isolate.
    pub fn calls(&self) -> u64 {
        *self.calls.borrow()
    }

    /// Fallbacks so far in this isolate, by reason label.
    pub fn fallbacks(&self) -> BTreeMap<&'static str, u64> {
        self.fallbacks.borrow().clone()
    }

    /// The outcome remembered for `key`, if not yet forgotten.
    pub fn remembered(&self, key: &str, now_ms: f64) -> Option<GenerateMiss> {
        let outcomes = self.outcomes.borrow();
        let (miss, until) = outcomes.get(key)?;
        (now_ms < *until).then_some(*miss)
    }

    /// Remembers `miss` for `key` for `retry_s` seconds from `now_ms`
    /// (0: not at all).
    fn remember(&self, key: &str, miss: GenerateMiss, now_ms: f64, retry_s: u32) {
        if retry_s == 0 {
            return;
        }
        let until_ms = now_ms + f64::from(retry_s) * 1000.0;
        let mut outcomes = self.outcomes.borrow_mut();
        if outcomes.len() >= MAX_REMEMBERED && !outcomes.contains_key(key) {
            outcomes.retain(|_, (_, until)| now_ms < *until);
            if outcomes.len() >= MAX_REMEMBERED {
                outcomes.clear();
            }
        }
        outcomes.insert(key.to_owned(), (miss, until_ms));
    }

    fn count(&self, miss: GenerateMiss) {
        *self.fallbacks.borrow_mut().entry(miss.label()).or_default() += 1;
    }

    /// Claims the call for `key`, or says why not.
    fn start(&self, key: &str, now_ms: f64) -> Result<(), GenerateMiss> {
        {
            let mut breaker = self.breaker.borrow_mut();
            if let Some(until) = breaker.open_until_ms {
                if now_ms < until || breaker.trial_in_flight {
                    return Err(GenerateMiss::BreakerOpen);
                }
                // Half-open: this call is the trial.
                breaker.trial_in_flight = true;
            }
        }
        if !self.in_flight.borrow_mut().insert(key.to_owned()) {
            self.breaker.borrow_mut().trial_in_flight = false;
            return Err(GenerateMiss::InFlight);
        }
        Ok(())
    }

    /// Releases `key` without a call made: the breaker is as it was.
    fn release(&self, key: &str) {
        self.in_flight.borrow_mut().remove(key);
        self.breaker.borrow_mut().trial_in_flight = false;
    }

    /// Releases `key` and records whether the generator worked.
    fn finish(&self, key: &str, worked: bool, now_ms: f64) {
        self.in_flight.borrow_mut().remove(key);
        let mut breaker = self.breaker.borrow_mut();
        breaker.trial_in_flight = false;
        if worked {
            *breaker = Breaker::default();
        } else {
            breaker.failures += 1;
            if breaker.failures >= FAILURES_TO_OPEN || breaker.open_until_ms.is_some() {
                breaker.open_until_ms = Some(now_ms + OPEN_MS);
            }
        }
    }
}

/// The visitor's segment: the declared labels, sorted; `None` when there
/// is nothing to tailor to (an anonymous visitor without labels).
pub fn segment_of(visitor: &Visitor) -> Option<BTreeMap<String, String>> {
    let segment: BTreeMap<String, String> = SEGMENT_ATTRIBUTES
        .iter()
        .filter_map(|name| match visitor.attributes.get(*name) {
            Some(Value::String(label)) => Some(((*name).to_owned(), label.clone())),
            _ => None,
        })
        .collect();
    (!segment.is_empty()).then_some(segment)
}

/// A hash of a segment's labels (32 hex digits): names the segment in keys
/// without its labels.
pub fn segment_hash(segment: &BTreeMap<String, String>) -> String {
    let labels: Vec<String> = segment.iter().map(|(k, v)| format!("{k}={v}")).collect();
    short_sha256_hex(labels.join("&").as_bytes())
}

/// The cache key of a generated fragment: block, variant, catalog version
/// and a hash of the segment's labels, never anything about a visitor.
pub fn generated_key(request: &GenerateRequest) -> String {
    format!(
        "https://tailor.internal/{}/generated/{}/{}/{}/{}",
        request.site,
        request.block,
        request.variant,
        request.catalog_version,
        segment_hash(&request.segment)
    )
}

/// The hash naming a draft in the review queue (its pending or refused
/// key): of its generated key, so of block, variant, catalog version and
/// segment.
pub fn draft_hash(request: &GenerateRequest) -> String {
    short_sha256_hex(generated_key(request).as_bytes())
}

/// What a page's generated lookups share: the isolate's generator state
/// and fragment memory, and how long the Cache API keeps an answer.
#[derive(Clone, Copy)]
pub struct GenerateScope<'a> {
    /// The isolate's generator state.
    pub state: &'a Rc<GeneratorState>,
    /// The isolate's fragment memory.
    pub memory: &'a Rc<FragmentCache>,
    /// Cache API lifetime of a generated fragment.
    pub ttl_s: u32,
    /// How long an unserved outcome is remembered (`TAILOR_GENERATOR_RETRY_S`).
    pub retry_s: u32,
}

/// Looks up (or generates) the fragment for `request`, waiting at most
/// until `deadline`; a call still running then continues in the background.
/// Without a generator and sanitizer on the platform, it fails at once.
pub async fn generated<P: Platform>(
    request: GenerateRequest,
    approval: bool,
    deadline: &Deadline,
    scope: GenerateScope<'_>,
    platform: &P,
) -> Result<(Rc<str>, GeneratedSource), GenerateMiss> {
    // Each wait gets what is left of the budget when it starts, not what
    // was left when the lookup began: the cache's time is the page's too.
    let left = || deadline.remaining_ms(platform.clock().now_ms());
    let key = generated_key(&request);
    if let Some(html) = scope.memory.get(&key) {
        return Ok((html, GeneratedSource::Memory));
    }
    let now_ms = platform.clock().now_ms();
    if let Some(miss) = scope.state.remembered(&key, now_ms) {
        scope.state.count(miss);
        return Err(miss);
    }
    let cached = match select(
        Box::pin(platform.cache().get_text(&key)),
        Box::pin(platform.timer().sleep(left())),
    )
    .await
    {
        Either::Left((html, _)) => html,
        Either::Right(_) => None,
    };
    if let Some(text) = cached {
        if !text.starts_with(MARKER) {
            return Ok((scope.memory.insert(&key, text), GeneratedSource::Cache));
        }
        // An unknown marker is no fragment: ask again.
        if let Some(miss) = GenerateMiss::from_marker(&text) {
            scope.state.remember(&key, miss, now_ms, scope.retry_s);
            scope.state.count(miss);
            return Err(miss);
        }
    }
    if let Err(miss) = scope.state.start(&key, platform.clock().now_ms()) {
        scope.state.count(miss);
        return Err(miss);
    }
    let call = call_generator(key, request, approval, scope, platform);
    let waited = select(call, Box::pin(platform.timer().sleep(left()))).await;
    let result = match waited {
        Either::Left((result, _)) => result.map(|html| (html, GeneratedSource::Generator)),
        Either::Right(((), call)) => {
            platform.spawn(Box::pin(async move {
                let _ = call.await;
            }));
            Err(GenerateMiss::Late)
        }
    };
    if let Err(miss) = result {
        scope.state.count(miss);
    }
    result
}

/// What the review queue in KV says of a draft before the generator is
/// asked: rejected for the segment, already refused, or (approval) pending.
async fn reviewed<P: Platform>(
    request: &GenerateRequest,
    approval: bool,
    platform: &P,
) -> Option<GenerateMiss> {
    let hash = draft_hash(request);
    let site = &request.site;
    let rejected = rejected_key(site, &request.block, &segment_hash(&request.segment));
    let refused = refused_key(site, &request.block, &request.variant, &hash);
    let pending = pending_key(site, &request.block, &request.variant, &hash);
    let kv = platform.kv();
    let read_pending = async {
        if approval {
            kv.get_text(&pending).await.ok().flatten()
        } else {
            None
        }
    };
    // A failed read is no answer: the generator is asked.
    let (rejected, refused, pending) = join3(
        async { kv.get_text(&rejected).await.ok().flatten() },
        async { kv.get_text(&refused).await.ok().flatten() },
        read_pending,
    )
    .await;
    if rejected.is_some() {
        return Some(GenerateMiss::Rejected);
    }
    if let Some(record) = refused {
        let rule = serde_json::from_str::<Value>(&record)
            .ok()
            .and_then(|r| {
                r.get("rule")
                    .and_then(Value::as_str)
                    .map(GuardrailRule::from_name)
            })
            .unwrap_or(GuardrailRule::Generator);
        return Some(GenerateMiss::Guardrail(rule));
    }
    pending.map(|_| GenerateMiss::AwaitingApproval)
}

/// One generator call: the review queue, then ask, check, sanitize, cache;
/// then remember an unserved outcome and release the claim. Owns what it
/// needs: it may finish after the response.
fn call_generator<P: Platform>(
    key: String,
    request: GenerateRequest,
    approval: bool,
    scope: GenerateScope<'_>,
    platform: &P,
) -> Pin<Box<dyn Future<Output = Result<Rc<str>, GenerateMiss>>>> {
    let (state, memory, ttl_s, retry_s) = (
        scope.state.clone(),
        scope.memory.clone(),
        scope.ttl_s,
        scope.retry_s,
    );
    let later = platform.clone();
    Box::pin(async move {
        if let Some(miss) = reviewed(&request, approval, &later).await {
            state.release(&key);
            remember(&state, &later, &key, miss, retry_s).await;
            return Err(miss);
        }
        *state.calls.borrow_mut() += 1;
        // The generator bounds its own call (`TAILOR_GENERATOR_TIMEOUT_MS`): it
        // may run past the page's budget, in the background.
        let answer = match later
            .generation()
            .map(|(generator, _)| generator.generate(&request))
        {
            Some(answer) => answer.await.ok(),
            None => None,
        };
        let usable = answer.and_then(|a| usable(&a));
        let sanitized = match (&usable, later.generation()) {
            (Some((html, refused)), Some((_, sanitizer))) if !html.is_empty() => Some(
                sanitizer
                    .sanitize(&request, html, approval, refused.as_ref())
                    .await,
            ),
            _ => None,
        };
        let outcome = match (sanitized, usable) {
            (Some(Ok(Sanitized::Clean(html))), Some((_, None))) => {
                later.cache().put_text(&key, &html, ttl_s).await;
                Ok(memory.insert(&key, html))
            }
            (Some(Ok(Sanitized::Pending)), Some((_, None))) => Err(GenerateMiss::AwaitingApproval),
            (Some(Ok(Sanitized::Refused(_))), _) => Err(GenerateMiss::Unsafe),
            (Some(Ok(Sanitized::Guardrail(violation))), _) => Err(GenerateMiss::Guardrail(violation.rule)),
            // The generator refused its draft: never served, whatever the
            // sanitizer (or its absence) made of it.
            (_, Some((_, Some(refused)))) => {
                Err(GenerateMiss::Guardrail(GuardrailRule::from_name(&refused.rule)))
            }
            _ => Err(GenerateMiss::Failed),
        };
        // An unsafe answer or one awaiting approval is the generator working
        // as designed; only failures count against the breaker.
        let worked = !matches!(outcome, Err(GenerateMiss::Failed));
        state.finish(&key, worked, later.clock().now_ms());
        if let Err(miss) = outcome {
            remember(&state, &later, &key, miss, retry_s).await;
        }
        outcome
    })
}

/// Remembers an unserved outcome in isolate memory and the Cache API.
async fn remember<P: Platform>(
    state: &GeneratorState,
    platform: &P,
    key: &str,
    miss: GenerateMiss,
    retry_s: u32,
) {
    let (Some(marker), true) = (miss.marker(), retry_s > 0) else {
        return;
    };
    state.remember(key, miss, platform.clock().now_ms(), retry_s);
    platform.cache().put_text(key, &marker, retry_s).await;
}

/// What a generator's answer offers: a draft to sanitize (`200`, HTML,
/// 1 byte to 64 KiB), or its own refusal of a draft (`422`, JSON
/// `{"refused": {"rule", "detail"}, "html"}`, the draft possibly empty);
/// `None` when it is a failure.
fn usable(answer: &GeneratorAnswer) -> Option<(String, Option<GeneratorRefusal>)> {
    #[derive(serde::Deserialize)]
    struct Refusal {
        refused: GeneratorRefusal,
        #[serde(default)]
        html: String,
    }
    let content_type = answer
        .content_type
        .as_deref()
        .unwrap_or_default()
        .trim_start()
        .to_ascii_lowercase();
    match answer.status {
        200 if answer.body.len() <= MAX_FRAGMENT_BYTES
            && !answer.body.trim().is_empty()
            && content_type.starts_with("text/html") =>
        {
            Some((answer.body.clone(), None))
        }
        422 if answer.body.len() <= 2 * MAX_FRAGMENT_BYTES
            && content_type.starts_with("application/json") =>
        {
            let refusal: Refusal = serde_json::from_str(&answer.body).ok()?;
            let html = if refusal.html.len() <= MAX_FRAGMENT_BYTES && !refusal.html.trim().is_empty() {
                refusal.html
            } else {
                String::new()
            };
            Some((html, Some(refusal.refused)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_repeated_failures_and_half_opens_later() {
        let state = GeneratorState::new();
        for i in 0..FAILURES_TO_OPEN {
            assert_eq!(state.start("k", f64::from(i)), Ok(()));
            state.finish("k", false, f64::from(i));
        }
        assert_eq!(state.start("k", 10.0), Err(GenerateMiss::BreakerOpen));
        let later = 10.0 + OPEN_MS;
        assert_eq!(state.start("k", later), Ok(()), "one trial call");
        assert_eq!(
            state.start("other", later),
            Err(GenerateMiss::BreakerOpen),
            "only one"
        );
        state.finish("k", false, later);
        assert_eq!(
            state.start("k", later + 1.0),
            Err(GenerateMiss::BreakerOpen),
            "reopened"
        );
        assert_eq!(state.start("k", later + 1.0 + OPEN_MS), Ok(()));
        state.finish("k", true, later + 2.0 + OPEN_MS);
        assert_eq!(state.start("k", later + 3.0 + OPEN_MS), Ok(()), "closed again");
    }

    #[test]
    fn one_call_per_fragment_is_in_flight() {
        let state = GeneratorState::new();
        assert_eq!(state.start("k", 0.0), Ok(()));
        assert_eq!(state.start("k", 0.0), Err(GenerateMiss::InFlight));
        assert_eq!(state.start("j", 0.0), Ok(()));
        state.finish("k", true, 1.0);
        assert_eq!(state.start("k", 2.0), Ok(()));
        assert_eq!(
            state.calls(),
            0,
            "a claim is not a call: the review queue may answer first"
        );
    }

    #[test]
    fn unserved_outcomes_round_trip_through_their_markers_and_never_look_like_html() {
        for miss in [
            GenerateMiss::Failed,
            GenerateMiss::Unsafe,
            GenerateMiss::AwaitingApproval,
            GenerateMiss::Rejected,
            GenerateMiss::Guardrail(GuardrailRule::MaxWords),
            GenerateMiss::Guardrail(GuardrailRule::Generator),
        ] {
            let marker = miss.marker().expect("remembered");
            assert!(marker.starts_with('\0'));
            assert_eq!(GenerateMiss::from_marker(&marker), Some(miss));
        }
        for miss in [
            GenerateMiss::BreakerOpen,
            GenerateMiss::InFlight,
            GenerateMiss::Late,
        ] {
            assert_eq!(miss.marker(), None, "{miss:?} says nothing of the fragment");
        }
        assert_eq!(GenerateMiss::from_marker("<p>pending</p>"), None);
        assert_eq!(GenerateMiss::from_marker("\0later"), None);
    }

    #[test]
    fn a_remembered_outcome_is_forgotten_after_its_time() {
        let state = GeneratorState::new();
        state.remember("k", GenerateMiss::AwaitingApproval, 0.0, 1);
        assert_eq!(state.remembered("k", 999.0), Some(GenerateMiss::AwaitingApproval));
        assert_eq!(state.remembered("k", 1000.0), None);
        state.remember("j", GenerateMiss::Failed, 0.0, 0);
        assert_eq!(state.remembered("j", 0.0), None, "0 s: not remembered");
    }

    #[test]
    fn keys_name_block_variant_version_and_a_segment_hash_never_a_visitor() {
        let request = GenerateRequest {
            site: "demo".into(),
            block: "hero".into(),
            variant: "default".into(),
            catalog_version: "v-1".into(),
            segment: [("industry".to_owned(), "fintech".to_owned())].into(),
            brief: None,
            guardrails: None,
        };
        let key = generated_key(&request);
        assert!(key.starts_with("https://tailor.internal/demo/generated/hero/default/v-1/"));
        assert!(!key.contains("fintech"));
        let mut other = request.clone();
        other.segment.insert("role".into(), "cto".into());
        assert_ne!(generated_key(&other), key);
    }
}
