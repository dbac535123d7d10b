//! A page: decisions and their fragments while the origin answers, then
//! what to do with the origin's response.

use std::future::Future;

use futures_util::future::join;

use super::{Decided, Edge, Outcome};
use crate::budget::Deadline;
use crate::http::{HeaderEdit, ResponseHead};
use crate::platform::Platform;
use crate::rewrite::RewritePlan;
use crate::route::Request;
use crate::visitor::Visit;

/// The work done for a page while the origin answers.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The decisions, the visitor and what happened.
    pub decided: Decided,
    /// Blocks to fill: each decided block whose fragment could be had in time.
    pub plan: RewritePlan,
}

impl<P: Platform> Edge<'_, P> {
    /// Runs the origin fetch and the personalization work concurrently; the
    /// origin request is under way before any catalog I/O is awaited.
    pub async fn serve<R, F: Future<Output = R>>(&self, req: &Request, origin: F) -> (R, Prepared) {
        let started = self.now_ms();
        join(origin, self.prepare(req, started)).await
    }

    /// Decides every block for the page of `req` (a page view: signals
    /// observe it) and resolves the fragments, all within the budget
    /// counted from `started_ms`.
    pub async fn prepare(&self, req: &Request, started_ms: f64) -> Prepared {
        self.prepare_blocks(req, req.path(), None, started_ms).await
    }

    /// As [`Edge::prepare`], for the page at `path`, and for `blocks` only
    /// when given (a client navigation asks for the blocks it mounts):
    /// the others are neither decided into the plan nor read.
    pub async fn prepare_blocks(
        &self,
        req: &Request,
        path: &str,
        blocks: Option<&[String]>,
        started_ms: f64,
    ) -> Prepared {
        let mut decided = self.decide(req, path, Visit::Record, started_ms).await;
        if let Some(blocks) = blocks {
            decided.decisions.retain(|d| blocks.contains(&d.block));
        }
        let plan = if decided.outcome == Outcome::Personalize {
            let deadline = Deadline::new(started_ms, self.config.budget_ms);
            let mut timing = std::mem::take(&mut decided.timing);
            let plan = self.fill(&decided, &deadline, &mut timing).await;
            decided.timing = timing;
            plan
        } else {
            RewritePlan::new()
        };
        Prepared { decided, plan }
    }
}

/// What to do with the origin's response.
#[derive(Debug, Clone, PartialEq)]
pub enum Disposition {
    /// Serve it exactly as it came: headers and body byte-identical.
    PassThrough,
    /// Serve its body unchanged, with diagnostics headers added.
    Annotate {
        /// Header changes.
        headers: Vec<HeaderEdit>,
    },
    /// Stream its body through the rewriter applying `plan`.
    Rewrite {
        /// Blocks to fill.
        plan: RewritePlan,
        /// Header changes.
        headers: Vec<HeaderEdit>,
    },
}

/// Decides what to do with the origin's response, given what was prepared.
/// Only a 200 `text/html` response is ever changed.
pub fn dispose(prepared: Prepared, head: &impl ResponseHead) -> Disposition {
    let Prepared { decided, plan } = prepared;
    if !is_personalizable_response(head) || decided.outcome == Outcome::NotCovered {
        return Disposition::PassThrough;
    }
    let mut timing = decided.timing;
    if plan.is_empty() {
        return Disposition::Annotate {
            headers: vec![HeaderEdit::Append("server-timing", timing.header_value())],
        };
    }
    timing.note("rewrite", format!("streaming {} blocks", plan.len()));
    Disposition::Rewrite {
        plan,
        headers: vec![
            // The body now depends on who asked: no shared cache may keep it,
            // including CDNs that obey targeted directives over Cache-Control (RFC 9213).
            HeaderEdit::Set("cache-control", "private, no-store".to_owned()),
            HeaderEdit::Remove("cdn-cache-control"),
            HeaderEdit::Remove("cloudflare-cdn-cache-control"),
            HeaderEdit::Remove("surrogate-control"),
            // Validators and length describe the origin's bytes, not ours.
            HeaderEdit::Remove("etag"),
            HeaderEdit::Remove("last-modified"),
            HeaderEdit::Remove("content-length"),
            HeaderEdit::Append("server-timing", timing.header_value()),
        ]
        .into_iter()
        .chain(
            decided
                .set_cookies
                .into_iter()
                .map(|c| HeaderEdit::Append("set-cookie", c)),
        )
        .collect(),
    }
}

/// A 200 response whose content type is HTML, and not a partial one.
pub fn is_personalizable_response(head: &impl ResponseHead) -> bool {
    head.status() == 200
        && head.header("content-range").is_none()
        && head.header("content-type").is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("text/html"))
        })
}
