//! `GET /__tailor/decide?path=…`: the current visitor's decisions as JSON.

use serde_json::{json, Value};

use crate::catalog::CompiledCatalog;
use crate::decide::{Decision, Reason};
use crate::edge::{Decided, Outcome};
use crate::http::Response;

/// The targeting condition of a block's variant, as published.
fn condition_of(catalog: Option<&CompiledCatalog>, block: &str, variant: &str) -> Option<Value> {
    let block = catalog?.manifest.blocks.get(block)?;
    block.variants.iter().find(|v| v.id == variant)?.when.clone()
}

/// One decision in plain words, for the explain panel and the "why" page.
pub fn explain(decision: &Decision) -> String {
    match &decision.reason {
        Reason::Rule => "your profile matches this variant's audience".to_owned(),
        Reason::Default => "no variant is aimed at your profile, so everyone's version is shown".to_owned(),
        Reason::Experiment {
            key,
            arm,
            sticky: true,
        } => {
            format!("you take part in the experiment “{key}” (group {arm}, as assigned by the site)")
        }
        Reason::Experiment {
            key,
            arm,
            sticky: false,
        } => {
            format!("you take part in the experiment “{key}” (group {arm}, drawn at random once)")
        }
        Reason::Holdout => {
            "you are in the group that sees the standard version, to measure what personalization changes"
                .to_owned()
        }
        Reason::Bandit => {
            "this variant is being tried on more visitors because it has been working well".to_owned()
        }
        Reason::Exploration { instead_of } => {
            format!("you are seeing an alternative to “{instead_of}”, so that you are not shown the same thing forever")
        }
        Reason::Consent => {
            "personalization is off for you (your choice, or your browser's Global Privacy Control)"
                .to_owned()
        }
        Reason::Bot => "automated visitors always see the standard version".to_owned(),
        Reason::Forced => "forced in the preview".to_owned(),
    }
}

fn reason_json(decision: &Decision, catalog: Option<&CompiledCatalog>) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("kind".into(), json!(decision.reason.label()));
    out.insert("explanation".into(), json!(explain(decision)));
    match &decision.reason {
        Reason::Rule => {
            let condition = condition_of(catalog, &decision.block, &decision.variant);
            out.insert("condition".into(), condition.unwrap_or(Value::Null));
        }
        Reason::Experiment { key, arm, sticky } => {
            out.insert(
                "experiment".into(),
                json!({ "key": key, "arm": arm, "sticky": sticky }),
            );
        }
        Reason::Exploration { instead_of } => {
            out.insert("instead_of".into(), json!(instead_of));
        }
        _ => {}
    }
    Value::Object(out)
}

/// `path` when it is made of URL path characters only (letters, digits,
/// `/ - . _ ~`): only such a path is named back to the caller.
pub fn plain_path(path: &str) -> Option<&str> {
    path.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b))
        .then_some(path)
}

/// The decisions JSON (see `docs/preview.md` for the format). Reports the
/// decisions a page would make; whether each block's fragment can be read
/// is the page's business, not asked here.
pub fn decide_json(decided: &Decided, path: &str) -> Response {
    let catalog = decided.catalog.as_deref();
    let outcome = match decided.outcome {
        Outcome::Personalize => "personalize".to_owned(),
        Outcome::NotCovered => "not-covered".to_owned(),
        Outcome::FailOpen(reason) => format!("fail-open: {reason}"),
    };
    let decisions: Vec<Value> = decided
        .decisions
        .iter()
        .map(|d| {
            json!({
                "block": d.block,
                "variant": d.variant,
                "reason": reason_json(d, catalog),
            })
        })
        .collect();
    let visitor = &decided.visitor;
    Response::json(
        200,
        &json!({
            "path": plain_path(path),
            "catalog_version": catalog.map(|c| c.manifest.version.clone()),
            "outcome": outcome,
            "profile": {
                "source": visitor.describe(),
                "personalization": visitor.personalization_allowed,
                "analytics": visitor.analytics_allowed,
                "attributes": visitor.attributes,
            },
            "decisions": decisions,
        }),
    )
}
