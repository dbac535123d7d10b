//! The native engine: `lol_html`, the parser workerd's `HTMLRewriter` is
//! built on, applying a [`RewritePlan`] to a streamed body.

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::html_content::{ContentType, Element};
use lol_html::{element, HtmlRewriter, MemorySettings, Settings};

use super::plan::{RewritePlan, MARKER_NAME_ATTRIBUTE, MARKER_SELECTOR};

/// The parser's memory cap, the same as workerd's rewriter (3 MiB). Past it
/// the engine stops with a [`RewriteError`]; bytes already streamed stay
/// written and the caller serves the origin's page (nothing is truncated
/// silently).
pub const MAX_REWRITER_MEMORY_BYTES: usize = 3 * 1024 * 1024;

/// The rewriter failed; the caller serves the origin's bytes instead.
#[derive(Debug, thiserror::Error)]
#[error("native rewriter failed: {0}")]
pub struct RewriteError(String);

/// A streaming rewriter for one response body: feed chunks with
/// [`StreamRewriter::write`], output goes to `sink` as it is produced.
pub struct StreamRewriter<'p, O: FnMut(&[u8])> {
    inner: HtmlRewriter<'p, O>,
    filled: Rc<RefCell<Vec<String>>>,
}

impl<'p, O: FnMut(&[u8])> StreamRewriter<'p, O> {
    /// A rewriter applying `plan`, writing to `sink`.
    pub fn new(plan: &'p RewritePlan, sink: O) -> Self {
        let filled = Rc::new(RefCell::new(Vec::new()));
        let names = Rc::clone(&filled);
        let settings = Settings::new()
            .append_element_content_handler(element!(MARKER_SELECTOR, move |el: &mut Element| {
                let name = el.get_attribute(MARKER_NAME_ATTRIBUTE);
                if let Some(fill) = plan.fill_for(name.as_deref()) {
                    el.set_inner_content(&fill.html, ContentType::Html);
                    names.borrow_mut().extend(name);
                }
                Ok(())
            }))
            .with_memory_settings(
                MemorySettings::new()
                    .with_max_allowed_memory_usage(MAX_REWRITER_MEMORY_BYTES)
                    .with_graceful_bail_out_on_memory_limit_exceeded(true),
            );
        Self {
            inner: HtmlRewriter::new(settings, sink),
            filled,
        }
    }

    /// The blocks filled so far, in page order (a block marked twice twice).
    pub fn filled(&self) -> Vec<String> {
        self.filled.borrow().clone()
    }

    /// Feeds one chunk of the body.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), RewriteError> {
        self.inner.write(chunk).map_err(|e| RewriteError(e.to_string()))
    }

    /// Ends the body.
    pub fn end(self) -> Result<(), RewriteError> {
        self.inner.end().map_err(|e| RewriteError(e.to_string()))
    }
}

/// Applies `plan` to a body given as a sequence of chunks.
pub fn rewrite_chunks<'c>(
    plan: &RewritePlan,
    chunks: impl IntoIterator<Item = &'c [u8]>,
) -> Result<Vec<u8>, RewriteError> {
    let mut out = Vec::new();
    let mut rewriter = StreamRewriter::new(plan, |c: &[u8]| out.extend_from_slice(c));
    for chunk in chunks {
        rewriter.write(chunk)?;
    }
    rewriter.end()?;
    Ok(out)
}

/// Applies `plan` to a whole body.
pub fn rewrite(plan: &RewritePlan, body: &[u8]) -> Result<Vec<u8>, RewriteError> {
    rewrite_chunks(plan, [body])
}

/// Applies `plan` to a whole body, and says which blocks it filled (what a
/// page's exposures are sent for).
pub fn rewrite_reporting(plan: &RewritePlan, body: &[u8]) -> Result<(Vec<u8>, Vec<String>), RewriteError> {
    let mut out = Vec::new();
    let mut rewriter = StreamRewriter::new(plan, |c: &[u8]| out.extend_from_slice(c));
    rewriter.write(body)?;
    let filled = Rc::clone(&rewriter.filled);
    rewriter.end()?;
    let filled = filled.borrow().clone();
    Ok((out, filled))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rewrite::Fill;

    fn plan() -> RewritePlan {
        let mut plan = RewritePlan::new();
        plan.insert(
            "hero",
            Fill {
                variant: "v1".into(),
                html: "<h1>Edge</h1>".into(),
            },
        );
        plan
    }

    #[test]
    fn a_marked_block_in_the_plan_gets_its_fragment() {
        let out = rewrite(
            &plan(),
            b"<p>a</p><tailor-block name=\"hero\"><h1>Origin</h1></tailor-block><p>b</p>",
        )
        .unwrap();
        assert_eq!(
            out,
            b"<p>a</p><tailor-block name=\"hero\"><h1>Edge</h1></tailor-block><p>b</p>"
        );
    }

    #[test]
    fn markers_the_plan_does_not_name_keep_the_origin_content() {
        let page = b"<tailor-block name=\"other\">x</tailor-block><tailor-block>y</tailor-block>";
        assert_eq!(rewrite(&plan(), page).unwrap(), page);
    }

    #[test]
    fn a_page_without_markers_passes_byte_for_byte() {
        let page = b"<!doctype html><HTML><body class=x>\xff\xfe odd <br/> bytes</body>";
        assert_eq!(rewrite(&plan(), page).unwrap(), page);
    }

    #[test]
    fn markers_inside_scripts_comments_and_attributes_are_not_blocks() {
        let page = b"<script>let s='<tailor-block name=\"hero\">x</tailor-block>'</script>\
<!-- <tailor-block name=\"hero\">c</tailor-block> --><div title='<tailor-block name=\"hero\">'></div>";
        assert_eq!(rewrite(&plan(), page).unwrap(), page);
    }
}
