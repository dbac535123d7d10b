//! The whole request flow, natively, through the in-memory fakes: catalog in
//! KV → decisions → fragments → what happens to the origin's response.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{bundle, fixture, get, published_kv, World};
use tailor_edge::catalog::{fragment_key, manifest_key, pointer_key};
use tailor_edge::edge::{dispose, Disposition, Outcome, Prepared};
use tailor_edge::http::HeaderEdit;
use tailor_edge::platform::fakes::{KvFault, MemoryKv, MemoryResponse};
use tailor_edge::rewrite::native;
use tailor_edge::route::Request;

fn rewritten(world: &World, path: &str, page: &str) -> (Vec<u8>, Vec<HeaderEdit>) {
    let response = MemoryResponse::html(page);
    match dispose(world.prepare(path), &response) {
        Disposition::Rewrite { plan, headers } => (native::rewrite(&plan, &response.body).unwrap(), headers),
        other => panic!("expected a rewrite, got {other:?}"),
    }
}

fn server_timing(headers: &[HeaderEdit]) -> String {
    headers
        .iter()
        .find_map(|h| match h {
            HeaderEdit::Append("server-timing", v) => Some(v.clone()),
            _ => None,
        })
        .expect("a server-timing header")
}

#[test]
fn a_page_gets_each_known_block_filled_with_its_default_variant() {
    let world = World::new(published_kv());
    let (body, _) = rewritten(&world, "/", &fixture("page.html"));
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains(
        r#"<tailor-block name="hero"><h1 class="hero">Made for you — at the edge</h1></tailor-block>"#
    ));
    assert!(body
        .contains(r#"<tailor-block name="cta"><a class="btn" href="/start">Start now ✓</a></tailor-block>"#));
    assert!(body.contains(r#"<TAILOR-BLOCK NAME="banner"><p>Ünïcödé bänner · 日本語</p></TAILOR-BLOCK>"#));
    assert!(body.contains("<p>Kept: the catalog does not know this block.</p>"));
    assert!(body.contains(r#"var s = '<tailor-block name="hero">in a script</tailor-block>';"#));
    assert!(body.contains(r#"<!-- <tailor-block name="cta">in a comment</tailor-block> -->"#));
}

#[test]
fn a_personalized_response_is_private_and_loses_the_origin_validators() {
    let world = World::new(published_kv());
    let (_, headers) = rewritten(&world, "/", &fixture("page.html"));
    assert!(headers.contains(&HeaderEdit::Set("cache-control", "private, no-store".into())));
    for name in ["etag", "last-modified", "content-length"] {
        assert!(
            headers.contains(&HeaderEdit::Remove(name)),
            "{name} must be removed"
        );
    }
    let timing = server_timing(&headers);
    for phase in ["catalog;dur=", "decide;dur=", "fragments;dur=", "rewrite;desc="] {
        assert!(timing.contains(phase), "{phase} missing from {timing}");
    }
}

#[test]
fn a_cold_isolate_reads_the_manifest_once_then_only_the_pointer() {
    let world = World::new(published_kv());
    world.prepare("/");
    world.prepare("/");
    world.prepare("/");
    let version = bundle().manifest.version;
    let reads = world.kv.reads();
    let manifest_reads = reads
        .iter()
        .filter(|k| **k == manifest_key("shop", &version))
        .count();
    let pointer_reads = reads.iter().filter(|k| **k == pointer_key("shop")).count();
    let fragment_reads = reads.iter().filter(|k| k.contains("/fragment/")).count();
    assert_eq!(manifest_reads, 1);
    assert_eq!(pointer_reads, 3, "refresh 0 checks the pointer on every request");
    assert_eq!(
        fragment_reads, 3,
        "each fragment is read once, then served from memory"
    );
}

#[test]
fn within_the_refresh_interval_no_kv_read_happens_at_all() {
    let mut world = World::new(published_kv());
    world.config.catalog_refresh_ms = 10_000;
    world.prepare("/");
    let after_first = world.kv.reads().len();
    world.clock.advance(5_000.0);
    world.prepare("/");
    assert_eq!(world.kv.reads().len(), after_first);
    world.clock.advance(6_000.0);
    let stale = world.prepare("/");
    assert!(stale
        .decided
        .timing
        .header_value()
        .contains("memory-revalidating"));
    assert_eq!(
        world.kv.reads().len(),
        after_first,
        "the check runs after the response"
    );
    world.finish_background();
    assert_eq!(
        world.kv.reads().len(),
        after_first + 1,
        "only the pointer is read again"
    );
}

#[test]
fn a_due_pointer_check_runs_in_the_background_and_the_next_request_sees_the_new_version() {
    let mut world = World::new(published_kv());
    world.config.catalog_refresh_ms = 10_000;
    let first = world.prepare("/");
    let source = fixture("catalog.json").replace("Made for you — at the edge", "Fresh from a new publish");
    let updated = tailor_edge::catalog::source::Bundle::from_source(&source, |_| Err(String::new())).unwrap();
    for (key, value) in updated.kv_entries() {
        world.kv.put(&key, &value);
    }
    world.clock.advance(11_000.0);
    let during = world.prepare("/");
    assert_eq!(
        during.decided.catalog.as_ref().unwrap().manifest.version,
        first.decided.catalog.as_ref().unwrap().manifest.version,
        "served from memory at once"
    );
    world.finish_background();
    let after = world.prepare("/");
    assert_eq!(
        after.decided.catalog.as_ref().unwrap().manifest.version,
        updated.manifest.version
    );
}

#[test]
fn a_failing_kv_is_not_asked_again_until_the_refresh_interval_passes() {
    let mut world = World::new(published_kv());
    world.config.catalog_refresh_ms = 10_000;
    world.prepare("/");
    world.kv.inject(&pointer_key("shop"), KvFault::Hang);
    world.clock.advance(11_000.0);
    world.prepare("/");
    world.finish_background();
    let reads = world.kv.reads().len();
    let page = world.prepare("/");
    assert_eq!(page.decided.outcome, Outcome::Personalize);
    assert_eq!(world.kv.reads().len(), reads, "backed off after the failed check");
}

#[test]
fn a_new_publish_is_picked_up_on_the_next_request() {
    let world = World::new(published_kv());
    let first = world.prepare("/");
    let source = fixture("catalog.json").replace("Made for you — at the edge", "Fresh from a new publish");
    let updated = tailor_edge::catalog::source::Bundle::from_source(&source, |_| Err(String::new())).unwrap();
    for (key, value) in updated.kv_entries() {
        world.kv.put(&key, &value);
    }
    let second = world.prepare("/");
    let hero = |p: &Prepared| {
        p.plan
            .iter()
            .find(|(n, _)| *n == "hero")
            .map(|(_, f)| f.html.to_string())
            .unwrap()
    };
    assert!(hero(&first).contains("Made for you"));
    assert!(hero(&second).contains("Fresh from a new publish"));
}

#[test]
fn a_new_version_whose_fragments_have_not_arrived_yet_waits_behind_the_last_good_one() {
    let world = World::new(published_kv());
    world.prepare("/");
    let source = fixture("catalog.json").replace("Made for you — at the edge", "Not here yet");
    let updated = tailor_edge::catalog::source::Bundle::from_source(&source, |_| Err(String::new())).unwrap();
    let entries = updated.kv_entries();
    // The pointer and manifest reached this location; one new fragment did not.
    let late = entries
        .iter()
        .find(|(_, value)| value.contains("Not here yet"))
        .cloned()
        .unwrap();
    for (key, value) in &entries {
        if *key != late.0 {
            world.kv.put(key, value);
        }
    }
    let waiting = world.prepare("/");
    assert_eq!(waiting.decided.outcome, Outcome::Personalize);
    assert_ne!(
        waiting.decided.catalog.as_ref().unwrap().manifest.version,
        updated.manifest.version
    );
    assert!(waiting.decided.timing.header_value().contains("last-known-good"));
    world.kv.put(&late.0, &late.1);
    let arrived = world.prepare("/");
    assert_eq!(
        arrived.decided.catalog.as_ref().unwrap().manifest.version,
        updated.manifest.version
    );
}

#[test]
fn a_pointer_ahead_of_its_manifest_keeps_the_last_good_version() {
    let world = World::new(published_kv());
    let first = world.prepare("/");
    world.kv.put(
        &pointer_key("shop"),
        "{\"schema\":1,\"version\":\"v-00000000000000aa\"}",
    );
    let prepared = world.prepare("/");
    assert_eq!(prepared.decided.outcome, Outcome::Personalize);
    assert_eq!(
        prepared.decided.catalog.as_ref().unwrap().manifest.version,
        first.decided.catalog.as_ref().unwrap().manifest.version
    );
    assert!(prepared.decided.timing.header_value().contains("last-known-good"));
}

fn assert_fail_open(world: &World, label: &'static str) {
    let prepared = world.prepare("/");
    assert_eq!(prepared.decided.outcome, Outcome::FailOpen(label));
    match dispose(prepared, &MemoryResponse::html("<p>origin</p>")) {
        Disposition::Annotate { headers } => {
            assert!(server_timing(&headers).contains(&format!("fail-open: {label}")));
            assert!(!headers
                .iter()
                .any(|h| matches!(h, HeaderEdit::Set("cache-control", _))));
        }
        other => panic!("expected the origin's page with diagnostics, got {other:?}"),
    }
}

#[test]
fn nothing_published_means_the_origin_page_unchanged() {
    assert_fail_open(&World::new(MemoryKv::new()), "not-published");
}

#[test]
fn a_pointer_ahead_of_its_manifest_means_the_origin_page_unchanged() {
    let kv = published_kv();
    kv.delete(&manifest_key("shop", &bundle().manifest.version));
    assert_fail_open(&World::new(kv), "manifest-missing");
}

#[test]
fn a_corrupt_manifest_or_pointer_means_the_origin_page_unchanged() {
    let kv = published_kv();
    kv.put(
        &manifest_key("shop", &bundle().manifest.version),
        "{\"schema\":1,\"site\":",
    );
    assert_fail_open(&World::new(kv), "catalog-corrupt");
    let kv = published_kv();
    kv.put(&pointer_key("shop"), "\u{0}garbage");
    assert_fail_open(&World::new(kv), "catalog-corrupt");
}

#[test]
fn kv_slower_than_the_budget_means_the_origin_page_unchanged() {
    let kv = published_kv();
    kv.inject(&pointer_key("shop"), KvFault::Hang);
    assert_fail_open(&World::new(kv), "kv-timeout");
}

#[test]
fn a_failing_kv_means_the_origin_page_unchanged() {
    let kv = published_kv();
    kv.inject(&pointer_key("shop"), KvFault::Fail("connection reset".into()));
    assert_fail_open(&World::new(kv), "kv-error");
}

#[test]
fn when_kv_fails_later_the_last_good_catalog_is_served() {
    let world = World::new(published_kv());
    world.prepare("/");
    world
        .kv
        .inject(&pointer_key("shop"), KvFault::Fail("down".into()));
    let prepared = world.prepare("/");
    assert_eq!(prepared.decided.outcome, Outcome::Personalize);
    assert_eq!(prepared.plan.len(), 3);
    assert!(prepared.decided.timing.header_value().contains("last-known-good"));
}

#[test]
fn a_missing_or_corrupt_fragment_leaves_only_that_block_to_the_origin() {
    let kv = published_kv();
    let manifest = bundle().manifest;
    let cta = &manifest.blocks["cta"].variants[0].fragment;
    let banner = &manifest.blocks["banner"].variants[0].fragment;
    kv.delete(&fragment_key("shop", cta));
    kv.put(&fragment_key("shop", banner), "<script>alert(1)</script>");
    let world = World::new(kv);
    let (body, headers) = rewritten(&world, "/", &fixture("page.html"));
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("Made for you"));
    assert!(body.contains(r#"<a href="/origin">Origin CTA</a>"#));
    assert!(body.contains("<p>Origin banner</p>"));
    assert!(!body.contains("alert(1)"));
    let timing = server_timing(&headers);
    assert!(
        timing.contains("fragment-missing") && timing.contains("fragment-corrupt"),
        "{timing}"
    );
}

#[test]
fn a_hanging_fragment_read_ends_at_the_budget_and_the_block_keeps_the_origin_content() {
    let kv = published_kv();
    let cta = bundle().manifest.blocks["cta"].variants[0].fragment.clone();
    kv.inject(&fragment_key("shop", &cta), KvFault::Hang);
    let world = World::new(kv);
    let prepared = world.prepare("/");
    assert_eq!(prepared.plan.len(), 2);
    assert!(prepared
        .decided
        .timing
        .header_value()
        .contains("fragment-timeout"));
}

#[test]
fn responses_that_are_not_200_html_pass_through_untouched() {
    let world = World::new(published_kv());
    let cases = [
        MemoryResponse {
            status: 404,
            ..MemoryResponse::html("<p>not found</p>")
        },
        MemoryResponse {
            status: 304,
            ..MemoryResponse::html("")
        },
        MemoryResponse {
            headers: vec![("Content-Type".into(), "application/json".into())],
            ..MemoryResponse::html("{}")
        },
        MemoryResponse {
            headers: vec![],
            ..MemoryResponse::html("<p>no type</p>")
        },
        MemoryResponse {
            headers: vec![
                ("content-type".into(), "text/html".into()),
                ("content-range".into(), "bytes 0-9/100".into()),
            ],
            ..MemoryResponse::html("<p>part</p>")
        },
    ];
    for response in cases {
        assert_eq!(
            dispose(world.prepare("/"), &response),
            Disposition::PassThrough,
            "{response:?}"
        );
    }
}

#[test]
fn html_with_parameters_and_odd_case_is_still_html() {
    let world = World::new(published_kv());
    let response = MemoryResponse {
        headers: vec![("Content-Type".into(), " TEXT/HTML ; charset=UTF-8".into())],
        ..MemoryResponse::html("<p>x</p>")
    };
    assert!(matches!(
        dispose(world.prepare("/"), &response),
        Disposition::Rewrite { .. }
    ));
}

#[test]
fn a_page_outside_the_catalogs_pages_is_left_entirely_alone() {
    let world = World::new(published_kv());
    let prepared = world.prepare("/about");
    assert_eq!(prepared.decided.outcome, Outcome::NotCovered);
    assert_eq!(
        dispose(prepared, &MemoryResponse::html("<p>x</p>")),
        Disposition::PassThrough
    );
}

#[test]
fn a_worker_without_a_site_fails_open() {
    let mut world = World::new(published_kv());
    world.config.site = None;
    assert_eq!(world.prepare("/").decided.outcome, Outcome::FailOpen("no-site"));
    assert!(world.kv.reads().is_empty());
}

#[test]
fn a_first_visit_from_a_known_network_gets_its_labels_only_when_enabled() {
    let ctx = Request {
        asn: Some(64500),
        ..get("/")
    };
    let hero = |world: &World| {
        let prepared = world.prepare_for(&ctx);
        let variant = prepared
            .plan
            .fill_for(Some("hero"))
            .map(|f| f.variant.clone())
            .unwrap();
        variant
    };
    let mut world = World::new(published_kv());
    assert_eq!(hero(&world), "default", "off by default");
    world.config.firmographics = true;
    assert_eq!(hero(&world), "fintech");
    let elsewhere = Request {
        asn: Some(1),
        ..get("/")
    };
    let prepared = world.prepare_for(&elsewhere);
    assert_eq!(prepared.plan.fill_for(Some("hero")).unwrap().variant, "default");
}
