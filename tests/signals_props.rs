//! Properties of the edge's state cookie: whatever the sequence of requests,
//! it never exceeds its cap and always reads back; any changed byte is refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use tailor_edge::profile::{Key, Purpose};
use tailor_edge::signals::{observe, EdgeState, RequestFacts, Signal, SignalSettings, MAX_STATE_BYTES};

fn key() -> Key {
    Key::derive(
        "state",
        "7Jd0m1bq3cXo9T2Zr8WvYkLpN4sHaQfUe6gCiBtRxDw",
        Purpose::EdgeState,
    )
    .unwrap()
}

fn signals() -> Vec<Signal> {
    (0..20)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "id": format!("a_fairly_long_signal_name_{i:02}"),
                "when": { "any": [ { "path": format!("/p{}*", i % 5) }, { "visit_page_views_at_least": 3 + i } ] },
                "score": 1 + i % 4, "cap": 50, "lifetime": if i % 2 == 0 { "permanent" } else { "visit" }
            }))
            .unwrap()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/signals_props.proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_state_cookie_never_exceeds_its_cap(steps in prop::collection::vec((0u8..10, 0u64..100_000), 1..60)) {
        let (key, signals, settings) = (key(), signals(), SignalSettings::default());
        let mut now = 1_795_000_000u64;
        let mut cookie: Option<String> = None;
        for (page, gap) in steps {
            now += gap;
            let mut state = cookie.as_deref().and_then(|c| EdgeState::parse(c, &key, now).ok()).unwrap_or_default();
            let path = format!("/p{page}");
            observe(&mut state, &signals, &settings, &RequestFacts { path: &path, ..RequestFacts::default() }, now);
            let value = state.encode(&key);
            prop_assert!(value.len() <= MAX_STATE_BYTES, "{} bytes", value.len());
            prop_assert!(EdgeState::parse(&value, &key, now).is_ok());
            cookie = Some(value);
        }
    }

    #[test]
    fn any_changed_byte_is_refused(at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut state = EdgeState::default();
        observe(&mut state, &signals(), &SignalSettings::default(), &RequestFacts { path: "/p1", ..RequestFacts::default() }, 1_795_000_000);
        let cookie = state.encode(&key());
        let mut bytes = cookie.clone().into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        prop_assert!(EdgeState::parse(&String::from_utf8_lossy(&bytes), &key(), 1_795_000_000).is_err());
    }
}
