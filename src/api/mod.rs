//! What Tailor's own endpoints under `/__tailor/` answer: the decision API,
//! the visitors' "why am I seeing this?" page, the preview UI and the click
//! reporter. Pure rendering: decisions in, [`Response`] out; which request
//! gets which is [`crate::route`] and [`crate::serve`]. See `docs/preview.md`.

mod decide;
mod preview;
mod why;

pub use decide::{decide_json, explain, plain_path};
pub use preview::{
    gallery_json, preview_page, preview_script, review_action, set_forced, set_preview_profile, start_session,
};
pub use why::{why_choice, why_page};

use crate::http::Response;

const EVENTS_SCRIPT: &str = include_str!("assets/events.js");

/// `GET /__tailor/events.js`: the optional click reporter.
pub fn events_script() -> Response {
    Response::script(EVENTS_SCRIPT).with_header("cache-control", "public, max-age=3600".to_owned())
}
