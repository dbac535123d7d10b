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
