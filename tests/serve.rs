//! Every route of the page worker, natively: what the router picks, what the
//! gates let through, what each endpoint reads and answers, and that a page,
//! the decision API, the beacon and OFREP see the same visitor.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{demo_kv, get, World};
use serde_json::Value;
use tailor_edge::edge::Disposition;
use tailor_edge::platform::fakes::{FakeAnswer, FakeGenerator, MemoryEvents, MemoryResponse};
use tailor_edge::profile::{Key, Purpose};
use tailor_edge::route::Request;

const STATE_SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

/// The demo site: its catalog, signals kept, events sent.
fn demo() -> World {
    let mut world = World::new(demo_kv());
    world.config.site = Some("demo".into());
    world.config.state_key = Some(Key::derive("s1", STATE_SECRET, Purpose::EdgeState).unwrap());
    world.config.id_key = Some(Key::derive("id", STATE_SECRET, Purpose::EdgeId).unwrap());
    world.config.profile.consent.default = tailor_edge::consent::DefaultRule::parse("granted").unwrap();
    world.platform.events = Some(MemoryEvents::new());
    world
}

fn with_cookie(mut req: Request, cookie: &str) -> Request {
    req.cookie = Some(cookie.to_owned());
    req
}

/// A page view: the `__Host-tailor_state` value it sets, if any.
fn view(world: &World, path: &str, cookie: &str) -> Option<String> {
    let prepared = world.prepare_for(&with_cookie(get(path), cookie));
    let set = prepared
        .decided
        .set_cookies
        .iter()
        .find(|c| c.starts_with("__Host-tailor_state="))?;
    Some(set.split(';').next().unwrap().to_owned())
}

fn json(response: &tailor_edge::http::Response) -> Value {
    serde_json::from_str(&response.body).unwrap()
}

fn post(path: &str, body: &str) -> (Request, String) {
    (
        Request::new("POST", &format!("https://shop.example{path}")),
        body.to_owned(),
    )
}

#[test]
fn two_views_of_the_pricing_page_give_the_sales_hero_on_the_page_the_decision_api_and_ofrep_alike() {
    let world = demo();
    let first = view(&world, "/pricing", "").expect("a state cookie");
    let second = view(&world, "/pricing", &first).unwrap();
    let page = world.prepare_for(&with_cookie(get("/"), &second));
    assert_eq!(
        page.plan.fill_for(Some("hero")).unwrap().variant,
        "pricing-interest"
    );

    let decide = world.call(&with_cookie(get("/__tailor/decide?path=/"), &second), None);
    let decisions = json(&decide)["decisions"].clone();
    let hero = decisions
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["block"] == "hero")
        .unwrap();
    assert_eq!(hero["variant"], "pricing-interest");

    let (ofrep, body) = post("/ofrep/v1/evaluate/flags/hero", r#"{"context":{}}"#);
    let flag = world.call(&with_cookie(ofrep, &second), Some(&body));
    assert_eq!(flag.status, 200, "{}", flag.body);
    assert_eq!(json(&flag)["value"], "pricing-interest", "{}", flag.body);
    assert_eq!(json(&flag)["metadata"]["tailorReason"], "rule");
}

#[test]
fn routes_that_only_decide_never_read_a_fragment_or_call_the_generator() {
    let mut world = demo();
    world.generator = Some(FakeGenerator::answering(FakeAnswer::Html("<p>made</p>".into())));
    // A segment no spotlight variant fits: a page would ask the generator.
    let retail = tailor_edge::profile::sign(
        &tailor_edge::profile::Profile {
            i: 1_700_000_000,
            e: 1_700_086_400,
            ind: Some("retail".into()),
            role: Some("founder".into()),
            size: Some("mid".into()),
            c: "pa".into(),
            ..Default::default()
        },
        &Key::derive("k1", STATE_SECRET, Purpose::ProfileCookie).unwrap(),
        "__Host-tailor_profile",
    )
    .unwrap();
    world.config.profile.keys = tailor_edge::profile::KeyRing::from_keys(vec![Key::derive(
        "k1",
        STATE_SECRET,
        Purpose::ProfileCookie,
    )
    .unwrap()]);
    let cookie = format!("__Host-tailor_profile={retail}");
    let fragment_reads = || {
        world
            .kv
            .reads()
            .iter()
            .filter(|k| k.contains("/fragment/"))
            .count()
    };

    let decide = world.call(&with_cookie(get("/__tailor/decide?path=/"), &cookie), None);
    assert_eq!(decide.status, 200);
    assert_eq!(json(&decide)["outcome"], "personalize");
    let (beacon, body) = post("/__tailor/event", r#"{"type":"click","block":"cta","path":"/"}"#);
    assert_eq!(world.call(&with_cookie(beacon, &cookie), Some(&body)).status, 204);
    let why = world.call(&with_cookie(get("/__tailor/why"), &cookie), None);
    assert_eq!(why.status, 200);
    let (ofrep, body) = post("/ofrep/v1/evaluate/flags", "{}");
    assert_eq!(world.call(&with_cookie(ofrep, &cookie), Some(&body)).status, 200);
    world.finish_background();
    assert_eq!(fragment_reads(), 0, "{:?}", world.kv.reads());
    assert!(world.generator.as_ref().unwrap().requests().is_empty());
    for answer in [&decide, &why] {
        let timing = answer.header("server-timing").unwrap();
        assert!(
            timing.contains("decide;") && !timing.contains("fragments"),
            "{timing}"
        );
    }

    // The page itself does both (what the routes above are spared).
    world.prepare_for(&with_cookie(get("/"), &cookie));
    assert!(fragment_reads() > 0);
    assert_eq!(world.generator.as_ref().unwrap().requests().len(), 1);
}

#[test]
fn no_answer_repeats_what_the_request_sent() {
    let world = demo();
    let hostile = "%3Cscript%3Ealert(1)%3C/script%3E";
    let decide = world.call(&get(&format!("/__tailor/decide?path=/{hostile}")), None);
    assert_eq!(decide.status, 200);
    assert!(!decide.body.contains("script"), "{}", decide.body);
    assert_eq!(json(&decide)["path"], Value::Null);
    assert_eq!(
        json(&world.call(&get("/__tailor/decide?path=/pricing"), None))["path"],
        "/pricing"
    );

    let (beacon, body) = post(
        "/__tailor/event",
        r#"{"type":"click","block":"cta","path":"/","<img src=x>":1}"#,
    );
    let refused = world.call(&beacon, Some(&body));
    assert_eq!(refused.status, 400);
    assert!(!refused.body.contains("img"), "{}", refused.body);

    let (ofrep, body) = post("/ofrep/v1/evaluate/flags/%3Cscript%3E", "{}");
    let missing = world.call(&ofrep, Some(&body));
    assert_eq!(missing.status, 404);
    assert!(
        !missing.body.contains("script") && !missing.body.contains("3C"),
        "{}",
        missing.body
    );
    let (ofrep, body) = post("/ofrep/v1/evaluate/flags/no-such-block", "{}");
    assert_eq!(
        json(&world.call(&ofrep, Some(&body)))["key"],
        "no-such-block",
        "an id may be named back"
    );
}

#[test]
fn preview_endpoints_are_not_found_unless_preview_is_on_and_the_key_starts_a_session() {
    let mut world = demo();
    assert_eq!(world.call(&get("/__tailor/preview"), None).status, 404);
    world.config.preview_keys = Some(tailor_edge::profile::PreviewKeys::derive(STATE_SECRET).unwrap());
    assert_eq!(world.call(&get("/__tailor/preview/gallery"), None).status, 404);
    let start = world.call(&get(&format!("/__tailor/preview?key={STATE_SECRET}")), None);
    assert_eq!(start.status, 303);
    let session = start
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let gallery = world.call(&with_cookie(get("/__tailor/preview/gallery"), &session), None);
    assert_eq!(gallery.status, 200);
    assert!(json(&gallery)["blocks"].as_array().unwrap().len() >= 6);
    world.config.preview_mode = true;
    assert_eq!(world.call(&get("/__tailor/preview"), None).status, 200);
}

/// A consenting visitor's first page view: the edge's id cookie (`name=value`).
fn new_visitor(world: &World) -> String {
    let prepared = world.prepare_for(&get("/"));
    let set = prepared
        .decided
        .set_cookies
        .iter()
        .find(|c| c.starts_with("__Host-tailor_id="))
        .expect("an id cookie");
    set.split(';').next().unwrap().to_owned()
}

/// The demo's /docs/ page: it marks only `cta`.
const DOCS: &str = r#"<h1>Docs</h1><tailor-block name="cta"><a href="/signup">Sign up</a></tailor-block>"#;

fn beacon(world: &World, cookie: &str, body: &str) -> tailor_edge::http::Response {
    let (req, body) = post("/__tailor/event", body);
    world.call(&with_cookie(req, cookie), Some(&body))
}

#[test]
fn a_click_credits_only_a_block_the_visitor_was_served_on_that_path_with_the_variant_served() {
    let world = demo();
    let visitor = new_visitor(&world);
    let req = with_cookie(get("/docs/"), &visitor);
    world.serve_page(&req, world.prepare_for(&req), DOCS);
    let events = world.platform.events.as_ref().unwrap();
    let exposures = events.events();
    assert_eq!(
        exposures.len(),
        1,
        "one marked block, one exposure: {exposures:?}"
    );
    assert_eq!(exposures[0]["block"], "cta");

    let hero = beacon(
        &world,
        &visitor,
        r#"{"type":"click","block":"hero","path":"/docs/"}"#,
    );
    assert_eq!(
        (hero.status, hero.header("server-timing")),
        (204, Some(r#"beacon;desc="credited 0""#))
    );
    let cta = beacon(
        &world,
        &visitor,
        r#"{"type":"click","block":"cta","path":"/docs/"}"#,
    );
    assert_eq!(cta.header("server-timing"), Some(r#"beacon;desc="credited 1""#));
    world.finish_background();
    let all = events.events();
    let conversion = all.iter().find(|e| e["kind"] == "conversion").unwrap();
    assert_eq!(
        (&conversion["block"], &conversion["variant"]),
        (&"cta".into(), &exposures[0]["variant"])
    );
    let mut ids: Vec<&str> = all.iter().map(|e| e["event_id"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "every event has its own id");
}

#[test]
fn a_visitor_pacing_a_thousand_beacons_gets_their_allowance_and_another_visitor_still_passes() {
    let world = demo();
    let (greedy, other) = (new_visitor(&world), new_visitor(&world));
    let body = r#"{"type":"goal","goal":"signup","path":"/"}"#;
    let mut recorded = 0;
    for _ in 0..1000 {
        world.clock.advance(12.5); // 80 per second
        match beacon(&world, &greedy, body).status {
            204 => recorded += 1,
            429 => {}
            other => panic!("status {other}"),
        }
    }
    // A burst of 20, then 20 a minute, over 12.5 s.
    assert_eq!(recorded, 20 + 4);
    let limited = beacon(&world, &greedy, body);
    assert_eq!((limited.status, limited.header("retry-after")), (429, Some("3")));
    assert_eq!(beacon(&world, &other, body).status, 204);
    let anonymous = beacon(&world, "", body);
    assert_eq!(
        anonymous.header("server-timing"),
        Some(r#"beacon;desc="not tracked""#)
    );
}

#[test]
fn ofrep_takes_a_whole_context_only_from_a_caller_with_an_api_key() {
    let mut world = demo();
    world.config.ofrep_keys = vec!["server-key".into()];
    let context = r#"{"context":{"targetingKey":"u1","industry":"fintech","company_size":"enterprise"}}"#;
    let (anonymous, body) = post("/ofrep/v1/evaluate/flags/hero", context);
    let mine = json(&world.call(&anonymous, Some(&body)));
    assert_eq!(
        (&mine["value"], &mine["metadata"]["tailorReason"]),
        (&"default".into(), &"default".into())
    );
    let mut server = anonymous.clone();
    server.api_key = Some("server-key".into());
    let theirs = json(&world.call(&server, Some(&body)));
    // The segment's rule, or exploration beside it (`u1` is hashed per period).
    let reason = theirs["metadata"]["tailorReason"].as_str().unwrap();
    assert!(
        reason == "rule" && theirs["value"] == "fintech-enterprise" || reason == "exploration",
        "{theirs}"
    );
}

#[test]
fn ofrep_answers_carry_cors_for_configured_origins_even_when_refused() {
    let mut world = demo();
    world.config.ofrep_cors_origins = vec!["https://app.example".into()];
    let mut wrong = Request::new("GET", "https://shop.example/ofrep/v1/evaluate/flags");
    wrong.origin = Some("https://app.example".into());
    let refused = world.call(&wrong, None);
    assert_eq!(refused.status, 405);
    assert_eq!(
        refused.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let mut preflight = wrong.clone();
    preflight.method = "OPTIONS".into();
    assert_eq!(world.call(&preflight, None).status, 204);
    assert_eq!(world.call(&get("/__tailor/nope"), None).status, 404);
    assert_eq!(
        world
            .call(&Request::new("PUT", "https://s/__tailor/why"), None)
            .status,
        405
    );
}

#[test]
fn a_page_sends_exposures_only_for_the_blocks_the_rewriter_filled() {
    let world = demo();
    let visitor = new_visitor(&world);
    let req = with_cookie(get("/"), &visitor);
    let css = MemoryResponse {
        headers: vec![("content-type".into(), "text/css".into())],
        ..MemoryResponse::html("")
    };
    let (disposition, pending) = world.edge().respond(&req, world.prepare_for(&req), &css);
    assert_eq!(disposition, Disposition::PassThrough);
    assert!(pending.is_empty());
    world.serve_page(&req, world.prepare_for(&req), "<p>no markers</p>");
    assert!(world.platform.events.as_ref().unwrap().batches().is_empty());
    let two = r#"<tailor-block name="hero">h</tailor-block><tailor-block name="cta">c</tailor-block>"#;
    world.serve_page(&req, world.prepare_for(&req), two);
    let events = world.platform.events.as_ref().unwrap().events();
    let blocks: Vec<&str> = events.iter().map(|e| e["block"].as_str().unwrap()).collect();
    assert_eq!(blocks, ["cta", "hero"]);
    assert!(events.iter().all(|e| e["kind"] == "exposure"));
}

#[test]
fn refused_profile_cookies_are_logged_at_powers_of_two_without_their_value() {
    let world = demo();
    let req = with_cookie(get("/"), "__Host-tailor_profile=v1.forged.cookie-value");
    for _ in 0..5 {
        let edge = world.edge();
        futures_executor::block_on(edge.page(&req, async {}));
    }
    let logged = world.platform.logged();
    assert_eq!(logged.len(), 3, "{logged:?}");
    assert!(logged
        .iter()
        .all(|l| l.starts_with("tailor: profile cookie refused") && !l.contains("forged")));
}

#[test]
fn an_ofrep_evaluation_sends_an_exposure_per_flag_evaluated_marked_with_its_channel() {
    let world = demo();
    let visitor = new_visitor(&world);
    let (req, body) = post("/ofrep/v1/evaluate/flags/hero", r#"{"context":{}}"#);
    assert_eq!(world.call(&with_cookie(req, &visitor), Some(&body)).status, 200);
    world.finish_background();
    let events = world.platform.events.as_ref().unwrap().events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (&events[0]["channel"], &events[0]["block"], &events[0]["path"]),
        (&"ofrep".into(), &"hero".into(), &"".into())
    );
    let (bulk, body) = post("/ofrep/v1/evaluate/flags", r#"{"context":{}}"#);
    world.call(&bulk, Some(&body));
    world.finish_background();
    assert_eq!(
        world.platform.events.as_ref().unwrap().events().len(),
        1,
        "a visitor without an id sends none"
    );
}

fn fragments(world: &World, cookie: &str, query: &str) -> tailor_edge::http::Response {
    world.call(
        &with_cookie(get(&format!("/__tailor/fragments?{query}")), cookie),
        None,
    )
}

#[test]
fn a_client_navigation_gets_the_blocks_a_page_load_would_fill_and_counts_them_like_a_page() {
    let world = demo();
    let visitor = new_visitor(&world);
    let page = world.prepare_for(&with_cookie(get("/docs/"), &visitor));
    let answer = fragments(&world, &visitor, "path=%2Fdocs%2F&block=cta&block=nope");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("cache-control"), Some("private, no-store"));
    let body = json(&answer);
    assert_eq!(body["path"], "/docs/");
    let blocks = body["blocks"].as_object().unwrap();
    assert_eq!(
        blocks.keys().collect::<Vec<_>>(),
        ["cta"],
        "an unknown block is absent"
    );
    let fill = page.plan.fill_for(Some("cta")).unwrap();
    assert_eq!(
        (blocks["cta"]["variant"].as_str(), blocks["cta"]["html"].as_str()),
        (Some(fill.variant.as_str()), Some(fill.html.as_ref()))
    );
    world.finish_background();
    let events = world.platform.events.as_ref().unwrap().events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (
            &events[0]["kind"],
            &events[0]["channel"],
            &events[0]["block"],
            &events[0]["path"]
        ),
        (
            &"exposure".into(),
            &"fragment".into(),
            &"cta".into(),
            &"/docs/".into()
        )
    );

    // The ledger was kept before the answer: a sighting and a click credit the variant served.
    let seen = r#"{"type":"seen","block":"cta","path":"/docs/"}"#;
    assert_eq!(
        beacon(&world, &visitor, seen).header("server-timing"),
        Some(r#"beacon;desc="credited 1""#)
    );
    assert_eq!(
        beacon(&world, &visitor, seen).header("server-timing"),
        Some(r#"beacon;desc="credited 0""#),
        "one sighting per block and page view"
    );
    let click = r#"{"type":"click","block":"cta","path":"/docs/"}"#;
    assert_eq!(
        beacon(&world, &visitor, click).header("server-timing"),
        Some(r#"beacon;desc="credited 1""#)
    );
    world.finish_background();
    let kinds: Vec<String> = world
        .platform
        .events
        .as_ref()
        .unwrap()
        .events()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["kind"].as_str().unwrap(),
                e["variant"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            format!("exposure:{}", fill.variant),
            format!("seen:{}", fill.variant),
            format!("conversion:{}", fill.variant)
        ]
    );
}

#[test]
fn fragments_for_a_bot_or_a_page_the_catalog_does_not_cover_are_what_a_page_load_would_show() {
    let world = demo();
    let mut bot = get("/__tailor/fragments?path=/&block=hero");
    bot.user_agent = Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)".into());
    let answer = world.call(&bot, None);
    let hero = &json(&answer)["blocks"]["hero"];
    let mut page_req = get("/");
    page_req.user_agent = bot.user_agent.clone();
    let page = world.prepare_for(&page_req);
    assert_eq!(
        hero["variant"].as_str(),
        page.plan.fill_for(Some("hero")).map(|f| f.variant.as_str())
    );
    world.finish_background();
    assert!(
        world.platform.events.as_ref().unwrap().events().is_empty(),
        "nothing counted for a bot"
    );
    let uncovered = fragments(&world, "", "path=/__not-covered/x.html&block=hero");
    assert_eq!(
        (
            uncovered.status,
            json(&uncovered)["blocks"].as_object().map(|b| b.len())
        ),
        (200, Some(0))
    );
}

#[test]
fn a_fragments_request_without_a_page_or_a_valid_block_is_refused_with_the_rule_it_broke() {
    let world = demo();
    for query in ["block=hero", "path=/", "path=/&block=<script>"] {
        let answer = fragments(&world, "", query);
        assert_eq!(answer.status, 400, "{query}");
        assert!(!answer.body.contains("<script>"));
    }
}
