//! Where counted events live: rows per catalog version × block × variant ×
//! reason × experiment × segment × day, and the event ids already counted.
//! The control worker's store is D1, with the SQL below (two statements per
//! batch, one transaction: a batch counts whole or not at all); tests use
//! [`MemoryCountStore`], which keeps the same rules in memory.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::Batch;
use crate::events::tally::{key_of, Counts, Row, TallyKey};

/// The store failed (the platform, not the caller); the batch is retried.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("the count store failed: {0}")]
pub struct StoreError(pub String);

/// One publication of posteriors by the loop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// When the posteriors went live, Unix ms.
    pub published_at_ms: u64,
    /// The newest event counted in them, Unix ms.
    pub newest_event_ms: u64,
    /// The catalog version published.
    pub version: String,
    /// Events counted in the window.
    pub events: u64,
}

/// Durable counts.
pub trait CountStore {
    /// Counts `batch`: events whose id was counted before count zero.
    /// All or nothing.
    fn apply(&self, batch: &Batch) -> impl Future<Output = Result<(), StoreError>>;
    /// The rows of `first_day` and later.
    fn rows_since(&self, first_day: u32) -> impl Future<Output = Result<Vec<Row>, StoreError>>;
    /// Records a publication.
    fn record_run(&self, run: &Run) -> impl Future<Output = Result<(), StoreError>>;
    /// The latest publications, newest first.
    fn runs(&self, limit: u32) -> impl Future<Output = Result<Vec<Run>, StoreError>>;
    /// Forgets the event ids of days before `first_day` (a retry is never
    /// that late: a Queue keeps a message at most 14 days).
    fn prune_ids(&self, first_day: u32) -> impl Future<Output = Result<(), StoreError>>;
}

/// The tables, created once per isolate (`IF NOT EXISTS`).
pub const SQL_SCHEMA: &str = "\
CREATE TABLE IF NOT EXISTS tailor_seen (id INTEGER PRIMARY KEY, day INTEGER NOT NULL, batch INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tailor_seen_day ON tailor_seen (day);
CREATE TABLE IF NOT EXISTS tailor_counts (catalog_version TEXT NOT NULL, block TEXT NOT NULL, variant TEXT NOT NULL, \
reason TEXT NOT NULL, experiment TEXT NOT NULL, segment TEXT NOT NULL, day INTEGER NOT NULL, \
exposures INTEGER NOT NULL DEFAULT 0, conversions INTEGER NOT NULL DEFAULT 0, last_ms INTEGER NOT NULL DEFAULT 0, \
PRIMARY KEY (catalog_version, block, variant, reason, experiment, segment, day));
CREATE TABLE IF NOT EXISTS tailor_runs (published_at_ms INTEGER NOT NULL, newest_event_ms INTEGER NOT NULL, \
version TEXT NOT NULL, events INTEGER NOT NULL);";

/// A batch, step 1 (`?1` the batch's compact JSON, `?2` its tag): records the
/// message keys not seen before, tagged with this batch.
pub const SQL_APPLY_IDS: &str = "\
INSERT INTO tailor_seen (id, day, batch) \
SELECT value->>'i', value->>'d', ?2 FROM json_each(?1) WHERE true \
ON CONFLICT (id) DO NOTHING";

/// A batch, step 2: adds the events whose message keys step 1 tagged with
/// this batch.
pub const SQL_APPLY_COUNTS: &str = "\
INSERT INTO tailor_counts (catalog_version, block, variant, reason, experiment, segment, day, exposures, conversions, last_ms) \
SELECT value->>'v', value->>'b', value->>'n', value->>'r', value->>'x', value->>'s', value->>'d', \
SUM(value->>'k' = 'exposure'), SUM(value->>'k' = 'conversion'), MAX(value->>'t') \
FROM json_each(?1) JOIN tailor_seen ON tailor_seen.id = value->>'i' AND tailor_seen.batch = ?2 \
WHERE true GROUP BY 1, 2, 3, 4, 5, 6, 7 \
ON CONFLICT (catalog_version, block, variant, reason, experiment, segment, day) DO UPDATE SET \
exposures = exposures + excluded.exposures, conversions = conversions + excluded.conversions, \
last_ms = MAX(last_ms, excluded.last_ms)";

/// The rows of day `?1` and later.
pub const SQL_ROWS_SINCE: &str = "\
SELECT catalog_version, block, variant, reason, experiment, segment, day, exposures, conversions, last_ms \
FROM tailor_counts WHERE day >= ?1";

/// Records a run.
pub const SQL_RECORD_RUN: &str =
    "INSERT INTO tailor_runs (published_at_ms, newest_event_ms, version, events) VALUES (?1, ?2, ?3, ?4)";

/// The latest runs.
pub const SQL_RUNS: &str = "SELECT published_at_ms, newest_event_ms, version, events FROM tailor_runs \
ORDER BY published_at_ms DESC LIMIT ?1";

/// Forgets old ids.
pub const SQL_PRUNE_IDS: &str = "DELETE FROM tailor_seen WHERE day < ?1";

/// A row as the SQL store returns it (the key and counts, flat).
#[derive(Debug, Deserialize)]
pub struct SqlRow {
    catalog_version: String,
    block: String,
    variant: String,
    reason: String,
    experiment: String,
    segment: String,
    day: u32,
    exposures: u64,
    conversions: u64,
    last_ms: u64,
}

impl From<SqlRow> for Row {
    fn from(r: SqlRow) -> Self {
        Row {
            key: TallyKey {
                catalog_version: r.catalog_version,
                block: r.block,
                variant: r.variant,
                reason: r.reason,
                experiment: r.experiment,
                segment: r.segment,
                day: r.day,
            },
            counts: Counts {
                exposures: r.exposures,
                conversions: r.conversions,
                last_ms: r.last_ms,
            },
        }
    }
}

/// The store in memory, with D1's rules: for tests, benches and the CLI.
#[derive(Debug, Clone, Default)]
pub struct MemoryCountStore {
    inner: Rc<RefCell<Memory>>,
}

#[derive(Debug, Default)]
struct Memory {
    /// Message key → (day, the tag of the batch that recorded it).
    ids: HashMap<i64, (u32, i64)>,
    rows: BTreeMap<TallyKey, Counts>,
    runs: Vec<Run>,
    /// Fail the next `apply` (a platform fault), to show nothing is lost.
    fail_next: bool,
}

impl MemoryCountStore {
    /// Makes the next `apply` fail before it changes anything.
    pub fn fail_next_apply(&self) {
        self.inner.borrow_mut().fail_next = true;
    }
}

impl CountStore for MemoryCountStore {
    fn apply(&self, batch: &Batch) -> impl Future<Output = Result<(), StoreError>> {
        let mut memory = self.inner.borrow_mut();
        let result = if std::mem::take(&mut memory.fail_next) {
            Err(StoreError("injected failure".into()))
        } else {
            // As the SQL does: first the message keys not seen before, then
            // every event of those messages.
            let tag = batch.tag();
            for (event, key) in batch.events.iter().zip(&batch.keys) {
                let day = crate::events::tally::day_of(event.ts_ms);
                memory.ids.entry(*key).or_insert((day, tag));
            }
            for (event, key) in batch.events.iter().zip(&batch.keys) {
                if memory.ids.get(key).is_none_or(|(_, t)| *t != tag) {
                    continue;
                }
                let counts = memory.rows.entry(key_of(event)).or_default();
                match event.kind.as_str() {
                    "exposure" => counts.exposures += 1,
                    _ => counts.conversions += 1,
                }
                counts.last_ms = counts.last_ms.max(event.ts_ms);
            }
            Ok(())
        };
        std::future::ready(result)
    }

    fn rows_since(&self, first_day: u32) -> impl Future<Output = Result<Vec<Row>, StoreError>> {
        let rows = self
            .inner
            .borrow()
            .rows
            .iter()
            .filter(|(key, _)| key.day >= first_day)
            .map(|(key, counts)| Row {
                key: key.clone(),
                counts: *counts,
            })
            .collect();
        std::future::ready(Ok(rows))
    }

    fn record_run(&self, run: &Run) -> impl Future<Output = Result<(), StoreError>> {
        self.inner.borrow_mut().runs.push(run.clone());
        std::future::ready(Ok(()))
    }

    fn runs(&self, limit: u32) -> impl Future<Output = Result<Vec<Run>, StoreError>> {
        let mut runs = self.inner.borrow().runs.clone();
        runs.sort_by_key(|run| std::cmp::Reverse(run.published_at_ms));
        runs.truncate(limit as usize);
        std::future::ready(Ok(runs))
    }

    fn prune_ids(&self, first_day: u32) -> impl Future<Output = Result<(), StoreError>> {
        self.inner
            .borrow_mut()
            .ids
            .retain(|_, (day, _)| *day >= first_day);
        std::future::ready(Ok(()))
    }
}
