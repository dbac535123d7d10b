//! The Workers adapter: the only module that imports `worker` or touches JS.
//! It converts JS ↔ core types, performs the I/O the core asks for, and
//! applies the core's answers; every decision is the core's.
//!
//! One crate builds two workers. The page worker ([`page`], the default)
//! serves pages, decisions, preview and OFREP; it forwards publish and
//! rollback to the control worker ([`control`], `--features control`), which
//! alone carries the HTML sanitizer and KV write access.

mod bindings;
mod io;
mod regex;
mod vars;

#[cfg(feature = "control")]
mod control;
#[cfg(feature = "control")]
mod d1;
#[cfg(all(feature = "fault-injection", not(feature = "control")))]
mod fault;
#[cfg(not(feature = "control"))]
mod page;
#[cfg(not(feature = "control"))]
mod platform;
#[cfg(not(feature = "control"))]
mod rewriter;
