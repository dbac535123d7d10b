//! Tailor: edge personalization for Cloudflare Workers.
//!
//! The crate is a pure core that builds and is tested natively, plus a thin
//! Workers adapter (`src/worker/`, wasm32 only, not reachable from here)
//! that converts JS ↔ core types, performs the I/O the core asks for and
//! applies its answers. Every side effect goes through [`platform`].
//!
//! A request's path through the core (DEVELOPING.md draws it whole):
//!
//! ```text
//! route ─► Page ─► edge: live catalog ─► visitor ─► decide ─► fragments ─► plan ─► dispose
//!      └─► Api / Ofrep ─► serve ─► edge: live catalog ─► visitor ─► decide ─► api / ofrep / events
//! ```
//!
//! Modules, from the routes down (each imports only modules below it):
//!
//! | module | job |
//! | --- | --- |
//! | [`serve`] | what each route does over an [`edge::Edge`]: page, endpoints, events |
//! | [`api`] | `/__tailor/` answers: decision JSON, why page, preview UI |
//! | [`ofrep`] | the OpenFeature Remote Evaluation Protocol: blocks as flags |
//! | [`events`] | exposure and conversion events, beacons, the stats aggregator |
//! | [`edge`] | one request's work: decisions, fragments, the rewrite plan, disposal |
//! | [`route`] | request facts → route; the preview gate, OFREP trust |
//! | [`visitor`] | the one enrichment step: profile → signals → firmographics → consent |
//! | [`publish`] | signed pushes, atomic publish, rollback, the fragment sanitizer |
//! | [`config`] | `wrangler.toml` vars |
//! | [`live`] | the isolate's copy of the live catalog |
//! | [`fragments`] | content-addressed fragment HTML: memory, Cache API, KV, generator |
//! | [`decide`] | blocks × visitor → decisions with reasons |
//! | [`catalog`] | the published documents, their KV layout, their compiled form |
//! | [`signals`] | behavioral signals: criteria, decay, the edge's state cookie |
//! | [`profile`] | the signed profile cookie, anonymous profiles, consent |
//! | [`experiment`] | GrowthBook's hashing and bucketing |
//! | [`targeting`] | GrowthBook's condition language, compiled once per catalog |
//! | [`rewrite`] | the rewrite plan; the native `lol_html` engine |
//! | [`budget`], [`rate`], [`timing`] | the deadline, token buckets, `Server-Timing` |
//! | [`validation`] | the id grammar, document validation errors |
//! | [`http`] | cookies, query strings, URLs, responses |
//! | [`platform`] | the side-effect traits, [`platform::Platform`], in-memory fakes |

pub mod api;
pub mod budget;
pub mod catalog;
pub mod config;
pub mod consent;
pub mod decide;
pub mod edge;
pub mod events;
pub mod experiment;
pub mod feedback;
pub mod fragments;
pub mod guardrails;
pub mod http;
pub mod live;
pub mod ofrep;
pub mod platform;
pub mod profile;
pub mod publish;
pub mod rate;
pub mod rewrite;
pub mod route;
pub mod serve;
pub mod signals;
pub mod targeting;
pub mod timing;
pub mod validation;
pub mod visitor;

#[cfg(target_arch = "wasm32")]
mod worker;
