//! Fuzzes the edge's state-cookie parser with arbitrary bytes: no input may
//! panic, and nothing unsigned may parse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tailor_edge::profile::{Key, Purpose};
use tailor_edge::signals::EdgeState;

fuzz_target!(|data: &[u8]| {
    let Ok(key) = Key::derive("state", "7Jd0m1bq3cXo9T2Zr8WvYkLpN4sHaQfUe6gCiBtRxDw", Purpose::EdgeState) else { return };
    let text = String::from_utf8_lossy(data);
    if let Ok(mut state) = EdgeState::parse(&text, &key, 1_795_000_000) {
        let _ = state.encode(&key);
    }
});
