//! Deciding a page of 5 blocks × 20 variants with conditions, and the whole
//! per-request profile + decision work (cookie verification, anonymous
//! attributes, decisions), natively.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::rc::Rc;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use tailor_edge::catalog::source::Bundle;
use tailor_edge::decide::{decide, CompiledCatalog};
use tailor_edge::profile::{
    resolve, sign, Key, KeyRing, Profile, ProfileSettings, Purpose, RequestContext, DEFAULT_COOKIE_NAME,
};
use tailor_edge::targeting::NativeRegex;

const NOW: u64 = 1_795_003_600;
const INDUSTRIES: [&str; 5] = [
    "retail",
    "healthcare",
    "manufacturing",
    "public-sector",
    "fintech",
];

/// 5 blocks × 20 variants; each condition is a few operators deep, and the
/// visitor (a fintech CTO) matches only the last variant of each block, so
/// every condition is evaluated.
fn catalog() -> CompiledCatalog {
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
    let bundle = Bundle::from_source(&source.to_string(), |_| Err(String::new())).unwrap();
    CompiledCatalog::compile(Rc::new(bundle.manifest), &NativeRegex).unwrap()
}

fn decide_benches(c: &mut Criterion) {
    let catalog = catalog();
    let key = Key::derive(
        "k1",
        "7Jd0m1bq3cXo9T2Zr8WvYkLpN4sHaQfUe6gCiBtRxDw",
        Purpose::ProfileCookie,
    )
    .unwrap();
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
    let cookie = sign(&profile, &key, DEFAULT_COOKIE_NAME).unwrap();
    let settings = ProfileSettings {
        keys: KeyRing::from_keys(vec![key]),
        ..ProfileSettings::default()
    };
    let header = format!("_ga=GA1.2.3; {DEFAULT_COOKIE_NAME}={cookie}");
    let ctx = RequestContext {
        cookie_header: Some(&header),
        user_agent: Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Safari/605.1.15"),
        query: "utm_source=newsletter",
        country: Some("DE"),
        ..RequestContext::default()
    };
    let visitor = resolve(&ctx, &settings, NOW);
    let decisions = decide(&catalog, &visitor, NOW);
    assert!(
        decisions.iter().all(|d| d.variant == "v19"),
        "the bench must evaluate every condition"
    );

    c.bench_function("decide/5 blocks x 20 variants", |b| {
        b.iter(|| decide(black_box(&catalog), black_box(&visitor), NOW))
    });
    c.bench_function("decide/cookie verify + profile + 5x20 decisions", |b| {
        b.iter(|| {
            let visitor = resolve(black_box(&ctx), &settings, NOW);
            decide(&catalog, &visitor, NOW)
        })
    });
}

criterion_group!(benches, decide_benches);
criterion_main!(benches);
