//! Visitors the origin does not know: the edge's own pseudonymous id puts
//! them in experiments, the holdout, exploration and bandits once analytics
//! consent allows it; consent is read from the site's banner or its default,
//! never presumed; nothing is kept or sent without it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{demo_world, get, set_cookie_pair, World};
use tailor_edge::consent::CookieFormat;
use tailor_edge::decide::Reason;
use tailor_edge::edge::Prepared;
use tailor_edge::platform::fakes::{FakeAnswer, FakeGenerator};
use tailor_edge::profile::{sign, Key, KeyRing, Profile, Purpose};
use tailor_edge::route::Request;
use tailor_edge::visitor::id::ID_COOKIE;

const STATE: &str = "__Host-tailor_state";

fn page(world: &World, cookie: Option<&str>) -> Prepared {
    world.prepare_for(&Request {
        cookie: cookie.map(str::to_owned),
        ..get("/")
    })
}

/// The arm of the home page's proof experiment, if the visitor is in it.
fn arm(prepared: &Prepared) -> Option<usize> {
    let proof = prepared.decided.decisions.iter().find(|d| d.block == "proof")?;
    match proof.reason {
        Reason::Experiment { arm, .. } => Some(arm),
        _ => None,
    }
}

fn id_cookie(prepared: &Prepared) -> Option<String> {
    set_cookie_pair(&prepared.decided.set_cookies, ID_COOKIE)
}

/// Serves the demo's home page as the worker does (its exposures sent),
/// then runs the background work.
fn respond(world: &World, prepared: Prepared) {
    let home = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/www/index.html")).unwrap();
    let body = world.serve_page(&get("/"), prepared, &home);
    assert!(body.contains("<tailor-block"));
}

fn events(world: &World) -> Vec<serde_json::Value> {
    world.platform.events.as_ref().unwrap().events()
}

#[test]
fn an_anonymous_visitor_with_consent_gets_an_edge_id_and_keeps_their_arm_over_twenty_requests() {
    let world = demo_world("granted");
    let first = page(&world, None);
    let cookie = id_cookie(&first).expect("an id is minted on the first page");
    let id = first.decided.visitor.attributes["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains(&format!("v1.{id}.")));
    let set = first
        .decided
        .set_cookies
        .iter()
        .find(|c| c.starts_with(ID_COOKIE))
        .unwrap();
    for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age=15552000"] {
        assert!(set.contains(attribute), "{set}");
    }
    let first_arm = arm(&first).expect("in the experiment");
    for _ in 0..20 {
        let again = page(&world, Some(&cookie));
        assert_eq!(arm(&again), Some(first_arm));
        assert_eq!(again.decided.visitor.attributes["id"], id.as_str());
        assert_eq!(id_cookie(&again), None, "kept, not minted again");
    }
}

#[test]
fn ten_thousand_anonymous_visitors_split_as_the_experiment_weighs_them() {
    let world = demo_world("granted");
    let mut counts = [0u32; 2];
    for _ in 0..10_000 {
        let prepared = page(&world, None);
        counts[arm(&prepared).unwrap()] += 1;
    }
    // Sample-ratio check against 50/50: chi-square with one degree of freedom.
    let expected = 5_000.0;
    let chi2: f64 = counts
        .iter()
        .map(|&n| (f64::from(n) - expected).powi(2) / expected)
        .sum();
    assert!(chi2 < 10.828, "p < 0.001: {counts:?}, chi2 = {chi2:.2}");
}

#[test]
fn exposures_carry_the_edge_id_and_the_generator_never_sees_it() {
    let mut world = demo_world("granted");
    world.generator = Some(FakeGenerator::answering(FakeAnswer::Html("<p>made</p>".into())));
    let first = page(&world, None);
    let id = first.decided.visitor.attributes["id"]
        .as_str()
        .unwrap()
        .to_owned();
    respond(&world, first);
    let events = events(&world);
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["id"] == id.as_str()), "{events:?}");
    for request in world.generator.as_ref().unwrap().requests() {
        assert!(!serde_json::to_string(&request).unwrap().contains(&id));
    }
}

#[test]
fn with_consent_denied_nothing_is_kept_or_sent_until_the_banner_grants_analytics() {
    let mut world = demo_world("denied");
    world.config.profile.consent.cookie = Some(("site_consent".into(), CookieFormat::Json));
    let denied = page(&world, None);
    assert!(
        denied.decided.set_cookies.is_empty(),
        "{:?}",
        denied.decided.set_cookies
    );
    assert_eq!(denied.decided.visitor.attributes.get("id"), None);
    assert_eq!(arm(&denied), None, "no id, no experiment");
    assert!(
        denied.decided.visitor.context_only,
        "request-context personalization only"
    );
    respond(&world, denied);
    assert!(events(&world).is_empty());

    let only_personalization = r#"site_consent={"personalization":true}"#;
    let personalized = page(&world, Some(only_personalization));
    assert!(
        personalized.decided.set_cookies.is_empty(),
        "no analytics: nothing kept"
    );
    respond(&world, personalized);
    assert!(events(&world).is_empty());

    let granted = page(
        &world,
        Some(r#"site_consent={"personalization":true,"analytics":true}"#),
    );
    assert!(id_cookie(&granted).is_some(), "the id appears");
    assert!(set_cookie_pair(&granted.decided.set_cookies, STATE).is_some());
    assert!(arm(&granted).is_some());
    respond(&world, granted);
    assert!(!events(&world).is_empty(), "events flow");
}

#[test]
fn withdrawing_analytics_consent_deletes_the_id_and_the_state() {
    let mut world = demo_world("granted");
    world.config.profile.consent.cookie = Some(("site_consent".into(), CookieFormat::Letters));
    let first = page(&world, None);
    let id = id_cookie(&first).unwrap();
    let state = set_cookie_pair(&first.decided.set_cookies, STATE).unwrap();
    let withdrawn = page(&world, Some(&format!("{id}; {state}; site_consent=p")));
    let deletions = &withdrawn.decided.set_cookies;
    assert!(
        deletions
            .iter()
            .any(|c| c.starts_with(&format!("{ID_COOKIE}=;")) && c.contains("Max-Age=0")),
        "{deletions:?}"
    );
    assert!(deletions
        .iter()
        .any(|c| c.starts_with(&format!("{STATE}=;")) && c.contains("Max-Age=0")));
    assert_eq!(withdrawn.decided.visitor.attributes.get("id"), None);
}

#[test]
fn opting_out_deletes_the_id_and_opting_back_in_starts_a_new_one() {
    let world = demo_world("granted");
    let first = page(&world, None);
    let before = first.decided.visitor.attributes["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cookie = id_cookie(&first).unwrap();
    let mut out = Request::new("POST", "https://shop.example/__tailor/why");
    out.cookie = Some(cookie.clone());
    let answer = world.call(&out, Some("choice=out"));
    assert_eq!(answer.status, 303);
    let set: Vec<&str> = answer
        .headers
        .iter()
        .filter(|(n, _)| *n == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect();
    assert!(set.iter().any(|c| c.starts_with("tailor_optout=1")));
    assert!(
        set.iter().any(|c| c.starts_with(&format!("{ID_COOKIE}=;"))),
        "{set:?}"
    );
    let opted_out = page(&world, Some(&format!("{cookie}; tailor_optout=1")));
    assert!(!opted_out.decided.visitor.personalization_allowed);
    assert_eq!(opted_out.decided.visitor.attributes.get("id"), None);
    // The browser deleted the id and the opt-out: back in, a new id.
    let back = page(&world, None);
    let after = back.decided.visitor.attributes["id"].as_str().unwrap().to_owned();
    assert_ne!(before, after);
}

#[test]
fn crawlers_get_the_default_experience_no_id_and_no_events() {
    let world = demo_world("granted");
    for agent in [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    ] {
        let crawler = world.prepare_for(&Request {
            user_agent: Some(agent.into()),
            ..get("/")
        });
        assert!(crawler.decided.set_cookies.is_empty(), "{agent}");
        assert!(crawler.decided.decisions.iter().all(|d| d.reason == Reason::Bot), "{agent}");
        respond(&world, crawler);
    }
    assert!(events(&world).is_empty());
}

#[test]
fn a_profile_that_carries_the_edge_id_as_its_bid_keeps_the_arm() {
    let mut world = demo_world("granted");
    let secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    let key = Key::derive("k1", secret, Purpose::ProfileCookie).unwrap();
    world.config.profile.keys = KeyRing::from_keys(vec![key.clone()]);
    let mut arms_kept = 0;
    for _ in 0..40 {
        let anonymous = page(&world, None);
        let id = anonymous.decided.visitor.attributes["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let id_pair = id_cookie(&anonymous).unwrap();
        // The origin reads the id from the edge's cookie and signs it in as `bid`.
        let read = id_pair.split('.').nth(1).unwrap();
        assert_eq!(read, id);
        let profile = Profile {
            i: 1_700_000_000,
            e: 1_700_086_400,
            bid: Some(read.to_owned()),
            stage: Some("trial".into()),
            c: "pa".into(),
            ..Profile::default()
        };
        let signed = sign(&profile, &key, "__Host-tailor_profile").unwrap();
        let profiled = page(
            &world,
            Some(&format!("{id_pair}; __Host-tailor_profile={signed}")),
        );
        assert_eq!(profiled.decided.visitor.attributes["id"], id.as_str());
        assert_eq!(arm(&profiled), arm(&anonymous), "{id}");
        arms_kept += 1;
    }
    assert_eq!(arms_kept, 40);
}

#[test]
fn cross_site_posts_to_state_changing_endpoints_are_refused() {
    let world = demo_world("granted");
    for (path, body) in [
        ("/__tailor/why", "choice=out"),
        ("/__tailor/event", r#"{"type":"goal","goal":"signup","path":"/"}"#),
        ("/__tailor/preview/profile", "industry=fintech"),
    ] {
        let mut post = Request::new("POST", &format!("https://shop.example{path}"));
        post.fetch_site = Some("cross-site".into());
        let refused = world.call(&post, Some(body));
        assert_eq!(refused.status, 403, "{path}");
        assert!(refused.headers.iter().all(|(n, _)| *n != "set-cookie"));
        post.fetch_site = None;
        post.origin = Some("https://evil.example".into());
        assert_eq!(world.call(&post, Some(body)).status, 403, "{path} by Origin");
    }
    let mut own = Request::new("POST", "https://shop.example/__tailor/why");
    own.fetch_site = Some("same-origin".into());
    assert_eq!(world.call(&own, Some("choice=out")).status, 303);
}
