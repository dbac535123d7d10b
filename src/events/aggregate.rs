//! `tailor stats aggregate`: exposures and conversions in, per-variant Beta
//! posteriors out, per block and per segment, from what the bandit and
//! exploration chose ([`BANDIT_REASONS`]). The bandit reads the per-block
//! posteriors (`tailor catalog push --stats` writes them into the blocks that
//! declare a `bandit`); the per-segment ones are there to read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::tally::{self, bandit_counts, DayWindow, Exposures, Seen, Tallies, BANDIT_REASONS};

/// Counts and the Beta posterior of one variant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Exposures.
    pub exposures: u64,
    /// Conversions.
    pub conversions: u64,
    /// Beta α = conversions + 1.
    pub alpha: f64,
    /// Beta β = exposures − conversions + 1 (conversions capped at exposures).
    pub beta: f64,
}

impl From<&tally::Counts> for Counts {
    fn from(counts: &tally::Counts) -> Self {
        let (alpha, beta) = counts.beta();
        Self {
            exposures: counts.exposures,
            conversions: counts.conversions,
            alpha,
            beta,
        }
    }
}

/// One block's statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BlockStats {
    /// By variant.
    pub variants: BTreeMap<String, Counts>,
    /// By segment (`industry=fintech&role=cto`), then variant.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub segments: BTreeMap<String, BTreeMap<String, Counts>>,
}

/// The stats document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Format version.
    pub schema: u32,
    /// Events counted.
    pub events: u64,
    /// Events skipped as duplicates (an `event_id` already counted).
    #[serde(default)]
    pub duplicates: u64,
    /// Lines skipped (not an event, or an exposure of the stage not counted).
    pub skipped: u64,
    /// By block: the bandit's counts (what the bandit or exploration chose).
    pub blocks: BTreeMap<String, BlockStats>,
}

/// Aggregates NDJSON lines of [`Event`](super::Event)s into the bandits'
/// posteriors: each event id counted once, only [`BANDIT_REASONS`], within
/// `window` when given, with the exposures `counting` says. Lines that are
/// not events are counted as skipped, never fatal.
pub fn aggregate<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    window: Option<DayWindow>,
    counting: Exposures,
) -> Stats {
    let tallies = Tallies::from_lines(lines, &mut Seen::default(), counting);
    let rows = tallies.to_rows();
    let mut stats = Stats {
        schema: 2,
        events: tallies.events,
        duplicates: tallies.duplicates,
        skipped: tallies.skipped,
        blocks: BTreeMap::new(),
    };
    for (block, variants) in bandit_counts(&rows, window) {
        stats.blocks.entry(block).or_default().variants =
            variants.iter().map(|(v, c)| (v.clone(), c.into())).collect();
    }
    let mut segments: BTreeMap<(String, String, String), tally::Counts> = BTreeMap::new();
    for row in rows.iter().filter(|r| {
        BANDIT_REASONS.contains(&r.key.reason.as_str())
            && !r.key.segment.is_empty()
            && window.is_none_or(|w| w.contains(r.key.day))
    }) {
        let key = (
            row.key.block.clone(),
            row.key.segment.clone(),
            row.key.variant.clone(),
        );
        segments.entry(key).or_default().add(&row.counts);
    }
    for ((block, segment, variant), counts) in &segments {
        let block = stats.blocks.entry(block.clone()).or_default();
        block
            .segments
            .entry(segment.clone())
            .or_default()
            .insert(variant.clone(), counts.into());
    }
    stats
}

/// Writes each block's posteriors into a catalog source (JSON) as its
/// `bandit.arms`, for the blocks that declare a `bandit`; returns the
/// blocks updated. Variants without events keep `[1, 1]`.
pub fn apply_to_source(source: &mut serde_json::Value, stats: &Stats) -> Vec<String> {
    let mut updated = Vec::new();
    let Some(blocks) = source.get_mut("blocks").and_then(|b| b.as_object_mut()) else {
        return updated;
    };
    for (name, block) in blocks.iter_mut() {
        let variant_ids: Vec<String> = block
            .get("variants")
            .and_then(|v| v.as_array())
            .map(|vs| {
                vs.iter()
                    .filter_map(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let Some(bandit) = block.get_mut("bandit").and_then(|b| b.as_object_mut()) else {
            continue;
        };
        let counts = stats.blocks.get(name);
        let arms: serde_json::Map<String, serde_json::Value> = variant_ids
            .iter()
            .map(|id| {
                let c = counts.and_then(|b| b.variants.get(id));
                let (alpha, beta) = c.map_or((1.0, 1.0), |c| (c.alpha, c.beta));
                (id.clone(), serde_json::json!([alpha, beta]))
            })
            .collect();
        bandit.insert("arms".to_owned(), serde_json::Value::Object(arms));
        updated.push(name.clone());
    }
    updated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(kind: &str, variant: &str, industry: &str) -> String {
        format!(
            r#"{{"kind":"{kind}","ts_ms":1,"site":"demo","catalog_version":"v-1","path":"/","block":"offer","variant":"{variant}","reason":"bandit","segment":{{"industry":"{industry}"}}}}"#
        )
    }

    #[test]
    fn exposures_and_conversions_become_beta_posteriors_per_variant_and_segment() {
        let mut lines = vec![];
        for _ in 0..10 {
            lines.push(line("exposure", "bold", "retail"));
        }
        for _ in 0..4 {
            lines.push(line("conversion", "bold", "retail"));
        }
        lines.push(line("exposure", "calm", "fintech"));
        lines.push("not json".to_owned());
        let stats = aggregate(lines.iter().map(String::as_str), None, Exposures::Served);
        let bold = &stats.blocks["offer"].variants["bold"];
        assert_eq!(
            (bold.exposures, bold.conversions, bold.alpha, bold.beta),
            (10, 4, 5.0, 7.0)
        );
        assert_eq!(
            stats.blocks["offer"].segments["industry=retail"]["bold"].alpha,
            5.0
        );
        assert_eq!(stats.blocks["offer"].variants["calm"].beta, 2.0);
        assert_eq!((stats.events, stats.skipped), (15, 1));
    }

    #[test]
    fn posteriors_are_written_into_blocks_that_declare_a_bandit() {
        let stats = aggregate([line("exposure", "bold", "x").as_str()], None, Exposures::Served);
        let mut source = serde_json::json!({ "site": "demo", "blocks": {
            "offer": { "default": "control", "bandit": { "arms": {}, "period_hours": 1 },
                       "variants": [ { "id": "control" }, { "id": "bold" } ] },
            "hero": { "default": "d", "variants": [ { "id": "d" } ] } } });
        assert_eq!(apply_to_source(&mut source, &stats), ["offer"]);
        assert_eq!(
            source["blocks"]["offer"]["bandit"]["arms"],
            serde_json::json!({ "control": [1.0, 1.0], "bold": [1.0, 2.0] })
        );
        assert_eq!(source["blocks"]["offer"]["bandit"]["period_hours"], 1);
        assert!(source["blocks"]["hero"].get("bandit").is_none());
    }
}
