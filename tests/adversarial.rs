//! Adversarial inputs at the three edges an attacker or a broken origin
//! controls: the profile cookie (tampered, truncated, padded, re-encoded,
//! oversized, duplicated, huge headers), marker look-alikes in the origin's
//! HTML (scripts, comments, attributes, RCDATA, duplicates, nesting, huge and
//! non-UTF-8 pages), and responses that must pass through (non-HTML, partial,
//! errors) or, when personalized, must never be stored by a shared cache.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::rc::Rc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use common::{fixture, published_kv, World};
use proptest::prelude::*;
use tailor_edge::catalog::source::Bundle;
use tailor_edge::edge::{dispose, is_personalizable_response, Disposition, Outcome, Prepared};
use tailor_edge::http::HeaderEdit;
use tailor_edge::platform::fakes::{MemoryKv, MemoryResponse};
use tailor_edge::profile::{
    resolve, sign, verify, Key, KeyRing, Profile, ProfileSettings, ProfileSource, Purpose, Rejection,
    RequestContext, DEFAULT_COOKIE_NAME, MAX_COOKIE_BYTES,
};
use tailor_edge::rewrite::{native, Fill, RewritePlan};
use tailor_edge::route::{route, Route, Skip};

// ---------------------------------------------------------------------------
// Profile cookies
// ---------------------------------------------------------------------------

/// The fixtures the benches measure (keys, a fintech CTO's profile).
#[path = "../benches/common/mod.rs"]
mod fixtures;

use fixtures::{NOW, SECRET};

fn key() -> Key {
    Key::derive("k1", SECRET, Purpose::ProfileCookie).unwrap()
}

fn settings() -> ProfileSettings {
    ProfileSettings {
        keys: KeyRing::from_keys(vec![key()]),
        ..ProfileSettings::default()
    }
}

/// The benches' fintech CTO, in one experiment.
fn profile() -> Profile {
    Profile {
        x: vec![("hero-test".into(), 1)],
        ..fixtures::fintech_cto()
    }
}

fn cookie() -> String {
    sign(&profile(), &key(), DEFAULT_COOKIE_NAME).unwrap()
}

fn check(value: &str) -> Result<(), Rejection> {
    verify(value, &settings().keys, DEFAULT_COOKIE_NAME, NOW).map(|_| ())
}

fn visitor_for(header: &str) -> tailor_edge::profile::Visitor {
    let ctx = RequestContext {
        cookie_header: Some(header),
        ..RequestContext::default()
    };
    resolve(&ctx, &settings(), NOW)
}

fn is_refused_visitor(header: &str) -> bool {
    let visitor = visitor_for(header);
    matches!(visitor.source, ProfileSource::Anonymous(_)) && visitor.attributes.get("industry").is_none()
}

/// A valid cookie whose tag has both `-` and `_`, so that re-encoding the
/// tag in standard base64 really changes its text.
fn cookie_with_url_safe_tag() -> String {
    for issued in 0..10_000u64 {
        let p = Profile {
            i: NOW - 3_600 - issued,
            ..profile()
        };
        let c = sign(&p, &key(), DEFAULT_COOKIE_NAME).unwrap();
        let tag = c.rsplit('.').next().unwrap();
        if tag.contains('-') && tag.contains('_') {
            return c;
        }
    }
    panic!("no tag with both - and _ in 10,000 tries");
}

#[test]
fn the_untouched_cookie_verifies_so_every_refusal_below_means_something() {
    assert_eq!(check(&cookie()), Ok(()));
    let visitor = visitor_for(&format!("a=1; {DEFAULT_COOKIE_NAME}={}; b=2", cookie()));
    assert_eq!(
        visitor.source,
        ProfileSource::Cookie {
            kid: "k1".into(),
            stale: false
        }
    );
    assert_eq!(visitor.attributes["industry"], "fintech");
}

#[test]
fn a_cookie_with_any_single_byte_flipped_is_refused() {
    let valid = cookie();
    for position in 0..valid.len() {
        for mask in [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff] {
            let mut bytes = valid.clone().into_bytes();
            bytes[position] ^= mask;
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                check(&text).is_err(),
                "byte {position} ^ {mask:#04x} still verifies: {text}"
            );
            let header = format!("{DEFAULT_COOKIE_NAME}={text}");
            assert!(
                is_refused_visitor(&header),
                "byte {position} ^ {mask:#04x} through the header"
            );
        }
    }
}

#[test]
fn a_cookie_with_any_single_byte_replaced_by_any_other_printable_byte_is_refused() {
    let valid = cookie();
    for position in 0..valid.len() {
        for replacement in 0x20u8..0x7f {
            if valid.as_bytes()[position] == replacement {
                continue;
            }
            let mut bytes = valid.clone().into_bytes();
            bytes[position] = replacement;
            let text = String::from_utf8(bytes).unwrap();
            assert!(
                check(&text).is_err(),
                "byte {position} = {:?} still verifies",
                replacement as char
            );
        }
    }
}

#[test]
fn a_cookie_truncated_at_any_length_is_refused() {
    let valid = cookie();
    for len in 0..valid.len() {
        let prefix = &valid[..len];
        assert!(check(prefix).is_err(), "prefix of {len} bytes verifies");
        let suffix = &valid[valid.len() - len..];
        assert!(check(suffix).is_err(), "suffix of {len} bytes verifies");
        assert!(is_refused_visitor(&format!("{DEFAULT_COOKIE_NAME}={prefix}")));
    }
}

#[test]
fn a_cookie_padded_with_base64_padding_or_whitespace_is_refused_by_the_verifier() {
    let valid = cookie();
    let padded = [
        format!("{valid}="),
        format!("{valid}=="),
        format!("{valid}==="),
        format!("={valid}"),
        format!(" {valid}"),
        format!("{valid} "),
        format!("\t{valid}"),
        format!("{valid}\n"),
        format!("{valid}\r\n"),
        format!("{valid}\u{0}"),
        format!("\u{feff}{valid}"),
        format!("\"{valid}\""),
        format!("{valid}."),
        format!(".{valid}"),
        valid.replacen('.', "..", 1),
        valid.replacen('.', ". ", 1),
    ];
    for value in &padded {
        assert!(check(value).is_err(), "{value:?} verifies");
    }
}

#[test]
fn whitespace_around_a_cookie_in_the_header_is_header_syntax_but_padding_inside_the_value_is_not() {
    let valid = cookie();
    // Optional whitespace between cookie pairs is header syntax: still the cookie.
    for header in [
        format!("  {DEFAULT_COOKIE_NAME}={valid}  "),
        format!("a=1;{DEFAULT_COOKIE_NAME}={valid};b=2"),
        format!("a=1;   {DEFAULT_COOKIE_NAME}={valid}\t; b=2"),
    ] {
        assert!(
            matches!(visitor_for(&header).source, ProfileSource::Cookie { .. }),
            "{header:?}"
        );
    }
    // Anything that changes the value itself is refused.
    for header in [
        format!("{DEFAULT_COOKIE_NAME}= {valid}"),
        format!("{DEFAULT_COOKIE_NAME}={valid}="),
        format!("{DEFAULT_COOKIE_NAME}=\"{valid}\""),
        format!("{DEFAULT_COOKIE_NAME}={valid},x=1"),
    ] {
        assert!(is_refused_visitor(&header), "{header:?}");
    }
    // A space inside the name makes it another cookie: no profile at all.
    let other = format!("{DEFAULT_COOKIE_NAME} ={valid}");
    assert_eq!(visitor_for(&other).source, ProfileSource::Anonymous(None));
}

#[test]
fn a_cookie_whose_tag_is_re_encoded_in_standard_base64_is_refused() {
    let valid = cookie_with_url_safe_tag();
    assert_eq!(check(&valid), Ok(()));
    let (signed, tag) = valid.rsplit_once('.').unwrap();
    let raw = URL_SAFE_NO_PAD.decode(tag).unwrap();
    let standard = STANDARD.encode(&raw);
    let standard_unpadded = standard.trim_end_matches('=');
    let url_safe_padded = format!("{tag}=");
    let hex = raw.iter().map(|b| format!("{b:02x}")).collect::<String>();
    for re_encoded in [standard.as_str(), standard_unpadded, &url_safe_padded, &hex] {
        assert_ne!(re_encoded, tag);
        let value = format!("{signed}.{re_encoded}");
        assert!(check(&value).is_err(), "tag {re_encoded} verifies");
    }
}

#[test]
fn a_tag_that_decodes_to_the_same_bytes_through_lenient_base64_is_refused() {
    let valid = cookie();
    let (signed, tag) = valid.rsplit_once('.').unwrap();
    // 43 characters carry 258 bits for a 256-bit tag: the last character's two
    // low bits are unused, so three other characters decode to the same MAC.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = *tag.as_bytes().last().unwrap();
    let index = alphabet.iter().position(|c| *c == last).unwrap();
    let lenient = base64::engine::general_purpose::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let mut same_mac = 0;
    let siblings = alphabet[index & !0b11..=index | 0b11]
        .iter()
        .filter(|c| **c != last);
    for sibling in siblings {
        let mut forged = tag.as_bytes().to_vec();
        *forged.last_mut().unwrap() = *sibling;
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(
            lenient.decode(&forged).unwrap(),
            URL_SAFE_NO_PAD.decode(tag).unwrap()
        );
        same_mac += 1;
        assert_eq!(check(&format!("{signed}.{forged}")), Err(Rejection::BadSignature));
    }
    assert_eq!(same_mac, 3);
}

fn percent_encode_all(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn percent_encode_reserved(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '=' => "%3D".to_owned(),
            '&' => "%26".to_owned(),
            '|' => "%7C".to_owned(),
            '.' => "%2E".to_owned(),
            other => other.to_string(),
        })
        .collect()
}

#[test]
fn a_percent_encoded_or_wholly_re_encoded_cookie_is_refused() {
    let valid = cookie();
    let candidates = [
        percent_encode_reserved(&valid),
        percent_encode_all(&valid),
        valid.replacen("v1", "%761", 1),
        valid.replacen("k1", "k%31", 1),
        URL_SAFE_NO_PAD.encode(valid.as_bytes()),
        STANDARD.encode(valid.as_bytes()),
        valid.to_uppercase(),
    ];
    for value in &candidates {
        assert_ne!(value, &valid);
        assert!(check(value).is_err(), "{value} verifies");
        assert!(is_refused_visitor(&format!("{DEFAULT_COOKIE_NAME}={value}")));
    }
}

#[test]
fn an_oversized_cookie_is_refused_before_any_other_work() {
    let valid = cookie();
    let just_over = format!("{valid}{}", "A".repeat(MAX_COOKIE_BYTES + 1 - valid.len()));
    assert_eq!(just_over.len(), MAX_COOKIE_BYTES + 1);
    assert_eq!(check(&just_over), Err(Rejection::Oversized));
    for size in [600, 64 * 1024] {
        // A well-shaped cookie with a huge payload, and plain filler.
        let shaped = format!("v1.k1.{}.{}", "a".repeat(size), valid.rsplit('.').next().unwrap());
        let filler = "x".repeat(size);
        for value in [shaped, filler] {
            assert_eq!(check(&value), Err(Rejection::Oversized));
            let visitor = visitor_for(&format!("{DEFAULT_COOKIE_NAME}={value}"));
            assert_eq!(
                visitor.source,
                ProfileSource::Anonymous(Some(Rejection::Oversized))
            );
        }
    }
}

#[test]
fn a_profile_cookie_sent_twice_in_one_header_means_an_anonymous_visitor() {
    let valid = cookie();
    let forged = valid.replace("cto", "ceo");
    let headers = [
        format!("{DEFAULT_COOKIE_NAME}={valid}; {DEFAULT_COOKIE_NAME}={valid}"),
        format!("{DEFAULT_COOKIE_NAME}={valid}; a=1; {DEFAULT_COOKIE_NAME}={forged}"),
        format!("{DEFAULT_COOKIE_NAME}={forged}; {DEFAULT_COOKIE_NAME}={valid}"),
        format!("{DEFAULT_COOKIE_NAME}={valid};{DEFAULT_COOKIE_NAME}="),
        format!("{DEFAULT_COOKIE_NAME}=;{DEFAULT_COOKIE_NAME}={valid}"),
        format!(
            "{DEFAULT_COOKIE_NAME}={valid}; {DEFAULT_COOKIE_NAME}={valid}; {DEFAULT_COOKIE_NAME}={valid}"
        ),
    ];
    for header in &headers {
        let visitor = visitor_for(header);
        assert_eq!(
            visitor.source,
            ProfileSource::Anonymous(Some(Rejection::Duplicate)),
            "{header}"
        );
        assert!(visitor.attributes.get("industry").is_none());
        assert_eq!(visitor.attributes["visitor"], "new");
    }
}

#[test]
fn cookie_names_match_exactly_so_look_alike_names_are_other_cookies() {
    let valid = cookie();
    for name in [
        "__host-tailor_profile",
        "__HOST-TAILOR_PROFILE",
        "__Host-tailor_profile2",
        "x__Host-tailor_profile",
        "__Host-tailor%5Fprofile",
    ] {
        // Only a look-alike: no profile.
        let alone = format!("{name}={valid}");
        assert_eq!(
            visitor_for(&alone).source,
            ProfileSource::Anonymous(None),
            "{name}"
        );
        // Beside the real one: not a duplicate, the real one counts.
        let beside = format!("{name}={valid}; {DEFAULT_COOKIE_NAME}={valid}");
        assert!(
            matches!(visitor_for(&beside).source, ProfileSource::Cookie { .. }),
            "{name}"
        );
    }
}

#[test]
fn a_multi_byte_character_inserted_at_any_byte_offset_is_refused_without_panicking() {
    let valid = cookie();
    for inserted in ["é", "日", "🎉", "\u{200b}", "\u{fffd}", "\u{0}", "ａ"] {
        for offset in 0..=valid.len() {
            let mut value = valid.clone();
            value.insert_str(offset, inserted);
            assert!(check(&value).is_err(), "{inserted:?} at {offset} verifies");
            assert!(is_refused_visitor(&format!("{DEFAULT_COOKIE_NAME}={value}")));
        }
        // And replacing any one byte by it.
        for offset in 0..valid.len() {
            let value = format!("{}{inserted}{}", &valid[..offset], &valid[offset + 1..]);
            assert!(check(&value).is_err(), "{inserted:?} for byte {offset} verifies");
        }
    }
}

#[test]
fn a_cookie_for_another_name_key_or_purpose_is_refused() {
    let p = profile();
    let other_name = sign(&p, &key(), "tailor_profile").unwrap();
    assert_eq!(check(&other_name), Err(Rejection::BadSignature));
    let other_purpose = Key::derive("k1", SECRET, Purpose::PreviewProfile).unwrap();
    let preview = sign(&p, &other_purpose, DEFAULT_COOKIE_NAME).unwrap();
    assert_eq!(check(&preview), Err(Rejection::BadSignature));
    let unknown = Key::derive("k9", SECRET, Purpose::ProfileCookie).unwrap();
    let unknown = sign(&p, &unknown, DEFAULT_COOKIE_NAME).unwrap();
    assert_eq!(check(&unknown), Err(Rejection::UnknownKey));
}

fn one_mebibyte_of_other_cookies() -> String {
    let mut header = String::with_capacity(1 << 20);
    let mut i = 0u32;
    while header.len() < (1 << 20) {
        header.push_str(&format!("c{i}=v{i}; "));
        i += 1;
    }
    header
}

#[test]
fn a_huge_cookie_header_still_resolves_quickly_to_a_visitor() {
    let valid = cookie();
    let filler = one_mebibyte_of_other_cookies();
    let cases = [
        (format!("{filler}{DEFAULT_COOKIE_NAME}={valid}"), true),
        (format!("{DEFAULT_COOKIE_NAME}={valid}; {filler}"), true),
        (filler.clone(), false),
        (";".repeat(1 << 20), false),
        ("=".repeat(1 << 20), false),
        (format!("{DEFAULT_COOKIE_NAME}={}", "=".repeat(1 << 20)), false),
        (" ".repeat(1 << 20), false),
        (
            format!("{filler}{DEFAULT_COOKIE_NAME}={valid}; {DEFAULT_COOKIE_NAME}={valid}"),
            false,
        ),
    ];
    for (header, is_cookie) in &cases {
        let started = Instant::now();
        let visitor = visitor_for(header);
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(2),
            "{} KiB header took {took:?}",
            header.len() / 1024
        );
        assert_eq!(
            matches!(visitor.source, ProfileSource::Cookie { .. }),
            *is_cookie,
            "{:?}",
            visitor.source
        );
        assert!(visitor.attributes.get("device").is_some());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_spliced_into_a_valid_cookie_are_refused(
        offset in 0usize..200,
        cut in 0usize..8,
        junk in prop::collection::vec(any::<u8>(), 1..12),
    ) {
        let valid = cookie();
        let offset = offset % valid.len();
        let end = (offset + cut).min(valid.len());
        let mut bytes = valid.as_bytes()[..offset].to_vec();
        bytes.extend_from_slice(&junk);
        bytes.extend_from_slice(&valid.as_bytes()[end..]);
        let text = String::from_utf8_lossy(&bytes);
        prop_assume!(text != valid);
        prop_assert!(check(&text).is_err());
        let header = format!("a=b; {DEFAULT_COOKIE_NAME}={text}");
        prop_assert!(is_refused_visitor(&header));
    }
}

// ---------------------------------------------------------------------------
// Markers in the origin's HTML, through the native engine
// ---------------------------------------------------------------------------

const FILL: &str = "<b>EDGE</b>";

fn plan_of(fills: &[(&str, &str)]) -> RewritePlan {
    let mut plan = RewritePlan::new();
    for (name, html) in fills {
        plan.insert(
            *name,
            Fill {
                variant: "v".into(),
                html: Rc::from(*html),
            },
        );
    }
    plan
}

fn hero_plan() -> RewritePlan {
    plan_of(&[("hero", FILL)])
}

/// Rewrites `page` whole, in one-byte chunks and in 7-byte chunks; all three
/// must agree, and the document's tail must survive.
fn rewrite_all_ways(plan: &RewritePlan, page: &[u8]) -> Vec<u8> {
    let whole = native::rewrite(plan, page).unwrap();
    if page.len() <= 64 * 1024 {
        let ones = native::rewrite_chunks(plan, page.chunks(1)).unwrap();
        assert_eq!(ones, whole, "one-byte chunks differ");
    }
    let sevens = native::rewrite_chunks(plan, page.chunks(7)).unwrap();
    assert_eq!(sevens, whole, "7-byte chunks differ");
    if page.ends_with(b"</html>") {
        assert!(whole.ends_with(b"</html>"), "the document's tail was cut");
    }
    whole
}

fn doc(body: &str) -> String {
    format!("<!doctype html><html><head><title>t</title></head><body>{body}<p>tail</p></body></html>")
}

fn count(haystack: &[u8], needle: &str) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

#[test]
fn marker_look_alikes_in_raw_text_comments_attributes_and_rcdata_are_not_replaced() {
    let marker = r#"<tailor-block name="hero">origin</tailor-block>"#;
    let contexts = [
        format!("<script>var a = '{marker}';</script>"),
        format!("<script type=\"text/template\">{marker}</script>"),
        format!("<script><!-- {marker} --></script>"),
        format!("<style>/* {marker} */</style>"),
        format!("<!-- {marker} -->"),
        format!("<!--{marker}-->"),
        format!("<!-- a -- {marker} -- b -->"),
        format!("<div title='{marker}'></div>"),
        format!("<div title=\"{}\"></div>", marker.replace('"', "&quot;")),
        format!("<div data-x={}></div>", marker.replace(['"', ' '], "")),
        format!("<iframe srcdoc='{marker}'></iframe>"),
        format!("<textarea>{marker}</textarea>"),
        format!("<title>{marker}</title>"),
        format!("<xmp>{marker}</xmp>"),
        format!("<noembed>{marker}</noembed>"),
        format!("<noframes>{marker}</noframes>"),
        format!("<iframe>{marker}</iframe>"),
        format!("<noscript>{marker}</noscript>"),
        marker.replace('<', "&lt;"),
        format!("<![CDATA[{marker}]]>"),
        format!("<?php {marker} ?>"),
    ];
    let plan = hero_plan();
    for context in &contexts {
        let page = doc(context);
        let out = rewrite_all_ways(&plan, page.as_bytes());
        assert_eq!(out, page.as_bytes(), "replaced inside {context}");
        assert_eq!(count(&out, "EDGE"), 0);
    }
}

#[test]
fn a_marker_after_every_look_alike_context_is_still_replaced() {
    // The parser leaves each raw-text context correctly: the real marker after it is filled.
    let marker = r#"<tailor-block name="hero">origin</tailor-block>"#;
    for context in [
        format!("<script>'{marker}'</script>"),
        format!("<textarea>{marker}</textarea>"),
        format!("<title>{marker}</title>"),
        format!("<!-- {marker} -->"),
        format!("<style>{marker}</style>"),
        format!("<div title='{marker}'></div>"),
    ] {
        let page = doc(&format!("{context}{marker}"));
        let out = rewrite_all_ways(&hero_plan(), page.as_bytes());
        assert_eq!(count(&out, "EDGE"), 1, "after {context}");
        assert_eq!(count(&out, "origin"), 1, "after {context}");
    }
}

#[test]
fn a_script_that_never_closes_swallows_later_markers_and_keeps_the_bytes() {
    let page = doc(r#"<script>var x = 1; <tailor-block name="hero">origin</tailor-block>"#);
    let out = rewrite_all_ways(&hero_plan(), page.as_bytes());
    assert_eq!(out, page.as_bytes());
    let comment = doc(r#"<!-- never closed <tailor-block name="hero">origin</tailor-block>"#);
    assert_eq!(
        rewrite_all_ways(&hero_plan(), comment.as_bytes()),
        comment.as_bytes()
    );
}

#[test]
fn markers_inside_templates_and_foreign_content_are_elements_and_are_filled() {
    // `<template>` content and SVG children are parsed as elements: they are
    // markers like any other (documented behaviour, same as workerd).
    for context in [
        r#"<template><tailor-block name="hero">origin</tailor-block></template>"#,
        r#"<svg><tailor-block name="hero">origin</tailor-block></svg>"#,
    ] {
        let out = rewrite_all_ways(&hero_plan(), doc(context).as_bytes());
        assert_eq!(count(&out, "EDGE"), 1, "{context}");
        assert_eq!(count(&out, "origin"), 0, "{context}");
    }
}

#[test]
fn a_block_marked_twice_is_filled_twice_and_unknown_names_are_kept() {
    let page = doc(
        r#"<tailor-block name="hero">one</tailor-block><p>between</p><tailor-block name="hero">two</tailor-block><tailor-block name="cta">three</tailor-block><tailor-block>four</tailor-block><tailor-block name="">five</tailor-block>"#,
    );
    let out = rewrite_all_ways(&hero_plan(), page.as_bytes());
    let text = String::from_utf8(out).unwrap();
    assert_eq!(count(text.as_bytes(), "EDGE"), 2, "{text}");
    assert!(!text.contains(">one<") && !text.contains(">two<"));
    for kept in ["between", "three", "four", "five", "<p>tail</p>"] {
        assert!(text.contains(kept), "{kept} lost: {text}");
    }
}

#[test]
fn marker_names_match_exactly_and_attribute_names_case_insensitively() {
    let page = doc(
        r#"<tailor-block name="HERO">a</tailor-block><tailor-block name=" hero">b</tailor-block><tailor-block name="hero ">c</tailor-block><tailor-block data-name="hero">d</tailor-block><TAILOR-BLOCK NAME=hero>e</TAILOR-BLOCK><tailor-block name='hero' name="cta">f</tailor-block><tailor-blocks name="hero">g</tailor-blocks><x-tailor-block name="hero">h</x-tailor-block>"#,
    );
    let out = String::from_utf8(rewrite_all_ways(&hero_plan(), page.as_bytes())).unwrap();
    for kept in [">a<", ">b<", ">c<", ">d<", ">g<", ">h<"] {
        assert!(out.contains(kept), "{kept} was replaced: {out}");
    }
    for replaced in [">e<", ">f<"] {
        assert!(!out.contains(replaced), "{replaced} kept: {out}");
    }
    assert_eq!(count(out.as_bytes(), "EDGE"), 2);
}

#[test]
fn a_nested_marker_inside_a_filled_block_goes_with_the_origin_content() {
    let page = doc(
        r#"<tailor-block name="hero"><p>outer</p><tailor-block name="cta">inner</tailor-block><p>after inner</p></tailor-block>"#,
    );
    let plan = plan_of(&[("hero", FILL), ("cta", "<i>CTA</i>")]);
    let out = String::from_utf8(rewrite_all_ways(&plan, page.as_bytes())).unwrap();
    assert_eq!(
        out,
        doc(&format!(r#"<tailor-block name="hero">{FILL}</tailor-block>"#)),
        "the outer fill replaces everything inside it, the inner marker included"
    );
}

#[test]
fn a_nested_marker_inside_a_kept_block_is_filled_in_place() {
    let page = doc(
        r#"<tailor-block name="other"><p>outer</p><tailor-block name="hero">inner</tailor-block><p>after inner</p></tailor-block>"#,
    );
    let out = String::from_utf8(rewrite_all_ways(&hero_plan(), page.as_bytes())).unwrap();
    assert_eq!(
        out,
        doc(&format!(
            r#"<tailor-block name="other"><p>outer</p><tailor-block name="hero">{FILL}</tailor-block><p>after inner</p></tailor-block>"#
        ))
    );
}

#[test]
fn a_fill_that_looks_like_a_marker_or_closes_the_document_is_not_rewritten_again() {
    let fills = [
        r#"<tailor-block name="hero">recursive</tailor-block>"#,
        "</tailor-block><p>escaped?</p><tailor-block>",
        "</body></html><p>after</p>",
        "<!--",
        "<script>",
        "<textarea>",
    ];
    for fill in fills {
        let plan = plan_of(&[("hero", fill)]);
        let page = doc(
            r#"<tailor-block name="hero">origin</tailor-block><tailor-block name="hero">second</tailor-block>"#,
        );
        let out = String::from_utf8(rewrite_all_ways(&plan, page.as_bytes())).unwrap();
        assert_eq!(
            out,
            doc(&format!(
                r#"<tailor-block name="hero">{fill}</tailor-block><tailor-block name="hero">{fill}</tailor-block>"#
            )),
            "fill {fill:?}"
        );
    }
}

#[test]
fn an_unclosed_or_self_closing_marker_runs_to_its_parents_end_and_the_document_tail_survives() {
    // `/>` means nothing on a custom element in HTML, and an unclosed element
    // ends with its parent, as in a browser: the fill replaces everything up
    // to there, and nothing past it. `</body></html>` always survives.
    let head = "<!doctype html><html><head><title>t</title></head><body>";
    let cases = [
        (
            r#"<div><tailor-block name="hero"/><p>sibling</p></div>"#,
            r#"<div><tailor-block name="hero"/><b>EDGE</b></div><p>tail</p></body></html>"#,
        ),
        (
            r#"<div><tailor-block name="hero"><p>never closed</p></div>"#,
            r#"<div><tailor-block name="hero"><b>EDGE</b></div><p>tail</p></body></html>"#,
        ),
        (
            r#"<tailor-block name="hero"><p>never closed at all</p>"#,
            r#"<tailor-block name="hero"><b>EDGE</b></body></html>"#,
        ),
        (
            r#"<tailor-block name="hero">"#,
            r#"<tailor-block name="hero"><b>EDGE</b></body></html>"#,
        ),
        (
            r#"<tailor-block name="hero"></tailor-block"#,
            r#"<tailor-block name="hero"><b>EDGE</b></body></html>"#,
        ),
        (
            // The next `<p` becomes an attribute name of the marker.
            r#"<tailor-block name="hero""#,
            r#"<tailor-block name="hero"<p><b>EDGE</b></body></html>"#,
        ),
        (
            r#"</tailor-block><tailor-block name="hero">x</tailor-block></tailor-block>"#,
            r#"</tailor-block><tailor-block name="hero"><b>EDGE</b></tailor-block></tailor-block><p>tail</p></body></html>"#,
        ),
    ];
    for (body, expected) in cases {
        let out = rewrite_all_ways(&hero_plan(), doc(body).as_bytes());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{head}{expected}"),
            "{body}"
        );
    }
}

#[test]
fn a_one_mebibyte_single_line_page_is_filled_and_keeps_its_tail() {
    let line = "<span class=a>lorem ipsum</span>".repeat((1 << 20) / 32);
    let page = doc(&format!(
        r#"{line}<tailor-block name="hero">origin</tailor-block>{line}"#
    ));
    assert!(page.len() > 2 << 20);
    assert!(!page.contains('\n'));
    let out = rewrite_all_ways(&hero_plan(), page.as_bytes());
    assert_eq!(out, page.replace(">origin<", &format!(">{FILL}<")).as_bytes());
    // Streamed in 16 KiB chunks, as an origin would send it.
    let streamed = native::rewrite_chunks(&hero_plan(), page.as_bytes().chunks(16 * 1024)).unwrap();
    assert_eq!(streamed, out);
}

#[test]
fn a_one_mebibyte_tag_streamed_in_small_chunks_is_filled_and_keeps_its_tail() {
    let huge = "x".repeat(1 << 20);
    let page = doc(&format!(
        r#"<div data-huge="{huge}"></div><tailor-block name="hero">origin</tailor-block>"#
    ));
    let out = native::rewrite_chunks(&hero_plan(), page.as_bytes().chunks(4096)).unwrap();
    assert_eq!(out, page.replace(">origin<", &format!(">{FILL}<")).as_bytes());
}

#[test]
fn a_tag_larger_than_the_rewriter_memory_that_is_no_marker_is_streamed_without_buffering() {
    let huge = "x".repeat(native::MAX_REWRITER_MEMORY_BYTES + (1 << 20));
    let page = doc(&format!(
        r#"<div data-huge="{huge}"></div><tailor-block name="hero">origin</tailor-block>"#
    ));
    let out = native::rewrite_chunks(&hero_plan(), page.as_bytes().chunks(64 * 1024)).unwrap();
    let filled = page.replace(">origin<", &format!(">{FILL}<"));
    assert!(out == filled.as_bytes(), "{} bytes out", out.len());
}

fn page_with_a_marker_tag_over_the_memory_cap() -> String {
    let huge = "x".repeat(native::MAX_REWRITER_MEMORY_BYTES + (1 << 20));
    doc(&format!(
        r#"<tailor-block name="hero" data-huge="{huge}">origin</tailor-block><tailor-block name="hero">second</tailor-block>"#
    ))
}

#[test]
fn a_marker_tag_larger_than_the_rewriter_memory_is_flushed_raw_so_a_streaming_caller_loses_nothing() {
    let page = page_with_a_marker_tag_over_the_memory_cap();
    let chunks: Vec<&[u8]> = page.as_bytes().chunks(64 * 1024).collect();
    let mut out = Vec::new();
    let mut failed_at = None;
    {
        let plan = hero_plan();
        let mut rewriter = native::StreamRewriter::new(&plan, |c: &[u8]| out.extend_from_slice(c));
        for (i, chunk) in chunks.iter().enumerate() {
            if rewriter.write(chunk).is_err() {
                failed_at = Some(i);
                break;
            }
        }
        if failed_at.is_none() {
            rewriter.end().unwrap();
        }
    }
    let failed_at = failed_at.expect("the cap is reached");
    // Bailing out, the rewriter has written every byte it was given, unchanged:
    // the caller streams the remaining chunks as they are.
    for chunk in &chunks[failed_at + 1..] {
        out.extend_from_slice(chunk);
    }
    assert!(
        out == page.as_bytes(),
        "{} bytes out of {}",
        out.len(),
        page.len()
    );
}

#[test]
fn a_marker_tag_larger_than_the_rewriter_memory_is_an_error_so_the_caller_serves_the_origin_page() {
    // The contract (native.rs): past the memory cap the engine reports an
    // error and the caller serves the origin's bytes (`tailor render` does).
    let page = page_with_a_marker_tag_over_the_memory_cap();
    assert!(native::rewrite_chunks(&hero_plan(), page.as_bytes().chunks(64 * 1024)).is_err());
}

#[test]
fn a_windows_1252_page_passes_through_byte_identical_outside_the_block() {
    let mut head = b"<!doctype html><html><head><meta charset=\"windows-1252\"><title>Caf\xe9 \x80 \x93quote\x94</title></head><body><p>na\xefve r\xe9sum\xe9 \x85 \xff\xfe</p>".to_vec();
    let tail = b"<p>\xe0 bient\xf4t \x9c\x8a</p></body></html>".to_vec();
    let mut page = head.clone();
    page.extend_from_slice(b"<tailor-block name=\"hero\">origin \xe9t\xe9</tailor-block>");
    page.extend_from_slice(&tail);
    let out = rewrite_all_ways(&hero_plan(), &page);
    head.extend_from_slice(format!("<tailor-block name=\"hero\">{FILL}</tailor-block>").as_bytes());
    head.extend_from_slice(&tail);
    assert_eq!(out, head);
    // With no plan, not one byte changes.
    assert_eq!(rewrite_all_ways(&RewritePlan::new(), &page), page);
}

#[test]
fn invalid_utf8_and_nul_bytes_around_markers_pass_through_unchanged() {
    let mut page = b"<!doctype html><html><body>\xc3\x28\xa0\xa1\xf0\x28\x8c\xbc\0\0<p \xff=\xfe>".to_vec();
    page.extend_from_slice(
        b"<tailor-block name=\"hero\">origin</tailor-block>\xed\xa0\x80<p>tail\0</p></body></html>",
    );
    let out = rewrite_all_ways(&hero_plan(), &page);
    let expected = [
        &page[..page.len() - b"origin</tailor-block>\xed\xa0\x80<p>tail\0</p></body></html>".len()],
        FILL.as_bytes(),
        b"</tailor-block>\xed\xa0\x80<p>tail\0</p></body></html>",
    ]
    .concat();
    assert_eq!(out, expected);
}

#[test]
fn the_fixture_page_keeps_its_tail_at_every_split() {
    let plan = World::new(published_kv()).prepare("/").plan;
    let page = fixture("page.html");
    let whole = native::rewrite(&plan, page.as_bytes()).unwrap();
    assert!(String::from_utf8_lossy(&whole).trim_end().ends_with("</html>"));
    for cut in (0..page.len()).step_by(13) {
        let out = native::rewrite_chunks(&plan, [&page.as_bytes()[..cut], &page.as_bytes()[cut..]]).unwrap();
        assert_eq!(out, whole, "split at {cut}");
    }
}

fn tricky_fill() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        "<b>x</b>",
        "</tailor-block>",
        "<tailor-block name=\"hero\">n</tailor-block>",
        "<!--",
        "<script>",
        "</body></html>",
        "日本語 🎉",
        "&amp;&",
    ])
    .prop_map(str::to_owned)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_page_rewrites_the_same_whatever_the_chunking_and_an_empty_plan_changes_nothing(
        parts in prop::collection::vec(prop::sample::select(vec![
            "<tailor-block name=\"hero\">", "<tailor-block name=\"cta\">", "</tailor-block>",
            "<script>", "</script>", "<!--", "-->", "<textarea>", "</textarea>", "<p>", "</p>",
            "text", "é", "<", ">", "\"", "'", "=", " ", "\u{0}", "<svg>", "<![CDATA[", "]]>",
        ]), 0..40),
        fill in tricky_fill(),
        cuts in prop::collection::vec(0usize..400, 0..6),
    ) {
        let page = parts.concat();
        let page = page.as_bytes();
        let plan = plan_of(&[("hero", &fill), ("cta", "<i>c</i>")]);
        let whole = native::rewrite(&plan, page).unwrap();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (page.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut start = 0;
        for cut in cuts {
            chunks.push(&page[start..cut]);
            start = cut;
        }
        chunks.push(&page[start..]);
        prop_assert_eq!(&native::rewrite_chunks(&plan, chunks).unwrap(), &whole);
        prop_assert_eq!(native::rewrite(&RewritePlan::new(), page).unwrap(), page.to_vec());
    }
}

// ---------------------------------------------------------------------------
// Responses: what passes through, and what a personalized one says to caches
// ---------------------------------------------------------------------------

fn prepared() -> Prepared {
    let prepared = World::new(published_kv()).prepare("/");
    assert_eq!(prepared.decided.outcome, Outcome::Personalize);
    assert!(!prepared.plan.is_empty());
    prepared
}

fn response(status: u16, headers: &[(&str, &str)]) -> MemoryResponse {
    MemoryResponse {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        body: doc(r#"<tailor-block name="hero">origin</tailor-block>"#).into_bytes(),
    }
}

#[test]
fn non_html_content_types_are_never_rewritten() {
    for content_type in [
        "text/plain",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/xhtml+xml",
        "application/xml",
        "image/svg+xml",
        "image/png",
        "application/octet-stream",
        "text/htmlx",
        "text/html-sandboxed",
        "xtext/html",
        "text/html, text/plain",
        "text /html",
        "text/x-html",
        "",
        ";text/html",
        "multipart/mixed; boundary=text/html",
    ] {
        let head = response(200, &[("content-type", content_type)]);
        assert!(!is_personalizable_response(&head), "{content_type:?}");
        assert_eq!(
            dispose(prepared(), &head),
            Disposition::PassThrough,
            "{content_type:?}"
        );
    }
}

#[test]
fn only_the_first_content_type_header_counts() {
    let head = response(
        200,
        &[
            ("content-type", "application/json"),
            ("content-type", "text/html"),
        ],
    );
    assert_eq!(dispose(prepared(), &head), Disposition::PassThrough);
}

#[test]
fn every_status_but_200_passes_through_untouched() {
    for status in [
        100, 101, 201, 202, 203, 204, 205, 206, 226, 300, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404,
        410, 429, 451, 500, 502, 503, 504, 599, 0, 999,
    ] {
        let head = response(status, &[("content-type", "text/html; charset=utf-8")]);
        assert!(!is_personalizable_response(&head), "{status}");
        assert_eq!(dispose(prepared(), &head), Disposition::PassThrough, "{status}");
    }
}

#[test]
fn a_partial_200_with_a_content_range_passes_through() {
    for range in ["bytes 0-9/100", "bytes */100", ""] {
        let head = response(200, &[("content-type", "text/html"), ("Content-Range", range)]);
        assert_eq!(dispose(prepared(), &head), Disposition::PassThrough, "{range:?}");
    }
}

#[test]
fn a_range_request_or_another_method_is_not_even_prepared() {
    let req = |method, has_range| route(method, "/", || has_range);
    assert_eq!(req("GET", true), Route::PassThrough(Skip::Range));
    for method in [
        "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT", "GETX", "", "G\0ET",
    ] {
        assert_eq!(req(method, false), Route::PassThrough(Skip::Method), "{method:?}");
    }
}

#[test]
fn a_compressed_html_response_is_rewritten_because_the_platform_hands_over_the_decoded_body() {
    // workerd decodes gzip and br bodies before HTMLRewriter sees them and
    // re-encodes on the way out, so `content-encoding` does not stop a
    // rewrite. What matters: the result is never cacheable by others.
    for encoding in ["gzip", "br", "deflate"] {
        let head = response(
            200,
            &[("content-type", "text/html"), ("content-encoding", encoding)],
        );
        match dispose(prepared(), &head) {
            Disposition::Rewrite { headers, .. } => {
                assert!(headers.contains(&HeaderEdit::Set("cache-control", "private, no-store".into())));
                assert!(headers.contains(&HeaderEdit::Remove("content-length")));
            }
            other => panic!("{encoding}: {other:?}"),
        }
    }
}

fn catalog_for_every_page() -> MemoryKv {
    let mut source: serde_json::Value = serde_json::from_str(&fixture("catalog.json")).unwrap();
    source["pages"] = serde_json::json!(["/*"]);
    let bundle = Bundle::from_source(&source.to_string(), |f| Err(format!("no file {f}"))).unwrap();
    MemoryKv::with_entries(bundle.kv_entries())
}

fn cache_control(headers: &[HeaderEdit]) -> Option<&str> {
    headers.iter().find_map(|h| match h {
        HeaderEdit::Set(name, value) if name.eq_ignore_ascii_case("cache-control") => Some(value.as_str()),
        _ => None,
    })
}

const TRICKY_PATHS: &[&str] = &[
    "/",
    "/x.css",
    "/a;b.js",
    "/%2e%2e/x.png",
    "/x.css;v=1",
    "/x.css/",
    "/x.CsS",
    "/x.css%00",
    "/x%2ecss",
    "/x.css.html",
    "/x.html.css",
    "/.css",
    "/x.",
    "/a/../b.js",
    "/a%2fb.js",
    "//x.png",
    "/x.png?",
    "/x.json#",
    "/índex.html",
];

#[test]
fn every_path_either_skips_all_work_or_if_personalized_is_private_and_unstored() {
    let world = World::new(catalog_for_every_page());
    let mut personalized = 0;
    for path in TRICKY_PATHS {
        if route("GET", path, || false) != Route::Page {
            continue;
        }
        personalized += 1;
        // Whatever the path looks like, a CSS/JS/image answer passes through…
        for content_type in ["text/css", "application/javascript", "image/png"] {
            let head = response(
                200,
                &[
                    ("content-type", content_type),
                    ("cache-control", "public, max-age=31536000, immutable"),
                ],
            );
            assert_eq!(
                dispose(world.prepare(path), &head),
                Disposition::PassThrough,
                "{path} as {content_type}"
            );
        }
        // …and an HTML answer that is rewritten is marked private, no-store.
        let head = response(
            200,
            &[
                ("content-type", "text/html"),
                ("cache-control", "public, max-age=31536000, immutable"),
                ("etag", "\"abc\""),
                ("last-modified", "Mon, 01 Jan 2024 00:00:00 GMT"),
            ],
        );
        match dispose(world.prepare(path), &head) {
            Disposition::Rewrite { headers, .. } => {
                assert_eq!(cache_control(&headers), Some("private, no-store"), "{path}");
                for validator in ["etag", "last-modified", "content-length"] {
                    assert!(
                        headers.contains(&HeaderEdit::Remove(validator)),
                        "{path}: {validator}"
                    );
                }
            }
            other => panic!("{path}: {other:?}"),
        }
    }
    assert!(personalized >= 10, "only {personalized} paths reached the flow");
}

#[test]
fn static_asset_paths_skip_all_work_whatever_their_disguise() {
    let req = |path| route("GET", path, || false);
    for path in [
        "/x.css",
        "/a;b.js",
        "/%2e%2e/x.png",
        "/X.PNG",
        "/a/b/c.woff2",
        "/.css",
        "/a.b.c.js",
    ] {
        assert_eq!(req(path), Route::PassThrough(Skip::StaticAsset), "{path}");
    }
}

#[test]
fn a_personalized_response_drops_cache_directives_aimed_at_shared_caches() {
    let world = World::new(published_kv());
    let head = response(
        200,
        &[
            ("content-type", "text/html"),
            ("cache-control", "public, max-age=600"),
            ("cdn-cache-control", "max-age=86400"),
            ("cloudflare-cdn-cache-control", "max-age=86400"),
            ("surrogate-control", "max-age=86400"),
        ],
    );
    match dispose(world.prepare("/"), &head) {
        Disposition::Rewrite { headers, .. } => {
            assert_eq!(cache_control(&headers), Some("private, no-store"));
            for targeted in [
                "cdn-cache-control",
                "cloudflare-cdn-cache-control",
                "surrogate-control",
            ] {
                let neutralized = headers.iter().any(|h| match h {
                    HeaderEdit::Remove(name) => name.eq_ignore_ascii_case(targeted),
                    HeaderEdit::Set(name, value) => {
                        name.eq_ignore_ascii_case(targeted) && value.contains("no-store")
                    }
                    HeaderEdit::Append(..) => false,
                });
                assert!(
                    neutralized,
                    "{targeted} survives on a personalized page: {headers:?}"
                );
            }
        }
        other => panic!("expected a rewrite, got {other:?}"),
    }
}
