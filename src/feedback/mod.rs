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
/// The control worker's internal path for the lift report of the counted
/// rows, as HTML (the preview's report page forwards here, so the page
/// worker carries no report code).
pub const REPORT_PATH: &str = "/__tailor/loop/report";
/// The same report as JSON.
pub const REPORT_JSON_PATH: &str = "/__tailor/loop/report.json";

/// What the control worker is asked about the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopRoute {
    /// `POST` [`TICK_PATH`]: publish the posteriors now.
    Tick,
    /// `GET` [`REPORT_PATH`] (HTML) or [`REPORT_JSON_PATH`] (`json`): the
    /// lift report of the window's counted rows.
    Report {
        /// JSON rather than HTML.
        json: bool,
    },
}

/// The loop's route for a request to the control worker, `None` when the
/// path is not the loop's, `Err` with the answer for a wrong method.
pub fn loop_route(method: &str, path: &str) -> Option<Result<LoopRoute, crate::http::Response>> {
    let (route, allowed) = match path {
        TICK_PATH => (LoopRoute::Tick, "POST"),
        REPORT_PATH => (LoopRoute::Report { json: false }, "GET"),
        REPORT_JSON_PATH => (LoopRoute::Report { json: true }, "GET"),
        _ => return None,
    };
    Some(if method.eq_ignore_ascii_case(allowed) {
        Ok(route)
    } else {
        Err(crate::http::Response::error(405, "method not allowed").with_header("allow", allowed.to_owned()))
    })
}
