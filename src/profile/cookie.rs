//! Signing and verifying the profile cookie, in the specified order:
//! size cap → shape → version → key id → constant-time tag compare → parse →
//! time. See `docs/profile-cookie.md`.

use super::keys::{is_kid, Key, KeyRing};
use super::payload::{PayloadError, Profile};

/// The largest cookie value accepted or minted.
pub const MAX_COOKIE_BYTES: usize = 512;
/// Allowed difference between the origin's clock and the edge's.
pub const CLOCK_SKEW_S: u64 = 300;
/// The longest lifetime (`e - i`) accepted.
pub const MAX_LIFETIME_S: u64 = 400 * 24 * 3600;
/// The default cookie name.
pub const DEFAULT_COOKIE_NAME: &str = "__Host-tailor_profile";
const VERSION: &str = "v1";
const TAG_CHARS: usize = 43;

/// Why a cookie was not accepted. The visitor is then anonymous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Longer than [`MAX_COOKIE_BYTES`].
    #[error("oversized")]
    Oversized,
    /// Not `v1.<kid>.<payload>.<tag>` with each part in its alphabet.
    #[error("malformed")]
    Malformed,
    /// A version other than `v1`.
    #[error("unknown-version")]
    UnknownVersion,
    /// Signed with a key the edge does not have.
    #[error("unknown-key")]
    UnknownKey,
    /// The tag does not match: tampered, or signed with another secret.
    #[error("bad-signature")]
    BadSignature,
    /// Authentic, but the payload breaks the grammar.
    #[error("bad-payload")]
    BadPayload,
    /// Issued in the future (beyond the skew allowance).
    #[error("not-yet-valid")]
    NotYetValid,
    /// Expired (beyond the skew allowance).
    #[error("expired")]
    Expired,
    /// `e <= i`, or a lifetime over [`MAX_LIFETIME_S`].
    #[error("bad-lifetime")]
    BadLifetime,
    /// More than one profile cookie in the request.
    #[error("duplicate")]
    Duplicate,
}

impl Rejection {
    /// Every rejection, for counters.
    pub const ALL: [Rejection; 10] = [
        Self::Oversized,
        Self::Malformed,
        Self::UnknownVersion,
        Self::UnknownKey,
        Self::BadSignature,
        Self::BadPayload,
        Self::NotYetValid,
        Self::Expired,
        Self::BadLifetime,
        Self::Duplicate,
    ];

    /// The reason's name, as in the spec and diagnostics.
    pub fn label(self) -> &'static str {
        match self {
            Self::Oversized => "oversized",
            Self::Malformed => "malformed",
            Self::UnknownVersion => "unknown-version",
            Self::UnknownKey => "unknown-key",
            Self::BadSignature => "bad-signature",
            Self::BadPayload => "bad-payload",
            Self::NotYetValid => "not-yet-valid",
            Self::Expired => "expired",
            Self::BadLifetime => "bad-lifetime",
            Self::Duplicate => "duplicate",
        }
    }
}

/// A profile could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// A field breaks the grammar.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// The result would exceed [`MAX_COOKIE_BYTES`].
    #[error("the cookie would be {0} bytes; the cap is 512")]
    TooLarge(usize),
    /// `e <= i` or the lifetime is over 400 days.
    #[error("expiry must be after issue and at most 400 days later")]
    Lifetime,
}

/// A verified cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The key id that signed it.
    pub kid: String,
    /// The profile.
    pub profile: Profile,
}

/// The base64url tag of `signed` (`v1.<kid>.<payload>`) for a cookie named
/// `cookie_name`. Public for tools and test vectors.
pub fn tag(key: &Key, cookie_name: &str, signed: &str) -> String {
    key.tag(cookie_name, signed)
}

/// Signs `profile` with `key` as a cookie named `cookie_name`.
pub fn sign(profile: &Profile, key: &Key, cookie_name: &str) -> Result<String, SignError> {
    profile.validate()?;
    if profile.e <= profile.i || profile.e - profile.i > MAX_LIFETIME_S {
        return Err(SignError::Lifetime);
    }
    let signed = format!("{VERSION}.{}.{}", key.kid, profile.encode());
    let cookie = format!("{signed}.{}", tag(key, cookie_name, &signed));
    if cookie.len() > MAX_COOKIE_BYTES {
        return Err(SignError::TooLarge(cookie.len()));
    }
    Ok(cookie)
}

fn is_payload_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'=' | b'&' | b'-' | b'_' | b'~' | b'|')
}

/// Verifies a cookie value at `now_s` (unix seconds).
pub fn verify(value: &str, keys: &KeyRing, cookie_name: &str, now_s: u64) -> Result<Verified, Rejection> {
    if value.len() > MAX_COOKIE_BYTES {
        return Err(Rejection::Oversized);
    }
    let mut parts = value.split('.');
    let (Some(version), Some(kid), Some(payload), Some(received_tag), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(Rejection::Malformed);
    };
    let shape_ok = !version.is_empty()
        && version.bytes().all(|b| b.is_ascii_alphanumeric())
        && is_kid(kid)
        && !payload.is_empty()
        && payload.bytes().all(is_payload_char)
        && received_tag.len() == TAG_CHARS
        && received_tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !shape_ok {
        return Err(Rejection::Malformed);
    }
    if version != VERSION {
        return Err(Rejection::UnknownVersion);
    }
    let key = keys.get(kid).ok_or(Rejection::UnknownKey)?;
    let signed_len = VERSION.len() + 1 + kid.len() + 1 + payload.len();
    let signed = value.get(..signed_len).ok_or(Rejection::Malformed)?;
    // Compare the canonical text in constant time: a tag that decodes to the
    // same bytes through lenient base64 (other trailing bits) is still refused.
    if !key.tag_matches(cookie_name, signed, received_tag) {
        return Err(Rejection::BadSignature);
    }
    let profile = Profile::decode(payload).map_err(|_| Rejection::BadPayload)?;
    if profile.i > now_s.saturating_add(CLOCK_SKEW_S) {
        return Err(Rejection::NotYetValid);
    }
    if now_s > profile.e.saturating_add(CLOCK_SKEW_S) {
        return Err(Rejection::Expired);
    }
    if profile.e <= profile.i || profile.e - profile.i > MAX_LIFETIME_S {
        return Err(Rejection::BadLifetime);
    }
    Ok(Verified {
        kid: kid.to_owned(),
        profile,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::keys::Purpose;

    const SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    const NOW: u64 = 1_795_003_600;

    fn key() -> Key {
        Key::derive("k1", SECRET, Purpose::ProfileCookie).unwrap()
    }

    fn ring() -> KeyRing {
        KeyRing::from_keys(vec![key()])
    }

    fn profile() -> Profile {
        Profile {
            i: NOW - 3600,
            e: NOW + 86_400,
            ind: Some("fintech".into()),
            role: Some("cto".into()),
            c: "pa".into(),
            ..Profile::default()
        }
    }

    #[test]
    fn a_signed_cookie_verifies_and_is_compact() {
        let cookie = sign(&profile(), &key(), DEFAULT_COOKIE_NAME).unwrap();
        assert!(cookie.len() < 200, "{} bytes", cookie.len());
        let verified = verify(&cookie, &ring(), DEFAULT_COOKIE_NAME, NOW).unwrap();
        assert_eq!(verified.profile, profile());
        assert_eq!(verified.kid, "k1");
    }

    #[test]
    fn the_cookie_name_is_part_of_the_signature() {
        let cookie = sign(&profile(), &key(), DEFAULT_COOKIE_NAME).unwrap();
        assert_eq!(
            verify(&cookie, &ring(), "other", NOW),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn each_check_reports_its_own_reason() {
        let cookie = sign(&profile(), &key(), DEFAULT_COOKIE_NAME).unwrap();
        let v = |c: &str, now| verify(c, &ring(), DEFAULT_COOKIE_NAME, now).map(|_| ());
        assert_eq!(v(&"a".repeat(513), NOW), Err(Rejection::Oversized));
        assert_eq!(v("v1.k1.x", NOW), Err(Rejection::Malformed));
        assert_eq!(
            v(&cookie.replacen("v1", "v2", 1), NOW),
            Err(Rejection::UnknownVersion)
        );
        assert_eq!(
            v(&cookie.replacen("k1", "k9", 1), NOW),
            Err(Rejection::UnknownKey)
        );
        assert_eq!(
            v(&cookie.replace("cto", "ceo"), NOW),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            v(&cookie, NOW + 86_400 + CLOCK_SKEW_S + 1),
            Err(Rejection::Expired)
        );
        assert_eq!(v(&cookie, NOW + 86_400 + CLOCK_SKEW_S), Ok(()));
        assert_eq!(
            v(&cookie, NOW - 3600 - CLOCK_SKEW_S - 1),
            Err(Rejection::NotYetValid)
        );
    }

    #[test]
    fn signers_refuse_what_verifiers_would_refuse() {
        let mut p = profile();
        p.e = p.i;
        assert_eq!(sign(&p, &key(), DEFAULT_COOKIE_NAME), Err(SignError::Lifetime));
        let mut p = profile();
        p.role = Some("C.T.O.".into());
        assert!(matches!(
            sign(&p, &key(), DEFAULT_COOKIE_NAME),
            Err(SignError::Payload(_))
        ));
    }
}
