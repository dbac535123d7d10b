//! The scheduled tick: the bandits' posteriors from the last days' counts,
//! published into the live catalog as a new version through the publisher a
//! signed push ends in (retention, history and the pointer flip alike).

use std::collections::BTreeMap;

use thiserror::Error;

use super::{CountStore, Run, StoreError};
use crate::catalog::source::Bundle;
use crate::catalog::Manifest;
use crate::events::tally::{bandit_counts, Counts, DayWindow};
use crate::platform::KvWrite;
use crate::publish::{live_manifest, publish, PublishError};

pub use crate::publish::DEFAULT_LOOP_WINDOW_DAYS as DEFAULT_WINDOW_DAYS;
/// Days an event id is remembered for deduplication: longer than a Queue
/// keeps a message by default (4 days; a queue set to keep messages longer
/// needs this raised, docs/events.md).
pub const ID_RETENTION_DAYS: u32 = 5;

/// What a tick did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TickOutcome {
    /// `published`, `unchanged` (the posteriors are already live) or
    /// `no-catalog` (nothing published for the site yet).
    pub status: &'static str,
    /// The live version after the tick.
    pub version: Option<String>,
    /// The blocks whose bandit arms were set.
    pub blocks: Vec<String>,
    /// Events in the window that trained the bandits.
    pub events: u64,
}

/// Why a tick did not publish; the live catalog is unchanged.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TickError {
    /// The count store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading the live catalog or publishing failed.
    #[error("publishing the posteriors failed: {0}")]
    Publish(#[from] PublishError),
}

/// `manifest` with each bandit block's arms set from `counts` (variants
/// without counts get `[1, 1]`), re-versioned; `None` when no block has a
/// bandit or the arms are already these.
pub fn with_posteriors(
    manifest: &Manifest,
    counts: &BTreeMap<String, BTreeMap<String, Counts>>,
) -> Option<(Manifest, Vec<String>)> {
    let mut next = manifest.clone();
    let mut blocks = Vec::new();
    for (name, block) in next.blocks.iter_mut() {
        let Some(bandit) = block.bandit.as_mut() else {
            continue;
        };
        let observed = counts.get(name);
        bandit.arms = block
            .variants
            .iter()
            .map(|v| {
                let arm = observed
                    .and_then(|c| c.get(&v.id))
                    .map_or((1.0, 1.0), Counts::beta);
                (v.id.clone(), arm)
            })
            .collect();
        blocks.push(name.clone());
    }
    next.version = next.compute_version();
    (!blocks.is_empty() && next.version != manifest.version).then_some((next, blocks))
}

/// Publishes the posteriors of the last `window_days` days of `store` into
/// `site`'s live catalog, keeping `retain` versions, and records the run.
/// Event ids older than [`ID_RETENTION_DAYS`] are forgotten.
pub async fn tick<K: KvWrite, S: CountStore>(
    kv: &K,
    store: &S,
    site: &str,
    window_days: u32,
    retain: usize,
    now_ms: u64,
) -> Result<TickOutcome, TickError> {
    let window = DayWindow::ending_at(now_ms, window_days);
    let first_day = window.today.saturating_sub(window.days - 1);
    let rows = store.rows_since(first_day).await?;
    let counts = bandit_counts(&rows, Some(window));
    let events = counts
        .values()
        .flat_map(|variants| variants.values())
        .fold(0u64, |sum, c| {
            sum.saturating_add(c.exposures).saturating_add(c.conversions)
        });
    let newest_event_ms = rows.iter().map(|r| r.counts.last_ms).max().unwrap_or(0);
    store
        .prune_ids(window.today.saturating_sub(ID_RETENTION_DAYS))
        .await?;
    let Some(live) = live_manifest(kv, site).await? else {
        return Ok(TickOutcome {
            status: "no-catalog",
            version: None,
            blocks: Vec::new(),
            events,
        });
    };
    let Some((manifest, blocks)) = with_posteriors(&live, &counts) else {
        return Ok(TickOutcome {
            status: "unchanged",
            version: Some(live.version),
            blocks: Vec::new(),
            events,
        });
    };
    // The fragments are the live version's, already in KV.
    let bundle = Bundle {
        manifest,
        fragments: BTreeMap::new(),
    };
    let outcome = publish(kv, site, &bundle, retain, now_ms).await?;
    store
        .record_run(&Run {
            published_at_ms: now_ms,
            newest_event_ms,
            version: outcome.version.clone(),
            events,
        })
        .await?;
    Ok(TickOutcome {
        status: outcome.status,
        version: Some(outcome.version),
        blocks,
        events,
    })
}
