//! The whole request flow natively, through the in-memory fakes of the
//! integration tests (`tests/common`), on a warm isolate: catalog in memory,
//! decisions, fragments from the memory tier, what to do with the response,
//! and the native engine applying the plan to the fixture page.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod world;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use tailor_edge::edge::{dispose, Disposition};
use tailor_edge::platform::fakes::MemoryResponse;
use tailor_edge::rewrite::native;
use tailor_edge::route::Request;
use world::{fixture, get, published_kv, World};

fn flow_benches(c: &mut Criterion) {
    let mut world = World::new(published_kv());
    // Warm: the catalog stays fresh for the whole run, fragments in memory.
    world.config.catalog_refresh_ms = 3_600_000;
    let visitor = Request {
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0".into()),
        referer: Some("https://news.example/fintech".into()),
        asn: Some(64500),
        ..get("/")
    };
    let _ = world.prepare_for(&visitor);
    world.finish_background();
    let page = MemoryResponse::html(&fixture("page.html"));

    c.bench_function(
        "flow/prepare (warm: profile, catalog, decisions, fragments)",
        |b| b.iter(|| black_box(world.prepare_for(&visitor))),
    );
    c.bench_function(
        "flow/prepare + dispose + native rewrite of the fixture page",
        |b| {
            b.iter(|| {
                let prepared = world.prepare_for(&visitor);
                match dispose(prepared, &page) {
                    Disposition::Rewrite { plan, headers } => {
                        black_box((native::rewrite(&plan, &page.body).unwrap(), headers))
                    }
                    other => panic!("expected a rewrite, got {other:?}"),
                }
            })
        },
    );
}

criterion_group!(benches, flow_benches);
criterion_main!(benches);
