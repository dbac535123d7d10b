//! The native engine on a marketing page: passing it through with no handler,
//! and applying a plan with the chosen marker (`tailor-block`, a tag-name
//! selector) next to the attribute-only alternative (`[data-personalize]`),
//! all in one run. The figures back the choice in `docs/markers.md`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

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

criterion_group!(benches, markers);
criterion_main!(benches);
