//! The feedback loop's raw material: exposure events (a visitor was shown a
//! personalized block) and conversion events (a click on a personalized
//! block, or a goal), sent after the response to the origin's events
//! endpoint as NDJSON. See `docs/events.md`.
//!
//! Events carry segment labels and a pseudonymous bucketing id, never
//! personal data. Nothing is recorded without analytics consent, with
//! `Sec-GPC: 1`, for bots, for opted-out visitors or for preview traffic.
//! Conversions are attributed on the server: a beacon names a block, and the
//! edge decides again for the same visitor to know which variant they saw,
//! so a client cannot credit a variant it was not shown.

pub mod aggregate;
pub mod tally;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::decide::{Decision, Reason};
use crate::edge::{Decided, Prepared};
use crate::fragments::generate::segment_of;
use crate::profile::{ProfileSource, Visitor};
pub use crate::route::MAX_BEACON_BYTES;
use crate::validation::is_valid_id;

/// One event, as written to the sink (one JSON object per line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `exposure` or `conversion`.
    pub kind: String,
    /// This event's own id (random, 22 characters): a sink or the aggregate
    /// that sees it twice counts it once. Absent only in events written
    /// before ids existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Where the decision was delivered: `page` (absent: the page) or `ofrep`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// When, Unix milliseconds.
    pub ts_ms: u64,
    /// The site.
    pub site: String,
    /// The catalog version decided with.
    pub catalog_version: String,
    /// The page path.
    pub path: String,
    /// The block.
    pub block: String,
    /// The variant shown.
    pub variant: String,
    /// Why it was shown (`rule`, `experiment`, `bandit`, …).
    pub reason: String,
    /// The experiment key, when an experiment assigned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<String>,
    /// The experiment arm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<usize>,
    /// The profile's pseudonymous bucketing id, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Segment labels (`industry`, `role`, `company_size`, `lifecycle`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub segment: BTreeMap<String, String>,
    /// For conversions: `click` or the goal's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
}

/// Whether events may be recorded for this visitor at all.
/// Events describe personalized decisions, so personalization consent is
/// needed as well as analytics consent: with analytics alone nothing is
/// personalized, and nothing is counted.
pub fn trackable(visitor: &Visitor) -> bool {
    visitor.analytics_allowed
        && visitor.personalization_allowed
        && !visitor.context_only
        && !visitor.bot
        && !visitor.opted_out
        && visitor.forced.is_empty()
        && visitor.source != ProfileSource::Preview
}

/// One exposure per block the page actually filled (the default too: it is
/// an arm like the others).
pub fn exposures(prepared: &Prepared, site: &str, path: &str, now_ms: u64) -> Vec<Event> {
    let decided = &prepared.decided;
    if !trackable(&decided.visitor) {
        return Vec::new();
    }
    decided
        .decisions
        .iter()
        .filter(|d| prepared.plan.fill_for(Some(&d.block)).is_some())
        .filter_map(|d| event("exposure", d, decided, site, path, now_ms, None))
        .collect()
}

/// What a beacon reports.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Beacon {
    /// `click` (on a personalized block) or `goal`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The block clicked (`click`), or the only block to credit (`goal`).
    #[serde(default)]
    pub block: Option<String>,
    /// The goal's name (`goal`).
    #[serde(default)]
    pub goal: Option<String>,
    /// The page path the visitor was on.
    pub path: String,
}

/// A beacon that is refused. The client is at fault; nothing is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BeaconError {
    /// Larger than [`MAX_BEACON_BYTES`].
    #[error("beacon larger than {MAX_BEACON_BYTES} bytes")]
    TooLarge,
    /// Not the beacon format; says which rule it breaks, never what was sent.
    #[error("not a beacon: {0}")]
    Malformed(&'static str),
}

/// Parses and validates a beacon body.
pub fn parse_beacon(body: &str) -> Result<Beacon, BeaconError> {
    if body.len() > MAX_BEACON_BYTES {
        return Err(BeaconError::TooLarge);
    }
    // serde's message would name an unknown field as sent: never echoed.
    let beacon: Beacon = serde_json::from_str(body)
        .map_err(|_| BeaconError::Malformed("a JSON object with `type`, `path` and `block` or `goal`"))?;
    let bad = |what: &'static str| Err(BeaconError::Malformed(what));
    match (beacon.kind.as_str(), &beacon.block, &beacon.goal) {
        ("click", Some(block), None) if is_valid_id(block) => {}
        ("goal", block, Some(goal)) if is_valid_id(goal) && block.as_deref().is_none_or(is_valid_id) => {}
        ("click", _, _) => return bad("a click names a valid `block` and no `goal`"),
        ("goal", _, _) => return bad("a goal names a valid `goal`"),
        _ => return bad("`type` is `click` or `goal`"),
    }
    if !beacon.path.starts_with('/') || beacon.path.len() > 1024 {
        return bad("`path` is an absolute path");
    }
    Ok(beacon)
}

/// The conversions a beacon means for this visitor: the variant each
/// credited block showed, decided again on the server.
pub fn conversions(beacon: &Beacon, decided: &Decided, site: &str, now_ms: u64) -> Vec<Event> {
    if !trackable(&decided.visitor) {
        return Vec::new();
    }
    let goal = match beacon.kind.as_str() {
        "click" => "click".to_owned(),
        _ => beacon.goal.clone().unwrap_or_default(),
    };
    decided
        .decisions
        .iter()
        .filter(|d| beacon.block.as_deref().is_none_or(|b| b == d.block))
        .filter_map(|d| {
            event(
                "conversion",
                d,
                decided,
                site,
                &beacon.path,
                now_ms,
                Some(goal.clone()),
            )
        })
        .collect()
}

fn event(
    kind: &str,
    decision: &Decision,
    decided: &Decided,
    site: &str,
    path: &str,
    now_ms: u64,
    goal: Option<String>,
) -> Option<Event> {
    let catalog = decided.catalog.as_ref()?;
    let (experiment, arm) = match &decision.reason {
        Reason::Experiment { key, arm, .. } => (Some(key.clone()), Some(*arm)),
        _ => (None, None),
    };
    Some(Event {
        kind: kind.to_owned(),
        event_id: None,
        channel: None,
        ts_ms: now_ms,
        site: site.to_owned(),
        catalog_version: catalog.manifest.version.clone(),
        path: path.to_owned(),
        block: decision.block.clone(),
        variant: decision.variant.clone(),
        reason: decision.reason.label().to_owned(),
        experiment,
        arm,
        id: decided
            .visitor
            .attributes
            .get("id")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        segment: segment_of(&decided.visitor).unwrap_or_default(),
        goal,
    })
}

/// Events as NDJSON, one object per line.
pub fn ndjson(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|e| serde_json::to_string(e).ok())
        .map(|line| line + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beacons_are_validated_strictly() {
        assert!(parse_beacon(r#"{"type":"click","block":"cta","path":"/"}"#).is_ok());
        assert!(parse_beacon(r#"{"type":"goal","goal":"signup","path":"/pricing"}"#).is_ok());
        for bad in [
            "",
            "{}",
            r#"{"type":"click","path":"/"}"#,
            r#"{"type":"click","block":"Bad Name","path":"/"}"#,
            r#"{"type":"click","block":"cta","path":"http://x"}"#,
            r#"{"type":"view","block":"cta","path":"/"}"#,
            r#"{"type":"click","block":"cta","path":"/","extra":1}"#,
            r#"{"type":"goal","path":"/"}"#,
        ] {
            assert!(
                matches!(parse_beacon(bad), Err(BeaconError::Malformed(_))),
                "{bad}"
            );
        }
        let huge = format!(
            r#"{{"type":"click","block":"cta","path":"/{}"}}"#,
            "a".repeat(2000)
        );
        assert_eq!(parse_beacon(&huge), Err(BeaconError::TooLarge));
    }
}
