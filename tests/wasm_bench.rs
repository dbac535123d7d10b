//! Benchmarks of the shipped code on wasm32 under Node's V8 (the engine
//! workerd uses): cookie verification, 5 × 20 decisions, signals, on the same
//! fixtures as the native benches (`benches/common`). Prints figures, asserts
//! nothing about speed. `make bench-wasm` runs it.
#![cfg(target_arch = "wasm32")]
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

#[path = "../benches/common/mod.rs"]
mod common;

use common::NOW;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

use tailor_edge::decide::decide;
use tailor_edge::platform::{CompiledRegex, RegexEngine};
use tailor_edge::profile::{
    resolve, sign, verify, KeyRing, ProfileSettings, RequestContext, DEFAULT_COOKIE_NAME,
};
use tailor_edge::signals::{attributes, observe, EdgeState, RequestFacts, SignalSettings};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;

    /// The global `RegExp`, as the worker's `$regex` engine uses it (the
    /// adapter's own binding is not reachable from the crate).
    #[wasm_bindgen(js_name = RegExp)]
    type BenchRegExp;
    #[wasm_bindgen(constructor, js_class = "RegExp", catch)]
    fn new(pattern: &str, flags: &str) -> Result<BenchRegExp, JsValue>;
    #[wasm_bindgen(method, js_class = "RegExp", js_name = test)]
    fn matches(this: &BenchRegExp, text: &str) -> bool;
}

/// JS `RegExp` behind the core's trait, as in the worker.
struct JsRegex;

impl CompiledRegex for BenchRegExp {
    fn is_match(&self, text: &str) -> bool {
        self.matches(text)
    }
}

impl RegexEngine for JsRegex {
    fn compile(&self, pattern: &str) -> Result<std::rc::Rc<dyn CompiledRegex>, String> {
        self.compile_with(pattern, "")
    }

    fn compile_case_insensitive(&self, pattern: &str) -> Result<std::rc::Rc<dyn CompiledRegex>, String> {
        self.compile_with(pattern, "i")
    }
}

impl JsRegex {
    fn compile_with(&self, pattern: &str, flags: &str) -> Result<std::rc::Rc<dyn CompiledRegex>, String> {
        BenchRegExp::new(pattern, flags)
            .map(|re| std::rc::Rc::new(re) as std::rc::Rc<dyn CompiledRegex>)
            .map_err(|_| "invalid".to_owned())
    }
}

/// Batches timed one after another; the median batch is reported, so a
/// burst of other work on a shared machine does not move the figure.
const BATCHES: usize = 11;

fn time(name: &str, iterations: u32, mut f: impl FnMut()) {
    for _ in 0..iterations / 10 {
        f();
    }
    let per_batch = (iterations / BATCHES as u32).max(1);
    let mut micros: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let start = performance_now();
            for _ in 0..per_batch {
                f();
            }
            (performance_now() - start) * 1000.0 / f64::from(per_batch)
        })
        .collect();
    micros.sort_by(f64::total_cmp);
    let (median, low, high) = (micros[BATCHES / 2], micros[0], micros[BATCHES - 1]);
    console_log!(
        "wasm bench: {name}: {median:.2} µs/iter (median of {BATCHES} batches of {per_batch}; {low:.2}–{high:.2})"
    );
}

#[wasm_bindgen_test]
fn bench_cookie_and_decisions() {
    let key = common::profile_key();
    let cookie = sign(&common::fintech_cto(), &key, DEFAULT_COOKIE_NAME).unwrap();
    let ring = KeyRing::from_keys(vec![key]);
    time("profile cookie verify", 20_000, || {
        verify(&cookie, &ring, DEFAULT_COOKIE_NAME, NOW).unwrap();
    });

    let catalog = common::catalog_5x20(&JsRegex);
    let settings = ProfileSettings {
        keys: ring.clone(),
        ..ProfileSettings::default()
    };
    let header = format!("{DEFAULT_COOKIE_NAME}={cookie}");
    let ctx = RequestContext {
        cookie_header: Some(&header),
        country: Some("DE"),
        ..RequestContext::default()
    };
    let visitor = resolve(&ctx, &settings, NOW);
    assert!(decide(&catalog, &visitor, NOW).iter().all(|d| d.variant == "v19"));
    time("decide 5 blocks x 20 variants", 5_000, || {
        decide(&catalog, &visitor, NOW);
    });
    time("cookie + profile + 5x20 decisions", 5_000, || {
        let visitor = resolve(&ctx, &settings, NOW);
        decide(&catalog, &visitor, NOW);
    });
}

#[wasm_bindgen_test]
fn bench_signals() {
    let key = common::state_key();
    let signals = common::ten_signals();
    let settings = SignalSettings::default();
    let cookie = common::warm_state_cookie(&signals, &settings, &key);
    let now = NOW + 60;
    let facts = RequestFacts {
        path: "/section3/pricing",
        query: "utm_campaign=dev-summit",
        ..RequestFacts::default()
    };
    time("state verify + 10 signals + attributes + sign", 10_000, || {
        let mut state = EdgeState::parse(&cookie, &key, now).unwrap();
        observe(&mut state, &signals, &settings, &facts, now);
        let _ = attributes(&state);
        let _ = state.encode(&key);
    });
}
