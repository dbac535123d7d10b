//! Decisions for a request, without fragments: what every route shares.

use std::rc::Rc;

use super::Edge;
use crate::budget::Deadline;
use crate::catalog::{CompiledCatalog, Manifest};
use crate::decide::{decide, Decision};
use crate::platform::{Clock, Platform};
use crate::profile::{RequestContext, Visitor};
use crate::route::{gates, Request};
use crate::timing::ServerTiming;
use crate::visitor::{identify, Edge as VisitorEdge, Page, Visit};

/// What the decisions concluded about a page, before any fragment.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Blocks to fill (the plan may still be empty if every fragment failed).
    Personalize,
    /// The catalog does not cover this page: leave it entirely alone.
    NotCovered,
    /// Nothing could be decided; the origin's page is served as it is.
    FailOpen(&'static str),
}

/// Every block's decision for one visitor on one path, and how it came about.
#[derive(Debug, Clone)]
pub struct Decided {
    /// Every block's decision, in block-name order (none unless `Personalize`).
    pub decisions: Vec<Decision>,
    /// The catalog decided with, when one could be loaded.
    pub catalog: Option<Rc<CompiledCatalog>>,
    /// The visitor the decisions were made for.
    pub visitor: Visitor,
    /// The edge's cookies to set (or delete), for a personalized page: its
    /// id and its state cookie.
    pub set_cookies: Vec<String>,
    /// What happened.
    pub outcome: Outcome,
    /// Phases and their timings.
    pub timing: ServerTiming,
}

impl<P: Platform> Edge<'_, P> {
    /// Loads the catalog, identifies the visitor of `req` on `path`, and
    /// decides every block, within the budget counted from `started_ms`.
    /// Reads no fragment and calls no generator.
    pub async fn decide(&self, req: &Request, path: &str, visit: Visit, started_ms: f64) -> Decided {
        let mut timing = ServerTiming::new();
        let deadline = Deadline::new(started_ms, self.config.budget_ms);
        let now_s = self.decided_at_s(req);
        let ctx = self.context_of(req, now_s);
        let page = Page {
            path,
            query: req.query(),
        };
        let t0 = self.now_ms();
        let loaded = self.live_catalog(&deadline).await;
        let t1 = self.now_ms();
        let (catalog, outcome) = match loaded {
            Err(label) => {
                if self.config.site.is_some() {
                    timing.phase("catalog", t1 - t0, Some(label.to_owned()));
                }
                timing.note("tailor", format!("fail-open: {label}"));
                (None, Outcome::FailOpen(label))
            }
            Ok(loaded) => {
                let manifest = &loaded.catalog.manifest;
                let desc = format!("{} {}", loaded.freshness.label(), manifest.version);
                timing.phase("catalog", t1 - t0, Some(desc));
                let outcome = if manifest.covers_page(path) {
                    Outcome::Personalize
                } else {
                    Outcome::NotCovered
                };
                (Some(loaded.catalog), outcome)
            }
        };
        // Signals and network labels only where the catalog covers the page.
        let manifest = catalog
            .as_ref()
            .filter(|_| outcome == Outcome::Personalize)
            .map(|c| c.manifest.as_ref());
        let random = || self.platform.random_bytes();
        let edge = VisitorEdge {
            config: self.config,
            random: &random,
        };
        let identified = identify(&ctx, page, &edge, manifest, visit, now_s, &mut timing);
        let decisions = match (&catalog, &outcome) {
            (Some(catalog), Outcome::Personalize) => {
                let decisions = decide(catalog, &identified.visitor, now_s);
                let summary: Vec<String> = decisions
                    .iter()
                    .map(|d| format!("{}:{}:{}", d.block, d.variant, d.reason.label()))
                    .collect();
                timing.phase("decide", self.now_ms() - t1, Some(summary.join(" ")));
                decisions
            }
            _ => Vec::new(),
        };
        Decided {
            decisions,
            catalog,
            visitor: identified.visitor,
            set_cookies: identified.set_cookies,
            outcome,
            timing,
        }
    }

    /// The visitor of `req` on `path` as cookies and the request tell
    /// (profile, consent, ids), reading nothing: with `manifest`, its
    /// signals and network labels too (OFREP); without, who but not what
    /// (the beacon).
    pub fn visitor_of(&self, req: &Request, path: &str, manifest: Option<&Manifest>) -> Visitor {
        let now_s = self.decided_at_s(req);
        let ctx = self.context_of(req, now_s);
        let page = Page {
            path,
            query: req.query(),
        };
        let random = || self.platform.random_bytes();
        let edge = VisitorEdge {
            config: self.config,
            random: &random,
        };
        identify(
            &ctx,
            page,
            &edge,
            manifest,
            Visit::Read,
            now_s,
            &mut ServerTiming::new(),
        )
        .visitor
    }

    /// The time `req` is decided at, unix seconds: the clock's, or a dev
    /// override's (`X-Tailor-Dev-Now`, only with `TAILOR_DEV_OVERRIDES`).
    pub fn decided_at_s(&self, req: &Request) -> u64 {
        req.now_override_s
            .unwrap_or_else(|| self.platform.clock().now_s())
    }

    /// What the profile is built from for `req` at `now_s`, with its time
    /// zone's offset from the platform's clock.
    fn context_of<'r>(&'r self, req: &'r Request, now_s: u64) -> RequestContext<'r> {
        let mut ctx = req.context(gates::preview_keys(self.config, req));
        ctx.utc_offset_min = ctx
            .timezone
            .and_then(|zone| self.platform.clock().utc_offset_min(zone, now_s));
        ctx
    }

    /// Every block of `catalog` decided for `visitor` now, whatever page
    /// (for other channels: OFREP).
    pub fn decide_for(&self, catalog: &CompiledCatalog, visitor: &Visitor) -> Vec<Decision> {
        decide(catalog, visitor, self.platform.clock().now_s())
    }

    /// The live catalog within the budget from now, for routes that decide
    /// every block for a visitor they build themselves (OFREP).
    pub async fn catalog_now(&self) -> Result<Rc<CompiledCatalog>, &'static str> {
        let deadline = Deadline::new(self.now_ms(), self.config.budget_ms);
        self.live_catalog(&deadline).await.map(|loaded| loaded.catalog)
    }
}
