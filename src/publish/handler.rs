//! `POST /__tailor/publish` and `POST /__tailor/rollback`: a signed request
//! in, a JSON answer out. Checked in this order, cheapest and least trusting
//! first: size → signature → one publish at a time → request id unused → only
//! then is the body parsed, validated and sanitized, and KV written. A
//! refused request writes nothing.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use serde::Deserialize;
use serde_json::json;

use super::publisher::{publish, rollback, PublishError, DEFAULT_RETAIN};
use super::review::{serve_review, ReviewIo, ReviewKv, REVIEW_INTERNAL_PATH};
use super::sanitize::sanitize_fragment;
use super::signature::{
    verify, PushSecrets, SignatureHeaders, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, TOLERANCE_S,
};
use super::{GENERATED_PATH, PUBLISH_PATH, REVIEW_PATH, ROLLBACK_PATH};
use crate::catalog::source::MAX_FRAGMENT_BYTES;
use crate::catalog::source::{Bundle, SourceRules};
use crate::catalog::{is_valid_id, pending_key, push_request_key, refused_key, ValidationError};
use crate::config::ConfigWarning;
use crate::events::tally::Exposures;
use crate::fragments::generate::draft_hash;
use crate::guardrails::{GuardrailRule, Violation};
use crate::http::Response;
use crate::platform::KvWrite;
use crate::platform::{GenerateRequest, GeneratorRefusal};
use crate::targeting::RegexEngine;

/// Default cap on a push body (`TAILOR_PUBLISH_MAX_BYTES`).
pub const DEFAULT_MAX_BODY_BYTES: usize = 5 * 1024 * 1024;
/// Request ids remembered in isolate memory, besides KV.
const SEEN_IN_MEMORY: usize = 1024;

/// What a push asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Publish a catalog set.
    Publish,
    /// Point back at a retained version.
    Rollback,
    /// A review queue action (`tailor review …`).
    Review,
}

/// The action for a method and path, `None` when the path is not ours, or
/// `Err` with the answer for a wrong method.
pub fn route(method: &str, path: &str) -> Option<Result<Action, Response>> {
    let action = match path {
        PUBLISH_PATH => Action::Publish,
        ROLLBACK_PATH => Action::Rollback,
        REVIEW_PATH => Action::Review,
        _ => return None,
    };
    if method.eq_ignore_ascii_case("POST") {
        Some(Ok(action))
    } else {
        let mut refusal = Response::error(405, "use POST");
        refusal.headers.push(("allow", "POST".to_owned()));
        Some(Err(refusal))
    }
}

/// What the control worker is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlRoute {
    /// A generated fragment to sanitize, from the page worker.
    Generated,
    /// A review action from the preview panel, over the page worker's
    /// service binding (unsigned: the page worker gates it).
    ReviewInternal,
    /// A signed push.
    Push(Action),
}

/// The route of a request to the control worker, or the answer when there is none.
pub fn control_route(method: &str, path: &str) -> Result<ControlRoute, Response> {
    if path == GENERATED_PATH && method.eq_ignore_ascii_case("POST") {
        return Ok(ControlRoute::Generated);
    }
    if path == REVIEW_INTERNAL_PATH && method.eq_ignore_ascii_case("POST") {
        return Ok(ControlRoute::ReviewInternal);
    }
    match route(method, path) {
        None => Err(Response::error(
            404,
            "the control worker answers /__tailor/publish, /__tailor/rollback and /__tailor/review",
        )),
        Some(Err(refusal)) => Err(refusal),
        Some(Ok(action)) => Ok(ControlRoute::Push(action)),
    }
}

impl ControlRoute {
    /// The answer to a push whose declared `Content-Length` is over the
    /// cap: refused before its body is read.
    pub fn refuse_unread(self, content_length: Option<&str>, config: &PublishConfig) -> Option<Response> {
        let declared = content_length.and_then(|l| l.trim().parse::<usize>().ok());
        (matches!(self, Self::Push(_)) && declared.is_some_and(|l| l > config.max_body_bytes))
            .then(|| too_large(config.max_body_bytes))
    }
}

/// Serves a request to the control worker once its body is read: `header`
/// gives its headers by name.
pub async fn serve_control<K: ReviewKv>(
    route: ControlRoute,
    path: &str,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
    config: &PublishConfig,
    io: &PushIo<'_, K>,
) -> Response {
    let action = match route {
        ControlRoute::Generated => return handle_generated(body, &config.site, io.kv, io.now_ms).await,
        ControlRoute::ReviewInternal => {
            if !is_valid_id(&config.site) {
                return Response::error(503, "no site: set TAILOR_SITE on the control worker");
            }
            if body.len() > MAX_REVIEW_BODY_BYTES {
                return Response::error(413, "a review action is at most 4 KiB");
            }
            let Ok(text) = std::str::from_utf8(body) else {
                return Response::error(400, "the body is not UTF-8");
            };
            // An approval publishes: one publish at a time, as for a push.
            let changes =
                serde_json::from_str::<super::review::ReviewAction>(text).is_ok_and(|a| !a.is_read_only());
            if changes && io.guard.busy.replace(true) {
                return Response::error(409, "a publish is in progress here; try again");
            }
            let answer = serve_review(text, &review_io(config, io)).await;
            if changes {
                io.guard.busy.set(false);
            }
            return answer;
        }
        ControlRoute::Push(action) => action,
    };
    let (id, timestamp, signature) = (
        header(HEADER_ID),
        header(HEADER_TIMESTAMP),
        header(HEADER_SIGNATURE),
    );
    let request = PushRequest {
        path,
        headers: SignatureHeaders {
            id: id.as_deref(),
            timestamp: timestamp.as_deref(),
            signature: signature.as_deref(),
        },
        body,
    };
    handle(action, &request, config, io).await
}

/// The largest review action body (`{"action", "id", "reason"}`).
const MAX_REVIEW_BODY_BYTES: usize = 4 * 1024;

fn review_io<'a, K>(config: &'a PublishConfig, io: &PushIo<'a, K>) -> ReviewIo<'a, K> {
    ReviewIo {
        kv: io.kv,
        site: &config.site,
        retain: config.retain,
        now_ms: io.now_ms,
        regex: io.regex,
    }
}

/// The publisher's configuration (from `wrangler.toml` and secrets).
#[derive(Debug, Clone)]
pub struct PublishConfig {
    /// The site this worker publishes.
    pub site: String,
    /// The accepted push secrets; none means publishing is off.
    pub secrets: PushSecrets,
    /// The largest body accepted.
    pub max_body_bytes: usize,
    /// Versions kept for rollback.
    pub retain: usize,
    /// Days of counts the loop's posteriors are made of.
    pub loop_window_days: u32,
    /// Which exposures the loop counts (`served` or `seen`).
    pub loop_exposures: Exposures,
}

/// Every var [`PublishConfig::from_vars`] reads.
pub const PUBLISH_VARS: &[&str] = &[
    "TAILOR_SITE",
    "TAILOR_PUBLISH_SECRETS",
    "TAILOR_PUBLISH_MAX_BYTES",
    "TAILOR_PUBLISH_RETAIN",
    "TAILOR_LOOP_WINDOW_DAYS",
    "TAILOR_LOOP_EXPOSURES",
];

impl PublishConfig {
    /// Reads the control worker's settings through `var`, with a warning
    /// for each unusable value (its default applies; without a site or a
    /// usable secret, publishing answers 503).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> (Self, Vec<ConfigWarning>) {
        let mut warnings = Vec::new();
        let warn = |name: &'static str, problem: String| ConfigWarning { name, problem };
        let site = var("TAILOR_SITE").unwrap_or_default();
        if !is_valid_id(&site) {
            warnings.push(warn(
                "TAILOR_SITE",
                "must be 1-64 of a-z 0-9 - _; nothing can be published".into(),
            ));
        }
        let (secrets, short) = PushSecrets::parse(&var("TAILOR_PUBLISH_SECRETS").unwrap_or_default());
        warnings.extend(
            short
                .into_iter()
                .map(|e| warn("TAILOR_PUBLISH_SECRETS", e.to_string())),
        );
        let mut number =
            |name: &'static str, range: std::ops::RangeInclusive<usize>, default: usize| match var(name)
                .map(|v| v.trim().parse::<usize>())
            {
                None => default,
                Some(Ok(n)) if range.contains(&n) => n,
                Some(_) => {
                    warnings.push(warn(
                        name,
                        format!("must be a whole number from {} to {}", range.start(), range.end()),
                    ));
                    default
                }
            };
        let max_body_bytes = number(
            "TAILOR_PUBLISH_MAX_BYTES",
            1024..=25 * 1024 * 1024,
            DEFAULT_MAX_BODY_BYTES,
        );
        let retain = number("TAILOR_PUBLISH_RETAIN", 1..=100, DEFAULT_RETAIN);
        let loop_window_days = number(
            "TAILOR_LOOP_WINDOW_DAYS",
            1..=90,
            super::DEFAULT_LOOP_WINDOW_DAYS as usize,
        ) as u32;
        let loop_exposures = match var("TAILOR_LOOP_EXPOSURES") {
            None => Exposures::Served,
            Some(text) => Exposures::parse(&text).unwrap_or_else(|| {
                warnings.push(warn(
                    "TAILOR_LOOP_EXPOSURES",
                    "must be `served` or `seen`; served exposures are counted".into(),
                ));
                Exposures::Served
            }),
        };
        (
            Self {
                site,
                secrets,
                max_body_bytes,
                retain,
                loop_window_days,
                loop_exposures,
            },
            warnings,
        )
    }
}

/// A push request as the adapter received it.
#[derive(Debug, Clone, Copy)]
pub struct PushRequest<'a> {
    /// The path the request was signed for.
    pub path: &'a str,
    /// The signature headers.
    pub headers: SignatureHeaders<'a>,
    /// The raw body.
    pub body: &'a [u8],
}

/// Isolate state: one publish at a time, and recently used request ids.
#[derive(Debug, Default)]
pub struct PublishGuard {
    busy: Cell<bool>,
    seen: RefCell<VecDeque<String>>,
}

impl PublishGuard {
    /// A fresh isolate's guard.
    pub fn new() -> Self {
        Self::default()
    }
}

/// The platform a push uses.
pub struct PushIo<'a, K> {
    /// Workers KV, writable.
    pub kv: &'a K,
    /// Now, in Unix milliseconds.
    pub now_ms: u64,
    /// The regex engine conditions must compile with.
    pub regex: &'a dyn RegexEngine,
    /// The isolate's guard.
    pub guard: &'a PublishGuard,
}

/// The answer to a body the adapter refused to read because its declared
/// length is over the cap.
pub fn too_large(max_body_bytes: usize) -> Response {
    Response::error(
        413,
        &format!("the body is larger than the {max_body_bytes}-byte cap (TAILOR_PUBLISH_MAX_BYTES)"),
    )
}

/// Handles a signed push: publish or rollback.
pub async fn handle<K: ReviewKv>(
    action: Action,
    request: &PushRequest<'_>,
    config: &PublishConfig,
    io: &PushIo<'_, K>,
) -> Response {
    if config.secrets.is_empty() || !is_valid_id(&config.site) {
        return Response::error(
            503,
            "publishing is off: set TAILOR_SITE and TAILOR_PUBLISH_SECRETS on the control worker",
        );
    }
    if request.body.len() > config.max_body_bytes {
        return too_large(config.max_body_bytes);
    }
    let id = match verify(
        &config.secrets,
        &request.headers,
        "POST",
        request.path,
        request.body,
        io.now_ms / 1000,
    ) {
        Ok(id) => id,
        Err(e) => return Response::error(401, &e.to_string()),
    };
    if io.guard.busy.replace(true) {
        let mut busy = Response::error(
            409,
            "another publish is in progress here; retry with a new request id",
        );
        busy.headers.push(("retry-after", "1".to_owned()));
        return busy;
    }
    let response = match check_request_id(&config.site, id, io).await {
        Ok(()) => act(action, request.body, config, io).await,
        Err(response) => response,
    };
    // A read-only review (list, show) changes nothing: its id is not kept.
    let read_only = action == Action::Review
        && serde_json::from_slice::<super::review::ReviewAction>(request.body)
            .is_ok_and(|a| a.is_read_only());
    if response.status == 200 && !read_only {
        record_request_id(&config.site, id, io).await;
    }
    io.guard.busy.set(false);
    response
}

/// Refuses a request id used before: in this isolate, or recorded in KV by
/// an earlier successful push.
async fn check_request_id<K: KvWrite>(site: &str, id: &str, io: &PushIo<'_, K>) -> Result<(), Response> {
    let replayed = || {
        Response::error(
            409,
            "this request id was already used; sign each attempt with a new id",
        )
    };
    if io.guard.seen.borrow().iter().any(|seen| seen == id) {
        return Err(replayed());
    }
    match io.kv.get_text(&push_request_key(site, id)).await {
        Ok(Some(_)) => Err(replayed()),
        Ok(None) => Ok(()),
        Err(e) => Err(Response::error(503, &e.to_string())),
    }
}

/// Remembers a request id that changed or confirmed the live version, in
/// memory and in KV until its signature expires. Refused requests write
/// nothing, so a bad push leaves KV untouched. KV is eventually consistent:
/// another location could still accept one replay inside the signature
/// window, which can only re-publish the set the request carries.
async fn record_request_id<K: KvWrite>(site: &str, id: &str, io: &PushIo<'_, K>) {
    {
        let mut seen = io.guard.seen.borrow_mut();
        if seen.len() >= SEEN_IN_MEMORY {
            seen.pop_front();
        }
        seen.push_back(id.to_owned());
    }
    let ttl_s = u32::try_from(2 * TOLERANCE_S).unwrap_or(600);
    // A failure here only weakens replay protection for this id; the publish stands.
    let _ = io
        .kv
        .put_text(&push_request_key(site, id), "1", Some(ttl_s))
        .await;
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RollbackBody {
    version: String,
}

async fn act<K: ReviewKv>(
    action: Action,
    body: &[u8],
    config: &PublishConfig,
    io: &PushIo<'_, K>,
) -> Response {
    let Ok(text) = std::str::from_utf8(body) else {
        return Response::error(400, "the body is not UTF-8");
    };
    let result = match action {
        Action::Publish => match prepare(text, io.regex) {
            Ok(bundle) => publish(io.kv, &config.site, &bundle, config.retain, io.now_ms).await,
            Err(problems) => Err(PublishError::Invalid(problems)),
        },
        Action::Rollback => match serde_json::from_str::<RollbackBody>(text) {
            Ok(body) => rollback(io.kv, &config.site, &body.version).await,
            Err(e) => return Response::error(400, &format!("expected {{\"version\": \"…\"}}: {e}")),
        },
        Action::Review => return serve_review(text, &review_io(config, io)).await,
    };
    match result {
        Ok(outcome) => Response::json(200, &json!(outcome)),
        Err(error) => refusal(&error),
    }
}

/// Validates and sanitizes a pushed catalog set (fragments inline) into a
/// bundle, or says every problem found, each with its path.
pub fn prepare(text: &str, regex: &dyn RegexEngine) -> Result<Bundle, Vec<ValidationError>> {
    let rules = SourceRules {
        read_file: &|file| {
            Err(format!(
                "`{file}`: a pushed catalog carries its HTML inline (`tailor catalog push` inlines files)"
            ))
        },
        clean_html: &clean_html,
        regex,
    };
    Bundle::build(text, &rules)
}

/// The publish-time HTML policy: unsafe markup refuses the fragment, naming
/// each thing found; safe HTML is stored as the sanitizer's output.
pub fn clean_html(html: &str) -> Result<String, String> {
    sanitize_fragment(html).map_err(|found| {
        let list: Vec<String> = found.iter().map(ToString::to_string).collect();
        format!("unsafe HTML: {}", list.join("; "))
    })
}

/// The policy for a generator's answer, wherever it is applied (the control
/// worker, the native fake): at most 64 KiB, then [`clean_html`].
pub fn clean_generated(html: &str) -> Result<String, String> {
    if html.len() > MAX_FRAGMENT_BYTES {
        return Err("larger than 64 KiB".to_owned());
    }
    clean_html(html)
}

fn refusal(error: &PublishError) -> Response {
    let status = match error {
        PublishError::Invalid(_) | PublishError::WrongSite { .. } => 400,
        PublishError::NotRetained(..) | PublishError::Incomplete { .. } => 409,
        PublishError::Read(_) | PublishError::Write(_) => 503,
    };
    let body = match error {
        PublishError::Invalid(problems) => {
            let problems: Vec<_> = problems
                .iter()
                .map(|p| json!({ "path": p.path, "message": p.message }))
                .collect();
            json!({ "error": error.to_string(), "problems": problems })
        }
        PublishError::NotRetained(_, retained) => json!({ "error": error.to_string(), "retained": retained }),
        _ => json!({ "error": error.to_string() }),
    };
    Response::json(status, &body)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GeneratedBody {
    request: GenerateRequest,
    html: String,
    approval: bool,
    /// The generator refused the draft itself (a `422` answer).
    #[serde(default)]
    refused: Option<GeneratorRefusal>,
}

/// How long a refused draft's record stays in KV (30 days).
pub const REFUSED_TTL_S: u32 = 30 * 24 * 3600;
/// How long a draft awaiting approval stays in KV unreviewed (30 days).
pub const PENDING_TTL_S: u32 = 30 * 24 * 3600;

/// The header naming a refused draft's rule on the control worker's answer
/// (for its log line; the page worker reads the JSON).
pub const REFUSED_HEADER: &str = "x-tailor-refused";

/// Sanitizes a generated fragment with the publish-time policy, then checks
/// the block's guardrails (carried by the request). A draft that breaks one,
/// or that the generator itself refused, is recorded for review under
/// `tailor/{site}/refused/…` with the rule and never served. For a block
/// that needs approval, a safe fragment is stored as pending for review
/// (never served); it goes live only through a publish. Answers
/// `{"status": "clean", "html"}`, `{"status": "pending"}`,
/// `{"status": "refused", "error"}` (unsafe markup) or
/// `{"status": "refused", "rule", "error", "recorded"}` (a guardrail).
pub async fn handle_generated<K: KvWrite>(body: &[u8], site: &str, kv: &K, now_ms: u64) -> Response {
    if body.len() > 3 * MAX_FRAGMENT_BYTES {
        return Response::error(413, "generated fragment too large");
    }
    let Ok(body) = serde_json::from_slice::<GeneratedBody>(body) else {
        return Response::error(400, "expected {request, html, approval}");
    };
    let request = &body.request;
    if request.site != site || !is_valid_id(&request.block) || !is_valid_id(&request.variant) {
        return Response::error(400, "not a fragment of this site");
    }
    let clean = match clean_generated(&body.html) {
        Ok(clean) => clean,
        Err(error) => return Response::json(200, &json!({ "status": "refused", "error": error })),
    };
    let key_hash = draft_hash(request);
    let key_hash = key_hash.as_str();
    let checked = request.guardrails.as_ref().and_then(|g| g.check(&clean).err());
    let by_generator = body.refused.as_ref().map(|r| Violation {
        rule: GuardrailRule::from_name(&r.rule),
        detail: r.detail.chars().take(500).collect(),
    });
    let refused_by = if checked.is_some() { "edge" } else { "generator" };
    if let Some(violation) = checked.or(by_generator) {
        let record = json!({
            "request": request,
            "html": clean,
            "rule": violation.rule.name(),
            "label": violation.rule.label(),
            "detail": violation.detail,
            "refused_by": refused_by,
            "refused_at_ms": now_ms,
        });
        let key = refused_key(site, &request.block, &request.variant, key_hash);
        // Refused whether or not the record could be written.
        let recorded = kv
            .put_text(&key, &record.to_string(), Some(REFUSED_TTL_S))
            .await
            .is_ok();
        let mut answer = Response::json(
            200,
            &json!({
                "status": "refused",
                "rule": violation.rule.name(),
                "error": violation.detail,
                "recorded": recorded,
            }),
        );
        answer
            .headers
            .push((REFUSED_HEADER, violation.rule.label().to_owned()));
        return answer;
    }
    if !body.approval {
        return Response::json(200, &json!({ "status": "clean", "html": clean }));
    }
    let key = pending_key(site, &request.block, &request.variant, key_hash);
    let entry = json!({ "request": request, "html": clean, "generated_at_ms": now_ms });
    // A draft nobody reviews expires: the segment's next miss asks again.
    match kv.put_text(&key, &entry.to_string(), Some(PENDING_TTL_S)).await {
        Ok(()) => Response::json(200, &json!({ "status": "pending" })),
        Err(e) => Response::error(503, &e.to_string()),
    }
}
