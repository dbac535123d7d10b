//! Properties of saved groups and `$savedGroup` (GrowthBook 1.8): whatever
//! JSON a catalog's `saved_groups` and a condition hold, compiling, checking
//! and evaluating never panic and always end; groups that compile have no
//! cycle, and a condition that passes the check evaluates the same whether or
//! not the groups it never names are present.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{json, Map, Value};
use tailor_edge::targeting::{Condition, NativeRegex, SavedGroups};

const IDS: [&str; 4] = ["a", "b", "c", "d"];
const KEYS: [&str; 12] = [
    "id",
    "plan",
    "type",
    "values",
    "attributeKey",
    "condition",
    "$savedGroup",
    "$inGroup",
    "$notInGroup",
    "$elemMatch",
    "$not",
    "$or",
];

/// JSON built from the words saved groups and references are made of.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (0..3i64).prop_map(Value::from),
        prop::sample::select(vec!["a", "b", "c", "d", "list", "condition", "id", "u1", ""])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..4).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// A well-formed entry: a list, a typed list, or a condition naming groups.
fn entry() -> impl Strategy<Value = Value> {
    let id = prop::sample::select(IDS.to_vec());
    prop_oneof![
        prop::collection::vec(prop::sample::select(vec!["u1", "u2"]), 0..3).prop_map(|v| json!(v)),
        prop::collection::vec(prop::sample::select(vec!["u1", "u2"]), 0..3)
            .prop_map(|v| json!({"type": "list", "attributeKey": "id", "values": v})),
        (id.clone(), any::<bool>()).prop_map(|(id, not)| {
            let r = json!({"$savedGroup": {"id": id}});
            json!({"type": "condition", "condition": if not { json!({"$not": r}) } else { json!({"$or": [r, {"plan": "pro"}]}) }})
        }),
        id.prop_map(|id| json!({"type": "condition", "condition": {"id": {"$inGroup": id}}})),
        Just(json!({"type": "condition", "condition": {"plan": "pro"}})),
    ]
}

fn attributes() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![json!("u1"), json!("u2"), json!(null), json!(["u1", 0])]),
        prop::sample::select(vec!["pro", "free"]),
    )
        .prop_map(|(id, plan)| json!({"id": id, "plan": plan}))
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/saved_groups_props.proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_groups_and_conditions_never_panic(groups in json_value(), cond in json_value(), attrs in json_value()) {
        let compiled = SavedGroups::from_json(&groups, &NativeRegex);
        if let Ok(condition) = Condition::compile(&cond, &NativeRegex) {
            let groups = compiled.unwrap_or_default();
            let _ = groups.check(&condition);
            let _ = condition.matches(&attrs, &groups);
        }
    }

    #[test]
    fn well_formed_groups_compile_unless_they_name_each_other_wrongly(
        entries in prop::collection::vec(entry(), 4),
        start in prop::sample::select(IDS.to_vec()),
        attrs in attributes(),
    ) {
        let doc: Map<String, Value> = IDS.iter().map(|id| (*id).to_owned()).zip(entries).collect();
        let doc = Value::Object(doc);
        let condition = Condition::compile(&json!({"$savedGroup": {"id": start}}), &NativeRegex).unwrap();
        match SavedGroups::from_json(&doc, &NativeRegex) {
            Ok(groups) => {
                // Evaluation ends, and agrees with a reference evaluation by hand.
                if groups.check(&condition).is_ok() {
                    prop_assert_eq!(condition.matches(&attrs, &groups), by_hand(&doc, start, &attrs, &mut Vec::new()));
                }
            }
            Err(e) => {
                let text = e.to_string();
                prop_assert!(
                    text.contains("cycle") || text.contains("a list with no attribute") || text.contains("a condition group"),
                    "{}", text
                );
                // A refused set really has a cycle, a `$savedGroup` naming a
                // bare list, or an `$inGroup` naming a condition group.
                prop_assert!(has_cycle(&doc) || names_bare_list(&doc) || in_group_names_condition(&doc), "{} refused: {}", doc, text);
            }
        }
    }
}

/// The SDK's semantics for the shapes `entry()` makes, written out plainly.
fn by_hand(doc: &Value, id: &str, attrs: &Value, visiting: &mut Vec<String>) -> bool {
    if visiting.iter().any(|v| v == id) {
        return false;
    }
    let entry = &doc[id];
    match entry["type"].as_str() {
        Some("list") => entry["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| match &attrs["id"] {
                Value::Array(items) => items.contains(v),
                other => other == v,
            }),
        Some("condition") => {
            let c = &entry["condition"];
            visiting.push(id.to_owned());
            let result = if let Some(inner) = c.get("$not") {
                !by_hand(doc, inner["$savedGroup"]["id"].as_str().unwrap(), attrs, visiting)
            } else if let Some(or) = c.get("$or") {
                by_hand(doc, or[0]["$savedGroup"]["id"].as_str().unwrap(), attrs, visiting)
                    || attrs["plan"] == "pro"
            } else if let Some(group) = c["id"].get("$inGroup") {
                let values = match &doc[group.as_str().unwrap()] {
                    Value::Array(v) => v.clone(),
                    other => other["values"].as_array().unwrap().clone(),
                };
                match &attrs["id"] {
                    Value::Array(items) => items.iter().any(|i| values.contains(i)),
                    other => values.contains(other),
                }
            } else {
                attrs["plan"] == "pro"
            };
            visiting.pop();
            result
        }
        _ => false,
    }
}

fn named(doc: &Value, id: &str) -> Option<String> {
    doc[id]["condition"]
        .get("$not")
        .or_else(|| doc[id]["condition"].get("$or").map(|or| &or[0]))
        .map(|r| r["$savedGroup"]["id"].as_str().unwrap().to_owned())
}

fn has_cycle(doc: &Value) -> bool {
    IDS.iter().any(|start| {
        let mut at = (*start).to_owned();
        for _ in 0..IDS.len() {
            match named(doc, &at) {
                Some(next) if next == *start => return true,
                Some(next) => at = next,
                None => return false,
            }
        }
        false
    })
}

fn names_bare_list(doc: &Value) -> bool {
    IDS.iter()
        .any(|id| named(doc, id).is_some_and(|n| doc[n.as_str()].is_array()))
}

fn in_group_names_condition(doc: &Value) -> bool {
    IDS.iter().any(|id| {
        doc[*id]["condition"]["id"]["$inGroup"]
            .as_str()
            .is_some_and(|g| doc[g]["type"] == "condition")
    })
}
