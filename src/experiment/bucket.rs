//! Bucketing: weights and coverage into ranges of `[0, 1)`, a hash into a variation.

use serde::{Deserialize, Serialize};

use super::hash::hash;

/// A half-open range `[start, end)` of hash values; a variation's bucket.
pub type BucketRange = (f64, f64);

/// A namespace slice: users whose namespace hash falls in `[start, end)` may
/// enter the experiment (mutually exclusive experiments share a namespace id
/// and take disjoint slices). In JSON it is GrowthBook's tuple
/// `["namespace-id", 0, 0.5]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "(String, f64, f64)", into = "(String, f64, f64)")]
pub struct Namespace {
    /// The namespace id.
    pub id: String,
    /// Inclusive lower bound in `[0, 1]`.
    pub start: f64,
    /// Exclusive upper bound in `[0, 1]`.
    pub end: f64,
}

impl From<(String, f64, f64)> for Namespace {
    fn from((id, start, end): (String, f64, f64)) -> Self {
        Namespace { id, start, end }
    }
}

impl From<Namespace> for (String, f64, f64) {
    fn from(ns: Namespace) -> Self {
        (ns.id, ns.start, ns.end)
    }
}

/// The SDK's `getEqualWeights(n)`: `n` weights of `1/n` (none for `n = 0`).
pub fn get_equal_weights(n: usize) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    vec![1.0 / n as f64; n]
}

/// The SDK's `getBucketRanges(numVariations, coverage, weights)`.
///
/// - `coverage` defaults to 1 and is clamped to `[0, 1]`;
/// - `weights` default to equal weights, and are replaced by equal weights
///   when their count is not `num_variations` or their sum is outside
///   `[0.99, 1.01]`;
/// - variation `i` gets `[cumulative_i, cumulative_i + coverage × weight_i)`,
///   so reducing coverage shrinks each bucket from its end and never moves a
///   user to another variation.
///
/// Differs from the SDK only on non-finite input, which JSON cannot carry: a
/// NaN coverage counts as 0 and weights with a NaN sum are replaced by equal
/// weights (in the SDK both yield ranges no hash falls in, or NaN ranges).
pub fn get_bucket_ranges(
    num_variations: usize,
    coverage: Option<f64>,
    weights: Option<&[f64]>,
) -> Vec<BucketRange> {
    let coverage = coverage.unwrap_or(1.0);
    let coverage = if coverage.is_nan() {
        0.0
    } else {
        coverage.clamp(0.0, 1.0)
    };
    let equal = get_equal_weights(num_variations);
    let mut weights = weights.unwrap_or(&equal);
    if weights.len() != num_variations {
        weights = &equal;
    }
    // The SDK sums with `reduce((w, sum) => sum + w, 0)`: left to right.
    let total = weights.iter().fold(0.0, |sum, w| w + sum);
    if !(0.99..=1.01).contains(&total) {
        weights = &equal;
    }
    let mut cumulative = 0.0;
    weights
        .iter()
        .map(|w| {
            let start = cumulative;
            cumulative += w;
            (start, start + coverage * w)
        })
        .collect()
}

/// The SDK's `inRange`: `start <= n < end`.
pub fn in_range(n: f64, range: BucketRange) -> bool {
    n >= range.0 && n < range.1
}

/// The SDK's `chooseVariation`: the index of the first range holding `n`, or
/// `None` (the SDK's `-1`) when the hash falls outside every bucket.
pub fn choose_variation(n: f64, ranges: &[BucketRange]) -> Option<usize> {
    ranges.iter().position(|range| in_range(n, *range))
}

/// The SDK's `inNamespace`: whether the user with `hash_value` falls in the
/// namespace slice (`hash("__" + id, hash_value, 1)` in `[start, end)`).
pub fn in_namespace(hash_value: &str, namespace: &Namespace) -> bool {
    let seed = format!("__{}", namespace.id);
    hash(&seed, hash_value, 1).is_some_and(|n| n >= namespace.start && n < namespace.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_weights_split_evenly() {
        assert_eq!(get_equal_weights(0), Vec::<f64>::new());
        assert_eq!(get_equal_weights(4), vec![0.25; 4]);
    }

    #[test]
    fn coverage_shrinks_each_bucket_from_its_end() {
        assert_eq!(
            get_bucket_ranges(2, Some(0.5), None),
            vec![(0.0, 0.25), (0.5, 0.75)]
        );
    }

    #[test]
    fn coverage_is_clamped_to_zero_and_one() {
        assert_eq!(
            get_bucket_ranges(2, Some(-1.0), None),
            vec![(0.0, 0.0), (0.5, 0.5)]
        );
        assert_eq!(
            get_bucket_ranges(2, Some(7.0), None),
            vec![(0.0, 0.5), (0.5, 1.0)]
        );
        assert_eq!(
            get_bucket_ranges(2, Some(f64::NAN), None),
            vec![(0.0, 0.0), (0.5, 0.5)]
        );
    }

    #[test]
    fn weights_that_do_not_fit_are_replaced_by_equal_weights() {
        let equal = vec![(0.0, 0.5), (0.5, 1.0)];
        assert_eq!(get_bucket_ranges(2, None, Some(&[0.3, 0.3])), equal);
        assert_eq!(get_bucket_ranges(2, None, Some(&[0.9, 0.3])), equal);
        assert_eq!(get_bucket_ranges(2, None, Some(&[1.0])), equal);
        assert_eq!(get_bucket_ranges(2, None, Some(&[f64::NAN, 0.5])), equal);
    }

    #[test]
    fn weights_close_to_one_are_kept() {
        assert_eq!(
            get_bucket_ranges(2, None, Some(&[0.4, 0.5999])),
            vec![(0.0, 0.4), (0.4, 0.9999)]
        );
    }

    #[test]
    fn choose_variation_picks_the_first_range_holding_the_hash() {
        let ranges = [(0.0, 0.25), (0.5, 0.75)];
        assert_eq!(choose_variation(0.0, &ranges), Some(0));
        assert_eq!(choose_variation(0.25, &ranges), None);
        assert_eq!(choose_variation(0.5, &ranges), Some(1));
        assert_eq!(choose_variation(0.75, &ranges), None);
    }

    #[test]
    fn namespace_reads_growthbooks_tuple() {
        let ns: Namespace = serde_json::from_str(r#"["pricing", 0, 0.5]"#).unwrap();
        assert_eq!(
            ns,
            Namespace {
                id: "pricing".into(),
                start: 0.0,
                end: 0.5
            }
        );
        assert_eq!(serde_json::to_string(&ns).unwrap(), r#"["pricing",0.0,0.5]"#);
    }
}
