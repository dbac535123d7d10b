//! Signed pushes through the publish handler, natively over the in-memory KV:
//! what goes live, and that every kind of bad push is refused with KV untouched.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use futures_executor::block_on;
use serde_json::{json, Value};
use tailor_edge::catalog::{pointer_key, Pointer};
use tailor_edge::http::Response as ApiResponse;
use tailor_edge::platform::fakes::MemoryKv;
use tailor_edge::publish::signature::{sign, PushSecrets, SignatureHeaders};
use tailor_edge::publish::{
    handle, Action, PublishConfig, PublishGuard, PushIo, PushRequest, PUBLISH_PATH, ROLLBACK_PATH,
};
use tailor_edge::targeting::NativeRegex;

const SECRET: &str = "e2e-push-secret-0123456789abcdefghijklmnop";
const NOW_MS: u64 = 1_795_000_000_000;

struct Site {
    kv: MemoryKv,
    guard: PublishGuard,
    config: PublishConfig,
    next_id: std::cell::Cell<u32>,
}

impl Site {
    fn new() -> Self {
        Self {
            kv: MemoryKv::new(),
            guard: PublishGuard::new(),
            config: PublishConfig {
                site: "demo".into(),
                secrets: PushSecrets::parse(SECRET).0,
                max_body_bytes: 64 * 1024,
                retain: 3,
                loop_window_days: 14,
                loop_exposures: Default::default(),
            },
            next_id: std::cell::Cell::new(0),
        }
    }

    fn fresh_id(&self) -> String {
        self.next_id.set(self.next_id.get() + 1);
        format!("req-{}", self.next_id.get())
    }

    fn send(&self, path: &str, id: &str, timestamp: &str, signature: &str, body: &[u8]) -> ApiResponse {
        let action = if path == PUBLISH_PATH {
            Action::Publish
        } else {
            Action::Rollback
        };
        let request = PushRequest {
            path,
            headers: SignatureHeaders {
                id: Some(id),
                timestamp: Some(timestamp),
                signature: Some(signature),
            },
            body,
        };
        let io = PushIo {
            kv: &self.kv,
            now_ms: NOW_MS,
            regex: &NativeRegex,
            guard: &self.guard,
        };
        block_on(handle(action, &request, &self.config, &io))
    }

    /// A correctly signed request with a new id.
    fn signed(&self, path: &str, body: &str) -> ApiResponse {
        let id = self.fresh_id();
        let ts = NOW_MS / 1000;
        let signature = sign(SECRET, &id, ts, "POST", path, body.as_bytes());
        self.send(path, &id, &ts.to_string(), &signature, body.as_bytes())
    }

    fn live(&self) -> Option<String> {
        self.kv
            .snapshot()
            .into_iter()
            .find(|(k, _)| *k == pointer_key("demo"))
            .map(|(_, v)| Pointer::parse(&v).unwrap().version)
    }
}

fn catalog(headline: &str) -> String {
    json!({
        "site": "demo",
        "blocks": { "hero": {
            "default": "default",
            "variants": [
                { "id": "default", "html": "<h1 class=\"hero\">Welcome</h1>" },
                { "id": "cto", "html": format!("<h1 class=\"hero\">{headline}</h1>"), "when": { "role": "cto" } }
            ]
        }}
    })
    .to_string()
}

fn body(response: &ApiResponse) -> Value {
    serde_json::from_str(&response.body).unwrap()
}

#[test]
fn a_signed_push_goes_live_and_the_same_push_again_is_a_no_op() {
    let site = Site::new();
    let first = site.signed(PUBLISH_PATH, &catalog("For CTOs"));
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(body(&first)["status"], "published");
    let version = body(&first)["version"].as_str().unwrap().to_owned();
    assert_eq!(site.live().as_deref(), Some(version.as_str()));
    let again = site.signed(PUBLISH_PATH, &catalog("For CTOs"));
    assert_eq!(body(&again)["status"], "unchanged");
    assert_eq!(body(&again)["version"], version.as_str());
}

#[test]
fn every_kind_of_bad_push_is_refused_and_leaves_kv_untouched() {
    let site = Site::new();
    assert_eq!(site.signed(PUBLISH_PATH, &catalog("A")).status, 200);
    let before = site.kv.snapshot();
    let good = catalog("B");
    let ts = (NOW_MS / 1000).to_string();
    let sig = |id: &str, ts: u64, body: &str| sign(SECRET, id, ts, "POST", PUBLISH_PATH, body.as_bytes());
    let now_s = NOW_MS / 1000;

    let unsafe_html = catalog("<img src=x onerror=alert(1)>B");
    let dangling = good.replace("\"default\":\"default\"", "\"default\":\"nope\"");
    assert_ne!(dangling, good);
    let not_json = "{\"site\": ";
    let unknown_field = good.replace("\"when\"", "\"wen\"");
    let oversized = format!("{{\"site\":\"demo\",\"pad\":\"{}\"}}", "x".repeat(70 * 1024));
    let cases: Vec<(&str, ApiResponse, u16, &str)> = vec![
        (
            "bad signature",
            site.send(
                PUBLISH_PATH,
                "r-a",
                &ts,
                &sig("r-a", now_s, "other body"),
                good.as_bytes(),
            ),
            401,
            "no signature matches",
        ),
        (
            "signed with another secret",
            site.send(
                PUBLISH_PATH,
                "r-b",
                &ts,
                &sign(
                    "not-the-secret-0123456789abcdefghijklmn",
                    "r-b",
                    now_s,
                    "POST",
                    PUBLISH_PATH,
                    good.as_bytes(),
                ),
                good.as_bytes(),
            ),
            401,
            "no signature matches",
        ),
        (
            "missing signature",
            site.send(PUBLISH_PATH, "r-c", &ts, "", good.as_bytes()),
            401,
            "tailor-signature",
        ),
        (
            "stale timestamp",
            site.send(
                PUBLISH_PATH,
                "r-d",
                &(now_s - 301).to_string(),
                &sig("r-d", now_s - 301, &good),
                good.as_bytes(),
            ),
            401,
            "tolerance",
        ),
        (
            "changed body",
            site.send(
                PUBLISH_PATH,
                "r-e",
                &ts,
                &sig("r-e", now_s, &good),
                catalog("C").as_bytes(),
            ),
            401,
            "no signature matches",
        ),
        (
            "signed for the rollback path",
            site.send(
                PUBLISH_PATH,
                "r-f",
                &ts,
                &sign(SECRET, "r-f", now_s, "POST", ROLLBACK_PATH, good.as_bytes()),
                good.as_bytes(),
            ),
            401,
            "no signature matches",
        ),
        ("oversized", site.signed(PUBLISH_PATH, &oversized), 413, "cap"),
        (
            "not JSON",
            site.signed(PUBLISH_PATH, not_json),
            400,
            "not a catalog",
        ),
        (
            "unknown field",
            site.signed(PUBLISH_PATH, &unknown_field),
            400,
            "wen",
        ),
        (
            "dangling reference",
            site.signed(PUBLISH_PATH, &dangling),
            400,
            "nope",
        ),
        (
            "unsafe HTML",
            site.signed(PUBLISH_PATH, &unsafe_html),
            400,
            "onerror",
        ),
        (
            "another site",
            site.signed(
                PUBLISH_PATH,
                &good.replace("\"site\":\"demo\"", "\"site\":\"shop\""),
            ),
            400,
            "shop",
        ),
        (
            "rollback to an unknown version",
            site.signed(ROLLBACK_PATH, "{\"version\":\"v-0123456789abcdef\"}"),
            409,
            "not retained",
        ),
        (
            "rollback without a version",
            site.signed(ROLLBACK_PATH, "{}"),
            400,
            "version",
        ),
    ];
    for (name, response, status, says) in cases {
        assert_eq!(response.status, status, "{name}: {}", response.body);
        assert!(response.body.contains(says), "{name}: {}", response.body);
    }
    let after = site.kv.snapshot();
    let changed: Vec<_> = after
        .iter()
        .filter(|e| !before.contains(e))
        .map(|(k, _)| k)
        .collect();
    assert!(changed.is_empty(), "bad pushes changed KV: {changed:?}");
    assert_eq!(after, before);
}

#[test]
fn an_unsafe_fragment_is_named_by_its_path() {
    let site = Site::new();
    let mut doc: Value = serde_json::from_str(&catalog("B")).unwrap();
    doc["blocks"]["hero"]["variants"][1]["html"] = json!("<p>Hi</p><script>steal()</script>");
    let response = site.signed(PUBLISH_PATH, &doc.to_string());
    assert_eq!(response.status, 400);
    let problems = &body(&response)["problems"];
    assert_eq!(problems[0]["path"], "blocks.hero.variants.1");
    assert!(
        problems[0]["message"].as_str().unwrap().contains("<script>"),
        "{problems}"
    );
}

#[test]
fn a_replayed_request_is_refused_even_with_a_valid_signature() {
    let site = Site::new();
    let body = catalog("A");
    let ts = (NOW_MS / 1000).to_string();
    let signature = sign(
        SECRET,
        "once",
        NOW_MS / 1000,
        "POST",
        PUBLISH_PATH,
        body.as_bytes(),
    );
    assert_eq!(
        site.send(PUBLISH_PATH, "once", &ts, &signature, body.as_bytes())
            .status,
        200
    );
    let replay = site.send(PUBLISH_PATH, "once", &ts, &signature, body.as_bytes());
    assert_eq!(replay.status, 409);
    assert!(replay.body.contains("already used"));
    // A new isolate (no memory of the id) still finds it in KV.
    let other_isolate = Site {
        kv: MemoryKv::with_entries(site.kv.snapshot()),
        ..Site::new()
    };
    assert_eq!(
        other_isolate
            .send(PUBLISH_PATH, "once", &ts, &signature, body.as_bytes())
            .status,
        409
    );
}

#[test]
fn rollback_restores_the_earlier_version() {
    let site = Site::new();
    let a = body(&site.signed(PUBLISH_PATH, &catalog("A")))["version"].clone();
    let b = body(&site.signed(PUBLISH_PATH, &catalog("B")))["version"].clone();
    assert_ne!(a, b);
    let back = site.signed(ROLLBACK_PATH, &json!({ "version": a }).to_string());
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(body(&back)["status"], "rolled-back");
    assert_eq!(body(&back)["previous"], b);
    assert_eq!(site.live(), a.as_str().map(str::to_owned));
}

#[test]
fn without_a_secret_publishing_is_off() {
    let mut site = Site::new();
    site.config.secrets = PushSecrets::default();
    let response = site.signed(PUBLISH_PATH, &catalog("A"));
    assert_eq!(response.status, 503);
    assert!(site.kv.snapshot().is_empty());
}

#[test]
fn the_control_worker_reads_its_settings_with_defaults_and_warnings() {
    let vars = |name: &str| match name {
        "TAILOR_SITE" => Some("demo".to_owned()),
        "TAILOR_PUBLISH_SECRETS" => Some(format!("short, {SECRET}")),
        "TAILOR_PUBLISH_RETAIN" => Some("0".to_owned()),
        _ => None,
    };
    let (config, warnings) = PublishConfig::from_vars(vars);
    assert_eq!(config.site, "demo");
    assert!(!config.secrets.is_empty());
    assert_eq!(config.retain, tailor_edge::publish::DEFAULT_RETAIN);
    assert_eq!(
        config.max_body_bytes,
        tailor_edge::publish::DEFAULT_MAX_BODY_BYTES
    );
    let named: Vec<&str> = warnings.iter().map(|w| w.name).collect();
    assert_eq!(named, ["TAILOR_PUBLISH_SECRETS", "TAILOR_PUBLISH_RETAIN"]);
}

/// The control worker's `/__tailor/generated` for a block with guardrails:
/// the real sanitizer first, then the rules; a refused draft is recorded in
/// KV with everything a review needs.
#[test]
fn a_generated_draft_that_breaks_a_guardrail_is_refused_and_recorded_for_review() {
    use tailor_edge::publish::handle_generated;
    let kv = MemoryKv::new();
    let request = json!({
        "site": "demo", "block": "cta", "variant": "default", "catalog_version": "v-0123456789abcdef",
        "segment": { "industry": "retail", "role": "cto" },
        "brief": "A call to action.",
        "guardrails": { "max_words": 6, "refuse": ["guarantee"], "require": ["Terms apply"],
                        "numbers": "source", "source_numbers": ["14"] }
    });
    let send = |html: &str, approval: bool, refused: Option<Value>| {
        let mut body = json!({ "request": request, "html": html, "approval": approval });
        if let Some(refused) = refused {
            body["refused"] = refused;
        }
        let answer = block_on(handle_generated(body.to_string().as_bytes(), "demo", &kv, NOW_MS));
        assert_eq!(answer.status, 200);
        (
            serde_json::from_str::<Value>(&answer.body).unwrap(),
            answer.headers,
        )
    };
    let (good, _) = send("<p>Try it 14 days. <small>Terms apply</small></p>", false, None);
    assert_eq!(good["status"], "clean");
    assert!(kv.snapshot().is_empty());

    let (long, headers) = send(
        "<p>Try it free for 14 days. <small>Terms apply</small></p>",
        true,
        None,
    );
    assert_eq!(long["status"], "refused");
    assert_eq!(long["rule"], "max_words");
    assert_eq!(long["error"], "8 words; the limit is 6");
    assert_eq!(long["recorded"], true);
    assert!(headers.contains(&("x-tailor-refused", "guardrail:max_words".to_owned())));
    let records = kv.snapshot();
    assert_eq!(records.len(), 1, "refused, not pending");
    assert!(
        records[0].0.starts_with("tailor/demo/refused/cta/default/"),
        "{}",
        records[0].0
    );
    let record: Value = serde_json::from_str(&records[0].1).unwrap();
    assert_eq!(record["rule"], "max_words");
    assert_eq!(record["label"], "guardrail:max_words");
    assert_eq!(record["refused_by"], "edge");
    assert_eq!(
        record["request"]["segment"],
        json!({ "industry": "retail", "role": "cto" })
    );
    assert_eq!(record["request"]["catalog_version"], "v-0123456789abcdef");
    assert!(record["html"].as_str().unwrap().contains("Try it free"));

    let (phrase, _) = send("<p>We guarantee it. Terms apply</p>", false, None);
    assert_eq!(phrase["rule"], "refuse");
    let (number, _) = send("<p>Try 30 days. Terms apply</p>", false, None);
    assert_eq!(number["rule"], "numbers");
    // Unsafe markup is refused by the sanitizer first, and never stored.
    let before = kv.snapshot();
    let (unsafe_answer, _) = send("<p>Terms apply<script>x()</script></p>", false, None);
    assert_eq!(unsafe_answer["status"], "refused");
    assert!(unsafe_answer.get("rule").is_none());
    assert_eq!(kv.snapshot(), before);
    // The generator's own refusal: recorded with its rule even when the
    // catalog's rules pass.
    let (own, _) = send(
        "<p>Go. Terms apply</p>",
        false,
        Some(json!({ "rule": "tone", "detail": "too pushy" })),
    );
    assert_eq!(own["status"], "refused");
    assert_eq!(own["rule"], "generator");
    let stored: Vec<Value> = kv
        .snapshot()
        .iter()
        .map(|(_, v)| serde_json::from_str(v).unwrap())
        .collect();
    assert!(stored
        .iter()
        .any(|r| r["refused_by"] == "generator" && r["detail"] == "too pushy"));
}
