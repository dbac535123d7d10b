//! `/__tailor/…`: our own endpoints. Never the origin's. The preview gate
//! and the beacon's per-visitor allowance are decided here.

use crate::api;
use crate::edge::{Decided, Edge};
use crate::events::{self, ledger, ledger::Ledger};
use crate::http::{query, Response};
use crate::platform::{Cache, Clock, Platform};
use crate::route::{gates, Api, Refusal, Request};
use crate::visitor::Visit;

/// Longest `path` the decision API and the "why" page accept.
const MAX_PATH_BYTES: usize = 1024;

/// The page an API call is about: `?path=/…` (decoded), else `/`.
fn page_path(req: &Request) -> String {
    query::value(req.query(), "path")
        .filter(|p| p.starts_with('/') && p.len() <= MAX_PATH_BYTES)
        .unwrap_or_else(|| "/".to_owned())
}

/// The decisions' `Server-Timing` (phases and fixed labels, as on a page;
/// never a value of the request) on an answer made from them.
fn with_timing(response: Response, decided: &Decided) -> Response {
    response.with_header("server-timing", decided.timing.header_value())
}

fn refusal(refusal: Refusal) -> Response {
    match refusal {
        Refusal::NotFound => Response::error(404, "no such Tailor endpoint"),
        Refusal::MethodNotAllowed => Response::error(405, "method not allowed"),
    }
}

impl<P: Platform> Edge<'_, P> {
    pub(super) async fn api(
        &self,
        api: Result<Api, Refusal>,
        req: &Request,
        body: Option<String>,
    ) -> Response {
        let api = match api {
            Ok(api) => api,
            Err(refused) => return refusal(refused),
        };
        if api.changes_state() && gates::cross_site(req) {
            return Response::error(403, "cross-site requests are refused");
        }
        let preview = gates::preview_keys(self.config, req);
        if api.is_preview() && preview.is_none() {
            // Production: presenting the key once starts a session for this browser.
            return match (api, gates::preview_session_start(self.config, req)) {
                (Api::Preview, Some(keys)) => api::start_session(keys, req.secure()),
                _ => Response::error(404, "preview is not enabled"),
            };
        }
        let now = self.now_ms();
        match api {
            Api::Fragments => self.fragments(req).await,
            Api::Decide => {
                let path = page_path(req);
                let decided = self.decide(req, &path, Visit::Read, now).await;
                with_timing(api::decide_json(&decided, &path), &decided)
            }
            Api::Why => {
                let decided = self.decide(req, &page_path(req), Visit::Read, now).await;
                with_timing(api::why_page(&decided), &decided)
            }
            Api::WhyChoice => match body {
                Some(form) => api::why_choice(&form, req.secure()),
                None => Response::error(413, "form too large"),
            },
            Api::Preview => {
                let decided = self.decide(req, "/", Visit::Read, now).await;
                api::preview_page(&decided, &self.config.preview_stylesheets)
            }
            Api::PreviewScript => api::preview_script(),
            Api::EventsScript => api::events_script(),
            Api::PreviewGallery => api::gallery_json(&self.gallery().await),
            Api::PreviewReport => self.report(req).await,
            Api::PreviewReview => self.review_queue(r#"{"action":"list"}"#.to_owned()).await,
            Api::PreviewReviewAction => {
                // A key alone never publishes: only where preview is on (dev).
                if !self.config.preview_mode {
                    return Response::error(
                        403,
                        "approving and rejecting from the preview needs TAILOR_PREVIEW=on; use `tailor review`",
                    );
                }
                match body.as_deref().map(api::review_action) {
                    Some(Ok(action)) => self.review_queue(action).await,
                    Some(Err(problem)) => Response::error(400, problem),
                    None => Response::error(413, "form too large"),
                }
            }
            Api::PreviewProfile | Api::PreviewForce => {
                let (Some(keys), Some(form)) = (preview, body) else {
                    return Response::error(413, "form too large");
                };
                if api == Api::PreviewProfile {
                    api::set_preview_profile(&form, keys, self.platform.clock().now_s(), req.secure())
                } else {
                    api::set_forced(&form, keys, req.cookie.as_deref(), req.secure())
                }
            }
            Api::Beacon => self.beacon(req, body).await,
        }
    }

    /// The control worker's review queue, asked over its service binding;
    /// its answer passed on (the drafts are the site's content, never a
    /// visitor's).
    async fn review_queue(&self, action: String) -> Response {
        match self.platform.review(action).await {
            Ok((status, body)) if serde_json::from_str::<serde_json::Value>(&body).is_ok() => {
                Response::new(status, "application/json", body)
                    .with_header("cache-control", "no-store".to_owned())
            }
            Ok((status, _)) => Response::error(502, &format!("the control worker answered {status}")),
            Err(reason) => {
                self.platform.log(&format!(
                    "tailor: the review queue could not be reached: {reason}"
                ));
                Response::error(
                    503,
                    "the review queue is on the control worker: bind it as CONTROL",
                )
            }
        }
    }

    /// `GET /__tailor/preview/report`: the loop's lift report, HTML or
    /// (`?format=json`) JSON, as the control worker renders it from its
    /// counts (the page worker carries no report code).
    async fn report(&self, req: &Request) -> Response {
        let json = query::value(req.query(), "format").as_deref() == Some("json");
        let report = match self.platform.loop_report(json).await {
            Ok(report) => report,
            Err(reason) => {
                self.platform
                    .log(&format!("tailor: the loop's report could not be had: {reason}"));
                return Response::error(
                    503,
                    "the loop's counts cannot be read here: bind the control worker with its LOOP database",
                );
            }
        };
        let content_type = if json {
            "application/json"
        } else {
            "text/html; charset=utf-8"
        };
        Response::new(200, content_type, report).with_header("cache-control", "no-store".to_owned())
    }

    /// `POST /__tailor/event`: a click or a goal, credited to what this
    /// visitor was served on that path (the served ledger), or a sighting
    /// of a served block; within a per-visitor allowance. Reads no catalog,
    /// no fragment.
    async fn beacon(&self, req: &Request, body: Option<String>) -> Response {
        let Some(body) = body else {
            return Response::error(413, "beacon too large");
        };
        let beacon = match events::parse_beacon(&body) {
            Ok(beacon) => beacon,
            Err(e) => return Response::error(400, &e.to_string()),
        };
        let answer = |credited: &str| {
            Response::empty(204)
                .with_header("cache-control", "no-store".to_owned())
                .with_header("server-timing", format!("beacon;desc=\"{credited}\""))
        };
        let (Some(site), Some(_)) = (self.config.site.as_deref(), self.platform.events()) else {
            return answer("not recorded");
        };
        let visitor = self.visitor_of(req, &beacon.path, None);
        let Some(id) = events::trackable_id(&visitor) else {
            return answer("not tracked");
        };
        let allowed = match self.platform.limit(id).await {
            Some(allowed) => allowed,
            None => self.isolate.beacons.allow(id, self.now_ms()),
        };
        if !allowed {
            return Response::error(429, "too many beacons from this visitor")
                .with_header("retry-after", "3".to_owned());
        }
        let key = ledger::key(site, id, &beacon.path);
        let served = self.platform.cache().get_text(&key).await;
        let Some(mut served) = served.as_deref().and_then(Ledger::parse) else {
            return answer("credited 0");
        };
        let now = self.platform.clock().now_unix_ms();
        let events = if beacon.kind == "seen" {
            let sighting = served.sighting(&beacon, now);
            if sighting.is_some() {
                // Remembered, so a replayed sighting of this page view counts nothing.
                let text = served.to_json();
                self.platform
                    .cache()
                    .put_text(&key, &text, ledger::LEDGER_TTL_S)
                    .await;
            }
            sighting.into_iter().collect()
        } else {
            served.conversions(&beacon, now)
        };
        let credited = events.len();
        self.send_events(events);
        answer(&format!("credited {credited}"))
    }
}
