//! What the control worker answers on the loop's internal routes: the tick
//! its page worker's cron trigger asks for, and the lift report the
//! preview's report page shows. The adapter only finds the store and logs.

use super::{tick, CountStore, LoopRoute, StoreError};
use crate::events::report::{self, ExperimentSpec, PublishRun, Report, ReportOptions};
use crate::events::tally::day_of;
use crate::http::Response;
use crate::platform::KvWrite;
use crate::publish::live_manifest;

/// How many recent publications the report's loop latency is taken from.
pub const RUNS_SHOWN: u32 = 20;

/// A loop route's answer, and a line for the control worker's log.
#[derive(Debug)]
pub struct LoopAnswer {
    /// What the caller gets.
    pub response: Response,
    /// What happened, for the log (never sent to anyone).
    pub log: String,
    /// Whether the store or the catalog failed.
    pub failed: bool,
}

/// The settings the loop's routes read (the control worker's publish
/// configuration: `TAILOR_SITE`, `TAILOR_LOOP_WINDOW_DAYS`,
/// `TAILOR_PUBLISH_RETAIN`).
#[derive(Debug, Clone, Copy)]
pub struct LoopSettings<'a> {
    /// The site whose catalog the tick publishes.
    pub site: &'a str,
    /// Days of counts the posteriors (and the report's rows) cover.
    pub window_days: u32,
    /// Catalog versions kept for rollback.
    pub retain: usize,
}

/// Serves `route` with `store` (the `LOOP` D1 database; `None` when it is
/// not bound) and `kv` (the catalog), as of `now_ms`.
pub async fn serve_loop<K: KvWrite, S: CountStore>(
    route: LoopRoute,
    kv: &K,
    store: Option<&S>,
    settings: LoopSettings<'_>,
    now_ms: u64,
) -> LoopAnswer {
    let Some(store) = store else {
        return LoopAnswer {
            response: Response::error(503, "the loop is not enabled: bind a D1 database as LOOP"),
            log: "no D1 database is bound as LOOP".to_owned(),
            failed: true,
        };
    };
    let served = match route {
        LoopRoute::Tick => tick(
            kv,
            store,
            settings.site,
            settings.window_days,
            settings.retain,
            now_ms,
        )
        .await
        .map(|outcome| {
            let body = serde_json::to_value(outcome).unwrap_or_default();
            (format!("loop {route:?} → {body}"), Response::json(200, &body))
        })
        .map_err(|e| e.to_string()),
        LoopRoute::Report { json } => lift_report(kv, store, settings, now_ms)
            .await
            .map(|report| {
                let response = if json {
                    Response::json(200, &serde_json::to_value(&report).unwrap_or_default())
                } else {
                    Response::new(200, "text/html; charset=utf-8", report::render_html(&report))
                };
                (
                    format!("loop report of {} block(s)", report.blocks.len()),
                    response.with_header("cache-control", "no-store".to_owned()),
                )
            })
            .map_err(|e| e.to_string()),
    };
    match served {
        Ok((log, response)) => LoopAnswer {
            response,
            log,
            failed: false,
        },
        Err(reason) => LoopAnswer {
            response: Response::error(
                503,
                "the loop's store or catalog could not be reached; nothing changed",
            ),
            log: format!("loop {route:?} failed: {reason}"),
            failed: true,
        },
    }
}

/// The lift report of the window's rows, the live catalog's experiments
/// (none when it cannot be read: the report still stands) and the latest
/// publications.
async fn lift_report<K: KvWrite, S: CountStore>(
    kv: &K,
    store: &S,
    settings: LoopSettings<'_>,
    now_ms: u64,
) -> Result<Report, StoreError> {
    let first_day = day_of(now_ms).saturating_sub(settings.window_days.saturating_sub(1));
    let rows = store.rows_since(first_day).await?;
    let runs = store.runs(RUNS_SHOWN).await?;
    let experiments = match live_manifest(kv, settings.site).await {
        Ok(Some(manifest)) => serde_json::to_value(&manifest)
            .map(|m| ExperimentSpec::from_source(&m))
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let options = ReportOptions {
        window: None,
        runs: runs
            .iter()
            .map(|run| PublishRun {
                published_at_ms: run.published_at_ms,
                newest_event_ms: run.newest_event_ms,
            })
            .collect(),
    };
    Ok(report::report(&rows, &experiments, &options))
}
