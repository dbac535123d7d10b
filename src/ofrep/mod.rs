//! The OpenFeature Remote Evaluation Protocol (OFREP, `service/openapi.yaml`
//! of open-feature/protocol): each personalizable block is a flag whose value
//! is the chosen variant's id, so apps and e-mail use the same decisions as
//! the page, through off-the-shelf OpenFeature SDKs. See `docs/ofrep.md`.

use serde_json::{json, Map, Value};

use crate::catalog::{short_sha256_hex, CompiledCatalog};
use crate::consent::ConsentSource;
use crate::decide::{Decision, Reason};
use crate::http::Response;
use crate::profile::{ProfileSource, Visitor};
use crate::route::Refusal;
pub use crate::route::MAX_OFREP_BODY_BYTES as MAX_BODY_BYTES;
use crate::validation::is_valid_id;
/// Context attributes a caller without an API key may set: request-level
/// facts about the app, never identity or a signed dimension.
pub const CLIENT_SETTABLE: &[&str] = &["route", "screen", "app_version", "platform", "locale"];
/// Segment labels a server with an API key may supply.
pub const SERVER_SETTABLE: &[&str] = &[
    "industry",
    "role",
    "company_size",
    "lifecycle",
    "plan",
    "country",
    "device",
    "source",
];

/// The answer for a path of OFREP's with no endpoint for the request.
pub fn refusal(refusal: Refusal) -> Response {
    match refusal {
        Refusal::NotFound => general(404, "no such OFREP endpoint"),
        Refusal::MethodNotAllowed => general(405, "method not allowed"),
    }
}

fn general(status: u16, details: &str) -> Response {
    Response::json(status, &json!({ "errorDetails": details }))
}

/// Adds the flag's key to an error body, when it is a key the catalog's
/// grammar allows: nothing else of the request is ever named back.
fn with_key(mut body: Value, key: Option<&str>) -> Value {
    if let (Some(key), Some(object)) = (key.filter(|k| is_valid_id(k)), body.as_object_mut()) {
        object.insert("key".into(), json!(key));
    }
    body
}

/// A request body that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    /// `PARSE_ERROR` or `INVALID_CONTEXT`.
    pub code: &'static str,
    /// What is wrong (never echoes the body).
    pub details: &'static str,
}

/// The evaluation context of a request body (`{"context": {...}}`).
pub fn parse_context(body: &str) -> Result<Map<String, Value>, BodyError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(BodyError {
            code: "PARSE_ERROR",
            details: "request body is larger than 16 KiB",
        });
    }
    if body.trim().is_empty() {
        return Ok(Map::new());
    }
    let value: Value = serde_json::from_str(body).map_err(|_| BodyError {
        code: "PARSE_ERROR",
        details: "request body is not JSON",
    })?;
    match value.get("context") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(context)) => Ok(context.clone()),
        Some(_) => Err(BodyError {
            code: "INVALID_CONTEXT",
            details: "context must be an object",
        }),
    }
}

/// The response for a body error (the single-flag form carries the key).
pub fn body_error(error: &BodyError, key: Option<&str>) -> Response {
    let body = json!({ "errorCode": error.code, "errorDetails": error.details });
    Response::json(400, &with_key(body, key))
}

fn short_string(value: &Value) -> Option<&str> {
    value.as_str().filter(|s| !s.is_empty() && s.len() <= 128)
}

/// Adds the client-settable attributes of `context` to the visitor's own
/// attributes; everything else in it is ignored (a browser or app cannot
/// claim an identity or override a signed dimension).
pub fn add_client_context(visitor: &mut Visitor, context: &Map<String, Value>) {
    if let Some(attributes) = visitor.attributes.as_object_mut() {
        for name in CLIENT_SETTABLE {
            if let Some(value) = context.get(*name).and_then(short_string) {
                attributes.entry(name.to_string()).or_insert_with(|| json!(value));
            }
        }
    }
}

/// A visitor described entirely by a trusted server's context: the
/// `targetingKey` is the bucketing id, plus segment labels and consent.
pub fn server_visitor(context: &Map<String, Value>) -> Visitor {
    let mut attributes = Map::new();
    if let Some(id) = context.get("targetingKey").and_then(short_string) {
        attributes.insert("id".into(), json!(id));
    }
    for name in SERVER_SETTABLE.iter().chain(CLIENT_SETTABLE) {
        if let Some(value) = context.get(*name).and_then(short_string) {
            attributes.insert(name.to_string(), json!(value));
        }
    }
    if let Some(Value::Object(experiments)) = context.get("experiments") {
        attributes.insert("experiments".into(), Value::Object(experiments.clone()));
    }
    let consent = |name: &str| {
        context
            .get("consent")
            .and_then(|c| c.get(name))
            .and_then(Value::as_bool)
            .unwrap_or(true)
    };
    let (personalization, analytics) = (consent("personalization"), consent("analytics"));
    attributes.insert(
        "consent".into(),
        json!({ "personalization": personalization, "analytics": analytics }),
    );
    attributes.insert("bot".into(), json!(false));
    Visitor {
        attributes: Value::Object(attributes),
        personalization_allowed: personalization,
        analytics_allowed: analytics,
        bot: false,
        source: ProfileSource::Anonymous(None),
        opted_out: false,
        forced: Default::default(),
        context_only: false,
        // The trusted server says (or grants both when it does not).
        consent: ConsentSource::Profile,
        carried: Default::default(),
    }
}

/// OpenFeature's reason for a decision.
pub fn openfeature_reason(decision: &Decision, catalog: &CompiledCatalog) -> &'static str {
    let single = catalog
        .blocks
        .iter()
        .find(|b| b.name == decision.block)
        .is_some_and(|b| b.variants.len() == 1);
    match &decision.reason {
        Reason::Consent | Reason::Bot => "DISABLED",
        _ if single => "STATIC",
        Reason::Rule | Reason::Forced => "TARGETING_MATCH",
        Reason::Experiment { .. } | Reason::Bandit | Reason::Exploration { .. } => "SPLIT",
        Reason::Default | Reason::Holdout => "DEFAULT",
    }
}

/// One flag's evaluation.
pub fn flag(decision: &Decision, catalog: &CompiledCatalog) -> Value {
    let mut metadata = Map::new();
    metadata.insert("tailorReason".into(), json!(decision.reason.label()));
    metadata.insert("catalogVersion".into(), json!(catalog.manifest.version));
    match &decision.reason {
        Reason::Experiment { key, arm, sticky } => {
            metadata.insert("experimentKey".into(), json!(key));
            metadata.insert("experimentArm".into(), json!(arm));
            metadata.insert("experimentSticky".into(), json!(sticky));
        }
        Reason::Exploration { instead_of } => {
            metadata.insert("explorationInsteadOf".into(), json!(instead_of));
        }
        _ => {}
    }
    json!({
        "key": decision.block,
        "value": decision.variant,
        "variant": decision.variant,
        "reason": openfeature_reason(decision, catalog),
        "metadata": metadata,
    })
}

/// `POST /ofrep/v1/evaluate/flags`: every flag, with an `ETag` over the
/// catalog version and the evaluations; `304` when `If-None-Match` matches.
pub fn bulk(catalog: &CompiledCatalog, decisions: &[Decision], if_none_match: Option<&str>) -> Response {
    let flags: Vec<Value> = decisions.iter().map(|d| flag(d, catalog)).collect();
    let body = json!({ "flags": flags, "metadata": { "version": catalog.manifest.version } });
    let text = body.to_string();
    let etag = format!("\"{}\"", short_sha256_hex(text.as_bytes()));
    let matches =
        if_none_match.is_some_and(|h| h.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    let mut response = if matches {
        Response {
            status: 304,
            body: String::new(),
            ..Response::json(304, &Value::Null)
        }
    } else {
        Response::json(200, &body)
    };
    response.headers.push(("etag", etag));
    response
}

/// `POST /ofrep/v1/evaluate/flags/{key}`.
pub fn single(key: &str, catalog: &CompiledCatalog, decisions: &[Decision]) -> Response {
    match decisions.iter().find(|d| d.block == key) {
        Some(decision) => Response::json(200, &flag(decision, catalog)),
        None => Response::json(
            404,
            &with_key(
                json!({ "errorCode": "FLAG_NOT_FOUND", "errorDetails": "no personalizable block has this key" }),
                Some(key),
            ),
        ),
    }
}

/// The answer when no catalog can be evaluated (nothing published, KV down):
/// a general error that names no internals.
pub fn unavailable(key: Option<&str>) -> Response {
    let body = json!({ "errorCode": "GENERAL", "errorDetails": "flags are temporarily unavailable" });
    Response::json(503, &with_key(body, key))
}

/// `GET /ofrep/v1/configuration`.
pub fn configuration() -> Response {
    Response::json(
        200,
        &json!({
            "name": "Tailor",
            "capabilities": {
                "cacheInvalidation": { "polling": { "enabled": true, "minPollingIntervalMs": 30000 } },
                "flagEvaluation": { "supportedTypes": ["string"] }
            }
        }),
    )
}

/// CORS headers for a request from `origin`: only for configured origins,
/// never `*` (responses depend on the visitor's cookies).
pub fn cors_headers(
    origin: Option<&str>,
    allowed: &[String],
    preflight: bool,
) -> Vec<(&'static str, String)> {
    let mut headers = vec![("vary", "Origin".to_owned())];
    let Some(origin) = origin.filter(|o| allowed.iter().any(|a| a == o)) else {
        return headers;
    };
    headers.push(("access-control-allow-origin", origin.to_owned()));
    headers.push(("access-control-allow-credentials", "true".to_owned()));
    headers.push(("access-control-expose-headers", "ETag".to_owned()));
    if preflight {
        headers.push(("access-control-allow-methods", "GET, POST, OPTIONS".to_owned()));
        headers.push((
            "access-control-allow-headers",
            "Content-Type, If-None-Match, X-API-Key, Authorization".to_owned(),
        ));
        headers.push(("access-control-max-age", "600".to_owned()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_parsed_strictly_and_capped() {
        assert_eq!(
            parse_context(r#"{"context":{"targetingKey":"u1"}}"#).unwrap()["targetingKey"],
            "u1"
        );
        assert!(parse_context("").unwrap().is_empty());
        assert_eq!(parse_context("{nope").unwrap_err().code, "PARSE_ERROR");
        assert_eq!(
            parse_context(r#"{"context":[1]}"#).unwrap_err().code,
            "INVALID_CONTEXT"
        );
        assert_eq!(
            parse_context(&" ".repeat(MAX_BODY_BYTES + 1)).unwrap_err().code,
            "PARSE_ERROR"
        );
    }

    #[test]
    fn a_client_context_cannot_override_identity_or_signed_dimensions() {
        let mut visitor = server_visitor(&Map::new());
        visitor.attributes["industry"] = json!("retail");
        let context =
            parse_context(r#"{"context":{"industry":"fintech","targetingKey":"x","route":"/app"}}"#).unwrap();
        add_client_context(&mut visitor, &context);
        assert_eq!(visitor.attributes["industry"], "retail");
        assert_eq!(visitor.attributes.get("id"), None);
        assert_eq!(visitor.attributes["route"], "/app");
    }

    #[test]
    fn unknown_keys_are_named_back_only_when_they_are_ids() {
        let error = BodyError {
            code: "PARSE_ERROR",
            details: "request body is not JSON",
        };
        let named = body_error(&error, Some("hero"));
        assert!(named.body.contains(r#""key":"hero""#));
        let hostile = body_error(&error, Some("<script>alert(1)</script>"));
        assert!(!hostile.body.contains("script"), "{}", hostile.body);
        assert!(!unavailable(Some("%3Cx%3E")).body.contains("3C"));
    }

    #[test]
    fn cors_is_only_for_configured_origins() {
        let allowed = vec!["https://app.example".to_owned()];
        assert_eq!(
            cors_headers(Some("https://evil.example"), &allowed, false).len(),
            1
        );
        let h = cors_headers(Some("https://app.example"), &allowed, true);
        assert!(h
            .iter()
            .any(|(n, v)| *n == "access-control-allow-origin" && v == "https://app.example"));
        assert!(!h.iter().any(|(_, v)| v == "*"));
    }
}
