//! Fragments: content-addressed HTML, kept in isolate memory (bounded by
//! bytes) in front of KV. A fragment read from KV is checked against its hash
//! before use, so a corrupt value never reaches a page.

mod memory;

pub use memory::{FragmentCache, DEFAULT_FRAGMENT_CACHE_BYTES};

use std::rc::Rc;

use futures_util::future::join_all;

use crate::budget::Deadline;
use crate::catalog::{fragment_key, sha256_hex};
use crate::platform::{Clock, Kv, Timer};

/// Where a fragment came from, or why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FragmentSource {
    /// Isolate memory.
    Memory,
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

/// Looks up each fragment (by SHA-256) in memory, then KV, all at once;
/// answers in the order asked.
pub async fn fetch_all<K: Kv, C: Clock, T: Timer>(
    hashes: &[&str],
    site: &str,
    cache: &FragmentCache,
    deadline: &Deadline,
    kv: &K,
    clock: &C,
    timer: &T,
) -> Vec<Result<(Rc<str>, FragmentSource), FragmentMiss>> {
    join_all(
        hashes
            .iter()
            .map(|hash| fetch_one(hash, site, cache, deadline, kv, clock, timer)),
    )
    .await
}

async fn fetch_one<K: Kv, C: Clock, T: Timer>(
    hash: &str,
    site: &str,
    cache: &FragmentCache,
    deadline: &Deadline,
    kv: &K,
    clock: &C,
    timer: &T,
) -> Result<(Rc<str>, FragmentSource), FragmentMiss> {
    if let Some(html) = cache.get(hash) {
        return Ok((html, FragmentSource::Memory));
    }
    let key = fragment_key(site, hash);
    let html = match deadline.run(clock, timer, kv.get_text(&key)).await {
        Err(_) => return Err(FragmentMiss::Timeout),
        Ok(Err(_)) => return Err(FragmentMiss::KvError),
        Ok(Ok(None)) => return Err(FragmentMiss::Missing),
        Ok(Ok(Some(html))) => html,
    };
    if sha256_hex(html.as_bytes()) != hash {
        return Err(FragmentMiss::Corrupt);
    }
    Ok((cache.insert(hash, html), FragmentSource::Kv))
}
