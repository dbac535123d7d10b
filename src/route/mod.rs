//! Which way a request goes, decided from its method, path and (only when it
//! matters) whether it asks for a range; and the gates some routes pass:
//! the preview gate and OFREP's trust ([`gates`]). The adapter asks this
//! first, then reads only what the route needs.
//!
//! ```text
//! /ofrep/v1/…                  → Ofrep (or its 404/405)
//! /__tailor/publish|rollback   → Control (forwarded to the control worker)
//! /__tailor/…                  → Api (or its 404/405)
//! not GET/HEAD, Range, assets  → PassThrough (the origin's response, untouched)
//! anything else                → Page
//! ```
//!
//! `src/worker/fast-path.mjs` sends `PassThrough` requests to the origin
//! without entering wasm; `tests/route-rules.json`, written from this
//! module, holds both to the same rules. Where the origin is (`ORIGIN_URL`,
//! else the `ASSETS` binding, else the route's own) is platform I/O: the
//! adapter has it once, in that JS module (`toOrigin`).

pub mod gates;
mod request;

pub use request::{EdgeContext, Request, DEV_OVERRIDE_HEADERS, REQUEST_HEADERS};

/// The publish endpoint's path (served by the control worker).
pub const PUBLISH_PATH: &str = "/__tailor/publish";
/// The rollback endpoint's path (served by the control worker).
pub const ROLLBACK_PATH: &str = "/__tailor/rollback";
/// The review queue's signed endpoint (served by the control worker).
pub const REVIEW_PATH: &str = "/__tailor/review";

/// The prefix of Tailor's own endpoints.
pub const API_PREFIX: &str = "/__tailor/";
/// The prefix of the OpenFeature Remote Evaluation Protocol's endpoints.
pub const OFREP_PREFIX: &str = "/ofrep/v1/";

/// Extensions of static assets: never personalized, whatever the origin
/// answers (a page's personalization costs nothing on them).
pub const STATIC_EXTENSIONS: &[&str] = &[
    "css", "js", "mjs", "map", "json", "xml", "txt", "png", "jpg", "jpeg", "gif", "webp", "avif", "svg",
    "ico", "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "pdf", "zip", "gz", "wasm",
];

/// Largest form body accepted (`/__tailor/why`, the preview's forms).
pub const MAX_FORM_BYTES: usize = 4 * 1024;
/// Largest beacon body accepted.
pub const MAX_BEACON_BYTES: usize = 1024;
/// Largest OFREP request body accepted.
pub const MAX_OFREP_BODY_BYTES: usize = 16 * 1024;

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Never personalized: the origin's response, untouched, with no work.
    PassThrough(Skip),
    /// A page that may be personalized.
    Page,
    /// Publish and rollback: forwarded unchanged to the control worker, so
    /// the push's signature still covers the same method, path and body.
    Control,
    /// One of Tailor's endpoints, or why the path is ours but the request is not.
    Api(Result<Api, Refusal>),
    /// An OFREP endpoint, or why the path is OFREP's but the request is not.
    Ofrep(Result<Ofrep, Refusal>),
}

/// Why a request is passed to the origin without any personalization work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Not GET or HEAD.
    Method,
    /// A `Range` request: partial content passes through.
    Range,
    /// A static asset by its extension (stylesheets, scripts, images…).
    StaticAsset,
}

/// A path of ours with no endpoint for this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such endpoint (404).
    NotFound,
    /// The endpoint exists, not for this method (405).
    MethodNotAllowed,
}

/// Tailor's endpoints under [`API_PREFIX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `GET /__tailor/decide?path=…`
    Decide,
    /// `GET /__tailor/fragments?path=…&block=…`: the blocks' decided HTML,
    /// for a page the browser changed without loading it (client navigation)
    Fragments,
    /// `GET /__tailor/why`
    Why,
    /// `POST /__tailor/why` (opt out / back in)
    WhyChoice,
    /// `GET /__tailor/preview`
    Preview,
    /// `GET /__tailor/preview.js`
    PreviewScript,
    /// `GET /__tailor/preview/gallery`
    PreviewGallery,
    /// `GET /__tailor/preview/report` (`?format=json`): the loop's lift report
    PreviewReport,
    /// `GET /__tailor/preview/review`: the review queue's drafts
    PreviewReview,
    /// `POST /__tailor/preview/review`: approve or reject a draft (dev only)
    PreviewReviewAction,
    /// `POST /__tailor/preview/profile`
    PreviewProfile,
    /// `POST /__tailor/preview/force`
    PreviewForce,
    /// `POST /__tailor/event` (conversion beacon)
    Beacon,
    /// `GET /__tailor/events.js` (the optional click reporter)
    EventsScript,
}

impl Api {
    /// Whether the endpoint changes something for the visitor or the site
    /// (cross-site requests to it are refused).
    pub fn changes_state(self) -> bool {
        matches!(
            self,
            Self::WhyChoice
                | Self::PreviewProfile
                | Self::PreviewForce
                | Self::PreviewReviewAction
                | Self::Beacon
        )
    }

    /// Whether the endpoint belongs to the preview UI (off unless enabled).
    pub fn is_preview(self) -> bool {
        matches!(
            self,
            Self::Preview
                | Self::PreviewScript
                | Self::PreviewGallery
                | Self::PreviewReport
                | Self::PreviewReview
                | Self::PreviewReviewAction
                | Self::PreviewProfile
                | Self::PreviewForce
        )
    }
}

/// OFREP's endpoints under [`OFREP_PREFIX`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ofrep {
    /// `POST /ofrep/v1/evaluate/flags`
    Bulk,
    /// `POST /ofrep/v1/evaluate/flags/{key}`
    Single(String),
    /// `GET /ofrep/v1/configuration`
    Configuration,
    /// `OPTIONS` on any of them (CORS preflight)
    Preflight,
}

impl Route {
    /// The largest body the route reads, if it reads one: the adapter reads
    /// at most this much (a larger body is refused unread).
    pub fn body_limit(&self) -> Option<usize> {
        match self {
            Self::Api(Ok(
                Api::WhyChoice | Api::PreviewProfile | Api::PreviewForce | Api::PreviewReviewAction,
            )) => Some(MAX_FORM_BYTES),
            Self::Api(Ok(Api::Beacon)) => Some(MAX_BEACON_BYTES),
            Self::Ofrep(Ok(Ofrep::Bulk | Ofrep::Single(_))) => Some(MAX_OFREP_BODY_BYTES),
            _ => None,
        }
    }
}

/// The route for a request: its method, its path (or whole URL) and, asked
/// only for a page, whether it carries a `Range` header.
pub fn route(method: &str, path: &str, has_range: impl FnOnce() -> bool) -> Route {
    if let Some(rest) = path.strip_prefix(OFREP_PREFIX) {
        return Route::Ofrep(ofrep(method, rest));
    }
    if path == PUBLISH_PATH || path == ROLLBACK_PATH || path == REVIEW_PATH {
        return Route::Control;
    }
    if let Some(rest) = path.strip_prefix(API_PREFIX) {
        return Route::Api(api(method, rest));
    }
    if !is_get_or_head(method) {
        return Route::PassThrough(Skip::Method);
    }
    if is_static_asset(path) {
        return Route::PassThrough(Skip::StaticAsset);
    }
    if has_range() {
        return Route::PassThrough(Skip::Range);
    }
    Route::Page
}

fn is_get_or_head(method: &str) -> bool {
    method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD")
}

/// Whether the path's last segment ends in a static asset's extension.
pub fn is_static_asset(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    last.rsplit_once('.')
        .is_some_and(|(_, ext)| STATIC_EXTENSIONS.iter().any(|s| s.eq_ignore_ascii_case(ext)))
}

fn api(method: &str, rest: &str) -> Result<Api, Refusal> {
    let get = is_get_or_head(method);
    let post = method.eq_ignore_ascii_case("POST");
    let (for_get, for_post) = match rest {
        "decide" => (Some(Api::Decide), None),
        "fragments" => (Some(Api::Fragments), None),
        "why" => (Some(Api::Why), Some(Api::WhyChoice)),
        "preview" => (Some(Api::Preview), None),
        "preview.js" => (Some(Api::PreviewScript), None),
        "preview/gallery" => (Some(Api::PreviewGallery), None),
        "preview/report" => (Some(Api::PreviewReport), None),
        "preview/review" => (Some(Api::PreviewReview), Some(Api::PreviewReviewAction)),
        "preview/profile" => (None, Some(Api::PreviewProfile)),
        "preview/force" => (None, Some(Api::PreviewForce)),
        "event" => (None, Some(Api::Beacon)),
        "events.js" => (Some(Api::EventsScript), None),
        _ => return Err(Refusal::NotFound),
    };
    match (get, post) {
        (true, _) => for_get,
        (_, true) => for_post,
        _ => None,
    }
    .ok_or(Refusal::MethodNotAllowed)
}

fn ofrep(method: &str, rest: &str) -> Result<Ofrep, Refusal> {
    if method.eq_ignore_ascii_case("OPTIONS") {
        return Ok(Ofrep::Preflight);
    }
    let post = method.eq_ignore_ascii_case("POST");
    let get = method.eq_ignore_ascii_case("GET");
    let found = match rest {
        "evaluate/flags" => post.then_some(Ofrep::Bulk),
        "configuration" => get.then_some(Ofrep::Configuration),
        _ => match rest.strip_prefix("evaluate/flags/") {
            Some(key) if !key.is_empty() && !key.contains('/') => post.then(|| Ofrep::Single(key.to_owned())),
            Some(_) => None,
            None => return Err(Refusal::NotFound),
        },
    };
    found.ok_or(Refusal::MethodNotAllowed)
}

#[cfg(test)]
mod tests;
