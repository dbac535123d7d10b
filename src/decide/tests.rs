//! Decisions: precedence, reasons, determinism, and frozen assignments.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::rc::Rc;

use serde_json::json;

use super::*;
use crate::catalog::source::Bundle;
use crate::profile::{ProfileSource, Visitor};
use crate::targeting::NativeRegex;

const NOW: u64 = 1_795_003_600;

fn catalog(extra: serde_json::Value) -> CompiledCatalog {
    let mut source = json!({
        "site": "demo",
        "blocks": {
            "hero": {
                "default": "default",
                "variants": [
                    { "id": "default", "html": "<p>default</p>" },
                    { "id": "lapsed", "html": "<p>lapsed</p>", "when": { "lifecycle": "lapsed" } },
                    { "id": "fintech", "html": "<p>fintech</p>",
                      "when": { "industry": "fintech", "company_size": { "$in": ["enterprise"] } } },
                    { "id": "dev", "html": "<p>dev</p>", "when": { "$or": [{ "role": "engineer" }, { "industry": "software" }] } }
                ]
            }
        }
    });
    if let (Some(target), Some(extra)) = (source.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            target.insert(k.clone(), v.clone());
        }
    }
    let bundle = Bundle::from_source(&source.to_string(), |_| Err("no files".into())).unwrap();
    CompiledCatalog::compile(Rc::new(bundle.manifest), &NativeRegex).unwrap()
}

fn visitor(attributes: serde_json::Value) -> Visitor {
    Visitor {
        attributes,
        personalization_allowed: true,
        analytics_allowed: true,
        bot: false,
        source: ProfileSource::Anonymous(None),
        opted_out: false,
        forced: Default::default(),
        context_only: false,
        consent: crate::consent::ConsentSource::Default,
        carried: Default::default(),
    }
}

fn hero(catalog: &CompiledCatalog, v: &Visitor) -> Decision {
    decide(catalog, v, NOW)
        .into_iter()
        .find(|d| d.block == "hero")
        .unwrap()
}

#[test]
fn the_first_matching_rule_wins_in_catalog_order() {
    let c = catalog(json!({}));
    let d = hero(
        &c,
        &visitor(json!({ "industry": "fintech", "company_size": "enterprise" })),
    );
    assert_eq!((d.variant.as_str(), d.reason), ("fintech", Reason::Rule));
    let lapsed_cto =
        visitor(json!({ "industry": "fintech", "company_size": "enterprise", "lifecycle": "lapsed" }));
    assert_eq!(hero(&c, &lapsed_cto).variant, "lapsed");
    assert_eq!(hero(&c, &visitor(json!({ "role": "engineer" }))).variant, "dev");
}

#[test]
fn no_matching_rule_means_the_default_with_reason_default() {
    let d = hero(&catalog(json!({})), &visitor(json!({ "industry": "retail" })));
    assert_eq!((d.variant.as_str(), d.reason), ("default", Reason::Default));
}

#[test]
fn consent_off_and_bots_get_defaults_whatever_matches() {
    let c = catalog(json!({}));
    let mut v = visitor(json!({ "role": "engineer" }));
    v.personalization_allowed = false;
    assert_eq!(hero(&c, &v).reason, Reason::Consent);
    assert_eq!(hero(&c, &v).variant, "default");
    let mut v = visitor(json!({ "role": "engineer" }));
    v.bot = true;
    assert_eq!(hero(&c, &v).reason, Reason::Bot);
}

#[test]
fn the_holdout_share_sees_defaults_and_is_stable_per_visitor() {
    let c = catalog(json!({ "holdout": 0.2 }));
    let held = (0..10_000)
        .filter(|n| {
            let v = visitor(json!({ "role": "engineer", "id": format!("visitor-{n}") }));
            hero(&c, &v).reason == Reason::Holdout
        })
        .count();
    assert!((1_800..=2_200).contains(&held), "{held} of 10000 held out");
    let v = visitor(json!({ "role": "engineer", "id": "visitor-7" }));
    assert_eq!(hero(&c, &v), hero(&c, &v));
}

fn experiment_catalog() -> CompiledCatalog {
    let mut c = json!({});
    c["blocks"] = json!({
        "hero": {
            "default": "a",
            "variants": [
                { "id": "a", "html": "<p>a</p>" },
                { "id": "b", "html": "<p>b</p>" },
                { "id": "c", "html": "<p>c</p>" }
            ],
            "experiment": { "key": "hero-copy", "variations": ["a", "b", "c"], "weights": [0.5, 0.3, 0.2], "hashVersion": 2 }
        }
    });
    catalog(c)
}

#[test]
fn an_experiment_splits_visitors_by_its_weights() {
    let c = experiment_catalog();
    let mut counts = [0usize; 3];
    for n in 0..100_000 {
        let d = hero(&c, &visitor(json!({ "id": format!("u{n}") })));
        let Reason::Experiment {
            arm, sticky: false, ..
        } = d.reason
        else {
            panic!("{d:?}")
        };
        counts[arm] += 1;
    }
    for (count, weight) in counts.iter().zip([0.5, 0.3, 0.2]) {
        let share = *count as f64 / 100_000.0;
        assert!((share - weight).abs() < 0.01, "{counts:?}");
    }
}

#[test]
fn frozen_assignments_never_change() {
    // Pinned when written, and the same arms GrowthBook's JS SDK 1.8.0 gives
    // (`gb.run({key, variations, weights, hashVersion: 2})` with these ids).
    // A refactor that changes any of these reshuffles users.
    let c = experiment_catalog();
    let pinned = [
        ("u1", "c"),
        ("u2", "b"),
        ("alice", "b"),
        ("Zk3qL9xT2mVbQ0aa", "c"),
        ("visitor-42", "c"),
    ];
    let got: Vec<(&str, String)> = pinned
        .iter()
        .map(|(id, _)| (*id, hero(&c, &visitor(json!({ "id": id }))).variant))
        .collect();
    let want: Vec<(&str, String)> = pinned.iter().map(|(id, v)| (*id, (*v).to_owned())).collect();
    assert_eq!(got, want);
}

#[test]
fn the_profile_bucket_makes_an_assignment_sticky() {
    let c = experiment_catalog();
    let v = visitor(json!({ "id": "u1", "experiments": { "hero-copy": 1 } }));
    let d = hero(&c, &v);
    assert_eq!(d.variant, "b");
    assert_eq!(
        d.reason,
        Reason::Experiment {
            key: "hero-copy".into(),
            arm: 1,
            sticky: true
        }
    );
    // An arm the experiment does not have falls back to hashing.
    let v = visitor(json!({ "id": "u1", "experiments": { "hero-copy": 9 } }));
    assert!(matches!(
        hero(&c, &v).reason,
        Reason::Experiment { sticky: false, .. }
    ));
}

#[test]
fn visitors_without_a_bucketing_id_are_not_enrolled() {
    let d = hero(&experiment_catalog(), &visitor(json!({})));
    assert_eq!((d.variant.as_str(), d.reason), ("a", Reason::Default));
}

#[test]
fn exploration_shows_an_adjacent_eligible_variant_for_its_share() {
    let c = catalog(json!({ "exploration": { "share": 0.15, "period_hours": 24 } }));
    let mut explored = 0;
    for n in 0..10_000 {
        let v = visitor(json!({ "role": "engineer", "id": format!("v{n}") }));
        let d = hero(&c, &v);
        if let Reason::Exploration { instead_of } = &d.reason {
            explored += 1;
            assert_eq!(instead_of, "dev");
            // Adjacent eligible: after `dev` (index 3) comes `default` (index 0).
            assert_eq!(d.variant, "default");
        } else {
            assert_eq!(d.variant, "dev");
        }
        assert_eq!(d, hero(&c, &v), "deterministic per visitor and period");
    }
    assert!((1_300..=1_700).contains(&explored), "{explored}");
}

#[test]
fn a_bandit_shifts_traffic_to_the_variant_that_converts() {
    let mut c = json!({});
    c["blocks"] = json!({
        "hero": {
            "default": "a",
            "variants": [ { "id": "a", "html": "<p>a</p>" }, { "id": "b", "html": "<p>b</p>" } ],
            "bandit": { "arms": { "a": [11.0, 91.0], "b": [31.0, 71.0] } }
        }
    });
    let c = catalog(c);
    let b = (0..5_000)
        .filter(|n| {
            let d = hero(&c, &visitor(json!({ "id": format!("v{n}") })));
            assert_eq!(d.reason, Reason::Bandit);
            d.variant == "b"
        })
        .count();
    assert!(b > 4_500, "{b}");
}

#[test]
fn invalid_conditions_are_refused_when_the_catalog_is_built() {
    let source = json!({
        "site": "demo",
        "blocks": { "hero": { "default": "a", "variants": [
            { "id": "a", "html": "x" },
            { "id": "b", "html": "y", "when": { "role": { "$bogus": 1 } } }
        ] } }
    });
    let err = Bundle::from_source(&source.to_string(), |_| Err(String::new())).unwrap_err();
    assert_eq!(err.path, "blocks.hero.variants.1.when");
}

#[test]
fn a_forced_variant_wins_over_everything() {
    let c = catalog(json!({}));
    let mut v = visitor(json!({ "role": "engineer" }));
    v.forced.insert("hero".into(), "lapsed".into());
    v.personalization_allowed = false;
    let d = hero(&c, &v);
    assert_eq!((d.variant.as_str(), d.reason), ("lapsed", Reason::Forced));
    v.forced.insert("hero".into(), "no-such-variant".into());
    assert_eq!(hero(&c, &v).reason, Reason::Consent);
}
