//! Saved groups: named lists of values and named conditions, compiled once per
//! catalog ([`SavedGroups::compile`]) and checked against the conditions that
//! name them ([`SavedGroups::check`]).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::condition::{GroupRef, GroupRefKind};
use super::error::{json_type, ReferenceError, ReferenceErrorKind, SavedGroupError};
use super::{Condition, RegexEngine, MAX_STRING_BYTES};

/// Longest list of values in one saved group.
pub const MAX_GROUP_VALUES: usize = 10_000;

/// Longest chain of condition groups naming condition groups (`a` names `b`
/// names `c` is 3).
pub const MAX_GROUP_NESTING: usize = 8;

/// Most JSON values a condition may have with every condition group it names
/// expanded in place (each mention counts).
pub const MAX_EXPANDED_NODES: usize = 10 * super::MAX_NODES;

/// The saved groups of a catalog, by id, in the shapes of the SDK's
/// `savedGroups` payload (`SavedGroupsPayload` in `@growthbook/growthbook`
/// 1.8):
///
/// - `["u1", 42]`: a bare list (the v1 shape), for `$inGroup`/`$notInGroup`;
/// - `{"type": "list", "attributeKey": "id", "values": ["u1", 42]}`: a list
///   of the values of one attribute, for `$inGroup`/`$notInGroup` (which test
///   the attribute they sit on) and for `$savedGroup` (which tests
///   `attributeKey`, or the reference's own `attributeKey`);
/// - `{"type": "condition", "condition": {…}}`: a condition, for
///   `$savedGroup` only; it may name other groups.
///
/// Membership is JS `Array.prototype.includes` (strict: `"2"` is not `2`).
/// [`SavedGroups::compile`] refuses what the SDK would evaluate to "no match"
/// (see [`SavedGroupError`]).
#[derive(Debug, Clone, Default)]
pub struct SavedGroups {
    groups: HashMap<String, SavedGroup>,
}

#[derive(Debug, Clone)]
pub(super) enum SavedGroup {
    /// A bare list (v1): `$inGroup`/`$notInGroup` only.
    Values(Vec<Value>),
    /// `{"type": "list"}`.
    List {
        attribute: Option<Vec<String>>,
        values: Vec<Value>,
    },
    /// `{"type": "condition"}`, with its size when expanded.
    Condition { condition: Condition, expanded: usize },
}

impl SavedGroups {
    /// No groups.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    pub(super) fn get(&self, id: &str) -> Option<&SavedGroup> {
        self.groups.get(id)
    }

    /// A JSON object of id → entry, as [`SavedGroups::compile`] takes it.
    pub fn from_json(doc: &Value, regex: &dyn RegexEngine) -> Result<Self, SavedGroupError> {
        match doc {
            Value::Object(map) => Self::compile(map.iter().map(|(k, v)| (k.as_str(), v)), regex),
            other => Err(SavedGroupError::NotAGroup {
                id: String::new(),
                found: json_type(other),
            }),
        }
    }

    /// Parses, validates and compiles a catalog's `saved_groups`.
    ///
    /// Refuses (the SDK would match nobody, or cut a cycle off at run time):
    /// an entry of another shape, an unknown `type`, a `"list"` without an
    /// array of `values`, a `"condition"` whose condition does not compile
    /// ([`Condition::compile`]) or names groups wrongly ([`SavedGroups::check`]),
    /// condition groups that name each other in a cycle, nest deeper than
    /// [`MAX_GROUP_NESTING`] or expand beyond [`MAX_EXPANDED_NODES`]. The first
    /// problem, in id order, is returned.
    pub fn compile<'a>(
        entries: impl IntoIterator<Item = (&'a str, &'a Value)>,
        regex: &dyn RegexEngine,
    ) -> Result<Self, SavedGroupError> {
        let mut sorted: BTreeMap<&str, &Value> = BTreeMap::new();
        sorted.extend(entries);
        let mut groups = HashMap::with_capacity(sorted.len());
        for (&id, &entry) in &sorted {
            groups.insert(id.to_owned(), parse(id, entry, regex)?);
        }
        let mut compiled = Self { groups };
        // Each condition group's references resolve to groups of the right kind.
        for &id in sorted.keys() {
            if let Some(SavedGroup::Condition { condition, .. }) = compiled.groups.get(id) {
                compiled
                    .check_refs(condition)
                    .map_err(|error| SavedGroupError::Reference {
                        id: id.to_owned(),
                        error,
                    })?;
            }
        }
        // No cycles, bounded nesting, and each condition group's expanded size.
        let mut sizes: HashMap<String, usize> = HashMap::new();
        for &id in sorted.keys() {
            let mut chain = Vec::new();
            compiled.expand(id, &mut chain, &mut sizes)?;
        }
        for (id, group) in &mut compiled.groups {
            if let SavedGroup::Condition { expanded, .. } = group {
                *expanded = sizes.get(id).copied().unwrap_or(0);
            }
        }
        Ok(compiled)
    }

    /// The expanded size of group `id` (0 for lists), memoized in `sizes`;
    /// `chain` is the path of condition groups being expanded.
    fn expand(
        &self,
        id: &str,
        chain: &mut Vec<String>,
        sizes: &mut HashMap<String, usize>,
    ) -> Result<usize, SavedGroupError> {
        let Some(SavedGroup::Condition { condition, .. }) = self.groups.get(id) else {
            return Ok(0);
        };
        if let Some(&size) = sizes.get(id) {
            return Ok(size);
        }
        if let Some(start) = chain.iter().position(|c| c == id) {
            let mut cycle: Vec<String> = chain.get(start..).unwrap_or_default().to_vec();
            cycle.push(id.to_owned());
            return Err(SavedGroupError::Cycle { cycle });
        }
        chain.push(id.to_owned());
        if chain.len() > MAX_GROUP_NESTING {
            return Err(SavedGroupError::TooDeep {
                chain: chain.clone(),
                max: MAX_GROUP_NESTING,
            });
        }
        let mut size = condition.node_count();
        for r in condition.group_refs() {
            if let GroupRefKind::Saved { .. } = r.kind {
                size = size.saturating_add(self.expand(&r.id, chain, sizes)?);
            }
        }
        chain.pop();
        if size > MAX_EXPANDED_NODES {
            return Err(SavedGroupError::TooLarge {
                id: id.to_owned(),
                max: MAX_EXPANDED_NODES,
            });
        }
        sizes.insert(id.to_owned(), size);
        Ok(size)
    }

    /// Checks that every group `condition` names can be used as it is named:
    /// `$savedGroup` names a declared group with an attribute to test (a
    /// condition group, or a list with `attributeKey` here or in the
    /// reference); `$inGroup`/`$notInGroup` name a list (an undeclared id is
    /// an empty list, as in the SDK); and the condition with its condition
    /// groups expanded stays within [`MAX_EXPANDED_NODES`].
    pub fn check(&self, condition: &Condition) -> Result<(), ReferenceError> {
        self.check_refs(condition)?;
        let mut size = condition.node_count();
        for r in condition.group_refs() {
            if let Some(SavedGroup::Condition { expanded, .. }) = self.groups.get(&r.id) {
                size = size.saturating_add(*expanded);
            }
        }
        if size > MAX_EXPANDED_NODES {
            return Err(ReferenceError::new(
                String::new(),
                ReferenceErrorKind::TooLarge {
                    max: MAX_EXPANDED_NODES,
                },
            ));
        }
        Ok(())
    }

    fn check_refs(&self, condition: &Condition) -> Result<(), ReferenceError> {
        for GroupRef { path, id, kind } in condition.group_refs() {
            let group = self.groups.get(id);
            let problem = match (kind, group) {
                (GroupRefKind::Saved { .. }, None) => Some(ReferenceErrorKind::Unknown { id: id.clone() }),
                (GroupRefKind::Saved { .. }, Some(SavedGroup::Values(_)))
                | (
                    GroupRefKind::Saved { attribute: false },
                    Some(SavedGroup::List { attribute: None, .. }),
                ) => Some(ReferenceErrorKind::NoAttribute { id: id.clone() }),
                (GroupRefKind::Member { operator }, Some(SavedGroup::Condition { .. })) => {
                    Some(ReferenceErrorKind::NotAList {
                        operator,
                        id: id.clone(),
                    })
                }
                _ => None,
            };
            if let Some(kind) = problem {
                return Err(ReferenceError::new(path.clone(), kind));
            }
        }
        Ok(())
    }
}

fn parse(id: &str, entry: &Value, regex: &dyn RegexEngine) -> Result<SavedGroup, SavedGroupError> {
    let wrong =
        |field: &'static str, expected: &'static str, found: Option<&Value>| SavedGroupError::WrongField {
            id: id.to_owned(),
            field,
            expected,
            found: found.map_or("nothing", json_type),
        };
    let values = |v: Option<&Value>| match v {
        Some(Value::Array(items)) if items.len() > MAX_GROUP_VALUES => Err(SavedGroupError::TooLong {
            id: id.to_owned(),
            field: "values",
            max: MAX_GROUP_VALUES,
        }),
        Some(Value::Array(items)) => Ok(items.clone()),
        other => Err(wrong("values", "an array", other)),
    };
    let map = match entry {
        Value::Array(_) => return Ok(SavedGroup::Values(values(Some(entry))?)),
        Value::Object(map) => map,
        other => {
            return Err(SavedGroupError::NotAGroup {
                id: id.to_owned(),
                found: json_type(other),
            })
        }
    };
    let (kind, takes): (&'static str, &[&str]) = match map.get("type") {
        None => return Err(SavedGroupError::MissingType { id: id.to_owned() }),
        Some(Value::String(t)) if t == "list" => ("list", &["type", "attributeKey", "values"]),
        Some(Value::String(t)) if t == "condition" => ("condition", &["type", "condition"]),
        Some(other) => {
            return Err(SavedGroupError::UnknownType {
                id: id.to_owned(),
                found: other.to_string(),
            })
        }
    };
    if let Some(field) = map.keys().find(|k| !takes.contains(&k.as_str())) {
        return Err(SavedGroupError::UnknownField {
            id: id.to_owned(),
            kind,
            field: field.clone(),
        });
    }
    if kind == "list" {
        let attribute = match map.get("attributeKey") {
            None => None,
            Some(Value::String(key)) if key.len() > MAX_STRING_BYTES => {
                return Err(SavedGroupError::TooLong {
                    id: id.to_owned(),
                    field: "attributeKey",
                    max: MAX_STRING_BYTES,
                })
            }
            Some(Value::String(key)) => Some(key.split('.').map(str::to_owned).collect()),
            other => return Err(wrong("attributeKey", "a string", other)),
        };
        return Ok(SavedGroup::List {
            attribute,
            values: values(map.get("values"))?,
        });
    }
    let doc = match map.get("condition") {
        Some(doc @ Value::Object(_)) => doc,
        other => return Err(wrong("condition", "an object", other)),
    };
    let condition = Condition::compile(doc, regex).map_err(|error| SavedGroupError::Condition {
        id: id.to_owned(),
        error,
    })?;
    Ok(SavedGroup::Condition {
        condition,
        expanded: 0,
    })
}
