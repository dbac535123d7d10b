//! Signed push requests, modelled on Standard Webhooks (and Stripe's scheme):
//! three headers and an HMAC-SHA256 over the request id, the timestamp, the
//! method, the path and the raw body.
//!
//! ```text
//! tailor-id:        3f2c9a0e-…            1-64 of A-Z a-z 0-9 - _ .
//! tailor-timestamp: 1795000000            Unix seconds
//! tailor-signature: v1,<base64> v1,<base64>   one per secret during rotation
//!
//! signed content = id "." timestamp "." METHOD "." path "." body
//! signature      = base64(HMAC-SHA256(secret, signed content))
//! ```
//!
//! The secret is used as given (its UTF-8 bytes), so any language's HMAC
//! signs a push without a Tailor library. Verification happens before the
//! body is parsed, in this order: headers present → timestamp within
//! ±[`TOLERANCE_S`] → each offered signature against each configured secret,
//! in constant time.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use thiserror::Error;

/// The header carrying the request id.
pub const HEADER_ID: &str = "tailor-id";
/// The header carrying the Unix timestamp in seconds.
pub const HEADER_TIMESTAMP: &str = "tailor-timestamp";
/// The header carrying the signatures.
pub const HEADER_SIGNATURE: &str = "tailor-signature";
/// How far a push's timestamp may be from the edge's clock, in seconds.
pub const TOLERANCE_S: u64 = 300;
/// Shortest push secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
/// Most signatures one request may offer.
const MAX_SIGNATURES: usize = 8;
const MAX_ID_LEN: usize = 64;

/// The push secrets the worker accepts (`TAILOR_PUBLISH_SECRETS`): several at
/// once while a secret is being rotated.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PushSecrets {
    secrets: Vec<Vec<u8>>,
}

impl std::fmt::Debug for PushSecrets {
    // Never print secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PushSecrets({} configured)", self.secrets.len())
    }
}

/// A push secret that cannot be used. The operator is at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("push secret {index} is shorter than {MIN_SECRET_BYTES} bytes")]
pub struct SecretTooShort {
    /// Its position in the list, from 1.
    pub index: usize,
}

impl PushSecrets {
    /// Parses secrets separated by commas or whitespace. Short secrets are
    /// skipped and reported; the rest still work.
    pub fn parse(config: &str) -> (Self, Vec<SecretTooShort>) {
        let mut secrets = Vec::new();
        let mut errors = Vec::new();
        let entries = config
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty());
        for (i, secret) in entries.enumerate() {
            if secret.len() < MIN_SECRET_BYTES {
                errors.push(SecretTooShort { index: i + 1 });
            } else {
                secrets.push(secret.as_bytes().to_vec());
            }
        }
        (Self { secrets }, errors)
    }

    /// Whether no usable secret is configured (publishing is then off).
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }
}

/// The three signature headers of a push request, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignatureHeaders<'a> {
    /// `tailor-id`.
    pub id: Option<&'a str>,
    /// `tailor-timestamp`.
    pub timestamp: Option<&'a str>,
    /// `tailor-signature`.
    pub signature: Option<&'a str>,
}

/// Why a push request's signature was refused. The sender is at fault (or
/// its clock, or its secret).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// A signature header is absent.
    #[error("missing `{0}` header")]
    Missing(&'static str),
    /// The request id is not 1-64 of `A-Z a-z 0-9 - _ .`.
    #[error("`tailor-id` must be 1-64 of A-Z a-z 0-9 - _ .")]
    BadId,
    /// The timestamp is not Unix seconds.
    #[error("`tailor-timestamp` is not Unix seconds")]
    BadTimestamp,
    /// The timestamp is outside the tolerance window.
    #[error("`tailor-timestamp` is {skew_s} s from the edge's clock (tolerance {TOLERANCE_S} s)")]
    Stale {
        /// How far off, in seconds.
        skew_s: u64,
    },
    /// No offered signature is `v1,<base64>`.
    #[error("`tailor-signature` holds no `v1,<base64>` signature")]
    Malformed,
    /// No offered signature matches a configured secret.
    #[error("no signature matches a configured push secret")]
    NoMatch,
}

/// Signs a push request: the value of the `tailor-signature` header.
pub fn sign(secret: &str, id: &str, timestamp: u64, method: &str, path: &str, body: &[u8]) -> String {
    format!(
        "v1,{}",
        STANDARD.encode(mac(
            secret.as_bytes(),
            id,
            &timestamp.to_string(),
            method,
            path,
            body
        ))
    )
}

/// Verifies a push request's signature at `now_s` (Unix seconds) before
/// anything in it is parsed; on success returns the request id.
pub fn verify<'a>(
    secrets: &PushSecrets,
    headers: &SignatureHeaders<'a>,
    method: &str,
    path: &str,
    body: &[u8],
    now_s: u64,
) -> Result<&'a str, SignatureError> {
    let id = headers.id.ok_or(SignatureError::Missing(HEADER_ID))?;
    let timestamp = headers
        .timestamp
        .ok_or(SignatureError::Missing(HEADER_TIMESTAMP))?;
    let offered = headers
        .signature
        .ok_or(SignatureError::Missing(HEADER_SIGNATURE))?;
    if !is_request_id(id) {
        return Err(SignatureError::BadId);
    }
    let sent_s: u64 = (timestamp.len() <= 12)
        .then(|| timestamp.parse().ok())
        .flatten()
        .ok_or(SignatureError::BadTimestamp)?;
    let skew_s = now_s.abs_diff(sent_s);
    if skew_s > TOLERANCE_S {
        return Err(SignatureError::Stale { skew_s });
    }
    let signatures: Vec<Vec<u8>> = offered
        .split_ascii_whitespace()
        .take(MAX_SIGNATURES)
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .collect();
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let mut matched = false;
    for secret in &secrets.secrets {
        let expected = mac(secret, id, timestamp, method, path, body);
        for signature in &signatures {
            // `|=` rather than `||`: every comparison runs, whatever matched.
            matched |= bool::from(expected.as_slice().ct_eq(signature));
        }
    }
    if matched {
        Ok(id)
    } else {
        Err(SignatureError::NoMatch)
    }
}

/// Request ids: 1-64 of `A-Z a-z 0-9 - _ .` (UUIDs, ULIDs, Standard
/// Webhooks' `msg_…`).
pub fn is_request_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn mac(secret: &[u8], id: &str, timestamp: &str, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail (and no input reaches it).
    #[allow(clippy::expect_used)]
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    for part in [id, timestamp, method, path] {
        mac.update(part.as_bytes());
        mac.update(b".");
    }
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "push-secret-for-tests-0123456789abcdef";
    const OTHER: &str = "another-push-secret-0123456789abcdef0";
    const NOW: u64 = 1_795_000_000;

    fn secrets(config: &str) -> PushSecrets {
        PushSecrets::parse(config).0
    }

    fn check(
        secrets: &PushSecrets,
        signature: &str,
        timestamp: &str,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let headers = SignatureHeaders {
            id: Some("req-1"),
            timestamp: Some(timestamp),
            signature: Some(signature),
        };
        verify(secrets, &headers, "POST", "/__tailor/publish", body, NOW).map(|_| ())
    }

    #[test]
    fn a_request_signed_with_the_secret_verifies() {
        let signature = sign(SECRET, "req-1", NOW, "POST", "/__tailor/publish", b"{}");
        assert_eq!(
            check(&secrets(SECRET), &signature, &NOW.to_string(), b"{}"),
            Ok(())
        );
    }

    #[test]
    fn a_changed_body_method_path_id_or_timestamp_breaks_the_signature() {
        let s = secrets(SECRET);
        let signature = sign(SECRET, "req-1", NOW, "POST", "/__tailor/publish", b"{}");
        assert_eq!(
            check(&s, &signature, &NOW.to_string(), b"{ }"),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            check(&s, &signature, &(NOW + 1).to_string(), b"{}"),
            Err(SignatureError::NoMatch)
        );
        let other_path = sign(SECRET, "req-1", NOW, "POST", "/__tailor/rollback", b"{}");
        assert_eq!(
            check(&s, &other_path, &NOW.to_string(), b"{}"),
            Err(SignatureError::NoMatch)
        );
        let other_id = sign(SECRET, "req-2", NOW, "POST", "/__tailor/publish", b"{}");
        assert_eq!(
            check(&s, &other_id, &NOW.to_string(), b"{}"),
            Err(SignatureError::NoMatch)
        );
        let other_method = sign(SECRET, "req-1", NOW, "PUT", "/__tailor/publish", b"{}");
        assert_eq!(
            check(&s, &other_method, &NOW.to_string(), b"{}"),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn during_rotation_either_secret_and_either_signature_is_accepted() {
        let both = secrets(&format!("{OTHER}, {SECRET}"));
        let old = sign(SECRET, "req-1", NOW, "POST", "/__tailor/publish", b"x");
        let new = sign(OTHER, "req-1", NOW, "POST", "/__tailor/publish", b"x");
        assert_eq!(check(&both, &old, &NOW.to_string(), b"x"), Ok(()));
        assert_eq!(check(&both, &new, &NOW.to_string(), b"x"), Ok(()));
        // A sender mid-rotation offers both; a worker with only one secret accepts.
        let offered = format!("{new} {old}");
        assert_eq!(check(&secrets(SECRET), &offered, &NOW.to_string(), b"x"), Ok(()));
        assert_eq!(check(&secrets(OTHER), &offered, &NOW.to_string(), b"x"), Ok(()));
    }

    #[test]
    fn a_timestamp_outside_five_minutes_is_stale_either_way() {
        let s = secrets(SECRET);
        for sent in [NOW - 301, NOW + 301] {
            let signature = sign(SECRET, "req-1", sent, "POST", "/__tailor/publish", b"");
            assert_eq!(
                check(&s, &signature, &sent.to_string(), b""),
                Err(SignatureError::Stale { skew_s: 301 })
            );
        }
        let edge = sign(SECRET, "req-1", NOW - 300, "POST", "/__tailor/publish", b"");
        assert_eq!(check(&s, &edge, &(NOW - 300).to_string(), b""), Ok(()));
    }

    #[test]
    fn missing_or_malformed_headers_are_named() {
        let s = secrets(SECRET);
        let none = SignatureHeaders::default();
        assert_eq!(
            verify(&s, &none, "POST", "/", b"", NOW),
            Err(SignatureError::Missing(HEADER_ID))
        );
        assert_eq!(
            check(&s, "v1,AAAA", "soon", b""),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(check(&s, "v1,AAAA", "-5", b""), Err(SignatureError::BadTimestamp));
        assert_eq!(
            check(&s, "sha256=abc", &NOW.to_string(), b""),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            check(&s, "v1,***", &NOW.to_string(), b""),
            Err(SignatureError::Malformed)
        );
        let bad_id = SignatureHeaders {
            id: Some("a b"),
            timestamp: Some("1"),
            signature: Some("v1,AAAA"),
        };
        assert_eq!(
            verify(&s, &bad_id, "POST", "/", b"", NOW),
            Err(SignatureError::BadId)
        );
    }

    #[test]
    fn no_configured_secret_matches_nothing_and_short_secrets_are_reported() {
        let (none, errors) = PushSecrets::parse("short, ");
        assert!(none.is_empty());
        assert_eq!(errors, vec![SecretTooShort { index: 1 }]);
        let signature = sign("short", "req-1", NOW, "POST", "/__tailor/publish", b"");
        assert_eq!(
            check(&none, &signature, &NOW.to_string(), b""),
            Err(SignatureError::NoMatch)
        );
        assert!(!format!("{:?}", secrets(SECRET)).contains(SECRET));
    }
}
