//! Fixtures shared by the native criterion benches and the wasm32 benches
//! (`tests/wasm_bench.rs`), so both measure exactly the same work.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::rc::Rc;

use serde_json::json;
use tailor_edge::catalog::source::{Bundle, SourceRules};
use tailor_edge::catalog::CompiledCatalog;
use tailor_edge::profile::{Key, Profile, Purpose};
use tailor_edge::signals::{observe, EdgeState, RequestFacts, Signal, SignalSettings};
use tailor_edge::targeting::RegexEngine;

/// The benches' "now", unix seconds.
pub const NOW: u64 = 1_795_003_600;
/// A 32-byte secret for every bench key.
pub const SECRET: &str = "7Jd0m1bq3cXo9T2Zr8WvYkLpN4sHaQfUe6gCiBtRxDw";

/// The profile-cookie key.
pub fn profile_key() -> Key {
    Key::derive("k2026a", SECRET, Purpose::ProfileCookie).unwrap()
}

/// The state-cookie key.
pub fn state_key() -> Key {
    Key::derive("state", SECRET, Purpose::EdgeState).unwrap()
}

/// A full profile: a fintech CTO at an enterprise, with a bucketing id.
pub fn fintech_cto() -> Profile {
    Profile {
        i: NOW - 3_600,
        e: NOW + 86_400,
        ind: Some("fintech".into()),
        role: Some("cto".into()),
        size: Some("enterprise".into()),
        stage: Some("lead".into()),
        bid: Some("Zk3qL9xT2mVbQ0aa".into()),
        c: "pa".into(),
        ..Profile::default()
    }
}

/// 5 blocks × 20 variants; each condition is a few operators deep (one
/// `$regex`), and a fintech CTO in Germany matches only the last variant of
/// each block, so every condition is evaluated.
pub fn catalog_5x20(regex: &dyn RegexEngine) -> CompiledCatalog {
    const INDUSTRIES: [&str; 4] = ["retail", "healthcare", "manufacturing", "public-sector"];
    let mut blocks = serde_json::Map::new();
    for b in 0..5 {
        let mut variants = vec![json!({ "id": "default", "html": format!("<p>default {b}</p>") })];
        for v in 1..20 {
            let industry = if v == 19 { "fintech" } else { INDUSTRIES[v % 4] };
            variants.push(json!({
                "id": format!("v{v}"),
                "html": format!("<p>block {b} variant {v}</p>"),
                "when": {
                    "industry": industry,
                    "company_size": { "$in": ["enterprise", "mid"] },
                    "role": { "$ne": "intern" },
                    "$or": [ { "lifecycle": { "$in": ["lead", "trial"] } }, { "country": { "$regex": "^D" } } ]
                }
            }));
        }
        blocks.insert(
            format!("block-{b}"),
            json!({ "default": "default", "variants": variants }),
        );
    }
    let source = json!({ "site": "bench", "blocks": blocks });
    // `build`, not `from_source`: this also runs on wasm32 (tests/wasm_bench.rs).
    let rules = SourceRules {
        read_file: &|_| Err(String::new()),
        clean_html: &|html| Ok(html.to_owned()),
        regex,
    };
    let bundle = Bundle::build(&source.to_string(), &rules).unwrap();
    CompiledCatalog::compile(Rc::new(bundle.manifest), regex).unwrap()
}

/// 10 signals of two criteria each, half visit-scoped.
pub fn ten_signals() -> Vec<Signal> {
    (0..10)
        .map(|i| {
            serde_json::from_value(json!({
                "id": format!("signal_{i}"),
                "when": { "any": [ { "path": format!("/section{i}/*") }, { "query": { "name": "utm_campaign", "value": "dev-*" } } ] },
                "score": 1, "cap": 5, "lifetime": if i % 2 == 0 { "permanent" } else { "visit" }
            }))
            .unwrap()
        })
        .collect()
}

/// A state cookie holding a score for each of `signals`.
pub fn warm_state_cookie(signals: &[Signal], settings: &SignalSettings, key: &Key) -> String {
    let mut state = EdgeState::default();
    for i in 0..10u64 {
        let path = format!("/section{i}/page");
        observe(
            &mut state,
            signals,
            settings,
            &RequestFacts {
                path: &path,
                ..RequestFacts::default()
            },
            NOW + i,
        );
    }
    state.encode(key)
}
