//! Tailor: edge personalization for Cloudflare Workers.
//!
//! The crate is a pure core that builds and is tested natively, plus a thin
//! Workers adapter ([`worker`] module, wasm32 only). Per page request the core
//! loads the site's catalog from KV, decides a variant for every marked block
//! and hands an engine a [`rewrite::RewritePlan`]; the engine streams the
//! origin's HTML with the blocks filled. Every side effect goes through the
//! traits in [`platform`].
//!
//! | module | job |
//! | --- | --- |
//! | [`api`] | `/__tailor/` endpoints: decide API, why page, preview UI |
//! | [`ofrep`] | the OpenFeature Remote Evaluation Protocol: blocks as flags |
//! | [`page`] | the request flow: what to personalize, what to do with the response |
//! | [`catalog`] | the published documents, their KV layout, the isolate's copy |
//! | [`profile`] | the signed profile cookie, anonymous profiles, consent |
//! | [`signals`] | behavioral signals: criteria, decay, the edge's state cookie |
//! | [`decide`] | blocks × catalog → decisions with reasons |
//! | [`targeting`] | GrowthBook's condition language, compiled once per catalog |
//! | [`experiment`] | GrowthBook's hashing and bucketing |
//! | [`publish`] | signed pushes, atomic publish, rollback, the fragment sanitizer |
//! | [`events`] | exposure and conversion events, beacons, the stats aggregator |
//! | [`fragments`] | content-addressed fragment HTML: memory, then KV |
//! | [`rewrite`] | the rewrite plan; the native `lol_html` engine |
//! | [`budget`] | the per-request deadline |
//! | [`config`] | `wrangler.toml` vars |
//! | [`timing`] | the `Server-Timing` header |
//! | [`platform`] | KV, clock, timer traits and their in-memory fakes |

pub mod api;
pub mod budget;
pub mod catalog;
pub mod config;
pub mod decide;
pub mod events;
pub mod experiment;
pub mod fragments;
pub mod ofrep;
pub mod page;
pub mod platform;
pub mod profile;
pub mod publish;
pub mod rewrite;
pub mod signals;
pub mod targeting;
pub mod timing;

#[cfg(target_arch = "wasm32")]
mod worker;

/// The Worker's regex engine (JS `RegExp`), for wasm32 tests and benches.
#[cfg(target_arch = "wasm32")]
pub use worker::JsRegex;
