//! Fuzzes a whole push through the publish handler: arbitrary signature
//! headers and bodies (the first bytes choose the headers). No input may
//! panic, and nothing unsigned may reach KV.
#![no_main]

use futures_executor::block_on;
use libfuzzer_sys::fuzz_target;
use tailor_edge::platform::fakes::MemoryKv;
use tailor_edge::publish::signature::{PushSecrets, SignatureHeaders};
use tailor_edge::publish::{handle, Action, PublishConfig, PublishGuard, PushIo, PushRequest, PUBLISH_PATH};
use tailor_edge::targeting::NativeRegex;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\n');
    let (id, timestamp, signature) = (parts.next(), parts.next(), parts.next());
    let body = parts.next().unwrap_or("").as_bytes();
    let config = PublishConfig {
        site: "demo".into(),
        secrets: PushSecrets::parse("fuzz-push-secret-0123456789abcdefghijkl").0,
        max_body_bytes: 64 * 1024,
        retain: 3,
        loop_window_days: 14,
        loop_exposures: Default::default(),
    };
    let kv = MemoryKv::new();
    let guard = PublishGuard::new();
    let io = PushIo { kv: &kv, now_ms: 1_795_000_000_000, regex: &NativeRegex, guard: &guard };
    let request = PushRequest {
        path: PUBLISH_PATH,
        headers: SignatureHeaders { id, timestamp, signature },
        body,
    };
    let response = block_on(handle(Action::Publish, &request, &config, &io));
    assert_ne!(response.status, 200, "an unsigned push was accepted");
    assert!(kv.snapshot().is_empty(), "a refused push wrote to KV");
});
