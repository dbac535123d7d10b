//! The live catalog in isolate memory: one KV read of the manifest per cold
//! isolate (or per new version), then served from memory.
//!
//! Only immutable data is shared between the requests an isolate serves at
//! once: manifests are keyed by version and never change; the pointer check
//! is a timestamp. No `RefCell` borrow is held across an `.await`.

use std::cell::RefCell;
use std::rc::Rc;

use super::error::CatalogError;
use super::keys::{manifest_key, pointer_key};
use super::manifest::{Manifest, Pointer};
use crate::budget::Deadline;
use crate::platform::{Clock, Kv, Timer};

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
}

impl Freshness {
    /// A short, fixed label for diagnostics headers.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Confirmed => "confirmed",
            Self::Loaded => "kv",
            Self::LastKnownGood(_) => "last-known-good",
        }
    }
}

/// A catalog ready to decide with.
#[derive(Debug, Clone)]
pub struct LoadedCatalog {
    /// The manifest (shared, immutable).
    pub manifest: Rc<Manifest>,
    /// How it was obtained.
    pub freshness: Freshness,
}

#[derive(Debug, Default)]
struct Live {
    manifest: Option<Rc<Manifest>>,
    checked_at_ms: Option<f64>,
}

/// The isolate's copy of a site's live catalog.
#[derive(Debug, Default)]
pub struct CatalogStore {
    live: RefCell<Live>,
}

impl CatalogStore {
    /// An empty store (a cold isolate).
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the live catalog for `site`, reading KV when the pointer has
    /// not been checked for `refresh_ms` and the manifest only when its
    /// version changed. Every KV wait ends by `deadline`. When KV fails and a
    /// manifest was loaded before, that last good manifest is served.
    pub async fn load<K: Kv, C: Clock, T: Timer>(
        &self,
        site: &str,
        refresh_ms: u32,
        deadline: &Deadline,
        kv: &K,
        clock: &C,
        timer: &T,
    ) -> Result<LoadedCatalog, CatalogError> {
        let now = clock.now_ms();
        let (cached, checked_at) = {
            let live = self.live.borrow();
            (live.manifest.clone(), live.checked_at_ms)
        };
        if let (Some(manifest), Some(at)) = (&cached, checked_at) {
            if now - at < f64::from(refresh_ms) {
                return Ok(LoadedCatalog {
                    manifest: manifest.clone(),
                    freshness: Freshness::Memory,
                });
            }
        }
        match self
            .refresh(site, cached.as_ref(), deadline, kv, clock, timer)
            .await
        {
            Ok(loaded) => {
                let mut live = self.live.borrow_mut();
                live.manifest = Some(loaded.manifest.clone());
                live.checked_at_ms = Some(now);
                Ok(loaded)
            }
            Err(error) => match cached {
                Some(manifest) => Ok(LoadedCatalog {
                    manifest,
                    freshness: Freshness::LastKnownGood(error),
                }),
                None => Err(error),
            },
        }
    }

    async fn refresh<K: Kv, C: Clock, T: Timer>(
        &self,
        site: &str,
        cached: Option<&Rc<Manifest>>,
        deadline: &Deadline,
        kv: &K,
        clock: &C,
        timer: &T,
    ) -> Result<LoadedCatalog, CatalogError> {
        let key = pointer_key(site);
        let text = deadline.run(clock, timer, kv.get_text(&key)).await??;
        let text = text.ok_or_else(|| CatalogError::NotPublished {
            site: site.to_owned(),
        })?;
        let pointer = Pointer::parse(&text).map_err(|e| CatalogError::Corrupt {
            key,
            reason: e.to_string(),
        })?;
        if let Some(manifest) = cached.filter(|m| m.version == pointer.version) {
            return Ok(LoadedCatalog {
                manifest: manifest.clone(),
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
        Ok(LoadedCatalog {
            manifest: Rc::new(manifest),
            freshness: Freshness::Loaded,
        })
    }
}
