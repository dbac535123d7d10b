//! Gates some routes pass before they do anything: whether preview is on
//! for a request, and whether an OFREP caller is a trusted server.

use subtle::ConstantTimeEq;

use super::Request;
use crate::config::Config;
use crate::http::{cookie_values, query};
use crate::profile::preview::SESSION_COOKIE;
use crate::profile::PreviewKeys;

/// The preview keys when preview is on for this request: a key must be
/// configured (`TAILOR_PREVIEW_KEY`), and either preview mode is on
/// (`wrangler dev`, preview environments) or the request presents the key
/// (`X-Tailor-Preview-Key`) or a preview session cookie.
pub fn preview_keys<'a>(config: &'a Config, req: &Request) -> Option<&'a PreviewKeys> {
    let keys = config.preview_keys.as_ref()?;
    let on = config.preview_mode
        || req.preview_key.as_deref().is_some_and(|k| keys.is_key(k))
        || req
            .cookie
            .as_deref()
            .is_some_and(|h| cookie_values(h, SESSION_COOKIE).any(|v| keys.is_session(v)));
    on.then_some(keys)
}

/// Where preview is off, `GET /__tailor/preview?key=…` with the right key
/// starts a session for this browser: the keys to sign it with.
pub fn preview_session_start<'a>(config: &'a Config, req: &Request) -> Option<&'a PreviewKeys> {
    let keys = config.preview_keys.as_ref()?;
    query::value(req.query(), "key")
        .is_some_and(|key| keys.is_key(&key))
        .then_some(keys)
}

/// Whether a request that changes something (an opt-out, a preview
/// setting, a beacon) comes from another site and must be refused: its
/// `Sec-Fetch-Site` is anything but `same-origin` or `none`, or, from a
/// browser that does not send that, its `Origin` is not the request's own
/// (`Origin: null` included). A request with neither (a server, curl) is
/// not a browser's cross-site request.
pub fn cross_site(req: &Request) -> bool {
    if let Some(site) = req.fetch_site.as_deref() {
        return !matches!(site.trim(), "same-origin" | "none");
    }
    let Some(origin) = req.origin.as_deref() else {
        return false;
    };
    let own = req.url.split_once("://").map(|(scheme, rest)| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        format!("{scheme}://{authority}")
    });
    own.is_none_or(|own| !own.eq_ignore_ascii_case(origin.trim()))
}

/// Whether an OFREP request comes from a trusted server: it presents one
/// of `TAILOR_OFREP_KEYS` (`X-API-Key: k` or `Authorization: Bearer k`),
/// compared in constant time. Only such a caller may supply a whole
/// evaluation context; any other caller is the visitor of its cookies.
pub fn ofrep_trusted(config: &Config, req: &Request) -> bool {
    presents_api_key(
        &config.ofrep_keys,
        req.api_key.as_deref(),
        req.authorization.as_deref(),
    )
}

/// Whether one of `keys` is presented by header or bearer token.
pub fn presents_api_key(keys: &[String], x_api_key: Option<&str>, authorization: Option<&str>) -> bool {
    let bearer = authorization.and_then(|a| a.strip_prefix("Bearer ").or_else(|| a.strip_prefix("bearer ")));
    let presented = [x_api_key, bearer];
    keys.iter().any(|key| {
        presented
            .iter()
            .flatten()
            .any(|p| bool::from(p.trim().as_bytes().ct_eq(key.as_bytes())))
    })
}
