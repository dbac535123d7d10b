//! Fuzzes catalog parsing and validation (what a signed push carries, and
//! the stored manifest the edge reads): no input may panic; whatever builds
//! must round-trip through its stored manifest.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tailor_edge::catalog::Manifest;
use tailor_edge::publish::prepare;
use tailor_edge::targeting::NativeRegex;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = Manifest::parse(&text, "demo");
    if let Ok(bundle) = prepare(&text, &NativeRegex) {
        let stored = serde_json::to_string(&bundle.manifest).unwrap_or_default();
        let read = Manifest::parse(&stored, &bundle.manifest.site).expect("a built manifest parses back");
        assert_eq!(read.version, bundle.manifest.version);
    }
});
