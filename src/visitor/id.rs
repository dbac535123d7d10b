//! The edge's pseudonymous id for visitors the origin does not know: random
//! (the platform's randomness, never derived from the IP address or the user
//! agent), kept in a signed `__Host-` cookie of its own, used wherever the
//! profile's bucketing id would be (`docs/profile-cookie.md#the-edges-id`).
//!
//! Its own cookie, not the state cookie: the state cookie exists only when a
//! catalog declares signals and is rewritten on every page, while the id
//! must outlive catalogs and be easy for the origin to read (it carries it
//! over as `bid` when it mints a profile).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::http::single_cookie;
use crate::profile::Key;

/// The cookie's name.
pub const ID_COOKIE: &str = "__Host-tailor_id";
/// How long the browser keeps it: 180 days from the first visit.
pub const ID_LIFETIME_S: u64 = 180 * 24 * 3600;
/// Random bytes in an id (22 characters of base64url: a valid `bid`).
pub const ID_BYTES: usize = 16;
/// Longest cookie value read.
const MAX_ID_COOKIE_BYTES: usize = 128;

/// The id in a genuine cookie value (`v1.<id>.<tag>`), else `None`.
pub fn verify(value: &str, key: &Key) -> Option<String> {
    if value.len() > MAX_ID_COOKIE_BYTES {
        return None;
    }
    let (signed, tag) = value.rsplit_once('.')?;
    let id = signed.strip_prefix("v1.")?;
    let well_formed = id.len() == 22
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (well_formed && key.tag_matches(ID_COOKIE, signed, tag)).then(|| id.to_owned())
}

/// A new id from `random` bytes, and its cookie value.
pub fn mint(random: [u8; ID_BYTES], key: &Key) -> (String, String) {
    let id = URL_SAFE_NO_PAD.encode(random);
    let signed = format!("v1.{id}");
    let value = format!("{signed}.{}", key.tag(ID_COOKIE, &signed));
    (id, value)
}

/// The id cookie of a `Cookie` header, when it is genuine (sent twice: none).
pub fn read(cookie_header: Option<&str>, key: &Key) -> Option<String> {
    let value = single_cookie(cookie_header, ID_COOKIE).ok()??;
    verify(value, key)
}

/// What an origin reads of the edge's id on its own requests, to carry it
/// over as the profile's `bid`: the id of the one `__Host-tailor_id` cookie
/// shaped `v1.<22 characters>.<43-character tag>`. The origin cannot check
/// the tag (the key is the edge's); a visitor who forges an id only picks
/// their own arm. The Node and Python signers implement the same
/// (`tests/vectors/profile-cookie.json`, `edge_id`).
pub fn carried_over(cookie_header: Option<&str>) -> Option<String> {
    let value = single_cookie(cookie_header, ID_COOKIE).ok()??;
    let mut parts = value.split('.');
    let (Some("v1"), Some(id), Some(tag), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let base64url = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    (base64url(id, 22) && base64url(tag, 43)).then(|| id.to_owned())
}

/// The `Set-Cookie` value that keeps `value`.
pub fn set_cookie(value: &str) -> String {
    format!("{ID_COOKIE}={value}; Path=/; Max-Age={ID_LIFETIME_S}; Secure; HttpOnly; SameSite=Lax")
}

/// The `Set-Cookie` value that deletes the id (no analytics consent).
pub fn delete_cookie() -> String {
    format!("{ID_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Purpose;

    fn key() -> Key {
        Key::derive(
            "id",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
            Purpose::EdgeId,
        )
        .unwrap()
    }

    #[test]
    fn a_minted_id_verifies_and_is_a_valid_bucketing_id() {
        let (id, value) = mint([7; ID_BYTES], &key());
        assert_eq!(id.len(), 22);
        assert_eq!(verify(&value, &key()), Some(id.clone()));
        assert!(crate::profile::payload::is_bucketing_id(&id));
        assert_eq!(read(Some(&format!("a=1; {ID_COOKIE}={value}")), &key()), Some(id));
    }

    #[test]
    fn a_forged_changed_or_duplicated_id_is_no_id() {
        let (_, value) = mint([7; ID_BYTES], &key());
        let other = Key::derive(
            "id",
            "BAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
            Purpose::EdgeId,
        )
        .unwrap();
        assert_eq!(verify(&value, &other), None);
        let changed = value.replacen("v1.B", "v1.C", 1);
        assert_eq!(verify(&changed, &key()), None);
        assert_eq!(verify("v1.abc", &key()), None);
        assert_eq!(verify(&"v".repeat(500), &key()), None);
        let twice = format!("{ID_COOKIE}={value}; {ID_COOKIE}={value}");
        assert_eq!(read(Some(&twice), &key()), None);
    }
}
