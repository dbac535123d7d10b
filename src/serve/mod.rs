//! What each route does, over one [`Edge`]: a page (its work while the
//! origin answers, then what to do with the origin's response), Tailor's
//! endpoints ([`api`]) and OFREP's ([`ofrep`]). The adapter routes
//! ([`crate::route`]), reads what the route needs, calls one of these and
//! applies the answer.

mod api;
pub mod fragments;
mod ofrep;

use std::future::Future;

use crate::edge::{dispose, Disposition, Edge, Prepared};
use crate::events::ledger::LEDGER_TTL_S;
use crate::events::{self, ndjson, Event, PendingExposures};
use crate::http::{Response, ResponseHead};
use crate::platform::{Cache, Clock, EventSink, Platform};
use crate::route::{Request, Route};

impl<P: Platform> Edge<'_, P> {
    /// A page: decisions and fragments while `origin` answers (see
    /// [`Edge::serve`]); the isolate's counters are logged as they grow.
    pub async fn page<R, F: Future<Output = R>>(&self, req: &Request, origin: F) -> (R, Prepared) {
        let fallbacks_before = self.isolate.fallback_count();
        let (response, prepared) = self.serve(req, origin).await;
        let lines = [
            self.isolate.count_refusal(&prepared.decided.visitor.source),
            self.isolate.fallbacks_since(fallbacks_before),
        ];
        for line in lines.iter().flatten() {
            self.platform.log(line);
        }
        (response, prepared)
    }

    /// What to do with the origin's response, and, for a page that is
    /// rewritten, its exposures: hand them to [`Edge::expose`] with the
    /// blocks the rewriter filled.
    pub fn respond(
        &self,
        req: &Request,
        prepared: Prepared,
        head: &impl ResponseHead,
    ) -> (Disposition, PendingExposures) {
        let pending = match (self.config.site.as_deref(), self.platform.events()) {
            (Some(site), Some(_)) => {
                PendingExposures::new(&prepared, site, req.path(), self.platform.clock().now_unix_ms())
            }
            _ => PendingExposures::default(),
        };
        match dispose(prepared, head) {
            rewrite @ Disposition::Rewrite { .. } => (rewrite, pending),
            other => (other, PendingExposures::default()),
        }
    }

    /// After the response: once `filled` says which blocks the rewriter
    /// filled (when the page has been streamed), sends their exposures and
    /// keeps the served ledger that conversions are credited from.
    pub fn expose(&self, pending: PendingExposures, filled: impl Future<Output = Vec<String>> + 'static) {
        if pending.is_empty() {
            return;
        }
        let platform = self.platform.clone();
        self.platform.spawn(Box::pin(async move {
            let (exposures, ledger) = pending.filled(&filled.await);
            if let Some((key, text)) = ledger {
                platform.cache().put_text(&key, &text, LEDGER_TTL_S).await;
            }
            send(&platform, exposures).await;
        }));
    }

    /// The answer of one of Tailor's or OFREP's endpoints; `body` is the
    /// request body when the route reads one ([`Route::body_limit`]), `None`
    /// when it was larger than that or could not be read.
    pub async fn endpoint(&self, route: &Route, req: &Request, body: Option<String>) -> Response {
        match route {
            Route::Api(api) => self.api(*api, req, body).await,
            Route::Ofrep(ofrep) => self.ofrep(ofrep, req, body).await,
            Route::Page | Route::PassThrough(_) | Route::Control => {
                Response::error(404, "no such Tailor endpoint")
            }
        }
    }

    /// Sends `events` in one batch after the response (see [`send`]).
    fn send_events(&self, events: Vec<Event>) {
        if events.is_empty() || self.platform.events().is_none() {
            return;
        }
        let platform = self.platform.clone();
        self.platform
            .spawn(Box::pin(async move { send(&platform, events).await }));
    }
}

/// Sends `events` in one batch, each with a new event id, when there are
/// any and a sink is configured. A failed send is logged and dropped:
/// events never hold or break a response.
async fn send<P: Platform>(platform: &P, mut events: Vec<Event>) {
    let Some(sink) = platform.events().filter(|_| !events.is_empty()) else {
        return;
    };
    events::assign_ids(&mut events, || platform.random_bytes());
    if sink.send(ndjson(&events)).await.is_err() {
        platform.log(&format!("tailor: {} event(s) could not be sent", events.len()));
    }
}
