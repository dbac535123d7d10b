//! The feedback loop's raw material: exposure events (a visitor was served a
//! personalized block), seen events (the page's reporter saw that block
//! rendered and visible) and conversion events (a click on a personalized
//! block, or a goal), sent after the response to the events Queue or
//! endpoint as NDJSON. See `docs/events.md`.
//!
//! Events carry segment labels and a pseudonymous bucketing id, never
//! personal data. Nothing is recorded without analytics consent, with
//! `Sec-GPC: 1`, for bots, for opted-out visitors or for preview traffic.
//! Conversions are attributed on the server: a beacon names a block and a
//! path, and the edge credits the variant that path's page filled for the
//! same visitor, from its served [`ledger`]; a block the visitor was not
//! shown there is not credited.

pub mod aggregate;
pub mod ledger;
pub mod report;
pub mod tally;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::decide::{Decision, Reason};
use crate::edge::Prepared;
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
    /// Where the decision was delivered: the page (absent), `fragment` (a
    /// client navigation's `/__tailor/fragments`) or `ofrep`.
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

/// A rewritten page's exposures, waiting for the rewriter to say which
/// blocks it filled: a block the page does not mark (or that a failing
/// rewriter left as the origin's) was not shown, so it is not exposed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PendingExposures {
    events: Vec<Event>,
    /// The served ledger's key, when the visitor has a bucketing id.
    ledger_key: Option<String>,
}

impl PendingExposures {
    /// One exposure per decided block with a fill (the default too: it is an
    /// arm like the others), for a trackable visitor; nothing otherwise.
    pub fn new(prepared: &Prepared, site: &str, path: &str, now_ms: u64) -> Self {
        let decided = &prepared.decided;
        let Some(id) = trackable_id(&decided.visitor) else {
            return Self::default();
        };
        let events = decided
            .decisions
            .iter()
            .filter(|d| prepared.plan.fill_for(Some(&d.block)).is_some())
            .filter_map(|d| {
                let version = &decided.catalog.as_ref()?.manifest.version;
                Some(event_of(
                    "exposure",
                    d,
                    &decided.visitor,
                    version,
                    site,
                    path,
                    now_ms,
                ))
            })
            .collect();
        Self {
            events,
            ledger_key: Some(ledger::key(site, id, path)),
        }
    }

    /// The same exposures, marked as delivered through `channel` (a client
    /// navigation's `fragment`s).
    pub fn on_channel(mut self, channel: &str) -> Self {
        for event in &mut self.events {
            event.channel = Some(channel.to_owned());
        }
        self
    }

    /// Whether there is nothing to send whatever the rewriter fills.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The exposures of the blocks in `filled` (as the rewriter reported
    /// them), and the served ledger to keep for the visitor's conversions:
    /// its key and its text.
    pub fn filled(self, filled: &[String]) -> (Vec<Event>, Option<(String, String)>) {
        let events: Vec<Event> = self
            .events
            .into_iter()
            .filter(|e| filled.contains(&e.block))
            .collect();
        let ledger = match (self.ledger_key, events.is_empty()) {
            (Some(key), false) => Some((key, ledger::Ledger::of(&events).to_json())),
            _ => None,
        };
        (events, ledger)
    }
}

/// The exposures of an OFREP evaluation (`channel: "ofrep"`, no path): one
/// per block evaluated, for a trackable visitor.
pub fn ofrep_exposures(
    decisions: &[Decision],
    visitor: &Visitor,
    version: &str,
    site: &str,
    now_ms: u64,
) -> Vec<Event> {
    if trackable_id(visitor).is_none() {
        return Vec::new();
    }
    decisions
        .iter()
        .map(|d| Event {
            channel: Some("ofrep".to_owned()),
            ..event_of("exposure", d, visitor, version, site, "", now_ms)
        })
        .collect()
}

/// The visitor's bucketing id, when events may be recorded for them: a
/// trackable visitor without an id has nothing to be counted under.
pub fn trackable_id(visitor: &Visitor) -> Option<&str> {
    trackable(visitor)
        .then(|| visitor.attributes.get("id").and_then(|v| v.as_str()))
        .flatten()
}

/// What a beacon reports.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Beacon {
    /// `click` (on a personalized block), `goal`, or `seen` (the block is
    /// rendered and visible: the reporter confirms an exposure).
    #[serde(rename = "type")]
    pub kind: String,
    /// The block clicked (`click`) or seen (`seen`), or the only block to
    /// credit (`goal`).
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
        ("click" | "seen", Some(block), None) if is_valid_id(block) => {}
        ("goal", block, Some(goal)) if is_valid_id(goal) && block.as_deref().is_none_or(is_valid_id) => {}
        ("click" | "seen", _, _) => return bad("a click or a sighting names a valid `block` and no `goal`"),
        ("goal", _, _) => return bad("a goal names a valid `goal`"),
        _ => return bad("`type` is `click`, `goal` or `seen`"),
    }
    if !beacon.path.starts_with('/') || beacon.path.len() > 1024 {
        return bad("`path` is an absolute path");
    }
    Ok(beacon)
}

/// The event of `decision` for `visitor`, decided with catalog `version`.
fn event_of(
    kind: &str,
    decision: &Decision,
    visitor: &Visitor,
    version: &str,
    site: &str,
    path: &str,
    now_ms: u64,
) -> Event {
    let (experiment, arm) = match &decision.reason {
        Reason::Experiment { key, arm, .. } => (Some(key.clone()), Some(*arm)),
        _ => (None, None),
    };
    Event {
        kind: kind.to_owned(),
        event_id: None,
        channel: None,
        ts_ms: now_ms,
        site: site.to_owned(),
        catalog_version: version.to_owned(),
        path: path.to_owned(),
        block: decision.block.clone(),
        variant: decision.variant.clone(),
        reason: decision.reason.label().to_owned(),
        experiment,
        arm,
        id: visitor
            .attributes
            .get("id")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        segment: segment_of(visitor).unwrap_or_default(),
        goal: None,
    }
}

/// Gives each event without one a new `event_id` from `random` (16 bytes,
/// URL-safe base64): ids are assigned where events are sent, once.
pub fn assign_ids(events: &mut [Event], random: impl Fn() -> [u8; 16]) {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    for event in events.iter_mut().filter(|e| e.event_id.is_none()) {
        event.event_id = Some(URL_SAFE_NO_PAD.encode(random()));
    }
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
        assert!(parse_beacon(r#"{"type":"seen","block":"hero","path":"/"}"#).is_ok());
        for bad in [
            "",
            "{}",
            r#"{"type":"click","path":"/"}"#,
            r#"{"type":"click","block":"Bad Name","path":"/"}"#,
            r#"{"type":"click","block":"cta","path":"http://x"}"#,
            r#"{"type":"view","block":"cta","path":"/"}"#,
            r#"{"type":"click","block":"cta","path":"/","extra":1}"#,
            r#"{"type":"goal","path":"/"}"#,
            r#"{"type":"seen","path":"/"}"#,
            r#"{"type":"seen","block":"hero","goal":"x","path":"/"}"#,
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
