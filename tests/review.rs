//! The review queue natively over the fakes: a segment's unserved outcome is
//! remembered (one generator call, one pending write across many requests,
//! isolates and locations); approving publishes the draft as that segment's
//! variant; rejecting stops regeneration; refused drafts are listed with the
//! rule they broke and cannot be approved; bad requests get typed refusals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{fixture, get, segment_cookie, with_generator, World};
use futures_executor::block_on;
use serde_json::{json, Value};
use tailor_edge::catalog::source::Bundle;
use tailor_edge::catalog::{pointer_key, Pointer};
use tailor_edge::edge::{Isolate, Prepared};
use tailor_edge::platform::fakes::{FakeAnswer, MemoryKv};
use tailor_edge::platform::GenerateRequest;
use tailor_edge::publish::review::{serve_review, ReviewIo, REVIEW_PATH};
use tailor_edge::publish::signature::{sign as sign_push, PushSecrets, SignatureHeaders};
use tailor_edge::publish::{
    generated_request, handle, handle_generated, Action, PublishConfig, PublishGuard, PushIo, PushRequest,
    PENDING_TTL_S, REFUSED_TTL_S,
};
use tailor_edge::route::Request;
use tailor_edge::targeting::NativeRegex;

const SECRET: &str = "dGVzdC1vbmx5LXByb2ZpbGUta2V5LTMyLWJ5dGVzLWxvbmch";
const PUSH_SECRET: &str = "review-push-secret-0123456789abcdefghijklmn";
const DRAFT: &str = "<p class=\"btn\">CTOs: 20% off at the edge</p>";

/// The fixture catalog with a generated CTA for CTOs that needs approval,
/// and a hero that generates (with guardrails) when no variant fits.
fn bundle() -> Bundle {
    let mut source: Value = serde_json::from_str(&fixture("catalog.json")).unwrap();
    source["blocks"]["cta"]["variants"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "id": "for-you", "html": "<a href=\"/x\">Placeholder</a>", "when": { "role": "cto" }, "generated": true }));
    source["blocks"]["cta"]["generate"] = json!({ "approval": true });
    source["blocks"]["hero"]["generate"] = json!({
        "unmatched": true,
        "guardrails": { "max_words": 8 }
    });
    Bundle::from_source(&source.to_string(), |_| Err("no files".into())).unwrap()
}

fn world(kv: MemoryKv, answer: FakeAnswer) -> World {
    with_generator(World::new(kv), SECRET, answer)
}

fn cookie(world: &World, fields: &[(&str, &str)]) -> String {
    segment_cookie(world, SECRET, fields)
}

fn visit(world: &World, cookie: &str) -> Prepared {
    let page = world.prepare_for(&Request {
        cookie: Some(cookie.to_owned()),
        ..get("/")
    });
    world.finish_background();
    page
}

fn filled(prepared: &Prepared, block: &str) -> (String, String) {
    prepared
        .plan
        .iter()
        .find(|(name, _)| *name == block)
        .map(|(_, fill)| (fill.variant.to_string(), fill.html.to_string()))
        .unwrap_or_default()
}

fn calls(world: &World) -> usize {
    world.generator.as_ref().unwrap().requests().len()
}

/// What the control worker does with the generator's answer: the real
/// handler over the same KV (the fake sanitizer does not write KV).
fn control_worker_keeps(kv: &MemoryKv, request: &GenerateRequest, html: &str, approval: bool) -> Value {
    let body = generated_request(request, html, approval, None);
    let answer = block_on(handle_generated(body.as_bytes(), "shop", kv, 1_700_000_000_000));
    serde_json::from_str(&answer.body).unwrap()
}

fn io(kv: &MemoryKv) -> ReviewIo<'_, MemoryKv> {
    ReviewIo {
        kv,
        site: "shop",
        retain: 5,
        now_ms: 1_700_000_100_000,
        regex: &NativeRegex,
    }
}

fn review(kv: &MemoryKv, action: Value) -> (u16, Value) {
    let answer = block_on(serve_review(&action.to_string(), &io(kv)));
    (answer.status, serde_json::from_str(&answer.body).unwrap())
}

/// The control worker's settings for site `shop`, pushes signed with PUSH_SECRET.
fn control_config() -> PublishConfig {
    PublishConfig {
        site: "shop".into(),
        secrets: PushSecrets::parse(PUSH_SECRET).0,
        max_body_bytes: 64 * 1024,
        retain: 3,
        loop_window_days: 14,
        loop_exposures: Default::default(),
    }
}

fn pending_keys(kv: &MemoryKv) -> Vec<String> {
    kv.snapshot()
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("tailor/shop/pending/"))
        .collect()
}

/// A CTO asks for the CTA; the control worker keeps the draft pending in KV.
fn one_pending_draft() -> (World, String) {
    let world = world(
        MemoryKv::with_entries(bundle().kv_entries()),
        FakeAnswer::Html(DRAFT.into()),
    );
    let cto = cookie(&world, &[("role", "cto")]);
    visit(&world, &cto);
    let request = world.generator.as_ref().unwrap().requests()[0].clone();
    assert_eq!(
        control_worker_keeps(&world.kv, &request, DRAFT, true)["status"],
        "pending"
    );
    (world, cto)
}

#[test]
fn a_segments_miss_on_an_approval_block_makes_one_generator_call_and_one_pending_write_across_100_requests() {
    let world = world(
        MemoryKv::with_entries(bundle().kv_entries()),
        FakeAnswer::Html(DRAFT.into()),
    );
    let cto = cookie(&world, &[("role", "cto")]);
    for _ in 0..100 {
        let page = visit(&world, &cto);
        assert_eq!(
            filled(&page, "cta").1,
            "<a href=\"/x\">Placeholder</a>",
            "never the draft"
        );
        assert!(page
            .decided
            .timing
            .header_value()
            .contains("cta:generator-pending-approval"));
    }
    assert_eq!(calls(&world), 1, "one generator call");
    assert_eq!(
        world.sanitizer.pending.borrow().len(),
        1,
        "one draft kept (one KV write)"
    );
    assert_eq!(
        world
            .isolate
            .generation
            .fallbacks()
            .get("generator-pending-approval"),
        Some(&100)
    );
}

#[test]
fn another_isolate_reads_the_remembered_outcome_from_the_cache_and_another_location_from_the_queue() {
    let (mut world, cto) = one_pending_draft();
    world.isolate = Isolate::new();
    visit(&world, &cto);
    assert_eq!(calls(&world), 1, "the Cache API's marker answers");
    world.isolate = Isolate::new();
    world.cache.clear();
    let page = visit(&world, &cto);
    assert_eq!(calls(&world), 1, "the pending draft in KV answers");
    assert!(page
        .decided
        .timing
        .header_value()
        .contains("cta:generator-pending-approval"));
}

#[test]
fn failed_and_unsafe_answers_are_not_asked_again_until_the_retry_time_passes() {
    for answer in [
        FakeAnswer::Error,
        FakeAnswer::Html("<h1>x</h1><script>x()</script>".into()),
    ] {
        let world = world(MemoryKv::with_entries(bundle().kv_entries()), answer.clone());
        let retail = cookie(&world, &[("industry", "retail")]);
        for _ in 0..10 {
            visit(&world, &retail);
        }
        assert_eq!(calls(&world), 1, "{answer:?}");
        world
            .clock
            .advance(f64::from(world.config.generator_retry_s) * 1000.0 + 1.0);
        world.cache.clear(); // the Cache API forgets on its TTL too
        visit(&world, &retail);
        assert_eq!(
            calls(&world),
            2,
            "{answer:?}: asked again after TAILOR_GENERATOR_RETRY_S"
        );
    }
}

#[test]
fn the_list_shows_a_pending_draft_with_its_segment_and_the_live_variant() {
    let (world, _) = one_pending_draft();
    let (status, answer) = review(&world.kv, json!({ "action": "list" }));
    assert_eq!(status, 200, "{answer}");
    let drafts = answer["drafts"].as_array().unwrap();
    assert_eq!(drafts.len(), 1);
    let draft = &drafts[0];
    assert_eq!(draft["status"], "pending");
    assert_eq!(draft["block"], "cta");
    assert_eq!(draft["segment"], json!({ "role": "cto" }));
    assert_eq!(draft["html"], DRAFT);
    assert_eq!(draft["live_html"], "<a href=\"/x\">Placeholder</a>");
    assert!(draft["id"].as_str().unwrap().starts_with("pending/cta/for-you/"));
    let (status, shown) = review(&world.kv, json!({ "action": "show", "id": draft["id"] }));
    assert_eq!(status, 200);
    assert_eq!(shown["draft"], *draft);
    assert_eq!(shown["as_variant"]["id"], draft["approved_variant"]);
    assert_eq!(shown["as_variant"]["when"]["role"], "cto");
    assert_eq!(shown["as_variant"]["html"], DRAFT);
}

#[test]
fn approving_publishes_a_version_whose_decision_for_that_segment_is_the_draft() {
    let (world, cto) = one_pending_draft();
    let (_, listed) = review(&world.kv, json!({ "action": "list" }));
    let id = listed["drafts"][0]["id"].clone();
    let (status, answer) = review(&world.kv, json!({ "action": "approve", "id": id }));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["publish"]["status"], "published");
    let variant = answer["variant"].as_str().unwrap().to_owned();
    assert!(variant.starts_with("approved-"));
    assert!(pending_keys(&world.kv).is_empty(), "the draft left the queue");
    let pointer: Pointer = serde_json::from_str(
        &world
            .kv
            .snapshot()
            .into_iter()
            .find(|(k, _)| *k == pointer_key("shop"))
            .unwrap()
            .1,
    )
    .unwrap();
    assert_eq!(pointer.version, answer["publish"]["version"]);

    let page = visit(&world, &cto);
    assert_eq!(filled(&page, "cta"), (variant.clone(), DRAFT.to_owned()));
    assert_eq!(calls(&world), 1, "no generation for an approved segment");
    // Only that segment: a CTO in fintech is another segment.
    let other = visit(
        &world,
        &cookie(&world, &[("role", "cto"), ("industry", "fintech")]),
    );
    assert_ne!(filled(&other, "cta").0, variant);
}

#[test]
fn rejecting_records_why_and_stops_regeneration_for_that_segment() {
    let (mut world, cto) = one_pending_draft();
    let (_, listed) = review(&world.kv, json!({ "action": "list" }));
    let id = listed["drafts"][0]["id"].clone();
    let (status, answer) = review(
        &world.kv,
        json!({ "action": "reject", "id": id, "reason": "off-brand discount" }),
    );
    assert_eq!(status, 200, "{answer}");
    assert!(pending_keys(&world.kv).is_empty());
    let rejected: Vec<(String, String)> = world
        .kv
        .snapshot()
        .into_iter()
        .filter(|(k, _)| k.starts_with("tailor/shop/rejected/cta/"))
        .collect();
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].1.contains("off-brand discount"));
    // A new isolate at a new location: the rejection in KV answers.
    world.isolate = Isolate::new();
    world.cache.clear();
    for _ in 0..5 {
        let page = visit(&world, &cto);
        assert!(page
            .decided
            .timing
            .header_value()
            .contains("cta:generator-rejected"));
    }
    assert_eq!(calls(&world), 1, "never asked again");
}

#[test]
fn a_draft_over_the_word_limit_is_never_served_and_is_listed_with_the_rule_it_broke() {
    let long = "<h1>The edge: retail pages that convert, every single day, for you</h1>";
    let world = world(
        MemoryKv::with_entries(bundle().kv_entries()),
        FakeAnswer::Html(long.into()),
    );
    let retail = cookie(&world, &[("industry", "retail")]);
    for _ in 0..20 {
        let page = visit(&world, &retail);
        assert_ne!(filled(&page, "hero").1, long);
        assert!(page
            .decided
            .timing
            .header_value()
            .contains("hero:guardrail:max_words"));
    }
    assert_eq!(calls(&world), 1);
    let request = world.generator.as_ref().unwrap().requests()[0].clone();
    let kept = control_worker_keeps(&world.kv, &request, long, false);
    assert_eq!(kept["rule"], "max_words");
    let (_, listed) = review(&world.kv, json!({ "action": "list" }));
    let draft = &listed["drafts"][0];
    assert_eq!(draft["status"], "refused");
    assert_eq!(draft["rule"], "max_words");
    assert!(draft["detail"].as_str().unwrap().contains("limit is 8"));
    let (status, refused) = review(&world.kv, json!({ "action": "approve", "id": draft["id"] }));
    assert_eq!(status, 409);
    assert!(
        refused["error"].as_str().unwrap().contains("max_words"),
        "{refused}"
    );
    let (status, _) = review(
        &world.kv,
        json!({ "action": "reject", "id": draft["id"], "reason": "too long" }),
    );
    assert_eq!(status, 200);
    let (_, listed) = review(&world.kv, json!({ "action": "list" }));
    assert_eq!(listed["drafts"], json!([]), "dismissed");
}

#[test]
fn bad_review_requests_get_clear_refusals_and_change_nothing() {
    let (world, _) = one_pending_draft();
    let before = world.kv.snapshot();
    let hash = "0123456789abcdef0123456789abcdef";
    for (body, status, says) in [
        ("not json".to_owned(), 400, "not a review action"),
        (json!({ "action": "publish" }).to_string(), 400, "not a review action"),
        (json!({ "action": "show" }).to_string(), 400, "not a review action"),
        (json!({ "action": "show", "id": "../../live" }).to_string(), 400, "not a draft id"),
        (
            json!({ "action": "approve", "id": format!("pending/cta/for-you/{hash}") }).to_string(),
            404,
            "no draft",
        ),
        (
            json!({ "action": "reject", "id": format!("pending/cta/for-you/{hash}"), "reason": " " }).to_string(),
            400,
            "needs a reason",
        ),
        (
            json!({ "action": "reject", "id": format!("pending/cta/for-you/{hash}"), "reason": "x".repeat(501) })
                .to_string(),
            400,
            "needs a reason",
        ),
    ] {
        let answer = block_on(serve_review(&body, &io(&world.kv)));
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
        assert!(answer.body.contains(says), "{body}: {}", answer.body);
    }
    assert_eq!(world.kv.snapshot(), before);
}

#[test]
fn the_review_endpoint_takes_only_signed_requests() {
    let (world, _) = one_pending_draft();
    let config = control_config();
    let guard = PublishGuard::new();
    let push_io = PushIo {
        kv: &world.kv,
        now_ms: 1_700_000_100_000,
        regex: &NativeRegex,
        guard: &guard,
    };
    let body = json!({ "action": "list" }).to_string();
    let send = |signature: &str| {
        let request = PushRequest {
            path: REVIEW_PATH,
            headers: SignatureHeaders {
                id: Some("r-1"),
                timestamp: Some("1700000100"),
                signature: Some(signature),
            },
            body: body.as_bytes(),
        };
        block_on(handle(Action::Review, &request, &config, &push_io))
    };
    assert_eq!(send("v1=forged").status, 401);
    let signed = sign_push(
        PUSH_SECRET,
        "r-1",
        1_700_000_100,
        "POST",
        REVIEW_PATH,
        body.as_bytes(),
    );
    let answer = send(&signed);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("pending/cta/for-you/"));
    assert_eq!(
        send(&signed).status,
        200,
        "a list is read-only: its id is not spent"
    );
}

/// `world` with preview on (`TAILOR_PREVIEW=on` when `dev`) and the control
/// worker's review queue over its KV, as the `CONTROL` binding reaches it.
fn with_panel(world: &mut World, dev: bool) {
    use futures_util::FutureExt;
    world.config.preview_keys = Some(tailor_edge::profile::PreviewKeys::derive(SECRET).unwrap());
    world.config.preview_mode = dev;
    let kv = world.kv.clone();
    world.platform.review = Some(std::rc::Rc::new(move |body: &str| {
        let answer = serve_review(body, &io(&kv))
            .now_or_never()
            .expect("in memory: ready at once");
        (answer.status, answer.body)
    }));
}

fn panel_post(world: &World, form: &str, fetch_site: &str) -> (u16, Value) {
    let request = Request {
        fetch_site: Some(fetch_site.to_owned()),
        ..Request::new("POST", "https://shop.example/__tailor/preview/review")
    };
    let answer = world.call(&request, Some(form));
    (
        answer.status,
        serde_json::from_str(&answer.body).unwrap_or(Value::Null),
    )
}

#[test]
fn the_preview_panel_lists_drafts_and_approves_and_rejects_them_same_site_only() {
    let (mut world, cto) = one_pending_draft();
    with_panel(&mut world, true);
    let listed = world.call(&get("/__tailor/preview/review"), None);
    assert_eq!(listed.status, 200, "{}", listed.body);
    let listed: Value = serde_json::from_str(&listed.body).unwrap();
    let id = listed["drafts"][0]["id"].as_str().unwrap().to_owned();
    let form = format!("action=approve&id={}", id.replace('/', "%2F"));
    let before = world.kv.snapshot();
    assert_eq!(
        panel_post(&world, &form, "cross-site").0,
        403,
        "cross-site refused"
    );
    assert_eq!(world.kv.snapshot(), before, "and nothing changed");
    let (status, approved) = panel_post(&world, &form, "same-origin");
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");
    let page = visit(&world, &cto);
    assert_eq!(filled(&page, "cta").1, DRAFT);

    let (status, refused) = panel_post(
        &world,
        "action=reject&id=pending%2Fcta%2Fx%2Fy&reason=no",
        "same-origin",
    );
    assert_eq!(status, 400, "{refused}");
    assert_eq!(panel_post(&world, "action=publish&id=x", "same-origin").0, 400);
}

#[test]
fn the_preview_panel_never_approves_where_preview_is_only_unlocked_by_the_key() {
    let (mut world, _) = one_pending_draft();
    with_panel(&mut world, false);
    let before = world.kv.snapshot();
    let request = Request {
        fetch_site: Some("same-origin".into()),
        ..Request::new("POST", "https://shop.example/__tailor/preview/review")
    };
    let answer = world.call(&request, Some("action=approve&id=x"));
    assert!(matches!(answer.status, 403 | 404), "{}", answer.status);
    assert_eq!(world.kv.snapshot(), before);
}

#[test]
fn the_control_workers_internal_review_route_answers_the_page_worker_and_takes_only_post() {
    use tailor_edge::publish::{control_route, serve_control, ControlRoute, REVIEW_INTERNAL_PATH};
    let (world, _) = one_pending_draft();
    assert_eq!(
        control_route("POST", REVIEW_INTERNAL_PATH).unwrap(),
        ControlRoute::ReviewInternal
    );
    assert!(control_route("GET", REVIEW_INTERNAL_PATH).is_err());
    let config = control_config();
    let guard = PublishGuard::new();
    let push_io = PushIo {
        kv: &world.kv,
        now_ms: 1_700_000_100_000,
        regex: &NativeRegex,
        guard: &guard,
    };
    let serve = |body: &str| {
        block_on(serve_control(
            ControlRoute::ReviewInternal,
            REVIEW_INTERNAL_PATH,
            &|_| None,
            body.as_bytes(),
            &config,
            &push_io,
        ))
    };
    let listed = serve(r#"{"action":"list"}"#);
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert!(listed.body.contains("pending/cta/for-you/"));
    assert_eq!(serve(&"x".repeat(5000)).status, 413);
    assert_eq!(serve("{").status, 400);
}

proptest::proptest! {
    /// Whatever a caller sends (arbitrary text, or an action object with
    /// arbitrary fields), the review endpoint answers a 4xx JSON refusal or
    /// a listing, never panics, and never changes KV without a valid draft id.
    #[test]
    fn any_review_body_gets_a_json_answer_and_changes_nothing_without_a_draft(
        text in ".{0,300}",
        action in proptest::sample::select(vec!["list", "show", "approve", "reject", "delete", ""]),
        id in "[ -~]{0,80}",
        reason in ".{0,40}",
    ) {
        let (world, _) = one_pending_draft();
        let before = world.kv.snapshot();
        for body in [text.clone(), json!({ "action": action, "id": id, "reason": reason }).to_string()] {
            let answer = block_on(serve_review(&body, &io(&world.kv)));
            proptest::prop_assert!(answer.status == 200 || (400..500).contains(&answer.status), "{}", answer.status);
            proptest::prop_assert!(serde_json::from_str::<Value>(&answer.body).is_ok());
        }
        proptest::prop_assert_eq!(world.kv.snapshot(), before);
    }
}

#[test]
fn refusals_never_echo_what_was_sent() {
    let (world, _) = one_pending_draft();
    for body in [
        json!({ "action": "<script>x</script>" }).to_string(),
        json!({ "action": "show", "id": "<script>x</script>" }).to_string(),
        json!({ "action": "list", "<script>x</script>": 1 }).to_string(),
        "<script>x</script>".to_owned(),
    ] {
        let answer = block_on(serve_review(&body, &io(&world.kv)));
        assert_eq!(answer.status, 400, "{body}");
        assert!(!answer.body.contains("script"), "{}", answer.body);
    }
}

#[test]
fn a_draft_nobody_reviews_expires_after_thirty_days_like_a_refused_one() {
    let (world, _) = one_pending_draft();
    let pending = pending_keys(&world.kv);
    assert_eq!(pending.len(), 1);
    assert_eq!(world.kv.ttl_of(&pending[0]), Some(PENDING_TTL_S));
    assert_eq!(PENDING_TTL_S, REFUSED_TTL_S);
    assert_eq!(PENDING_TTL_S, 30 * 24 * 3600);
}
