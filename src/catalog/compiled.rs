//! A manifest compiled once per version: conditions parsed and regexes built,
//! experiments' bucket ranges computed. Per request nothing is re-parsed.

use std::rc::Rc;

use serde_json::Value;

use super::{Manifest, ValidationError};
use crate::experiment::{Experiment, ExperimentSpec};
use crate::targeting::{Condition, RegexEngine, SavedGroups};

/// One variant, ready to evaluate.
#[derive(Debug)]
pub struct CompiledVariant {
    /// The variant's id.
    pub id: String,
    /// Its fragment's hash.
    pub fragment: String,
    /// Its targeting condition; `None` means "not targeted": shown only as the
    /// default, an experiment arm, by exploration or by the bandit.
    pub when: Option<Condition>,
}

/// A block's experiment, ready to assign.
#[derive(Debug)]
pub struct CompiledExperiment {
    /// The GrowthBook-compatible assignment.
    pub experiment: Experiment,
    /// Variant index per arm.
    pub arms: Vec<usize>,
    /// Who is eligible.
    pub when: Option<Condition>,
}

/// One block, ready to decide.
#[derive(Debug)]
pub struct CompiledBlock {
    /// The block's name.
    pub name: String,
    /// Variants in priority order.
    pub variants: Vec<CompiledVariant>,
    /// Index of the default variant.
    pub default: usize,
    /// The experiment, if any.
    pub experiment: Option<CompiledExperiment>,
    /// The bandit, if the block has statistics.
    pub bandit: Option<CompiledBandit>,
}

/// A block's bandit statistics, by variant index.
#[derive(Debug)]
pub struct CompiledBandit {
    /// `(variant index, alpha, beta)`.
    pub arms: Vec<(usize, f64, f64)>,
    /// How long a visitor keeps the same draw, in hours.
    pub period_hours: u32,
}

/// A manifest and everything compiled from it.
#[derive(Debug)]
pub struct CompiledCatalog {
    /// The manifest as stored.
    pub manifest: Rc<Manifest>,
    /// Blocks in name order.
    pub blocks: Vec<CompiledBlock>,
    /// Saved groups for conditions.
    pub saved_groups: SavedGroups,
}

fn condition(
    doc: Option<&Value>,
    at: &str,
    regex: &dyn RegexEngine,
    groups: &SavedGroups,
) -> Result<Option<Condition>, ValidationError> {
    doc.map(|doc| {
        let condition = Condition::compile(doc, regex)
            .map_err(|e| ValidationError::new(at, format!("condition: {e}")))?;
        groups
            .check(&condition)
            .map_err(|e| ValidationError::new(at, format!("condition: {e}")))?;
        Ok(condition)
    })
    .transpose()
}

impl CompiledCatalog {
    /// Compiles every condition and experiment of a validated manifest; the
    /// first problem is reported with its path.
    pub fn compile(manifest: Rc<Manifest>, regex: &dyn RegexEngine) -> Result<Self, ValidationError> {
        let saved_groups = SavedGroups::compile(
            manifest
                .saved_groups
                .iter()
                .map(|(id, entry)| (id.as_str(), entry)),
            regex,
        )
        .map_err(|e| ValidationError::new(format!("saved_groups.{}", e.group()), e.to_string()))?;
        let mut blocks = Vec::with_capacity(manifest.blocks.len());
        for (name, block) in &manifest.blocks {
            let at = format!("blocks.{name}");
            let mut variants = Vec::with_capacity(block.variants.len());
            for (i, v) in block.variants.iter().enumerate() {
                let when = condition(
                    v.when.as_ref(),
                    &format!("{at}.variants.{i}.when"),
                    regex,
                    &saved_groups,
                )?;
                variants.push(CompiledVariant {
                    id: v.id.clone(),
                    fragment: v.fragment.clone(),
                    when,
                });
            }
            let index_of = |id: &str| variants.iter().position(|v| v.id == id);
            let default = index_of(&block.default)
                .ok_or_else(|| ValidationError::new(format!("{at}.default"), "names no variant"))?;
            let experiment = match &block.experiment {
                None => None,
                Some(exp) => {
                    let arms = exp
                        .variations
                        .iter()
                        .map(|id| index_of(id))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            ValidationError::new(format!("{at}.experiment"), "names no variant")
                        })?;
                    let spec = ExperimentSpec {
                        key: exp.key.clone(),
                        num_variations: exp.variations.len(),
                        weights: exp.weights.clone(),
                        coverage: exp.coverage,
                        hash_version: exp.hash_version,
                        seed: exp.seed.clone(),
                        namespace: exp.namespace.clone().map(Into::into),
                        ranges: None,
                        hash_attribute: exp.hash_attribute.clone(),
                    };
                    let experiment = Experiment::new(spec)
                        .map_err(|e| ValidationError::new(format!("{at}.experiment"), e.to_string()))?;
                    let when = condition(
                        exp.when.as_ref(),
                        &format!("{at}.experiment.when"),
                        regex,
                        &saved_groups,
                    )?;
                    Some(CompiledExperiment {
                        experiment,
                        arms,
                        when,
                    })
                }
            };
            let bandit = block.bandit.as_ref().map(|bandit| {
                let arms = bandit
                    .arms
                    .iter()
                    .filter_map(|(id, (a, b))| index_of(id).map(|i| (i, *a, *b)))
                    .collect();
                CompiledBandit {
                    arms,
                    period_hours: bandit.period_hours,
                }
            });
            blocks.push(CompiledBlock {
                name: name.clone(),
                variants,
                default,
                experiment,
                bandit,
            });
        }
        Ok(Self {
            manifest,
            blocks,
            saved_groups,
        })
    }
}
