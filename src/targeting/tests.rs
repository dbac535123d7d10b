//! Behaviour of every operator, one property per test.

#![cfg(not(target_arch = "wasm32"))]

use std::cell::Cell;
use std::rc::Rc;

use serde_json::{json, Value};

use super::*;

fn compile(cond: Value) -> Condition {
    Condition::compile(&cond, &NativeRegex).unwrap_or_else(|e| panic!("{cond}: {e}"))
}

fn matches(cond: Value, attrs: Value) -> bool {
    compile(cond).matches(&attrs, &SavedGroups::new())
}

fn matches_with_groups(cond: Value, attrs: Value, groups: Value) -> bool {
    let groups = saved_groups(groups);
    let cond = compile(cond);
    groups.check(&cond).unwrap_or_else(|e| panic!("{e}"));
    cond.matches(&attrs, &groups)
}

fn saved_groups(groups: Value) -> SavedGroups {
    SavedGroups::from_json(&groups, &NativeRegex).unwrap_or_else(|e| panic!("{groups}: {e}"))
}

fn groups_error(groups: Value) -> SavedGroupError {
    match SavedGroups::from_json(&groups, &NativeRegex) {
        Ok(g) => panic!("{groups} compiled: {g:?}"),
        Err(e) => e,
    }
}

fn reference_error(cond: Value, groups: Value) -> ReferenceError {
    match saved_groups(groups.clone()).check(&compile(cond.clone())) {
        Ok(()) => panic!("{cond} passed the check against {groups}"),
        Err(e) => e,
    }
}

fn error(cond: Value) -> ConditionError {
    match Condition::compile(&cond, &NativeRegex) {
        Ok(c) => panic!("{cond} compiled: {c:?}"),
        Err(e) => e,
    }
}

// ---- plain values -------------------------------------------------------

#[test]
fn empty_condition_matches_everyone() {
    assert!(matches(json!({}), json!({"a": 1})));
    assert!(Condition::default().matches(&json!(null), &SavedGroups::new()));
}

#[test]
fn string_value_matches_the_attribute_printed_as_js_string() {
    assert!(matches(json!({"name": "ann"}), json!({"name": "ann"})));
    assert!(matches(json!({"age": "30"}), json!({"age": 30})));
    assert!(matches(json!({"flag": "true"}), json!({"flag": true})));
    assert!(matches(json!({"tags": "a,b"}), json!({"tags": ["a", "b"]})));
    assert!(matches(json!({"x": "null"}), json!({})));
    assert!(!matches(json!({"name": "ann"}), json!({"name": "Ann"})));
}

#[test]
fn number_value_matches_the_attribute_converted_to_number() {
    assert!(matches(json!({"age": 30}), json!({"age": 30.0})));
    assert!(matches(json!({"age": 30}), json!({"age": "30"})));
    assert!(matches(json!({"age": 30}), json!({"age": " 0x1e "})));
    assert!(matches(json!({"n": 0}), json!({"n": null})));
    assert!(matches(json!({"n": 1}), json!({"n": true})));
    assert!(!matches(json!({"age": 30}), json!({"age": "thirty"})));
}

#[test]
fn boolean_value_matches_truthiness_but_never_null() {
    assert!(matches(json!({"beta": true}), json!({"beta": 1})));
    assert!(matches(json!({"beta": false}), json!({"beta": ""})));
    assert!(!matches(json!({"beta": false}), json!({})));
    assert!(!matches(json!({"beta": false}), json!({"beta": null})));
}

#[test]
fn null_value_matches_null_or_missing() {
    assert!(matches(json!({"id": null}), json!({})));
    assert!(matches(json!({"id": null}), json!({"id": null})));
    assert!(!matches(json!({"id": null}), json!({"id": 0})));
}

#[test]
fn array_and_object_values_compare_as_json() {
    assert!(matches(json!({"t": [1, "a"]}), json!({"t": [1.0, "a"]})));
    assert!(!matches(json!({"t": [1, "a"]}), json!({"t": ["a", 1]})));
    assert!(matches(
        json!({"o": {"a": 1, "b": [2]}}),
        json!({"o": {"b": [2], "a": 1}})
    ));
    assert!(!matches(json!({"o": {"a": 1}}), json!({"o": {"a": 1, "b": 2}})));
    assert!(matches(json!({"o": {}}), json!({"o": {}})));
    assert!(!matches(json!({"o": {}}), json!({"o": []})));
}

#[test]
fn object_with_some_non_dollar_keys_is_a_literal_not_operators() {
    let cond = json!({"o": {"$gt": 1, "x": 2}});
    assert!(matches(cond.clone(), json!({"o": {"$gt": 1, "x": 2}})));
    assert!(!matches(cond, json!({"o": 5})));
}

// ---- paths --------------------------------------------------------------

#[test]
fn dotted_path_reaches_nested_attributes() {
    assert!(matches(
        json!({"company.size": {"$gte": 50}}),
        json!({"company": {"size": 80}})
    ));
    assert!(!matches(
        json!({"company.size": {"$gte": 50}}),
        json!({"company": {"size": 8}})
    ));
}

#[test]
fn dotted_path_through_a_non_object_is_missing() {
    assert!(matches(json!({"a.b": null}), json!({"a": "text"})));
    assert!(matches(json!({"a.b": {"$exists": false}}), json!({"a": null})));
    assert!(!matches(json!({"a.b": "x"}), json!({"a": 5})));
}

#[test]
fn dotted_path_indexes_arrays_and_reads_their_length() {
    assert!(matches(json!({"tags.1": "b"}), json!({"tags": ["a", "b"]})));
    assert!(matches(json!({"tags.length": 2}), json!({"tags": ["a", "b"]})));
    assert!(matches(json!({"tags.01": null}), json!({"tags": ["a", "b"]})));
    assert!(matches(
        json!({"tags.5": {"$exists": false}}),
        json!({"tags": ["a"]})
    ));
    assert!(matches(
        json!({"people.0.name": "x"}),
        json!({"people": [{"name": "x"}]})
    ));
}

#[test]
fn dollar_keys_at_condition_level_are_attribute_names() {
    assert!(matches(
        json!({"$groups": {"$elemMatch": {"$eq": "a"}}}),
        json!({"$groups": ["a"]})
    ));
}

// ---- comparison ---------------------------------------------------------

#[test]
fn eq_is_strict_equality() {
    assert!(matches(json!({"a": {"$eq": "x"}}), json!({"a": "x"})));
    assert!(!matches(json!({"a": {"$eq": 1}}), json!({"a": "1"})));
    assert!(!matches(json!({"a": {"$eq": false}}), json!({})));
    assert!(matches(json!({"a": {"$eq": null}}), json!({})));
}

#[test]
fn eq_never_equates_arrays_or_objects_like_js_identity() {
    assert!(!matches(json!({"a": {"$eq": [1]}}), json!({"a": [1]})));
    assert!(!matches(json!({"a": {"$eq": {"b": 1}}}), json!({"a": {"b": 1}})));
}

#[test]
fn ne_is_strict_inequality() {
    assert!(matches(json!({"a": {"$ne": "x"}}), json!({"a": "y"})));
    assert!(matches(json!({"a": {"$ne": 1}}), json!({"a": "1"})));
    assert!(!matches(json!({"a": {"$ne": "x"}}), json!({"a": "x"})));
    assert!(matches(json!({"a": {"$ne": [1]}}), json!({"a": [1]})));
}

#[test]
fn lt_and_gt_compare_numbers() {
    assert!(matches(json!({"a": {"$lt": 10, "$gt": 5}}), json!({"a": 7})));
    assert!(!matches(json!({"a": {"$lt": 10}}), json!({"a": 10})));
    assert!(!matches(json!({"a": {"$gt": 10}}), json!({"a": 10})));
}

#[test]
fn lte_and_gte_include_the_bound() {
    assert!(matches(json!({"a": {"$lte": 10, "$gte": 10}}), json!({"a": 10})));
    assert!(!matches(json!({"a": {"$lte": 9}}), json!({"a": 10})));
    assert!(!matches(json!({"a": {"$gte": 11}}), json!({"a": 10})));
}

#[test]
fn lt_between_string_and_number_compares_as_numbers_like_js() {
    assert!(matches(json!({"a": {"$lt": 10}}), json!({"a": "8"})));
    assert!(matches(json!({"a": {"$gt": "5"}}), json!({"a": 8})));
    assert!(!matches(json!({"a": {"$lt": 10}}), json!({"a": "ten"})));
    assert!(!matches(json!({"a": {"$gte": 10}}), json!({"a": "ten"})));
}

#[test]
fn lt_between_two_strings_compares_code_units() {
    assert!(matches(json!({"a": {"$lt": "b"}}), json!({"a": "abc"})));
    assert!(matches(json!({"a": {"$lt": "8"}}), json!({"a": "10"})));
    assert!(!matches(json!({"a": {"$gt": "a"}}), json!({"a": "Z"})));
}

#[test]
fn comparisons_treat_a_missing_attribute_as_null_which_is_zero() {
    assert!(matches(json!({"a": {"$lt": 1, "$gte": 0, "$gt": -1}}), json!({})));
    assert!(!matches(json!({"a": {"$gt": 0}}), json!({})));
}

// ---- versions -----------------------------------------------------------

#[test]
fn version_operators_compare_padded_versions() {
    assert!(matches(
        json!({"v": {"$vgt": "1.9.0", "$vlt": "1.10.0"}}),
        json!({"v": "1.9.5"})
    ));
    assert!(matches(
        json!({"v": {"$vgte": "1.2.3", "$vlte": "1.2.3"}}),
        json!({"v": "v1.2.3"})
    ));
    assert!(matches(
        json!({"v": {"$veq": "1.2.3"}}),
        json!({"v": "1.2.3+build.9"})
    ));
    assert!(matches(
        json!({"v": {"$vne": "1.2.3"}}),
        json!({"v": "1.2.3-rc.1"})
    ));
    assert!(matches(
        json!({"v": {"$vlt": "1.0.0"}}),
        json!({"v": "1.0.0-beta"})
    ));
    assert!(!matches(
        json!({"v": {"$vgt": "10.0.0"}}),
        json!({"v": "9.99.99"})
    ));
}

#[test]
fn version_operators_read_numbers_and_missing_values_like_the_sdk() {
    assert!(matches(json!({"v": {"$veq": "2"}}), json!({"v": 2})));
    assert!(matches(json!({"v": {"$veq": "0"}}), json!({})));
    assert!(matches(json!({"v": {"$vgt": 1}}), json!({"v": "1.0.1"})));
}

// ---- membership ---------------------------------------------------------

#[test]
fn in_matches_when_the_value_is_listed() {
    assert!(matches(json!({"c": {"$in": ["US", "CA"]}}), json!({"c": "CA"})));
    assert!(!matches(json!({"c": {"$in": ["US", "CA"]}}), json!({"c": "us"})));
    assert!(!matches(json!({"n": {"$in": [1, 2]}}), json!({"n": "1"})));
}

#[test]
fn in_matches_when_any_array_element_is_listed() {
    assert!(matches(
        json!({"t": {"$in": ["a", "b"]}}),
        json!({"t": ["x", "b"]})
    ));
    assert!(!matches(
        json!({"t": {"$in": ["a", "b"]}}),
        json!({"t": ["x", "y"]})
    ));
    assert!(!matches(json!({"t": {"$in": ["a"]}}), json!({"t": []})));
}

#[test]
fn in_never_matches_objects_by_identity() {
    assert!(!matches(
        json!({"o": {"$in": [{"a": 1}]}}),
        json!({"o": {"a": 1}})
    ));
}

#[test]
fn nin_matches_when_nothing_is_listed() {
    assert!(matches(json!({"c": {"$nin": ["US"]}}), json!({"c": "FR"})));
    assert!(!matches(json!({"c": {"$nin": ["US"]}}), json!({"c": "US"})));
    assert!(!matches(json!({"t": {"$nin": ["a"]}}), json!({"t": ["b", "a"]})));
    assert!(matches(json!({"t": {"$nin": ["a"]}}), json!({"t": []})));
    assert!(matches(json!({"c": {"$nin": ["US"]}}), json!({})));
}

#[test]
fn ini_and_nini_ignore_case_of_strings_only() {
    assert!(matches(json!({"c": {"$ini": ["us"]}}), json!({"c": "US"})));
    assert!(matches(json!({"t": {"$ini": ["A"]}}), json!({"t": ["x", "a"]})));
    assert!(!matches(json!({"n": {"$ini": ["1"]}}), json!({"n": 1})));
    assert!(!matches(json!({"c": {"$nini": ["us"]}}), json!({"c": "Us"})));
    assert!(matches(json!({"c": {"$nini": ["us"]}}), json!({"c": "CA"})));
}

#[test]
fn in_group_tests_membership_in_a_saved_group() {
    let groups = json!({"beta": [1, "2", "ann"]});
    assert!(matches_with_groups(
        json!({"id": {"$inGroup": "beta"}}),
        json!({"id": 1}),
        groups.clone()
    ));
    assert!(matches_with_groups(
        json!({"id": {"$inGroup": "beta"}}),
        json!({"id": "ann"}),
        groups.clone()
    ));
    assert!(!matches_with_groups(
        json!({"id": {"$inGroup": "beta"}}),
        json!({"id": 2}),
        groups.clone()
    ));
    assert!(matches_with_groups(
        json!({"id": {"$inGroup": "beta"}}),
        json!({"id": [9, 1]}),
        groups.clone()
    ));
    assert!(!matches_with_groups(
        json!({"id": {"$inGroup": "nope"}}),
        json!({"id": 1}),
        groups
    ));
}

#[test]
fn not_in_group_passes_for_non_members_and_unknown_groups() {
    let groups = json!({"beta": [1]});
    assert!(!matches_with_groups(
        json!({"id": {"$notInGroup": "beta"}}),
        json!({"id": 1}),
        groups.clone()
    ));
    assert!(matches_with_groups(
        json!({"id": {"$notInGroup": "beta"}}),
        json!({"id": 2}),
        groups.clone()
    ));
    assert!(matches_with_groups(
        json!({"id": {"$notInGroup": "nope"}}),
        json!({"id": 1}),
        groups
    ));
}

#[test]
fn saved_group_ids_lists_every_group_named() {
    let c = compile(
        json!({"$or": [{"id": {"$inGroup": "b"}}, {"t": {"$elemMatch": {"x": {"$notInGroup": "a"}}}}],
                          "u": {"$inGroup": "b"}}),
    );
    assert_eq!(c.saved_group_ids(), vec!["a", "b"]);
    let c = compile(json!({"$savedGroup": {"id": "c"}, "$not": {"$savedGroup": {"id": "a"}}}));
    assert_eq!(c.saved_group_ids(), vec!["a", "c"]);
}

// ---- $savedGroup and condition groups (SDK 1.8) -------------------------

fn typed_groups() -> Value {
    json!({
        "beta": {"type": "list", "attributeKey": "id", "values": ["u1", 42]},
        "ids": {"type": "list", "values": ["u1"]},
        "legacy": ["u1"],
        "enterprise": {"type": "condition", "condition": {"company_size": {"$in": ["enterprise", "large"]}}},
        "beta-enterprise": {"type": "condition", "condition": {"$and": [{"$savedGroup": {"id": "beta"}}, {"$savedGroup": {"id": "enterprise"}}]}}
    })
}

#[test]
fn saved_group_tests_a_list_groups_own_attribute_or_the_references() {
    let g = typed_groups();
    let beta = json!({"$savedGroup": {"id": "beta"}});
    assert!(matches_with_groups(beta.clone(), json!({"id": "u1"}), g.clone()));
    assert!(matches_with_groups(beta.clone(), json!({"id": 42}), g.clone()));
    assert!(!matches_with_groups(beta.clone(), json!({"id": "42"}), g.clone()));
    assert!(!matches_with_groups(beta, json!({}), g.clone()));
    let by_account = json!({"$savedGroup": {"id": "beta", "attributeKey": "account.id"}});
    assert!(matches_with_groups(
        by_account.clone(),
        json!({"id": "x", "account": {"id": "u1"}}),
        g.clone()
    ));
    assert!(!matches_with_groups(by_account, json!({"id": "u1"}), g.clone()));
    assert!(matches_with_groups(
        json!({"$savedGroup": {"id": "ids", "attributeKey": "id"}}),
        json!({"id": "u1"}),
        g
    ));
}

#[test]
fn saved_group_evaluates_condition_groups_and_their_nesting() {
    let g = typed_groups();
    let both = json!({"$savedGroup": {"id": "beta-enterprise"}});
    assert!(matches_with_groups(
        both.clone(),
        json!({"id": "u1", "company_size": "large"}),
        g.clone()
    ));
    assert!(!matches_with_groups(
        both.clone(),
        json!({"id": "u9", "company_size": "large"}),
        g.clone()
    ));
    assert!(!matches_with_groups(
        both,
        json!({"id": "u1", "company_size": "smb"}),
        g.clone()
    ));
    // An attributeKey on a reference to a condition group is ignored.
    assert!(matches_with_groups(
        json!({"$savedGroup": {"id": "enterprise", "attributeKey": "plan"}}),
        json!({"company_size": "enterprise"}),
        g.clone()
    ));
    assert!(matches_with_groups(
        json!({"$or": [{"plan": "pro"}, {"$not": {"$savedGroup": {"id": "enterprise"}}}]}),
        json!({"company_size": "smb"}),
        g.clone()
    ));
    // Beside a field inside $elemMatch: evaluated on each element.
    assert!(matches_with_groups(
        json!({"seats": {"$elemMatch": {"$savedGroup": {"id": "beta"}, "active": true}}}),
        json!({"seats": [{"id": "u1", "active": false}, {"id": 42, "active": true}]}),
        g
    ));
}

#[test]
fn in_group_reads_typed_lists_with_the_attribute_it_sits_on() {
    let g = typed_groups();
    assert!(matches_with_groups(
        json!({"account": {"$inGroup": "beta"}}),
        json!({"account": "u1"}),
        g.clone()
    ));
    assert!(!matches_with_groups(
        json!({"id": {"$notInGroup": "beta"}}),
        json!({"id": 42}),
        g.clone()
    ));
    assert!(matches_with_groups(
        json!({"id": {"$inGroup": "legacy"}}),
        json!({"id": "u1"}),
        g
    ));
}

#[test]
fn saved_group_references_are_parsed_strictly() {
    for (cond, path) in [
        (json!({"$savedGroup": "beta"}), "$savedGroup"),
        (json!({"$savedGroup": {"id": 1}}), "$savedGroup.id"),
        (
            json!({"$savedGroup": {"id": "b", "attributeKey": null}}),
            "$savedGroup.attributeKey",
        ),
    ] {
        let e = error(cond.clone());
        assert_eq!(e.path(), path, "{cond}");
        assert!(
            matches!(e.kind(), ConditionErrorKind::WrongArgument { .. }),
            "{e}"
        );
    }
    let e = error(json!({"$savedGroup": {}}));
    assert!(
        matches!(e.kind(), ConditionErrorKind::MissingField { field: "id", .. }),
        "{e}"
    );
    let e = error(json!({"$or": [{"$savedGroup": {"id": "b", "attributekey": "x"}}]}));
    assert_eq!(e.path(), "$or.0.$savedGroup");
    assert!(matches!(e.kind(), ConditionErrorKind::UnknownField { .. }), "{e}");
    let e = error(json!({"$savedGroups": ["b"]}));
    assert_eq!(e.kind(), &ConditionErrorKind::AuthoringOperator);
    // Only at the condition level: as an attribute's operator it is unknown.
    let e = error(json!({"id": {"$savedGroup": {"id": "b"}}}));
    assert!(
        matches!(e.kind(), ConditionErrorKind::UnknownOperator { .. }),
        "{e}"
    );
}

#[test]
fn references_the_groups_cannot_answer_are_refused_with_their_path() {
    let g = typed_groups();
    let e = reference_error(json!({"$or": [{"$savedGroup": {"id": "nope"}}]}), g.clone());
    assert_eq!(e.path(), "$or.0.$savedGroup");
    assert_eq!(e.kind(), &ReferenceErrorKind::Unknown { id: "nope".into() });
    for id in ["legacy", "ids"] {
        let e = reference_error(json!({"$savedGroup": {"id": id}}), g.clone());
        assert_eq!(e.kind(), &ReferenceErrorKind::NoAttribute { id: id.into() });
    }
    let e = reference_error(json!({"c": {"$notInGroup": "enterprise"}}), g.clone());
    assert_eq!(e.path(), "c.$notInGroup");
    assert!(matches!(
        e.kind(),
        ReferenceErrorKind::NotAList {
            operator: "$notInGroup",
            ..
        }
    ));
    // An unknown id for $inGroup is an empty list, as in the SDK.
    assert!(saved_groups(g)
        .check(&compile(json!({"c": {"$notInGroup": "nope"}})))
        .is_ok());
}

#[test]
fn malformed_groups_are_refused_with_the_group() {
    let cases = [
        (json!({"a": null}), "a"),
        (json!({"a": {"values": [1]}}), "a"),
        (json!({"a": {"type": "segment"}}), "a"),
        (json!({"a": {"type": "list", "values": "x"}}), "a"),
        (
            json!({"a": {"type": "list", "attributeKey": 1, "values": []}}),
            "a",
        ),
        (json!({"a": {"type": "list", "values": [], "condition": {}}}), "a"),
        (json!({"a": {"type": "condition", "condition": []}}), "a"),
        (json!({"a": {"type": "condition"}}), "a"),
        (
            json!({"a": {"type": "condition", "condition": {"x": {"$bad": 1}}}}),
            "a",
        ),
        (
            json!({"a": {"type": "condition", "condition": {"$savedGroup": {"id": "zz"}}}}),
            "a",
        ),
        (
            json!({"b": [], "a": {"type": "condition", "condition": {"x": {"$inGroup": "c"}}}, "c": {"type": "condition", "condition": {}}}),
            "a",
        ),
    ];
    for (groups, id) in cases {
        let e = groups_error(groups.clone());
        assert_eq!(e.group(), id, "{groups}: {e}");
    }
    let too_many: Vec<u32> = (0..=u32::try_from(MAX_GROUP_VALUES).unwrap()).collect();
    assert!(matches!(
        groups_error(json!({"a": too_many})),
        SavedGroupError::TooLong { .. }
    ));
}

#[test]
fn cycles_and_deep_nesting_of_condition_groups_are_refused() {
    let r = |id: &str| json!({"type": "condition", "condition": {"$savedGroup": {"id": id}}});
    let e = groups_error(json!({"a": r("a")}));
    assert_eq!(
        e,
        SavedGroupError::Cycle {
            cycle: vec!["a".into(), "a".into()]
        }
    );
    let e = groups_error(
        json!({"a": r("b"), "b": {"type": "condition", "condition": {"$not": {"$savedGroup": {"id": "a"}}}}}),
    );
    assert_eq!(
        e,
        SavedGroupError::Cycle {
            cycle: vec!["a".into(), "b".into(), "a".into()]
        }
    );
    // A chain: g0 → g1 → … → g{n}.
    let chain = |n: usize| {
        let mut m = serde_json::Map::new();
        for i in 0..n {
            m.insert(format!("g{i}"), r(&format!("g{}", i + 1)));
        }
        m.insert(
            format!("g{n}"),
            json!({"type": "condition", "condition": {"plan": "pro"}}),
        );
        Value::Object(m)
    };
    let ok = saved_groups(chain(MAX_GROUP_NESTING - 1));
    let cond = compile(json!({"$savedGroup": {"id": "g0"}}));
    assert!(cond.matches(&json!({"plan": "pro"}), &ok));
    assert!(matches!(
        groups_error(chain(MAX_GROUP_NESTING)),
        SavedGroupError::TooDeep { .. }
    ));
    // A diamond is no cycle.
    saved_groups(
        json!({"a": {"type": "condition", "condition": {"$and": [{"$savedGroup": {"id": "b"}}, {"$savedGroup": {"id": "b"}}]}}, "b": {"type": "condition", "condition": {}}}),
    );
}

#[test]
fn expansion_is_bounded() {
    // Each level names the one below 200 times: small documents, a huge expansion.
    let level = |below: &str| {
        let refs: Vec<Value> = (0..200).map(|_| json!({"$savedGroup": {"id": below}})).collect();
        json!({"type": "condition", "condition": {"$or": refs}})
    };
    let e = groups_error(
        json!({"a": level("b"), "b": level("c"), "c": {"type": "condition", "condition": {"x": 1}}}),
    );
    assert!(matches!(e, SavedGroupError::TooLarge { .. }), "{e}");
    let g = saved_groups(json!({"b": level("c"), "c": {"type": "condition", "condition": {"x": 1}}}));
    let refs: Vec<Value> = (0..20).map(|_| json!({"$savedGroup": {"id": "b"}})).collect();
    let e = g.check(&compile(json!({"$or": refs}))).unwrap_err();
    assert_eq!(
        e.kind(),
        &ReferenceErrorKind::TooLarge {
            max: MAX_EXPANDED_NODES
        }
    );
}

#[test]
fn a_cycle_in_groups_not_built_by_compile_still_terminates() {
    // SavedGroups::compile refuses cycles; evaluation cuts them off anyway,
    // as the SDK does: the repeated reference matches nobody.
    let groups = SavedGroups::default();
    assert!(!compile(json!({"$savedGroup": {"id": "a"}})).matches(&json!({}), &groups));
}

// ---- arrays -------------------------------------------------------------

#[test]
fn all_matches_when_every_listed_value_is_present() {
    assert!(matches(
        json!({"t": {"$all": ["a", "c"]}}),
        json!({"t": ["c", "b", "a"]})
    ));
    assert!(!matches(
        json!({"t": {"$all": ["a", "d"]}}),
        json!({"t": ["c", "b", "a"]})
    ));
    assert!(!matches(json!({"t": {"$all": ["a"]}}), json!({"t": "a"})));
    assert!(matches(json!({"t": {"$all": []}}), json!({"t": []})));
}

#[test]
fn all_items_may_be_operator_conditions() {
    assert!(matches(
        json!({"n": {"$all": [{"$gt": 5}, {"$lt": 0}]}}),
        json!({"n": [-1, 9]})
    ));
    assert!(!matches(
        json!({"n": {"$all": [{"$gt": 5}, {"$lt": 0}]}}),
        json!({"n": [1, 9]})
    ));
}

#[test]
fn alli_ignores_case() {
    assert!(matches(
        json!({"t": {"$alli": ["ONE", "Two"]}}),
        json!({"t": ["one", "TWO", "x"]})
    ));
    assert!(!matches(
        json!({"t": {"$alli": ["one", "three"]}}),
        json!({"t": ["ONE", "TWO"]})
    ));
}

#[test]
fn size_tests_the_array_length() {
    assert!(matches(json!({"t": {"$size": 2}}), json!({"t": [1, 2]})));
    assert!(matches(
        json!({"t": {"$size": {"$gte": 2}}}),
        json!({"t": [1, 2, 3]})
    ));
    assert!(!matches(json!({"t": {"$size": 2}}), json!({"t": "ab"})));
    assert!(!matches(json!({"t": {"$size": 0}}), json!({})));
}

#[test]
fn elem_match_with_operators_tests_each_element() {
    assert!(matches(
        json!({"n": {"$elemMatch": {"$gt": 10}}}),
        json!({"n": [1, 20]})
    ));
    assert!(!matches(
        json!({"n": {"$elemMatch": {"$gt": 10}}}),
        json!({"n": [1, 2]})
    ));
    assert!(!matches(
        json!({"n": {"$elemMatch": {"$gt": 10}}}),
        json!({"n": 20})
    ));
}

#[test]
fn elem_match_with_a_condition_tests_each_element_as_attributes() {
    let cond = json!({"pets": {"$elemMatch": {"kind": "dog", "age": {"$lt": 3}}}});
    assert!(matches(
        cond.clone(),
        json!({"pets": [{"kind": "cat", "age": 1}, {"kind": "dog", "age": 2}]})
    ));
    assert!(!matches(
        cond,
        json!({"pets": [{"kind": "cat", "age": 1}, {"kind": "dog", "age": 5}]})
    ));
}

#[test]
fn elem_match_skips_only_null_elements_like_sdk_1_8() {
    assert!(matches(
        json!({"n": {"$elemMatch": {"$lt": 1}}}),
        json!({"n": [0]})
    ));
    assert!(matches(
        json!({"n": {"$elemMatch": {"$eq": 0}}}),
        json!({"n": [0]})
    ));
    assert!(matches(
        json!({"n": {"$elemMatch": {"$eq": ""}}}),
        json!({"n": [""]})
    ));
    assert!(matches(
        json!({"n": {"$elemMatch": {"$eq": false}}}),
        json!({"n": [false]})
    ));
    assert!(!matches(
        json!({"n": {"$elemMatch": {"$eq": null}}}),
        json!({"n": [null]})
    ));
    assert!(!matches(
        json!({"n": {"$elemMatch": {"$exists": false}}}),
        json!({"n": [null, 1]})
    ));
    assert!(matches(json!({"n": {"$elemMatch": {}}}), json!({"n": [0]})));
    assert!(!matches(json!({"n": {"$elemMatch": {}}}), json!({"n": [null]})));
}

// ---- other operators ----------------------------------------------------

#[test]
fn exists_tests_presence_and_treats_null_as_absent() {
    assert!(matches(json!({"a": {"$exists": true}}), json!({"a": 0})));
    assert!(!matches(json!({"a": {"$exists": true}}), json!({"a": null})));
    assert!(matches(json!({"a": {"$exists": false}}), json!({})));
    assert!(matches(json!({"a": {"$exists": 0}}), json!({})));
    assert!(matches(json!({"a": {"$exists": "yes"}}), json!({"a": ""})));
}

#[test]
fn type_names_the_js_type() {
    for (name, value) in [
        ("string", json!("s")),
        ("number", json!(1.5)),
        ("boolean", json!(false)),
        ("array", json!([])),
        ("object", json!({})),
        ("null", json!(null)),
    ] {
        assert!(
            matches(json!({"a": {"$type": name}}), json!({"a": value})),
            "{name}"
        );
    }
    assert!(matches(json!({"a": {"$type": "null"}}), json!({})));
    assert!(!matches(json!({"a": {"$type": "undefined"}}), json!({})));
    assert!(!matches(json!({"a": {"$type": "number"}}), json!({"a": "1"})));
}

#[test]
fn regex_finds_the_pattern_anywhere() {
    assert!(matches(
        json!({"ua": {"$regex": "Mobile|Tablet"}}),
        json!({"ua": "Android Mobile"})
    ));
    assert!(!matches(
        json!({"ua": {"$regex": "^Mobile"}}),
        json!({"ua": "Android Mobile"})
    ));
    assert!(!matches(
        json!({"ua": {"$regex": "mobile"}}),
        json!({"ua": "Android Mobile"})
    ));
}

#[test]
fn regex_tests_non_strings_as_their_js_string() {
    assert!(matches(json!({"n": {"$regex": "^12$"}}), json!({"n": 12})));
    assert!(matches(json!({"n": {"$regex": "^null$"}}), json!({})));
    assert!(matches(
        json!({"t": {"$regex": "^a,b$"}}),
        json!({"t": ["a", "b"]})
    ));
}

#[test]
fn regexi_ignores_case() {
    assert!(matches(
        json!({"ua": {"$regexi": "MOBILE"}}),
        json!({"ua": "android mobile"})
    ));
}

#[test]
fn operator_not_negates_its_test() {
    assert!(matches(
        json!({"n": {"$not": {"$regex": "^a"}}}),
        json!({"n": "ba"})
    ));
    assert!(!matches(
        json!({"n": {"$not": {"$regex": "^a"}}}),
        json!({"n": "ab"})
    ));
    assert!(matches(json!({"n": {"$not": "x"}}), json!({"n": "y"})));
}

#[test]
fn several_operators_on_one_attribute_must_all_pass() {
    assert!(matches(
        json!({"a": {"$gt": 1, "$ne": 5, "$lt": 9}}),
        json!({"a": 4})
    ));
    assert!(!matches(
        json!({"a": {"$gt": 1, "$ne": 5, "$lt": 9}}),
        json!({"a": 5})
    ));
}

// ---- logic --------------------------------------------------------------

#[test]
fn and_requires_every_condition() {
    assert!(matches(
        json!({"$and": [{"a": 1}, {"b": 2}]}),
        json!({"a": 1, "b": 2})
    ));
    assert!(!matches(
        json!({"$and": [{"a": 1}, {"b": 2}]}),
        json!({"a": 1, "b": 3})
    ));
    assert!(matches(json!({"$and": []}), json!({})));
}

#[test]
fn or_requires_one_condition_and_an_empty_or_passes() {
    assert!(matches(json!({"$or": [{"a": 1}, {"b": 2}]}), json!({"b": 2})));
    assert!(!matches(json!({"$or": [{"a": 1}, {"b": 2}]}), json!({"b": 3})));
    assert!(matches(json!({"$or": []}), json!({})));
}

#[test]
fn nor_requires_no_condition_and_an_empty_nor_fails() {
    assert!(matches(
        json!({"$nor": [{"a": 1}, {"b": 2}]}),
        json!({"a": 2, "b": 1})
    ));
    assert!(!matches(json!({"$nor": [{"a": 1}, {"b": 2}]}), json!({"a": 1})));
    assert!(!matches(json!({"$nor": []}), json!({})));
}

#[test]
fn top_level_not_negates_a_condition() {
    assert!(matches(json!({"$not": {"a": 1}}), json!({"a": 2})));
    assert!(!matches(json!({"$not": {"a": 1}}), json!({"a": 1})));
}

#[test]
fn every_top_level_key_must_hold() {
    let cond = json!({"$or": [{"a": 1}, {"b": 1}], "c": 2});
    assert!(matches(cond.clone(), json!({"a": 1, "c": 2})));
    assert!(!matches(cond, json!({"a": 1, "c": 3})));
}

// ---- compile errors -----------------------------------------------------

#[test]
fn unknown_operator_is_refused_with_its_path() {
    let e = error(json!({"$and": [{"age": {"$gt": 1}}, {"name": {"$regx": "a"}}]}));
    assert_eq!(e.path(), "$and.1.name.$regx");
    assert_eq!(
        e.kind(),
        &ConditionErrorKind::UnknownOperator {
            operator: "$regx".into()
        }
    );
    assert_eq!(e.to_string(), "at `$and.1.name.$regx`: unknown operator `$regx`");
}

#[test]
fn logical_operators_inside_an_operator_object_are_unknown() {
    let e = error(json!({"a": {"$or": [{"$gt": 1}]}}));
    assert_eq!(e.path(), "a.$or");
    let e = error(json!({"t": {"$elemMatch": {"$and": [{"x": 1}]}}}));
    assert_eq!(e.path(), "t.$elemMatch.$and");
}

#[test]
fn invalid_regex_is_refused() {
    let e = error(json!({"name": {"$regex": "/???***[)"}}));
    assert_eq!(e.path(), "name.$regex");
    assert!(matches!(e.kind(), ConditionErrorKind::InvalidRegex { .. }), "{e}");
}

#[test]
fn over_long_regex_is_refused_before_the_engine_sees_it() {
    let e = error(json!({"name": {"$regex": "a".repeat(MAX_PATTERN_BYTES + 1)}}));
    assert!(
        matches!(
            e.kind(),
            ConditionErrorKind::PatternTooLong { len: 257, max: 256 }
        ),
        "{e}"
    );
}

#[test]
fn ill_typed_operator_arguments_are_refused() {
    for (cond, path) in [
        (json!({"n": {"$in": 1}}), "n.$in"),
        (json!({"n": {"$nin": "a"}}), "n.$nin"),
        (json!({"n": {"$all": {}}}), "n.$all"),
        (json!({"n": {"$regex": 1}}), "n.$regex"),
        (json!({"n": {"$type": 1}}), "n.$type"),
        (json!({"n": {"$inGroup": 1}}), "n.$inGroup"),
        (json!({"n": {"$elemMatch": 5}}), "n.$elemMatch"),
        (json!({"$or": {"a": 1}}), "$or"),
    ] {
        let e = error(cond.clone());
        assert_eq!(e.path(), path, "{cond}");
        assert!(
            matches!(e.kind(), ConditionErrorKind::WrongArgument { .. }),
            "{e}"
        );
    }
}

#[test]
fn non_object_conditions_are_refused() {
    assert_eq!(error(json!([1])).path(), "");
    assert_eq!(error(json!({"$or": [{"a": 1}, 5]})).path(), "$or.1");
    assert_eq!(error(json!({"$not": null})).path(), "$not");
}

#[test]
fn unknown_type_name_is_refused() {
    let e = error(json!({"a": {"$type": "int"}}));
    assert_eq!(e.kind(), &ConditionErrorKind::UnknownType { name: "int".into() });
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let mut cond = json!({"a": 1});
    for _ in 0..(MAX_DEPTH - 1) {
        cond = json!({"$not": cond});
    }
    assert!(Condition::compile(&cond, &NativeRegex).is_ok());
    let too_deep = json!({"$not": cond});
    let e = error(too_deep);
    assert_eq!(e.kind(), &ConditionErrorKind::TooDeep { max: MAX_DEPTH });
}

#[test]
fn deep_literals_count_toward_the_depth_limit() {
    let mut literal = json!([1]);
    for _ in 0..MAX_DEPTH {
        literal = json!([literal]);
    }
    let e = error(json!({"a": literal}));
    assert_eq!(e.kind(), &ConditionErrorKind::TooDeep { max: MAX_DEPTH });
}

#[test]
fn too_many_nodes_are_refused() {
    let many: Vec<Value> = (0..200)
        .map(|i| json!({"a": {"$in": [i, i + 1, i + 2]}}))
        .collect();
    let e = error(json!({"$or": many}));
    assert_eq!(e.kind(), &ConditionErrorKind::TooManyNodes { max: MAX_NODES });
}

#[test]
fn long_lists_are_refused() {
    let list: Vec<u32> = (0..=256).collect();
    let e = error(json!({"a": {"$in": list}}));
    assert_eq!(
        e.kind(),
        &ConditionErrorKind::ListTooLong {
            len: 257,
            max: MAX_LIST_LEN
        }
    );
    let ok: Vec<u32> = (0..256).collect();
    assert!(Condition::compile(&json!({"a": {"$in": ok}}), &NativeRegex).is_ok());
}

#[test]
fn long_strings_and_keys_are_refused() {
    let long = "x".repeat(MAX_STRING_BYTES + 1);
    let e = error(json!({"a": long.clone()}));
    assert!(matches!(e.kind(), ConditionErrorKind::StringTooLong { .. }));
    let e = error(json!({ long: 1 }));
    assert!(matches!(e.kind(), ConditionErrorKind::StringTooLong { .. }));
}

#[test]
fn node_count_counts_json_values() {
    assert_eq!(compile(json!({})).node_count(), 1);
    assert_eq!(compile(json!({"a": {"$in": [1, 2]}})).node_count(), 5);
}

/// Counts the texts a `$regex` was tested on.
struct CountingRegex(Rc<Cell<usize>>);

impl RegexEngine for CountingRegex {
    fn compile(&self, pattern: &str) -> Result<Rc<dyn CompiledRegex>, String> {
        let inner = NativeRegex.compile(pattern)?;
        Ok(Rc::new(Counted(inner, self.0.clone())))
    }
    fn compile_case_insensitive(&self, pattern: &str) -> Result<Rc<dyn CompiledRegex>, String> {
        self.compile(pattern)
    }
}

struct Counted(Rc<dyn CompiledRegex>, Rc<Cell<usize>>);

impl CompiledRegex for Counted {
    fn is_match(&self, text: &str) -> bool {
        self.1.set(self.1.get() + 1);
        self.0.is_match(text)
    }
}

#[test]
fn a_failing_equality_is_tested_before_the_regex_and_or_of_the_same_rule() {
    let calls = Rc::new(Cell::new(0));
    // Keys sort before "industry"; the result must not depend on the order.
    let cond = json!({
        "$or": [{ "country": { "$regex": "^D" } }],
        "country": { "$regex": "^D" },
        "industry": "fintech"
    });
    let compiled = Condition::compile(&cond, &CountingRegex(calls.clone())).unwrap();
    let groups = SavedGroups::default();
    assert!(!compiled.matches(&json!({ "industry": "retail", "country": "DE" }), &groups));
    assert_eq!(calls.get(), 0, "the equality failed first");
    assert!(compiled.matches(&json!({ "industry": "fintech", "country": "DE" }), &groups));
    assert_eq!(calls.get(), 2);
    assert!(!compiled.matches(&json!({ "industry": "fintech", "country": "FR" }), &groups));
}
