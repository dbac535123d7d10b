//! The shared profile-cookie test vectors (`tests/vectors/profile-cookie.json`),
//! used by these tests and by the Node and Python reference signers in
//! `examples/`. The file is generated from this implementation; the test fails
//! when the two disagree. After an intended format change, regenerate with
//! `TAILOR_UPDATE_VECTORS=1 cargo test --test vectors` and review the diff.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use serde_json::{json, Value};
use tailor_edge::profile::cookie::tag;
use tailor_edge::profile::{sign, verify, Key, KeyRing, Profile, Purpose, DEFAULT_COOKIE_NAME};

const NOW: u64 = 1_795_003_600;
const CURRENT: (&str, &str) = ("k2026a", "7Jd0m1bq3cXo9T2Zr8WvYkLpN4sHaQfUe6gCiBtRxDw");
const PREVIOUS: (&str, &str) = ("k2025b", "Qm9vWk1xT2h3Y3ZKc0ZkR2pMa1B5bmJWdVp0Y0VySGE");

fn key((kid, secret): (&str, &str)) -> Key {
    Key::derive(kid, secret, Purpose::ProfileCookie).unwrap()
}

fn ring() -> KeyRing {
    KeyRing::from_keys(vec![key(CURRENT), key(PREVIOUS)])
}

fn full() -> Profile {
    Profile {
        i: NOW - 3_600,
        e: NOW - 3_600 + 30 * 86_400,
        ind: Some("fintech".into()),
        role: Some("cto".into()),
        size: Some("enterprise".into()),
        stage: Some("lead".into()),
        bid: Some("Zk3qL9xT2mVbQ0aa".into()),
        x: vec![("hero-test".into(), 1)],
        c: "pa".into(),
        ..Profile::default()
    }
}

/// A cookie over an arbitrary signed text (for payloads `sign` refuses).
fn raw(k: (&str, &str), payload: &str) -> String {
    let signed = format!("v1.{}.{payload}", k.0);
    format!("{signed}.{}", tag(&key(k), DEFAULT_COOKIE_NAME, &signed))
}

fn generate() -> Value {
    let signs: Vec<(&str, &str, Profile)> = vec![
        ("full-profile", CURRENT.0, full()),
        (
            "minimal",
            CURRENT.0,
            Profile {
                i: NOW - 60,
                e: NOW + 86_400,
                c: "p".into(),
                ..Profile::default()
            },
        ),
        (
            "previous-key-with-plan-and-two-experiments",
            PREVIOUS.0,
            Profile {
                i: NOW - 86_400,
                e: NOW + 86_400,
                ind: Some("retail".into()),
                role: Some("marketer".into()),
                size: Some("smb".into()),
                stage: Some("trial".into()),
                plan: Some("starter".into()),
                bid: Some("a1b2c3d4e5f6g7h8".into()),
                x: vec![("hero-test".into(), 0), ("pricing-2026".into(), 12)],
                c: "a".into(),
                ..Profile::default()
            },
        ),
        (
            "site-dimensions-and-segments",
            CURRENT.0,
            Profile {
                d: vec![
                    ("renewal".into(), "due-14d".into()),
                    ("seats_added".into(), "3".into()),
                    ("usage_pct".into(), "80".into()),
                ],
                s: vec!["expansion-ready".into(), "power-users".into()],
                ..full()
            },
        ),
        (
            "no-consent",
            CURRENT.0,
            Profile {
                c: "-".into(),
                ..full()
            },
        ),
    ];
    let mut sign_vectors = Vec::new();
    let mut verify_vectors = Vec::new();
    for (name, kid, profile) in &signs {
        let k = if *kid == CURRENT.0 { CURRENT } else { PREVIOUS };
        let cookie = sign(profile, &key(k), DEFAULT_COOKIE_NAME).unwrap();
        sign_vectors.push(json!({ "name": name, "kid": kid, "profile": profile, "cookie": cookie }));
        verify_vectors
            .push(json!({ "name": name, "cookie": cookie, "ok": true, "kid": kid, "profile": profile }));
    }
    let good = sign(&full(), &key(CURRENT), DEFAULT_COOKIE_NAME).unwrap();
    let last = good.chars().last().unwrap();
    let flipped_last = if last == 'A' { 'B' } else { 'A' };
    let mut refused = vec![
        (
            "tampered-payload",
            good.replace("role=cto", "role=ceo"),
            "bad-signature",
        ),
        (
            "tampered-tag-first-char",
            flip_at(&good, good.rfind('.').unwrap() + 1),
            "bad-signature",
        ),
        (
            "tampered-tag-last-char",
            format!("{}{flipped_last}", &good[..good.len() - 1]),
            "bad-signature",
        ),
        ("truncated", good[..good.len() - 1].to_owned(), "malformed"),
        ("padded", format!("{good}="), "malformed"),
        ("extra-part", format!("{good}.x"), "malformed"),
        ("space-inside", good.replacen('&', " &", 1), "malformed"),
        (
            "multi-byte-character",
            good.replacen("fintech", "fintéch", 1),
            "malformed",
        ),
        ("percent-encoded", good.replacen('=', "%3D", 1), "malformed"),
        ("empty", String::new(), "malformed"),
        (
            "oversized",
            format!(
                "v1.{}.i=1&e=2&c=p{}.{}",
                CURRENT.0,
                "&".repeat(500),
                "A".repeat(43)
            ),
            "oversized",
        ),
        (
            "unknown-version",
            good.replacen("v1.", "v2.", 1),
            "unknown-version",
        ),
        ("unknown-key", good.replacen("k2026a", "k1999z", 1), "unknown-key"),
        (
            "bad-payload-unknown-key",
            raw(CURRENT, "i=1795000000&e=1795086400&email=x&c=pa"),
            "bad-payload",
        ),
        (
            "bad-payload-out-of-order",
            raw(CURRENT, "e=1795086400&i=1795000000&c=pa"),
            "bad-payload",
        ),
        (
            "bad-payload-missing-consent",
            raw(CURRENT, "i=1795000000&e=1795086400"),
            "bad-payload",
        ),
        (
            "expired-301s-ago",
            raw(CURRENT, &format!("i={}&e={}&c=pa", NOW - 86_400, NOW - 301)),
            "expired",
        ),
        (
            "issued-301s-ahead",
            raw(CURRENT, &format!("i={}&e={}&c=pa", NOW + 301, NOW + 86_400)),
            "not-yet-valid",
        ),
        (
            "bad-lifetime-too-long",
            raw(CURRENT, &format!("i={}&e={}&c=pa", NOW - 60, NOW + 401 * 86_400)),
            "bad-lifetime",
        ),
        (
            "bad-lifetime-inverted",
            raw(CURRENT, &format!("i={}&e={}&c=pa", NOW, NOW - 10)),
            "bad-lifetime",
        ),
    ];
    for (name, payload, reason) in [
        (
            "bad-payload-repeated-key",
            "i=1795000000&i=1795000000&e=1795086400&c=pa",
            "bad-payload",
        ),
        (
            "bad-payload-leading-zero",
            "i=01795000000&e=1795086400&c=pa",
            "bad-payload",
        ),
        (
            "bad-payload-arm-100",
            "i=1795000000&e=1795086400&x=a~100&c=pa",
            "bad-payload",
        ),
        (
            "bad-payload-arm-leading-zero",
            "i=1795000000&e=1795086400&x=a~07&c=pa",
            "bad-payload",
        ),
        (
            "bad-payload-repeated-experiment",
            "i=1795000000&e=1795086400&x=a~1|a~2&c=pa",
            "bad-payload",
        ),
        (
            "bad-payload-five-experiments",
            "i=1795000000&e=1795086400&x=a~1|b~1|c~1|d~1|e~1&c=pa",
            "bad-payload",
        ),
        (
            "bad-payload-dimensions-out-of-order",
            "i=1795000000&e=1795086400&d=usage_pct~80|renewal~due-14d&c=pa",
            "bad-payload",
        ),
        (
            "bad-payload-dimension-name-uppercase",
            "i=1795000000&e=1795086400&d=Usage~80&c=pa",
            "bad-payload",
        ),
        (
            "bad-payload-segment-repeated",
            "i=1795000000&e=1795086400&s=power-users|power-users&c=pa",
            "bad-payload",
        ),
        (
            "bad-payload-segments-after-bid",
            "i=1795000000&e=1795086400&bid=Zk3qL9xT2mVbQ0aa&s=power-users&c=pa",
            "bad-payload",
        ),
    ] {
        refused.push((name, raw(CURRENT, payload), reason));
    }
    refused.push((
        "uppercase-version",
        good.replacen("v1.", "V1.", 1),
        "unknown-version",
    ));
    // Signed for another cookie name: the name is part of the tag.
    let other_name = sign(&full(), &key(CURRENT), "__Host-other").unwrap();
    refused.push(("signed-for-another-cookie-name", other_name, "bad-signature"));
    for (name, cookie, reason) in refused {
        verify_vectors.push(json!({ "name": name, "cookie": cookie, "ok": false, "reason": reason }));
    }
    for (name, i, e) in [
        ("expired-299s-ago-within-skew", NOW - 86_400, NOW - 299),
        ("expired-exactly-300s-ago-within-skew", NOW - 86_400, NOW - 300),
        ("issued-exactly-300s-ahead-within-skew", NOW + 300, NOW + 86_400),
    ] {
        verify_vectors.push(json!({
            "name": name,
            "cookie": raw(CURRENT, &format!("i={i}&e={e}&c=pa")),
            "ok": true,
            "kid": CURRENT.0,
            "profile": { "i": i, "e": e, "c": "pa" },
        }));
    }
    json!({
        "format": "tailor-profile-cookie-v1-vectors",
        "edge_id": edge_id_vectors(),
        "cookie_name": DEFAULT_COOKIE_NAME,
        "keys": [ { "kid": CURRENT.0, "secret": CURRENT.1 }, { "kid": PREVIOUS.0, "secret": PREVIOUS.1 } ],
        "now": NOW,
        "sign": sign_vectors,
        "verify": verify_vectors,
    })
}

/// What an origin reads of the edge's id cookie (to carry it over as `bid`).
fn edge_id_vectors() -> Value {
    let id_key = Key::derive("id", CURRENT.1, Purpose::EdgeId).unwrap();
    let (id, value) = tailor_edge::visitor::id::mint([42; 16], &id_key);
    let tag = value.rsplit('.').next().unwrap().to_owned();
    let cases: Vec<(&str, String)> = vec![
        ("alone", format!("__Host-tailor_id={value}")),
        (
            "among-others",
            format!("a=1; __Host-tailor_id={value}; __Host-tailor_profile=x"),
        ),
        ("absent", "a=1; b=2".to_owned()),
        (
            "sent-twice",
            format!("__Host-tailor_id={value}; __Host-tailor_id={value}"),
        ),
        ("other-version", format!("__Host-tailor_id=v2.{id}.{tag}")),
        ("short-id", format!("__Host-tailor_id=v1.{}.{tag}", &id[1..])),
        (
            "bad-character",
            format!("__Host-tailor_id=v1.{}*.{tag}", &id[1..]),
        ),
        ("no-tag", format!("__Host-tailor_id=v1.{id}")),
        ("extra-part", format!("__Host-tailor_id={value}.x")),
        ("name-prefix-only", format!("x__Host-tailor_id={value}")),
    ];
    let vectors: Vec<Value> = cases
        .into_iter()
        .map(|(name, header)| {
            let id = tailor_edge::visitor::id::carried_over(Some(&header));
            json!({ "name": name, "cookie_header": header, "id": id })
        })
        .collect();
    assert_eq!(vectors[0]["id"], id.as_str());
    Value::Array(vectors)
}

fn flip_at(s: &str, at: usize) -> String {
    let mut bytes = s.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

fn path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/profile-cookie.json")
}

#[test]
fn the_committed_vectors_match_this_implementation() {
    let generated = serde_json::to_string_pretty(&generate()).unwrap() + "\n";
    if std::env::var_os("TAILOR_UPDATE_VECTORS").is_some() {
        std::fs::write(path(), &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path()).expect("tests/vectors/profile-cookie.json");
    assert!(
        committed == generated,
        "vectors differ: regenerate with TAILOR_UPDATE_VECTORS=1 and review"
    );
}

#[test]
fn every_vector_verifies_as_recorded() {
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path()).unwrap()).unwrap();
    let now = vectors["now"].as_u64().unwrap();
    for v in vectors["verify"].as_array().unwrap() {
        let outcome = verify(v["cookie"].as_str().unwrap(), &ring(), DEFAULT_COOKIE_NAME, now);
        match outcome {
            Ok(verified) => {
                assert_eq!(v["ok"], true, "{}", v["name"]);
                assert_eq!(json!(verified.profile), v["profile"], "{}", v["name"]);
                assert_eq!(verified.kid, v["kid"].as_str().unwrap());
            }
            Err(reason) => {
                assert_eq!(v["ok"], false, "{}: refused as {}", v["name"], reason.label());
                assert_eq!(reason.label(), v["reason"].as_str().unwrap(), "{}", v["name"]);
            }
        }
    }
}
