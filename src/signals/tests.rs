#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Signals: criteria, caps, decay and visits with an injected clock; the
//! state cookie's signature and cap.

use super::*;
use crate::profile::{Key, Purpose};

const T0: u64 = 1_795_000_000;
const HOUR: u64 = 3600;

fn key() -> Key {
    Key::derive(
        "state",
        "7Jd0m1bq3cXo9T2Zr8WvYkLpN4sHaQfUe6gCiBtRxDw",
        Purpose::EdgeState,
    )
    .unwrap()
}

fn signals() -> Vec<Signal> {
    serde_json::from_str(
        r#"[
        {"id":"pricing_interest","when":{"any":[{"path":"/pricing*"}]},"score":1,"cap":3,"lifetime":"permanent"},
        {"id":"engaged","when":{"all":[{"visit_page_views_at_least":3}]},"score":1,"cap":1,"lifetime":"visit"}
    ]"#,
    )
    .unwrap()
}

fn settings() -> SignalSettings {
    SignalSettings {
        half_life_hours: 24.0,
        visit_idle_minutes: 30,
    }
}

fn view(state: &mut EdgeState, path: &str, now: u64) -> Vec<String> {
    let facts = RequestFacts {
        path,
        ..RequestFacts::default()
    };
    observe(state, &signals(), &settings(), &facts, now)
}

fn score(state: &EdgeState, id: &str) -> f64 {
    attributes(state)["signals"]
        .get(id)
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

#[test]
fn activations_add_up_to_the_cap() {
    let mut s = EdgeState::default();
    for i in 0..5 {
        view(&mut s, "/pricing", T0 + i * 60);
    }
    assert_eq!(score(&s, "pricing_interest"), 3.0);
}

#[test]
fn a_permanent_score_halves_after_one_half_life() {
    let mut s = EdgeState::default();
    view(&mut s, "/pricing", T0);
    view(&mut s, "/pricing", T0 + 60);
    assert_eq!(score(&s, "pricing_interest"), 2.0);
    view(&mut s, "/", T0 + 60 + 24 * HOUR);
    assert_eq!(score(&s, "pricing_interest"), 1.0);
}

#[test]
fn a_visit_score_vanishes_after_the_idle_time_and_visits_count_up() {
    let mut s = EdgeState::default();
    for i in 0..3 {
        view(&mut s, "/", T0 + i * 60);
    }
    assert_eq!(score(&s, "engaged"), 1.0);
    assert_eq!(s.visits, 1);
    view(&mut s, "/", T0 + 120 + 31 * 60);
    assert_eq!(score(&s, "engaged"), 0.0);
    assert_eq!(s.visits, 2);
    assert_eq!(attributes(&s)["new_vs_returning"], "returning");
}

#[test]
fn the_state_cookie_round_trips_and_any_change_is_refused() {
    let mut s = EdgeState::default();
    view(&mut s, "/pricing", T0);
    let cookie = s.encode(&key());
    let back = EdgeState::parse(&cookie, &key(), T0 + 10).unwrap();
    assert_eq!(back.visits, 1);
    assert_eq!(back.scores.len(), 1);
    for i in 0..cookie.len() {
        let mut bytes = cookie.clone().into_bytes();
        bytes[i] = if bytes[i] == b'1' { b'2' } else { b'1' };
        let changed = String::from_utf8_lossy(&bytes).into_owned();
        if changed != cookie {
            assert!(
                EdgeState::parse(&changed, &key(), T0 + 10).is_err(),
                "change at {i} accepted"
            );
        }
    }
    assert_eq!(
        EdgeState::parse(&cookie, &key(), T0 + STATE_LIFETIME_S + 1),
        Err(StateError::Expired)
    );
}

#[test]
fn the_cookie_never_exceeds_its_cap_and_drops_the_weakest_first() {
    let many: Vec<Signal> = (0..32)
        .map(|i| Signal {
            id: format!("signal_with_a_rather_long_name_{i:02}"),
            when: Match::Any(vec![Criterion::Path("/*".into())]),
            score: f64::from(i % 7 + 1),
            cap: 100.0,
            lifetime: Lifetime::Permanent,
        })
        .collect();
    let mut s = EdgeState::default();
    observe(
        &mut s,
        &many,
        &settings(),
        &RequestFacts {
            path: "/x",
            ..RequestFacts::default()
        },
        T0,
    );
    let strongest_before = s.scores.iter().map(Score::score).fold(0.0, f64::max);
    let cookie = s.encode(&key());
    assert!(cookie.len() <= MAX_STATE_BYTES, "{}", cookie.len());
    let kept = EdgeState::parse(&cookie, &key(), T0).unwrap();
    assert!(kept.scores.len() < 32);
    let mut rolled = kept.clone();
    rolled.roll(T0, &settings(), &many);
    assert!(rolled.scores.iter().any(|s| s.score() == strongest_before));
}

#[test]
fn signals_are_validated() {
    let mut bad = signals();
    bad[0].id = "Pricing Interest".into();
    assert_eq!(validate(&bad, &settings()).unwrap_err().path, "signals.0.id");
    let mut bad = signals();
    bad[1].cap = 0.0;
    assert_eq!(validate(&bad, &settings()).unwrap_err().path, "signals.1.cap");
}
