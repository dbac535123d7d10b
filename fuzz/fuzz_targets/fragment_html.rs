//! Fuzzes the fragment sanitizer: no input may panic, and what it accepts
//! is stable (cleaning the stored HTML again changes nothing, so the
//! content hash the CLI and the worker compute is the same).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tailor_edge::publish::sanitize::sanitize_fragment;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    if let Ok(clean) = sanitize_fragment(&html) {
        assert_eq!(sanitize_fragment(&clean).as_deref(), Ok(clean.as_str()));
        assert!(!clean.to_ascii_lowercase().contains("<script"));
    }
});
