//! Shared set-up for the native integration tests: the fixture catalog
//! published into an in-memory KV, and an `Edge` over the fakes.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use tailor_edge::catalog::source::Bundle;
use tailor_edge::catalog::CatalogStore;
use tailor_edge::config::Config;
use tailor_edge::fragments::FragmentCache;
use tailor_edge::page::{Edge, PageRequest, Prepared};
use tailor_edge::platform::fakes::{InstantTimer, ManualClock, MemoryKv};
use tailor_edge::platform::Clock;
use tailor_edge::profile::RequestContext;
use tailor_edge::targeting::NativeRegex;

pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn bundle() -> Bundle {
    Bundle::from_source(&fixture("catalog.json"), |f| Err(format!("no file {f}"))).unwrap()
}

pub fn published_kv() -> MemoryKv {
    MemoryKv::with_entries(bundle().kv_entries())
}

/// One isolate's worth of state over the fakes.
pub struct World {
    pub config: Config,
    pub catalog: CatalogStore,
    pub fragments: FragmentCache,
    pub kv: MemoryKv,
    pub clock: ManualClock,
}

impl World {
    pub fn new(kv: MemoryKv) -> Self {
        let config = Config {
            site: Some("shop".into()),
            catalog_refresh_ms: 0,
            ..Config::default()
        };
        Self {
            fragments: config.fragment_cache(),
            config,
            catalog: CatalogStore::new(),
            kv,
            clock: ManualClock::at(1_700_000_000_000.0),
        }
    }

    pub fn edge(&self) -> Edge<'_, MemoryKv, ManualClock, InstantTimer> {
        Edge {
            config: &self.config,
            catalog: &self.catalog,
            fragments: &self.fragments,
            kv: &self.kv,
            clock: &self.clock,
            timer: &InstantTimer,
            regex: &NativeRegex,
        }
    }

    pub fn prepare(&self, path: &str) -> Prepared {
        self.prepare_for(path, RequestContext::default())
    }

    pub fn prepare_for(&self, path: &str, context: RequestContext<'_>) -> Prepared {
        let req = PageRequest {
            method: "GET",
            path,
            has_range: false,
            record_visit: true,
            context,
        };
        futures_executor::block_on(self.edge().prepare(&req, self.clock.now_ms()))
    }
}
