//! Signal evaluation + state-cookie verify/update per request, natively, for
//! 10 signals (issue target: under 5 µs).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use tailor_edge::profile::{Key, Purpose};
use tailor_edge::signals::{attributes, observe, EdgeState, RequestFacts, Signal, SignalSettings};

fn signals_bench(c: &mut Criterion) {
    let key = Key::derive(
        "state",
        "7Jd0m1bq3cXo9T2Zr8WvYkLpN4sHaQfUe6gCiBtRxDw",
        Purpose::EdgeState,
    )
    .unwrap();
    let signals: Vec<Signal> = (0..10)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "id": format!("signal_{i}"),
                "when": { "any": [ { "path": format!("/section{i}/*") }, { "query": { "name": "utm_campaign", "value": "dev-*" } } ] },
                "score": 1, "cap": 5, "lifetime": if i % 2 == 0 { "permanent" } else { "visit" }
            }))
            .unwrap()
        })
        .collect();
    let settings = SignalSettings::default();
    let now = 1_795_000_000u64;
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
            now + i,
        );
    }
    let cookie = warm.encode(&key);
    let facts = RequestFacts {
        path: "/section3/pricing",
        query: "utm_campaign=dev-summit",
        ..RequestFacts::default()
    };
    c.bench_function("signals/verify state + 10 signals + attributes + sign", |b| {
        b.iter(|| {
            let mut state = EdgeState::parse(black_box(&cookie), &key, now + 60).unwrap();
            observe(&mut state, &signals, &settings, &facts, now + 60);
            let attrs = attributes(&state);
            (attrs, state.encode(&key))
        })
    });
}

criterion_group!(benches, signals_bench);
criterion_main!(benches);
