//! The lift report on events with known figures: a lift, a sample-ratio
//! mismatch, duplicates, small samples; and no panic on any rows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use tailor_edge::events::report::{
    render_html, render_text, report, ExperimentSpec, PublishRun, Report, ReportOptions,
};
use tailor_edge::events::tally::{Counts, DayWindow, Exposures, Row, Seen, Tallies, TallyKey, DAY_MS};
use tailor_edge::events::{ndjson, Event};
use tailor_edge::platform::fakes::splitmix64;

/// A seeded PRNG (SplitMix64, the fakes' own): the same events on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let out = splitmix64(self.0);
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        out
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

const DAY0: u64 = 20_400;

/// Builds events with unique ids.
#[derive(Default)]
struct Events {
    events: Vec<Event>,
}

impl Events {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        kind: &str,
        block: &str,
        variant: &str,
        reason: &str,
        experiment: Option<&str>,
        day: u64,
    ) {
        let n = self.events.len();
        self.events.push(Event {
            kind: kind.to_owned(),
            event_id: Some(format!("e{n}")),
            channel: None,
            ts_ms: (DAY0 + day) * DAY_MS + 1_000,
            site: "demo".to_owned(),
            catalog_version: "v-1".to_owned(),
            path: "/".to_owned(),
            block: block.to_owned(),
            variant: variant.to_owned(),
            reason: reason.to_owned(),
            experiment: experiment.map(str::to_owned),
            arm: None,
            id: Some(format!("visitor-{n}")),
            segment: BTreeMap::from([("industry".to_owned(), "fintech".to_owned())]),
            goal: None,
        });
    }

    /// `visitors` exposures of `variant` by `reason`, each converting with
    /// probability `rate`, spread over three days.
    #[allow(clippy::too_many_arguments)]
    fn visitors(
        &mut self,
        rng: &mut Rng,
        visitors: usize,
        rate: f64,
        block: &str,
        variant: &str,
        reason: &str,
        experiment: Option<&str>,
    ) {
        for i in 0..visitors {
            let day = (i % 3) as u64;
            self.push("exposure", block, variant, reason, experiment, day);
            if rng.chance(rate) {
                self.push("conversion", block, variant, reason, experiment, day);
            }
        }
    }

    fn report(&self, experiments: &[ExperimentSpec]) -> Report {
        let text = ndjson(&self.events);
        let tallies = Tallies::from_lines(text.lines(), &mut Seen::default(), Exposures::Served);
        report(&tallies.to_rows(), experiments, &ReportOptions::default())
    }
}

fn even(block: &str, key: &str, variations: &[&str]) -> ExperimentSpec {
    ExperimentSpec {
        block: block.to_owned(),
        key: key.to_owned(),
        variations: variations.iter().map(|v| (*v).to_owned()).collect(),
        weights: vec![0.5, 0.5],
    }
}

#[test]
fn personalized_at_12_percent_against_a_holdout_at_8_shows_a_lift_whose_interval_holds_one_half() {
    let mut rng = Rng(23);
    let mut events = Events::default();
    events.visitors(&mut rng, 20_000, 0.12, "offer", "bold", "rule", None);
    events.visitors(&mut rng, 20_000, 0.08, "offer", "control", "holdout", None);
    let report = events.report(&[]);
    let offer = &report.blocks[0];
    let lift = offer.overall.lift_vs_holdout;
    assert!(!lift.small_sample);
    let interval = lift.interval.expect("an interval");
    assert!(interval.low < 0.5 && 0.5 < interval.high, "{interval:?}");
    assert!(interval.low > 0.3 && interval.high < 0.7, "narrow: {interval:?}");
    assert!((lift.lift.unwrap() - 0.5).abs() < 0.1);
    assert_eq!(offer.overall.personalized.exposures, 20_000);
    assert_eq!(offer.overall.holdout.exposures, 20_000);
    // No default traffic: nothing to compare with, and said so.
    assert_eq!(offer.overall.lift_vs_default.lift, None);
    assert_eq!(offer.segments.len(), 1, "one segment label");
    assert_eq!(offer.segments[0].segment, "industry=fintech");
    // A line per variant, a point per day.
    let variants: Vec<&str> = offer.series.iter().map(|s| s.variant.as_str()).collect();
    assert_eq!(variants, ["bold", "control"]);
    assert_eq!(offer.series[0].points.len(), 3);
    let text = render_text(&report);
    assert!(text.contains("offer"), "{text}");
    assert!(text.contains("of 20,000"), "{text}");
}

#[test]
fn an_experiment_split_5600_to_4400_under_even_weights_is_a_mismatch_and_5020_to_4980_is_not() {
    let mut rng = Rng(7);
    let mut events = Events::default();
    events.visitors(
        &mut rng,
        5_600,
        0.1,
        "proof",
        "default",
        "experiment",
        Some("skewed"),
    );
    events.visitors(&mut rng, 4_400, 0.1, "proof", "smb", "experiment", Some("skewed"));
    events.visitors(&mut rng, 5_020, 0.1, "hero", "a", "experiment", Some("fair"));
    events.visitors(&mut rng, 4_980, 0.1, "hero", "b", "experiment", Some("fair"));
    let specs = [
        even("proof", "skewed", &["default", "smb"]),
        even("hero", "fair", &["a", "b"]),
    ];
    let report = events.report(&specs);
    let by_key = |key: &str| report.experiments.iter().find(|e| e.experiment == key).unwrap();
    let skewed = by_key("skewed").sample_ratio.unwrap();
    assert!(skewed.mismatch, "{skewed:?}");
    assert!((skewed.chi_square - 144.0).abs() < 1e-9);
    assert!(skewed.p_value < 1e-30);
    let fair = by_key("fair").sample_ratio.unwrap();
    assert!(!fair.mismatch, "{fair:?}");
    // χ² = 2 × 20² / 5,000 = 0.16 on one degree of freedom.
    assert!((fair.chi_square - 0.16).abs() < 1e-9);
    assert!((fair.p_value - 0.6892).abs() < 1e-3, "{fair:?}");
    let arms = &by_key("skewed").arms;
    assert_eq!(arms[0].variant, "default");
    assert_eq!(arms[0].expected_share, Some(0.5));
    assert_eq!(arms[0].counts.exposures, 5_600);
    assert!(render_text(&report).contains("MISMATCH"));
}

#[test]
fn an_experiment_the_catalog_does_not_declare_is_reported_without_a_sample_ratio_check() {
    let mut rng = Rng(1);
    let mut events = Events::default();
    events.visitors(&mut rng, 300, 0.1, "proof", "smb", "experiment", Some("unknown"));
    let report = events.report(&[]);
    assert!(!report.experiments[0].declared);
    assert_eq!(report.experiments[0].sample_ratio, None);
    assert_eq!(report.experiments[0].arms[0].expected_share, None);
}

#[test]
fn a_duplicated_event_id_counts_once() {
    let mut rng = Rng(3);
    let mut events = Events::default();
    events.visitors(&mut rng, 50, 0.0, "offer", "bold", "rule", None);
    let retried = events.events.clone();
    events.events.extend(retried);
    let report = events.report(&[]);
    assert_eq!(report.exposures, 50);
    assert_eq!(report.blocks[0].overall.personalized.exposures, 50);
}

#[test]
fn a_small_sample_is_flagged_and_given_no_interval() {
    let mut rng = Rng(5);
    let mut events = Events::default();
    events.visitors(&mut rng, 80, 0.5, "offer", "bold", "rule", None);
    events.visitors(&mut rng, 5_000, 0.2, "offer", "control", "holdout", None);
    let report = events.report(&[]);
    let lift = report.blocks[0].overall.lift_vs_holdout;
    assert!(lift.small_sample);
    assert_eq!(lift.interval, None);
    assert!(lift.lift.is_some(), "a point estimate, said to be small");
    assert!(render_text(&report).contains("(small sample)"));
    // Enough exposures but fewer than 10 conversions is small too.
    let mut events = Events::default();
    events.visitors(&mut rng, 1_000, 0.005, "offer", "bold", "rule", None);
    events.visitors(&mut rng, 1_000, 0.2, "offer", "control", "holdout", None);
    assert!(events.report(&[]).blocks[0].overall.lift_vs_holdout.small_sample);
}

#[test]
fn exploration_share_is_exploration_exposures_over_all_exposures() {
    let mut rng = Rng(9);
    let mut events = Events::default();
    events.visitors(&mut rng, 90, 0.1, "offer", "bold", "bandit", None);
    events.visitors(&mut rng, 10, 0.1, "offer", "calm", "exploration", None);
    let report = events.report(&[]);
    assert_eq!(report.blocks[0].exploration_share, Some(0.1));
    assert_eq!(report.blocks[0].overall.personalized.exposures, 100);
}

#[test]
fn the_window_keeps_the_last_days_and_the_loop_latency_is_the_latest_runs() {
    let mut rng = Rng(11);
    let mut events = Events::default();
    events.visitors(&mut rng, 30, 0.1, "offer", "bold", "rule", None);
    let text = ndjson(&events.events);
    let rows = Tallies::from_lines(text.lines(), &mut Seen::default(), Exposures::Served).to_rows();
    let options = ReportOptions {
        window: Some(DayWindow::ending_at((DAY0 + 2) * DAY_MS, 1)),
        runs: vec![
            PublishRun {
                published_at_ms: 5_000,
                newest_event_ms: 1_000,
            },
            PublishRun {
                published_at_ms: 90_000,
                newest_event_ms: 30_000,
            },
        ],
    };
    let report = report(&rows, &[], &options);
    assert_eq!(report.exposures, 10, "one day of three");
    assert_eq!(report.first_day, Some(DAY0 as u32 + 2));
    let latency = report.loop_latency.unwrap();
    assert_eq!((latency.latency_ms, latency.runs), (60_000, 2));
    assert!(render_text(&report).contains("1 min 0 s"));
}

#[test]
fn the_demo_catalogs_experiment_and_weights_are_read_from_its_source() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/demo.json")).unwrap();
    let specs = ExperimentSpec::from_source(&serde_json::from_str(&text).unwrap());
    let proof = specs.iter().find(|s| s.key == "proof-social-2026").unwrap();
    assert_eq!(proof.block, "proof");
    assert_eq!(proof.variations, ["default", "smb"]);
    assert_eq!(proof.expected_shares(), Some(vec![0.5, 0.5]));
    let unweighted = ExperimentSpec {
        weights: vec![],
        ..proof.clone()
    };
    assert_eq!(unweighted.expected_shares(), Some(vec![0.5, 0.5]));
    let misfit = ExperimentSpec {
        weights: vec![1.0],
        ..proof.clone()
    };
    assert_eq!(misfit.expected_shares(), None);
}

#[test]
fn the_page_escapes_every_name_and_draws_a_line_per_variant() {
    let row = |variant: &str, day: u32| Row {
        key: TallyKey {
            catalog_version: "v".into(),
            block: "<script>alert(1)</script>".into(),
            variant: variant.into(),
            reason: "rule".into(),
            experiment: String::new(),
            segment: "role=\"cto\"&x='y'".into(),
            day,
        },
        counts: Counts {
            exposures: 100,
            conversions: 7,
            last_ms: 0,
        },
    };
    let rows = [row("a&b", 1), row("a&b", 2), row("<c>", 1), row("<c>", 2)];
    let html = render_html(&report(&rows, &[], &ReportOptions::default()));
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("data-variant=\"a&amp;b\""));
    assert!(html.contains("data-variant=\"&lt;c&gt;\""));
    assert_eq!(html.matches("<polyline class=\"series\"").count(), 2);
    assert!(!html.contains("http"), "self-contained: no external resource");
}

fn names() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("offer".to_owned()),
        Just("<b>&\"'".to_owned()),
        Just("\u{1b}[2J\n\t".to_owned()),
        "\\PC{0,12}",
    ]
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    let reason = prop_oneof![
        Just("rule"),
        Just("experiment"),
        Just("bandit"),
        Just("exploration"),
        Just("holdout"),
        Just("default"),
        Just("consent"),
    ];
    let count = prop_oneof![0u64..5, 0u64..1_000, Just(u64::MAX), any::<u64>()];
    let day = prop_oneof![Just(0u32), 20_000u32..20_010, Just(u32::MAX), any::<u32>()];
    let row = (
        names(),
        names(),
        reason,
        names(),
        names(),
        day,
        count.clone(),
        count,
    )
        .prop_map(
            |(block, variant, reason, experiment, segment, day, exposures, conversions)| Row {
                key: TallyKey {
                    catalog_version: "v".into(),
                    block,
                    variant,
                    reason: reason.to_owned(),
                    experiment,
                    segment,
                    day,
                },
                counts: Counts {
                    exposures,
                    conversions,
                    last_ms: 0,
                },
            },
        );
    proptest::collection::vec(row, 0..24)
}

fn specs() -> impl Strategy<Value = Vec<ExperimentSpec>> {
    let weight = prop_oneof![
        Just(0.0),
        Just(-1.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        0.0..1.0f64
    ];
    let spec = (
        names(),
        names(),
        proptest::collection::vec(names(), 0..4),
        proptest::collection::vec(weight, 0..4),
    )
        .prop_map(|(block, key, variations, weights)| ExperimentSpec {
            block,
            key,
            variations,
            weights,
        });
    proptest::collection::vec(spec, 0..3)
}

proptest! {
    #[test]
    fn the_report_and_its_renderings_never_panic_on_any_rows(
        rows in rows(),
        specs in specs(),
        runs in proptest::collection::vec((any::<u64>(), any::<u64>()), 0..3),
        window in proptest::option::of((any::<u32>(), any::<u32>())),
    ) {
        let options = ReportOptions {
            window: window.map(|(today, days)| DayWindow { today, days: days.max(1) }),
            runs: runs
                .into_iter()
                .map(|(published_at_ms, newest_event_ms)| PublishRun { published_at_ms, newest_event_ms })
                .collect(),
        };
        let report = report(&rows, &specs, &options);
        let json = serde_json::to_string(&report).unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.blocks.len(), report.blocks.len());
        let text = render_text(&report);
        prop_assert!(!text.contains(char::from(0x1b)), "no control characters");
        let html = render_html(&report);
        prop_assert!(!html.contains("<b>"), "names are escaped");
    }
}
