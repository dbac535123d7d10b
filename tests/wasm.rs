//! The core on wasm32, under Node's V8 (the engine workerd uses), through
//! `wasm-bindgen-test`: the same answers as natively for cookie verification,
//! GrowthBook hashing and decisions. Run by `make wasm-test`.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use wasm_bindgen_test::wasm_bindgen_test;

use tailor_edge::experiment::hash;
use tailor_edge::profile::{verify, Key, KeyRing, Purpose, DEFAULT_COOKIE_NAME};

const VECTORS: &str = include_str!("vectors/profile-cookie.json");

#[wasm_bindgen_test]
fn every_shared_cookie_vector_verifies_as_recorded_on_wasm32() {
    let vectors: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
    let keys: Vec<Key> = vectors["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            Key::derive(
                k["kid"].as_str().unwrap(),
                k["secret"].as_str().unwrap(),
                Purpose::ProfileCookie,
            )
            .unwrap()
        })
        .collect();
    let ring = KeyRing::from_keys(keys);
    let now = vectors["now"].as_u64().unwrap();
    for v in vectors["verify"].as_array().unwrap() {
        let outcome = verify(v["cookie"].as_str().unwrap(), &ring, DEFAULT_COOKIE_NAME, now);
        match outcome {
            Ok(_) => assert_eq!(v["ok"], true, "{}", v["name"]),
            Err(reason) => assert_eq!(reason.label(), v["reason"].as_str().unwrap(), "{}", v["name"]),
        }
    }
}

#[wasm_bindgen_test]
fn growthbook_hashes_are_the_same_on_wasm32() {
    // From GrowthBook's cases.json (`hash` section).
    assert_eq!(hash("", "a", 1), Some(0.22));
    assert_eq!(hash("", "b", 1), Some(0.077));
    assert_eq!(hash("b", "a", 1), Some(0.946));
    assert_eq!(hash("asdf", "8952klfjas09ujk", 1), Some(0.549));
    assert_eq!(hash("", "a", 99), None);
}
