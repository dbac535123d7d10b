//! The loop's store and tick over the fakes: a batch counts once whatever
//! the retries, a failed batch loses nothing, and the tick publishes the
//! windowed posteriors as a new live version.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use futures_executor::block_on;
use tailor_edge::catalog::source::Bundle;
use tailor_edge::events::tally::{Exposures, DAY_MS};
use tailor_edge::feedback::{serve_loop, tick, Batch, CountStore, LoopRoute, LoopSettings, MemoryCountStore};
use tailor_edge::platform::fakes::MemoryKv;
use tailor_edge::publish::live_manifest;

const NOW: u64 = 20_000 * DAY_MS + 3_600_000;

fn event(id: &str, kind: &str, variant: &str, reason: &str, ts_ms: u64) -> String {
    format!(
        r#"{{"kind":"{kind}","event_id":"{id}","ts_ms":{ts_ms},"site":"demo","catalog_version":"v-1","path":"/","block":"offer","variant":"{variant}","reason":"{reason}"}}"#
    )
}

/// `exposures` and `conversions` of `variant` by the bandit, at `ts_ms`, ids prefixed `tag`.
fn page_events(tag: &str, variant: &str, exposures: usize, conversions: usize, ts_ms: u64) -> Vec<String> {
    let mut lines: Vec<String> = (0..exposures)
        .map(|i| event(&format!("{tag}-e{i}"), "exposure", variant, "bandit", ts_ms))
        .collect();
    lines.extend(
        (0..conversions).map(|i| event(&format!("{tag}-c{i}"), "conversion", variant, "bandit", ts_ms)),
    );
    lines
}

fn batch(id: &str, lines: &[String]) -> Batch {
    Batch::from_messages(id.into(), lines.iter().map(String::as_str), Exposures::Served)
}

fn loop_kv() -> MemoryKv {
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/loop/catalog.json")).unwrap();
    let bundle = Bundle::from_source(&source, |f| Err(format!("no file {f}"))).unwrap();
    MemoryKv::with_entries(bundle.kv_entries())
}

fn offer(store: &MemoryCountStore) -> (u64, u64) {
    let rows = block_on(store.rows_since(0)).unwrap();
    rows.iter()
        .filter(|r| r.key.variant == "bold")
        .fold((0, 0), |(e, c), r| {
            (e + r.counts.exposures, c + r.counts.conversions)
        })
}

#[test]
fn a_retried_batch_counts_once_and_a_failed_one_loses_nothing() {
    let store = MemoryCountStore::default();
    let lines = page_events("a", "bold", 10, 2, NOW);
    block_on(store.apply(&batch("delivery-1", &lines))).unwrap();
    block_on(store.apply(&batch("delivery-2", &lines))).unwrap();
    assert_eq!(offer(&store), (10, 2));

    let more = page_events("b", "bold", 5, 1, NOW);
    store.fail_next_apply();
    assert!(block_on(store.apply(&batch("delivery-3", &more))).is_err());
    assert_eq!(offer(&store), (10, 2), "a failed batch changes nothing");
    block_on(store.apply(&batch("delivery-4", &more))).unwrap();
    assert_eq!(offer(&store), (15, 3), "its retry counts it");
}

#[test]
fn the_tick_publishes_the_windowed_posteriors_as_a_new_live_version_and_records_the_run() {
    let kv = loop_kv();
    let store = MemoryCountStore::default();
    let before = block_on(live_manifest(&kv, "demo")).unwrap().unwrap();
    let mut lines = page_events("now", "bold", 100, 12, NOW - 1000);
    lines.extend(
        page_events("rule", "calm", 50, 40, NOW - 1000)
            .into_iter()
            .map(|l| l.replace("bandit", "rule")),
    );
    lines.extend(page_events("old", "control", 100, 90, NOW - 30 * DAY_MS));
    block_on(store.apply(&batch("d1", &lines))).unwrap();

    let outcome = block_on(tick(&kv, &store, "demo", 14, 10, NOW)).unwrap();
    assert_eq!(outcome.status, "published");
    let after = block_on(live_manifest(&kv, "demo")).unwrap().unwrap();
    assert_ne!(after.version, before.version);
    assert_eq!(outcome.version.as_deref(), Some(after.version.as_str()));
    let arms = &after.blocks["offer"].bandit.as_ref().unwrap().arms;
    assert_eq!(arms["bold"], (13.0, 89.0));
    assert_eq!(
        arms["calm"],
        (1.0, 1.0),
        "a rule's traffic does not train the bandit"
    );
    assert_eq!(
        arms["control"],
        (1.0, 1.0),
        "30 days ago is outside the 14-day window"
    );
    let runs = block_on(store.runs(5)).unwrap();
    assert_eq!(
        (runs.len(), runs[0].newest_event_ms, runs[0].published_at_ms),
        (1, NOW - 1000, NOW)
    );

    let again = block_on(tick(&kv, &store, "demo", 14, 10, NOW + 60_000)).unwrap();
    assert_eq!(again.status, "unchanged");
}

#[test]
fn a_tick_without_a_published_catalog_publishes_nothing() {
    let outcome = block_on(tick(
        &MemoryKv::default(),
        &MemoryCountStore::default(),
        "loop",
        14,
        10,
        NOW,
    ))
    .unwrap();
    assert_eq!(outcome.status, "no-catalog");
}

fn loop_config(window_days: u32) -> LoopSettings<'static> {
    LoopSettings {
        site: "demo",
        window_days,
        retain: 10,
    }
}

#[test]
fn the_report_route_reports_the_window_of_counted_rows_as_json_and_html() {
    let (kv, store) = (loop_kv(), MemoryCountStore::default());
    let old = page_events("old", "default", 3, 1, NOW - 20 * DAY_MS);
    let recent = page_events("new", "default", 2, 1, NOW);
    block_on(store.apply(&batch("d1", &[old, recent].concat()))).unwrap();
    let json = block_on(serve_loop(
        LoopRoute::Report { json: true },
        &kv,
        Some(&store),
        loop_config(14),
        NOW,
    ));
    assert!(!json.failed, "{}", json.log);
    assert_eq!(json.response.status, 200);
    assert_eq!(json.response.header("cache-control"), Some("no-store"));
    let report: serde_json::Value = serde_json::from_str(&json.response.body).unwrap();
    let exposures: u64 = report["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|block| block["exposures"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        exposures, 2,
        "the rows older than the window are left out: {report}"
    );

    let html = block_on(serve_loop(
        LoopRoute::Report { json: false },
        &kv,
        Some(&store),
        loop_config(14),
        NOW,
    ));
    assert_eq!(html.response.status, 200);
    assert!(html.response.body.starts_with("<!doctype html>"));
}

#[test]
fn the_tick_route_publishes_and_without_a_bound_store_answers_503_and_changes_nothing() {
    let (kv, store) = (loop_kv(), MemoryCountStore::default());
    let before = block_on(live_manifest(&kv, "demo")).unwrap().unwrap();
    let unbound = block_on(serve_loop::<_, MemoryCountStore>(
        LoopRoute::Tick,
        &kv,
        None,
        loop_config(14),
        NOW,
    ));
    assert!(unbound.failed);
    assert_eq!(unbound.response.status, 503);
    assert!(unbound.response.body.contains("bind a D1 database as LOOP"));
    assert_eq!(
        block_on(live_manifest(&kv, "demo")).unwrap().unwrap().version,
        before.version
    );

    let answer = block_on(serve_loop(
        LoopRoute::Tick,
        &kv,
        Some(&store),
        loop_config(14),
        NOW,
    ));
    assert!(!answer.failed, "{}", answer.log);
    assert_eq!(answer.response.status, 200);
    assert!(answer.log.starts_with("loop Tick → "), "{}", answer.log);
}
