//! The slice of JavaScript's value semantics that GrowthBook's JS SDK leans on.
//!
//! The SDK compares attributes with plain JS operators (`===`, `<`, `value + ""`,
//! `value * 1`, `!!value`, `JSON.stringify(a) === JSON.stringify(b)`), so to get
//! the SDK's answers we reproduce those operators over JSON values here:
//! ECMAScript `ToPrimitive`, `ToString` (including `Number::toString`),
//! `ToNumber` (including `StringToNumber`), the abstract relational comparison
//! and strict equality. Strings compare by UTF-16 code units, like JS.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Number, Value};

/// How deep `Array.prototype.join` follows nested arrays before it gives up.
///
/// JS has no such limit (it would overflow its stack at some depth); parsed JSON
/// is at most 128 deep (serde_json's limit), so this never triggers on parsed input.
const MAX_JOIN_DEPTH: usize = 256;

/// A JSON value after ECMAScript `ToPrimitive` (arrays and objects become strings).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Prim<'a> {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Num(f64),
    /// A string (arrays joined with `,`; objects as `[object Object]`).
    Str(Cow<'a, str>),
}

impl Prim<'_> {
    /// The same primitive, owning its string.
    pub(crate) fn into_owned(self) -> Prim<'static> {
        match self {
            Prim::Null => Prim::Null,
            Prim::Bool(b) => Prim::Bool(b),
            Prim::Num(n) => Prim::Num(n),
            Prim::Str(s) => Prim::Str(Cow::Owned(s.into_owned())),
        }
    }

    /// ECMAScript `ToNumber` of the primitive.
    pub(crate) fn to_number(&self) -> f64 {
        match self {
            Prim::Null => 0.0,
            Prim::Bool(true) => 1.0,
            Prim::Bool(false) => 0.0,
            Prim::Num(n) => *n,
            Prim::Str(s) => string_to_number(s),
        }
    }
}

/// A JSON number as the f64 JavaScript would hold after `JSON.parse`.
pub(crate) fn num(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// ECMAScript `ToPrimitive` (default hint) of a JSON value.
pub(crate) fn to_primitive(v: &Value) -> Prim<'_> {
    match v {
        Value::Null => Prim::Null,
        Value::Bool(b) => Prim::Bool(*b),
        Value::Number(n) => Prim::Num(num(n)),
        Value::String(s) => Prim::Str(Cow::Borrowed(s)),
        Value::Array(_) | Value::Object(_) => Prim::Str(to_js_string(v)),
    }
}

/// ECMAScript `ToNumber` of a JSON value (`value * 1` in the SDK).
pub(crate) fn to_number(v: &Value) -> f64 {
    to_primitive(v).to_number()
}

/// ECMAScript `ToString` of a JSON value (`value + ""` / `String(value)` in the SDK).
pub(crate) fn to_js_string(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed("null"),
        Value::Bool(true) => Cow::Borrowed("true"),
        Value::Bool(false) => Cow::Borrowed("false"),
        Value::Number(n) => Cow::Owned(number_to_string(num(n))),
        Value::Object(_) => Cow::Borrowed("[object Object]"),
        Value::Array(items) => {
            let mut out = String::new();
            join(items, 0, &mut out);
            Cow::Owned(out)
        }
    }
}

/// `Array.prototype.join(",")`: `null` elements become empty strings.
fn join(items: &[Value], depth: usize, out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            Value::Null => {}
            Value::Array(inner) => {
                if depth < MAX_JOIN_DEPTH {
                    join(inner, depth + 1, out);
                }
            }
            other => out.push_str(&to_js_string(other)),
        }
    }
}

/// ECMAScript `Number::toString(10)`: the shortest round-tripping digits, laid
/// out the way JS does (`1e21`, `1e-7`, `0.000001`, `123456789012345680000`).
pub(crate) fn number_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x < 0.0 {
        return format!("-{}", number_to_string(-x));
    }
    // Rust's `{:e}` prints the shortest round-tripping digits: "1.2345e-7".
    let sci = format!("{x:e}");
    let Some((mantissa, exponent)) = sci.split_once('e') else {
        return format!("{x}");
    };
    let Ok(exponent) = exponent.parse::<i64>() else {
        return format!("{x}");
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    // x = 0.d1d2…dk × 10^n
    let n = exponent + 1;
    let zeros = |count: i64| "0".repeat(usize::try_from(count).unwrap_or(0));
    if k <= n && n <= 21 {
        format!("{digits}{}", zeros(n - k))
    } else if 0 < n && n <= 21 {
        let split = usize::try_from(n).unwrap_or(0);
        match digits.split_at_checked(split) {
            Some((int, frac)) => format!("{int}.{frac}"),
            None => digits,
        }
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", zeros(-n))
    } else {
        let e = n - 1;
        let sign = if e >= 0 { '+' } else { '-' };
        let mut chars = digits.chars();
        let first: String = chars.next().map(String::from).unwrap_or_default();
        let rest: String = chars.collect();
        if rest.is_empty() {
            format!("{first}e{sign}{}", e.abs())
        } else {
            format!("{first}.{rest}e{sign}{}", e.abs())
        }
    }
}

/// JS `WhiteSpace` or `LineTerminator` (what `StringToNumber` and `trim` strip).
fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{a}' | '\u{b}' | '\u{c}' | '\u{d}' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
}

/// ECMAScript `StringToNumber`: `""` → 0, `"0x1F"` → 31, `" 12 "` → 12,
/// `"1e3"` → 1000, `"Infinity"`, anything else → NaN.
pub(crate) fn string_to_number(s: &str) -> f64 {
    let s = s.trim_matches(is_js_whitespace);
    if s.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)] {
        if let Some(digits) = s.strip_prefix(prefix) {
            return parse_radix(digits, radix);
        }
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned == "Infinity" {
        return if s.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    if !is_str_decimal_literal(unsigned) {
        return f64::NAN;
    }
    s.parse::<f64>().unwrap_or(f64::NAN)
}

/// `0x…`, `0o…`, `0b…` digits (at least one) → value, else NaN.
fn parse_radix(digits: &str, radix: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    let mut exact: u128 = 0;
    let mut approx: f64 = 0.0;
    let mut overflowed = false;
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else {
            return f64::NAN;
        };
        approx = approx * f64::from(radix) + f64::from(d);
        if !overflowed {
            match exact
                .checked_mul(u128::from(radix))
                .and_then(|v| v.checked_add(u128::from(d)))
            {
                Some(v) => exact = v,
                None => overflowed = true,
            }
        }
    }
    if overflowed {
        approx
    } else {
        // u128 → f64 rounds to nearest, like the spec's MV rounding.
        exact as f64
    }
}

/// `StrUnsignedDecimalLiteral` without `Infinity`: `1`, `1.`, `.5`, `1.5e-3`.
fn is_str_decimal_literal(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_digits = digits(&mut i);
    let mut frac_digits = 0;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = digits(&mut i);
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == bytes.len()
}

/// JS truthiness (`!!value`).
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => {
            let x = num(n);
            x != 0.0 && !x.is_nan()
        }
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// JS `===` between two JSON values that are distinct objects in JS: arrays and
/// objects are never strictly equal to anything (different references).
/// Also `Array.prototype.includes` (SameValueZero; no NaN can come from JSON).
pub(crate) fn strict_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => num(x) == num(y),
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

/// `JSON.stringify(a) === JSON.stringify(b)` for JSON values.
///
/// Numbers compare as f64 (`1` and `1.0` print the same in JS). Objects compare
/// key by key in iteration order; without serde_json's `preserve_order` feature
/// both maps iterate sorted, so key order does not matter here (in JS it does).
pub(crate) fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => num(x) == num(y),
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && json_equal(va, vb))
        }
        _ => false,
    }
}

/// Compares two strings by UTF-16 code units, like JS `<` on strings.
pub(crate) fn utf16_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// ECMAScript `IsLessThan(a, b)`: `None` is the spec's `undefined` (a NaN
/// operand), which makes every relational operator false.
pub(crate) fn is_less_than(a: &Prim<'_>, b: &Prim<'_>) -> Option<bool> {
    if let (Prim::Str(x), Prim::Str(y)) = (a, b) {
        return Some(utf16_cmp(x, y) == Ordering::Less);
    }
    let (x, y) = (a.to_number(), b.to_number());
    if x.is_nan() || y.is_nan() {
        None
    } else {
        Some(x < y)
    }
}

/// JS `a < b`.
pub(crate) fn lt(a: &Prim<'_>, b: &Prim<'_>) -> bool {
    is_less_than(a, b) == Some(true)
}

/// JS `a <= b`.
pub(crate) fn lte(a: &Prim<'_>, b: &Prim<'_>) -> bool {
    is_less_than(b, a) == Some(false)
}

/// JS `a > b`.
pub(crate) fn gt(a: &Prim<'_>, b: &Prim<'_>) -> bool {
    is_less_than(b, a) == Some(true)
}

/// JS `a >= b`.
pub(crate) fn gte(a: &Prim<'_>, b: &Prim<'_>) -> bool {
    is_less_than(a, b) == Some(false)
}

/// `String.prototype.toLowerCase`.
pub(crate) fn to_lower(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| !b.is_ascii_uppercase() && b.is_ascii()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_print_like_javascript() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (123.456, "123.456"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (1.5e-7, "1.5e-7"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
            (0.0000012345, "0.0000012345"),
            (2.5e25, "2.5e+25"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (4294967295.0, "4294967295"),
        ];
        for (x, s) in cases {
            assert_eq!(number_to_string(x), s, "{x:?}");
        }
    }

    #[test]
    fn strings_convert_to_numbers_like_javascript() {
        let cases = [
            ("", 0.0),
            ("  ", 0.0),
            ("12", 12.0),
            (" 12\n", 12.0),
            ("-1.5", -1.5),
            ("+.5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("1E-2", 0.01),
            ("0x1F", 31.0),
            ("0b101", 5.0),
            ("0o17", 15.0),
            ("Infinity", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
        ];
        for (s, x) in cases {
            assert_eq!(string_to_number(s), x, "{s:?}");
        }
        for s in [
            "abc", "1e", ".", "e5", "inf", "nan", "NaN", "-0x10", "0x", "1_000", "12px", "1 2",
        ] {
            assert!(string_to_number(s).is_nan(), "{s:?}");
        }
    }

    #[test]
    fn values_convert_to_strings_like_javascript() {
        assert_eq!(to_js_string(&json!(null)), "null");
        assert_eq!(to_js_string(&json!(true)), "true");
        assert_eq!(to_js_string(&json!(10)), "10");
        assert_eq!(to_js_string(&json!(1.0)), "1");
        assert_eq!(to_js_string(&json!([1, [2, null], "a"])), "1,2,,a");
        assert_eq!(to_js_string(&json!({"a": 1})), "[object Object]");
        assert_eq!(to_js_string(&json!([])), "");
    }

    #[test]
    fn relational_operators_follow_javascript_coercions() {
        let p = |v: Value| to_primitive(&v).into_owned();
        assert!(lt(&p(json!("8")), &p(json!(10))));
        assert!(lt(&p(json!("10")), &p(json!("8"))));
        assert!(gt(&p(json!(null)), &p(json!(-1))));
        assert!(lte(&p(json!(null)), &p(json!(0))));
        assert!(!lt(&p(json!("abc")), &p(json!(1))));
        assert!(!gte(&p(json!("abc")), &p(json!(1))));
        assert!(gte(&p(json!([5])), &p(json!(5))));
        assert!(gt(&p(json!(true)), &p(json!(0))));
        // UTF-16 order: U+FF5E sorts after U+1F600's high surrogate (0xD83D).
        assert!(lt(&p(json!("\u{1F600}")), &p(json!("\u{FF5E}"))));
    }

    #[test]
    fn truthiness_matches_javascript() {
        for v in [json!(null), json!(false), json!(0), json!(-0.0), json!("")] {
            assert!(!truthy(&v), "{v}");
        }
        for v in [json!(true), json!(1), json!("0"), json!([]), json!({})] {
            assert!(truthy(&v), "{v}");
        }
    }

    #[test]
    fn strict_equality_never_equates_arrays_or_objects() {
        assert!(strict_equals(&json!(1), &json!(1.0)));
        assert!(!strict_equals(&json!(1), &json!("1")));
        assert!(!strict_equals(&json!([1]), &json!([1])));
        assert!(!strict_equals(&json!({}), &json!({})));
        assert!(json_equal(&json!([1, {"a": 2.0}]), &json!([1.0, {"a": 2}])));
        assert!(!json_equal(&json!([1, 2]), &json!([2, 1])));
    }
}
