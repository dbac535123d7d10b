//! Properties of the profile cookie: whatever the profile, signing then
//! verifying gives it back; whatever single byte of a cookie changes, the
//! cookie is refused; whatever the input, verification answers (no panic).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use tailor_edge::profile::{sign, verify, Key, KeyRing, Profile, Purpose, DEFAULT_COOKIE_NAME};

const NOW: u64 = 1_795_003_600;
const SECRET: &str = "7Jd0m1bq3cXo9T2Zr8WvYkLpN4sHaQfUe6gCiBtRxDw";

fn key() -> Key {
    Key::derive("k1", SECRET, Purpose::ProfileCookie).unwrap()
}

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9-]{1,32}"
}

fn profile() -> impl Strategy<Value = Profile> {
    (
        0u64..86_400,
        1u64..(399 * 86_400),
        prop::option::of(label()),
        prop::option::of(label()),
        prop::option::of(label()),
        prop::option::of(label()),
        prop::option::of(label()),
        prop::option::of("[A-Za-z0-9_-]{8,64}"),
        prop::collection::btree_map("[a-z0-9-]{1,12}", 0u8..100, 0..4),
        prop::sample::select(vec!["-", "p", "a", "pa"]),
        // The site's dimensions and segments (ordered maps and sets: canonical order).
        prop::collection::btree_map("[a-z][a-z0-9_]{0,7}", "[a-z0-9-]{1,8}", 0..3),
        prop::collection::btree_set("[a-z0-9-]{1,8}", 0..3),
    )
        .prop_map(
            |(age, life, ind, role, size, stage, plan, bid, x, c, d, s)| Profile {
                i: NOW - age,
                e: NOW - age + life.max(age + 1),
                ind,
                role,
                size,
                stage,
                plan,
                bid,
                x: x.into_iter().collect(),
                c: c.to_owned(),
                d: d.into_iter().collect(),
                s: s.into_iter().collect(),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/profile_props.proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_valid_profile_round_trips(p in profile()) {
        let cookie = sign(&p, &key(), DEFAULT_COOKIE_NAME).unwrap();
        prop_assert!(cookie.len() <= 512);
        let verified = verify(&cookie, &KeyRing::from_keys(vec![key()]), DEFAULT_COOKIE_NAME, NOW).unwrap();
        prop_assert_eq!(verified.profile, p);
    }

    #[test]
    fn any_single_byte_change_is_refused(p in profile(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let cookie = sign(&p, &key(), DEFAULT_COOKIE_NAME).unwrap();
        let mut bytes = cookie.clone().into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        // Changed bytes may not even be UTF-8: the edge sees them lossily decoded.
        let changed = String::from_utf8_lossy(&bytes);
        let ring = KeyRing::from_keys(vec![key()]);
        prop_assert!(verify(&changed, &ring, DEFAULT_COOKIE_NAME, NOW).is_err());
    }

    #[test]
    fn arbitrary_input_is_answered_without_panic(input in ".{0,600}") {
        let _ = verify(&input, &KeyRing::from_keys(vec![key()]), DEFAULT_COOKIE_NAME, NOW);
    }
}
