//! Signal evaluation + state-cookie verify/update per request, natively, for
//! 10 signals (issue target: under 5 µs).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use tailor_edge::signals::{attributes, observe, EdgeState, RequestFacts, SignalSettings};

fn signals_bench(c: &mut Criterion) {
    let key = common::state_key();
    let signals = common::ten_signals();
    let settings = SignalSettings::default();
    let cookie = common::warm_state_cookie(&signals, &settings, &key);
    let now = common::NOW + 60;
    let facts = RequestFacts {
        path: "/section3/pricing",
        query: "utm_campaign=dev-summit",
        ..RequestFacts::default()
    };
    c.bench_function("signals/verify state + 10 signals + attributes + sign", |b| {
        b.iter(|| {
            let mut state = EdgeState::parse(black_box(&cookie), &key, now).unwrap();
            observe(&mut state, &signals, &settings, &facts, now);
            let attrs = attributes(&state);
            (attrs, state.encode(&key))
        })
    });
}

criterion_group!(benches, signals_bench);
criterion_main!(benches);
