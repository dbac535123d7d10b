//! Regular expressions behind a trait, so each platform brings its own engine.
//!
//! GrowthBook's `$regex` / `$regexi` are JavaScript `RegExp`s (no flags, or
//! `i`). In the Worker the engine is JS `RegExp` itself, which gives exact SDK
//! semantics at no code size. Natively (tests, the CLI) [`NativeRegex`] uses the
//! `regex` crate after translating the JavaScript syntax it can (see its docs
//! for what differs).

#[cfg(not(target_arch = "wasm32"))]
use std::rc::Rc;

pub use crate::platform::{CompiledRegex, RegexEngine};

/// The largest pattern accepted, in bytes (UTF-8). Checked by
/// [`Condition::compile`](super::Condition::compile) for every engine and again
/// by [`NativeRegex`].
pub const MAX_PATTERN_BYTES: usize = 256;

/// Most the `regex` crate may spend on one compiled program, in bytes.
#[cfg(not(target_arch = "wasm32"))]
const NATIVE_SIZE_LIMIT: usize = 1 << 20;

/// The native engine: the `regex` crate, fed a translation of the JS pattern.
///
/// The translation keeps JavaScript's meaning (non-Unicode `RegExp`, no flags
/// or `i`) where the two syntaxes disagree:
///
/// - `\d`, `\w`, `\b`, `\B` are ASCII-only as in JS (the `regex` crate's are
///   Unicode); `\s` is JS's whitespace set (which has U+FEFF, not U+0085);
/// - `.` does not match `\n`, `\r`, U+2028, U+2029;
/// - `[]` matches nothing and `[^]` matches anything; `[` `&` `~` are literal
///   inside a class; `{` and `}` that do not form a quantifier are literal;
/// - `\xHH`, `\uHHHH`, `\cX`, `\0` and identity escapes (`\a` is `a`) read as in JS;
/// - inline flag groups such as `(?i)` and `(?P<name>…)` are refused (JS has
///   no such syntax).
///
/// What still differs from JS (the Worker uses JS `RegExp`, so these only
/// affect native tests and the CLI):
///
/// - refused natively, accepted by JS: look-around (`(?=`, `(?!`, `(?<=`,
///   `(?<!`), backreferences (`\1`, `\k<name>`), legacy octal escapes, lone
///   surrogate escapes (`\uD83D`);
/// - JS matches UTF-16 code units, so `.` matches half of an astral character
///   there and a whole character here (`^.$` matches `"😀"` only natively);
/// - `i` uses Unicode simple case folding here, JS's own canonicalization
///   there (they differ on a handful of characters such as `ſ` and `K` (Kelvin));
/// - `-` between two ranges (`[a-z--x]`) is a class difference here;
/// - the `regex` crate never backtracks: patterns JS would take exponential
///   time on run in linear time here (a feature, not a risk).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy, Default)]
pub struct NativeRegex;

#[cfg(not(target_arch = "wasm32"))]
struct NativeCompiled(::regex::Regex);

#[cfg(not(target_arch = "wasm32"))]
impl CompiledRegex for NativeCompiled {
    fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl NativeRegex {
    fn build(pattern: &str, case_insensitive: bool) -> Result<Rc<dyn CompiledRegex>, String> {
        if pattern.len() > MAX_PATTERN_BYTES {
            return Err(format!(
                "pattern is {} bytes, more than the {MAX_PATTERN_BYTES} allowed",
                pattern.len()
            ));
        }
        let translated = translate_js_pattern(pattern)?;
        let regex = ::regex::RegexBuilder::new(&translated)
            .case_insensitive(case_insensitive)
            .size_limit(NATIVE_SIZE_LIMIT)
            .dfa_size_limit(NATIVE_SIZE_LIMIT)
            .nest_limit(64)
            .build()
            .map_err(|e| match e {
                ::regex::Error::Syntax(msg) => {
                    msg.lines().last().unwrap_or("invalid pattern").trim().to_owned()
                }
                other => other.to_string(),
            })?;
        Ok(Rc::new(NativeCompiled(regex)))
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl RegexEngine for NativeRegex {
    fn compile(&self, pattern: &str) -> Result<Rc<dyn CompiledRegex>, String> {
        Self::build(pattern, false)
    }

    fn compile_case_insensitive(&self, pattern: &str) -> Result<Rc<dyn CompiledRegex>, String> {
        Self::build(pattern, true)
    }
}

/// JS `\s`: WhiteSpace and LineTerminator code points.
#[cfg(not(target_arch = "wasm32"))]
const JS_SPACE: &str =
    r"\t\n\x0B\x0C\r \xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";

/// Rewrites a JavaScript (non-Unicode mode) pattern into `regex` crate syntax
/// with the same meaning, or says why it cannot.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn translate_js_pattern(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut in_class = false;
    let mut i = 0;
    while let Some(c) = at(i) {
        i += 1;
        if c == '\\' {
            let Some(e) = at(i) else {
                return Err("pattern ends with a lone `\\`".to_owned());
            };
            i += 1;
            match e {
                'd' => out.push_str("[0-9]"),
                'D' => out.push_str("[^0-9]"),
                'w' => out.push_str("[0-9A-Za-z_]"),
                'W' => out.push_str("[^0-9A-Za-z_]"),
                's' => {
                    out.push('[');
                    out.push_str(JS_SPACE);
                    out.push(']');
                }
                'S' => {
                    out.push_str("[^");
                    out.push_str(JS_SPACE);
                    out.push(']');
                }
                'b' if in_class => out.push_str(r"\x08"),
                'b' => out.push_str(r"(?-u:\b)"),
                'B' if in_class => out.push('B'),
                'B' => out.push_str(r"(?-u:\B)"),
                't' | 'n' | 'r' | 'f' | 'v' => {
                    out.push('\\');
                    out.push(e);
                }
                '0' if !at(i).is_some_and(|d| d.is_ascii_digit()) => out.push_str(r"\x00"),
                '0'..='9' => {
                    return Err(format!(
                        "`\\{e}` (a backreference or legacy octal escape) is not supported natively"
                    ));
                }
                'x' | 'u' => {
                    let len = if e == 'x' { 2 } else { 4 };
                    let hex: String = chars.iter().skip(i).take(len).collect();
                    if hex.chars().count() == len && hex.chars().all(|h| h.is_ascii_hexdigit()) {
                        out.push_str(&format!("\\x{{{hex}}}"));
                        i += len;
                    } else {
                        out.push(e);
                    }
                }
                'c' => match at(i) {
                    Some(letter) if letter.is_ascii_alphabetic() => {
                        out.push_str(&format!("\\x{{{:X}}}", u32::from(letter) % 32));
                        i += 1;
                    }
                    _ => out.push_str(r"\\c"),
                },
                'k' if at(i) == Some('<') => {
                    return Err("named backreferences (`\\k<…>`) are not supported natively".to_owned());
                }
                other => push_literal(&mut out, other),
            }
            continue;
        }
        if in_class {
            match c {
                ']' => {
                    out.push(']');
                    in_class = false;
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
            continue;
        }
        match c {
            '[' => {
                if at(i) == Some(']') {
                    out.push_str(r"[^\x00-\x{10FFFF}]");
                    i += 1;
                } else if at(i) == Some('^') && at(i + 1) == Some(']') {
                    out.push_str(r"[\x00-\x{10FFFF}]");
                    i += 2;
                } else {
                    out.push('[');
                    if at(i) == Some('^') {
                        out.push('^');
                        i += 1;
                    }
                    in_class = true;
                }
            }
            '.' => out.push_str(r"[^\n\r\x{2028}\x{2029}]"),
            '{' => match quantifier_len(&chars, i) {
                Some(len) => {
                    out.push('{');
                    out.extend(chars.iter().skip(i).take(len));
                    i += len;
                }
                None => out.push_str(r"\{"),
            },
            '}' => out.push_str(r"\}"),
            ']' => out.push_str(r"\]"),
            '(' if at(i) == Some('?') => {
                let allowed = match (at(i + 1), at(i + 2)) {
                    (Some(':' | '=' | '!'), _) => true,
                    (Some('<'), Some(n)) => n == '=' || n == '!' || n.is_alphabetic() || n == '_' || n == '$',
                    _ => false,
                };
                if !allowed {
                    return Err("`(?` must start `(?:`, a look-around or `(?<name>` in JavaScript".to_owned());
                }
                out.push('(');
            }
            _ => out.push(c),
        }
    }
    if in_class {
        return Err("unterminated character class".to_owned());
    }
    Ok(out)
}

/// Appends `c` as a literal character in `regex` crate syntax.
#[cfg(not(target_arch = "wasm32"))]
fn push_literal(out: &mut String, c: char) {
    if c.is_ascii() && !c.is_ascii_alphanumeric() && c != '<' && c != '>' {
        out.push('\\');
    }
    out.push(c);
}

/// The length of `n}`, `n,}` or `n,m}` starting at `start` (just after a `{`),
/// if that is what follows: JS reads `{` as a quantifier only then.
#[cfg(not(target_arch = "wasm32"))]
fn quantifier_len(chars: &[char], start: usize) -> Option<usize> {
    let rest = chars.get(start..)?;
    let mut i = 0;
    let digits = |i: &mut usize| {
        let from = *i;
        while rest.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        *i > from
    };
    if !digits(&mut i) {
        return None;
    }
    if rest.get(i) == Some(&',') {
        i += 1;
        digits(&mut i);
    }
    (rest.get(i) == Some(&'}')).then_some(i + 1)
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        NativeRegex.compile(pattern).unwrap().is_match(text)
    }

    #[test]
    fn digit_word_and_boundary_classes_are_ascii_like_javascript() {
        assert!(!matches(r"^\d$", "٣"));
        assert!(matches(r"^\d+$", "0123"));
        assert!(!matches(r"^\w$", "é"));
        assert!(matches(r"\bé", "aé"));
        assert!(matches(r"^[\w-]+$", "a-b_c"));
        assert!(matches(r"^[^\d]$", "x"));
    }

    #[test]
    fn whitespace_class_is_javascripts() {
        assert!(matches(r"^\s$", "\u{feff}"));
        assert!(!matches(r"^\s$", "\u{85}"));
        assert!(matches(r"^\S$", "\u{85}"));
    }

    #[test]
    fn dot_stops_at_javascript_line_terminators() {
        assert!(!matches("^.$", "\r"));
        assert!(!matches("^.$", "\u{2028}"));
        assert!(matches("^.$", "x"));
    }

    #[test]
    fn javascript_only_syntax_reads_as_in_javascript() {
        assert!(matches("^a{$", "a{"));
        assert!(matches("^a{,2}$", "a{,2}"));
        assert!(matches("^a{2}$", "aa"));
        assert!(matches("^a}$", "a}"));
        assert!(matches("^]$", "]"));
        assert!(matches(r"^\a\e$", "ae"));
        assert!(matches(r"^\x41\u0042$", "AB"));
        assert!(matches(r"^\cJ$", "\n"));
        assert!(matches(r"^[\b]$", "\u{8}"));
        assert!(matches("^[[&~]+$", "[&~"));
        assert!(!matches("[]", "anything"));
        assert!(matches("^[^]$", "\n"));
        assert!(matches(r"^a\/b$", "a/b"));
        assert!(matches(r"^(?<year>\d{4})-(?:\d\d)$", "2024-01"));
    }

    #[test]
    fn unsupported_or_foreign_syntax_is_refused() {
        for p in [
            r"(a)\1",
            r"(?<n>a)\k<n>",
            "(?=a)",
            "(?<=a)b",
            "(?i)a",
            "(?P<n>a)",
            "[a",
            "a\\",
            "(",
            r"\8",
        ] {
            assert!(NativeRegex.compile(p).is_err(), "{p}");
        }
    }

    #[test]
    fn case_insensitive_compiles_with_the_i_flag() {
        let r = NativeRegex.compile_case_insensitive("^mobile$").unwrap();
        assert!(r.is_match("MoBiLe"));
        assert!(!NativeRegex.compile("^mobile$").unwrap().is_match("MOBILE"));
    }

    #[test]
    fn long_patterns_are_refused() {
        assert!(NativeRegex.compile(&"a".repeat(MAX_PATTERN_BYTES)).is_ok());
        assert!(NativeRegex.compile(&"a".repeat(MAX_PATTERN_BYTES + 1)).is_err());
    }
}
