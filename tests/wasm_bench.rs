//! Benchmarks of the shipped code on wasm32 under Node's V8 (the engine
//! workerd uses): cookie verification, 5 × 20 decisions, signals. Prints
//! figures, asserts nothing. `make bench-wasm` runs it on the release profile.
#![cfg(target_arch = "wasm32")]
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::rc::Rc;

use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

use tailor_edge::catalog::source::Bundle;
use tailor_edge::decide::{decide, CompiledCatalog};
use tailor_edge::profile::{
    resolve, sign, verify, Key, KeyRing, Profile, ProfileSettings, Purpose, RequestContext,
};
use tailor_edge::signals::{attributes, observe, EdgeState, RequestFacts, Signal, SignalSettings};
use tailor_edge::JsRegex;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

const NOW: u64 = 1_795_003_600;

fn time(name: &str, iterations: u32, mut f: impl FnMut()) {
    for _ in 0..iterations / 10 {
        f();
    }
    let start = performance_now();
    for _ in 0..iterations {
        f();
    }
    let micros = (performance_now() - start) * 1000.0 / f64::from(iterations);
    console_log!("wasm bench: {name}: {micros:.2} µs/iter ({iterations} iterations)");
}

fn key() -> Key {
    Key::derive(
        "k1",
        "7Jd0m1bq3cXo9T2Zr8WvYkLpN4sHaQfUe6gCiBtRxDw",
        Purpose::ProfileCookie,
    )
    .unwrap()
}

#[wasm_bindgen_test]
fn bench_cookie_and_decisions() {
    let profile = Profile {
        i: NOW - 3_600,
        e: NOW + 86_400,
        ind: Some("fintech".into()),
        role: Some("cto".into()),
        size: Some("enterprise".into()),
        stage: Some("lead".into()),
        bid: Some("Zk3qL9xT2mVbQ0aa".into()),
        c: "pa".into(),
        ..Profile::default()
    };
    let cookie = sign(&profile, &key(), "__Host-tailor_profile").unwrap();
    let ring = KeyRing::from_keys(vec![key()]);
    time("profile cookie verify", 20_000, || {
        verify(&cookie, &ring, "__Host-tailor_profile", NOW).unwrap();
    });

    let mut blocks = serde_json::Map::new();
    for b in 0..5 {
        let mut variants = vec![json!({ "id": "default", "html": format!("<p>{b}</p>") })];
        for v in 1..20 {
            let industry = if v == 19 {
                "fintech"
            } else {
                ["retail", "healthcare", "manufacturing", "public-sector"][v % 4]
            };
            variants.push(json!({ "id": format!("v{v}"), "html": format!("<p>{b} {v}</p>"), "when": {
                "industry": industry, "company_size": { "$in": ["enterprise", "mid"] }, "role": { "$ne": "intern" },
                "$or": [ { "lifecycle": { "$in": ["lead", "trial"] } }, { "country": { "$regex": "^D" } } ] } }));
        }
        blocks.insert(
            format!("block-{b}"),
            json!({ "default": "default", "variants": variants }),
        );
    }
    let source = json!({ "site": "bench", "blocks": blocks }).to_string();
    let bundle = Bundle::from_source(&source, |_| Err(String::new())).unwrap();
    let catalog = CompiledCatalog::compile(Rc::new(bundle.manifest), &JsRegex).unwrap();
    let settings = ProfileSettings {
        keys: ring.clone(),
        ..ProfileSettings::default()
    };
    let header = format!("__Host-tailor_profile={cookie}");
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
    let key = Key::derive(
        "state",
        "7Jd0m1bq3cXo9T2Zr8WvYkLpN4sHaQfUe6gCiBtRxDw",
        Purpose::EdgeState,
    )
    .unwrap();
    let signals: Vec<Signal> = (0..10)
        .map(|i| {
            serde_json::from_value(json!({ "id": format!("signal_{i}"),
                "when": { "any": [ { "path": format!("/section{i}/*") }, { "query": { "name": "utm_campaign", "value": "dev-*" } } ] },
                "score": 1, "cap": 5, "lifetime": if i % 2 == 0 { "permanent" } else { "visit" } }))
            .unwrap()
        })
        .collect();
    let settings = SignalSettings::default();
    let mut warm = EdgeState::default();
    for i in 0..10u64 {
        let path = format!("/section{i}/page");
        observe(
            &mut warm,
            &signals,
            &settings,
            &RequestFacts {
                path: &path,
                ..RequestFacts::default()
            },
            NOW + i,
        );
    }
    let cookie = warm.encode(&key);
    let facts = RequestFacts {
        path: "/section3/pricing",
        query: "utm_campaign=dev-summit",
        ..RequestFacts::default()
    };
    time("state verify + 10 signals + attributes + sign", 10_000, || {
        let mut state = EdgeState::parse(&cookie, &key, NOW + 60).unwrap();
        observe(&mut state, &signals, &settings, &facts, NOW + 60);
        let _ = attributes(&state);
        let _ = state.encode(&key);
    });
}
