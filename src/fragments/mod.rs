//! Fragments: content-addressed HTML, looked up in isolate memory (bounded
//! by bytes), then the per-location Cache API, then KV. A fragment read from
//! KV is checked against its hash before use, so a corrupt value never
//! reaches a page, and is then cached at the location after the response.
//! Generated fragments ([`generate`]) add the origin's generator behind
//! the caches.

pub mod generate;
mod memory;

pub use memory::{FragmentCache, DEFAULT_FRAGMENT_CACHE_BYTES};

use std::rc::Rc;

use futures_util::future::join_all;

use crate::budget::Deadline;
use crate::catalog::{fragment_key, sha256_hex};
use crate::platform::{Cache, Kv, Platform};

/// Default Cache API lifetime of a fragment (`TAILOR_FRAGMENT_TTL_S`).
pub const DEFAULT_FRAGMENT_TTL_S: u32 = 300;

/// One published fragment a page needs.
#[derive(Debug, Clone, Copy)]
pub struct FragmentRef<'a> {
    /// The block.
    pub block: &'a str,
    /// The variant.
    pub variant: &'a str,
    /// The fragment's SHA-256 (its KV key).
    pub hash: &'a str,
}

/// What a page's fragment lookups share: the site and catalog version they
/// belong to, the isolate's memory, and how long the Cache API keeps them.
#[derive(Clone, Copy)]
pub struct FragmentScope<'a> {
    /// The site.
    pub site: &'a str,
    /// The catalog version (part of the Cache API key).
    pub version: &'a str,
    /// Isolate memory.
    pub memory: &'a FragmentCache,
    /// Cache API lifetime, seconds.
    pub ttl_s: u32,
}

/// The Cache API key of a published fragment: block, variant, catalog
/// version and content hash, never a visitor.
pub fn cache_key(site: &str, version: &str, fragment: &FragmentRef<'_>) -> String {
    format!(
        "https://tailor.internal/{site}/fragment/{}/{}/{version}/{}",
        fragment.block, fragment.variant, fragment.hash
    )
}

/// Where a fragment came from, or why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FragmentSource {
    /// Isolate memory.
    Memory,
    /// The Cache API.
    Cache,
    /// Workers KV.
    Kv,
}

/// Why a fragment could not be served; the block keeps the origin's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FragmentMiss {
    /// KV has no value under the fragment's key.
    Missing,
    /// The value does not hash to its key.
    Corrupt,
    /// KV failed.
    KvError,
    /// KV did not answer within the budget.
    Timeout,
}

impl FragmentMiss {
    /// A short, fixed label for diagnostics.
    pub fn label(self) -> &'static str {
        match self {
            Self::Missing => "fragment-missing",
            Self::Corrupt => "fragment-corrupt",
            Self::KvError => "fragment-kv-error",
            Self::Timeout => "fragment-timeout",
        }
    }
}

/// Looks up each fragment in memory, the Cache API, then KV, all at once;
/// answers in the order asked.
pub async fn fetch_all<P: Platform>(
    fragments: &[FragmentRef<'_>],
    deadline: &Deadline,
    scope: FragmentScope<'_>,
    platform: &P,
) -> Vec<Result<(Rc<str>, FragmentSource), FragmentMiss>> {
    join_all(
        fragments
            .iter()
            .map(|fragment| fetch_one(fragment, deadline, scope, platform)),
    )
    .await
}

async fn fetch_one<P: Platform>(
    fragment: &FragmentRef<'_>,
    deadline: &Deadline,
    scope: FragmentScope<'_>,
    platform: &P,
) -> Result<(Rc<str>, FragmentSource), FragmentMiss> {
    let hash = fragment.hash;
    if let Some(html) = scope.memory.get(hash) {
        return Ok((html, FragmentSource::Memory));
    }
    let (clock, timer) = (platform.clock(), platform.timer());
    let key = cache_key(scope.site, scope.version, fragment);
    // A cache that fails or is late is a miss, not an error.
    if let Ok(Some(html)) = deadline.run(clock, timer, platform.cache().get_text(&key)).await {
        if sha256_hex(html.as_bytes()) == hash {
            return Ok((scope.memory.insert(hash, html), FragmentSource::Cache));
        }
    }
    let kv_key = fragment_key(scope.site, hash);
    let html = match deadline.run(clock, timer, platform.kv().get_text(&kv_key)).await {
        Err(_) => return Err(FragmentMiss::Timeout),
        Ok(Err(_)) => return Err(FragmentMiss::KvError),
        Ok(Ok(None)) => return Err(FragmentMiss::Missing),
        Ok(Ok(Some(html))) => html,
    };
    if sha256_hex(html.as_bytes()) != hash {
        return Err(FragmentMiss::Corrupt);
    }
    let (later, ttl_s, value) = (platform.clone(), scope.ttl_s, html.clone());
    platform.spawn(Box::pin(async move {
        later.cache().put_text(&key, &value, ttl_s).await;
    }));
    Ok((scope.memory.insert(hash, html), FragmentSource::Kv))
}
