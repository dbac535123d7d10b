//! The rewrite plan and the native engine that carries it out.
//!
//! The core decides *what* goes where ([`RewritePlan`]); an engine applies it
//! to a streaming HTML body. In the worker that engine is workerd's own
//! `HTMLRewriter` (bound in `src/worker/rewriter.rs`); natively it is the
//! `lol_html` crate, the same parser, used by tests, benches and `tailor render`.
//! Both perform exactly the operations [`RewritePlan::fill_for`] describes.

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
mod plan;

pub use plan::{Fill, RewritePlan, MARKER_NAME_ATTRIBUTE, MARKER_SELECTOR, MARKER_TAG};
