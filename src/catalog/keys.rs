//! KV key names. One place, so the publisher and the edge never disagree.

/// The key of the pointer that names a site's live manifest.
pub fn pointer_key(site: &str) -> String {
    format!("tailor/{site}/live")
}

/// The key of one immutable manifest version.
pub fn manifest_key(site: &str, version: &str) -> String {
    format!("tailor/{site}/manifest/{version}")
}

/// The key of one immutable, content-addressed fragment.
pub fn fragment_key(site: &str, sha256_hex: &str) -> String {
    format!("tailor/{site}/fragment/{sha256_hex}")
}

/// The key of a site's publish history (the retained versions, newest first).
pub fn history_key(site: &str) -> String {
    format!("tailor/{site}/history")
}

/// The key that marks a push request id as used (expires after the
/// signature window).
pub fn push_request_key(site: &str, id: &str) -> String {
    format!("tailor/{site}/push/{id}")
}

/// The key of a generated fragment kept for review (its block needs
/// approval): block, variant and a hash of the segment and version.
pub fn pending_key(site: &str, block: &str, variant: &str, segment_hash: &str) -> String {
    format!("tailor/{site}/pending/{block}/{variant}/{segment_hash}")
}

/// The key of a generated draft refused by one of its block's guardrails
/// (kept for review with the rule it broke): block, variant and a hash of
/// the segment and version, like [`pending_key`].
pub fn refused_key(site: &str, block: &str, variant: &str, segment_hash: &str) -> String {
    format!("tailor/{site}/refused/{block}/{variant}/{segment_hash}")
}

/// The key of a reviewer's rejection of generated drafts for one segment of
/// a block (`tailor review reject`): while it exists, the edge does not ask
/// the generator for that block and segment, whatever the catalog version.
pub fn rejected_key(site: &str, block: &str, segment_hash: &str) -> String {
    format!("tailor/{site}/rejected/{block}/{segment_hash}")
}
