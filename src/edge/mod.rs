//! One request's personalization work over one platform: the live catalog,
//! the visitor, the decisions, and (for a page only) the fragments that
//! fill them and what to do with the origin's response.
//!
//! ```text
//! decide:   catalog ─► visitor (profile → signals → firmographics → consent) ─► decisions
//! prepare:  decide ─► fragments (memory → Cache API → KV; generator on a miss) ─► plan
//! dispose:  plan × the origin's response head ─► pass through │ annotate │ rewrite
//! ```
//!
//! Routes that need only decisions (the decision API, the "why" page, the
//! beacon, OFREP) call [`Edge::decide`] and never read a fragment or call
//! the generator. What each route does with them is [`crate::serve`].

mod decisions;
mod fill;
mod isolate;
mod page;

pub use decisions::{Decided, Outcome};
pub use fill::{GalleryBlock, GalleryVariant};
pub use isolate::Isolate;
pub use page::{dispose, is_personalizable_response, Disposition, Prepared};

use crate::budget::Deadline;
use crate::config::Config;
use crate::live::LoadedCatalog;
use crate::platform::{Clock, Platform};

/// Settings, the isolate's memory and the platform: all a request's work needs.
pub struct Edge<'a, P> {
    /// Settings.
    pub config: &'a Config,
    /// What the isolate keeps between requests.
    pub isolate: &'a Isolate,
    /// The host's side effects.
    pub platform: P,
}

impl<'a, P: Platform> Edge<'a, P> {
    /// The work of one request on `platform`.
    pub fn new(config: &'a Config, isolate: &'a Isolate, platform: P) -> Self {
        Self {
            config,
            isolate,
            platform,
        }
    }

    /// The clock's time, milliseconds.
    pub fn now_ms(&self) -> f64 {
        self.platform.clock().now_ms()
    }

    /// The live catalog of the configured site, from memory or KV by
    /// `deadline`; `Err` is a fixed label (no site, or the catalog error's).
    async fn live_catalog(&self, deadline: &Deadline) -> Result<LoadedCatalog, &'static str> {
        let site = self.config.site.as_deref().ok_or("no-site")?;
        self.isolate
            .catalog
            .load_or_revalidate(site, self.config.catalog_refresh_ms, deadline, &self.platform)
            .await
            .map_err(|e| e.label())
    }
}
