//! The live catalog in isolate memory: one KV read of the manifest per cold
//! isolate (or per new version), then served from memory.
//!
//! Only immutable data is shared between the requests an isolate serves at
//! once: manifests are keyed by version and never change; the pointer check
//! is a timestamp. No `RefCell` borrow is held across an `.await`.
//!
//! Under KV's eventual consistency a location can see a new pointer before
//! the manifest it names, or a manifest before its fragments: a warm isolate
//! then keeps serving its last good version until the new one is whole here.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;

use futures_util::future::join_all;

use crate::budget::Deadline;
use crate::catalog::CompiledCatalog;
use crate::catalog::{fragment_key, manifest_key, pointer_key, CatalogError, Manifest, Pointer};
use crate::platform::{Clock, Kv, Platform};

/// Where a loaded catalog came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// From isolate memory, the pointer checked recently enough.
    Memory,
    /// The pointer was read and still names the manifest in memory.
    Confirmed,
    /// A new manifest version was read from KV.
    Loaded,
    /// KV failed; the last good manifest is served instead.
    LastKnownGood(CatalogError),
    /// From isolate memory while the pointer is re-read in the background
    /// (stale-while-revalidate).
    Revalidating,
}

impl Freshness {
    /// A short, fixed label for diagnostics headers.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Confirmed => "confirmed",
            Self::Loaded => "kv",
            Self::LastKnownGood(_) => "last-known-good",
            Self::Revalidating => "memory-revalidating",
        }
    }
}

/// A catalog ready to decide with.
#[derive(Debug, Clone)]
pub struct LoadedCatalog {
    /// The compiled catalog (shared, immutable).
    pub catalog: Rc<CompiledCatalog>,
    /// How it was obtained.
    pub freshness: Freshness,
}

#[derive(Debug, Default)]
struct Live {
    catalog: Option<Rc<CompiledCatalog>>,
    checked_at_ms: Option<f64>,
}

/// How long a background refresh may wait for KV.
pub const REVALIDATE_BUDGET_MS: u32 = 5_000;

/// The isolate's copy of a site's live catalog.
#[derive(Debug, Default)]
pub struct CatalogStore {
    live: RefCell<Live>,
    revalidating: Cell<bool>,
}

impl CatalogStore {
    /// An empty store (a cold isolate).
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the live catalog for `site`, reading KV when the pointer has
    /// not been checked for `refresh_ms` and the manifest only when its
    /// version changed; a new manifest is compiled once (conditions with
    /// `regex`). Every KV wait ends by `deadline`. When KV fails and a
    /// manifest was loaded before, that last good manifest is served.
    pub async fn load<P: Platform>(
        &self,
        site: &str,
        refresh_ms: u32,
        deadline: &Deadline,
        platform: &P,
    ) -> Result<LoadedCatalog, CatalogError> {
        let now = platform.clock().now_ms();
        let (cached, checked_at) = {
            let live = self.live.borrow();
            (live.catalog.clone(), live.checked_at_ms)
        };
        if let (Some(catalog), Some(at)) = (&cached, checked_at) {
            if now - at < f64::from(refresh_ms) {
                return Ok(LoadedCatalog {
                    catalog: catalog.clone(),
                    freshness: Freshness::Memory,
                });
            }
        }
        match self.refresh(site, cached.as_ref(), deadline, platform).await {
            Ok(loaded) => {
                let mut live = self.live.borrow_mut();
                live.catalog = Some(loaded.catalog.clone());
                live.checked_at_ms = Some(now);
                Ok(loaded)
            }
            Err(error) => match cached {
                Some(catalog) => {
                    // Back off: the next read waits for the refresh interval,
                    // so a failing or slow KV does not cost every request its budget.
                    self.live.borrow_mut().checked_at_ms = Some(now);
                    Ok(LoadedCatalog {
                        catalog,
                        freshness: Freshness::LastKnownGood(error),
                    })
                }
                None => Err(error),
            },
        }
    }

    /// Like [`CatalogStore::load`], but once the isolate has a catalog and
    /// `refresh_ms` is not 0, a due pointer check runs in the background:
    /// the request is served from memory at once and the next one sees
    /// what the check found (stale-while-revalidate, by hand: the Cache API
    /// ignores the directive). One check at a time per isolate.
    pub async fn load_or_revalidate<P: Platform>(
        self: &Rc<Self>,
        site: &str,
        refresh_ms: u32,
        deadline: &Deadline,
        platform: &P,
    ) -> Result<LoadedCatalog, CatalogError> {
        let now = platform.clock().now_ms();
        let (cached, checked_at) = {
            let live = self.live.borrow();
            (live.catalog.clone(), live.checked_at_ms)
        };
        let (Some(catalog), Some(at)) = (cached, checked_at) else {
            return self.load(site, refresh_ms, deadline, platform).await;
        };
        if refresh_ms == 0 {
            return self.load(site, refresh_ms, deadline, platform).await;
        }
        if now - at < f64::from(refresh_ms) {
            return Ok(LoadedCatalog {
                catalog,
                freshness: Freshness::Memory,
            });
        }
        if !self.revalidating.replace(true) {
            let (store, site, background) = (self.clone(), site.to_owned(), platform.clone());
            platform.spawn(Box::pin(async move {
                let deadline = Deadline::new(background.clock().now_ms(), REVALIDATE_BUDGET_MS);
                // Failures keep the catalog in memory (and back off) inside `load`.
                let _ = store.load(&site, 0, &deadline, &background).await;
                store.revalidating.set(false);
            }));
        }
        Ok(LoadedCatalog {
            catalog,
            freshness: Freshness::Revalidating,
        })
    }

    async fn refresh<P: Platform>(
        &self,
        site: &str,
        cached: Option<&Rc<CompiledCatalog>>,
        deadline: &Deadline,
        platform: &P,
    ) -> Result<LoadedCatalog, CatalogError> {
        let (kv, clock, timer) = (platform.kv(), platform.clock(), platform.timer());
        let key = pointer_key(site);
        let text = deadline.run(clock, timer, kv.get_text(&key)).await??;
        let text = text.ok_or_else(|| CatalogError::NotPublished {
            site: site.to_owned(),
        })?;
        let pointer = Pointer::parse(&text).map_err(|e| CatalogError::Corrupt {
            key,
            reason: e.to_string(),
        })?;
        if let Some(catalog) = cached.filter(|c| c.manifest.version == pointer.version) {
            return Ok(LoadedCatalog {
                catalog: catalog.clone(),
                freshness: Freshness::Confirmed,
            });
        }
        let key = manifest_key(site, &pointer.version);
        let text = deadline.run(clock, timer, kv.get_text(&key)).await??;
        let text = text.ok_or_else(|| CatalogError::ManifestMissing {
            version: pointer.version.clone(),
        })?;
        let manifest = Manifest::parse(&text, site).map_err(|e| CatalogError::Corrupt {
            key: key.clone(),
            reason: e.to_string(),
        })?;
        if manifest.version != pointer.version {
            return Err(CatalogError::Corrupt {
                key,
                reason: "manifest version differs from its key".to_owned(),
            });
        }
        // Conditions that do not compile make the whole version unusable:
        // publishing validates them, so this is a document nobody should write.
        let catalog = CompiledCatalog::compile(Rc::new(manifest), platform.regex()).map_err(|e| {
            CatalogError::Corrupt {
                key,
                reason: e.to_string(),
            }
        })?;
        // An isolate that serves a version already switches only once the new
        // one is whole here: its manifest may reach this location before its
        // fragments do. (A cold isolate has nothing better to serve.)
        if cached.is_some() {
            let reads = catalog
                .manifest
                .blocks
                .values()
                .flat_map(|b| &b.variants)
                .map(|v| fragment_key(site, &v.fragment))
                .collect::<BTreeSet<_>>();
            let found = join_all(reads.iter().map(|key| kv.get_text(key)));
            let found = deadline.run(clock, timer, found).await?;
            let missing = found
                .into_iter()
                .filter(|read| !matches!(read, Ok(Some(_))))
                .count();
            if missing > 0 {
                return Err(CatalogError::Incomplete {
                    version: pointer.version,
                    missing,
                });
            }
        }
        Ok(LoadedCatalog {
            catalog: Rc::new(catalog),
            freshness: Freshness::Loaded,
        })
    }
}
