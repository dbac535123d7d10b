//! Why a catalog could not be used, and who is at fault.

use thiserror::Error;

use crate::budget::BudgetExceeded;
use crate::platform::KvError;
pub use crate::validation::ValidationError;

/// The live catalog could not be loaded. On the request path every variant
/// ends in the origin's page, unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The KV store failed (platform fault; retry later).
    #[error(transparent)]
    Kv(#[from] KvError),
    /// KV did not answer within the request's budget (platform fault).
    #[error("catalog read: {0}")]
    Timeout(#[from] BudgetExceeded),
    /// Nothing has been published for the site (operator: publish first).
    #[error("no catalog published for site `{site}`")]
    NotPublished {
        /// The configured site.
        site: String,
    },
    /// The pointer names a manifest this location cannot read (yet): KV is
    /// eventually consistent, or the publish was broken off.
    #[error("manifest `{version}` named by the live pointer is missing")]
    ManifestMissing {
        /// The version the pointer names.
        version: String,
    },
    /// A new version's fragments cannot all be read here yet (KV is
    /// eventually consistent); the version in memory is kept meanwhile.
    #[error("version `{version}` has {missing} fragment(s) this location cannot read yet")]
    Incomplete {
        /// The new version.
        version: String,
        /// How many of its fragments are missing.
        missing: usize,
    },
    /// A stored document is not what the publisher should have written.
    #[error("stored catalog document `{key}` is corrupt: {reason}")]
    Corrupt {
        /// The KV key of the document.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl CatalogError {
    /// A short, fixed label for diagnostics headers (never carries content).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Kv(_) => "kv-error",
            Self::Timeout(_) => "kv-timeout",
            Self::NotPublished { .. } => "not-published",
            Self::ManifestMissing { .. } => "manifest-missing",
            Self::Incomplete { .. } => "catalog-incomplete",
            Self::Corrupt { .. } => "catalog-corrupt",
        }
    }
}
