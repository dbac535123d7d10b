//! `/__tailor/…`: our own endpoints. Never the origin's. The preview gate
//! and the beacon's rate limit are decided here.

use crate::api;
use crate::edge::{Decided, Edge};
use crate::events;
use crate::http::{query, Response};
use crate::platform::{Clock, Platform};
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

    /// `POST /__tailor/event`: a click or a goal, credited to the variants
    /// this visitor was shown, decided again here (a client cannot credit a
    /// variant it was not shown). Decisions only: no fragment, no generator.
    async fn beacon(&self, req: &Request, body: Option<String>) -> Response {
        let Some(body) = body else {
            return Response::error(413, "beacon too large");
        };
        let beacon = match events::parse_beacon(&body) {
            Ok(beacon) => beacon,
            Err(e) => return Response::error(400, &e.to_string()),
        };
        let now = self.now_ms();
        if !self.isolate.beacons.allow(now) {
            return Response::error(429, "too many beacons").with_header("retry-after", "1".to_owned());
        }
        let accepted = Response::empty(204).with_header("cache-control", "no-store".to_owned());
        let (Some(site), Some(_)) = (self.config.site.as_deref(), self.platform.events()) else {
            return accepted;
        };
        let decided = self.decide(req, &beacon.path, Visit::Read, now).await;
        let conversions = events::conversions(&beacon, &decided, site, self.platform.clock().now_unix_ms());
        self.send_events(&conversions);
        with_timing(accepted, &decided)
    }
}
