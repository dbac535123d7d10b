//! Blocks × visitor × catalog → one decision per block, each with its reason.
//!
//! Order of precedence for a block (`docs/decisions.md`):
//!
//! 1. a crawler, or no consent (incl. `Sec-GPC: 1`) → the default;
//! 2. the holdout share → the default (to measure lift);
//! 3. the block's experiment, if the visitor is eligible and enrolled → the
//!    arm's variant (sticky through the profile's experiment buckets);
//! 4. the bandit, if the block has statistics → Thompson sampling among the
//!    eligible variants;
//! 5. targeting rules → the first variant whose condition matches;
//! 6. the exploration quota → sometimes the adjacent eligible variant instead
//!    of the one 4–5 chose;
//! 7. otherwise → the default.
//!
//! Everything random is a hash of the visitor's bucketing id, so a visitor
//! sees the same variants on every request of a period.

mod bandit;

use serde_json::Value;

use crate::catalog::{CompiledBandit, CompiledBlock, CompiledCatalog, CompiledExperiment, CompiledVariant};
use crate::experiment::hash;
use crate::profile::Visitor;

/// Why a block shows the variant it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The block's default: no rule matched.
    Default,
    /// A targeting rule matched: the variant's own condition.
    Rule,
    /// Assigned by the block's experiment.
    Experiment {
        /// The experiment key.
        key: String,
        /// The arm (index into the experiment's variations).
        arm: usize,
        /// Taken from the profile cookie's buckets rather than hashed here.
        sticky: bool,
    },
    /// In the holdout share: defaults everywhere, to measure lift.
    Holdout,
    /// Chosen by Thompson sampling over the block's statistics.
    Bandit,
    /// The exploration quota showed this instead of the best match.
    Exploration {
        /// The variant the rules or the bandit had chosen.
        instead_of: String,
    },
    /// The visitor's consent (or `Sec-GPC: 1`) rules out personalization.
    Consent,
    /// A crawler: bots always get the default experience.
    Bot,
    /// Forced in the preview UI (honoured only with the preview key).
    Forced,
}

impl Reason {
    /// A short, fixed label for diagnostics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Rule => "rule",
            Self::Experiment { .. } => "experiment",
            Self::Holdout => "holdout",
            Self::Bandit => "bandit",
            Self::Exploration { .. } => "exploration",
            Self::Consent => "consent",
            Self::Bot => "bot",
            Self::Forced => "forced",
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

const HOLDOUT_SEED: &str = "tailor-holdout";

/// The visitor's bucketing id, when the profile has one.
fn bucketing_id(visitor: &Visitor) -> Option<&str> {
    visitor.attributes.get("id").and_then(Value::as_str)
}

/// Decides every block of `catalog` for `visitor` at `now_s`.
pub fn decide(catalog: &CompiledCatalog, visitor: &Visitor, now_s: u64) -> Vec<Decision> {
    let id = bucketing_id(visitor);
    let blanket = if visitor.bot {
        Some(Reason::Bot)
    } else if !visitor.personalization_allowed {
        Some(Reason::Consent)
    } else {
        let holdout = catalog.manifest.holdout.unwrap_or(0.0);
        let held = holdout > 0.0
            && id
                .and_then(|id| hash(HOLDOUT_SEED, id, 2))
                .is_some_and(|n| n < holdout);
        held.then_some(Reason::Holdout)
    };
    catalog
        .blocks
        .iter()
        .map(|block| {
            let forced = visitor
                .forced
                .get(&block.name)
                .and_then(|v| block.variants.iter().position(|c| &c.id == v));
            let (index, reason) = match (forced, &blanket) {
                (Some(index), _) => (index, Reason::Forced),
                (None, Some(reason)) => (block.default, reason.clone()),
                (None, None) => decide_block(catalog, block, visitor, id, now_s),
            };
            let variant = block
                .variants
                .get(index)
                .or_else(|| block.variants.get(block.default));
            Decision {
                block: block.name.clone(),
                variant: variant.map(|v| v.id.clone()).unwrap_or_default(),
                fragment: variant.map(|v| v.fragment.clone()).unwrap_or_default(),
                reason,
            }
        })
        .collect()
}

fn decide_block(
    catalog: &CompiledCatalog,
    block: &CompiledBlock,
    visitor: &Visitor,
    id: Option<&str>,
    now_s: u64,
) -> (usize, Reason) {
    let attributes = &visitor.attributes;
    let groups = &catalog.saved_groups;
    if let Some(exp) = &block.experiment {
        if exp.when.as_ref().is_none_or(|c| c.matches(attributes, groups)) {
            if let Some(assigned) = assign(exp, attributes) {
                return assigned;
            }
        }
    }
    // Eligible: the default, untargeted variants, and those whose rule matches.
    let matches = |v: &CompiledVariant| v.when.as_ref().is_some_and(|c| c.matches(attributes, groups));
    let eligible = |i: usize, v: &CompiledVariant| i == block.default || v.when.is_none() || matches(v);
    let (best, reason) = match (&block.bandit, id) {
        (Some(CompiledBandit { arms, period_hours }), Some(id)) => {
            let candidates: Vec<(usize, f64, f64)> = arms
                .iter()
                .copied()
                .filter(|(i, _, _)| block.variants.get(*i).is_some_and(|v| eligible(*i, v)))
                .collect();
            let period = now_s / (u64::from(*period_hours).max(1) * 3600);
            match bandit::choose(&candidates, bandit::seed(id, &block.name, period)) {
                Some(pick) => (
                    candidates.get(pick).map_or(block.default, |c| c.0),
                    Reason::Bandit,
                ),
                None => rule(block, &matches),
            }
        }
        _ => rule(block, &matches),
    };
    if reason == Reason::Default {
        return (best, reason);
    }
    match (&catalog.manifest.exploration, id) {
        (Some(exploration), Some(id)) if exploration.share > 0.0 => {
            let period = now_s / (u64::from(exploration.period_hours).max(1) * 3600);
            let seed = format!("tailor-explore:{}:{period}", block.name);
            let explore = hash(&seed, id, 2).is_some_and(|n| n < exploration.share);
            let adjacent = (1..block.variants.len())
                .map(|step| (best + step) % block.variants.len())
                .find(|&i| block.variants.get(i).is_some_and(|v| eligible(i, v)));
            match (explore, adjacent) {
                (true, Some(other)) => {
                    let instead_of = block.variants.get(best).map(|v| v.id.clone()).unwrap_or_default();
                    (other, Reason::Exploration { instead_of })
                }
                _ => (best, reason),
            }
        }
        _ => (best, reason),
    }
}

/// The first variant whose rule matches, else the default.
fn rule(block: &CompiledBlock, matches: &dyn Fn(&CompiledVariant) -> bool) -> (usize, Reason) {
    match block.variants.iter().position(matches) {
        Some(i) => (i, Reason::Rule),
        None => (block.default, Reason::Default),
    }
}

/// The experiment's arm: the profile's bucket when it names one, else the
/// GrowthBook-compatible hash assignment.
fn assign(exp: &CompiledExperiment, attributes: &Value) -> Option<(usize, Reason)> {
    let key = exp.experiment.key();
    let sticky = attributes
        .get("experiments")
        .and_then(|x| x.get(key))
        .and_then(Value::as_u64)
        .and_then(|arm| usize::try_from(arm).ok())
        .filter(|arm| *arm < exp.arms.len());
    let (arm, is_sticky) = match sticky {
        Some(arm) => (arm, true),
        None => (exp.experiment.assign_attributes(attributes)?, false),
    };
    let variant = *exp.arms.get(arm)?;
    Some((
        variant,
        Reason::Experiment {
            key: key.to_owned(),
            arm,
            sticky: is_sticky,
        },
    ))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
