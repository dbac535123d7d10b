//! Profile-cookie verification per cookie, and building the whole visitor
//! (header scan, verification, anonymous attributes), natively.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::hint::black_box;

use common::NOW;
use criterion::{criterion_group, criterion_main, Criterion};
use tailor_edge::profile::{
    resolve, sign, verify, Key, KeyRing, Profile, ProfileSettings, Purpose, RequestContext,
    DEFAULT_COOKIE_NAME,
};

fn profile_benches(c: &mut Criterion) {
    let key = common::profile_key();
    let keys = KeyRing::from_keys(vec![key.clone()]);
    let profile = Profile {
        x: vec![("hero-test".into(), 1)],
        ..common::fintech_cto()
    };
    let cookie = sign(&profile, &key, DEFAULT_COOKIE_NAME).unwrap();
    let tampered = cookie.replace("cto", "ceo");
    c.bench_function("profile/verify valid cookie", |b| {
        b.iter(|| verify(black_box(&cookie), &keys, DEFAULT_COOKIE_NAME, NOW).unwrap())
    });
    c.bench_function("profile/verify tampered cookie", |b| {
        b.iter(|| verify(black_box(&tampered), &keys, DEFAULT_COOKIE_NAME, NOW).unwrap_err())
    });
    let settings = ProfileSettings {
        keys: keys.clone(),
        ..ProfileSettings::default()
    };
    let header = format!("_ga=GA1.2.3; theme=dark; {DEFAULT_COOKIE_NAME}={cookie}; consent=yes");
    let ctx = RequestContext {
        cookie_header: Some(&header),
        user_agent: Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15"),
        referer: Some("https://www.google.com/"),
        host: Some("www.example.com"),
        query: "utm_source=newsletter&utm_campaign=fall",
        country: Some("DE"),
        global_privacy_control: false,
        preview: None,
        asn: None,
        as_organization: None,
        accept_language: None,
        timezone: None,
        utc_offset_min: None,
    };
    c.bench_function("profile/resolve visitor from request", |b| {
        b.iter(|| resolve(black_box(&ctx), &settings, NOW))
    });
    c.bench_function("profile/derive key (HKDF, per configured key)", |b| {
        b.iter(|| {
            Key::derive(
                "k1",
                black_box("7Jd0m1bq3cXo9T2Zr8WvYkLpN4sHaQfUe6gCiBtRxDw"),
                Purpose::ProfileCookie,
            )
        })
    });
}

criterion_group!(benches, profile_benches);
criterion_main!(benches);
