//! What each route does, over one [`Edge`]: a page (its work while the
//! origin answers, then what to do with the origin's response), Tailor's
//! endpoints ([`api`]) and OFREP's ([`ofrep`]). The adapter routes
//! ([`crate::route`]), reads what the route needs, calls one of these and
//! applies the answer.

mod api;
mod ofrep;

use std::future::Future;

use crate::edge::{dispose, Disposition, Edge, Prepared};
use crate::events::{self, ndjson, Event};
use crate::http::{Response, ResponseHead};
use crate::platform::{Clock, EventSink, Platform};
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

    /// What to do with the origin's response. A page that is rewritten has
    /// its exposures sent after the response: one per block it fills.
    pub fn respond(&self, req: &Request, prepared: Prepared, head: &impl ResponseHead) -> Disposition {
        let exposures = match (self.config.site.as_deref(), self.platform.events()) {
            (Some(site), Some(_)) => {
                events::exposures(&prepared, site, req.path(), self.platform.clock().now_unix_ms())
            }
            _ => Vec::new(),
        };
        let disposition = dispose(prepared, head);
        if matches!(disposition, Disposition::Rewrite { .. }) {
            self.send_events(&exposures);
        }
        disposition
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

    /// Sends `events` in one batch after the response, when there are any
    /// and a sink is configured. A failed send is logged and dropped:
    /// events never hold or break a response.
    fn send_events(&self, events: &[Event]) {
        let (Some(sink), false) = (self.platform.events(), events.is_empty()) else {
            return;
        };
        let send = sink.send(ndjson(events));
        let (platform, count) = (self.platform.clone(), events.len());
        self.platform.spawn(Box::pin(async move {
            if send.await.is_err() {
                platform.log(&format!("tailor: {count} event(s) could not be sent"));
            }
        }));
    }
}
