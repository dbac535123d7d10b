//! Publishing: signed push requests from origin servers, atomic publish of a
//! whole catalog for a site, rollback to a retained version.
//!
//! This runs in the control worker (`--features control`) and in the CLI,
//! never in the page worker: the page worker forwards `/__tailor/publish` and
//! `/__tailor/rollback` to the control worker over a service binding.

mod generated;
#[cfg(feature = "sanitize")]
mod handler;
mod publisher;
#[cfg(feature = "sanitize")]
pub mod review;
#[cfg(feature = "sanitize")]
pub mod sanitize;
pub mod signature;

pub use generated::{generated_answer, generated_request, GENERATED_PATH};
pub use publisher::{
    live_manifest, publish, rollback, History, Outcome, PublishError, Retained, DEFAULT_LOOP_WINDOW_DAYS,
    DEFAULT_RETAIN,
};

#[cfg(feature = "sanitize")]
pub use handler::{
    clean_generated, clean_html, control_route, handle, handle_generated, prepare, route, serve_control,
    too_large, Action, ControlRoute, PublishConfig, PublishGuard, PushIo, PushRequest,
    DEFAULT_MAX_BODY_BYTES, PENDING_TTL_S, PUBLISH_VARS, REFUSED_HEADER, REFUSED_TTL_S,
};

/// The publish and rollback endpoints' paths (the router's: it forwards them here).
pub use crate::route::{PUBLISH_PATH, REVIEW_PATH, ROLLBACK_PATH};

/// The review queue's actions for the preview panel, on the control worker:
/// reached only over the page worker's `CONTROL` service binding (never
/// routed from outside; the page worker gates it).
pub const REVIEW_INTERNAL_PATH: &str = "/__tailor/review/internal";
