//! What the origin knows and the request's time and language, end to end
//! over the fakes: the site's own dimensions and segments in the signed
//! cookie become attributes only as the catalog declares them, the same on
//! the page, the decision API and OFREP; "business hours" follow the
//! clock in the visitor's time zone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{demo_world, get, World};
use serde_json::Value;
use tailor_edge::platform::Clock;
use tailor_edge::profile::{sign, Key, KeyRing, Profile, Purpose, DEFAULT_COOKIE_NAME};
use tailor_edge::route::Request;

const SECRET: &str = "7Jd0m1bq3cXo9T2Zr8WvYkLpN4sHaQfUe6gCiBtRxDw";
/// 2026-12-07, a Monday, 09:30 UTC.
const MONDAY_0930_UTC_MS: f64 = 1_796_635_800_000.0;

fn world() -> World {
    let mut world = demo_world("granted");
    world.config.profile.keys =
        KeyRing::from_keys(vec![Key::derive("k1", SECRET, Purpose::ProfileCookie).unwrap()]);
    world.clock.advance(MONDAY_0930_UTC_MS - world.clock.now_ms());
    world
}

fn cookie(world: &World, d: &[(&str, &str)], s: &[&str], issued_ago_s: u64) -> String {
    let now = world.clock.now_s();
    let profile = Profile {
        i: now - issued_ago_s,
        e: now + 86_400,
        d: d.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        s: s.iter().map(|v| (*v).to_owned()).collect(),
        c: "pa".into(),
        ..Profile::default()
    };
    let key = Key::derive("k1", SECRET, Purpose::ProfileCookie).unwrap();
    format!(
        "{DEFAULT_COOKIE_NAME}={}",
        sign(&profile, &key, DEFAULT_COOKIE_NAME).unwrap()
    )
}

fn with(mut req: Request, cookie: &str) -> Request {
    req.cookie = Some(cookie.to_owned());
    req
}

fn cta(world: &World, cookie: &str) -> String {
    world
        .prepare_for(&with(get("/pricing"), cookie))
        .plan
        .fill_for(Some("cta"))
        .unwrap()
        .variant
        .clone()
}

fn json(response: &tailor_edge::http::Response) -> Value {
    serde_json::from_str(&response.body).unwrap()
}

#[test]
fn a_visitor_at_80_percent_of_the_usage_limit_gets_the_upgrade_cta_on_the_page_and_through_ofrep() {
    let world = world();
    let at_limit = cookie(
        &world,
        &[("renewal", "due-14d"), ("usage_pct", "80")],
        &["power-users"],
        60,
    );
    assert_eq!(cta(&world, &at_limit), "upgrade-usage");
    let mut ofrep = Request::new("POST", "https://shop.example/ofrep/v1/evaluate/flags/cta");
    ofrep.cookie = Some(at_limit.clone());
    let flag = world.call(&ofrep, Some(r#"{"context":{}}"#));
    assert_eq!(json(&flag)["value"], "upgrade-usage", "{}", flag.body);
    let decided = json(&world.call(&with(get("/__tailor/decide?path=/pricing"), &at_limit), None));
    let attributes = &decided["profile"]["attributes"];
    assert_eq!(
        (&attributes["usage_pct"], &attributes["renewal"]),
        (&80.into(), &"due-14d".into())
    );
    assert_eq!(attributes["segments"], serde_json::json!(["power-users"]));

    assert_ne!(
        cta(&world, &cookie(&world, &[("usage_pct", "79")], &[], 60)),
        "upgrade-usage"
    );

    let why = world
        .call(&with(get("/__tailor/why?path=/pricing"), &at_limit), None)
        .body;
    assert!(
        why.contains("<li>usage pct: 80</li>") && why.contains("<li>groups: power users</li>"),
        "{why}"
    );
}

#[test]
fn site_labels_the_catalog_does_not_declare_or_has_aged_out_are_not_attributes() {
    let world = world();
    let three_days = 3 * 86_400;
    let old = cookie(&world, &[("usage_pct", "95")], &["power-users"], three_days);
    assert_ne!(
        cta(&world, &old),
        "upgrade-usage",
        "usage_pct is trusted for 2 days"
    );
    let decided = json(&world.call(&with(get("/__tailor/decide?path=/pricing"), &old), None));
    let attributes = decided["profile"]["attributes"].as_object().unwrap();
    assert!(!attributes.contains_key("usage_pct"));
    assert_eq!(
        attributes["segments"],
        serde_json::json!(["power-users"]),
        "segments last 7 days"
    );
    let undeclared = cookie(&world, &[("internal_score", "99")], &["vip"], 60);
    let decided = json(&world.call(&with(get("/__tailor/decide?path=/pricing"), &undeclared), None));
    let attributes = decided["profile"]["attributes"].as_object().unwrap();
    assert!(!attributes.contains_key("internal_score") && !attributes.contains_key("segments"));
}

#[test]
fn business_hours_follow_the_clock_in_the_visitors_time_zone() {
    let world = world();
    let chat = |zone: Option<&str>| {
        let mut req = get("/pricing");
        req.timezone = zone.map(str::to_owned);
        world
            .prepare_for(&req)
            .plan
            .fill_for(Some("sales-chat"))
            .unwrap()
            .variant
            .clone()
    };
    // Monday 09:30 UTC: 10:30 in Berlin, 04:30 in New York, 18:30 in Tokyo.
    assert_eq!(chat(Some("Europe/Berlin")), "live");
    assert_eq!(chat(Some("America/New_York")), "default");
    assert_eq!(chat(Some("Asia/Tokyo")), "default");
    assert_eq!(chat(None), "default", "no time zone: no local hour");
    // 16:30 UTC: 11:30 in New York, 17:30 in Berlin (closed at 17:00).
    world.clock.advance(7.0 * 3_600_000.0);
    assert_eq!(chat(Some("America/New_York")), "live");
    assert_eq!(chat(Some("Europe/Berlin")), "default");
}

#[test]
fn the_preferred_language_and_the_date_are_attributes() {
    let world = world();
    let mut req = get("/__tailor/decide?path=/pricing");
    req.accept_language = Some("de-CH,de;q=0.9,en;q=0.8".into());
    req.timezone = Some("Asia/Tokyo".into());
    let attributes = json(&world.call(&req, None))["profile"]["attributes"].clone();
    assert_eq!(attributes["language"], "de");
    assert_eq!(attributes["date"], "2026-12-07");
    assert_eq!(
        (&attributes["local_hour"], &attributes["weekday"]),
        (&18.into(), &"mon".into())
    );
}

#[test]
fn the_preview_offers_the_sites_dimensions_and_segments_and_shows_the_page_as_such_a_visitor() {
    let mut world = world();
    world.config.preview_keys = Some(tailor_edge::profile::PreviewKeys::derive(SECRET).unwrap());
    world.config.preview_mode = true;
    let page = world.call(&get("/__tailor/preview"), None).body;
    assert!(page.contains(r#"<input type="number" name="dim.usage_pct" data-dimension="usage_pct" value="" min="0" max="100" step="1">"#), "{page}");
    assert!(page.contains(r#"<select name="dim.renewal""#));
    assert!(page.contains(r#"<input type="checkbox" name="segment" value="power-users">"#));
    let mut post = Request::new("POST", "https://shop.example/__tailor/preview/profile");
    post.fetch_site = Some("same-origin".into());
    let form = "industry=fintech&dim.usage_pct=85&dim.renewal=&segment=power-users&consent=pa&action=apply";
    let answer = world.call(&post, Some(form));
    assert_eq!(answer.status, 303, "{}", answer.body);
    let set = answer.header("set-cookie").unwrap();
    let preview = set.split(';').next().unwrap();
    assert!(preview.contains("d=usage_pct~85&s=power-users"), "{preview}");
    assert_eq!(cta(&world, preview), "upgrade-usage");
}
