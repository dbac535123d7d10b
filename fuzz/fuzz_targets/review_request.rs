//! Fuzzes the review queue's actions (the body of a signed
//! `POST /__tailor/review`, and of the preview panel's calls): no input may
//! panic, every answer is JSON, and with no draft in KV nothing is written.
#![no_main]

use futures_executor::block_on;
use libfuzzer_sys::fuzz_target;
use tailor_edge::platform::fakes::MemoryKv;
use tailor_edge::publish::review::{serve_review, ReviewIo};
use tailor_edge::targeting::NativeRegex;

fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    let kv = MemoryKv::new();
    let io = ReviewIo { kv: &kv, site: "demo", retain: 3, now_ms: 1_795_000_000_000, regex: &NativeRegex };
    let answer = block_on(serve_review(&body, &io));
    assert!(serde_json::from_str::<serde_json::Value>(&answer.body).is_ok(), "not JSON: {}", answer.body);
    assert!(kv.snapshot().is_empty(), "a review action without a draft wrote to KV");
});
