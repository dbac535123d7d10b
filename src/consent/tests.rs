use super::*;

/// A TC string (core segment only) with version 2 and these purposes consented.
fn tc_string(purposes: &[usize]) -> String {
    let mut bits = [false; TCF_PURPOSES_AT + 24 + 8];
    // version = 2 in the first 6 bits
    bits[4] = true;
    for p in purposes {
        bits[TCF_PURPOSES_AT + p - 1] = true;
    }
    let bytes: Vec<u8> = bits
        .chunks(8)
        .map(|chunk| chunk.iter().fold(0u8, |b, bit| (b << 1) | u8::from(*bit)) << (8 - chunk.len()))
        .collect();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn settings(default: &str, cookie: Option<(&str, CookieFormat)>) -> ConsentSettings {
    ConsentSettings {
        default: DefaultRule::parse(default).unwrap(),
        cookie: cookie.map(|(n, f)| (n.to_owned(), f)),
        context_personalization: true,
    }
}

fn facts<'a>(
    cookie: Option<&'a str>,
    profile: Option<&'a str>,
    country: Option<&'a str>,
) -> ConsentFacts<'a> {
    ConsentFacts {
        cookie_header: cookie,
        profile,
        global_privacy_control: false,
        country,
    }
}

#[test]
fn the_default_applies_only_where_the_visitor_has_said_nothing() {
    let granted = decide(&settings("granted", None), &facts(None, None, None));
    assert!(granted.personalization && granted.analytics && !granted.context_only);
    assert_eq!(granted.source, ConsentSource::Default);
    let denied = decide(&settings("denied", None), &facts(None, None, None));
    assert!(!denied.personalization && !denied.analytics && denied.context_only);
    let strict = ConsentSettings {
        context_personalization: false,
        ..settings("denied", None)
    };
    assert!(!decide(&strict, &facts(None, None, None)).context_only);
}

#[test]
fn the_default_can_differ_by_country_and_an_unknown_country_is_denied() {
    let rule = settings("granted except EEA,GB,CH", None);
    assert!(decide(&rule, &facts(None, None, Some("US"))).analytics);
    for country in ["DE", "gb", "CH", "NO"] {
        assert!(
            !decide(&rule, &facts(None, None, Some(country))).analytics,
            "{country}"
        );
    }
    assert!(!decide(&rule, &facts(None, None, None)).analytics);
    let opt_in = settings("denied except US", None);
    assert!(decide(&opt_in, &facts(None, None, Some("US"))).personalization);
    assert!(!decide(&opt_in, &facts(None, None, Some("FR"))).personalization);
    for bad in [
        "",
        "yes",
        "granted except",
        "granted except EU1",
        "denied except USA",
    ] {
        assert_eq!(DefaultRule::parse(bad), None, "{bad}");
    }
}

#[test]
fn the_banner_wins_over_the_profile_and_the_default() {
    let rule = settings("granted", Some(("consent", CookieFormat::Letters)));
    let banner = decide(&rule, &facts(Some("consent=p"), Some("pa"), None));
    assert_eq!(
        (banner.personalization, banner.analytics, banner.source),
        (true, false, ConsentSource::Banner)
    );
    let profile = decide(&rule, &facts(Some("other=1"), Some("a"), None));
    assert_eq!(
        (profile.personalization, profile.analytics, profile.source),
        (false, true, ConsentSource::Profile)
    );
    let unreadable = decide(&rule, &facts(Some("consent=maybe"), None, None));
    assert_eq!(
        unreadable.source,
        ConsentSource::Default,
        "an unreadable banner is no answer"
    );
}

#[test]
fn privacy_control_and_the_opt_out_override_everything() {
    let rule = settings("granted", Some(("consent", CookieFormat::Letters)));
    let gpc = ConsentFacts {
        global_privacy_control: true,
        ..facts(Some("consent=pa"), Some("pa"), None)
    };
    let refused = decide(&rule, &gpc);
    assert!(!refused.personalization && !refused.analytics && !refused.context_only);
    let out = decide(
        &rule,
        &facts(Some("consent=pa; tailor_optout=1"), Some("pa"), None),
    );
    assert_eq!(out.source, ConsentSource::OptOut);
    assert!(!out.context_only, "an explicit refusal is not the default");
}

#[test]
fn json_banners_are_read_plain_or_url_encoded() {
    assert_eq!(
        CookieFormat::Json.read(r#"{"personalization":true,"analytics":false}"#),
        Some((true, false))
    );
    assert_eq!(
        CookieFormat::Json.read("%7B%22analytics%22%3Atrue%7D"),
        Some((false, true)),
        "an absent purpose is not granted"
    );
    assert_eq!(CookieFormat::Json.read("[true]"), None);
    assert_eq!(CookieFormat::Json.read("{nope"), None);
}

#[test]
fn tcf_strings_grant_each_purpose_only_with_all_of_its_purposes() {
    assert_eq!(
        CookieFormat::Tcf.read(&tc_string(&[1, 5, 6, 8, 9])),
        Some((true, true))
    );
    assert_eq!(
        CookieFormat::Tcf.read(&tc_string(&[1, 5, 6])),
        Some((true, false))
    );
    assert_eq!(
        CookieFormat::Tcf.read(&tc_string(&[1, 8, 9])),
        Some((false, true))
    );
    assert_eq!(
        CookieFormat::Tcf.read(&tc_string(&[5, 6, 8, 9])),
        Some((false, false)),
        "no storage, nothing"
    );
    let with_segments = format!("{}.IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw", tc_string(&[1, 5, 6]));
    assert_eq!(CookieFormat::Tcf.read(&with_segments), Some((true, false)));
    let mut version_one = tc_string(&[1, 5, 6]).into_bytes();
    version_one[0] = b'B';
    assert_eq!(
        CookieFormat::Tcf.read(std::str::from_utf8(&version_one).unwrap()),
        None
    );
    assert_eq!(CookieFormat::Tcf.read("not base64!"), None);
    assert_eq!(CookieFormat::Tcf.read("CA"), None, "too short");
    assert_eq!(CookieFormat::Tcf.read(&"A".repeat(5000)), None);
}

#[test]
fn a_real_tc_string_is_read() {
    // The IAB's example from the TCF v2 technical specification's "TC String" section.
    let example = "COvFyGBOvFyGBAbAAAENAPCAAOAAAAAAAAAAAEEUACCKAAA.IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw";
    assert!(
        CookieFormat::Tcf.read(example).is_some(),
        "a version-2 string decodes"
    );
}

#[test]
fn letters_are_the_profile_cookies_own() {
    assert_eq!(letters("pa"), Some((true, true)));
    assert_eq!(letters("-"), Some((false, false)));
    assert_eq!(letters("x"), None);
}
