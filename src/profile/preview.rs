//! Preview: the cookies the preview UI sets, all signed with keys derived from
//! `TAILOR_PREVIEW_KEY` and honoured only on requests where preview is on.
//!
//! - `tailor_preview`: a profile cookie (the same v1 format) signed with the
//!   preview-profile key: "show me the site as this visitor".
//! - `tailor_force`: forced variants, `v1.<block>~<variant>|….<tag>`.
//! - `tailor_preview_session`: proof that this browser presented the preview
//!   key (production, where preview is off unless the key is presented).
//!
//! And one cookie for visitors: `tailor_optout=1`, set by the "why am I seeing
//! this?" page, honoured like consent off.

use std::collections::BTreeMap;

use subtle::ConstantTimeEq;

use super::keys::{Key, Purpose};
use super::payload::is_label;

/// The preview UI's profile cookie.
pub const PREVIEW_PROFILE_COOKIE: &str = "tailor_preview";
/// The preview UI's forced variants.
pub const FORCE_COOKIE: &str = "tailor_force";
/// A preview session (the key was presented).
pub const SESSION_COOKIE: &str = "tailor_preview_session";
/// The visitor's opt-out from personalization.
pub use crate::consent::OPT_OUT_COOKIE;
/// Most forced blocks in one token.
pub const MAX_FORCED: usize = 32;

/// The keys derived from `TAILOR_PREVIEW_KEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewKeys {
    /// Signs preview profile cookies (kid `preview`).
    pub profile: Key,
    force: Key,
    session: Key,
    /// The raw key as configured, to compare with a presented one.
    presented_form: String,
}

fn same(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl PreviewKeys {
    /// Derives the preview keys from the configured secret.
    pub fn derive(secret: &str) -> Result<Self, super::KeyError> {
        Ok(Self {
            profile: Key::derive("preview", secret, Purpose::PreviewProfile)?,
            force: Key::derive("preview", secret, Purpose::PreviewForce)?,
            session: Key::derive("preview", secret, Purpose::PreviewSession)?,
            presented_form: secret.to_owned(),
        })
    }

    /// Whether `presented` is the preview key (constant time).
    pub fn is_key(&self, presented: &str) -> bool {
        same(presented, &self.presented_form)
    }

    /// The session cookie's value.
    pub fn session_token(&self) -> String {
        format!("v1.{}", self.session.tag(SESSION_COOKIE, "session"))
    }

    /// Whether a session cookie value is genuine.
    pub fn is_session(&self, value: &str) -> bool {
        same(value, &self.session_token())
    }

    /// Signs forced variants (block → variant).
    pub fn sign_forced(&self, forced: &BTreeMap<String, String>) -> String {
        let payload: Vec<String> = forced
            .iter()
            .filter(|(b, v)| is_name(b) && is_name(v))
            .take(MAX_FORCED)
            .map(|(b, v)| format!("{b}~{v}"))
            .collect();
        let payload = payload.join("|");
        format!("v1.{payload}.{}", self.force.tag(FORCE_COOKIE, &payload))
    }

    /// Reads forced variants; anything not genuine means none.
    pub fn verify_forced(&self, value: &str) -> BTreeMap<String, String> {
        let mut forced = BTreeMap::new();
        let mut parts = value.split('.');
        let (Some("v1"), Some(payload), Some(received), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return forced;
        };
        if value.len() > 4096 || !self.force.tag_matches(FORCE_COOKIE, payload, received) {
            return forced;
        }
        for pair in payload.split('|').filter(|p| !p.is_empty()).take(MAX_FORCED) {
            if let Some((block, variant)) = pair.split_once('~') {
                if is_name(block) && is_name(variant) {
                    forced.insert(block.to_owned(), variant.to_owned());
                }
            }
        }
        forced
    }
}

/// Block names and variant ids (the catalog's id grammar).
fn is_name(s: &str) -> bool {
    crate::validation::is_valid_id(s) || is_label(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "cHJldmlldy1rZXktZm9yLXRlc3RzLW9ubHktMzItYnl0ZXM";

    #[test]
    fn forced_variants_round_trip_and_tampering_means_none() {
        let keys = PreviewKeys::derive(SECRET).unwrap();
        let forced: BTreeMap<String, String> = [("hero".to_owned(), "developer".to_owned())].into();
        let token = keys.sign_forced(&forced);
        assert_eq!(keys.verify_forced(&token), forced);
        assert!(keys.verify_forced(&token.replace("developer", "smb")).is_empty());
        let other = PreviewKeys::derive("b3RoZXIta2V5LWZvci10ZXN0cy1vbmx5LTMyLWJ5dGVzISE").unwrap();
        assert!(
            other.verify_forced(&token).is_empty(),
            "another key's token is not honoured"
        );
    }

    #[test]
    fn sessions_and_presented_keys_are_checked() {
        let keys = PreviewKeys::derive(SECRET).unwrap();
        assert!(keys.is_session(&keys.session_token()));
        assert!(!keys.is_session("v1.forged"));
        assert!(keys.is_key(SECRET));
        assert!(!keys.is_key("guess"));
    }
}
