//! The fragment sanitizer: the publish-time HTML policy for content variants.
//!
//! Origin teams publish HTML fragments (a hero, a CTA, a pricing highlight)
//! that the page worker splices into pages. When a catalog is published every
//! fragment goes through [`sanitize_fragment`]:
//!
//! 1. **Detection.** html5ever's tokenizer walks the fragment as the author
//!    wrote it (entities decoded, names lower-cased, exactly as a browser
//!    tokenizes it). Anything outside the allow-list below refuses the
//!    fragment, and every piece found is named for the publisher: an element,
//!    an attribute, a URL with a scheme other than `http`, `https`, `mailto`
//!    or `tel`, a `<!DOCTYPE>`. Comments are fine (they are dropped).
//! 2. **Cleaning** (defense in depth). A safe fragment is stored as ammonia's
//!    output under the same allow-list, so what is served has been parsed
//!    and re-serialized by the HTML5 tree builder.
//! 3. **Stability.** The stored fragment is content-addressed (SHA-256), and
//!    the CLI and the control worker must agree on its bytes: the cleaned
//!    HTML is cleaned again and must come out unchanged. Markup that the
//!    parser would rearrange on every pass (the raw material of mutation
//!    XSS) is refused instead of stored.
//!
//! # The allow-list
//!
//! | what | allowed |
//! | --- | --- |
//! | elements | `a abbr article aside b blockquote br button caption cite code dd del details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header hr i img ins kbd li mark nav ol p picture pre q s section small source span strong sub summary sup table tbody td tfoot th thead time tr u ul wbr` |
//! | on every element | `class id title lang dir role hidden`, `aria-*`, `data-*` (names of `a-z 0-9 - _ .` only) |
//! | `a` | `href target rel hreflang` (`rel` is always replaced by `noopener noreferrer`) |
//! | `img` | `src srcset sizes alt width height loading decoding` |
//! | `source` | `srcset sizes media type width height` |
//! | `time` | `datetime` |
//! | `td`, `th` | `colspan rowspan scope headers` |
//! | `ol` | `start reversed type` |
//! | `button` | `type name value disabled` |
//! | `blockquote`, `q` | `cite` |
//! | `del`, `ins` | `cite datetime` |
//! | `details` | `open` |
//! | URL schemes | `http https mailto tel`, and relative URLs (`/pricing#plan`, `#faq`, `../x`) |
//!
//! URLs (`href`, `src`, `cite`, every `srcset` candidate) are judged the way
//! a browser reads them: entities decoded, leading and trailing C0 controls
//! and spaces stripped, tabs and newlines removed anywhere, the scheme
//! compared case-insensitively. So `jav&#x09;ascript:`, ` JAVASCRIPT:`,
//! `data:` and `vbscript:` are all refused. They are also parsed with the
//! same URL parser ammonia uses, so a URL ammonia would silently drop (say
//! `https://exa mple.com`) is refused rather than lost.
//!
//! Everything else is refused: `script`, `style`, `iframe`, `object`,
//! `embed`, `form` and its controls, `base`, `link`, `meta`, `template`,
//! `noscript`, `title`, SVG and MathML, ...; event handlers (`on*`),
//! `style`, `srcdoc`, `formaction`, ... . The list is an allow-list on
//! purpose: an element or attribute nobody thought about is refused.
//!
//! # Bounded work
//!
//! The HTML tree builder does work proportional to the nesting depth on
//! many tokens, and re-opens formatting elements left open across blocks in
//! every later block. So detection also refuses more than 100 elements open
//! at once (void elements and those whose end tag is optional not counted),
//! more than 12 open formatting elements (`a b big code em font i nobr s
//! small strike strong tt u`), and cleaning refuses output over 8 times the
//! input (plus 4 KiB). Inputs over 1 MiB are refused unread (callers cap
//! fragments at 64 KiB). A 64 KiB fragment then takes milliseconds.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::fmt;

use ammonia::url::{ParseError, Url};
use ammonia::{Builder, UrlRelative};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::{Attribute, LocalName};

/// Elements a fragment may contain: structural and text-level markup of
/// marketing blocks. Besides the usual text elements, `button` (harmless
/// outside a form; the page's own scripts may wire it), `picture`/`source`
/// (responsive images) and `details`/`summary` (FAQ blocks) are kept.
/// Not here, on purpose: `area`/`map` (image maps, rarely authored by hand),
/// `col`/`colgroup` (presentational), `font`/`center` (obsolete), and every
/// element that switches the parser into raw text or foreign content.
const ALLOWED_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "article",
    "aside",
    "b",
    "blockquote",
    "br",
    "button",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "nav",
    "ol",
    "p",
    "picture",
    "pre",
    "q",
    "s",
    "section",
    "small",
    "source",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
    "wbr",
];

/// Attributes allowed on every allowed element.
const GENERIC_ATTRIBUTES: &[&str] = &["class", "id", "title", "lang", "dir", "role", "hidden"];

/// Attribute name prefixes allowed on every allowed element. The rest of the
/// name must be made of [`is_custom_attribute_char`] characters.
const GENERIC_ATTRIBUTE_PREFIXES: &[&str] = &["aria-", "data-"];

/// Attributes allowed on one element only. `del`/`ins` also get `datetime`
/// (their own standard attribute, as harmless as `time`'s).
const ELEMENT_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("a", &["href", "target", "rel", "hreflang"]),
    (
        "img",
        &[
            "src", "srcset", "sizes", "alt", "width", "height", "loading", "decoding",
        ],
    ),
    ("source", &["srcset", "sizes", "media", "type", "width", "height"]),
    ("time", &["datetime"]),
    ("td", &["colspan", "rowspan", "scope", "headers"]),
    ("th", &["colspan", "rowspan", "scope", "headers"]),
    ("ol", &["start", "reversed", "type"]),
    ("button", &["type", "name", "value", "disabled"]),
    ("blockquote", &["cite"]),
    ("q", &["cite"]),
    ("del", &["cite", "datetime"]),
    ("ins", &["cite", "datetime"]),
    ("details", &["open"]),
];

/// URL schemes a fragment's URLs may use; relative URLs are allowed too.
const URL_SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

/// Attributes whose value is a single URL, checked wherever they appear (also
/// on refused elements, so the message names the URL as well).
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "cite",
    "action",
    "formaction",
    "poster",
    "data",
    "ping",
    "background",
    "xlink:href",
];

/// What ammonia sets as every link's `rel` (its default). Ammonia owns the
/// attribute: a publisher's own `rel` is accepted by detection but replaced.
const LINK_REL: &str = "noopener noreferrer";

/// Most problems reported for one fragment.
const MAX_PROBLEMS: usize = 10;

/// Largest input examined. Callers cap fragments at 64 KiB; this backstop
/// keeps the function's work bounded on its own.
const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// Most elements open at once, counting every element whose end tag is
/// required and has not been seen yet. The HTML tree builder spends time
/// proportional to this depth on many tokens (scope checks, reconstructing
/// formatting elements, the adoption agency), so 64 KiB nested 10,000 deep
/// costs over a second to parse twice; real fragments nest a dozen deep.
const MAX_DEPTH: usize = 100;

/// Most formatting elements (`<b>`, `<em>`, `<a>`, ...) open at once. The
/// tree builder re-opens a formatting element left open across a closed
/// block in every later block, so 99 unclosed `<b class=..>` followed by
/// 7,000 paragraphs parse into 700,000 elements.
const MAX_OPEN_FORMATTING: usize = 12;

/// How much larger than its input the cleaned HTML may be (plus
/// [`EXPANSION_SLACK`]). Escaping and the `rel` ammonia adds to links grow a
/// fragment at most about 6-fold; more means the parser multiplied elements.
const MAX_EXPANSION: usize = 8;

/// Bytes of growth always allowed, whatever the input's size.
const EXPANSION_SLACK: usize = 4096;

/// Longest element, attribute or scheme name quoted in a message.
const MAX_NAME_CHARS: usize = 40;

/// One piece of markup the allow-list refuses, described for the publisher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafeMarkup {
    /// What was found and where, e.g. ``"`onclick` attribute on <img>"`` or
    /// ``"`javascript:` URL in `href` of <a>"``.
    pub what: String,
}

impl fmt::Display for UnsafeMarkup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

/// Checks `html` against the fragment allow-list. Ok: ammonia's cleaned HTML
/// (what gets stored and served). Err: every unsafe piece found
/// (deduplicated, in document order, at most 10).
///
/// The `Ok` output is stable: `sanitize_fragment` of it returns it unchanged.
///
/// # Errors
///
/// The unsafe markup found (including nesting beyond the limits in the
/// module docs); or, as a single item, an input over 1 MiB, or markup the
/// HTML parser would multiply or rearrange again on every parse.
pub fn sanitize_fragment(html: &str) -> Result<String, Vec<UnsafeMarkup>> {
    if html.len() > MAX_INPUT_BYTES {
        return Err(vec![UnsafeMarkup {
            what: format!(
                "a fragment of {} bytes (at most {} bytes are accepted)",
                html.len(),
                MAX_INPUT_BYTES
            ),
        }]);
    }
    let problems = detect(html);
    if !problems.is_empty() {
        return Err(problems);
    }
    let builder = cleaner();
    let cleaned = clean(&builder, html);
    let limit = html
        .len()
        .saturating_mul(MAX_EXPANSION)
        .saturating_add(EXPANSION_SLACK);
    if cleaned.len() > limit {
        return Err(vec![UnsafeMarkup {
            what: format!(
                "markup the HTML parser expands more than {MAX_EXPANSION}-fold \
                 (formatting elements left open across blocks?)"
            ),
        }]);
    }
    if clean(&builder, &cleaned) != cleaned {
        return Err(vec![UnsafeMarkup {
            what: "markup the HTML parser rearranges each time it is parsed \
                   (mis-nested or misplaced elements): write it well-formed"
                .to_owned(),
        }]);
    }
    Ok(cleaned)
}

// ---------------------------------------------------------------------------
// Detection
// ---------------------------------------------------------------------------

/// Tokenizes `html` and returns what the allow-list refuses.
fn detect(html: &str) -> Vec<UnsafeMarkup> {
    let tokenizer = Tokenizer::new(Detector::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // The detector never asks the tokenizer to pause (no `Script` results),
    // so one feed consumes the whole input.
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.found.take()
}

/// The token sink that collects problems. The tokenizer calls it through
/// `&self`, hence the cells.
#[derive(Default)]
struct Detector {
    found: Cell<Vec<UnsafeMarkup>>,
    /// How many `<svg>`/`<math>` elements are open: inside them the tree
    /// builder keeps the tokenizer in its data state (no raw text) and reads
    /// `<![CDATA[`. An approximation of foreign content (integration points
    /// are not modelled); any fragment that enters it is refused anyway,
    /// this only keeps the later messages close to what a browser sees.
    foreign_depth: Cell<usize>,
    /// The HTML elements opened and not closed yet, as in [`counts_for_depth`]
    /// (at most [`MAX_DEPTH`] + 1 are kept).
    open: Cell<Vec<LocalName>>,
    /// How many of `open` are formatting elements ([`is_formatting`]).
    open_formatting: Cell<usize>,
}

impl TokenSink for Detector {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => self.tag(&tag),
            Token::DoctypeToken(_) => {
                self.report("<!DOCTYPE> declaration (a fragment is not a document)".to_owned());
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        }
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.foreign_depth.get() > 0
    }
}

impl Detector {
    fn report(&self, what: String) {
        let mut found = self.found.take();
        if found.len() < MAX_PROBLEMS && !found.iter().any(|f| f.what == what) {
            found.push(UnsafeMarkup { what });
        }
        self.found.set(found);
    }

    fn tag(&self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        if tag.kind == TagKind::EndTag {
            // Attributes on end tags are dropped by the parser: nothing to check.
            if matches!(name, "svg" | "math") {
                self.foreign_depth.set(self.foreign_depth.get().saturating_sub(1));
            } else if matches!(name, "br" | "p") {
                self.foreign_depth.set(0);
            }
            let mut open = self.open.take();
            if let Some(at) = open.iter().rposition(|n| *n == tag.name) {
                open.remove(at);
                if is_formatting(name) {
                    self.open_formatting
                        .set(self.open_formatting.get().saturating_sub(1));
                }
            }
            self.open.set(open);
            return TokenSinkResult::Continue;
        }
        if self.foreign_depth.get() > 0 && breaks_out_of_foreign_content(name, &tag.attrs) {
            self.foreign_depth.set(0);
        }
        let in_foreign = self.foreign_depth.get() > 0;
        if !in_foreign && counts_for_depth(name) {
            let mut open = self.open.take();
            if open.len() <= MAX_DEPTH {
                open.push(tag.name.clone());
                if is_formatting(name) {
                    self.open_formatting
                        .set(self.open_formatting.get().saturating_add(1));
                }
            }
            let too_deep = open.len() > MAX_DEPTH;
            self.open.set(open);
            if too_deep {
                self.report(format!(
                    "elements nested more than {MAX_DEPTH} deep (counting elements left unclosed)"
                ));
            }
            if self.open_formatting.get() > MAX_OPEN_FORMATTING {
                self.report(format!(
                    "more than {MAX_OPEN_FORMATTING} formatting elements (<b>, <em>, <a>...) \
                     open at once (close each where it ends)"
                ));
            }
        }
        if !ALLOWED_ELEMENTS.contains(&name) {
            if matches!(name, "svg" | "math") {
                self.report(format!("<{name}> element (SVG and MathML are not allowed)"));
            } else {
                self.report(format!("<{}> element", clip(name)));
            }
        }
        for attr in &tag.attrs {
            self.attribute(name, &attr.name.local, &attr.value);
        }

        if matches!(name, "svg" | "math") {
            if !tag.self_closing {
                self.foreign_depth.set(self.foreign_depth.get().saturating_add(1));
            }
            return TokenSinkResult::Continue;
        }
        if in_foreign {
            return TokenSinkResult::Continue;
        }
        // What the tree builder tells the tokenizer for these elements in
        // HTML content (scripting enabled, as ammonia's parser and browsers
        // run), so the rest of the fragment is read as a browser reads it:
        // `<noscript><p title="</noscript><img onerror=...>">` has an <img>.
        match name {
            "script" => TokenSinkResult::RawData(RawKind::ScriptData),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                TokenSinkResult::RawData(RawKind::Rawtext)
            }
            "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
            "plaintext" => TokenSinkResult::Plaintext,
            _ => TokenSinkResult::Continue,
        }
    }

    fn attribute(&self, element: &str, name: &str, value: &str) {
        // On a refused element the element is the problem; its attributes
        // are named only when no element may carry them (`srcdoc`, `on*`).
        let allowed = if ALLOWED_ELEMENTS.contains(&element) {
            attribute_allowed(element, name)
        } else {
            attribute_allowed_somewhere(name)
        };
        if !allowed {
            self.report(format!("`{}` attribute on <{}>", clip(name), clip(element)));
        }
        if URL_ATTRIBUTES.contains(&name) {
            if let Some(problem) = url_problem(value) {
                self.report(format!("{problem} in `{name}` of <{}>", clip(element)));
            }
        } else if name == "srcset" {
            for url in srcset_urls(value) {
                if let Some(problem) = url_problem(url) {
                    self.report(format!("{problem} in `srcset` of <{}>", clip(element)));
                }
            }
        }
    }
}

/// Whether `name` may appear on the allowed `element`.
fn attribute_allowed(element: &str, name: &str) -> bool {
    generic_attribute(name)
        || ELEMENT_ATTRIBUTES
            .iter()
            .any(|(e, attributes)| *e == element && attributes.contains(&name))
}

/// Whether some allowed element may carry `name`.
fn attribute_allowed_somewhere(name: &str) -> bool {
    generic_attribute(name)
        || ELEMENT_ATTRIBUTES
            .iter()
            .any(|(_, attributes)| attributes.contains(&name))
}

/// Whether `name` is allowed on every allowed element.
fn generic_attribute(name: &str) -> bool {
    GENERIC_ATTRIBUTES.contains(&name)
        || GENERIC_ATTRIBUTE_PREFIXES.iter().any(|prefix| {
            name.strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty() && rest.chars().all(is_custom_attribute_char))
        })
}

/// Whether an HTML start tag `name` stays open until its end tag: not a
/// void element, and not one whose end tag may be omitted (the tree builder
/// closes those itself, and they cannot nest without a counted element
/// between, such as a list or a table).
fn counts_for_depth(name: &str) -> bool {
    !matches!(
        name,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "frame"
            | "hr"
            | "image"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "p"
            | "li"
            | "dt"
            | "dd"
            | "tr"
            | "td"
            | "th"
            | "thead"
            | "tbody"
            | "tfoot"
            | "caption"
            | "colgroup"
            | "option"
            | "optgroup"
            | "rb"
            | "rt"
            | "rtc"
            | "rp"
            | "html"
            | "head"
            | "body"
    )
}

/// The HTML standard's formatting elements: the ones the tree builder
/// re-opens after a block closes them implicitly.
fn is_formatting(name: &str) -> bool {
    matches!(
        name,
        "a" | "b"
            | "big"
            | "code"
            | "em"
            | "font"
            | "i"
            | "nobr"
            | "s"
            | "small"
            | "strike"
            | "strong"
            | "tt"
            | "u"
    )
}

/// The characters allowed after `data-` and `aria-`. The tokenizer has
/// already lower-cased ASCII letters.
fn is_custom_attribute_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
}

/// The start tags that end foreign content in the tree builder (HTML's
/// "in foreign content" insertion mode).
fn breaks_out_of_foreign_content(name: &str, attrs: &[Attribute]) -> bool {
    match name {
        "b" | "big" | "blockquote" | "body" | "br" | "center" | "code" | "dd" | "div" | "dl" | "dt"
        | "em" | "embed" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "head" | "hr" | "i" | "img" | "li"
        | "listing" | "menu" | "meta" | "nobr" | "ol" | "p" | "pre" | "ruby" | "s" | "small" | "span"
        | "strong" | "strike" | "sub" | "sup" | "table" | "tt" | "u" | "ul" | "var" => true,
        "font" => attrs
            .iter()
            .any(|a| matches!(&*a.name.local, "color" | "face" | "size")),
        _ => false,
    }
}

/// What is wrong with a URL attribute's (entity-decoded) value, if anything:
/// "`javascript:` URL" or "unparsable URL".
fn url_problem(value: &str) -> Option<String> {
    if let Some(scheme) = browser_scheme(value) {
        if !URL_SCHEMES.contains(&scheme.as_str()) {
            return Some(format!("`{}:` URL", clip(&scheme)));
        }
    }
    // The URL parser ammonia filters with: whatever it would drop is refused
    // here rather than silently lost.
    match Url::parse(value) {
        Ok(url) if URL_SCHEMES.contains(&url.scheme()) => None,
        Ok(url) => Some(format!("`{}:` URL", clip(url.scheme()))),
        Err(ParseError::RelativeUrlWithoutBase) => None,
        Err(_) => Some("unparsable URL".to_owned()),
    }
}

/// The scheme a browser sees in `value`, lower-cased: leading and trailing
/// C0 controls and spaces stripped, ASCII tabs and newlines removed
/// anywhere (the URL standard's preprocessing), then `ALPHA *( ALPHA /
/// DIGIT / "+" / "-" / "." ) ":"`. `None` for a relative URL.
fn browser_scheme(value: &str) -> Option<String> {
    let trimmed = value.trim_matches(|c: char| c <= ' ');
    let mut chars = trimmed.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r'));
    let first = chars.next()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let mut scheme = String::new();
    scheme.push(first.to_ascii_lowercase());
    for c in chars {
        match c {
            ':' => return Some(scheme),
            c if c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.') => {
                scheme.push(c.to_ascii_lowercase());
            }
            _ => return None,
        }
    }
    None
}

/// The candidate URLs of a `srcset` value, following the HTML standard's
/// parser closely enough for a scheme check: candidates are separated by
/// commas, a URL is a run of non-whitespace (trailing commas excluded), its
/// descriptors run to the next comma outside parentheses.
fn srcset_urls(value: &str) -> Vec<&str> {
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r');
    let mut urls = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| is_space(c) || c == ',');
        if rest.is_empty() {
            break;
        }
        let end = rest.find(is_space).unwrap_or(rest.len());
        let Some((url, after)) = rest.split_at_checked(end) else {
            break;
        };
        let bare = url.trim_end_matches(',');
        urls.push(bare);
        if bare.len() < url.len() {
            // `a.jpg,b.jpg`: the commas ended the candidate, no descriptors.
            rest = after;
            continue;
        }
        let mut depth = 0usize;
        let mut next = "";
        for (i, c) in after.char_indices() {
            match c {
                '(' => depth = depth.saturating_add(1),
                ')' => depth = depth.saturating_sub(1),
                ',' if depth == 0 => {
                    next = after.get(i..).unwrap_or("");
                    break;
                }
                _ => {}
            }
        }
        rest = next;
    }
    urls
}

/// `name` cut to [`MAX_NAME_CHARS`] characters for a message.
fn clip(name: &str) -> String {
    match name.char_indices().nth(MAX_NAME_CHARS) {
        Some((end, _)) => format!("{}…", name.get(..end).unwrap_or(name)),
        None => name.to_owned(),
    }
}

// ---------------------------------------------------------------------------
// Cleaning
// ---------------------------------------------------------------------------

/// The ammonia configuration matching the allow-list above.
fn cleaner() -> Builder<'static> {
    let tags: HashSet<&'static str> = ALLOWED_ELEMENTS.iter().copied().collect();
    let generic: HashSet<&'static str> = GENERIC_ATTRIBUTES.iter().copied().collect();
    let prefixes: HashSet<&'static str> = GENERIC_ATTRIBUTE_PREFIXES.iter().copied().collect();
    // `rel` stays out: ammonia sets it on every link (`link_rel`) and refuses
    // (asserts) a configuration that also allows it.
    let per_element: HashMap<&'static str, HashSet<&'static str>> = ELEMENT_ATTRIBUTES
        .iter()
        .map(|(element, attributes)| {
            let kept = attributes
                .iter()
                .copied()
                .filter(|a| !(*element == "a" && *a == "rel"))
                .collect();
            (*element, kept)
        })
        .collect();
    let schemes: HashSet<&'static str> = URL_SCHEMES.iter().copied().collect();

    let mut builder = Builder::empty();
    builder
        .tags(tags)
        .generic_attributes(generic)
        .generic_attribute_prefixes(prefixes)
        .tag_attributes(per_element)
        .url_schemes(schemes)
        .url_relative(UrlRelative::PassThrough)
        .link_rel(Some(LINK_REL))
        .strip_comments(true);
    builder
}

/// Ammonia's output for `html`, with the one serialization detail that would
/// not survive a second parse put back (see [`restore_pre_newline`]).
fn clean(builder: &Builder<'_>, html: &str) -> String {
    restore_pre_newline(&builder.clean(html).to_string())
}

/// The parser drops a newline right after `<pre>`, and html5ever's
/// serializer does not write one back when the text starts with a newline,
/// so `<pre>\n\nx` would lose one newline per pass. Doubling the newline
/// after each `<pre ...>` start tag keeps the DOM and makes the output a
/// fixed point. Safe on ammonia's output: there `<` and `>` only occur in
/// tags (text and attribute values have them escaped) and no comments remain.
fn restore_pre_newline(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<pre") {
        let Some((before, from)) = rest.split_at_checked(at) else {
            break;
        };
        out.push_str(before);
        let after_name = from.get("<pre".len()..).unwrap_or("");
        out.push_str("<pre");
        rest = after_name;
        if !(after_name.starts_with(' ') || after_name.starts_with('>')) {
            continue;
        }
        let Some(tag_end) = after_name.find('>') else {
            continue;
        };
        let Some((tag_rest, content)) = after_name.split_at_checked(tag_end.saturating_add(1)) else {
            continue;
        };
        out.push_str(tag_rest);
        if content.starts_with('\n') {
            out.push('\n');
        }
        rest = content;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn refusal(html: &str) -> Vec<String> {
        match sanitize_fragment(html) {
            Ok(s) => panic!("{html:?} was accepted as {s:?}"),
            Err(found) => found.into_iter().map(|f| f.what).collect(),
        }
    }

    fn accepted(html: &str) -> String {
        match sanitize_fragment(html) {
            Ok(s) => s,
            Err(found) => panic!("{html:?} was refused: {found:?}"),
        }
    }

    fn demo_fragments() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog/demo");
        let mut out = Vec::new();
        for block in std::fs::read_dir(&root).unwrap() {
            let block = block.unwrap().path();
            if !block.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&block).unwrap() {
                let file = file.unwrap().path();
                if file.extension().is_some_and(|e| e == "html") {
                    let html = std::fs::read_to_string(&file).unwrap();
                    out.push((file.display().to_string(), html));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn every_demo_fragment_passes_and_its_cleaned_form_is_stable() {
        let fragments = demo_fragments();
        assert!(fragments.len() >= 30, "found {} demo fragments", fragments.len());
        for (path, html) in fragments {
            let cleaned =
                sanitize_fragment(&html).unwrap_or_else(|found| panic!("{path} refused: {found:?}"));
            assert_eq!(sanitize_fragment(&cleaned), Ok(cleaned.clone()), "{path}");
            assert_eq!(clean(&cleaner(), &cleaned), cleaned, "{path}");
            assert!(cleaned.contains("data-variant=\""), "{path}: {cleaned}");
            assert!(cleaned.contains("class=\""), "{path}: {cleaned}");
        }
    }

    #[test]
    fn demo_markup_keeps_its_classes_data_attributes_links_and_entities() {
        let html = r#"<p class="eyebrow" data-variant="dev">API-first &middot; REST &amp; webhooks</p><a class="btn" href="/docs/#api-keys">Get a key</a><span aria-hidden="true">x</span>"#;
        assert_eq!(
            accepted(html),
            "<p class=\"eyebrow\" data-variant=\"dev\">API-first \u{b7} REST &amp; webhooks</p>\
             <a class=\"btn\" href=\"/docs/#api-keys\" rel=\"noopener noreferrer\">Get a key</a>\
             <span aria-hidden=\"true\">x</span>"
        );
    }

    #[test]
    fn unsafe_markup_is_refused_naming_what_is_unsafe() {
        let cases: &[(&str, &str)] = &[
            ("<script>alert(1)</script>", "<script> element"),
            (
                "<p>hi</p><SCRIPT SRC=//evil.example/x.js></SCRIPT>",
                "<script> element",
            ),
            ("<img src=x onerror=alert(1)>", "`onerror` attribute on <img>"),
            ("<div onclick=\"go()\">x</div>", "`onclick` attribute on <div>"),
            (
                "<a href=\"javascript:alert(1)\">x</a>",
                "`javascript:` URL in `href` of <a>",
            ),
            (
                "<a href=\"  JaVaScRiPt:alert(1)\">x</a>",
                "`javascript:` URL in `href` of <a>",
            ),
            (
                "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
                "`javascript:` URL in `href` of <a>",
            ),
            (
                "<a href=\"java\nscript:alert(1)\">x</a>",
                "`javascript:` URL in `href` of <a>",
            ),
            (
                "<a href=\"&#x01;javascript:alert(1)\">x</a>",
                "`javascript:` URL in `href` of <a>",
            ),
            (
                "<a href=\"&#106;avascript&colon;alert(1)\">x</a>",
                "`javascript:` URL in `href` of <a>",
            ),
            (
                "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
                "`data:` URL in `href` of <a>",
            ),
            (
                "<a href=\"vbscript:msgbox(1)\">x</a>",
                "`vbscript:` URL in `href` of <a>",
            ),
            (
                "<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">",
                "`data:` URL in `src` of <img>",
            ),
            (
                "<img srcset=\"/a.png 1x, javascript:alert(1) 2x\">",
                "`javascript:` URL in `srcset` of <img>",
            ),
            (
                "<blockquote cite=\"javascript:alert(1)\">q</blockquote>",
                "`javascript:` URL in `cite` of <blockquote>",
            ),
            (
                "<a href=\"https://exa mple.com/\">x</a>",
                "unparsable URL in `href` of <a>",
            ),
            (
                "<svg><script>alert(1)</script></svg>",
                "<svg> element (SVG and MathML are not allowed)",
            ),
            ("<svg><script>alert(1)</script></svg>", "<script> element"),
            (
                "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
                "<math> element (SVG and MathML are not allowed)",
            ),
            (
                "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
                "<style> element",
            ),
            (
                "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
                "<iframe> element",
            ),
            (
                "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
                "`srcdoc` attribute on <iframe>",
            ),
            (
                "<form action=\"https://evil.example/\"><input name=q></form>",
                "<form> element",
            ),
            (
                "<form action=\"https://evil.example/\"><input name=q></form>",
                "<input> element",
            ),
            (
                "<button formaction=\"javascript:alert(1)\">x</button>",
                "`formaction` attribute on <button>",
            ),
            (
                "<button formaction=\"javascript:alert(1)\">x</button>",
                "`javascript:` URL in `formaction` of <button>",
            ),
            (
                "<div style=\"background:url(javascript:alert(1))\">x</div>",
                "`style` attribute on <div>",
            ),
            (
                "<form action=\"javascript:alert(1)\">",
                "`action` attribute on <form>",
            ),
            (
                "<form action=\"javascript:alert(1)\">",
                "`javascript:` URL in `action` of <form>",
            ),
            ("<base href=\"https://evil.example/\">", "<base> element"),
            (
                "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
                "<meta> element",
            ),
            (
                "<link rel=stylesheet href=//evil.example/x.css>",
                "<link> element",
            ),
            ("<style>body{display:none}</style>", "<style> element"),
            ("<object data=\"x.swf\"></object>", "<object> element"),
            ("<embed src=\"x.swf\">", "<embed> element"),
            (
                "<template><img src=x onerror=alert(1)></template>",
                "<template> element",
            ),
            (
                "<textarea><img src=x onerror=alert(1)></textarea>",
                "<textarea> element",
            ),
            ("<title>x</title>", "<title> element"),
            ("<xmp><img src=x onerror=alert(1)></xmp>", "<xmp> element"),
            ("<plaintext>anything", "<plaintext> element"),
            ("<noembed>x</noembed>", "<noembed> element"),
            ("<noframes>x</noframes>", "<noframes> element"),
            ("<frame src=x>", "<frame> element"),
            ("<applet code=x></applet>", "<applet> element"),
            ("<select><option>x</select>", "<select> element"),
            (
                "<!DOCTYPE html><p>x</p>",
                "<!DOCTYPE> declaration (a fragment is not a document)",
            ),
            ("<body onload=alert(1)>", "<body> element"),
            ("<div data-x<y=1>x</div>", "`data-x<y` attribute on <div>"),
            (
                "<a href=/x ping=\"https://t.example/\">x</a>",
                "`ping` attribute on <a>",
            ),
        ];
        for (html, expected) in cases {
            let found = refusal(html);
            assert!(
                found.iter().any(|f| f == expected),
                "{html:?}: expected {expected:?} among {found:?}"
            );
        }
    }

    #[test]
    fn an_image_hidden_in_a_noscript_attribute_is_found_as_a_browser_parses_it() {
        let found = refusal(r#"<noscript><p title="</noscript><img src=x onerror=alert(1)>">"#);
        assert_eq!(found, ["<noscript> element", "`onerror` attribute on <img>"]);
    }

    #[test]
    fn markup_inside_a_script_is_text_not_more_problems() {
        let found = refusal("<script>document.write('<img src=x onerror=alert(1)>')</script>");
        assert_eq!(found, ["<script> element"]);
    }

    #[test]
    fn several_problems_are_reported_together_in_document_order() {
        let found = refusal(
            "<div style=\"color:red\" onclick=\"x()\"><script>1</script>\
             <a href=\"javascript:alert(1)\">x</a><iframe src=\"https://a.example/\"></iframe></div>",
        );
        assert_eq!(
            found,
            [
                "`style` attribute on <div>",
                "`onclick` attribute on <div>",
                "<script> element",
                "`javascript:` URL in `href` of <a>",
                "<iframe> element",
            ]
        );
    }

    #[test]
    fn repeated_problems_are_reported_once_and_at_most_ten() {
        assert_eq!(refusal(&"<script></script>".repeat(50)), ["<script> element"]);
        let many: String = (0..30).map(|i| format!("<div onx{i}=1></div>")).collect();
        let found = refusal(&many);
        assert_eq!(found.len(), 10);
        assert_eq!(found.first().unwrap(), "`onx0` attribute on <div>");
        assert_eq!(found.last().unwrap(), "`onx9` attribute on <div>");
    }

    #[test]
    fn the_display_of_unsafe_markup_is_its_description() {
        let found = sanitize_fragment("<img src=x onclick=1>").unwrap_err();
        assert_eq!(found.first().unwrap().to_string(), "`onclick` attribute on <img>");
    }

    #[test]
    fn safe_urls_pass_relative_http_https_mailto_and_tel() {
        for href in [
            "/pricing#plan-enterprise",
            "/docs/#api-keys",
            "#faq",
            "../x?y=1&amp;z=2",
            "//cdn.example/x",
            "",
            "https://example.com/a?b#c",
            "HTTP://EXAMPLE.COM/",
            "mailto:sales@example.com",
            "tel:+15551234567",
            "/a:b",
            "?q=javascript:x",
        ] {
            let html = format!("<a href=\"{href}\">x</a>");
            let cleaned = accepted(&html);
            assert!(cleaned.contains("href="), "{html}: {cleaned}");
        }
        accepted(r#"<img src="/i/a.png" srcset="/i/a.png 1x, https://cdn.example/a@2x.png 2x" alt="a">"#);
        accepted(
            r#"<picture><source srcset="/a.webp" type="image/webp"><img src="/a.png" alt=""></picture>"#,
        );
        accepted(r#"<blockquote cite="https://example.com/q">q</blockquote>"#);
    }

    #[test]
    fn every_allowed_element_and_attribute_survives_cleaning() {
        let builder = cleaner();
        for element in ALLOWED_ELEMENTS {
            let mut attributes: Vec<&str> = GENERIC_ATTRIBUTES.to_vec();
            attributes.extend(["data-x", "aria-label"]);
            if let Some((_, own)) = ELEMENT_ATTRIBUTES.iter().find(|(e, _)| e == element) {
                attributes.extend(own.iter().filter(|a| **a != "rel"));
            }
            let attrs: String = attributes.iter().map(|a| format!(" {a}=\"/v\"")).collect();
            let html = format!("<{element}{attrs}></{element}>");
            let wrapped = match *element {
                "caption" | "tbody" | "tfoot" | "thead" => format!("<table>{html}</table>"),
                "tr" => format!("<table><tbody>{html}</tbody></table>"),
                "td" | "th" => format!("<table><tbody><tr>{html}</tr></tbody></table>"),
                _ => html,
            };
            assert!(detect(&wrapped).is_empty(), "{wrapped}: {:?}", detect(&wrapped));
            let cleaned = builder.clean(&wrapped).to_string();
            assert!(cleaned.contains(&format!("<{element} ")), "{wrapped} → {cleaned}");
            for a in &attributes {
                assert!(
                    cleaned.contains(&format!(" {a}=\"/v\"")),
                    "{a} lost: {wrapped} → {cleaned}"
                );
            }
        }
    }

    #[test]
    fn links_always_get_noopener_noreferrer() {
        assert_eq!(
            accepted(r#"<a href="/x" target="_blank" rel="opener">x</a>"#),
            r#"<a href="/x" target="_blank" rel="noopener noreferrer">x</a>"#
        );
    }

    #[test]
    fn comments_are_fine_and_dropped() {
        assert_eq!(accepted("<p>a<!-- note -->b</p>"), "<p>ab</p>");
    }

    #[test]
    fn a_pre_starting_with_a_blank_line_stays_stable() {
        let cleaned = accepted("<pre class=\"code\">\n\n{\n  \"a\": 1\n}</pre><pre>x</pre>");
        assert_eq!(
            cleaned,
            "<pre class=\"code\">\n\n{\n  \"a\": 1\n}</pre><pre>x</pre>"
        );
        assert_eq!(sanitize_fragment(&cleaned), Ok(cleaned.clone()));
        let one_newline = accepted("<pre>\nx</pre>");
        assert_eq!(one_newline, "<pre>x</pre>");
    }

    #[test]
    fn attribute_values_are_escaped_in_the_output() {
        let cleaned = accepted(r#"<p title="&lt;/p&gt;&lt;script&gt;x">t &lt;script&gt;</p>"#);
        assert!(!cleaned.to_ascii_lowercase().contains("<script"), "{cleaned}");
        assert_eq!(sanitize_fragment(&cleaned), Ok(cleaned.clone()));
    }

    #[test]
    fn custom_attribute_names_are_limited_to_plain_characters() {
        accepted(r#"<div data-track-id="a" data-x.y_z="b" aria-describedby="c">x</div>"#);
        assert_eq!(
            refusal(r#"<div data-="x">x</div>"#),
            ["`data-` attribute on <div>"]
        );
        assert_eq!(
            refusal(r#"<div aria-x:y="x">x</div>"#),
            ["`aria-x:y` attribute on <div>"]
        );
    }

    #[test]
    fn long_names_are_clipped_in_messages() {
        let name = "x".repeat(500);
        let found = refusal(&format!("<{name}>"));
        assert_eq!(found, [format!("<{}…> element", "x".repeat(MAX_NAME_CHARS))]);
    }

    #[test]
    fn an_oversized_input_is_refused_without_being_parsed() {
        let found = refusal(&"a".repeat(MAX_INPUT_BYTES + 1));
        assert_eq!(found.len(), 1);
        assert!(found.first().unwrap().contains("bytes"), "{found:?}");
    }

    #[test]
    fn nesting_is_accepted_up_to_the_depth_limit_and_refused_beyond() {
        let ok = format!("{}x{}", "<div>".repeat(MAX_DEPTH), "</div>".repeat(MAX_DEPTH));
        let cleaned = accepted(&ok);
        assert_eq!(sanitize_fragment(&cleaned), Ok(cleaned.clone()));
        let deep = MAX_DEPTH + 1;
        let too_deep = format!("{}x{}", "<div>".repeat(deep), "</div>".repeat(deep));
        assert_eq!(
            refusal(&too_deep),
            ["elements nested more than 100 deep (counting elements left unclosed)"]
        );
        // 10,000 deep would cost the tree builder seconds: refused up front.
        let huge = format!("{}x", "<div>".repeat(10_000));
        assert_eq!(refusal(&huge).len(), 1);
    }

    #[test]
    fn closed_and_optional_end_elements_do_not_add_depth() {
        accepted(&"<div><b>x</b><span>y</span></div>".repeat(500));
        accepted(&"<ul><li>a<li>b</ul><p>one<p>two".repeat(500));
    }

    #[test]
    fn too_many_open_formatting_elements_are_refused() {
        let open: String = (0..=MAX_OPEN_FORMATTING)
            .map(|i| format!("<b class=\"c{i}\">"))
            .collect();
        assert_eq!(
            refusal(&open),
            ["more than 12 formatting elements (<b>, <em>, <a>...) open at once (close each where it ends)"]
        );
    }

    #[test]
    fn markup_the_parser_multiplies_is_refused() {
        // Formatting elements left open across a block are re-opened in every
        // later block: 12 of them times 1,000 paragraphs.
        let open: String = (0..MAX_OPEN_FORMATTING)
            .map(|i| format!("<b class=\"c{i}\">"))
            .collect();
        let html = format!("<div>{open}</div>{}", "<p>x</p>".repeat(1000));
        assert_eq!(
            refusal(&html),
            ["markup the HTML parser expands more than 8-fold (formatting elements left open across blocks?)"]
        );
    }

    #[test]
    fn markup_the_parser_rearranges_on_every_parse_is_refused() {
        assert_eq!(
            refusal("<a href=/1>x<table><a href=/2>y</table>"),
            ["markup the HTML parser rearranges each time it is parsed (mis-nested or misplaced elements): write it well-formed"]
        );
    }

    #[test]
    fn srcset_candidates_are_split_like_a_browser() {
        assert_eq!(srcset_urls("a.png 1x, b.png 2x"), ["a.png", "b.png"]);
        assert_eq!(srcset_urls("a.png, b.png"), ["a.png", "b.png"]);
        // As in the standard: without a space the comma belongs to the URL.
        assert_eq!(srcset_urls("a.png,b.png"), ["a.png,b.png"]);
        assert_eq!(srcset_urls("a.png,, b.png"), ["a.png", "b.png"]);
        assert_eq!(srcset_urls(" , a.png 100w (x, y), b.png"), ["a.png", "b.png"]);
        assert_eq!(
            srcset_urls("data:image/png;base64,AAAA 1x"),
            ["data:image/png;base64,AAAA"]
        );
        assert!(srcset_urls("  ").is_empty());
    }

    #[test]
    fn the_browser_scheme_ignores_controls_and_case() {
        assert_eq!(
            browser_scheme(" \u{1}JaVa\tScRiPt:x").as_deref(),
            Some("javascript")
        );
        assert_eq!(browser_scheme("/a:b"), None);
        assert_eq!(browser_scheme("java script:x"), None);
        assert_eq!(browser_scheme("https"), None);
    }

    /// HTML-ish soup: pieces that exercise the allow-list, the parser's
    /// error recovery and the URL checks, glued with arbitrary text.
    fn soup() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("<p>".to_owned()),
            Just("</p>".to_owned()),
            Just("<a href=\"/x\">".to_owned()),
            Just("<a href=\"javascript:alert(1)\">".to_owned()),
            Just("<a href=\"jav&#x09;ascript:x\">".to_owned()),
            Just("</a>".to_owned()),
            Just("<table>".to_owned()),
            Just("<tr><td>".to_owned()),
            Just("</table>".to_owned()),
            Just("<b>".to_owned()),
            Just("</b>".to_owned()),
            Just("<i>".to_owned()),
            Just("<div class=\"c\" data-v=\"1\">".to_owned()),
            Just("</div>".to_owned()),
            Just("<pre>\n\n".to_owned()),
            Just("</pre>".to_owned()),
            Just("<ul><li>".to_owned()),
            Just("<li>".to_owned()),
            Just("<button>".to_owned()),
            Just("</td><th>".to_owned()),
            Just("<caption>".to_owned()),
            Just("</br>".to_owned()),
            Just("\r\n".to_owned()),
            Just("&#0;&nbsp;&amp".to_owned()),
            Just("<details><summary>".to_owned()),
            Just("<img srcset=\"/a.png 1x, /b.png 2x\">".to_owned()),
            Just("<a href=\" JAVASCRIPT:x\">".to_owned()),
            Just("<a href=\"https://a.example/x\" target=_blank>".to_owned()),
            Just("<h1>".to_owned()),
            Just("<img src=\"/i.png\" alt=\"".to_owned()),
            Just("\">".to_owned()),
            Just("<script>".to_owned()),
            Just("</script>".to_owned()),
            Just("<svg>".to_owned()),
            Just("<math><mtext>".to_owned()),
            Just("<noscript>".to_owned()),
            Just("<style>".to_owned()),
            Just("<!--".to_owned()),
            Just("-->".to_owned()),
            Just("<".to_owned()),
            Just("&lt;script".to_owned()),
            Just("javascript:".to_owned()),
            Just(" title=\"".to_owned()),
            "[ -~]{0,6}".prop_map(|s| s),
        ];
        prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
    }

    /// The URL attributes of `html`'s start tags, as the tokenizer reads them.
    fn url_values(html: &str) -> Vec<String> {
        #[derive(Default)]
        struct Urls(Cell<Vec<String>>);
        impl TokenSink for Urls {
            type Handle = ();
            fn process_token(&self, token: Token, _: u64) -> TokenSinkResult<()> {
                if let Token::TagToken(tag) = token {
                    let mut v = self.0.take();
                    for a in &tag.attrs {
                        if URL_ATTRIBUTES.contains(&&*a.name.local) || &*a.name.local == "srcset" {
                            v.push(a.value.to_string());
                        }
                    }
                    self.0.set(v);
                }
                TokenSinkResult::Continue
            }
        }
        let tokenizer = Tokenizer::new(Urls::default(), TokenizerOpts::default());
        let input = BufferQueue::default();
        input.push_back(StrTendril::from_slice(html));
        let _ = tokenizer.feed(&input);
        tokenizer.end();
        tokenizer.sink.0.take()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_strings_never_panic_and_accepted_output_is_a_fixed_point(html in any::<String>()) {
            if let Ok(s) = sanitize_fragment(&html) {
                prop_assert_eq!(sanitize_fragment(&s), Ok(s.clone()));
                let lower = s.to_ascii_lowercase();
                prop_assert!(!lower.contains("<script"), "{}", s);
                prop_assert!(!lower.contains("javascript:"), "{}", s);
            }
        }

        #[test]
        fn html_soup_never_panics_and_accepted_output_is_safe_and_stable(html in soup()) {
            if let Ok(s) = sanitize_fragment(&html) {
                prop_assert_eq!(sanitize_fragment(&s), Ok(s.clone()));
                prop_assert!(!s.to_ascii_lowercase().contains("<script"), "{}", s);
                // `javascript:` may be visible text; it must never be a URL.
                for url in url_values(&s) {
                    prop_assert!(browser_scheme(&url).is_none_or(|scheme| URL_SCHEMES.contains(&scheme.as_str())), "{} in {}", url, s);
                    prop_assert!(!url.to_ascii_lowercase().contains("javascript:"), "{} in {}", url, s);
                }
            }
        }
    }
}
