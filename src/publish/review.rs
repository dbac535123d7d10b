//! The review queue of generated drafts: what the control worker kept for a
//! person to judge. A draft of a block that needs approval waits under
//! `tailor/{site}/pending/…`; one a guardrail refused (or the generator
//! itself) under `tailor/{site}/refused/…` with the rule it broke. Neither
//! is ever served. A reviewer lists and shows them, approves a pending one
//! (it becomes a variant of its block for exactly that segment, published
//! as a new catalog version through [`publish`]) or rejects one with a reason
//! (recorded under `tailor/{site}/rejected/{block}/{segment}`: the edge does
//! not ask the generator again for that block and segment).
//!
//! A refused draft cannot be approved: it broke a rule the catalog set, so
//! the fix is the catalog (or the generator), not an exception for one draft.
//! It can be rejected, which also dismisses it from the list.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use thiserror::Error;

use super::handler::clean_html;
use super::publisher::{live_manifest, publish, Outcome, PublishError};
use crate::catalog::source::Bundle;
use crate::catalog::{
    fragment_key, is_lower_hex, is_valid_id, pending_key, refused_key, rejected_key, sha256_hex,
    CompiledCatalog, Variant,
};
use crate::fragments::generate::{segment_hash, SEGMENT_ATTRIBUTES};
use crate::http::Response;
use crate::platform::{GenerateRequest, KvError, KvWrite, KvWriteError};
use crate::targeting::RegexEngine;

pub use super::REVIEW_INTERNAL_PATH;
pub use crate::route::REVIEW_PATH;
/// Most drafts one list shows (the oldest keys first past this are left off).
pub const MAX_LISTED: usize = 100;
/// The longest rejection reason kept.
pub const MAX_REASON_CHARS: usize = 500;

/// What a reviewer asks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase", deny_unknown_fields)]
pub enum ReviewAction {
    /// Every pending and refused draft (a struct variant, so that unknown
    /// fields are refused here too).
    List {},
    /// One draft, with the live variant it would replace for its segment.
    Show {
        /// The draft's id, as listed (`pending/cta/for-you/<hash>`).
        id: String,
    },
    /// Makes a pending draft live for its segment.
    Approve {
        /// The draft's id.
        id: String,
    },
    /// Dismisses a draft and stops generation for its block and segment.
    Reject {
        /// The draft's id.
        id: String,
        /// Why (kept with the rejection; 1-500 characters).
        reason: String,
    },
}

impl ReviewAction {
    /// Whether the action only reads.
    pub fn is_read_only(&self) -> bool {
        matches!(self, Self::List {} | Self::Show { .. })
    }
}

/// Why a review action did nothing. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ReviewError {
    /// The request is not a review action (the caller is at fault).
    #[error("not a review action: {0}")]
    BadRequest(String),
    /// The id is not a draft id (the caller is at fault).
    #[error("not a draft id: expected pending/BLOCK/VARIANT/HASH or refused/BLOCK/VARIANT/HASH")]
    BadId,
    /// No draft under that id (reviewed already, or expired).
    #[error("no draft `{0}`: it was reviewed already or has expired; list the drafts again")]
    UnknownDraft(String),
    /// The draft's stored record is unreadable (the store is at fault).
    #[error("the draft `{0}` is stored unreadably; reject it to dismiss it")]
    Corrupt(String),
    /// A refused draft cannot be approved.
    #[error("the draft broke the `{rule}` guardrail and cannot be approved; reject it, or change the block's guardrails or the generator")]
    Refused {
        /// The rule it broke.
        rule: String,
    },
    /// No live catalog, or its block is gone.
    #[error("cannot approve: {0}")]
    NoBlock(String),
    /// Publishing the approved variant failed; the live version is unchanged.
    #[error("publishing the approved variant failed: {0}")]
    Publish(PublishError),
    /// A KV read failed (platform fault; retry).
    #[error(transparent)]
    Read(#[from] KvError),
    /// A KV write failed (platform fault; retry).
    #[error(transparent)]
    Write(#[from] KvWriteError),
}

impl ReviewError {
    /// The HTTP status of this refusal.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) | Self::BadId => 400,
            Self::UnknownDraft(_) => 404,
            Self::Refused { .. } | Self::NoBlock(_) | Self::Corrupt(_) => 409,
            Self::Publish(PublishError::Invalid(_) | PublishError::WrongSite { .. }) => 409,
            Self::Publish(_) | Self::Read(_) | Self::Write(_) => 503,
        }
    }
}

/// Whether a draft waits for approval or was refused by a guardrail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DraftStatus {
    /// Its block needs approval.
    Pending,
    /// It broke a guardrail.
    Refused,
}

/// One draft in the queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Draft {
    /// Its id: the KV key after `tailor/{site}/`.
    pub id: String,
    /// Pending or refused.
    pub status: DraftStatus,
    /// The block.
    pub block: String,
    /// The variant the segment gets meanwhile (the generator's fallback).
    pub variant: String,
    /// The catalog version it was generated for.
    pub catalog_version: String,
    /// The segment's labels.
    pub segment: BTreeMap<String, String>,
    /// The draft's (sanitized) HTML.
    pub html: String,
    /// The rule it broke (refused drafts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// What broke it (refused drafts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// When it was generated or refused, Unix milliseconds.
    pub at_ms: u64,
    /// The live variant's HTML the segment sees now, when readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_html: Option<String>,
    /// The variant id an approval would publish (pending drafts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_variant: Option<String>,
}

/// The KV store a review uses, listing included.
pub trait ReviewKv: KvWrite {
    /// The keys starting with `prefix`, sorted.
    fn list_keys(&self, prefix: &str) -> impl std::future::Future<Output = Result<Vec<String>, KvError>>;
}

impl ReviewKv for crate::platform::fakes::MemoryKv {
    fn list_keys(&self, prefix: &str) -> impl std::future::Future<Output = Result<Vec<String>, KvError>> {
        std::future::ready(Ok(self
            .snapshot()
            .into_iter()
            .map(|(key, _)| key)
            .filter(|key| key.starts_with(prefix))
            .collect()))
    }
}

/// What a review needs of the control worker.
pub struct ReviewIo<'a, K> {
    /// Workers KV.
    pub kv: &'a K,
    /// The site.
    pub site: &'a str,
    /// Versions kept for rollback.
    pub retain: usize,
    /// Now, Unix milliseconds.
    pub now_ms: u64,
    /// The engine conditions compile with.
    pub regex: &'a dyn RegexEngine,
}

/// The variant id an approval publishes for `segment`.
pub fn approved_variant_id(segment: &BTreeMap<String, String>) -> String {
    let hash = segment_hash(segment);
    format!("approved-{}", hash.get(..8).unwrap_or(&hash))
}

/// The targeting condition matching exactly `segment` (GrowthBook condition
/// language): each of its attributes equals its label, and the segment
/// attributes it lacks are absent (a CTO in fintech is another segment than
/// a CTO).
pub fn segment_condition(segment: &BTreeMap<String, String>) -> Value {
    Value::Object(
        SEGMENT_ATTRIBUTES
            .iter()
            .map(|name| {
                let test = match segment.get(*name) {
                    Some(label) => Value::String(label.clone()),
                    None => json!({ "$exists": false }),
                };
                ((*name).to_owned(), test)
            })
            .collect(),
    )
}

/// Answers a review request's body (JSON `{"action": …}`).
pub async fn serve_review<K: ReviewKv>(body: &str, io: &ReviewIo<'_, K>) -> Response {
    let answer = match serde_json::from_str::<ReviewAction>(body) {
        Ok(action) => review(&action, io).await,
        // Where, not what: serde's messages quote the values they refuse.
        Err(e) => Err(ReviewError::BadRequest(format!(
            "expected {{\"action\": \"list\"|\"show\"|\"approve\"|\"reject\", \"id\", \"reason\"}} \
             (nothing else), refused at line {} column {}",
            e.line(),
            e.column()
        ))),
    };
    match answer {
        Ok(value) => Response::json(200, &value),
        Err(error) => Response::json(error.status(), &json!({ "error": error.to_string() })),
    }
}

/// Does one review action.
pub async fn review<K: ReviewKv>(action: &ReviewAction, io: &ReviewIo<'_, K>) -> Result<Value, ReviewError> {
    match action {
        ReviewAction::List {} => {
            let drafts = list(io).await?;
            Ok(json!({ "drafts": drafts }))
        }
        ReviewAction::Show { id } => {
            let draft = read(io, id).await?;
            // What an approval adds, in the catalog source's form (to keep
            // it in the source: a later push of a source without it drops it).
            let as_variant = draft.approved_variant.as_ref().map(|variant| {
                json!({ "id": variant, "when": segment_condition(&draft.segment), "html": draft.html })
            });
            Ok(json!({ "draft": draft, "as_variant": as_variant }))
        }
        ReviewAction::Approve { id } => {
            let (outcome, variant) = approve(io, id).await?;
            Ok(json!({ "status": "approved", "variant": variant, "publish": outcome }))
        }
        ReviewAction::Reject { id, reason } => {
            reject(io, id, reason).await?;
            Ok(json!({ "status": "rejected", "id": id }))
        }
    }
}

/// Every pending and refused draft, pending first, each with the live
/// variant's HTML its segment sees now.
pub async fn list<K: ReviewKv>(io: &ReviewIo<'_, K>) -> Result<Vec<Draft>, ReviewError> {
    let root = format!("tailor/{}/", io.site);
    // One read of the live catalog, and of each live fragment, for the list.
    let mut live = LiveHtml::new(io).await;
    let mut drafts = Vec::new();
    for kind in ["pending/", "refused/"] {
        for key in io.kv.list_keys(&format!("{root}{kind}")).await? {
            if drafts.len() >= MAX_LISTED {
                break;
            }
            let id = key.get(root.len()..).unwrap_or_default();
            // A draft deleted meanwhile, or unreadable, is left out.
            if let Ok(draft) = read_with(io, id, Some(&mut live)).await {
                drafts.push(draft);
            }
        }
    }
    Ok(drafts)
}

/// The parts of a draft id.
struct DraftId<'a> {
    status: DraftStatus,
    block: &'a str,
    variant: &'a str,
    hash: &'a str,
}

fn parse_id(id: &str) -> Result<DraftId<'_>, ReviewError> {
    // The id is not echoed: only ids of the grammar are ever put in an answer.
    let bad = || ReviewError::BadId;
    let mut parts = id.split('/');
    let (Some(kind), Some(block), Some(variant), Some(hash), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(bad());
    };
    let status = match kind {
        "pending" => DraftStatus::Pending,
        "refused" => DraftStatus::Refused,
        _ => return Err(bad()),
    };
    if !is_valid_id(block) || !is_valid_id(variant) || !is_lower_hex(hash, 32) {
        return Err(bad());
    }
    Ok(DraftId {
        status,
        block,
        variant,
        hash,
    })
}

fn draft_key(site: &str, id: &DraftId<'_>) -> String {
    match id.status {
        DraftStatus::Pending => pending_key(site, id.block, id.variant, id.hash),
        DraftStatus::Refused => refused_key(site, id.block, id.variant, id.hash),
    }
}

#[derive(Deserialize)]
struct Record {
    request: GenerateRequest,
    html: String,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    generated_at_ms: Option<u64>,
    #[serde(default)]
    refused_at_ms: Option<u64>,
}

/// One draft by id, with the live variant's HTML.
pub async fn read<K: ReviewKv>(io: &ReviewIo<'_, K>, id: &str) -> Result<Draft, ReviewError> {
    read_with(io, id, Some(&mut LiveHtml::new(io).await)).await
}

/// One draft by id; with `live`, the live variant's HTML too (approving
/// and rejecting do not show it, so they do not read it).
async fn read_with<K: ReviewKv>(
    io: &ReviewIo<'_, K>,
    id: &str,
    live: Option<&mut LiveHtml>,
) -> Result<Draft, ReviewError> {
    let parsed = parse_id(id)?;
    let text = io
        .kv
        .get_text(&draft_key(io.site, &parsed))
        .await?
        .ok_or_else(|| ReviewError::UnknownDraft(id.to_owned()))?;
    let record: Record = serde_json::from_str(&text).map_err(|_| ReviewError::Corrupt(id.to_owned()))?;
    let request = record.request;
    let live_html = match live {
        Some(live) => live.html(io, &request.block, &request.variant).await,
        None => None,
    };
    Ok(Draft {
        id: id.to_owned(),
        status: parsed.status,
        approved_variant: (parsed.status == DraftStatus::Pending)
            .then(|| approved_variant_id(&request.segment)),
        block: request.block,
        variant: request.variant,
        catalog_version: request.catalog_version,
        segment: request.segment,
        html: record.html,
        rule: record.rule,
        detail: record.detail,
        at_ms: record
            .generated_at_ms
            .or(record.refused_at_ms)
            .unwrap_or_default(),
        live_html,
    })
}

/// The live catalog's variants' HTML, read once each.
struct LiveHtml {
    manifest: Option<crate::catalog::Manifest>,
    fragments: BTreeMap<String, Option<String>>,
}

impl LiveHtml {
    async fn new<K: ReviewKv>(io: &ReviewIo<'_, K>) -> Self {
        Self {
            manifest: live_manifest(io.kv, io.site).await.ok().flatten(),
            fragments: BTreeMap::new(),
        }
    }

    /// The HTML of `variant` of `block` in the live catalog, if readable.
    async fn html<K: ReviewKv>(
        &mut self,
        io: &ReviewIo<'_, K>,
        block: &str,
        variant: &str,
    ) -> Option<String> {
        let hash = self
            .manifest
            .as_ref()?
            .blocks
            .get(block)?
            .variants
            .iter()
            .find(|v| v.id == variant)?
            .fragment
            .clone();
        if let Some(known) = self.fragments.get(&hash) {
            return known.clone();
        }
        let html = io.kv.get_text(&fragment_key(io.site, &hash)).await.ok().flatten();
        self.fragments.insert(hash, html.clone());
        html
    }
}

/// Approves a pending draft: a new variant of its block (`approved-…`,
/// first, with the segment's condition), published as a new catalog
/// version; then the pending draft is removed.
pub async fn approve<K: ReviewKv>(io: &ReviewIo<'_, K>, id: &str) -> Result<(Outcome, String), ReviewError> {
    let draft = read_with(io, id, None).await?;
    if draft.status == DraftStatus::Refused {
        return Err(ReviewError::Refused {
            rule: draft.rule.unwrap_or_else(|| "generator".to_owned()),
        });
    }
    let html = clean_html(&draft.html).map_err(|e| ReviewError::Corrupt(format!("{id} ({e})")))?;
    let mut manifest = live_manifest(io.kv, io.site)
        .await
        .map_err(ReviewError::Publish)?
        .ok_or_else(|| ReviewError::NoBlock("no live catalog".to_owned()))?;
    let variant_id = approved_variant_id(&draft.segment);
    let Some(block) = manifest.blocks.get_mut(&draft.block) else {
        return Err(ReviewError::NoBlock(format!(
            "block `{}` is not in the live catalog",
            draft.block
        )));
    };
    let hash = sha256_hex(html.as_bytes());
    // Approving the same segment again replaces its earlier approval.
    block.variants.retain(|v| v.id != variant_id);
    block.variants.insert(
        0,
        Variant {
            id: variant_id.clone(),
            fragment: hash.clone(),
            when: Some(segment_condition(&draft.segment)),
            generated: false,
        },
    );
    manifest.version = manifest.compute_version();
    let invalid = |e| ReviewError::Publish(PublishError::Invalid(vec![e]));
    manifest.validate().map_err(invalid)?;
    CompiledCatalog::compile(Rc::new(manifest.clone()), io.regex).map_err(invalid)?;
    let bundle = Bundle {
        manifest,
        fragments: [(hash, html)].into(),
    };
    let outcome = publish(io.kv, io.site, &bundle, io.retain, io.now_ms)
        .await
        .map_err(ReviewError::Publish)?;
    let parsed = parse_id(id)?;
    io.kv.delete_key(&draft_key(io.site, &parsed)).await?;
    Ok((outcome, variant_id))
}

/// Rejects a draft: records why for its block and segment (the edge stops
/// asking the generator for them), then removes the draft.
pub async fn reject<K: ReviewKv>(io: &ReviewIo<'_, K>, id: &str, reason: &str) -> Result<(), ReviewError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(ReviewError::BadRequest(format!(
            "a rejection needs a reason of 1-{MAX_REASON_CHARS} characters"
        )));
    }
    let draft = read_with(io, id, None).await?;
    let record = json!({
        "block": draft.block,
        "segment": draft.segment,
        "reason": reason,
        "draft": draft.id,
        "html": draft.html,
        "rejected_at_ms": io.now_ms,
    });
    let key = rejected_key(io.site, &draft.block, &segment_hash(&draft.segment));
    io.kv.put_text(&key, &record.to_string(), None).await?;
    let parsed = parse_id(id)?;
    io.kv.delete_key(&draft_key(io.site, &parsed)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_ids_name_a_kind_a_block_a_variant_and_a_hash() {
        let hash = "0123456789abcdef0123456789abcdef";
        assert!(parse_id(&format!("pending/cta/for-you/{hash}")).is_ok());
        assert!(parse_id(&format!("refused/hero/default/{hash}")).is_ok());
        for bad in [
            String::new(),
            format!("rejected/cta/for-you/{hash}"),
            format!("pending/cta/{hash}"),
            format!("pending/cta/for-you/{hash}/x"),
            format!("pending/../for-you/{hash}"),
            "pending/cta/for-you/XYZ".to_owned(),
        ] {
            assert!(matches!(parse_id(&bad), Err(ReviewError::BadId)), "{bad}");
        }
    }

    #[test]
    fn the_condition_matches_exactly_the_segments_labels() {
        let segment: BTreeMap<String, String> = [
            ("industry".into(), "fintech".into()),
            ("role".into(), "cto".into()),
        ]
        .into();
        assert_eq!(
            segment_condition(&segment),
            json!({
                "industry": "fintech",
                "role": "cto",
                "company_size": { "$exists": false },
                "lifecycle": { "$exists": false }
            })
        );
        assert!(approved_variant_id(&segment).starts_with("approved-"));
        assert_eq!(approved_variant_id(&segment).len(), "approved-".len() + 8);
    }
}
