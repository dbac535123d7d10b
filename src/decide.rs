//! Blocks × catalog → one decision per block, each with its reason.
//!
//! The walking skeleton shows every block's default variant; targeting rules,
//! experiments, exploration and bandits plug in here.

use crate::catalog::Manifest;
use crate::profile::Visitor;

/// Why a block shows the variant it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The block's default: nothing more specific applies.
    Default,
    /// The visitor's consent (or `Sec-GPC: 1`) rules out personalization.
    Consent,
    /// A crawler: bots always get the default experience.
    Bot,
}

impl Reason {
    /// A short, fixed label for diagnostics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Consent => "consent",
            Self::Bot => "bot",
        }
    }
}

/// The variant chosen for one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The block's marker name.
    pub block: String,
    /// The chosen variant's id.
    pub variant: String,
    /// SHA-256 of the chosen variant's fragment.
    pub fragment: String,
    /// Why.
    pub reason: Reason,
}

/// Decides every block of `manifest` for `visitor`, in block-name order.
pub fn decide(manifest: &Manifest, visitor: &Visitor) -> Vec<Decision> {
    let reason = if visitor.bot {
        Reason::Bot
    } else if !visitor.personalization_allowed {
        Reason::Consent
    } else {
        Reason::Default
    };
    manifest
        .blocks
        .iter()
        .filter_map(|(name, block)| {
            let variant = block.default_variant()?;
            Some(Decision {
                block: name.clone(),
                variant: variant.id.clone(),
                fragment: variant.fragment.clone(),
                reason: reason.clone(),
            })
        })
        .collect()
}
