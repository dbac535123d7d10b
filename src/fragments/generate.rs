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

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures_util::future::{select, Either};
use serde_json::Value;

use super::FragmentCache;
use crate::catalog::sha256_hex;
use crate::catalog::source::MAX_FRAGMENT_BYTES;
use crate::guardrails::GuardrailRule;
use crate::platform::{
    Cache, Clock, GenerateRequest, Generator, GeneratorAnswer, GeneratorRefusal, Platform, Sanitized,
    Sanitizer, Timer,
};
use crate::profile::Visitor;

/// Consecutive failures that open the breaker.
pub const FAILURES_TO_OPEN: u32 = 3;
/// How long an open breaker refuses calls before letting one trial through.
pub const OPEN_MS: f64 = 30_000.0;
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
        *self.calls.borrow_mut() += 1;
        Ok(())
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

/// The cache key of a generated fragment: block, variant, catalog version
/// and a hash of the segment's labels, never anything about a visitor.
pub fn generated_key(request: &GenerateRequest) -> String {
    let labels: Vec<String> = request.segment.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let segment = sha256_hex(labels.join("&").as_bytes());
    format!(
        "https://tailor.internal/{}/generated/{}/{}/{}/{}",
        request.site,
        request.block,
        request.variant,
        request.catalog_version,
        segment.get(..32).unwrap_or(&segment)
    )
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
}

/// Looks up (or generates) the fragment for `request`, waiting at most
/// `wait_ms`; a call still running then continues in the background.
/// Without a generator and sanitizer on the platform, it fails at once.
pub async fn generated<P: Platform>(
    request: GenerateRequest,
    approval: bool,
    wait_ms: u32,
    scope: GenerateScope<'_>,
    platform: &P,
) -> Result<(Rc<str>, GeneratedSource), GenerateMiss> {
    let key = generated_key(&request);
    if let Some(html) = scope.memory.get(&key) {
        return Ok((html, GeneratedSource::Memory));
    }
    let cached = match select(
        Box::pin(platform.cache().get_text(&key)),
        Box::pin(platform.timer().sleep(wait_ms)),
    )
    .await
    {
        Either::Left((html, _)) => html,
        Either::Right(_) => None,
    };
    if let Some(html) = cached {
        return Ok((scope.memory.insert(&key, html), GeneratedSource::Cache));
    }
    if let Err(miss) = scope.state.start(&key, platform.clock().now_ms()) {
        scope.state.count(miss);
        return Err(miss);
    }
    let call = call_generator(key, request, approval, scope, platform);
    let waited = select(call, Box::pin(platform.timer().sleep(wait_ms))).await;
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

/// One generator call: ask, check, sanitize, cache; then release the claim.
/// Owns what it needs: it may finish after the response.
fn call_generator<P: Platform>(
    key: String,
    request: GenerateRequest,
    approval: bool,
    scope: GenerateScope<'_>,
    platform: &P,
) -> Pin<Box<dyn Future<Output = Result<Rc<str>, GenerateMiss>>>> {
    let (state, memory, ttl_s) = (scope.state.clone(), scope.memory.clone(), scope.ttl_s);
    let later = platform.clone();
    // The generator bounds its own call (`TAILOR_GENERATOR_TIMEOUT_MS`): it
    // may run past the page's budget, in the background.
    let answer = platform
        .generation()
        .map(|(generator, _)| generator.generate(&request));
    Box::pin(async move {
        let answer = match answer {
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
        outcome
    })
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
        assert_eq!(state.calls(), 3);
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
