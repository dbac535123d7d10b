//! What a visitor was served on a path: the exposures of the blocks the
//! page's rewriter filled, kept in the location's cache for a day under a
//! key hashed from the visitor's id and the path. A conversion beacon reads
//! it back and credits only those blocks, with the variants they showed:
//! a click on a block the page did not have credits nothing, and nothing
//! is decided again (a catalog push in between cannot move the credit).
//!
//! The Cache API is per location: a beacon that reaches another location
//! than its page, or comes after a day or an eviction, is not credited.
//! That undercounts a little; it never credits a variant nobody saw.

use serde::{Deserialize, Serialize};

use super::{Beacon, Event};
use crate::catalog::short_sha256_hex;

/// How long a served ledger is kept: conversions credit pages seen within
/// the last day.
pub const LEDGER_TTL_S: u32 = 86_400;

/// The cache key of the ledger of visitor `id` on `path` of `site`: hashed,
/// so neither the id nor the path is in a key.
pub fn key(site: &str, id: &str, path: &str) -> String {
    let digest = short_sha256_hex(format!("{site}\n{id}\n{path}").as_bytes());
    format!("https://tailor.internal/served/{digest}")
}

/// The exposures a page filled for one visitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// One per block filled (ids stripped: a conversion is a new event).
    pub served: Vec<Event>,
    /// Blocks of this page view already reported seen: one sighting each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seen: Vec<String>,
}

impl Ledger {
    /// The ledger of `exposures`.
    pub fn of(exposures: &[Event]) -> Self {
        Self {
            served: exposures
                .iter()
                .map(|e| Event {
                    event_id: None,
                    ..e.clone()
                })
                .collect(),
            seen: Vec::new(),
        }
    }

    /// As kept in the cache.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialization cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a kept ledger; anything else (an old format, a damaged entry)
    /// is no ledger, so nothing is credited.
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    /// The `seen` event a sighting beacon means: its block's exposure as
    /// served, once per page view (the ledger remembers it: keep the ledger
    /// again after `Some`); `None` for a block not served here or already seen.
    pub fn sighting(&mut self, beacon: &Beacon, now_ms: u64) -> Option<Event> {
        let block = beacon.block.as_deref().filter(|_| beacon.kind == "seen")?;
        if self.seen.iter().any(|b| b == block) {
            return None;
        }
        let served = self
            .served
            .iter()
            .find(|e| e.path == beacon.path && e.block == block)?;
        self.seen.push(block.to_owned());
        Some(Event {
            kind: "seen".to_owned(),
            event_id: None,
            ts_ms: now_ms,
            ..served.clone()
        })
    }

    /// The conversions `beacon` means: a `click` credits its block, a `goal`
    /// its block or, without one, every block served — each only if this
    /// ledger has it, with the variant, reason and catalog version served.
    pub fn conversions(&self, beacon: &Beacon, now_ms: u64) -> Vec<Event> {
        let goal = match beacon.kind.as_str() {
            "click" => "click".to_owned(),
            "goal" => beacon.goal.clone().unwrap_or_default(),
            _ => return Vec::new(),
        };
        self.served
            .iter()
            .filter(|e| e.path == beacon.path)
            .filter(|e| beacon.block.as_deref().is_none_or(|b| b == e.block))
            .map(|e| Event {
                kind: "conversion".to_owned(),
                event_id: None,
                ts_ms: now_ms,
                goal: Some(goal.clone()),
                ..e.clone()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::events::parse_beacon;

    fn exposure(block: &str, variant: &str) -> Event {
        Event {
            kind: "exposure".to_owned(),
            event_id: Some("e1".to_owned()),
            channel: None,
            ts_ms: 1,
            site: "demo".to_owned(),
            catalog_version: "v-1".to_owned(),
            path: "/docs/".to_owned(),
            block: block.to_owned(),
            variant: variant.to_owned(),
            reason: "rule".to_owned(),
            experiment: None,
            arm: None,
            id: Some("visitor".to_owned()),
            segment: BTreeMap::new(),
            goal: None,
        }
    }

    fn ledger() -> Ledger {
        Ledger::parse(&Ledger::of(&[exposure("cta", "developer")]).to_json()).unwrap_or(Ledger {
            served: vec![],
            seen: vec![],
        })
    }

    #[test]
    fn a_click_on_a_served_block_credits_the_variant_served() {
        let beacon = parse_beacon(r#"{"type":"click","block":"cta","path":"/docs/"}"#).unwrap();
        let credited = ledger().conversions(&beacon, 9);
        assert_eq!(credited.len(), 1);
        let c = &credited[0];
        assert_eq!(
            (c.kind.as_str(), c.variant.as_str(), c.ts_ms),
            ("conversion", "developer", 9)
        );
        assert_eq!((c.goal.as_deref(), c.event_id.as_deref()), (Some("click"), None));
    }

    #[test]
    fn a_click_on_a_block_the_page_did_not_have_credits_nothing() {
        let beacon = parse_beacon(r#"{"type":"click","block":"hero","path":"/docs/"}"#).unwrap();
        assert!(ledger().conversions(&beacon, 9).is_empty());
        let elsewhere = parse_beacon(r#"{"type":"click","block":"cta","path":"/"}"#).unwrap();
        assert!(ledger().conversions(&elsewhere, 9).is_empty());
    }

    #[test]
    fn a_goal_credits_every_block_served_and_a_damaged_ledger_nothing() {
        let beacon = parse_beacon(r#"{"type":"goal","goal":"signup","path":"/docs/"}"#).unwrap();
        assert_eq!(
            ledger().conversions(&beacon, 9)[0].goal.as_deref(),
            Some("signup")
        );
        assert_eq!(Ledger::parse("{not json"), None);
    }

    #[test]
    fn a_served_block_is_seen_once_per_page_view_and_a_sighting_is_no_conversion() {
        let beacon = parse_beacon(r#"{"type":"seen","block":"cta","path":"/docs/"}"#).unwrap();
        let mut ledger = ledger();
        assert!(ledger.conversions(&beacon, 9).is_empty());
        let seen = ledger.sighting(&beacon, 9).map(|e| (e.kind, e.variant, e.ts_ms));
        assert_eq!(seen, Some(("seen".to_owned(), "developer".to_owned(), 9)));
        let kept = Ledger::parse(&ledger.to_json()).unwrap();
        assert_eq!(
            kept.clone().sighting(&beacon, 10),
            None,
            "a replayed sighting counts nothing"
        );
        let other = parse_beacon(r#"{"type":"seen","block":"hero","path":"/docs/"}"#).unwrap();
        assert_eq!(
            kept.clone().sighting(&other, 10),
            None,
            "hero was not served on /docs/"
        );
        let click = parse_beacon(r#"{"type":"click","block":"cta","path":"/docs/"}"#).unwrap();
        assert_eq!(kept.clone().sighting(&click, 10), None);
    }

    #[test]
    fn the_key_hides_the_id_and_the_path() {
        let key = key("demo", "visitor-123", "/secret-path");
        assert!(!key.contains("visitor-123") && !key.contains("secret"));
        assert_ne!(key, super::key("demo", "visitor-124", "/secret-path"));
    }
}
