//! The Workers adapter: the only module that imports `worker` or touches JS.
//!
//! One crate builds two workers. The page worker ([`page`], the default)
//! serves pages, decisions, preview and OFREP; it forwards publish and
//! rollback to the control worker ([`control`], `--features control`), which
//! alone carries the HTML sanitizer and KV write access. Both wire the core's
//! traits to the platform ([`platform`]); every path ends in a response.

mod http;
mod platform;
mod regex;
mod vars;

#[cfg(feature = "control")]
mod control;
#[cfg(all(feature = "fault-injection", not(feature = "control")))]
mod fault;
#[cfg(not(feature = "control"))]
mod generation;
#[cfg(not(feature = "control"))]
mod origin;
#[cfg(not(feature = "control"))]
mod page;
#[cfg(not(feature = "control"))]
mod rewriter;
#[cfg(not(feature = "control"))]
mod sink;

pub use regex::JsRegex;
