//! The grammar of ids (sites, blocks, variants, goals) and the error of a
//! document that breaks its rules. A leaf: catalogs, signals, profiles and
//! beacons all check against it.

use thiserror::Error;

/// Longest id.
pub const MAX_ID_LEN: usize = 64;

/// Sites, block names, variant ids and goals: 1–64 of `a-z`, `0-9`, `-`, `_`.
/// Such an id is the only thing a response may repeat of what a request sent.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A document that breaks the catalog's rules. The publisher is at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{path}: {message}")]
pub struct ValidationError {
    /// Where in the document, as a JSON-pointer-like path (`blocks.hero.default`).
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

impl ValidationError {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_lowercase_words() {
        assert!(is_valid_id("fintech-enterprise_2"));
        for bad in ["", "Hero", "a b", "<script>", "é", &"a".repeat(65)] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }
}
