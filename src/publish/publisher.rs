//! Atomic publish and rollback on KV.
//!
//! A publish writes the content-addressed fragments, then the manifest, then
//! flips the pointer: a reader that follows the pointer finds a complete
//! version or (under KV's eventual consistency) keeps its last good one, so a
//! half-finished publish is never visible. Versions are content hashes, so
//! publishing the same set twice changes nothing. The history names the
//! retained versions; rollback points back to one of them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::catalog::source::Bundle;
use crate::catalog::{
    fragment_key, history_key, manifest_key, pointer_key, Manifest, Pointer, ValidationError, MANIFEST_SCHEMA,
};
use crate::platform::{KvError, KvWrite, KvWriteError};

/// Default number of versions kept for rollback.
pub const DEFAULT_RETAIN: usize = 10;
const MAX_HISTORY_BYTES: usize = 64 * 1024;

/// One retained version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retained {
    /// The manifest version.
    pub version: String,
    /// When it was published, Unix milliseconds.
    pub published_at_ms: u64,
}

/// The publisher's record of retained versions, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// Retained versions, newest first.
    pub versions: Vec<Retained>,
}

/// What a publish or rollback did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// `published`, `unchanged` or `rolled-back`.
    pub status: &'static str,
    /// The live version now.
    pub version: String,
    /// The version that was live before, if any.
    pub previous: Option<String>,
    /// The retained versions, newest first.
    pub retained: Vec<String>,
    /// Housekeeping that failed after the new version went live (it stays live).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Why a publish or rollback did not happen. Nothing was made live.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PublishError {
    /// The set breaks the catalog's rules (the publisher is at fault).
    #[error("the catalog is invalid")]
    Invalid(Vec<ValidationError>),
    /// The set is for another site than this worker serves.
    #[error("this worker publishes site `{expected}`, not `{got}`")]
    WrongSite {
        /// The configured site.
        expected: String,
        /// The site the set names.
        got: String,
    },
    /// A rollback names a version that is not retained.
    #[error("version `{0}` is not retained; see `retained` for the versions a rollback can reach")]
    NotRetained(String, Vec<String>),
    /// A rollback's version cannot be read whole (yet).
    #[error("version `{version}` cannot be restored: {reason}")]
    Incomplete {
        /// The version.
        version: String,
        /// What is missing or wrong.
        reason: String,
    },
    /// A KV read failed (platform fault; retry).
    #[error(transparent)]
    Read(#[from] KvError),
    /// A KV write failed before the pointer moved (platform fault; retry).
    #[error("{0}; the live version is unchanged")]
    Write(#[from] KvWriteError),
}

/// Days of counts the loop's posteriors are made of by default
/// (`TAILOR_LOOP_WINDOW_DAYS`): old enough evidence is forgotten, so the
/// bandit follows drift.
pub const DEFAULT_LOOP_WINDOW_DAYS: u32 = 14;

/// Makes `bundle` the live catalog of `site`, keeping at most `retain`
/// versions (the live one always among them).
pub async fn publish<K: KvWrite>(
    kv: &K,
    site: &str,
    bundle: &Bundle,
    retain: usize,
    now_ms: u64,
) -> Result<Outcome, PublishError> {
    if bundle.manifest.site != site {
        return Err(PublishError::WrongSite {
            expected: site.to_owned(),
            got: bundle.manifest.site.clone(),
        });
    }
    let version = &bundle.manifest.version;
    let previous = live_version(kv, site).await?;
    let mut history = read_history(kv, site).await?;
    if previous.as_deref() == Some(version.as_str()) {
        return Ok(Outcome {
            status: "unchanged",
            version: version.clone(),
            previous,
            retained: history.names(),
            warnings: Vec::new(),
        });
    }
    for (hash, html) in &bundle.fragments {
        put_if_changed(kv, &fragment_key(site, hash), html).await?;
    }
    // Plain data with string keys: serialization cannot fail.
    let manifest = serde_json::to_string(&bundle.manifest).unwrap_or_default();
    put_if_changed(kv, &manifest_key(site, version), &manifest).await?;
    set_pointer(kv, site, version).await?;

    // The new version is live; what follows is housekeeping.
    let mut warnings = Vec::new();
    history.versions.retain(|r| &r.version != version);
    history.versions.insert(
        0,
        Retained {
            version: version.clone(),
            published_at_ms: now_ms,
        },
    );
    let dropped = history.truncate(retain.max(1), version);
    if let Err(e) = write_history(kv, site, &history).await {
        warnings.push(e.to_string());
    }
    if let Err(e) = prune(kv, site, &history, &dropped).await {
        warnings.push(e);
    }
    Ok(Outcome {
        status: "published",
        version: version.clone(),
        previous,
        retained: history.names(),
        warnings,
    })
}

/// Points `site`'s live catalog back at a retained `version`, after checking
/// that its manifest and every fragment can be read here.
pub async fn rollback<K: KvWrite>(kv: &K, site: &str, version: &str) -> Result<Outcome, PublishError> {
    let history = read_history(kv, site).await?;
    if !history.versions.iter().any(|r| r.version == version) {
        return Err(PublishError::NotRetained(version.to_owned(), history.names()));
    }
    let previous = live_version(kv, site).await?;
    let incomplete = |reason: String| PublishError::Incomplete {
        version: version.to_owned(),
        reason,
    };
    let text = kv
        .get_text(&manifest_key(site, version))
        .await?
        .ok_or_else(|| incomplete("its manifest is missing".to_owned()))?;
    let manifest = Manifest::parse(&text, site).map_err(|e| incomplete(e.to_string()))?;
    for hash in fragments_of(&manifest) {
        if kv.get_text(&fragment_key(site, &hash)).await?.is_none() {
            return Err(incomplete(format!("fragment {hash} is missing")));
        }
    }
    let status = if previous.as_deref() == Some(version) {
        "unchanged"
    } else {
        set_pointer(kv, site, version).await?;
        "rolled-back"
    };
    Ok(Outcome {
        status,
        version: version.to_owned(),
        previous,
        retained: history.names(),
        warnings: Vec::new(),
    })
}

impl History {
    fn names(&self) -> Vec<String> {
        self.versions.iter().map(|r| r.version.clone()).collect()
    }

    /// Keeps the newest `retain` versions plus `live`; returns the dropped ones.
    fn truncate(&mut self, retain: usize, live: &str) -> Vec<String> {
        let mut kept = 0;
        let mut dropped = Vec::new();
        self.versions.retain(|r| {
            let keep = kept < retain || r.version == live;
            if keep {
                kept += 1;
            } else {
                dropped.push(r.version.clone());
            }
            keep
        });
        dropped
    }
}

/// The live manifest of `site`, if one is published (and readable whole).
pub async fn live_manifest<K: KvWrite>(kv: &K, site: &str) -> Result<Option<Manifest>, PublishError> {
    let Some(version) = live_version(kv, site).await? else {
        return Ok(None);
    };
    let text = kv.get_text(&manifest_key(site, &version)).await?;
    Ok(text.and_then(|t| Manifest::parse(&t, site).ok()))
}

async fn live_version<K: KvWrite>(kv: &K, site: &str) -> Result<Option<String>, PublishError> {
    let key = pointer_key(site);
    Ok(kv
        .get_text(&key)
        .await?
        .and_then(|text| Pointer::parse(&text).ok())
        .map(|p| p.version))
}

async fn set_pointer<K: KvWrite>(kv: &K, site: &str, version: &str) -> Result<(), KvWriteError> {
    let pointer = Pointer {
        schema: MANIFEST_SCHEMA,
        version: version.to_owned(),
    };
    let text = serde_json::to_string(&pointer).unwrap_or_default();
    kv.put_text(&pointer_key(site), &text, None).await
}

/// A missing or unreadable history starts afresh: it only drives retention.
async fn read_history<K: KvWrite>(kv: &K, site: &str) -> Result<History, PublishError> {
    let text = kv.get_text(&history_key(site)).await?;
    Ok(text
        .filter(|t| t.len() <= MAX_HISTORY_BYTES)
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

async fn write_history<K: KvWrite>(kv: &K, site: &str, history: &History) -> Result<(), KvWriteError> {
    let text = serde_json::to_string(history).unwrap_or_default();
    kv.put_text(&history_key(site), &text, None).await
}

/// Content-addressed values never change, so an identical one is not
/// rewritten (KV allows one write per second per key).
async fn put_if_changed<K: KvWrite>(kv: &K, key: &str, value: &str) -> Result<(), PublishError> {
    if kv.get_text(key).await?.as_deref() == Some(value) {
        return Ok(());
    }
    Ok(kv.put_text(key, value, None).await?)
}

fn fragments_of(manifest: &Manifest) -> BTreeSet<String> {
    manifest
        .blocks
        .values()
        .flat_map(|b| b.variants.iter().map(|v| v.fragment.clone()))
        .collect()
}

/// Deletes the dropped manifests and the fragments no retained manifest
/// uses. If any retained manifest cannot be read, no fragment is deleted.
async fn prune<K: KvWrite>(kv: &K, site: &str, history: &History, dropped: &[String]) -> Result<(), String> {
    if dropped.is_empty() {
        return Ok(());
    }
    let mut kept = BTreeSet::new();
    for retained in &history.versions {
        let text = kv
            .get_text(&manifest_key(site, &retained.version))
            .await
            .map_err(|e| format!("pruning stopped: {e}"))?;
        let manifest = text.and_then(|t| Manifest::parse(&t, site).ok()).ok_or_else(|| {
            format!(
                "pruning stopped: retained version {} is unreadable",
                retained.version
            )
        })?;
        kept.extend(fragments_of(&manifest));
    }
    for version in dropped {
        let key = manifest_key(site, version);
        let text = kv.get_text(&key).await.map_err(|e| e.to_string())?;
        if let Some(manifest) = text.and_then(|t| Manifest::parse(&t, site).ok()) {
            for hash in fragments_of(&manifest).difference(&kept) {
                kv.delete_key(&fragment_key(site, hash))
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        kv.delete_key(&key).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use futures_executor::block_on;

    use super::*;
    use crate::platform::fakes::MemoryKv;

    fn bundle(headline: &str) -> Bundle {
        let source = serde_json::json!({
            "site": "demo",
            "blocks": { "hero": {
                "default": "default",
                "variants": [
                    { "id": "default", "html": "<h1>Shared</h1>" },
                    { "id": "cto", "html": format!("<h1>{headline}</h1>"), "when": { "role": "cto" } }
                ]
            }}
        });
        Bundle::from_source(&source.to_string(), |_| Err(String::new())).unwrap()
    }

    fn live(kv: &MemoryKv) -> String {
        block_on(live_version(kv, "demo")).unwrap().unwrap()
    }

    #[test]
    fn a_publish_writes_fragments_then_the_manifest_then_the_pointer() {
        let kv = MemoryKv::new();
        let b = bundle("A");
        let outcome = block_on(publish(&kv, "demo", &b, 3, 1)).unwrap();
        assert_eq!(outcome.status, "published");
        assert_eq!(outcome.previous, None);
        let writes = kv.writes();
        let pointer_at = writes.iter().position(|k| k == "tailor/demo/live").unwrap();
        let manifest_at = writes.iter().position(|k| k.contains("/manifest/")).unwrap();
        assert!(writes[..manifest_at].iter().all(|k| k.contains("/fragment/")));
        assert_eq!(manifest_at + 1, pointer_at);
        assert_eq!(writes.iter().filter(|k| k.contains("/fragment/")).count(), 2);
        assert_eq!(live(&kv), b.manifest.version);
    }

    #[test]
    fn publishing_the_same_set_twice_writes_nothing_the_second_time() {
        let kv = MemoryKv::new();
        block_on(publish(&kv, "demo", &bundle("A"), 3, 1)).unwrap();
        let before = kv.writes().len();
        let outcome = block_on(publish(&kv, "demo", &bundle("A"), 3, 2)).unwrap();
        assert_eq!(outcome.status, "unchanged");
        assert_eq!(kv.writes().len(), before);
    }

    #[test]
    fn a_write_failure_before_the_pointer_leaves_the_live_version() {
        let kv = MemoryKv::new();
        let a = bundle("A");
        block_on(publish(&kv, "demo", &a, 3, 1)).unwrap();
        kv.fail_writes("tailor/demo/manifest/");
        let err = block_on(publish(&kv, "demo", &bundle("B"), 3, 2)).unwrap_err();
        assert!(matches!(err, PublishError::Write(_)), "{err:?}");
        assert_eq!(live(&kv), a.manifest.version);
    }

    #[test]
    fn only_the_newest_versions_are_retained_and_unused_fragments_go_with_them() {
        let kv = MemoryKv::new();
        let versions: Vec<String> = ["A", "B", "C", "D"]
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let b = bundle(h);
                block_on(publish(&kv, "demo", &b, 2, i as u64)).unwrap();
                b.manifest.version
            })
            .collect();
        let outcome = block_on(publish(&kv, "demo", &bundle("E"), 2, 9)).unwrap();
        assert_eq!(outcome.retained.len(), 2);
        assert_eq!(outcome.retained[1], versions[3]);
        let keys: Vec<String> = kv.snapshot().into_iter().map(|(k, _)| k).collect();
        for old in &versions[..3] {
            assert!(!keys.contains(&manifest_key("demo", old)), "{old} still stored");
        }
        // Two versions, each with its own headline, plus the shared default.
        assert_eq!(keys.iter().filter(|k| k.contains("/fragment/")).count(), 3);
    }

    #[test]
    fn rollback_restores_a_retained_version_and_refuses_others() {
        let kv = MemoryKv::new();
        let a = bundle("A");
        let b = bundle("B");
        block_on(publish(&kv, "demo", &a, 3, 1)).unwrap();
        block_on(publish(&kv, "demo", &b, 3, 2)).unwrap();
        let outcome = block_on(rollback(&kv, "demo", &a.manifest.version)).unwrap();
        assert_eq!(outcome.status, "rolled-back");
        assert_eq!(outcome.previous.as_deref(), Some(b.manifest.version.as_str()));
        assert_eq!(live(&kv), a.manifest.version);
        let err = block_on(rollback(&kv, "demo", "v-0000000000000000")).unwrap_err();
        assert!(matches!(err, PublishError::NotRetained(..)));
        assert_eq!(live(&kv), a.manifest.version);
    }

    #[test]
    fn rollback_refuses_a_version_whose_fragments_are_gone() {
        let kv = MemoryKv::new();
        let a = bundle("A");
        block_on(publish(&kv, "demo", &a, 3, 1)).unwrap();
        block_on(publish(&kv, "demo", &bundle("B"), 3, 2)).unwrap();
        let cto = &a.manifest.blocks["hero"].variants[1].fragment;
        kv.delete(&fragment_key("demo", cto));
        let err = block_on(rollback(&kv, "demo", &a.manifest.version)).unwrap_err();
        assert!(matches!(err, PublishError::Incomplete { .. }), "{err:?}");
    }

    #[test]
    fn a_set_for_another_site_is_refused() {
        let kv = MemoryKv::new();
        let err = block_on(publish(&kv, "shop", &bundle("A"), 3, 1)).unwrap_err();
        assert!(matches!(err, PublishError::WrongSite { .. }));
        assert!(kv.writes().is_empty());
    }
}
