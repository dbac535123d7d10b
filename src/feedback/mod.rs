//! The loop on Cloudflare's own engines: events arrive from a Queue in
//! batches ([`Batch`]), are counted once into durable rows ([`CountStore`]:
//! D1 in the control worker, [`MemoryCountStore`] in tests), and a scheduled
//! tick ([`tick`]) publishes the bandits' windowed posteriors into the live
//! catalog through the same publisher a signed push ends in. No person in
//! the loop; `tailor stats aggregate` and `catalog push --stats` still do
//! the same by hand. See `docs/events.md`.

mod batch;
mod posteriors;
mod serve;
mod store;

pub use batch::Batch;
pub use posteriors::{tick, with_posteriors, TickError, TickOutcome, DEFAULT_WINDOW_DAYS, ID_RETENTION_DAYS};
pub use serve::{serve_loop, LoopAnswer, LoopSettings, RUNS_SHOWN};
pub use store::{
    CountStore, MemoryCountStore, Run, SqlRow, StoreError, SQL_APPLY_COUNTS, SQL_APPLY_IDS, SQL_PRUNE_IDS,
    SQL_RECORD_RUN, SQL_ROWS_SINCE, SQL_RUNS, SQL_SCHEMA,
};

/// The control worker's internal path for the tick (reached only over the
/// page worker's `CONTROL` service binding, from its cron trigger).
pub const TICK_PATH: &str = "/__tailor/loop/tick";
/// The control worker's internal path for the counted rows and runs (the
/// preview's report page).
pub const ROWS_PATH: &str = "/__tailor/loop/rows";

/// What the control worker is asked about the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopRoute {
    /// `POST` [`TICK_PATH`]: publish the posteriors now.
    Tick,
    /// `GET` [`ROWS_PATH`]: the counted rows and the latest runs, as JSON.
    Rows,
}

/// The loop's route for a request to the control worker, `None` when the
/// path is not the loop's, `Err` with the answer for a wrong method.
pub fn loop_route(method: &str, path: &str) -> Option<Result<LoopRoute, crate::http::Response>> {
    let (route, allowed) = match path {
        TICK_PATH => (LoopRoute::Tick, "POST"),
        ROWS_PATH => (LoopRoute::Rows, "GET"),
        _ => return None,
    };
    Some(if method.eq_ignore_ascii_case(allowed) {
        Ok(route)
    } else {
        Err(crate::http::Response::error(405, "method not allowed").with_header("allow", allowed.to_owned()))
    })
}
