//! The lift report (`tailor stats report`): does personalization pay, are
//! the experiments assigned as declared, how fast does the loop react.
//! Pure: [`tally::Row`](super::tally::Row)s in, a serializable [`Report`]
//! out, rendered as text ([`render_text`]) or a self-contained HTML page
//! ([`render_html`]).
//!
//! Figures, per block, overall and per segment, summed over catalog
//! versions:
//!
//! - **Personalized** traffic is what a rule, an experiment, the bandit or
//!   exploration chose ([`PERSONALIZED_REASONS`]); the **holdout** is the
//!   permanent holdout (visitors given the default on purpose); **default**
//!   is traffic no rule matched. Other reasons count in a block's exposures
//!   only. A rate is conversions ÷ exposures, conversions capped at
//!   exposures (a conversion whose exposure was lost counts once; such an
//!   arm is marked `overcounted`).
//! - **Relative lift** of personalized against the holdout and against the
//!   default: `p_personalized / p_reference − 1`, with a 95 % interval by
//!   the delta method on the log risk ratio (Katz):
//!   `exp(ln(p1/p0) ± 1.96·√(1/x1 − 1/n1 + 1/x0 − 1/n0)) − 1`
//!   (`x` conversions, `n` exposures). Deterministic: no resampling.
//! - **Small sample**: an arm with fewer than [`SMALL_EXPOSURES`] exposures
//!   or fewer than [`SMALL_CONVERSIONS`] conversions on either side makes
//!   the comparison `small_sample`; it then has a point estimate but no
//!   interval.
//! - **Sample ratio** per experiment (reason `experiment`, by experiment
//!   key): exposures per variant against the declared weights, Pearson's
//!   chi-square test with `arms − 1` degrees of freedom; `mismatch` when
//!   `p <` [`SRM_P_VALUE`] (assignment or tracking is broken: do not read
//!   the experiment's conversions). Conversions per arm beside it.
//! - **Exploration share** per block: exploration exposures ÷ all exposures.
//! - **Conversion over time** per block and variant, per UTC day (every
//!   reason), for the chart.
//! - **Loop latency**: of the latest publication of posteriors, the time
//!   from the newest event counted to the posteriors going live.
//!
//! Nothing here panics on any rows: counts are summed saturating, rates of
//! zero exposures are absent, non-finite figures are absent.

mod chart;
mod render;
pub mod stats;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use render::{render_html, render_text};

use super::tally::{DayWindow, Row};

/// The reasons of personalized traffic.
pub const PERSONALIZED_REASONS: [&str; 4] = ["rule", "experiment", "bandit", "exploration"];
/// Fewer exposures than this in an arm makes a comparison a small sample.
pub const SMALL_EXPOSURES: u64 = 100;
/// Fewer conversions than this in an arm makes a comparison a small sample.
pub const SMALL_CONVERSIONS: u64 = 10;
/// A sample-ratio test below this p-value is a mismatch.
pub const SRM_P_VALUE: f64 = 0.001;
/// The report's format version.
pub const SCHEMA: u32 = 1;

/// An experiment as declared in the catalog: what its sample ratio should be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentSpec {
    /// The block it runs on.
    pub block: String,
    /// The experiment key (events' `experiment`).
    pub key: String,
    /// Variant ids, one per arm.
    pub variations: Vec<String>,
    /// Traffic share per arm; equal when empty.
    #[serde(default)]
    pub weights: Vec<f64>,
}

impl ExperimentSpec {
    /// The experiments of a catalog source document (`blocks.*.experiment`:
    /// `key`, `variations`, `weights`); anything else in it is ignored, and
    /// an experiment without a key or variations is skipped.
    pub fn from_source(source: &serde_json::Value) -> Vec<Self> {
        let Some(blocks) = source.get("blocks").and_then(|b| b.as_object()) else {
            return Vec::new();
        };
        let strings = |v: Option<&serde_json::Value>| -> Vec<String> {
            v.and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        blocks
            .iter()
            .filter_map(|(block, value)| {
                let experiment = value.get("experiment")?;
                let key = experiment.get("key")?.as_str()?.to_owned();
                let variations = strings(experiment.get("variations"));
                let weights = experiment
                    .get("weights")
                    .and_then(|w| w.as_array())
                    .map(|a| a.iter().map(|w| w.as_f64().unwrap_or(f64::NAN)).collect())
                    .unwrap_or_default();
                (!variations.is_empty()).then(|| Self {
                    block: block.clone(),
                    key,
                    variations,
                    weights,
                })
            })
            .collect()
    }

    /// Each arm's expected share (summing to 1), equal when no weights are
    /// given; `None` when the weights do not fit the variations (another
    /// count, negative, not numbers, or summing to zero).
    pub fn expected_shares(&self) -> Option<Vec<f64>> {
        let n = self.variations.len();
        if self.weights.is_empty() {
            return (n > 0).then(|| vec![1.0 / n as f64; n]);
        }
        let total: f64 = self.weights.iter().sum();
        let valid = self.weights.len() == n
            && self.weights.iter().all(|w| w.is_finite() && *w >= 0.0)
            && total.is_finite()
            && total > 0.0;
        valid.then(|| self.weights.iter().map(|w| w / total).collect())
    }
}

/// One publication of posteriors by the loop (the control worker's
/// `tailor_runs`; extra fields are ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishRun {
    /// When the posteriors went live, Unix ms.
    pub published_at_ms: u64,
    /// The newest event counted in them, Unix ms.
    pub newest_event_ms: u64,
}

/// What to report on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportOptions {
    /// Only rows of these days; all when `None`.
    pub window: Option<DayWindow>,
    /// The loop's publications, for its latency; none: no latency.
    pub runs: Vec<PublishRun>,
}

/// The report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Format version ([`SCHEMA`]).
    pub schema: u32,
    /// The first UTC day with rows (days since the epoch).
    pub first_day: Option<u32>,
    /// The last UTC day with rows.
    pub last_day: Option<u32>,
    /// Exposures counted, every reason.
    pub exposures: u64,
    /// Conversions counted, every reason.
    pub conversions: u64,
    /// Per block, by name.
    pub blocks: Vec<BlockReport>,
    /// Per experiment, by block and key.
    pub experiments: Vec<ExperimentReport>,
    /// The latest publication's latency, when runs were given.
    pub loop_latency: Option<LoopLatency>,
}

/// One block's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BlockReport {
    /// The block.
    pub block: String,
    /// Exposures, every reason.
    pub exposures: u64,
    /// Exploration exposures ÷ all exposures; `None` without exposures.
    pub exploration_share: Option<f64>,
    /// Every segment together.
    pub overall: Comparison,
    /// Per segment label (`""`: events without segment labels); empty
    /// when no event had labels.
    pub segments: Vec<Comparison>,
    /// Conversion per day, per variant, for the chart.
    pub series: Vec<VariantSeries>,
}

/// Personalized traffic against the holdout and the default, in one segment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// `industry=fintech&role=cto`; `""` for no labels (and for `overall`).
    pub segment: String,
    /// Rule, experiment, bandit and exploration traffic.
    pub personalized: Arm,
    /// The permanent holdout.
    pub holdout: Arm,
    /// No rule matched.
    pub default: Arm,
    /// Personalized against the holdout.
    pub lift_vs_holdout: Lift,
    /// Personalized against the default.
    pub lift_vs_default: Lift,
}

/// Exposures and conversions of one arm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    /// Exposures.
    pub exposures: u64,
    /// Conversions, as counted.
    pub conversions: u64,
    /// Conversions (capped at exposures) ÷ exposures; `None` without exposures.
    pub rate: Option<f64>,
    /// More conversions than exposures were counted (exposures lost).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overcounted: bool,
}

/// A relative lift `p / p_reference − 1`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Lift {
    /// The point estimate; `None` when a rate is absent or the reference's is zero.
    pub lift: Option<f64>,
    /// The 95 % interval; `None` for a small sample or no conversions.
    pub interval: Option<Interval>,
    /// Too few exposures or conversions on either side to say.
    pub small_sample: bool,
}

/// A 95 % interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// One variant's conversion per day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VariantSeries {
    /// The variant.
    pub variant: String,
    /// Days with exposures, in order.
    pub points: Vec<DayPoint>,
}

/// One day of one variant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DayPoint {
    /// UTC day, days since the epoch.
    pub day: u32,
    /// Exposures that day.
    pub exposures: u64,
    /// Conversions that day.
    pub conversions: u64,
    /// Conversions (capped) ÷ exposures.
    pub rate: f64,
}

/// One experiment's assignment check and arms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExperimentReport {
    /// The block.
    pub block: String,
    /// The experiment key.
    pub experiment: String,
    /// Whether the catalog declared it (weights known).
    pub declared: bool,
    /// Exposures, every arm.
    pub exposures: u64,
    /// Per variant: declared arms first, in arm order, then undeclared ones.
    pub arms: Vec<ExperimentArm>,
    /// The sample-ratio test over the declared arms; `None` without
    /// declared weights, exposures or two arms.
    pub sample_ratio: Option<SampleRatio>,
}

/// One experiment arm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExperimentArm {
    /// The variant.
    pub variant: String,
    /// Declared share; `None` for a variant the catalog does not list.
    pub expected_share: Option<f64>,
    /// Share of the experiment's exposures.
    pub observed_share: Option<f64>,
    /// Exposures and conversions.
    pub counts: Arm,
}

/// Pearson's chi-square test of exposures per arm against declared weights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleRatio {
    /// The statistic, Σ (observed − expected)² ÷ expected (`f64::MAX` when
    /// an arm declared with no share has exposures).
    pub chi_square: f64,
    /// Arms − 1.
    pub degrees_of_freedom: u32,
    /// `P(χ² ≥ statistic)`.
    pub p_value: f64,
    /// `p_value <` [`SRM_P_VALUE`].
    pub mismatch: bool,
}

/// How long the loop took to react.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LoopLatency {
    /// The latest publication, Unix ms.
    pub published_at_ms: u64,
    /// The newest event it counted, Unix ms.
    pub newest_event_ms: u64,
    /// From that event to the posteriors going live, ms.
    pub latency_ms: u64,
    /// Publications given.
    pub runs: usize,
}

/// Saturating exposures and conversions.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    exposures: u64,
    conversions: u64,
}

impl Sum {
    fn add(&mut self, exposures: u64, conversions: u64) {
        self.exposures = self.exposures.saturating_add(exposures);
        self.conversions = self.conversions.saturating_add(conversions);
    }

    fn arm(self) -> Arm {
        Arm {
            exposures: self.exposures,
            conversions: self.conversions,
            rate: rate(self.conversions, self.exposures),
            overcounted: self.conversions > self.exposures,
        }
    }
}

/// Conversions (capped at exposures) ÷ exposures.
fn rate(conversions: u64, exposures: u64) -> Option<f64> {
    (exposures > 0).then(|| conversions.min(exposures) as f64 / exposures as f64)
}

/// Personalized, holdout, default.
type Arms = [Sum; 3];

/// One block while rows are summed.
#[derive(Default)]
struct BlockSums {
    exposures: u64,
    exploration: u64,
    overall: Arms,
    segments: BTreeMap<String, Arms>,
    series: BTreeMap<String, BTreeMap<u32, Sum>>,
}

/// The report of `rows` (see the module doc for every figure).
pub fn report(rows: &[Row], experiments: &[ExperimentSpec], options: &ReportOptions) -> Report {
    let rows: Vec<&Row> = rows
        .iter()
        .filter(|r| options.window.is_none_or(|w| w.contains(r.key.day)))
        .collect();
    let mut out = Report {
        schema: SCHEMA,
        first_day: rows.iter().map(|r| r.key.day).min(),
        last_day: rows.iter().map(|r| r.key.day).max(),
        ..Report::default()
    };
    let mut blocks: BTreeMap<&str, BlockSums> = BTreeMap::new();
    for row in &rows {
        let (key, counts) = (&row.key, &row.counts);
        out.exposures = out.exposures.saturating_add(counts.exposures);
        out.conversions = out.conversions.saturating_add(counts.conversions);
        let block = blocks.entry(key.block.as_str()).or_default();
        block.exposures = block.exposures.saturating_add(counts.exposures);
        if key.reason == "exploration" {
            block.exploration = block.exploration.saturating_add(counts.exposures);
        }
        let arm = match key.reason.as_str() {
            r if PERSONALIZED_REASONS.contains(&r) => Some(0),
            "holdout" => Some(1),
            "default" => Some(2),
            _ => None,
        };
        if let Some(arm) = arm {
            let segment = block.segments.entry(key.segment.clone()).or_default();
            for sums in [&mut block.overall, segment] {
                if let Some(sum) = sums.get_mut(arm) {
                    sum.add(counts.exposures, counts.conversions);
                }
            }
        }
        block
            .series
            .entry(key.variant.clone())
            .or_default()
            .entry(key.day)
            .or_default()
            .add(counts.exposures, counts.conversions);
    }
    out.blocks = blocks
        .into_iter()
        .map(|(name, sums)| block_report(name, sums))
        .collect();
    out.experiments = experiment_reports(&rows, experiments);
    out.loop_latency = options
        .runs
        .iter()
        .max_by_key(|r| (r.published_at_ms, r.newest_event_ms))
        .map(|latest| LoopLatency {
            published_at_ms: latest.published_at_ms,
            newest_event_ms: latest.newest_event_ms,
            latency_ms: latest.published_at_ms.saturating_sub(latest.newest_event_ms),
            runs: options.runs.len(),
        });
    out
}

fn block_report(name: &str, sums: BlockSums) -> BlockReport {
    let labelled = sums.segments.keys().any(|s| !s.is_empty());
    BlockReport {
        block: name.to_owned(),
        exposures: sums.exposures,
        exploration_share: (sums.exposures > 0).then(|| sums.exploration as f64 / sums.exposures as f64),
        overall: comparison("", &sums.overall),
        segments: if labelled {
            sums.segments
                .iter()
                .map(|(s, arms)| comparison(s, arms))
                .collect()
        } else {
            Vec::new()
        },
        series: sums
            .series
            .into_iter()
            .map(|(variant, days)| VariantSeries {
                variant,
                points: days
                    .into_iter()
                    .filter_map(|(day, sum)| {
                        Some(DayPoint {
                            day,
                            exposures: sum.exposures,
                            conversions: sum.conversions,
                            rate: rate(sum.conversions, sum.exposures)?,
                        })
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn comparison(segment: &str, arms: &Arms) -> Comparison {
    let [personalized, holdout, default] = *arms;
    Comparison {
        segment: segment.to_owned(),
        personalized: personalized.arm(),
        holdout: holdout.arm(),
        default: default.arm(),
        lift_vs_holdout: lift(personalized, holdout),
        lift_vs_default: lift(personalized, default),
    }
}

/// The lift of `arm` over `reference`, with its interval unless small.
fn lift(arm: Sum, reference: Sum) -> Lift {
    let small = [arm, reference]
        .iter()
        .any(|s| s.exposures < SMALL_EXPOSURES || s.conversions.min(s.exposures) < SMALL_CONVERSIONS);
    let point = match (
        rate(arm.conversions, arm.exposures),
        rate(reference.conversions, reference.exposures),
    ) {
        (Some(p), Some(r)) if r > 0.0 => Some(p / r - 1.0).filter(|l| l.is_finite()),
        _ => None,
    };
    let interval = if small {
        None
    } else {
        stats::lift_interval(
            arm.conversions,
            arm.exposures,
            reference.conversions,
            reference.exposures,
        )
        .map(|(low, high)| Interval { low, high })
    };
    Lift {
        lift: point,
        interval,
        small_sample: small,
    }
}

fn experiment_reports(rows: &[&Row], specs: &[ExperimentSpec]) -> Vec<ExperimentReport> {
    let mut observed: BTreeMap<(&str, &str), BTreeMap<&str, Sum>> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.key.reason == "experiment") {
        let key = &row.key;
        observed
            .entry((key.block.as_str(), key.experiment.as_str()))
            .or_default()
            .entry(key.variant.as_str())
            .or_default()
            .add(row.counts.exposures, row.counts.conversions);
    }
    for spec in specs {
        observed
            .entry((spec.block.as_str(), spec.key.as_str()))
            .or_default();
    }
    observed
        .into_iter()
        .map(|((block, experiment), variants)| {
            let spec = specs
                .iter()
                .find(|s| s.key == experiment && s.block == block)
                .or_else(|| specs.iter().find(|s| s.key == experiment));
            experiment_report(block, experiment, spec, &variants)
        })
        .collect()
}

fn experiment_report(
    block: &str,
    experiment: &str,
    spec: Option<&ExperimentSpec>,
    variants: &BTreeMap<&str, Sum>,
) -> ExperimentReport {
    let total = variants.values().fold(0u64, |t, s| t.saturating_add(s.exposures));
    let share = |exposures: u64| (total > 0).then(|| exposures as f64 / total as f64);
    // Declared arms (a variant listed twice gets both arms' weight).
    let mut declared: Vec<(&str, f64)> = Vec::new();
    if let Some(shares) = spec.and_then(ExperimentSpec::expected_shares) {
        for (variant, weight) in spec.into_iter().flat_map(|s| &s.variations).zip(shares) {
            match declared.iter_mut().find(|(v, _)| *v == variant.as_str()) {
                Some((_, w)) => *w += weight,
                None => declared.push((variant.as_str(), weight)),
            }
        }
    }
    let counts = |variant: &str| variants.get(variant).copied().unwrap_or_default();
    let mut arms: Vec<ExperimentArm> = declared
        .iter()
        .map(|(variant, expected)| ExperimentArm {
            variant: (*variant).to_owned(),
            expected_share: Some(*expected),
            observed_share: share(counts(variant).exposures),
            counts: counts(variant).arm(),
        })
        .collect();
    arms.extend(
        variants
            .iter()
            .filter(|(v, _)| !declared.iter().any(|(d, _)| d == *v))
            .map(|(variant, sum)| ExperimentArm {
                variant: (*variant).to_owned(),
                expected_share: None,
                observed_share: share(sum.exposures),
                counts: sum.arm(),
            }),
    );
    let declared_counts: Vec<(u64, f64)> = declared.iter().map(|(v, w)| (counts(v).exposures, *w)).collect();
    ExperimentReport {
        block: block.to_owned(),
        experiment: experiment.to_owned(),
        declared: spec.is_some(),
        exposures: total,
        arms,
        sample_ratio: sample_ratio(&declared_counts),
    }
}

/// Pearson's test of `(observed, expected share)` per arm; `None` without
/// exposures or with fewer than two arms of a positive share.
fn sample_ratio(arms: &[(u64, f64)]) -> Option<SampleRatio> {
    let n = arms.iter().fold(0u64, |t, (o, _)| t.saturating_add(*o)) as f64;
    let positive = arms.iter().filter(|(_, w)| *w > 0.0).count();
    if n <= 0.0 || positive < 2 {
        return None;
    }
    let mut chi_square = 0.0;
    for (observed, share) in arms {
        let expected = n * share;
        let observed = *observed as f64;
        chi_square += if expected > 0.0 {
            (observed - expected).powi(2) / expected
        } else if observed > 0.0 {
            f64::INFINITY
        } else {
            0.0
        };
    }
    let degrees_of_freedom = u32::try_from(positive - 1).unwrap_or(u32::MAX);
    let p_value = stats::chi_square_p_value(chi_square, degrees_of_freedom)?;
    Some(SampleRatio {
        // Finite, so the JSON holds a number (a variant with no share: infinite).
        chi_square: chi_square.min(f64::MAX),
        degrees_of_freedom,
        p_value,
        mismatch: p_value < SRM_P_VALUE,
    })
}
