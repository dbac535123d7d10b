//! Fuzzes the native rewriter (`lol_html`, the parser workerd's `HTMLRewriter`
//! is built on) with arbitrary HTML and a small plan taken from the input: no
//! input may panic, the output is the same whatever the body's chunking, and
//! an empty plan gives back the input byte for byte.
//!
//! Input layout: byte 0 = `ccccc bbb` (b: number of fills, 0..=7; c: number
//! of chunk cuts, 0..=31); then one byte per fill (low nibble: block name,
//! high nibble: fill HTML); the rest is the document.
#![no_main]

use std::rc::Rc;

use libfuzzer_sys::fuzz_target;
use tailor_edge::rewrite::{native, Fill, RewritePlan};

/// Block names: real ones, look-alikes the engine must not confuse.
const NAMES: [&str; 8] = ["hero", "cta", "banner", "", "HERO", "hero ", "a b", "ünï"];

/// Fills, including HTML that tries to escape its block or the document.
const FILLS: [&str; 16] = [
    "",
    "<h1>Edge</h1>",
    "<script>alert(1)</script>",
    "</tailor-block><p>escaped</p>",
    "<tailor-block name=\"hero\">nested</tailor-block>",
    "<!--",
    "<textarea>",
    "<svg><![CDATA[x]]></svg>",
    "\u{0}",
    "日本語 🎉",
    "<p",
    "&amp;&",
    "</body></html><p>after the end</p>",
    "<style>",
    "<plaintext>",
    "\"'><img src=x>",
];

/// Above this the rewriter's 3 MiB memory cap could make the outcome depend
/// on the chunking (it buffers a tag split across chunks); stay well below.
const MAX_INPUT: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let Some((&header, rest)) = data.split_first() else {
        return;
    };
    let fills = usize::from(header & 0b111);
    let cuts = usize::from(header >> 3);
    let Some((picks, html)) = rest.split_at_checked(fills) else {
        return;
    };

    let mut plan = RewritePlan::new();
    for &pick in picks {
        let name = NAMES[usize::from(pick & 0x0f) % NAMES.len()];
        let html = FILLS[usize::from(pick >> 4) % FILLS.len()];
        plan.insert(
            name,
            Fill {
                variant: "fuzz".to_owned(),
                html: Rc::from(html),
            },
        );
    }

    let whole = native::rewrite(&plan, html);

    // Cut points from a small xorshift seeded by the input: 0..=31 cuts.
    let mut state = u64::from(header) ^ (html.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32;
    let mut positions: Vec<usize> = (0..cuts)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % (html.len() as u64 + 1)) as usize
        })
        .collect();
    positions.sort_unstable();
    let mut chunks = Vec::with_capacity(positions.len() + 1);
    let mut start = 0;
    for cut in positions {
        chunks.push(html.get(start..cut).unwrap_or_default());
        start = cut;
    }
    chunks.push(html.get(start..).unwrap_or_default());
    let chunked = native::rewrite_chunks(&plan, chunks);

    match (&whole, &chunked) {
        (Ok(a), Ok(b)) => assert!(a == b, "the chunking changed the output"),
        (Err(_), Err(_)) => {}
        _ => panic!(
            "the chunking changed the outcome: {:?} vs {:?}",
            whole.is_ok(),
            chunked.is_ok()
        ),
    }
    if html.len() <= 4096 {
        let bytewise = native::rewrite_chunks(&plan, html.chunks(1));
        match (&whole, &bytewise) {
            (Ok(a), Ok(b)) => assert!(a == b, "one-byte chunks changed the output"),
            (Err(_), Err(_)) => {}
            _ => panic!("one-byte chunks changed the outcome"),
        }
    }

    if plan.is_empty() {
        match whole {
            Ok(out) => assert!(out == html, "an empty plan changed the document"),
            Err(e) => panic!("an empty plan failed: {e}"),
        }
    }
});
