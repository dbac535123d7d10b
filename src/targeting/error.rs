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
