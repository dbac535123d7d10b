//! Why a condition document was refused.

use std::fmt;

/// A condition document that [`Condition::compile`](super::Condition::compile)
/// refused: what is wrong ([`kind`](Self::kind)) and where
/// ([`path`](Self::path)).
///
/// Displays as ``at `$and.0.age.$regx`: unknown operator `$regx` ``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    path: String,
    kind: ConditionErrorKind,
}

impl ConditionError {
    pub(crate) fn new(path: String, kind: ConditionErrorKind) -> Self {
        Self { path, kind }
    }

    /// Where in the document, as the keys and array indices leading to the
    /// problem joined with `.` (`$or.1.company.size.$in`); empty for the root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong.
    pub fn kind(&self) -> &ConditionErrorKind {
        &self.kind
    }
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "at the condition's root: {}", self.kind)
        } else {
            write!(f, "at `{}`: {}", self.path, self.kind)
        }
    }
}

impl std::error::Error for ConditionError {}

/// The ways a condition document can be refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConditionErrorKind {
    /// A condition (the document, an `$and`/`$or`/`$nor` element, the value of
    /// a top-level `$not`) is not a JSON object.
    #[error("a condition must be a JSON object, found {found}")]
    NotACondition {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// An operator that the SDK does not know (the SDK treats it as "no match").
    #[error("unknown operator `{operator}`")]
    UnknownOperator {
        /// The operator as written.
        operator: String,
    },
    /// An operator whose argument has a type it cannot use.
    #[error("`{operator}` needs {expected}, found {found}")]
    WrongArgument {
        /// The operator.
        operator: &'static str,
        /// What it needs ("an array", "a string", ...).
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// `$type` names a type the SDK never reports.
    #[error("`$type` {name:?} is not one of string, number, boolean, array, object, null, undefined")]
    UnknownType {
        /// The name as written.
        name: String,
    },
    /// A `$regex`/`$regexi` pattern the regex engine refused (the SDK treats it
    /// as "no match").
    #[error("invalid regular expression {pattern:?}: {reason}")]
    InvalidRegex {
        /// The pattern.
        pattern: String,
        /// The engine's reason.
        reason: String,
    },
    /// A regex pattern longer than [`MAX_PATTERN_BYTES`](super::MAX_PATTERN_BYTES).
    #[error("regular expression is {len} bytes, more than the {max} allowed")]
    PatternTooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Nested deeper than [`MAX_DEPTH`](super::MAX_DEPTH).
    #[error("nested more than {max} levels deep")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// More JSON values than [`MAX_NODES`](super::MAX_NODES) in one condition.
    #[error("more than {max} values in one condition")]
    TooManyNodes {
        /// The limit.
        max: usize,
    },
    /// A list operand longer than [`MAX_LIST_LEN`](super::MAX_LIST_LEN).
    #[error("list of {len} elements, more than the {max} allowed")]
    ListTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A string longer than [`MAX_STRING_BYTES`](super::MAX_STRING_BYTES).
    #[error("string of {len} bytes, more than the {max} allowed")]
    StringTooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// An object argument without a field it needs (`$savedGroup` without
    /// `id`; the SDK treats it as "no match").
    #[error("`{operator}` needs `{field}`")]
    MissingField {
        /// The operator.
        operator: &'static str,
        /// The field.
        field: &'static str,
    },
    /// An object argument with a field the operator does not take. The SDK
    /// ignores unknown fields of a `$savedGroup` reference; Tailor refuses
    /// them, since a misspelt `attributeKey` would silently test another
    /// attribute.
    #[error("`{operator}` takes {takes}, not `{field}`")]
    UnknownField {
        /// The operator.
        operator: &'static str,
        /// The field as written.
        field: String,
        /// The fields it takes.
        takes: &'static str,
    },
    /// `$savedGroups`, GrowthBook's authoring form, which never reaches an
    /// SDK (the SDK would read it as an attribute name).
    #[error("`$savedGroups` is GrowthBook's authoring form, which SDKs never see: write one `{{\"$savedGroup\": {{\"id\": …}}}}` per group")]
    AuthoringOperator,
}

/// A condition that names saved groups it cannot use, found by
/// [`SavedGroups::check`](super::SavedGroups::check) when a catalog is built:
/// what is wrong ([`kind`](Self::kind)) and where in the condition
/// ([`path`](Self::path)). The catalog's author is at fault.
///
/// Displays as ``at `$or.0.$savedGroup`: `$savedGroup` names `beta`, which `saved_groups` does not declare``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceError {
    path: String,
    kind: ReferenceErrorKind,
}

impl ReferenceError {
    pub(crate) fn new(path: String, kind: ReferenceErrorKind) -> Self {
        Self { path, kind }
    }

    /// Where in the condition, as [`ConditionError::path`]; empty for the root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong.
    pub fn kind(&self) -> &ReferenceErrorKind {
        &self.kind
    }
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "at `{}`: {}", self.path, self.kind)
        }
    }
}

impl std::error::Error for ReferenceError {}

/// The ways a condition can name saved groups wrongly. In each case the SDK
/// evaluates the reference to "no match"; Tailor refuses the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceErrorKind {
    /// `$savedGroup` names a group that `saved_groups` does not declare.
    #[error("`$savedGroup` names `{id}`, which `saved_groups` does not declare")]
    Unknown {
        /// The group id.
        id: String,
    },
    /// `$savedGroup` names a list with no attribute to test: a bare list, or
    /// a `"list"` group without `attributeKey` and a reference without one.
    #[error("`$savedGroup` names `{id}`, a list with no attribute to test: give it `\"type\": \"list\"` and `attributeKey`, or give the reference an `attributeKey`")]
    NoAttribute {
        /// The group id.
        id: String,
    },
    /// `$inGroup`/`$notInGroup` names a condition group (only `$savedGroup`
    /// can use one).
    #[error("`{operator}` names `{id}`, a condition group: use `{{\"$savedGroup\": {{\"id\": \"{id}\"}}}}`")]
    NotAList {
        /// `$inGroup` or `$notInGroup`.
        operator: &'static str,
        /// The group id.
        id: String,
    },
    /// The condition with every condition group it names expanded is larger
    /// than [`MAX_EXPANDED_NODES`](super::MAX_EXPANDED_NODES).
    #[error("with its saved groups expanded it has more than {max} values")]
    TooLarge {
        /// The limit.
        max: usize,
    },
}

/// A catalog's `saved_groups` that
/// [`SavedGroups::compile`](super::SavedGroups::compile) refused. The
/// catalog's author is at fault; the SDK would evaluate every reference to
/// such a group to "no match" (or, for a cycle, cut it off at run time).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SavedGroupError {
    /// An entry that is neither a list of values nor an object.
    #[error("saved group `{id}` must be a list of values or an object with a `type`, found {found}")]
    NotAGroup {
        /// The group id.
        id: String,
        /// The JSON type found.
        found: &'static str,
    },
    /// An object entry without `type`.
    #[error("saved group `{id}` needs `type`: \"list\" or \"condition\"")]
    MissingType {
        /// The group id.
        id: String,
    },
    /// A `type` other than `"list"` and `"condition"`.
    #[error("saved group `{id}` has type {found}; Tailor knows \"list\" and \"condition\"")]
    UnknownType {
        /// The group id.
        id: String,
        /// The type as written (JSON).
        found: String,
    },
    /// A field of the wrong JSON type, or a required field missing.
    #[error("saved group `{id}`: `{field}` needs {expected}, found {found}")]
    WrongField {
        /// The group id.
        id: String,
        /// The field.
        field: &'static str,
        /// What it needs.
        expected: &'static str,
        /// The JSON type found, or "nothing".
        found: &'static str,
    },
    /// A field that the group's type does not take.
    #[error("saved group `{id}`: a {kind} group takes no field `{field}`")]
    UnknownField {
        /// The group id.
        id: String,
        /// `list` or `condition`.
        kind: &'static str,
        /// The field as written.
        field: String,
    },
    /// A list longer than [`MAX_GROUP_VALUES`](super::MAX_GROUP_VALUES), or
    /// an attribute key longer than [`MAX_STRING_BYTES`](super::MAX_STRING_BYTES).
    #[error("saved group `{id}`: `{field}` is longer than {max}")]
    TooLong {
        /// The group id.
        id: String,
        /// The field.
        field: &'static str,
        /// The limit.
        max: usize,
    },
    /// A condition group whose condition does not compile.
    #[error("saved group `{id}`: condition {error}")]
    Condition {
        /// The group id.
        id: String,
        /// Why the condition was refused.
        error: ConditionError,
    },
    /// A condition group whose condition names other groups wrongly.
    #[error("saved group `{id}`: condition {error}")]
    Reference {
        /// The group id.
        id: String,
        /// What is wrong.
        error: ReferenceError,
    },
    /// Condition groups that name each other in a circle (the SDK cuts the
    /// circle off at run time, evaluating the repeated reference to "no match").
    #[error("saved groups name each other in a cycle: {}", .cycle.join(" → "))]
    Cycle {
        /// The ids around the cycle, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// Condition groups nested deeper than [`MAX_GROUP_NESTING`](super::MAX_GROUP_NESTING).
    #[error("saved groups nest more than {max} deep: {}", .chain.join(" → "))]
    TooDeep {
        /// The chain of ids.
        chain: Vec<String>,
        /// The limit.
        max: usize,
    },
    /// A condition group that, with the groups it names expanded, is larger
    /// than [`MAX_EXPANDED_NODES`](super::MAX_EXPANDED_NODES).
    #[error("saved group `{id}`: with the groups it names expanded it has more than {max} values")]
    TooLarge {
        /// The group id.
        id: String,
        /// The limit.
        max: usize,
    },
}

impl SavedGroupError {
    /// The group the problem is in (the first of a cycle or chain).
    pub fn group(&self) -> &str {
        match self {
            Self::NotAGroup { id, .. }
            | Self::MissingType { id }
            | Self::UnknownType { id, .. }
            | Self::WrongField { id, .. }
            | Self::UnknownField { id, .. }
            | Self::TooLong { id, .. }
            | Self::Condition { id, .. }
            | Self::Reference { id, .. }
            | Self::TooLarge { id, .. } => id,
            Self::Cycle { cycle: ids } | Self::TooDeep { chain: ids, .. } => {
                ids.first().map_or("", String::as_str)
            }
        }
    }
}

/// The JSON type name of a value, for messages.
pub(crate) fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
