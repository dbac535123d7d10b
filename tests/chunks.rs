//! The plan applied by the native engine gives the same bytes whatever the
//! body's chunking: split at every offset, and at random offsets.
//!
//! A failing random split is printed by proptest and kept in
//! `tests/chunks.proptest-regressions`, so it replays on the next run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{fixture, published_kv, World};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use tailor_edge::rewrite::{native, RewritePlan};

fn plan() -> RewritePlan {
    World::new(published_kv()).prepare("/").plan
}

fn split_at_all<'a>(page: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut start = 0;
    for &cut in cuts {
        chunks.push(&page[start..cut]);
        start = cut;
    }
    chunks.push(&page[start..]);
    chunks
}

#[test]
fn every_two_chunk_split_gives_the_same_bytes() {
    let plan = plan();
    let page = fixture("page.html");
    let page = page.as_bytes();
    let whole = native::rewrite(&plan, page).unwrap();
    assert_ne!(whole, page, "the fixture must actually be rewritten");
    for cut in 0..=page.len() {
        let out = native::rewrite_chunks(&plan, split_at_all(page, &[cut])).unwrap();
        assert_eq!(out, whole, "split at byte {cut}");
    }
}

#[test]
fn one_byte_chunks_give_the_same_bytes() {
    let plan = plan();
    let page = fixture("page.html");
    let whole = native::rewrite(&plan, page.as_bytes()).unwrap();
    let out = native::rewrite_chunks(&plan, page.as_bytes().chunks(1)).unwrap();
    assert_eq!(out, whole);
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/chunks.proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_splits_give_the_same_bytes(mut cuts in prop::collection::vec(0usize..2_000, 0..24)) {
        let plan = plan();
        let page = fixture("page.html");
        let page = page.as_bytes();
        cuts.iter_mut().for_each(|c| *c %= page.len() + 1);
        cuts.sort_unstable();
        let whole = native::rewrite(&plan, page).unwrap();
        let out = native::rewrite_chunks(&plan, split_at_all(page, &cuts)).unwrap();
        prop_assert_eq!(out, whole);
    }

    #[test]
    fn pages_without_markers_pass_through_byte_for_byte(body in prop::collection::vec(any::<u8>(), 0..4_000)) {
        let filtered: Vec<u8> = body.into_iter().filter(|b| *b != b'<').collect();
        let page = [b"<p>".as_slice(), &filtered, b"</p>"].concat();
        prop_assert_eq!(native::rewrite(&plan(), &page).unwrap(), page);
    }
}
