//! `GET /__tailor/fragments?path=…&block=…`: the HTML a full load of `path`
//! would put in each named block, for a page the browser changed without
//! loading it (a client-side navigation; `packages/react`). The same
//! decisions, fragments, budget, consent and bot rules as the page, the
//! same exposures and served ledger (marked `channel: "fragment"`).
//!
//! ```json
//! {"path": "/pricing", "blocks": {"cta": {"variant": "smb", "html": "<a …>…</a>"}}}
//! ```
//!
//! (`path` is `null` unless made of URL path characters: nothing else a
//! request sends is named back.)
//!
//! A block the page would leave as the origin has it (not covered, no
//! catalog, its fragment not had in time, unknown) is absent: the client
//! keeps its own fallback.

use serde_json::{json, Map, Value};

use crate::api::plain_path;
use crate::edge::Edge;
use crate::events::ledger::LEDGER_TTL_S;
use crate::events::PendingExposures;
use crate::http::{query, Response};
use crate::platform::{Cache, Clock, Platform};
use crate::route::Request;
use crate::validation::is_valid_id;

/// Most blocks one request may name.
pub const MAX_FRAGMENT_BLOCKS: usize = 16;
/// Longest `path` accepted.
const MAX_PATH_BYTES: usize = 1024;

/// The blocks and the page a fragments request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FragmentsQuery {
    /// The page's path.
    pub path: String,
    /// The blocks, each once, in the order asked.
    pub blocks: Vec<String>,
}

/// Reads `?path=/…&block=a&block=b`; the error says which rule the request
/// breaks (the caller's fault, never echoing what it sent).
pub fn parse_query(text: &str) -> Result<FragmentsQuery, &'static str> {
    let mut path = None;
    let mut blocks: Vec<String> = Vec::new();
    for (name, value) in query::pairs(text) {
        match name.as_ref() {
            "path" if path.is_none() => path = Some(value.into_owned()),
            "block" => {
                if !is_valid_id(&value) {
                    return Err("each `block` is a block name (a-z 0-9 - _, at most 64)");
                }
                if !blocks.iter().any(|b| *b == value) {
                    blocks.push(value.into_owned());
                }
            }
            _ => {}
        }
    }
    let path = path
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && p.len() <= MAX_PATH_BYTES)
        .ok_or("`path` is the page's absolute path")?;
    match blocks.len() {
        0 => Err("name at least one `block`"),
        n if n > MAX_FRAGMENT_BLOCKS => Err("at most 16 blocks per request"),
        _ => Ok(FragmentsQuery { path, blocks }),
    }
}

impl<P: Platform> Edge<'_, P> {
    /// The fragments answer: decided as a page view of the path (its
    /// signals observe it), the edge's cookies set as on a page. The served
    /// ledger is kept before the answer, so a sighting the client reports
    /// as soon as it has rendered the blocks finds it.
    pub(super) async fn fragments(&self, req: &Request) -> Response {
        let asked = match parse_query(req.query()) {
            Ok(asked) => asked,
            Err(rule) => return Response::error(400, rule),
        };
        let started = self.now_ms();
        let prepared = self
            .prepare_blocks(req, &asked.path, Some(&asked.blocks), started)
            .await;
        let mut blocks = Map::new();
        for (name, fill) in prepared.plan.iter() {
            blocks.insert(
                name.to_owned(),
                json!({ "variant": fill.variant, "html": fill.html.as_ref() }),
            );
        }
        if let (Some(site), Some(_)) = (self.config.site.as_deref(), self.platform.events()) {
            let now = self.platform.clock().now_unix_ms();
            let filled: Vec<String> = blocks.keys().cloned().collect();
            let pending = PendingExposures::new(&prepared, site, &asked.path, now).on_channel("fragment");
            let (exposures, ledger) = pending.filled(&filled);
            if let Some((key, text)) = ledger {
                self.platform.cache().put_text(&key, &text, LEDGER_TTL_S).await;
            }
            self.send_events(exposures);
        }
        let decided = prepared.decided;
        // The path is named back only when made of URL path characters.
        let path = plain_path(&asked.path);
        let mut response = Response::json(200, &json!({ "path": path, "blocks": Value::Object(blocks) }))
            .with_header("cache-control", "private, no-store".to_owned())
            .with_header("server-timing", decided.timing.header_value());
        for cookie in decided.set_cookies {
            response = response.with_cookie(cookie);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_names_a_path_and_each_block_once() {
        let asked = parse_query("path=%2Fpricing&block=cta&block=hero&block=cta&x=1").unwrap();
        assert_eq!(asked.path, "/pricing");
        assert_eq!(asked.blocks, ["cta", "hero"]);
    }

    #[test]
    fn a_query_without_a_page_or_a_valid_block_is_refused() {
        for bad in [
            "block=cta",
            "path=pricing&block=cta",
            "path=//evil.example/&block=cta",
            "path=/",
            "path=/&block=Bad%20Name",
            "path=/&block=",
        ] {
            assert!(parse_query(bad).is_err(), "{bad}");
        }
        let many: String = (0..17).map(|i| format!("&block=b{i}")).collect();
        assert_eq!(
            parse_query(&format!("path=/{many}")),
            Err("at most 16 blocks per request")
        );
    }
}
