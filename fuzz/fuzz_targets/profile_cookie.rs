//! Fuzzes the profile-cookie verifier and the `Cookie` header scan with
//! arbitrary bytes: no input may panic, and nothing unsigned may verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tailor_edge::profile::{
    resolve, verify, Key, KeyRing, ProfileSettings, Purpose, RequestContext, DEFAULT_COOKIE_NAME,
};

const SECRET: &str = "7Jd0m1bq3cXo9T2Zr8WvYkLpN4sHaQfUe6gCiBtRxDw";

fuzz_target!(|data: &[u8]| {
    let Ok(key) = Key::derive("k2026a", SECRET, Purpose::ProfileCookie) else { return };
    let keys = KeyRing::from_keys(vec![key]);
    let text = String::from_utf8_lossy(data);
    let _ = verify(&text, &keys, DEFAULT_COOKIE_NAME, 1_795_003_600);
    let settings = ProfileSettings { keys, ..ProfileSettings::default() };
    let header = format!("{DEFAULT_COOKIE_NAME}={text}; other={text}");
    let ctx = RequestContext { cookie_header: Some(&header), query: &text, referer: Some(&text), ..Default::default() };
    let _ = resolve(&ctx, &settings, 1_795_003_600);
});
