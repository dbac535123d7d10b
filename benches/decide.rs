//! Deciding a page of 5 blocks × 20 variants with conditions, and the whole
//! per-request profile + decision work (cookie verification, anonymous
//! attributes, decisions), natively.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::hint::black_box;

use common::NOW;
use criterion::{criterion_group, criterion_main, Criterion};
use tailor_edge::decide::decide;
use tailor_edge::profile::{resolve, sign, KeyRing, ProfileSettings, RequestContext, DEFAULT_COOKIE_NAME};
use tailor_edge::targeting::NativeRegex;

fn decide_benches(c: &mut Criterion) {
    let catalog = common::catalog_5x20(&NativeRegex);
    let key = common::profile_key();
    let cookie = sign(&common::fintech_cto(), &key, DEFAULT_COOKIE_NAME).unwrap();
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
