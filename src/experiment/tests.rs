//! Assignment stability, distribution and invariants of [`Experiment`].

use proptest::prelude::*;
use serde_json::json;

use super::*;

fn experiment(spec: Value) -> Experiment {
    Experiment::new(serde_json::from_value(spec).unwrap()).unwrap()
}

// FROZEN ASSIGNMENTS. These pins are the contract that a user keeps their
// variation forever: changing any of them reshuffles live users between
// variations (and breaks parity with GrowthBook's SDKs). The values were
// computed with GrowthBook's JS SDK 1.7.0 (`hash`, `getBucketRanges`,
// `chooseVariation`, `inNamespace`) when this module was written, and this
// implementation agrees. Never edit them to make a refactor pass.

/// (seed, hash value, hash version) → hash.
const FROZEN_HASHES: [(&str, &str, u32, f64); 20] = [
    ("hero-copy", "user-1", 2, 0.695),
    ("hero-copy", "user-2", 2, 0.8807),
    ("hero-copy", "user-3", 1, 0.236),
    ("pricing", "u_8f3a2c", 2, 0.0558),
    ("pricing", "u_8f3a2c", 1, 0.27),
    ("", "", 2, 0.2305),
    ("", "anonymous", 1, 0.79),
    ("seed-2025", "42", 2, 0.8267),
    ("seed-2025", "42", 1, 0.098),
    ("checkout", "Zoë", 2, 0.4951),
    ("checkout", "日本", 1, 0.224),
    ("checkout", "😀", 2, 0.3881),
    ("x", "0123456789abcdef0123456789abcdef", 2, 0.5532),
    (
        "long-seed-long-seed-long-seed-long-seed-long-seed-",
        "id",
        2,
        0.1724,
    ),
    ("__ns", "user-9", 1, 0.341),
    ("a", "b", 2, 0.6912),
    ("b", "a", 1, 0.946),
    ("GrowthBook", "visitor-1000", 2, 0.5824),
    ("GrowthBook", "visitor-1001", 2, 0.074),
    ("GrowthBook", "visitor-1002", 1, 0.493),
];

#[test]
fn frozen_hashes_never_change() {
    for (seed, value, version, expected) in FROZEN_HASHES {
        assert_eq!(
            hash(seed, value, version),
            Some(expected),
            "hash({seed:?}, {value:?}, {version})"
        );
    }
}

fn frozen_experiments() -> Vec<(&'static str, Experiment)> {
    vec![
        (
            "hero",
            experiment(json!({"key": "hero-copy", "numVariations": 2})),
        ),
        (
            "pricing",
            experiment(
                json!({"key": "pricing", "numVariations": 3, "weights": [0.5, 0.3, 0.2],
                              "coverage": 0.8, "hashVersion": 2}),
            ),
        ),
        (
            "legacy",
            experiment(json!({"key": "legacy-banner", "numVariations": 2, "hashVersion": 1})),
        ),
        (
            "ns",
            experiment(
                json!({"key": "checkout-flow", "numVariations": 2, "hashVersion": 2,
                              "namespace": ["checkout", 0, 0.5]}),
            ),
        ),
        (
            "seeded",
            experiment(json!({"key": "seeded", "numVariations": 4, "hashVersion": 2, "seed": "2025-q3"})),
        ),
    ]
}

/// (experiment, user id) → variation.
const FROZEN_ARMS: [(&str, &str, Option<usize>); 30] = [
    ("hero", "user-1", Some(0)),
    ("hero", "user-2", Some(0)),
    ("hero", "user-3", Some(0)),
    ("hero", "user-4", Some(0)),
    ("hero", "user-5", Some(0)),
    ("hero", "user-6", Some(1)),
    ("pricing", "user-1", None),
    ("pricing", "user-2", None),
    ("pricing", "user-3", Some(0)),
    ("pricing", "user-4", Some(0)),
    ("pricing", "user-5", Some(0)),
    ("pricing", "user-6", Some(0)),
    ("legacy", "user-1", Some(1)),
    ("legacy", "user-2", Some(0)),
    ("legacy", "user-3", Some(1)),
    ("legacy", "user-4", Some(1)),
    ("legacy", "user-5", Some(1)),
    ("legacy", "user-6", Some(1)),
    ("ns", "user-1", None),
    ("ns", "user-2", None),
    ("ns", "user-3", None),
    ("ns", "user-4", Some(0)),
    ("ns", "user-5", Some(0)),
    ("ns", "user-6", None),
    ("seeded", "user-1", Some(0)),
    ("seeded", "user-2", Some(2)),
    ("seeded", "user-3", Some(3)),
    ("seeded", "user-4", Some(1)),
    ("seeded", "user-5", Some(0)),
    ("seeded", "user-6", Some(0)),
];

#[test]
fn frozen_assignments_never_change() {
    let experiments = frozen_experiments();
    for (name, user, expected) in FROZEN_ARMS {
        let (_, exp) = experiments.iter().find(|(n, _)| *n == name).unwrap();
        assert_eq!(exp.assign(user), expected, "{name} / {user}");
    }
}

#[test]
fn weighted_arms_receive_their_share_of_100k_users() {
    let exp = experiment(json!({"key": "distribution", "numVariations": 3,
                                "weights": [0.5, 0.3, 0.2], "hashVersion": 2}));
    let mut counts = [0u32; 3];
    let total = 100_000;
    for i in 0..total {
        let arm = exp.assign(&format!("user-{i}")).unwrap();
        counts[arm] += 1;
    }
    for (arm, (count, weight)) in counts.iter().zip([0.5, 0.3, 0.2]).enumerate() {
        let share = f64::from(*count) / f64::from(total);
        assert!(
            (share - weight).abs() <= 0.01,
            "arm {arm}: {share} vs {weight} ({counts:?})"
        );
    }
}

#[test]
fn assign_excludes_empty_hash_values() {
    let exp = experiment(json!({"key": "k", "numVariations": 2}));
    assert_eq!(exp.assign(""), None);
}

#[test]
fn zero_coverage_includes_nobody() {
    let exp = experiment(json!({"key": "k", "numVariations": 2, "coverage": 0}));
    assert!((0..1000).all(|i| exp.assign(&i.to_string()).is_none()));
}

#[test]
fn explicit_ranges_override_weights_and_ignore_extra_ranges() {
    let exp = experiment(json!({"key": "k", "numVariations": 2, "weights": [0.5, 0.5],
                                "ranges": [[0, 0.1], [0.1, 0.2], [0.2, 1]]}));
    assert_eq!(exp.ranges(), &[(0.0, 0.1), (0.1, 0.2), (0.2, 1.0)]);
    // A hash in the third range is past the last variation: not in the experiment.
    let outside = (0..1000)
        .map(|i| i.to_string())
        .find(|id| hash("k", id, 1).unwrap() >= 0.2)
        .unwrap();
    assert_eq!(exp.assign(&outside), None);
}

#[test]
fn seed_defaults_to_key_and_hash_version_to_one() {
    let exp = experiment(json!({"key": "k", "numVariations": 2, "seed": "", "hashVersion": 0}));
    assert_eq!(exp.seed(), "k");
    assert_eq!(exp.hash_version(), 1);
    assert_eq!(exp.hash_attribute(), "id");
}

#[test]
fn hash_value_reads_the_hash_attribute_as_the_sdk_does() {
    let exp = experiment(json!({"key": "k", "numVariations": 2, "hashAttribute": "deviceId"}));
    assert_eq!(
        exp.hash_value(&json!({"deviceId": "d-1", "id": "u"})),
        Some("d-1".into())
    );
    assert_eq!(exp.hash_value(&json!({"deviceId": 123})), Some("123".into()));
    assert_eq!(exp.hash_value(&json!({"deviceId": 0})), None);
    assert_eq!(exp.hash_value(&json!({"deviceId": ""})), None);
    assert_eq!(exp.hash_value(&json!({"id": "u"})), None);
    assert_eq!(
        exp.assign_attributes(&json!({"deviceId": 123})),
        exp.assign("123"),
        "numbers hash as their JS string"
    );
}

#[test]
fn specs_that_would_enroll_nobody_are_refused() {
    let refuse = |spec: Value| Experiment::new(serde_json::from_value(spec).unwrap()).unwrap_err();
    assert_eq!(
        refuse(json!({"key": "k", "numVariations": 1})),
        ExperimentError::TooFewVariations { found: 1 }
    );
    assert_eq!(
        refuse(json!({"key": "k", "numVariations": 2, "hashVersion": 3})),
        ExperimentError::UnknownHashVersion { version: 3 }
    );
    assert_eq!(
        refuse(json!({"key": "", "numVariations": 2})),
        ExperimentError::EmptyKey
    );
    assert!(matches!(
        refuse(json!({"key": "k", "numVariations": 300})),
        ExperimentError::TooMany { .. }
    ));
    assert!(
        serde_json::from_value::<ExperimentSpec>(json!({"key": "k", "numVariations": 2, "wieghts": []}))
            .is_err()
    );
}

#[test]
fn non_finite_numbers_are_refused() {
    let spec = ExperimentSpec {
        key: "k".into(),
        num_variations: 2,
        coverage: Some(f64::NAN),
        ..Default::default()
    };
    assert_eq!(
        Experiment::new(spec),
        Err(ExperimentError::NotFinite { field: "coverage" })
    );
    let spec = ExperimentSpec {
        key: "k".into(),
        num_variations: 2,
        weights: Some(vec![f64::INFINITY, 0.0]),
        ..Default::default()
    };
    assert_eq!(
        Experiment::new(spec),
        Err(ExperimentError::NotFinite { field: "weights" })
    );
}

proptest! {
    #[test]
    fn hash_is_always_in_zero_one(seed in ".{0,40}", value in ".{0,40}", version in 1u32..=2) {
        let n = hash(&seed, &value, version).unwrap();
        prop_assert!((0.0..1.0).contains(&n), "{n}");
    }

    #[test]
    fn assign_never_returns_an_index_past_the_variations(
        n in 2usize..8,
        weights in proptest::option::of(proptest::collection::vec(-1.0f64..2.0, 0..9)),
        coverage in proptest::option::of(-0.5f64..1.5),
        ranges in proptest::option::of(proptest::collection::vec((0.0f64..1.0, 0.0f64..1.2), 0..10)),
        hash_version in 1u32..=2,
        namespace in proptest::option::of(("[a-z]{0,5}", 0.0f64..1.0, 0.0f64..1.0)),
        user in ".{1,20}",
    ) {
        let spec = ExperimentSpec {
            key: "prop".into(),
            num_variations: n,
            weights,
            coverage,
            hash_version: Some(hash_version),
            namespace: namespace.map(Namespace::from),
            ranges,
            ..Default::default()
        };
        let exp = Experiment::new(spec).unwrap();
        if let Some(i) = exp.assign(&user) {
            prop_assert!(i < n, "{i} >= {n}");
        }
    }
}
