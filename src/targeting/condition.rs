//! The compiled condition tree: [`Condition::compile`] and [`Condition::matches`].

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;
use std::rc::Rc;

use serde_json::Value;

use super::error::{json_type, ConditionError, ConditionErrorKind};
use super::groups::SavedGroup;
use super::js::{self, Prim};
use super::regex::{CompiledRegex, RegexEngine, MAX_PATTERN_BYTES};
use super::version::padded_version_string;
use super::{SavedGroups, MAX_DEPTH, MAX_LIST_LEN, MAX_NODES, MAX_STRING_BYTES};

/// A targeting condition, parsed and validated once, evaluated many times.
///
/// Build it with [`Condition::compile`]; evaluate it with [`Condition::matches`].
/// [`Condition::default`] is the empty condition `{}`, which matches everyone.
#[derive(Debug, Clone, Default)]
pub struct Condition {
    root: Clauses,
    nodes: usize,
    refs: Vec<GroupRef>,
}

/// One mention of a saved group in a condition.
#[derive(Debug, Clone)]
pub(super) struct GroupRef {
    /// Where, as [`ConditionError::path`].
    pub(super) path: String,
    /// The group id.
    pub(super) id: String,
    pub(super) kind: GroupRefKind,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum GroupRefKind {
    /// `$savedGroup`; `attribute`: the reference gives its own `attributeKey`.
    Saved { attribute: bool },
    /// `$inGroup` / `$notInGroup`.
    Member { operator: &'static str },
}

/// Every clause of one condition object must hold (the SDK's `evalCondition`).
#[derive(Debug, Clone, Default)]
struct Clauses(Vec<Clause>);

#[derive(Debug, Clone)]
enum Clause {
    /// `$or`: true when empty, else any.
    Or(Vec<Clauses>),
    /// `$nor`: the negation of `$or` (so an empty `$nor` is false, as in the SDK).
    Nor(Vec<Clauses>),
    /// `$and`: all.
    And(Vec<Clauses>),
    /// Top-level `$not`.
    Not(Clauses),
    /// A (dotted) attribute path and the test its value must pass.
    Field { path: Vec<String>, test: Test },
    /// `$savedGroup`: membership in a saved group, `attribute` overriding a
    /// list group's own `attributeKey`.
    SavedGroup {
        id: String,
        attribute: Option<Vec<String>>,
    },
}

impl Clause {
    /// A rank of how much evaluating this clause costs (lower: cheaper).
    fn cost(&self) -> u8 {
        match self {
            Self::Field { test, .. } => test.cost(),
            Self::Not(_) | Self::And(_) | Self::Or(_) | Self::Nor(_) | Self::SavedGroup { .. } => 3,
        }
    }
}

/// The SDK's `evalConditionValue`: what a value is tested against.
#[derive(Debug, Clone)]
enum Test {
    /// `value + "" === s`.
    Str(String),
    /// `String(value).toLowerCase() === s` (`s` already lowercased; `$alli` items).
    StrFolded(String),
    /// `value * 1 === n`.
    Num(f64),
    /// `value !== null && !!value === b`.
    Bool(bool),
    /// `value === null`.
    Null,
    /// `JSON.stringify(value) === JSON.stringify(literal)` (arrays, non-operator objects).
    Literal(Value),
    /// An operator object: every operator must pass.
    Ops(Vec<Op>),
}

impl Test {
    fn cost(&self) -> u8 {
        match self {
            Self::Str(_) | Self::Num(_) | Self::Bool(_) | Self::Null => 0,
            Self::StrFolded(_) | Self::Literal(_) => 1,
            Self::Ops(ops)
                if ops
                    .iter()
                    .any(|op| matches!(op, Op::Regex(_) | Op::ElemMatch(_) | Op::All(_))) =>
            {
                3
            }
            Self::Ops(_) => 2,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Rel {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
}

#[derive(Debug, Clone)]
enum Op {
    /// `$veq` … `$vlte`, against the expected value's padded version string.
    Version(Rel, String),
    /// `$eq` (`===`).
    Eq(Value),
    /// `$ne` (`!==`).
    Ne(Value),
    /// `$lt` `$lte` `$gt` `$gte` (JS relational operators); never Eq/Ne.
    Compare(Rel, Prim<'static>),
    /// `$exists` (with the argument's truthiness).
    Exists(bool),
    /// `$in` `$nin` `$ini` `$nini` (folded: strings lowercased on both sides).
    In {
        list: Vec<Value>,
        folded: bool,
        negate: bool,
    },
    /// `$inGroup` `$notInGroup`.
    Group { id: String, negate: bool },
    /// Operator-level `$not`.
    Not(Box<Test>),
    /// `$size`: the test applied to the array's length.
    Size(Box<Test>),
    /// `$elemMatch`.
    ElemMatch(ElemMatch),
    /// `$all` `$alli`: each test passed by some element.
    All(Vec<Test>),
    /// `$regex` `$regexi`.
    Regex(Regex),
    /// `$type`.
    Type(&'static str),
}

#[derive(Debug, Clone)]
enum ElemMatch {
    /// An operator object, applied to each element.
    Value(Box<Test>),
    /// A condition, applied to each element as if it were the attributes.
    Condition(Clauses),
}

#[derive(Clone)]
struct Regex {
    pattern: String,
    compiled: Rc<dyn CompiledRegex>,
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Regex").field(&self.pattern).finish()
    }
}

/// Every operator the SDK knows (`evalOperatorCondition`).
const OPERATORS: [&str; 27] = [
    "$veq",
    "$vne",
    "$vgt",
    "$vgte",
    "$vlt",
    "$vlte",
    "$eq",
    "$ne",
    "$lt",
    "$lte",
    "$gt",
    "$gte",
    "$exists",
    "$in",
    "$ini",
    "$inGroup",
    "$notInGroup",
    "$nin",
    "$nini",
    "$not",
    "$size",
    "$elemMatch",
    "$all",
    "$alli",
    "$regex",
    "$regexi",
    "$type",
];

/// What the SDK's `getType` can return (`"undefined"` never matches JSON).
const TYPE_NAMES: [&str; 7] = [
    "string",
    "number",
    "boolean",
    "array",
    "object",
    "null",
    "undefined",
];

impl Condition {
    /// Parses and validates a condition document (GrowthBook's condition
    /// language) into an evaluable tree. Regexes are compiled here, by `regex`.
    ///
    /// Refuses, with the dotted path of the offending spot:
    ///
    /// - anything but a JSON object where a condition is expected (the
    ///   document, `$and`/`$or`/`$nor` elements, a top-level `$not`);
    /// - unknown operators, e.g. `{"name": {"$regx": "a"}}` (an object whose
    ///   keys all start with `$` is an operator object, as in the SDK);
    /// - invalid or over-long ([`MAX_PATTERN_BYTES`]) regexes;
    /// - operator arguments of a type the operator cannot use: `$in`, `$nin`,
    ///   `$ini`, `$nini`, `$all`, `$alli` need arrays; `$regex`, `$regexi`,
    ///   `$type`, `$inGroup`, `$notInGroup` need strings; `$elemMatch` needs an
    ///   object; `$and`, `$or`, `$nor` need arrays of objects; `$type` names a
    ///   type the SDK knows;
    /// - documents over the bounds: [`MAX_DEPTH`], [`MAX_NODES`],
    ///   [`MAX_LIST_LEN`], [`MAX_STRING_BYTES`].
    ///
    /// **Deliberate difference from the JS SDK:** the SDK accepts all of these
    /// and evaluates the offending part to "no match" (an unknown operator, an
    /// invalid regex, `$in` with a non-array) or to something meaningless
    /// (`$or` given an object). Tailor validates catalogs when they are
    /// published, so it refuses such a condition instead of silently never
    /// matching. GrowthBook's own test cases that exercise this behaviour expect
    /// `false`; the table test counts a compile error as `false` for them.
    pub fn compile(doc: &Value, regex: &dyn RegexEngine) -> Result<Condition, ConditionError> {
        let mut compiler = Compiler {
            engine: regex,
            nodes: 0,
            path: Vec::new(),
            refs: Vec::new(),
        };
        let root = compiler.clauses(doc, 1)?;
        Ok(Condition {
            root,
            nodes: compiler.nodes,
            refs: compiler.refs,
        })
    }

    /// Whether `attributes` satisfy the condition, exactly as the SDK's
    /// `evalCondition(attributes, condition, savedGroups)` would answer.
    ///
    /// `attributes` is normally a JSON object; dotted paths (`company.size`)
    /// reach into nested objects, and into arrays by index (`tags.0`) or
    /// `length`, as in the SDK. A missing attribute is `null`. Saved groups
    /// that `$inGroup`/`$notInGroup` name but `saved_groups` lacks are empty;
    /// a `$savedGroup` that `saved_groups` cannot answer (see
    /// [`SavedGroups::check`], which a catalog passes) matches nobody, and a
    /// group met again inside itself matches nobody there, as in the SDK.
    pub fn matches(&self, attributes: &Value, saved_groups: &SavedGroups) -> bool {
        let env = Env {
            groups: saved_groups,
            visited: None,
        };
        eval_clauses(&self.root, attributes, env)
    }

    /// How many JSON values the document had (what [`MAX_NODES`] bounds).
    pub fn node_count(&self) -> usize {
        self.nodes
    }

    /// The saved group ids the condition names (`$savedGroup`, `$inGroup`,
    /// `$notInGroup`), sorted and without repeats.
    pub fn saved_group_ids(&self) -> Vec<&str> {
        let ids: BTreeSet<&str> = self.refs.iter().map(|r| r.id.as_str()).collect();
        ids.into_iter().collect()
    }

    /// Every mention of a saved group, in document order.
    pub(super) fn group_refs(&self) -> &[GroupRef] {
        &self.refs
    }
}

/// The SDK's `isOperatorObject`: non-empty, and every key starts with `$`.
fn is_operator_object(map: &serde_json::Map<String, Value>) -> bool {
    !map.is_empty() && map.keys().all(|k| k.starts_with('$'))
}

struct Compiler<'e> {
    engine: &'e dyn RegexEngine,
    nodes: usize,
    path: Vec<String>,
    refs: Vec<GroupRef>,
}

type Compiled<T> = Result<T, ConditionError>;

impl Compiler<'_> {
    fn error(&self, kind: ConditionErrorKind) -> ConditionError {
        ConditionError::new(self.path.join("."), kind)
    }

    fn within<T>(
        &mut self,
        segment: impl Into<String>,
        f: impl FnOnce(&mut Self) -> Compiled<T>,
    ) -> Compiled<T> {
        self.path.push(segment.into());
        let result = f(self);
        self.path.pop();
        result
    }

    fn check_string(&self, s: &str) -> Compiled<()> {
        if s.len() > MAX_STRING_BYTES {
            return Err(self.error(ConditionErrorKind::StringTooLong {
                len: s.len(),
                max: MAX_STRING_BYTES,
            }));
        }
        Ok(())
    }

    fn check_list(&self, len: usize) -> Compiled<()> {
        if len > MAX_LIST_LEN {
            return Err(self.error(ConditionErrorKind::ListTooLong {
                len,
                max: MAX_LIST_LEN,
            }));
        }
        Ok(())
    }

    /// Counts one JSON value at nesting `depth` against the bounds.
    fn visit(&mut self, v: &Value, depth: usize) -> Compiled<()> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(self.error(ConditionErrorKind::TooManyNodes { max: MAX_NODES }));
        }
        match v {
            Value::Array(_) | Value::Object(_) if depth > MAX_DEPTH => {
                Err(self.error(ConditionErrorKind::TooDeep { max: MAX_DEPTH }))
            }
            Value::String(s) => self.check_string(s),
            _ => Ok(()),
        }
    }

    /// Checks a literal value and everything inside it against the bounds.
    fn literal(&mut self, v: &Value, depth: usize) -> Compiled<()> {
        self.visit(v, depth)?;
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.within(i.to_string(), |c| c.literal(item, depth + 1))?;
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    self.within(k.as_str(), |c| {
                        c.check_string(k)?;
                        c.literal(item, depth + 1)
                    })?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A condition object (the SDK's `evalCondition`).
    fn clauses(&mut self, v: &Value, depth: usize) -> Compiled<Clauses> {
        let Value::Object(map) = v else {
            return Err(self.error(ConditionErrorKind::NotACondition { found: json_type(v) }));
        };
        self.visit(v, depth)?;
        let mut clauses = Vec::with_capacity(map.len());
        for (key, sub) in map {
            let clause = self.within(key.as_str(), |c| {
                c.check_string(key)?;
                Ok(match key.as_str() {
                    "$or" => Clause::Or(c.condition_list("$or", sub, depth + 1)?),
                    "$nor" => Clause::Nor(c.condition_list("$nor", sub, depth + 1)?),
                    "$and" => Clause::And(c.condition_list("$and", sub, depth + 1)?),
                    "$not" => Clause::Not(c.clauses(sub, depth + 1)?),
                    "$savedGroup" => c.saved_group(sub, depth + 1)?,
                    "$savedGroups" => return Err(c.error(ConditionErrorKind::AuthoringOperator)),
                    path => Clause::Field {
                        path: path.split('.').map(str::to_owned).collect(),
                        test: c.test(sub, depth + 1)?,
                    },
                })
            })?;
            clauses.push(clause);
        }
        // Clauses are pure and all must hold: testing the cheapest first lets
        // a typical rule (`industry` equals …) fail before its `$or` or `$regex`.
        clauses.sort_by_key(Clause::cost);
        Ok(Clauses(clauses))
    }

    /// A `$savedGroup` reference: `{"id": "…", "attributeKey": "…"}`.
    fn saved_group(&mut self, v: &Value, depth: usize) -> Compiled<Clause> {
        const OP: &str = "$savedGroup";
        let Value::Object(map) = v else {
            return Err(self.wrong(OP, "an object {\"id\": …}", v));
        };
        self.visit(v, depth)?;
        if let Some(field) = map.keys().find(|k| *k != "id" && *k != "attributeKey") {
            return Err(self.error(ConditionErrorKind::UnknownField {
                operator: OP,
                field: field.clone(),
                takes: "`id` and `attributeKey`",
            }));
        }
        let Some(id) = map.get("id") else {
            return Err(self.error(ConditionErrorKind::MissingField {
                operator: OP,
                field: "id",
            }));
        };
        let id = self.within("id", |c| c.string_arg(OP, id, depth + 1))?.to_owned();
        let attribute = match map.get("attributeKey") {
            None => None,
            Some(key) => {
                let key = self.within("attributeKey", |c| c.string_arg(OP, key, depth + 1))?;
                Some(key.split('.').map(str::to_owned).collect())
            }
        };
        self.refs.push(GroupRef {
            path: self.path.join("."),
            id: id.clone(),
            kind: GroupRefKind::Saved {
                attribute: attribute.is_some(),
            },
        });
        Ok(Clause::SavedGroup { id, attribute })
    }

    fn condition_list(&mut self, operator: &'static str, v: &Value, depth: usize) -> Compiled<Vec<Clauses>> {
        let Value::Array(items) = v else {
            return Err(self.error(ConditionErrorKind::WrongArgument {
                operator,
                expected: "an array of conditions",
                found: json_type(v),
            }));
        };
        self.visit(v, depth)?;
        self.check_list(items.len())?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.within(i.to_string(), |c| c.clauses(item, depth + 1)))
            .collect()
    }

    /// A value a (possibly missing) attribute is tested against (the SDK's
    /// `evalConditionValue`).
    fn test(&mut self, v: &Value, depth: usize) -> Compiled<Test> {
        match v {
            Value::Object(map) if is_operator_object(map) => {
                self.visit(v, depth)?;
                let mut ops = Vec::with_capacity(map.len());
                for (op, arg) in map {
                    ops.push(self.within(op.as_str(), |c| c.operator(op, arg, depth + 1))?);
                }
                Ok(Test::Ops(ops))
            }
            Value::Array(_) | Value::Object(_) => {
                self.literal(v, depth)?;
                Ok(Test::Literal(v.clone()))
            }
            Value::String(s) => {
                self.visit(v, depth)?;
                Ok(Test::Str(s.clone()))
            }
            Value::Number(n) => {
                self.visit(v, depth)?;
                Ok(Test::Num(js::num(n)))
            }
            Value::Bool(b) => {
                self.visit(v, depth)?;
                Ok(Test::Bool(*b))
            }
            Value::Null => {
                self.visit(v, depth)?;
                Ok(Test::Null)
            }
        }
    }

    fn wrong(&self, operator: &'static str, expected: &'static str, found: &Value) -> ConditionError {
        self.error(ConditionErrorKind::WrongArgument {
            operator,
            expected,
            found: json_type(found),
        })
    }

    fn string_arg<'v>(&mut self, operator: &'static str, v: &'v Value, depth: usize) -> Compiled<&'v str> {
        let Value::String(s) = v else {
            return Err(self.wrong(operator, "a string", v));
        };
        self.visit(v, depth)?;
        Ok(s)
    }

    fn operator(&mut self, op: &str, arg: &Value, depth: usize) -> Compiled<Op> {
        let Some(op) = OPERATORS.iter().copied().find(|known| *known == op) else {
            return Err(self.error(ConditionErrorKind::UnknownOperator {
                operator: op.to_owned(),
            }));
        };
        let rel = |op: &str| match op.trim_start_matches("$v").trim_start_matches('$') {
            "eq" => Rel::Eq,
            "ne" => Rel::Ne,
            "lt" => Rel::Lt,
            "lte" => Rel::Lte,
            "gt" => Rel::Gt,
            _ => Rel::Gte,
        };
        Ok(match op {
            "$veq" | "$vne" | "$vgt" | "$vgte" | "$vlt" | "$vlte" => {
                self.literal(arg, depth)?;
                Op::Version(rel(op), padded_version_string(arg))
            }
            "$eq" | "$ne" => {
                self.literal(arg, depth)?;
                if op == "$eq" {
                    Op::Eq(arg.clone())
                } else {
                    Op::Ne(arg.clone())
                }
            }
            "$lt" | "$lte" | "$gt" | "$gte" => {
                self.literal(arg, depth)?;
                Op::Compare(rel(op), js::to_primitive(arg).into_owned())
            }
            "$exists" => {
                self.literal(arg, depth)?;
                Op::Exists(js::truthy(arg))
            }
            "$in" | "$nin" | "$ini" | "$nini" => {
                let Value::Array(items) = arg else {
                    return Err(self.wrong(op, "an array", arg));
                };
                self.check_list(items.len())?;
                self.literal(arg, depth)?;
                let folded = op.ends_with('i');
                let list = if folded {
                    items
                        .iter()
                        .map(|item| match item {
                            Value::String(s) => Value::String(js::to_lower(s).into_owned()),
                            other => other.clone(),
                        })
                        .collect()
                } else {
                    items.clone()
                };
                Op::In {
                    list,
                    folded,
                    negate: op.starts_with("$n"),
                }
            }
            "$inGroup" | "$notInGroup" => {
                let id = self.string_arg(op, arg, depth)?;
                self.refs.push(GroupRef {
                    path: self.path.join("."),
                    id: id.to_owned(),
                    kind: GroupRefKind::Member { operator: op },
                });
                Op::Group {
                    id: id.to_owned(),
                    negate: op == "$notInGroup",
                }
            }
            "$not" => Op::Not(Box::new(self.test(arg, depth)?)),
            "$size" => Op::Size(Box::new(self.test(arg, depth)?)),
            "$elemMatch" => {
                let Value::Object(map) = arg else {
                    return Err(self.wrong(op, "an object", arg));
                };
                if is_operator_object(map) {
                    Op::ElemMatch(ElemMatch::Value(Box::new(self.test(arg, depth)?)))
                } else {
                    Op::ElemMatch(ElemMatch::Condition(self.clauses(arg, depth)?))
                }
            }
            "$all" | "$alli" => {
                let Value::Array(items) = arg else {
                    return Err(self.wrong(op, "an array", arg));
                };
                self.check_list(items.len())?;
                self.visit(arg, depth)?;
                let folded = op == "$alli";
                let mut tests = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let test = self.within(i.to_string(), |c| c.test(item, depth + 1))?;
                    tests.push(match test {
                        Test::Str(s) if folded => Test::StrFolded(js::to_lower(&s).into_owned()),
                        other => other,
                    });
                }
                Op::All(tests)
            }
            "$regex" | "$regexi" => {
                let Value::String(pattern) = arg else {
                    return Err(self.wrong(op, "a string", arg));
                };
                if pattern.len() > MAX_PATTERN_BYTES {
                    return Err(self.error(ConditionErrorKind::PatternTooLong {
                        len: pattern.len(),
                        max: MAX_PATTERN_BYTES,
                    }));
                }
                self.visit(arg, depth)?;
                let compiled = if op == "$regexi" {
                    self.engine.compile_case_insensitive(pattern)
                } else {
                    self.engine.compile(pattern)
                };
                let compiled = compiled.map_err(|reason| {
                    self.error(ConditionErrorKind::InvalidRegex {
                        pattern: pattern.clone(),
                        reason,
                    })
                })?;
                Op::Regex(Regex {
                    pattern: pattern.clone(),
                    compiled,
                })
            }
            _ => {
                // "$type", the only operator left.
                let name = self.string_arg(op, arg, depth)?;
                match TYPE_NAMES.iter().copied().find(|known| *known == name) {
                    Some(known) => Op::Type(known),
                    None => {
                        return Err(self.error(ConditionErrorKind::UnknownType {
                            name: name.to_owned(),
                        }))
                    }
                }
            }
        })
    }
}

static NULL: Value = Value::Null;

/// The SDK's `getPath`: follows a dotted path through objects (own keys) and
/// arrays (canonical indices and `length`); anything else is `null`.
fn get_path<'a>(obj: &'a Value, path: &[String]) -> Cow<'a, Value> {
    let mut current = obj;
    for (i, part) in path.iter().enumerate() {
        let next = match current {
            Value::Object(map) => map.get(part),
            Value::Array(items) if part == "length" => {
                return if i + 1 == path.len() {
                    Cow::Owned(Value::from(items.len()))
                } else {
                    // A number has no properties.
                    Cow::Borrowed(&NULL)
                };
            }
            Value::Array(items) => array_index(part).and_then(|ix| items.get(ix)),
            _ => None,
        };
        match next {
            Some(v) => current = v,
            None => return Cow::Borrowed(&NULL),
        }
    }
    Cow::Borrowed(current)
}

/// `"0"`, `"17"`: a canonical array index (`"01"`, `"+1"`, `"1.0"` are not).
fn array_index(part: &str) -> Option<usize> {
    let canonical = part == "0"
        || (part.bytes().next().is_some_and(|b| (b'1'..=b'9').contains(&b))
            && part.bytes().all(|b| b.is_ascii_digit()));
    if canonical {
        part.parse().ok()
    } else {
        None
    }
}

/// What evaluation carries down: the saved groups, and the condition groups
/// being evaluated (the SDK's `visited`), innermost first.
#[derive(Clone, Copy)]
struct Env<'a> {
    groups: &'a SavedGroups,
    visited: Option<&'a Visited<'a>>,
}

struct Visited<'a> {
    id: &'a str,
    up: Option<&'a Visited<'a>>,
}

impl Env<'_> {
    fn has_visited(&self, id: &str) -> bool {
        let mut at = self.visited;
        while let Some(v) = at {
            if v.id == id {
                return true;
            }
            at = v.up;
        }
        false
    }
}

fn eval_clauses(clauses: &Clauses, obj: &Value, env: Env<'_>) -> bool {
    clauses.0.iter().all(|clause| eval_clause(clause, obj, env))
}

fn eval_or(list: &[Clauses], obj: &Value, env: Env<'_>) -> bool {
    list.is_empty() || list.iter().any(|c| eval_clauses(c, obj, env))
}

fn eval_clause(clause: &Clause, obj: &Value, env: Env<'_>) -> bool {
    match clause {
        Clause::Or(list) => eval_or(list, obj, env),
        Clause::Nor(list) => !eval_or(list, obj, env),
        Clause::And(list) => list.iter().all(|c| eval_clauses(c, obj, env)),
        Clause::Not(c) => !eval_clauses(c, obj, env),
        Clause::Field { path, test } => eval_test(test, &get_path(obj, path), env),
        Clause::SavedGroup { id, attribute } => eval_saved_group(id, attribute.as_deref(), obj, env),
    }
}

/// The SDK's `evalSavedGroup`: anything it cannot resolve matches nobody.
fn eval_saved_group(id: &str, attribute: Option<&[String]>, obj: &Value, env: Env<'_>) -> bool {
    if env.has_visited(id) {
        return false;
    }
    match env.groups.get(id) {
        None | Some(SavedGroup::Values(_)) => false,
        Some(SavedGroup::List {
            attribute: own,
            values,
        }) => match attribute.or(own.as_deref()) {
            Some(path) => is_in(&get_path(obj, path), values),
            None => false,
        },
        Some(SavedGroup::Condition { condition, .. }) => {
            let visited = Visited { id, up: env.visited };
            let inner = Env {
                groups: env.groups,
                visited: Some(&visited),
            };
            eval_clauses(&condition.root, obj, inner)
        }
    }
}

fn eval_test(test: &Test, actual: &Value, env: Env<'_>) -> bool {
    match test {
        Test::Str(s) => js::to_js_string(actual) == s.as_str(),
        Test::StrFolded(s) => js::to_lower(&js::to_js_string(actual)) == s.as_str(),
        Test::Num(n) => js::to_number(actual) == *n,
        Test::Bool(b) => !actual.is_null() && js::truthy(actual) == *b,
        Test::Null => actual.is_null(),
        Test::Literal(v) => js::json_equal(actual, v),
        Test::Ops(ops) => ops.iter().all(|op| eval_op(op, actual, env)),
    }
}

fn is_in(actual: &Value, list: &[Value]) -> bool {
    match actual {
        Value::Array(items) => items
            .iter()
            .any(|item| list.iter().any(|e| js::strict_equals(item, e))),
        _ => list.iter().any(|e| js::strict_equals(actual, e)),
    }
}

/// `caseFold(actual) === caseFold(expected)` with `expected` already folded.
fn folded_equals(actual: &Value, folded: &Value) -> bool {
    match (actual, folded) {
        (Value::String(a), Value::String(f)) => js::to_lower(a) == f.as_str(),
        _ => js::strict_equals(actual, folded),
    }
}

fn is_in_folded(actual: &Value, list: &[Value]) -> bool {
    match actual {
        Value::Array(items) => items
            .iter()
            .any(|item| list.iter().any(|e| folded_equals(item, e))),
        _ => list.iter().any(|e| folded_equals(actual, e)),
    }
}

/// The SDK's `getType`.
fn js_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Object(_) => "object",
    }
}

fn eval_op(op: &Op, actual: &Value, env: Env<'_>) -> bool {
    match op {
        Op::Version(rel, expected) => {
            let order = js::utf16_cmp(&padded_version_string(actual), expected);
            match rel {
                Rel::Eq => order == Ordering::Equal,
                Rel::Ne => order != Ordering::Equal,
                Rel::Lt => order == Ordering::Less,
                Rel::Lte => order != Ordering::Greater,
                Rel::Gt => order == Ordering::Greater,
                Rel::Gte => order != Ordering::Less,
            }
        }
        Op::Eq(expected) => js::strict_equals(actual, expected),
        Op::Ne(expected) => !js::strict_equals(actual, expected),
        Op::Compare(rel, expected) => {
            let actual = js::to_primitive(actual);
            match rel {
                Rel::Lt => js::lt(&actual, expected),
                Rel::Lte => js::lte(&actual, expected),
                Rel::Gt => js::gt(&actual, expected),
                Rel::Gte | Rel::Eq | Rel::Ne => js::gte(&actual, expected),
            }
        }
        Op::Exists(expected) => *expected != actual.is_null(),
        Op::In { list, folded, negate } => {
            let found = if *folded {
                is_in_folded(actual, list)
            } else {
                is_in(actual, list)
            };
            found != *negate
        }
        Op::Group { id, negate } => match env.groups.get(id) {
            // An unknown id is an empty list.
            None => *negate,
            Some(SavedGroup::Values(values) | SavedGroup::List { values, .. }) => {
                is_in(actual, values) != *negate
            }
            // A condition group has no values: matches nobody, either way.
            Some(SavedGroup::Condition { .. }) => false,
        },
        Op::Not(test) => !eval_test(test, actual, env),
        Op::Size(test) => match actual {
            Value::Array(items) => eval_test(test, &Value::from(items.len()), env),
            _ => false,
        },
        Op::ElemMatch(check) => match actual {
            // 1.8: only null elements are skipped (`0`, `""`, `false` are tested).
            Value::Array(items) => items.iter().any(|item| {
                !item.is_null()
                    && match check {
                        ElemMatch::Value(test) => eval_test(test, item, env),
                        ElemMatch::Condition(clauses) => eval_clauses(clauses, item, env),
                    }
            }),
            _ => false,
        },
        Op::All(tests) => match actual {
            Value::Array(items) => tests
                .iter()
                .all(|test| items.iter().any(|item| eval_test(test, item, env))),
            _ => false,
        },
        Op::Regex(regex) => regex.compiled.is_match(&js::to_js_string(actual)),
        Op::Type(name) => js_type(actual) == *name,
    }
}
