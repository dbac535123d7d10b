//! Events counted once, into the rows everything downstream reads: the
//! bandits' posteriors ([`Tallies::posteriors`]), the report
//! (`tailor stats report`) and the control worker's durable store (one row
//! per catalog version × block × variant × reason × experiment × segment ×
//! day, see `docs/events.md`).
//!
//! Counting once: every event carries an `event_id`; an id already seen is a
//! retried delivery and is skipped. Lines from before event ids (no
//! `event_id`) are counted as they come.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::Event;

/// Milliseconds in a day: rows are per UTC day.
pub const DAY_MS: u64 = 86_400_000;

/// Reasons whose exposures and conversions train a bandit: what the bandit
/// itself chose and what exploration chose at random. Rules, experiments,
/// the holdout and the default choose by other means; counting them would
/// credit a variant with the traffic a rule sent it.
pub const BANDIT_REASONS: [&str; 2] = ["bandit", "exploration"];

/// Which exposures a site counts (`TAILOR_LOOP_EXPOSURES`, `--exposures`):
/// every block the edge served, or only those the page's reporter saw
/// rendered and visible (`seen` events, `docs/events.md`). Conversions
/// count either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Exposures {
    /// `exposure` events: what the edge put in the page (the default: needs
    /// no script on the page).
    #[default]
    Served,
    /// `seen` events: what stayed on screen (needs `/__tailor/events.js`).
    Seen,
}

impl Exposures {
    /// Reads `served` or `seen`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "served" => Some(Self::Served),
            "seen" => Some(Self::Seen),
            _ => None,
        }
    }

    /// How an event of `kind` is counted: `Some(false)` as an exposure,
    /// `Some(true)` as a conversion, `None` not at all.
    pub fn counts(self, kind: &str) -> Option<bool> {
        match (self, kind) {
            (_, "conversion") => Some(true),
            (Self::Served, "exposure") | (Self::Seen, "seen") => Some(false),
            _ => None,
        }
    }
}

/// What one row counts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TallyKey {
    /// The catalog version decided with.
    pub catalog_version: String,
    /// The block.
    pub block: String,
    /// The variant shown.
    pub variant: String,
    /// Why (`rule`, `experiment`, `holdout`, `default`, `bandit`, `exploration`).
    pub reason: String,
    /// The experiment's key, empty when none assigned the variant.
    #[serde(default)]
    pub experiment: String,
    /// Segment labels as `industry=fintech&role=cto` (sorted), empty for none.
    #[serde(default)]
    pub segment: String,
    /// UTC day: days since the Unix epoch.
    pub day: u32,
}

/// Counts of one row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Exposures.
    pub exposures: u64,
    /// Conversions.
    pub conversions: u64,
    /// The newest event counted, Unix milliseconds.
    pub last_ms: u64,
}

impl Counts {
    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &Counts) {
        // Saturating: counts read back from a store are not ours to trust.
        self.exposures = self.exposures.saturating_add(other.exposures);
        self.conversions = self.conversions.saturating_add(other.conversions);
        self.last_ms = self.last_ms.max(other.last_ms);
    }

    /// The Beta posterior `(α, β)` from a uniform prior, conversions capped
    /// at exposures (a conversion whose exposure was lost counts once).
    pub fn beta(&self) -> (f64, f64) {
        let conversions = self.conversions.min(self.exposures);
        (
            conversions as f64 + 1.0,
            (self.exposures - conversions) as f64 + 1.0,
        )
    }
}

/// One row: a key and its counts (the store's and the report's unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// What is counted.
    #[serde(flatten)]
    pub key: TallyKey,
    /// The counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// Counted events by key, with what was not counted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tallies {
    /// Which exposures are counted.
    pub counting: Exposures,
    /// The rows.
    pub rows: BTreeMap<TallyKey, Counts>,
    /// Events counted.
    pub events: u64,
    /// Events skipped because their id was already counted.
    pub duplicates: u64,
    /// Lines that were not counted: not events, or not a kind counted
    /// (the exposures of the stage not counted among them).
    pub skipped: u64,
}

/// Event ids already counted. A set for a file or a batch; the control
/// worker's store keeps its own table across batches.
#[derive(Debug, Default)]
pub struct Seen(HashSet<String>);

impl Seen {
    /// Whether `event` is counted for the first time (and remembers it).
    pub fn first(&mut self, event: &Event) -> bool {
        match &event.event_id {
            Some(id) => self.0.insert(id.clone()),
            None => true,
        }
    }
}

impl Tallies {
    /// Counts `event` unless `seen` has its id; returns whether it counted.
    pub fn add(&mut self, event: &Event, seen: &mut Seen) -> bool {
        let Some(conversion) = self.counting.counts(&event.kind) else {
            self.skipped += 1;
            return false;
        };
        if !seen.first(event) {
            self.duplicates += 1;
            return false;
        }
        self.events += 1;
        let counts = self.rows.entry(key_of(event)).or_default();
        if conversion {
            counts.conversions += 1;
        } else {
            counts.exposures += 1;
        }
        counts.last_ms = counts.last_ms.max(event.ts_ms);
        true
    }

    /// Counts NDJSON lines of events; a line that is not an event is
    /// counted as skipped, never fatal.
    pub fn from_lines<'a>(
        lines: impl IntoIterator<Item = &'a str>,
        seen: &mut Seen,
        counting: Exposures,
    ) -> Self {
        let mut tallies = Self {
            counting,
            ..Self::default()
        };
        for line in lines.into_iter().map(str::trim).filter(|l| !l.is_empty()) {
            match serde_json::from_str::<Event>(line) {
                Ok(event) => {
                    tallies.add(&event, seen);
                }
                Err(_) => tallies.skipped += 1,
            }
        }
        tallies
    }

    /// The rows as a list (the store's and the report's input).
    pub fn to_rows(&self) -> Vec<Row> {
        self.rows
            .iter()
            .map(|(key, counts)| Row {
                key: key.clone(),
                counts: *counts,
            })
            .collect()
    }
}

/// The bandit's counts per block and variant from `rows`: only
/// [`BANDIT_REASONS`], only days in `window` (all when `None`), summed over
/// catalog versions and segments (a variant keeps its id across versions).
pub fn bandit_counts<'a>(
    rows: impl IntoIterator<Item = &'a Row>,
    window: Option<DayWindow>,
) -> BTreeMap<String, BTreeMap<String, Counts>> {
    let mut blocks: BTreeMap<String, BTreeMap<String, Counts>> = BTreeMap::new();
    for row in rows {
        let key = &row.key;
        if !BANDIT_REASONS.contains(&key.reason.as_str()) || window.is_some_and(|w| !w.contains(key.day)) {
            continue;
        }
        blocks
            .entry(key.block.clone())
            .or_default()
            .entry(key.variant.clone())
            .or_default()
            .add(&row.counts);
    }
    blocks
}

/// The last `days` UTC days up to and including `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayWindow {
    /// The newest day.
    pub today: u32,
    /// How many days, at least 1.
    pub days: u32,
}

impl DayWindow {
    /// The window of `days` days ending on the day of `now_ms`.
    pub fn ending_at(now_ms: u64, days: u32) -> Self {
        Self {
            today: day_of(now_ms),
            days: days.max(1),
        }
    }

    /// Whether `day` falls in the window.
    pub fn contains(&self, day: u32) -> bool {
        day <= self.today && self.today - day < self.days
    }
}

/// The UTC day (days since the epoch) of a Unix-milliseconds time.
pub fn day_of(ms: u64) -> u32 {
    u32::try_from(ms / DAY_MS).unwrap_or(u32::MAX)
}

/// The row an event counts in.
pub fn key_of(event: &Event) -> TallyKey {
    TallyKey {
        catalog_version: event.catalog_version.clone(),
        block: event.block.clone(),
        variant: event.variant.clone(),
        reason: event.reason.clone(),
        experiment: event.experiment.clone().unwrap_or_default(),
        segment: segment_label(&event.segment),
        day: day_of(event.ts_ms),
    }
}

/// Segment labels as one string, `industry=fintech&role=cto` (sorted by name).
pub fn segment_label(segment: &BTreeMap<String, String>) -> String {
    segment
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, id: Option<&str>, reason: &str, ts_ms: u64) -> Event {
        Event {
            kind: kind.to_owned(),
            event_id: id.map(str::to_owned),
            channel: None,
            ts_ms,
            site: "demo".to_owned(),
            catalog_version: "v-1".to_owned(),
            path: "/".to_owned(),
            block: "offer".to_owned(),
            variant: "bold".to_owned(),
            reason: reason.to_owned(),
            experiment: None,
            arm: None,
            id: None,
            segment: BTreeMap::from([
                ("role".to_owned(), "cto".to_owned()),
                ("industry".to_owned(), "x".to_owned()),
            ]),
            goal: None,
        }
    }

    #[test]
    fn a_retried_event_counts_once_and_events_without_an_id_count_each_time() {
        let mut seen = Seen::default();
        let mut tallies = Tallies::default();
        for e in [
            event("exposure", Some("a"), "bandit", 1),
            event("exposure", Some("a"), "bandit", 1),
            event("conversion", Some("b"), "bandit", 2),
            event("exposure", None, "bandit", 3),
            event("exposure", None, "bandit", 3),
            event("view", Some("c"), "bandit", 3),
        ] {
            tallies.add(&e, &mut seen);
        }
        assert_eq!((tallies.events, tallies.duplicates, tallies.skipped), (4, 1, 1));
        let counts = tallies.rows.values().next().copied().unwrap_or_default();
        assert_eq!((counts.exposures, counts.conversions, counts.last_ms), (3, 1, 3));
        assert_eq!(
            tallies.rows.keys().next().map(|k| k.segment.as_str()),
            Some("industry=x&role=cto")
        );
    }

    #[test]
    fn a_site_that_counts_seen_exposures_counts_only_those_and_conversions() {
        let events = [
            event("exposure", Some("served"), "bandit", 1),
            event("seen", Some("seen"), "bandit", 2),
            event("seen", Some("seen-again"), "bandit", 2),
            event("conversion", Some("click"), "bandit", 3),
        ];
        let count = |counting: Exposures| {
            let (mut tallies, mut seen) = (
                Tallies {
                    counting,
                    ..Tallies::default()
                },
                Seen::default(),
            );
            for e in &events {
                tallies.add(e, &mut seen);
            }
            let counts = tallies.rows.values().next().copied().unwrap_or_default();
            (counts.exposures, counts.conversions, tallies.skipped)
        };
        assert_eq!(count(Exposures::Served), (1, 1, 2));
        assert_eq!(count(Exposures::Seen), (2, 1, 1));
        assert_eq!(Exposures::parse("seen"), Some(Exposures::Seen));
        assert_eq!(Exposures::parse("visible"), None);
    }

    #[test]
    fn rows_are_per_utc_day_and_the_window_keeps_the_last_days() {
        let mut seen = Seen::default();
        let mut tallies = Tallies::default();
        tallies.add(&event("exposure", Some("old"), "bandit", 0), &mut seen);
        tallies.add(
            &event("exposure", Some("new"), "bandit", 10 * DAY_MS + 5),
            &mut seen,
        );
        assert_eq!(tallies.rows.len(), 2);
        let rows = tallies.to_rows();
        let window = DayWindow::ending_at(10 * DAY_MS + 99, 7);
        assert_eq!(bandit_counts(&rows, Some(window))["offer"]["bold"].exposures, 1);
        assert_eq!(bandit_counts(&rows, None)["offer"]["bold"].exposures, 2);
        assert!(!window.contains(11), "the future is outside the window");
    }

    #[test]
    fn only_what_the_bandit_or_exploration_chose_trains_the_bandit() {
        let mut seen = Seen::default();
        let mut tallies = Tallies::default();
        for (i, reason) in [
            "bandit",
            "exploration",
            "rule",
            "holdout",
            "default",
            "experiment",
        ]
        .iter()
        .enumerate()
        {
            tallies.add(&event("exposure", Some(&i.to_string()), reason, 1), &mut seen);
        }
        assert_eq!(
            bandit_counts(&tallies.to_rows(), None)["offer"]["bold"].exposures,
            2
        );
    }

    #[test]
    fn the_posterior_caps_conversions_at_exposures() {
        let counts = Counts {
            exposures: 2,
            conversions: 5,
            last_ms: 0,
        };
        assert_eq!(counts.beta(), (3.0, 1.0));
    }
}
