//! Which marked blocks to replace, and with what.

use std::collections::BTreeMap;
use std::rc::Rc;

/// The element that marks a personalizable block:
/// `<tailor-block name="hero">origin content</tailor-block>`.
/// A tag-name selector lets the parser skip every other tag cheaply
/// (see `docs/markers.md` for the measurement).
pub const MARKER_TAG: &str = "tailor-block";
/// The attribute naming the block.
pub const MARKER_NAME_ATTRIBUTE: &str = "name";
/// The selector both engines register.
pub const MARKER_SELECTOR: &str = "tailor-block";

/// The content for one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    /// The variant id shown (for diagnostics).
    pub variant: String,
    /// The fragment HTML that replaces the marker's inner content.
    pub html: Rc<str>,
}

/// Block name → fill. A marker whose name is not in the plan keeps the
/// origin's content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RewritePlan {
    fills: BTreeMap<String, Fill>,
}

impl RewritePlan {
    /// An empty plan: nothing to replace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the block `name` with `fill`.
    pub fn insert(&mut self, name: impl Into<String>, fill: Fill) {
        self.fills.insert(name.into(), fill);
    }

    /// What to put inside the marker named `name`, if anything. This is the
    /// whole of an engine's per-element logic: look up the `name` attribute,
    /// and when the plan has it, set the element's inner content to the fill's
    /// HTML; otherwise leave the element alone.
    pub fn fill_for(&self, name: Option<&str>) -> Option<&Fill> {
        self.fills.get(name?)
    }

    /// Whether the plan replaces nothing.
    pub fn is_empty(&self) -> bool {
        self.fills.is_empty()
    }

    /// Number of blocks the plan fills.
    pub fn len(&self) -> usize {
        self.fills.len()
    }

    /// The fills by block name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Fill)> {
        self.fills.iter().map(|(k, v)| (k.as_str(), v))
    }
}
