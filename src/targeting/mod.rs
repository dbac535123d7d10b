//! GrowthBook's targeting-condition language, compiled once per catalog.
//!
//! A condition such as
//!
//! ```json
//! {"country": {"$in": ["US", "CA"]}, "company.size": {"$gte": 50},
//!  "$or": [{"plan": "pro"}, {"appVersion": {"$vgte": "2.1.0"}}]}
//! ```
//!
//! is compiled by [`Condition::compile`] (parsed, validated, regexes built)
//! and then evaluated against a visitor's attributes with
//! [`Condition::matches`]. The answers are those of GrowthBook's JavaScript SDK
//! (`@growthbook/growthbook` 1.8.0, `evalCondition` in `src/mongrule.ts`,
//! condition spec 0.8.0), including its JavaScript loose typing: `$lt` between a
//! string and a number is JS `<`, `{"age": "30"}` matches the number `30`
//! (`value + "" === "30"`), `$in` on an array attribute matches when any
//! element is listed, `$elemMatch` skips `null` elements (only: 1.8 tests `0`,
//! `""` and `false`), `$eq` never equates arrays or objects (JS `===`), and so
//! on. `tests/growthbook_cases.rs` runs GrowthBook's shared test cases and a
//! differential corpus of 1.8.0's verdicts (`tests/growthbook/sdk-1.8.json`).
//!
//! Operators: `$eq $ne $lt $lte $gt $gte $regex $regexi $in $nin $ini $nini
//! $all $alli $size $elemMatch $exists $type $not`, versions `$veq $vne $vgt
//! $vgte $vlt $vlte` (see [`padded_version_string`]), saved groups `$inGroup
//! $notInGroup` and the top-level `$savedGroup` ([`SavedGroups`]: lists and
//! conditions, compiled once per catalog and checked with
//! [`SavedGroups::check`]), and the logical `$and $or $nor $not`.
//!
//! # Where Tailor deliberately differs from the JS SDK
//!
//! - **Malformed conditions are refused at compile time** (unknown operators,
//!   invalid regexes, ill-typed operator arguments, documents over the bounds
//!   below); the SDK evaluates them to "no match". See [`Condition::compile`].
//!   Likewise saved groups the SDK cannot use (an undeclared `$savedGroup` id,
//!   `$inGroup` on a condition group, cycles between condition groups, which
//!   the SDK cuts off at run time): see [`SavedGroups::compile`] and
//!   [`SavedGroups::check`].
//! - **Object key order is ignored** when a condition compares a whole object
//!   (`{"address": {"city": "Paris", "zip": "75001"}}`): the SDK compares
//!   `JSON.stringify` outputs, which depend on key order; `serde_json` maps are
//!   sorted, so two objects with the same entries are equal here.
//! - **Only own properties are attributes**: in JS, a path such as
//!   `constructor` or `toString` finds `Object.prototype` members of any object
//!   (and `$exists` is then true); here such a path is just a missing attribute
//!   unless the attributes really have that key. Array `length` and indices do
//!   work, as in JS.
//! - **Numbers are as `serde_json` parsed them**: without its `float_roundtrip`
//!   feature, a few decimals with 17 significant digits (for example
//!   `123456789012345680000`) parse one ULP away from JS `JSON.parse`, which
//!   shows only when such a number is printed (`value + ""`, version
//!   operators, `$regex` on a number).
//! - **Regexes** run on the platform's engine ([`RegexEngine`]): JS `RegExp` in
//!   the Worker (exact), the `regex` crate natively ([`NativeRegex`] lists the
//!   few differences).

mod condition;
mod error;
mod groups;
pub(crate) mod js;
pub mod regex;
mod version;

#[cfg(test)]
mod tests;

pub use condition::Condition;
pub use error::{ConditionError, ConditionErrorKind, ReferenceError, ReferenceErrorKind, SavedGroupError};
pub use groups::{SavedGroups, MAX_EXPANDED_NODES, MAX_GROUP_NESTING, MAX_GROUP_VALUES};
#[cfg(not(target_arch = "wasm32"))]
pub use regex::NativeRegex;
pub use regex::{CompiledRegex, RegexEngine, MAX_PATTERN_BYTES};
pub use version::{padded_version_str, padded_version_string};

/// Deepest nesting of JSON objects and arrays in one condition document (the
/// document itself is level 1).
pub const MAX_DEPTH: usize = 32;

/// Most JSON values (objects, arrays, strings, numbers, ...) in one condition
/// document.
pub const MAX_NODES: usize = 1_000;

/// Longest list: `$in`/`$nin`/`$ini`/`$nini`/`$all`/`$alli` operands and
/// `$and`/`$or`/`$nor` lists.
pub const MAX_LIST_LEN: usize = 256;

/// Longest string anywhere in a condition document (values, keys and
/// attribute paths), in bytes.
pub const MAX_STRING_BYTES: usize = 1_024;
