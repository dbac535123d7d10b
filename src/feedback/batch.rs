//! One Queue batch of events, ready for the store: each message is one
//! page's (or one beacon's) NDJSON; events are deduplicated within the
//! batch here, and across batches by the store.

use std::collections::HashSet;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::events::tally::{day_of, segment_label, Exposures};
use crate::events::Event;

/// Events of one delivery, each id once.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// This delivery's own id: the store tags the event ids it records with
    /// it, and counts only those (a retried delivery gets a new id, and its
    /// already-recorded events count zero).
    pub id: String,
    /// The events, each `event_id` once.
    pub events: Vec<Event>,
    /// Each event's message key ([`id_key`] of its message's event ids):
    /// the store deduplicates deliveries by message, one row per page view
    /// rather than per event (a retry redelivers a message whole).
    pub keys: Vec<i64>,
    /// Lines that were not events with an id (never counted).
    pub skipped: usize,
    /// Events dropped as repeated within this batch.
    pub duplicates: usize,
}

/// The compact form the SQL store reads with `json_each`.
#[derive(Serialize)]
struct Compact<'a> {
    /// the event's message key (63 bits)
    i: i64,
    /// catalog version
    v: &'a str,
    /// block
    b: &'a str,
    /// variant
    n: &'a str,
    /// reason
    r: &'a str,
    /// experiment (empty: none)
    x: &'a str,
    /// segment label
    s: String,
    /// UTC day
    d: u32,
    /// `exposure` or `conversion`
    k: &'a str,
    /// time, Unix ms
    t: u64,
}

impl Batch {
    /// The events of `messages` (NDJSON each), with delivery id `id`.
    /// Only events with an `event_id` that `counting` counts are kept; a
    /// counted `seen` event becomes an `exposure` (the store counts two kinds).
    pub fn from_messages<'a>(
        id: String,
        messages: impl IntoIterator<Item = &'a str>,
        counting: Exposures,
    ) -> Self {
        let mut seen = HashSet::new();
        let mut batch = Self {
            id,
            events: Vec::new(),
            keys: Vec::new(),
            skipped: 0,
            duplicates: 0,
        };
        for message in messages {
            let mut events = Vec::new();
            for line in message.lines().map(str::trim).filter(|l| !l.is_empty()) {
                match serde_json::from_str::<Event>(line) {
                    Ok(mut e) if e.event_id.is_some() && counting.counts(&e.kind).is_some() => {
                        if counting.counts(&e.kind) == Some(false) {
                            e.kind = "exposure".to_owned();
                        }
                        if seen.insert(e.event_id.clone().unwrap_or_default()) {
                            events.push(e);
                        } else {
                            batch.duplicates += 1;
                        }
                    }
                    _ => batch.skipped += 1,
                }
            }
            let mut ids: Vec<&str> = events.iter().filter_map(|e| e.event_id.as_deref()).collect();
            ids.sort_unstable();
            let key = id_key(&ids.join("\n"));
            batch.keys.extend(std::iter::repeat_n(key, events.len()));
            batch.events.extend(events);
        }
        batch
    }

    /// The events as the JSON array the SQL store reads.
    pub fn compact_json(&self) -> String {
        let rows: Vec<Compact<'_>> = self
            .events
            .iter()
            .zip(&self.keys)
            .map(|(e, key)| Compact {
                i: *key,
                v: &e.catalog_version,
                b: &e.block,
                n: &e.variant,
                r: &e.reason,
                x: e.experiment.as_deref().unwrap_or_default(),
                s: segment_label(&e.segment),
                d: day_of(e.ts_ms),
                k: &e.kind,
                t: e.ts_ms,
            })
            .collect();
        // Plain data with string keys: serialization cannot fail.
        serde_json::to_string(&rows).unwrap_or_default()
    }

    /// This delivery's tag as the store keeps it: 53 bits, exact as a JS number.
    pub fn tag(&self) -> i64 {
        id_key(&self.id) & ((1 << 53) - 1)
    }

    /// The newest event, Unix ms (0 for none).
    pub fn newest_ms(&self) -> u64 {
        self.events.iter().map(|e| e.ts_ms).max().unwrap_or(0)
    }
}

/// An id as the store keys it: 63 bits of its SHA-256, an `INTEGER PRIMARY
/// KEY` (a few bytes a row, no separate index; see docs/events.md for the
/// size arithmetic). Two of 225 million ids collide with probability ~0.3 %.
pub fn id_key(id: &str) -> i64 {
    let digest = Sha256::digest(id.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    i64::from_be_bytes(bytes) & i64::MAX
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, kind: &str) -> String {
        format!(
            r#"{{"kind":"{kind}","event_id":"{id}","ts_ms":86400001,"site":"demo","catalog_version":"v-1","path":"/","block":"offer","variant":"bold","reason":"bandit","segment":{{"role":"cto"}}}}"#
        )
    }

    #[test]
    fn a_batch_keeps_each_event_id_once_and_skips_what_is_not_a_counted_event() {
        let page = format!("{}\n{}\n", line("a", "exposure"), line("b", "exposure"));
        let retried = line("a", "exposure");
        let no_id = line("x", "exposure").replace(r#""event_id":"x","#, "");
        let messages = [
            page.as_str(),
            retried.as_str(),
            no_id.as_str(),
            "not json",
            &line("c", "view"),
        ];
        let batch = Batch::from_messages("b1".into(), messages, Exposures::Served);
        assert_eq!((batch.events.len(), batch.duplicates, batch.skipped), (2, 1, 3));
        let compact: serde_json::Value = serde_json::from_str(&batch.compact_json()).unwrap_or_default();
        assert_eq!(compact[0]["d"], 1);
        assert_eq!(compact[0]["i"], id_key("a\nb"), "one key for a page's events");
        assert_eq!(compact[0]["i"], compact[1]["i"]);
        assert!(id_key("a") >= 0 && id_key("a") != id_key("b"));
        assert!(batch.tag() < 1 << 53);
        assert_eq!(compact[0]["s"], "role=cto");
        assert_eq!(batch.newest_ms(), 86_400_001);
    }

    #[test]
    fn a_site_counting_seen_exposures_stores_its_seen_events_as_exposures() {
        let page = format!("{}\n{}\n", line("a", "exposure"), line("b", "seen"));
        let batch = Batch::from_messages("b1".into(), [page.as_str()], Exposures::Seen);
        let kinds: Vec<&str> = batch.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!((kinds, batch.skipped), (vec!["exposure"], 1));
        assert_eq!(batch.events[0].event_id.as_deref(), Some("b"));
    }
}
