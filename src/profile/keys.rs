//! Signing keys: secrets from configuration, one key derived per purpose.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Shortest secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
const SALT: &[u8] = b"tailor-v1";

/// What a derived key is for. The same secret yields unrelated keys for
/// different purposes, so a tag made for one never verifies for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The origin-minted profile cookie.
    ProfileCookie,
    /// The profile cookie the preview UI sets (`TAILOR_PREVIEW_KEY`).
    PreviewProfile,
    /// The preview UI's forced variants.
    PreviewForce,
    /// A browser's preview session in production (the key was presented).
    PreviewSession,
    /// The edge's own state cookie (behavioral signals).
    EdgeState,
    /// The edge's pseudonymous id cookie.
    EdgeId,
}

impl Purpose {
    fn info(self) -> &'static [u8] {
        match self {
            Self::ProfileCookie => b"tailor profile-cookie",
            Self::PreviewProfile => b"tailor preview-profile",
            Self::PreviewForce => b"tailor preview-force",
            Self::PreviewSession => b"tailor preview-session",
            Self::EdgeState => b"tailor edge-state",
            Self::EdgeId => b"tailor edge-id",
        }
    }
}

/// One key: its id and the key derived for a purpose.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    /// The key id written into cookies.
    pub kid: String,
    derived: [u8; 32],
}

impl std::fmt::Debug for Key {
    // Never print key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// Derives the key for `purpose` from a base64url secret.
    pub fn derive(kid: &str, secret_b64: &str, purpose: Purpose) -> Result<Self, KeyError> {
        if !is_kid(kid) {
            return Err(KeyError::BadKid(kid.chars().take(16).collect()));
        }
        let secret = URL_SAFE_NO_PAD
            .decode(secret_b64.trim_end_matches('='))
            .map_err(|_| KeyError::NotBase64(kid.to_owned()))?;
        if secret.len() < MIN_SECRET_BYTES {
            return Err(KeyError::TooShort(kid.to_owned()));
        }
        let mut derived = [0u8; 32];
        Hkdf::<Sha256>::new(Some(SALT), &secret)
            .expand(purpose.info(), &mut derived)
            .map_err(|_| KeyError::NotBase64(kid.to_owned()))?;
        Ok(Self {
            kid: kid.to_owned(),
            derived,
        })
    }

    /// The derived key bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.derived
    }

    /// The base64url (unpadded) HMAC-SHA256 tag of `text` for a cookie named
    /// `name`: the MAC covers `name`, a line feed, then `text`, so a value can
    /// never be replayed under another cookie name. Every signed cookie of
    /// Tailor uses this one construction.
    pub fn tag(&self, name: &str, text: &str) -> String {
        // HMAC accepts keys of any length, so this cannot fail (and no input reaches it).
        #[allow(clippy::expect_used)]
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.derived).expect("HMAC takes any key length");
        mac.update(name.as_bytes());
        mac.update(b"\n");
        mac.update(text.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Whether `received` is [`Key::tag`] of `text`, compared as text in
    /// constant time (a tag differing only in base64's unused trailing bits
    /// is refused too).
    pub fn tag_matches(&self, name: &str, text: &str, received: &str) -> bool {
        bool::from(self.tag(name, text).as_bytes().ct_eq(received.as_bytes()))
    }
}

/// Key ids: `[a-z0-9]{1,16}`.
pub fn is_kid(kid: &str) -> bool {
    (1..=16).contains(&kid.len()) && kid.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// A key that cannot be used. The operator is at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The id is not `[a-z0-9]{1,16}`.
    #[error("key id `{0}` must be 1-16 of a-z 0-9")]
    BadKid(String),
    /// The secret is not base64url.
    #[error("secret of key `{0}` is not base64url")]
    NotBase64(String),
    /// The secret is shorter than 32 bytes.
    #[error("secret of key `{0}` is shorter than 32 bytes")]
    TooShort(String),
    /// An entry is not `kid:secret`.
    #[error("key entry {0} is not `kid:secret`")]
    Shape(usize),
}

/// The keys accepted for one purpose; the first is the current signing key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRing {
    keys: Vec<Key>,
}

impl KeyRing {
    /// Parses `kid:secret` pairs separated by spaces or commas. Unusable
    /// entries are skipped and reported; the rest still work.
    pub fn parse(config: &str, purpose: Purpose) -> (Self, Vec<KeyError>) {
        let mut keys = Vec::new();
        let mut errors = Vec::new();
        let entries = config
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty());
        for (n, entry) in entries.enumerate() {
            match entry.split_once(':') {
                Some((kid, secret)) => match Key::derive(kid, secret, purpose) {
                    Ok(key) => keys.push(key),
                    Err(e) => errors.push(e),
                },
                None => errors.push(KeyError::Shape(n + 1)),
            }
        }
        (Self { keys }, errors)
    }

    /// A ring of the given keys.
    pub fn from_keys(keys: Vec<Key>) -> Self {
        Self { keys }
    }

    /// The key with this id.
    pub fn get(&self, kid: &str) -> Option<&Key> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The current signing key.
    pub fn current(&self) -> Option<&Key> {
        self.keys.first()
    }

    /// Whether no key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

    #[test]
    fn rings_parse_pairs_and_report_unusable_entries_without_values() {
        let (ring, errors) = KeyRing::parse(
            &format!("k2:{SECRET}, k1:{SECRET} bad k0:c2hvcnQ"),
            Purpose::ProfileCookie,
        );
        assert_eq!(ring.current().unwrap().kid, "k2");
        assert!(ring.get("k1").is_some());
        assert_eq!(errors, vec![KeyError::Shape(3), KeyError::TooShort("k0".into())]);
        assert!(!format!("{:?}", ring).contains(SECRET));
    }

    #[test]
    fn derived_keys_depend_on_the_secret() {
        let a = Key::derive("k1", SECRET, Purpose::ProfileCookie).unwrap();
        let other = "HwECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
        let b = Key::derive("k1", other, Purpose::ProfileCookie).unwrap();
        assert_ne!(a.bytes(), b.bytes());
    }
}
