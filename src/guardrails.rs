//! Guardrails on generated content, declared per block in the catalog
//! (`"generate": {"guardrails": {…}}`): a word or character limit, phrases
//! refused, phrases required, and numbers allowed only when the block's own
//! variants already state them. A generated draft that breaks one is refused
//! with the rule it broke (see `docs/generator.md`).
//!
//! Pure code over the draft's *text* (markup stripped, entities decoded,
//! whitespace collapsed): no regex, nothing that can panic on any input. The
//! control worker applies it to every generator answer after sanitizing it;
//! the reference generator (`examples/llm-generator/`) applies the same rules
//! to refuse early.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::validation::ValidationError;

/// Largest `max_words`.
pub const MAX_WORDS_LIMIT: u32 = 10_000;
/// Largest `max_chars` (a fragment is at most 64 KiB).
pub const MAX_CHARS_LIMIT: u32 = 65_536;
/// Most phrases in `refuse` or in `require`.
pub const MAX_PHRASES: usize = 64;
/// Longest phrase, in characters.
pub const MAX_PHRASE_CHARS: usize = 200;
/// Most numbers a block's source content may hold for `"numbers": "source"`.
pub const MAX_SOURCE_NUMBERS: usize = 1024;
/// Longest brief, in characters.
pub const MAX_BRIEF_CHARS: usize = 2000;

/// The guardrails of one block, as written in the catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardrails {
    /// Most words in the draft's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_words: Option<u32>,
    /// Most characters in the draft's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<u32>,
    /// Phrases the text must not contain (case-insensitive, anywhere).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refuse: Vec<String>,
    /// Phrases the text must contain (a disclaimer), case-insensitive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub require: Vec<String>,
    /// Which numbers the text may state; absent: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numbers: Option<NumbersRule>,
    /// The numbers of the block's source content (the text of all its
    /// variants as published), canonical and sorted. Computed when the
    /// catalog is built, when `numbers` is `source`; never written by hand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_numbers: Vec<String>,
}

/// Which numbers a draft may state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumbersRule {
    /// Only numbers that appear in the block's source content.
    Source,
}

/// The rule a draft broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardrailRule {
    /// Over `max_words`.
    MaxWords,
    /// Over `max_chars`.
    MaxChars,
    /// Holds a phrase of `refuse`.
    Refuse,
    /// Lacks a phrase of `require`.
    Require,
    /// States a number not in the block's source content.
    Numbers,
    /// A rule of the generator's own (it refused the draft itself).
    Generator,
}

impl GuardrailRule {
    /// Every rule.
    pub const ALL: [Self; 6] = [
        Self::MaxWords,
        Self::MaxChars,
        Self::Refuse,
        Self::Require,
        Self::Numbers,
        Self::Generator,
    ];

    /// The rule's name, as in the catalog (`max_words`).
    pub fn name(self) -> &'static str {
        match self {
            Self::MaxWords => "max_words",
            Self::MaxChars => "max_chars",
            Self::Refuse => "refuse",
            Self::Require => "require",
            Self::Numbers => "numbers",
            Self::Generator => "generator",
        }
    }

    /// The diagnostics label (`guardrail:max_words`), fixed text.
    pub fn label(self) -> &'static str {
        match self {
            Self::MaxWords => "guardrail:max_words",
            Self::MaxChars => "guardrail:max_chars",
            Self::Refuse => "guardrail:refuse",
            Self::Require => "guardrail:require",
            Self::Numbers => "guardrail:numbers",
            Self::Generator => "guardrail:generator",
        }
    }

    /// The rule named `name`; a name Tailor does not know is the
    /// generator's own rule.
    pub fn from_name(name: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|rule| rule.name() == name)
            .unwrap_or(Self::Generator)
    }
}

/// A broken guardrail: the rule and what broke it (for people; it may quote
/// the catalog's phrase or the draft's number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule broken.
    pub rule: GuardrailRule,
    /// What broke it.
    pub detail: String,
}

/// A block's `generate` settings that cannot be published.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("blocks.{block}.generate.{field}: {problem}")]
pub struct GuardrailError {
    /// The block.
    pub block: String,
    /// The field under the block's `generate` (`guardrails.max_words`).
    pub field: String,
    /// What is wrong with it.
    pub problem: GuardrailProblem,
}

/// What is wrong with a `generate` field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GuardrailProblem {
    /// A limit out of its range.
    #[error("must be a whole number from 1 to {max}")]
    OutOfRange {
        /// The largest value allowed.
        max: u32,
    },
    /// Too many phrases.
    #[error("at most {MAX_PHRASES} phrases")]
    TooManyPhrases,
    /// An empty or overlong phrase.
    #[error("a phrase is 1 to {MAX_PHRASE_CHARS} characters of text (not only spaces)")]
    BadPhrase,
    /// The same phrase refused and required: no draft could pass.
    #[error("`{0}` is both refused and required")]
    Conflict(String),
    /// `source_numbers` written by hand, or present without `numbers: source`.
    #[error("computed when the catalog is built (from the block's variants, with `\"numbers\": \"source\"`); do not write it")]
    SourceNumbersWritten,
    /// `source_numbers` that are not canonical numbers, or too many.
    #[error("at most {MAX_SOURCE_NUMBERS} numbers of digits and dots")]
    BadSourceNumbers,
    /// An empty or overlong brief.
    #[error("a brief is 1 to {MAX_BRIEF_CHARS} characters of text (not only spaces)")]
    BadBrief,
}

impl From<GuardrailError> for ValidationError {
    fn from(e: GuardrailError) -> Self {
        ValidationError::new(
            format!("blocks.{}.generate.{}", e.block, e.field),
            e.problem.to_string(),
        )
    }
}

impl Guardrails {
    /// Whether no rule is set.
    pub fn is_empty(&self) -> bool {
        self.max_words.is_none()
            && self.max_chars.is_none()
            && self.refuse.is_empty()
            && self.require.is_empty()
            && self.numbers.is_none()
    }

    /// Checks the rules of `block`'s guardrails; the first problem found.
    pub fn validate(&self, block: &str) -> Result<(), GuardrailError> {
        let error = |field: String, problem| GuardrailError {
            block: block.to_owned(),
            field: format!("guardrails.{field}"),
            problem,
        };
        for (field, value, max) in [
            ("max_words", self.max_words, MAX_WORDS_LIMIT),
            ("max_chars", self.max_chars, MAX_CHARS_LIMIT),
        ] {
            if value.is_some_and(|v| v == 0 || v > max) {
                return Err(error(field.to_owned(), GuardrailProblem::OutOfRange { max }));
            }
        }
        for (field, phrases) in [("refuse", &self.refuse), ("require", &self.require)] {
            if phrases.len() > MAX_PHRASES {
                return Err(error(field.to_owned(), GuardrailProblem::TooManyPhrases));
            }
            for (i, phrase) in phrases.iter().enumerate() {
                let length = phrase.chars().count();
                if phrase.trim().is_empty() || length > MAX_PHRASE_CHARS {
                    return Err(error(format!("{field}.{i}"), GuardrailProblem::BadPhrase));
                }
            }
        }
        let refused: BTreeSet<String> = self.refuse.iter().map(|p| normalize_phrase(p)).collect();
        if let Some(both) = self
            .require
            .iter()
            .find(|p| refused.contains(&normalize_phrase(p)))
        {
            return Err(error(
                "require".to_owned(),
                GuardrailProblem::Conflict(both.clone()),
            ));
        }
        if !self.source_numbers.is_empty() && self.numbers != Some(NumbersRule::Source) {
            return Err(error(
                "source_numbers".to_owned(),
                GuardrailProblem::SourceNumbersWritten,
            ));
        }
        let canonical =
            |n: &String| !n.is_empty() && n.len() <= 32 && n.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if self.source_numbers.len() > MAX_SOURCE_NUMBERS || !self.source_numbers.iter().all(canonical) {
            return Err(error(
                "source_numbers".to_owned(),
                GuardrailProblem::BadSourceNumbers,
            ));
        }
        Ok(())
    }

    /// Checks a draft (HTML; its text is judged) against every rule, in
    /// this order: `max_chars`, `max_words`, `refuse`, `require`, `numbers`.
    /// The first rule broken, or `Ok`.
    pub fn check(&self, html: &str) -> Result<(), Violation> {
        let text = text_of(html);
        let broken = |rule, detail: String| Err(Violation { rule, detail });
        if let Some(max) = self.max_chars {
            let chars = text.chars().count();
            if chars > max as usize {
                return broken(
                    GuardrailRule::MaxChars,
                    format!("{chars} characters; the limit is {max}"),
                );
            }
        }
        if let Some(max) = self.max_words {
            let words = word_count(&text);
            if words > max as usize {
                return broken(
                    GuardrailRule::MaxWords,
                    format!("{words} words; the limit is {max}"),
                );
            }
        }
        let lower = text.to_lowercase();
        if let Some(phrase) = self.refuse.iter().find(|p| lower.contains(&normalize_phrase(p))) {
            return broken(
                GuardrailRule::Refuse,
                format!("contains the refused phrase \"{phrase}\""),
            );
        }
        if let Some(phrase) = self
            .require
            .iter()
            .find(|p| !lower.contains(&normalize_phrase(p)))
        {
            return broken(
                GuardrailRule::Require,
                format!("lacks the required phrase \"{phrase}\""),
            );
        }
        if self.numbers == Some(NumbersRule::Source) {
            let allowed: BTreeSet<&str> = self.source_numbers.iter().map(String::as_str).collect();
            if let Some(number) = numbers_in(&text)
                .into_iter()
                .find(|n| !allowed.contains(canonical_number(n).as_str()))
            {
                return broken(
                    GuardrailRule::Numbers,
                    format!("states {number}, which is not in the block's source content"),
                );
            }
        }
        Ok(())
    }
}

/// The canonical numbers of `htmls`' text, sorted and without repeats:
/// what `source_numbers` holds for a block's variants.
pub fn source_numbers<'a>(htmls: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut numbers = BTreeSet::new();
    for html in htmls {
        let text = text_of(html);
        numbers.extend(numbers_in(&text).into_iter().map(canonical_number));
    }
    numbers.into_iter().collect()
}

/// A phrase as matched: lowercase, whitespace collapsed, trimmed.
fn normalize_phrase(phrase: &str) -> String {
    collapse_whitespace(&phrase.to_lowercase())
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Words of `text`: runs between whitespace holding at least one letter or
/// digit (a lone dash or bullet is not a word).
pub fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// Elements that do not break a word: their tags vanish from the text;
/// every other tag reads as a space.
const INLINE: [&str; 22] = [
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "i", "ins", "kbd", "mark",
    "q", "s", "samp", "small", "span", "strong", "u",
];

/// The text of an HTML fragment as a reader sees it: tags and comments
/// removed (a tag of a block element reads as a space), the common entities
/// decoded (`&amp;` `&lt;` `&gt;` `&quot;` `&apos;` `&#39;` `&nbsp;`,
/// numeric references), whitespace collapsed to single spaces, trimmed.
/// Meant for sanitized HTML (no `<script>` or `<style>` left); never panics.
pub fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(['<', '&']) {
        out.push_str(rest.get(..at).unwrap_or_default());
        rest = rest.get(at..).unwrap_or_default();
        if rest.starts_with('&') {
            let (decoded, used) = entity(rest);
            out.push(decoded);
            rest = rest.get(used..).unwrap_or_default();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after
                .find("-->")
                .and_then(|end| after.get(end + 3..))
                .unwrap_or_default();
            out.push(' ');
        } else if rest
            .get(1..)
            .and_then(|r| r.chars().next())
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'))
        {
            let (name, used) = tag(rest);
            if !INLINE.contains(&name.as_str()) {
                out.push(' ');
            }
            rest = rest.get(used..).unwrap_or_default();
        } else {
            out.push('<');
            rest = rest.get(1..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    collapse_whitespace(&out)
}

/// A tag at the start of `s` (which starts with `<`): its lowercase name and
/// its length in bytes, up to and including the `>` outside quotes (or the
/// whole rest when unclosed).
fn tag(s: &str) -> (String, usize) {
    let body = s.get(1..).unwrap_or_default();
    let name: String = body
        .trim_start_matches('/')
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut quote = None;
    for (i, c) in body.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return (name, i + 2),
            _ => {}
        }
    }
    (name, s.len())
}

/// The character an entity at the start of `s` (which starts with `&`)
/// stands for, and the bytes it takes; an unknown one is a literal `&`.
fn entity(s: &str) -> (char, usize) {
    let literal = ('&', 1);
    let Some(end) = s.bytes().skip(1).take(12).position(|b| b == b';') else {
        return literal;
    };
    let Some(name) = s.get(1..=end) else {
        return literal;
    };
    let decoded = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => name.strip_prefix('#').and_then(|n| {
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => n.parse::<u32>().ok(),
            };
            code.and_then(char::from_u32)
        }),
    };
    match decoded {
        Some(c) => (c, end + 2),
        None => literal,
    }
}

/// The numbers stated in `text`, as written: runs of ASCII digits, with
/// `.` or `,` between digits (`1,000`, `99.5`); `80%` states 80, `24/7`
/// states 24 and 7, `B2B` states 2. Spelled-out numbers are not found.
pub fn numbers_in(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            continue;
        }
        let start = i;
        while let Some(&b) = bytes.get(i) {
            let separator_then_digit =
                matches!(b, b'.' | b',') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if b.is_ascii_digit() || separator_then_digit {
                i += 1;
            } else {
                break;
            }
        }
        // Digits, dots and commas are ASCII: both ends are char boundaries.
        if let Some(number) = text.get(start..i) {
            found.push(number);
        }
    }
    found
}

/// A number as compared: thousands commas dropped (`1,000` is `1000`).
pub fn canonical_number(number: &str) -> String {
    number.chars().filter(|&c| c != ',').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(json: &str) -> Guardrails {
        serde_json::from_str(json).unwrap()
    }

    fn rule_of(g: &Guardrails, html: &str) -> Option<GuardrailRule> {
        g.check(html).err().map(|v| v.rule)
    }

    #[test]
    fn text_is_what_a_reader_sees() {
        assert_eq!(
            text_of("<h2 class=\"x\">Save&nbsp;<strong>time</strong></h2><p>Terms&amp;conditions</p>"),
            "Save time Terms&conditions"
        );
        assert_eq!(text_of("<p>a</p><p>b</p>"), "a b");
        assert_eq!(text_of("Sm<em>all</em> <!-- hidden -->print"), "Small print");
        assert_eq!(text_of("<a title=\"x > y\" href=\"/\">go</a>"), "go");
        assert_eq!(text_of("1 < 2 &unknown; &#65;&#x42;"), "1 < 2 &unknown; AB");
        assert_eq!(text_of("<p unclosed"), "");
    }

    #[test]
    fn words_and_characters_are_counted_on_the_text_not_the_markup() {
        let g = rules(r#"{"max_words": 3}"#);
        assert_eq!(rule_of(&g, "<p class=\"a b c d e\">one two — three</p>"), None);
        assert_eq!(
            rule_of(&g, "<p>one</p><p>two</p><p>three</p><p>four</p>"),
            Some(GuardrailRule::MaxWords)
        );
        let v = g.check("a b c d").unwrap_err();
        assert_eq!(v.detail, "4 words; the limit is 3");
        let g = rules(r#"{"max_chars": 5}"#);
        assert_eq!(
            rule_of(&g, "<strong>héllo</strong>"),
            None,
            "characters, not bytes"
        );
        assert_eq!(rule_of(&g, "<p>hello!</p>"), Some(GuardrailRule::MaxChars));
    }

    #[test]
    fn refused_phrases_match_case_insensitively_in_the_text() {
        let g = rules(r#"{"refuse": ["guarantee", "free  forever"]}"#);
        assert_eq!(rule_of(&g, "<p>We GUARANTEE it</p>"), Some(GuardrailRule::Refuse));
        assert_eq!(
            rule_of(&g, "<p>Free\n<b>forever</b></p>"),
            Some(GuardrailRule::Refuse)
        );
        assert_eq!(
            rule_of(&g, "<p>guaranteed</p>"),
            Some(GuardrailRule::Refuse),
            "anywhere"
        );
        assert_eq!(
            rule_of(&g, "<a href=\"/guarantee\">Plans</a>"),
            None,
            "not the markup"
        );
    }

    #[test]
    fn required_phrases_must_be_in_the_text() {
        let g = rules(r#"{"require": ["Terms apply"]}"#);
        assert_eq!(rule_of(&g, "<p>Save 10%. <small>terms   apply</small></p>"), None);
        assert_eq!(
            rule_of(&g, "<p title=\"Terms apply\">Save</p>"),
            Some(GuardrailRule::Require)
        );
        assert_eq!(
            g.check("<p>Save</p>").unwrap_err().detail,
            "lacks the required phrase \"Terms apply\""
        );
    }

    #[test]
    fn numbers_must_appear_in_the_source_content() {
        let mut g = rules(r#"{"numbers": "source"}"#);
        g.source_numbers = source_numbers(["<p>Save 20% on 1,000 seats, 14-day trial</p>", "<p>v2.5</p>"]);
        assert_eq!(g.source_numbers, ["1000", "14", "2.5", "20"]);
        assert_eq!(
            rule_of(&g, "<p>20% off 1000 seats for 14 days. No card.</p>"),
            None
        );
        let v = g.check("<p>Save 30% today</p>").unwrap_err();
        assert_eq!(v.rule, GuardrailRule::Numbers);
        assert_eq!(v.detail, "states 30, which is not in the block's source content");
        assert_eq!(
            rule_of(&g, "<a href=\"/p/99\">Plans</a>"),
            None,
            "markup is not text"
        );
        assert_eq!(rule_of(&rules("{}"), "<p>99</p>"), None, "no rule: any number");
    }

    #[test]
    fn numbers_are_runs_of_digits_with_inner_separators() {
        assert_eq!(
            numbers_in("80% of 1,000.5, in 2024. 24/7 B2B .5 x1."),
            ["80", "1,000.5", "2024", "24", "7", "2", "5", "1"]
        );
        assert_eq!(canonical_number("1,000.5"), "1000.5");
    }

    #[test]
    fn rules_are_checked_in_a_fixed_order() {
        let g = rules(r#"{"max_words": 2, "refuse": ["bad"]}"#);
        assert_eq!(rule_of(&g, "bad bad bad"), Some(GuardrailRule::MaxWords));
        assert_eq!(GuardrailRule::MaxWords.label(), "guardrail:max_words");
        for rule in GuardrailRule::ALL {
            assert_eq!(GuardrailRule::from_name(rule.name()), rule);
        }
        assert_eq!(GuardrailRule::from_name("tone"), GuardrailRule::Generator);
    }

    #[test]
    fn bad_settings_are_refused_naming_the_block_and_field() {
        let cases = [
            (r#"{"max_words": 0}"#, "blocks.cta.generate.guardrails.max_words: must be a whole number from 1 to 10000"),
            (r#"{"max_chars": 70000}"#, "blocks.cta.generate.guardrails.max_chars: must be a whole number from 1 to 65536"),
            (r#"{"refuse": ["ok", "  "]}"#, "blocks.cta.generate.guardrails.refuse.1: a phrase is 1 to 200 characters of text (not only spaces)"),
            (r#"{"refuse": ["Terms"], "require": ["terms"]}"#, "blocks.cta.generate.guardrails.require: `terms` is both refused and required"),
            (r#"{"source_numbers": ["1"]}"#, "blocks.cta.generate.guardrails.source_numbers: computed when the catalog is built (from the block's variants, with `\"numbers\": \"source\"`); do not write it"),
            (r#"{"numbers": "source", "source_numbers": ["1e9"]}"#, "blocks.cta.generate.guardrails.source_numbers: at most 1024 numbers of digits and dots"),
        ];
        for (json, message) in cases {
            let error = rules(json).validate("cta").unwrap_err();
            assert_eq!(error.to_string(), message);
            let as_validation = ValidationError::from(error);
            assert_eq!(as_validation.to_string(), message);
        }
        let many = serde_json::json!({ "require": vec!["x"; MAX_PHRASES + 1] }).to_string();
        assert_eq!(
            rules(&many).validate("cta").unwrap_err().problem,
            GuardrailProblem::TooManyPhrases
        );
        assert!(rules(r#"{"max_words": 40, "max_chars": 280, "refuse": ["guarantee"], "require": ["Terms apply"], "numbers": "source"}"#).validate("cta").is_ok());
        assert!(
            serde_json::from_str::<Guardrails>(r#"{"max_word": 3}"#).is_err(),
            "typos are refused"
        );
        assert!(serde_json::from_str::<Guardrails>(r#"{"numbers": "any"}"#).is_err());
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn text_extraction_never_panics_and_collapses_whitespace(html in ".{0,300}") {
            let text = text_of(&html);
            prop_assert!(!text.contains("  ") && text.trim() == text);
        }

        #[test]
        fn markup_like_input_never_panics(html in "[<>&;#x0-9a-z\"'/! =-]{0,200}") {
            let text = text_of(&html);
            let _ = word_count(&text);
            let _ = source_numbers([html.as_str()]);
        }

        #[test]
        fn numbers_found_are_in_the_text(text in ".{0,300}") {
            for number in numbers_in(&text) {
                prop_assert!(text.contains(number));
                prop_assert!(number.bytes().next().is_some_and(|b| b.is_ascii_digit()));
                prop_assert!(number.bytes().last().is_some_and(|b| b.is_ascii_digit()));
                prop_assert!(canonical_number(number).bytes().all(|b| b.is_ascii_digit() || b == b'.'));
            }
        }

        #[test]
        fn a_draft_made_of_source_numbers_passes_the_numbers_rule(a in 0u32..100_000, b in 0u32..1000) {
            let source = format!("<p>From {a} to {b}.{a}</p>");
            let g = Guardrails { numbers: Some(NumbersRule::Source), source_numbers: source_numbers([source.as_str()]), ..Guardrails::default() };
            let draft = format!("<p>{b}.{a} then {a}</p>");
            prop_assert!(g.check(&draft).is_ok());
        }
    }
}
