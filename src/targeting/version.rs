//! Version strings made comparable as plain strings, exactly like the SDK's
//! `paddedVersionString` (used by `$veq`, `$vne`, `$vgt`, `$vgte`, `$vlt`, `$vlte`).

use std::borrow::Cow;

use serde_json::Value;

use super::js;

/// The SDK's `paddedVersionString` of any JSON value.
///
/// Numbers are first printed the JS way (`1.5` → `"1.5"`); anything that is not
/// a non-empty string after that (`null`, booleans, arrays, objects, `""`)
/// becomes `"0"`. Then [`padded_version_str`] applies.
pub fn padded_version_string(input: &Value) -> String {
    let text: Cow<'_, str> = match input {
        Value::Number(n) => Cow::Owned(js::number_to_string(js::num(n))),
        Value::String(s) if !s.is_empty() => Cow::Borrowed(s),
        _ => Cow::Borrowed("0"),
    };
    padded_version_str(&text)
}

/// The SDK's `paddedVersionString` of a string.
///
/// Drops one leading `v` and any `+build` suffix, splits on `-` and `.`, appends
/// `~` to a bare three-part version (so `1.0.0` sorts after `1.0.0-beta`),
/// left-pads purely numeric parts with spaces to width 5 and joins with `-`:
/// `"v1.2.3-rc.1+build"` → `"    1-    2-    3-rc-    1"`. Comparing two
/// results with JS string order compares the versions.
pub fn padded_version_str(input: &str) -> String {
    let without_v = input.strip_prefix('v').unwrap_or(input);
    let core = strip_build(without_v);
    let mut parts: Vec<&str> = core.split(['-', '.']).collect();
    if parts.len() == 3 {
        parts.push("~");
    }
    let padded: Vec<Cow<'_, str>> = parts
        .into_iter()
        .map(|part| {
            if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                Cow::Owned(format!("{part:>5}"))
            } else {
                Cow::Borrowed(part)
            }
        })
        .collect();
    padded.join("-")
}

/// Removes what the SDK's `/\+.*$/` removes: from the first `+` that is followed
/// by no line terminator up to the end (JS `.` stops at line terminators).
fn strip_build(s: &str) -> &str {
    let line_start = s
        .char_indices()
        .rev()
        .find(|(_, c)| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let tail = s.get(line_start..).unwrap_or("");
    match tail.find('+') {
        Some(plus) => s.get(..line_start + plus).unwrap_or(s),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pads_numeric_parts_and_marks_releases_with_tilde() {
        assert_eq!(padded_version_str("1.2.3"), "    1-    2-    3-~");
        assert_eq!(
            padded_version_str("v1.2.3-rc.1+build.7"),
            "    1-    2-    3-rc-    1"
        );
        assert_eq!(padded_version_str("1-2-3"), "    1-    2-    3-~");
        assert_eq!(padded_version_str("1.2.3.4"), "    1-    2-    3-    4");
        assert_eq!(padded_version_str("123456.0.0"), "123456-    0-    0-~");
        assert_eq!(padded_version_str("1.0.0-"), "    1-    0-    0-");
        assert_eq!(padded_version_str(""), "");
    }

    #[test]
    fn non_strings_pad_like_the_sdk() {
        assert_eq!(padded_version_string(&json!(null)), "    0");
        assert_eq!(padded_version_string(&json!("")), "    0");
        assert_eq!(padded_version_string(&json!(true)), "    0");
        assert_eq!(padded_version_string(&json!(2)), "    2");
        assert_eq!(padded_version_string(&json!(1.5)), "    1-    5");
    }

    #[test]
    fn build_suffix_is_cut_only_on_the_last_line() {
        assert_eq!(strip_build("1.2+a+b"), "1.2");
        assert_eq!(strip_build("1+a\n2+b"), "1+a\n2");
        assert_eq!(strip_build("1+a\n2"), "1+a\n2");
        assert_eq!(strip_build("+x"), "");
    }
}
