//! What the control worker answers on the loop's internal routes: the tick
//! its page worker's cron trigger asks for, and the counted rows the
//! preview's report reads. The adapter only finds the store and logs.

use serde_json::json;

use super::{tick, CountStore, LoopRoute};
use crate::events::tally::day_of;
use crate::http::Response;
use crate::platform::KvWrite;

/// How many recent publications the rows route returns beside the rows.
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
    let answer = match route {
        LoopRoute::Tick => tick(
            kv,
            store,
            settings.site,
            settings.window_days,
            settings.retain,
            now_ms,
        )
        .await
        .map(|outcome| serde_json::to_value(outcome).unwrap_or_default())
        .map_err(|e| e.to_string()),
        LoopRoute::Rows => {
            let first_day = day_of(now_ms).saturating_sub(settings.window_days.saturating_sub(1));
            match (store.rows_since(first_day).await, store.runs(RUNS_SHOWN).await) {
                (Ok(rows), Ok(runs)) => Ok(json!({ "rows": rows, "runs": runs })),
                (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
            }
        }
    };
    match answer {
        Ok(body) => LoopAnswer {
            log: format!("loop {route:?} → {body}"),
            response: Response::json(200, &body),
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
