//! The native engine on realistic pages (`benches/data/`: a ~10 KB marketing
//! page, a ~120 KB landing page, a ~700 KB documentation page, five marked
//! blocks each), applying a 5-block plan next to the same engine passing the
//! same bytes through with no handler, in one run. And on the demo page: the
//! chosen marker (`tailor-block`, a tag-name selector) next to the
//! attribute-only alternative (`[data-personalize]`), which backs the choice
//! in `docs/markers.md`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lol_html::html_content::{ContentType, Element};
use lol_html::{element, HtmlRewriter, Settings};
use tailor_edge::rewrite::{native, Fill, RewritePlan};

/// The demo landing page's body repeated to about `target` bytes.
fn page(target: usize) -> String {
    let demo = std::fs::read_to_string("www/index.html").expect("run benches from the repository root");
    let body = demo.split("<body").nth(1).unwrap_or(&demo);
    let mut page = String::from("<!doctype html><html><head><title>bench</title></head><body");
    while page.len() < target {
        page.push_str(body);
    }
    page
}

fn plan() -> RewritePlan {
    let mut plan = RewritePlan::new();
    for name in ["hero", "cta", "proof", "spotlight"] {
        plan.insert(
            name,
            Fill {
                variant: "v".into(),
                html: "<p>personalized</p>".into(),
            },
        );
    }
    plan
}

fn run_with(selector: &str, attribute: &str, input: &[u8]) -> usize {
    let mut out = 0usize;
    let handler = element!(selector, |el: &mut Element| {
        if el.get_attribute(attribute).is_some() {
            el.set_inner_content("<p>personalized</p>", ContentType::Html);
        }
        Ok(())
    });
    let mut rewriter = HtmlRewriter::new(
        Settings::new().append_element_content_handler(handler),
        |c: &[u8]| out += c.len(),
    );
    for chunk in input.chunks(16 * 1024) {
        rewriter.write(chunk).unwrap();
    }
    rewriter.end().unwrap();
    out
}

fn pass_through(input: &[u8]) -> usize {
    let mut out = 0usize;
    let mut rewriter = HtmlRewriter::new(Settings::new(), |c: &[u8]| out += c.len());
    for chunk in input.chunks(16 * 1024) {
        rewriter.write(chunk).unwrap();
    }
    rewriter.end().unwrap();
    out
}

/// A fill for each of the bench pages' five blocks, a realistic fragment each.
fn five_block_plan() -> RewritePlan {
    let mut plan = RewritePlan::new();
    for name in ["hero", "cta", "proof", "spotlight", "footer-cta"] {
        let html = format!(
            r#"<section class="{name}"><div class="container"><h2>For fintech teams</h2><p>Settle in seconds, reconcile every ledger automatically.</p><a class="btn" href="/start?from={name}">Start now</a></div></section>"#
        );
        plan.insert(
            name,
            Fill {
                variant: "fintech".into(),
                html: html.into(),
            },
        );
    }
    plan
}

fn pages(c: &mut Criterion) {
    let plan = five_block_plan();
    for (label, file) in [
        ("page-10k", "marketing.html"),
        ("page-120k", "landing.html"),
        ("page-700k", "docs.html"),
    ] {
        let path = format!("benches/data/{file}");
        let page =
            std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run from the repository root)"));
        let rewritten = native::rewrite_chunks(&plan, page.chunks(16 * 1024)).unwrap();
        let fills = String::from_utf8_lossy(&rewritten)
            .matches("For fintech teams")
            .count();
        assert_eq!(fills, 5, "{file}: every block filled");
        let mut group = c.benchmark_group(label);
        group.throughput(Throughput::Bytes(page.len() as u64));
        group.bench_function("pass-through (no handler)", |b| {
            b.iter(|| pass_through(black_box(&page)))
        });
        group.bench_function("tailor engine (plan, 5 blocks)", |b| {
            b.iter(|| native::rewrite_chunks(&plan, black_box(&page).chunks(16 * 1024)).unwrap())
        });
        group.finish();
    }
}

fn markers(c: &mut Criterion) {
    let tag_page = page(120 * 1024);
    let attr_page = tag_page
        .replace("<tailor-block name=", "<div data-personalize=")
        .replace("</tailor-block>", "</div>");
    let plan = plan();
    let mut group = c.benchmark_group("marker-120k");
    group.throughput(Throughput::Bytes(tag_page.len() as u64));
    group.bench_function("pass-through (no handler)", |b| {
        b.iter(|| pass_through(black_box(tag_page.as_bytes())))
    });
    group.bench_function("tailor-block (tag selector)", |b| {
        b.iter(|| run_with("tailor-block", "name", black_box(tag_page.as_bytes())))
    });
    group.bench_function("[data-personalize] (attribute selector)", |b| {
        b.iter(|| {
            run_with(
                "[data-personalize]",
                "data-personalize",
                black_box(attr_page.as_bytes()),
            )
        })
    });
    group.bench_function("tailor engine (plan, 4 blocks)", |b| {
        b.iter(|| native::rewrite_chunks(&plan, black_box(tag_page.as_bytes()).chunks(16 * 1024)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, pages, markers);
criterion_main!(benches);
