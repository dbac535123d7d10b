//! Fragment caches and the origin's generator through the request flow over
//! the fakes: cache tiers, a generator that is slow, failing, oversized or
//! unsafe, coalescing, the breaker, approval. `InstantTimer` makes anything
//! not ready at once "later than the budget"; `finish_background` plays what
//! `waitUntil` runs after the response.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{fixture, get, segment_cookie, with_generator, World};
use futures_util::future::join_all;
use serde_json::{json, Value};
use tailor_edge::catalog::source::Bundle;
use tailor_edge::catalog::{fragment_key, pointer_key};
use tailor_edge::edge::Prepared;
use tailor_edge::platform::fakes::{FakeAnswer, FakeGenerator, KvFault, MemoryKv};
use tailor_edge::platform::Clock;
use tailor_edge::profile::{KeyRing, Purpose};
use tailor_edge::route::Request;

const SECRET: &str = "dGVzdC1vbmx5LXByb2ZpbGUta2V5LTMyLWJ5dGVzLWxvbmch";

/// The fixture catalog with a generated CTA variant for CTOs and a hero
/// that generates when no variant fits; `approval` on the CTA.
fn catalog(approval: bool) -> Bundle {
    let mut source: Value = serde_json::from_str(&fixture("catalog.json")).unwrap();
    source["blocks"]["hero"]["generate"] = json!({ "unmatched": true });
    source["blocks"]["cta"]["variants"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "id": "for-you", "html": "<a href=\"/x\">Placeholder</a>", "when": { "role": "cto" }, "generated": true }));
    source["blocks"]["cta"]["generate"] = json!({ "approval": approval });
    Bundle::from_source(&source.to_string(), |_| Err("no files".into())).unwrap()
}

fn world(answer: FakeAnswer) -> World {
    with_generator(
        World::new(MemoryKv::with_entries(catalog(false).kv_entries())),
        SECRET,
        answer,
    )
}

fn cookie(world: &World, fields: &[(&str, &str)]) -> String {
    segment_cookie(world, SECRET, fields)
}

fn visit(world: &World, cookie: &str) -> Prepared {
    world.prepare_for(&Request {
        cookie: Some(cookie.to_owned()),
        ..get("/")
    })
}

fn filled(prepared: &Prepared, block: &str) -> String {
    prepared
        .plan
        .iter()
        .find(|(name, _)| *name == block)
        .map(|(_, fill)| fill.html.to_string())
        .unwrap_or_default()
}

/// No HTML is cached under keys containing `part`: only markers of an
/// unserved outcome (`\0pending`, …) may be.
fn no_generated_html(world: &World, part: &str) -> bool {
    world
        .cache
        .entries()
        .iter()
        .all(|(k, v)| !k.contains(part) || v.starts_with('\0'))
}

fn timing(prepared: &Prepared) -> String {
    prepared.decided.timing.header_value()
}

#[test]
fn a_generated_fragment_that_answers_in_time_is_served_and_cached() {
    let world = world(FakeAnswer::Html("<h1>Made for retail marketers</h1>".into()));
    let marketer = cookie(&world, &[("industry", "retail"), ("role", "marketer")]);
    let page = visit(&world, &marketer);
    assert_eq!(filled(&page, "hero"), "<h1>Made for retail marketers</h1>");
    assert!(timing(&page).contains("hero:generator"), "{}", timing(&page));
    let requests = world.generator.as_ref().unwrap().requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        serde_json::to_value(&requests[0].segment).unwrap(),
        json!({ "industry": "retail", "role": "marketer" }),
        "only the segment's labels"
    );
    assert_eq!(
        world
            .cache
            .keys()
            .iter()
            .filter(|k| k.contains("/generated/hero/"))
            .count(),
        1
    );
    // The next visitor of the same segment: no call.
    let again = visit(&world, &marketer);
    assert_eq!(filled(&again, "hero"), "<h1>Made for retail marketers</h1>");
    assert_eq!(world.generator.as_ref().unwrap().requests().len(), 1);
}

#[test]
fn a_slow_generator_never_holds_the_page_and_the_next_request_hits_the_cache() {
    let world = world(FakeAnswer::Slow("<h1>Late but good</h1>".into()));
    let marketer = cookie(&world, &[("industry", "retail"), ("role", "marketer")]);
    let first = visit(&world, &marketer);
    assert!(
        filled(&first, "hero").contains("Made for you"),
        "the default, now"
    );
    assert!(
        timing(&first).contains("hero:generator-late"),
        "{}",
        timing(&first)
    );
    assert!(world.cache.keys().iter().all(|k| !k.contains("/generated/")));
    world.finish_background();
    // Another isolate at the same location: the Cache API has it.
    let other = World {
        cache: world.cache.clone(),
        ..world_like(&world)
    };
    let second = visit(&other, &marketer);
    assert_eq!(filled(&second, "hero"), "<h1>Late but good</h1>");
    assert!(timing(&second).contains("hero:cache"), "{}", timing(&second));
    assert!(other.generator.as_ref().unwrap().requests().is_empty());
}

/// A fresh isolate over the same KV and generator settings.
fn world_like(world: &World) -> World {
    let mut fresh = World::new(MemoryKv::with_entries(world.kv.snapshot()));
    fresh.config = world.config.clone();
    fresh.generator = Some(FakeGenerator::answering(FakeAnswer::Error));
    fresh
}

#[test]
fn a_thousand_concurrent_requests_for_one_uncached_fragment_make_one_generator_call() {
    let world = world(FakeAnswer::Hang);
    let marketer = cookie(&world, &[("industry", "retail"), ("role", "marketer")]);
    let edge = world.edge();
    let requests: Vec<Request> = (0..1000)
        .map(|_| Request {
            cookie: Some(marketer.clone()),
            ..get("/")
        })
        .collect();
    let now = world.clock.now_ms();
    let pages = futures_executor::block_on(join_all(requests.iter().map(|r| edge.prepare(r, now))));
    assert_eq!(world.generator.as_ref().unwrap().requests().len(), 1);
    assert_eq!(world.isolate.generation.calls(), 1);
    assert!(pages.iter().all(|p| filled(p, "hero").contains("Made for you")));
    let fallbacks = world.isolate.generation.fallbacks();
    assert_eq!(fallbacks.get("generator-late"), Some(&1));
    assert_eq!(fallbacks.get("generator-in-flight"), Some(&999));
}

#[test]
fn failing_answers_fall_back_and_are_never_cached() {
    for (answer, label) in [
        (
            FakeAnswer::Status(503, "<h1>busy</h1>".into()),
            "generator-failed",
        ),
        (FakeAnswer::Error, "generator-failed"),
        (
            FakeAnswer::ContentType("application/json".into(), "{}".into()),
            "generator-failed",
        ),
        (FakeAnswer::Html("x".repeat(70 * 1024)), "generator-failed"),
        (
            FakeAnswer::Html("<h1>hi</h1><script>steal()</script>".into()),
            "generator-unsafe",
        ),
    ] {
        let world = world(answer.clone());
        let page = visit(&world, &cookie(&world, &[("industry", "retail")]));
        assert!(filled(&page, "hero").contains("Made for you"), "{answer:?}");
        assert!(
            timing(&page).contains(&format!("hero:{label}")),
            "{answer:?}: {}",
            timing(&page)
        );
        assert!(no_generated_html(&world, "/generated/"), "{answer:?}");
    }
}

#[test]
fn the_breaker_stops_calling_a_failing_generator() {
    let world = world(FakeAnswer::Error);
    for industry in ["a1", "a2", "a3", "a4", "a5"] {
        visit(&world, &cookie(&world, &[("industry", industry)]));
    }
    assert_eq!(world.isolate.generation.calls(), 3, "opened after three failures");
    let page = visit(&world, &cookie(&world, &[("industry", "a6")]));
    assert!(timing(&page).contains("hero:generator-open"));
    // After the open period one trial goes through; success closes it.
    world.clock.advance(31_000.0);
    world
        .generator
        .as_ref()
        .unwrap()
        .set(FakeAnswer::Html("<p>back</p>".into()));
    let page = visit(&world, &cookie(&world, &[("industry", "a7")]));
    assert_eq!(filled(&page, "hero"), "<p>back</p>");
    assert_eq!(world.isolate.generation.calls(), 4);
}

#[test]
fn a_block_needing_approval_keeps_generated_content_pending_and_never_serves_it() {
    let mut world = World::new(MemoryKv::with_entries(catalog(true).kv_entries()));
    world.config.profile.keys = KeyRing::parse(&format!("k1:{SECRET}"), Purpose::ProfileCookie).0;
    world.generator = Some(FakeGenerator::answering(FakeAnswer::Html(
        "<a href=\"/p\">20% off</a>".into(),
    )));
    let cto = cookie(&world, &[("role", "cto")]);
    let page = visit(&world, &cto);
    assert_eq!(filled(&page, "cta"), "<a href=\"/x\">Placeholder</a>");
    assert!(
        timing(&page).contains("cta:generator-pending-approval"),
        "{}",
        timing(&page)
    );
    assert_eq!(
        world.sanitizer.pending.borrow().as_slice(),
        ["<a href=\"/p\">20% off</a>"]
    );
    assert!(no_generated_html(&world, "/generated/cta/"));
}

#[test]
fn visitors_without_segment_labels_or_consent_never_reach_the_generator() {
    let world = world(FakeAnswer::Html("<h1>x</h1>".into()));
    visit(&world, "");
    let mut no_consent = cookie(&world, &[("industry", "retail")]);
    no_consent.push_str("; tailor_optout=1");
    world.prepare_for(&Request {
        cookie: Some(no_consent),
        global_privacy_control: true,
        ..get("/")
    });
    assert!(world.generator.as_ref().unwrap().requests().is_empty());
}

#[test]
fn published_fragments_are_cached_at_the_location_after_the_response() {
    let world = World::new(MemoryKv::with_entries(catalog(false).kv_entries()));
    let first = world.prepare("/");
    assert!(
        timing(&first).contains("0 memory 0 cache 3 kv"),
        "{}",
        timing(&first)
    );
    world.finish_background();
    assert_eq!(
        world
            .cache
            .keys()
            .iter()
            .filter(|k| k.contains("/fragment/"))
            .count(),
        3
    );
    // A new isolate at the same location, with KV failing for fragments: the Cache API serves.
    let kv = MemoryKv::with_entries(world.kv.snapshot());
    let bundle = catalog(false);
    for hash in bundle.fragments.keys() {
        kv.inject(&fragment_key("shop", hash), KvFault::Fail("down".into()));
    }
    let other = World {
        cache: world.cache.clone(),
        ..World::new(kv)
    };
    let page = other.prepare("/");
    assert!(
        timing(&page).contains("0 memory 3 cache 0 kv"),
        "{}",
        timing(&page)
    );
    assert_eq!(page.plan.len(), 3);
    assert!(other.kv.reads().iter().all(|k| !k.contains("/fragment/")));
    let _ = pointer_key("shop");
}

/// The fixture catalog with a hero that generates for unmatched segments
/// under guardrails; its variants state no number but one: "2 minutes".
fn guarded_world(answer: FakeAnswer) -> World {
    let mut source: Value = serde_json::from_str(&fixture("catalog.json")).unwrap();
    source["blocks"]["hero"]["variants"][1]["html"] =
        json!("<h1 class=\"hero\">For CTOs, set up in 2 minutes</h1>");
    source["blocks"]["hero"]["generate"] = json!({
        "unmatched": true,
        "brief": "A one-line hero headline for the landing page.",
        "guardrails": { "max_words": 8, "refuse": ["guarantee"], "require": ["edge"], "numbers": "source" }
    });
    let bundle = Bundle::from_source(&source.to_string(), |_| Err("no files".into())).unwrap();
    let guardrails = &bundle.manifest.blocks["hero"]
        .generate
        .as_ref()
        .unwrap()
        .guardrails;
    assert_eq!(
        guardrails.as_ref().unwrap().source_numbers,
        ["2"],
        "computed from the variants"
    );
    let mut world = World::new(MemoryKv::with_entries(bundle.kv_entries()));
    world.config.profile.keys = KeyRing::parse(&format!("k1:{SECRET}"), Purpose::ProfileCookie).0;
    world.generator = Some(FakeGenerator::answering(answer));
    world
}

#[test]
fn a_draft_that_keeps_its_guardrails_is_served_and_the_request_carries_brief_and_rules() {
    let world = guarded_world(FakeAnswer::Html(
        "<h1>Retail pages at the edge in 2 minutes</h1>".into(),
    ));
    let page = visit(&world, &cookie(&world, &[("industry", "retail")]));
    assert_eq!(
        filled(&page, "hero"),
        "<h1>Retail pages at the edge in 2 minutes</h1>"
    );
    let request = &world.generator.as_ref().unwrap().requests()[0];
    assert_eq!(
        request.brief.as_deref(),
        Some("A one-line hero headline for the landing page.")
    );
    assert_eq!(request.guardrails.as_ref().unwrap().max_words, Some(8));
    let wire = serde_json::to_value(request).unwrap();
    assert_eq!(wire["guardrails"]["source_numbers"], json!(["2"]));
}

#[test]
fn a_draft_that_breaks_a_guardrail_is_never_served_and_is_recorded_with_the_rule() {
    for (draft, label) in [
        (
            "<h1>The edge: retail pages that convert, every single day, for you</h1>",
            "guardrail:max_words",
        ),
        ("<h1>We guarantee it, at the edge</h1>", "guardrail:refuse"),
        ("<h1>Made for retail</h1>", "guardrail:require"),
        ("<h1>At the edge in 5 minutes</h1>", "guardrail:numbers"),
    ] {
        let world = guarded_world(FakeAnswer::Html(draft.into()));
        let retail = cookie(&world, &[("industry", "retail")]);
        let page = visit(&world, &retail);
        assert!(
            filled(&page, "hero").contains("Made for you"),
            "{draft}: the default"
        );
        assert!(
            timing(&page).contains(&format!("hero:{label}")),
            "{draft}: {}",
            timing(&page)
        );
        assert_eq!(
            world.sanitizer.refused.borrow().as_slice(),
            [(label, draft.to_owned())]
        );
        assert!(no_generated_html(&world, "/generated/"), "never cached");
        assert_eq!(world.isolate.generation.fallbacks().get(label), Some(&1));
    }
}

#[test]
fn refusals_do_not_open_the_breaker_and_a_generators_own_refusal_is_honoured() {
    let refusal = json!({
        "refused": { "rule": "max_words", "detail": "12 words; the limit is 8" },
        "html": "<h1>A draft far too long for its block at the edge</h1>"
    });
    // A 422 must be JSON with `refused`; anything else is a failure.
    let world = guarded_world(FakeAnswer::Status(422, String::new()));
    let generator = world.generator.as_ref().unwrap().clone();
    let page = visit(&world, &cookie(&world, &[("industry", "a0")]));
    assert!(
        timing(&page).contains("hero:generator-failed"),
        "{}",
        timing(&page)
    );
    let answer = |body: String| FakeAnswer::StatusType(422, "application/json".into(), body);
    generator.set(answer(refusal.to_string()));
    for industry in ["a1", "a2", "a3", "a4", "a5"] {
        let page = visit(&world, &cookie(&world, &[("industry", industry)]));
        assert!(
            timing(&page).contains("hero:guardrail:max_words"),
            "{}",
            timing(&page)
        );
    }
    assert_eq!(world.isolate.generation.calls(), 6, "the breaker stayed closed");
    assert_eq!(
        world.sanitizer.refused.borrow().len(),
        5,
        "each draft kept for review"
    );
    // A refusal without a draft and with a rule of the generator's own.
    generator.set(answer(json!({ "refused": { "rule": "tone" } }).to_string()));
    let page = visit(&world, &cookie(&world, &[("industry", "a9")]));
    assert!(
        timing(&page).contains("hero:guardrail:generator"),
        "{}",
        timing(&page)
    );
}
