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

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use tailor_edge::catalog::source::Bundle;
use tailor_edge::catalog::CatalogStore;
use tailor_edge::config::Config;

use tailor_edge::fragments::generate::GeneratorState;
use tailor_edge::fragments::FragmentCache;
use tailor_edge::page::{Edge, Generation, PageRequest, Prepared};
use tailor_edge::platform::fakes::{
    DeferredTasks, FakeGenerator, InstantTimer, ManualClock, MemoryCache, MemoryKv,
};
use tailor_edge::platform::{Clock, GenerateRequest, Sanitized, Sanitizer};
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

/// A stand-in for the control worker's sanitizer (the real one is tested
/// with the `sanitize` feature and end to end): refuses `<script`, keeps
/// answers for blocks needing approval pending.
#[derive(Debug, Clone, Default)]
pub struct TestSanitizer {
    pub pending: Rc<RefCell<Vec<String>>>,
}

impl Sanitizer for TestSanitizer {
    fn sanitize(
        &self,
        _request: &GenerateRequest,
        html: &str,
        approval: bool,
    ) -> impl Future<Output = Result<Sanitized, String>> + 'static {
        let result = if html.to_ascii_lowercase().contains("<script") {
            Sanitized::Refused("<script> element".into())
        } else if approval {
            self.pending.borrow_mut().push(html.to_owned());
            Sanitized::Pending
        } else {
            Sanitized::Clean(html.to_owned())
        };
        std::future::ready(Ok(result))
    }
}

/// One isolate's worth of state over the fakes.
pub struct World {
    pub config: Config,
    pub catalog: Rc<CatalogStore>,
    pub fragments: Rc<FragmentCache>,
    pub kv: MemoryKv,
    pub clock: ManualClock,
    pub cache: MemoryCache,
    pub background: DeferredTasks,
    pub generator: Option<FakeGenerator>,
    pub sanitizer: TestSanitizer,
    pub generation: Rc<GeneratorState>,
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
            catalog: Rc::new(CatalogStore::new()),
            kv,
            clock: ManualClock::at(1_700_000_000_000.0),
            cache: MemoryCache::new(),
            background: DeferredTasks::new(),
            generator: None,
            sanitizer: TestSanitizer::default(),
            generation: Rc::new(GeneratorState::new()),
        }
    }

    /// Runs the work left for after the response (cache writes, late generator calls).
    pub fn finish_background(&self) {
        for task in self.background.take() {
            futures_executor::block_on(task);
        }
    }

    pub fn edge(
        &self,
    ) -> Edge<'_, MemoryKv, ManualClock, InstantTimer, MemoryCache, FakeGenerator, TestSanitizer> {
        Edge {
            config: &self.config,
            catalog: &self.catalog,
            fragments: &self.fragments,
            cache: &self.cache,
            background: &self.background,
            generation: self.generator.as_ref().map(|generator| Generation {
                generator,
                sanitizer: &self.sanitizer,
                state: &self.generation,
            }),
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
