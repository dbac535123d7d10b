//! GrowthBook's experiment hashing and bucketing.
//!
//! The same user lands in the same variation here as with GrowthBook's
//! JavaScript SDK (`@growthbook/growthbook` 1.7, `src/util.ts` and the
//! bucketing steps of `runExperiment` in `src/core.ts`): [`hash`] is the SDK's
//! FNV-1a based hash (versions 1 and 2), [`get_bucket_ranges`] turns weights
//! and coverage into ranges, [`choose_variation`] picks the range a hash falls
//! in, [`in_namespace`] implements mutually exclusive namespaces.
//! `tests/growthbook_cases.rs` runs GrowthBook's shared test cases for each.
//!
//! [`Experiment`] is the compiled form of one experiment: ranges are computed
//! once, then [`Experiment::assign`] maps a hash value (the user's id) to a
//! variation index.

mod bucket;
mod hash;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use bucket::{
    choose_variation, get_bucket_ranges, get_equal_weights, in_namespace, in_range, BucketRange, Namespace,
};
pub use hash::{fnv1a32, hash};

/// Most variations (and weights, and explicit ranges) in one experiment.
pub const MAX_VARIATIONS: usize = 256;

/// Longest key, seed, namespace id or hash attribute name, in bytes.
pub const MAX_NAME_BYTES: usize = 1_024;

/// The hash attribute when none is given (the SDK's default).
pub const DEFAULT_HASH_ATTRIBUTE: &str = "id";

/// One experiment as written in a catalog (GrowthBook's experiment fields,
/// camelCase in JSON; unknown fields are refused).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExperimentSpec {
    /// The experiment key; also the hash seed unless [`seed`](Self::seed) is set.
    pub key: String,
    /// How many variations (arms); at least 2.
    pub num_variations: usize,
    /// Traffic share of each variation; equal when absent (or when invalid:
    /// see [`get_bucket_ranges`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Vec<f64>>,
    /// Share of users included, in `[0, 1]` (clamped); 1 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
    /// Hash version, 1 or 2; 1 when absent or 0 (the SDK's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_version: Option<u32>,
    /// Hash seed; the key when absent or empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// The namespace slice the experiment runs in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Namespace>,
    /// Explicit bucket ranges; when present, weights and coverage are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges: Option<Vec<BucketRange>>,
    /// The attribute whose value is hashed; `id` when absent or empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_attribute: Option<String>,
}

/// Why an [`ExperimentSpec`] was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ExperimentError {
    /// The key is empty.
    #[error("an experiment needs a non-empty key")]
    EmptyKey,
    /// Fewer than two variations (the SDK would never enroll anyone).
    #[error("an experiment needs at least 2 variations, found {found}")]
    TooFewVariations {
        /// The number given.
        found: usize,
    },
    /// A list longer than [`MAX_VARIATIONS`].
    #[error("`{field}` has {len} entries, more than the {max} allowed")]
    TooMany {
        /// `numVariations`, `weights` or `ranges`.
        field: &'static str,
        /// The number given.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A hash version other than 1 or 2 (the SDK would never enroll anyone).
    #[error("unknown hash version {version} (expected 1 or 2)")]
    UnknownHashVersion {
        /// The version given.
        version: u32,
    },
    /// A NaN or infinite number.
    #[error("`{field}` must be a finite number")]
    NotFinite {
        /// `weights`, `coverage`, `ranges` or `namespace`.
        field: &'static str,
    },
    /// A string longer than [`MAX_NAME_BYTES`].
    #[error("`{field}` is {len} bytes, more than the {max} allowed")]
    NameTooLong {
        /// `key`, `seed`, `namespace` or `hashAttribute`.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// A compiled experiment: everything [`assign`](Self::assign) needs, with the
/// bucket ranges computed once.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    key: String,
    num_variations: usize,
    seed: String,
    hash_version: u32,
    namespace: Option<Namespace>,
    ranges: Vec<BucketRange>,
    hash_attribute: String,
}

fn check_name(field: &'static str, s: &str) -> Result<(), ExperimentError> {
    if s.len() > MAX_NAME_BYTES {
        return Err(ExperimentError::NameTooLong {
            field,
            len: s.len(),
            max: MAX_NAME_BYTES,
        });
    }
    Ok(())
}

fn check_len(field: &'static str, len: usize) -> Result<(), ExperimentError> {
    if len > MAX_VARIATIONS {
        return Err(ExperimentError::TooMany {
            field,
            len,
            max: MAX_VARIATIONS,
        });
    }
    Ok(())
}

fn check_finite(field: &'static str, values: impl IntoIterator<Item = f64>) -> Result<(), ExperimentError> {
    if values.into_iter().all(f64::is_finite) {
        Ok(())
    } else {
        Err(ExperimentError::NotFinite { field })
    }
}

impl Experiment {
    /// Validates a spec and precomputes its bucket ranges.
    ///
    /// Weights and coverage follow the SDK's lenient rules (clamped, or
    /// replaced by equal weights: see [`get_bucket_ranges`]). What would make
    /// the SDK enroll nobody at all is refused instead, since catalogs are
    /// validated when published: fewer than 2 variations, an unknown hash
    /// version. So are an empty key, non-finite numbers, and lists or names
    /// over [`MAX_VARIATIONS`] / [`MAX_NAME_BYTES`].
    pub fn new(spec: ExperimentSpec) -> Result<Experiment, ExperimentError> {
        let ExperimentSpec {
            key,
            num_variations,
            weights,
            coverage,
            hash_version,
            seed,
            namespace,
            ranges,
            hash_attribute,
        } = spec;
        if key.is_empty() {
            return Err(ExperimentError::EmptyKey);
        }
        check_name("key", &key)?;
        if num_variations < 2 {
            return Err(ExperimentError::TooFewVariations {
                found: num_variations,
            });
        }
        check_len("numVariations", num_variations)?;
        // The SDK's `experiment.hashVersion || 1`.
        let hash_version = match hash_version.unwrap_or(0) {
            0 => 1,
            v @ (1 | 2) => v,
            version => return Err(ExperimentError::UnknownHashVersion { version }),
        };
        // The SDK's `experiment.seed || key`.
        let seed = seed.filter(|s| !s.is_empty()).unwrap_or_else(|| key.clone());
        check_name("seed", &seed)?;
        let hash_attribute = hash_attribute
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_HASH_ATTRIBUTE.to_owned());
        check_name("hashAttribute", &hash_attribute)?;
        if let Some(ns) = &namespace {
            check_name("namespace", &ns.id)?;
            check_finite("namespace", [ns.start, ns.end])?;
        }
        check_finite("coverage", coverage)?;
        if let Some(w) = &weights {
            check_len("weights", w.len())?;
            check_finite("weights", w.iter().copied())?;
        }
        let ranges = match ranges {
            Some(ranges) => {
                check_len("ranges", ranges.len())?;
                check_finite("ranges", ranges.iter().flat_map(|(a, b)| [*a, *b]))?;
                ranges
            }
            None => get_bucket_ranges(num_variations, coverage, weights.as_deref()),
        };
        Ok(Experiment {
            key,
            num_variations,
            seed,
            hash_version,
            namespace,
            ranges,
            hash_attribute,
        })
    }

    /// The variation index for the user whose hash attribute value is
    /// `hash_value`, or `None` when the user is not in the experiment: empty
    /// hash value, outside the namespace slice, or outside coverage (a hash
    /// in no bucket, or in an explicit range past the last variation).
    ///
    /// These are the SDK's `runExperiment` steps 6, 7 (namespace), 9 and 10.
    pub fn assign(&self, hash_value: &str) -> Option<usize> {
        if hash_value.is_empty() {
            return None;
        }
        if let Some(namespace) = &self.namespace {
            if !in_namespace(hash_value, namespace) {
                return None;
            }
        }
        let n = hash(&self.seed, hash_value, self.hash_version)?;
        choose_variation(n, &self.ranges).filter(|i| *i < self.num_variations)
    }

    /// The value hashed for a user: the attribute named
    /// [`hash_attribute`](Self::hash_attribute) (a top-level key, not a
    /// dotted path), as the JS string the SDK would concatenate (`123` →
    /// `"123"`), or `None` when it is missing or falsy (`""`, `0`, `false`,
    /// `null`), as in the SDK's `getHashAttribute`.
    pub fn hash_value(&self, attributes: &Value) -> Option<String> {
        let value = attributes.as_object()?.get(&self.hash_attribute)?;
        if !crate::targeting::js::truthy(value) {
            return None;
        }
        Some(crate::targeting::js::to_js_string(value).into_owned())
    }

    /// [`assign`](Self::assign) for a user's attributes, via
    /// [`hash_value`](Self::hash_value).
    pub fn assign_attributes(&self, attributes: &Value) -> Option<usize> {
        self.assign(&self.hash_value(attributes)?)
    }

    /// The experiment key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// How many variations.
    pub fn num_variations(&self) -> usize {
        self.num_variations
    }

    /// The hash seed in effect (the key unless a seed was given).
    pub fn seed(&self) -> &str {
        &self.seed
    }

    /// The hash version in effect (1 or 2).
    pub fn hash_version(&self) -> u32 {
        self.hash_version
    }

    /// The attribute whose value is hashed.
    pub fn hash_attribute(&self) -> &str {
        &self.hash_attribute
    }

    /// The namespace slice, if any.
    pub fn namespace(&self) -> Option<&Namespace> {
        self.namespace.as_ref()
    }

    /// The bucket ranges in effect, one per variation (or as given).
    pub fn ranges(&self) -> &[BucketRange] {
        &self.ranges
    }
}
