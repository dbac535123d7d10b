//! GrowthBook's shared SDK test cases (`tests/growthbook/cases.json`, spec
//! 0.8.0, the file `@growthbook/growthbook` 1.7.0 passes, and 1.8.0 too) run
//! against `tailor_edge::targeting` and `tailor_edge::experiment`, then the
//! differential corpus of what 1.8.0 changed (`tests/growthbook/sdk-1.8.json`:
//! `$savedGroup`, condition groups, `$elemMatch` on falsy elements), whose
//! verdicts are the SDK's own (`tests/growthbook/sdk-1.8.mjs`).
//!
//! Every case of every section used must pass. Run with `--nocapture` to see
//! how many cases each section ran.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use tailor_edge::experiment::{
    choose_variation, get_bucket_ranges, get_equal_weights, hash, in_namespace, BucketRange, Namespace,
};
use tailor_edge::targeting::{Condition, NativeRegex, SavedGroups};

const SDK_1_8: &str = include_str!("growthbook/sdk-1.8.json");

fn cases() -> Value {
    serde_json::from_str(include_str!("growthbook/cases.json")).expect("cases.json parses")
}

fn section(name: &str) -> Vec<Value> {
    let all = cases();
    assert_eq!(all["specVersion"], "0.8.0", "the README documents spec 0.8.0");
    all[name]
        .as_array()
        .unwrap_or_else(|| panic!("no section {name}"))
        .clone()
}

/// The SDK's test rounding: `Math.floor(n * 1e8) / 1e8`.
fn round(n: f64) -> f64 {
    (n * 1e8).floor() / 1e8
}

fn ranges(v: &Value) -> Vec<BucketRange> {
    serde_json::from_value(v.clone()).unwrap()
}

fn report(section: &str, ran: usize, failures: &[String]) {
    println!("{section}: {ran} cases ran, {} passed", ran - failures.len());
    assert!(
        failures.is_empty(),
        "{section}: {} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Cases whose condition Tailor refuses at compile time, by design: the SDK
/// evaluates an unknown operator, an invalid regex or an ill-typed operator
/// argument to "no match", Tailor refuses the condition when the catalog is
/// published (see `Condition::compile`). Each of these cases expects `false`,
/// and a compile error counts as `false`. Any other compile error fails.
const REFUSED_AT_COMPILE: &[&str] = &[
    "$in - not array",
    "$nin - not array",
    "$ini - not array",
    "$nini - not array",
    "unknown operator - pass",
    "$regex invalid - pass",
    "$regex invalid - fail",
];

#[test]
fn eval_condition() {
    let cases = section("evalCondition");
    let mut failures = Vec::new();
    let mut refused = 0;
    for (i, case) in cases.iter().enumerate() {
        let name = case[0].as_str().unwrap();
        let (condition, attributes, expected) = (&case[1], &case[2], case[3].as_bool().unwrap());
        let groups = match case.get(4) {
            Some(groups) => SavedGroups::from_json(groups, &NativeRegex).unwrap(),
            None => SavedGroups::new(),
        };
        let got = match Condition::compile(condition, &NativeRegex) {
            Ok(compiled) => compiled.matches(attributes, &groups),
            Err(error) => {
                if !REFUSED_AT_COMPILE.contains(&name) {
                    failures.push(format!("[{i}] {name}: refused unexpectedly: {error}"));
                    continue;
                }
                refused += 1;
                println!("  [{i}] {name}: refused at compile ({error}), counts as false");
                false
            }
        };
        if got != expected {
            failures.push(format!(
                "[{i}] {name}: {condition} on {attributes} gave {got}, expected {expected}"
            ));
        }
    }
    assert_eq!(refused, REFUSED_AT_COMPILE.len(), "every listed refusal happened");
    report("evalCondition", cases.len(), &failures);
}

#[test]
fn saved_group_cases_are_present() {
    let with_groups = section("evalCondition")
        .iter()
        .filter(|c| c.get(4).is_some())
        .count();
    println!("evalCondition with saved groups: {with_groups} cases");
    assert_eq!(with_groups, 8);
}

#[test]
fn hash_cases() {
    let cases = section("hash");
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let (seed, value) = (case[0].as_str().unwrap(), case[1].as_str().unwrap());
        let version = u32::try_from(case[2].as_u64().unwrap()).unwrap();
        let expected = case[3].as_f64();
        let got = hash(seed, value, version);
        if got != expected {
            failures.push(format!(
                "[{i}] hash({seed:?}, {value:?}, {version}) = {got:?}, expected {expected:?}"
            ));
        }
    }
    report("hash", cases.len(), &failures);
}

#[test]
fn get_bucket_range_cases() {
    let cases = section("getBucketRange");
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let name = case[0].as_str().unwrap();
        let args = &case[1];
        let n = usize::try_from(args[0].as_u64().unwrap()).unwrap();
        let coverage = args[1].as_f64();
        let weights: Option<Vec<f64>> = serde_json::from_value(args[2].clone()).unwrap();
        let got: Vec<BucketRange> = get_bucket_ranges(n, coverage, weights.as_deref())
            .into_iter()
            .map(|(a, b)| (round(a), round(b)))
            .collect();
        let expected: Vec<BucketRange> = ranges(&case[2])
            .into_iter()
            .map(|(a, b)| (round(a), round(b)))
            .collect();
        if got != expected {
            failures.push(format!("[{i}] {name}: {got:?}, expected {expected:?}"));
        }
    }
    report("getBucketRange", cases.len(), &failures);
}

#[test]
fn choose_variation_cases() {
    let cases = section("chooseVariation");
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let name = case[0].as_str().unwrap();
        let n = case[1].as_f64().unwrap();
        // The SDK's -1 is our None.
        let expected = usize::try_from(case[3].as_i64().unwrap()).ok();
        let got = choose_variation(n, &ranges(&case[2]));
        if got != expected {
            failures.push(format!("[{i}] {name}: {got:?}, expected {expected:?}"));
        }
    }
    report("chooseVariation", cases.len(), &failures);
}

#[test]
fn in_namespace_cases() {
    let cases = section("inNamespace");
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let name = case[0].as_str().unwrap();
        let id = case[1].as_str().unwrap();
        let namespace: Namespace = serde_json::from_value(case[2].clone()).unwrap();
        let expected = case[3].as_bool().unwrap();
        let got = in_namespace(id, &namespace);
        if got != expected {
            failures.push(format!("[{i}] {name}: {got}, expected {expected}"));
        }
    }
    report("inNamespace", cases.len(), &failures);
}

#[test]
fn get_equal_weights_cases() {
    let cases = section("getEqualWeights");
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        // Our count is a usize: the SDK's `n <= 0` (the case -1) is 0 here.
        let n = usize::try_from(case[0].as_i64().unwrap()).unwrap_or(0);
        let expected: Vec<f64> = serde_json::from_value::<Vec<f64>>(case[1].clone())
            .unwrap()
            .into_iter()
            .map(round)
            .collect();
        let got: Vec<f64> = get_equal_weights(n).into_iter().map(round).collect();
        if got != expected {
            failures.push(format!(
                "[{i}] getEqualWeights({}): {got:?}, expected {expected:?}",
                case[0]
            ));
        }
    }
    report("getEqualWeights", cases.len(), &failures);
}

/// What Tailor did with one case of the 1.8 corpus.
#[derive(Debug, PartialEq)]
enum Outcome {
    Verdict(bool),
    Refused(&'static str, String),
}

fn tailor_outcome(case: &Value) -> Outcome {
    let groups = match SavedGroups::from_json(&case["savedGroups"], &NativeRegex) {
        Ok(groups) => groups,
        Err(e) => return Outcome::Refused("groups", e.to_string()),
    };
    let condition = match Condition::compile(&case["condition"], &NativeRegex) {
        Ok(condition) => condition,
        Err(e) => return Outcome::Refused("condition", e.to_string()),
    };
    if let Err(e) = groups.check(&condition) {
        return Outcome::Refused("reference", e.to_string());
    }
    Outcome::Verdict(condition.matches(&case["attributes"], &groups))
}

/// The SDK 1.8.0 corpus: every case agrees with the SDK's verdict, or is
/// refused at the stage the corpus names (the documented deliberate
/// difference), or differs for the reason the corpus gives.
#[test]
fn sdk_1_8_corpus() {
    let corpus: Value = serde_json::from_str(SDK_1_8).unwrap();
    assert_eq!(corpus["version"], "1.8.0");
    let cases = corpus["cases"].as_array().unwrap();
    let mut failures = Vec::new();
    let (mut agreed, mut refused, mut differ) = (0, 0, 0);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let sdk = case["sdk"].as_bool().unwrap();
        let got = tailor_outcome(case);
        let expected = &case["tailor"];
        let ok = match (expected.get("refused"), expected.get("differs"), &got) {
            (Some(stage), _, Outcome::Refused(got_stage, why)) => {
                println!("  {name}: refused at {got_stage} ({why}); the SDK says {sdk}");
                refused += 1;
                stage == got_stage
            }
            (None, Some(why), Outcome::Verdict(v)) => {
                println!("  {name}: {v}, the SDK {sdk}: {why}");
                differ += 1;
                *v != sdk
            }
            (None, None, Outcome::Verdict(v)) => {
                agreed += 1;
                *v == sdk
            }
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{name}: Tailor {got:?}, the SDK {sdk}, the corpus expects {}",
                if expected.is_null() {
                    "agreement".to_owned()
                } else {
                    expected.to_string()
                }
            ));
        }
    }
    println!("sdk-1.8: {agreed} agree, {refused} refused, {differ} differ (documented)");
    report("sdk-1.8", cases.len(), &failures);
}

/// The corpus covers each 1.8 behaviour, with verdicts both ways.
#[test]
fn sdk_1_8_corpus_covers_the_new_operators() {
    let corpus: Value = serde_json::from_str(SDK_1_8).unwrap();
    let cases = corpus["cases"].as_array().unwrap();
    let agreeing = |needle: &str, verdict: bool| {
        cases
            .iter()
            .filter(|c| c["tailor"].is_null() && c["sdk"] == verdict)
            .filter(|c| {
                let text = format!("{}{}", c["condition"], c["savedGroups"]);
                text.contains(needle)
            })
            .count()
    };
    for needle in [
        "$savedGroup",
        "\"type\":\"condition\"",
        "\"type\":\"list\"",
        "$elemMatch",
        "$inGroup",
        "$notInGroup",
    ] {
        for verdict in [true, false] {
            assert!(
                agreeing(needle, verdict) > 0,
                "no agreeing case with {needle} and verdict {verdict}"
            );
        }
    }
}
