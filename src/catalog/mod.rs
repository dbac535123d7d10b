//! The catalog: what the origin publishes for a site (blocks, their variants,
//! content-addressed fragments), its KV layout, and its compiled form
//! (conditions parsed, experiments' ranges computed, once per version).
//! The isolate's copy of the live catalog is [`crate::live`].
//!
//! KV layout (see `docs/catalog.md`):
//!
//! | key | value |
//! | --- | --- |
//! | `tailor/{site}/live` | [`Pointer`]: names the live manifest version |
//! | `tailor/{site}/manifest/{version}` | [`Manifest`] (immutable) |
//! | `tailor/{site}/fragment/{sha256}` | fragment HTML (immutable) |
//! | `tailor/{site}/history` | the publisher's retained versions, newest first |
//! | `tailor/{site}/push/{id}` | a used push request id (expires) |
//! | `tailor/{site}/pending/{block}/{variant}/{hash}` | generated HTML awaiting approval |
//! | `tailor/{site}/refused/{block}/{variant}/{hash}` | a generated draft refused by a guardrail, with the rule |

mod compiled;
mod error;
mod keys;
mod manifest;
pub mod source;

pub use compiled::{CompiledBandit, CompiledBlock, CompiledCatalog, CompiledExperiment, CompiledVariant};
pub use error::{CatalogError, ValidationError};
pub use keys::{
    fragment_key, history_key, manifest_key, pending_key, pointer_key, push_request_key, refused_key,
    rejected_key,
};
pub use manifest::{
    is_lower_hex, is_valid_id, sha256_hex, short_sha256_hex, Bandit, Block, BlockExperiment, Exploration,
    Generate, Manifest, Pointer, Variant, MANIFEST_SCHEMA, MAX_MANIFEST_BYTES,
};
