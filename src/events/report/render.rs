//! The report for people: aligned text for a terminal, and a
//! self-contained HTML page (inline CSS, inline SVG charts, no script).
//! Every name in a report comes from events, so text is cleaned of control
//! characters and HTML is escaped.

use std::fmt::Write as _;

use super::{Arm, BlockReport, ExperimentReport, Lift, Report, SampleRatio, SRM_P_VALUE};

/// The report as aligned text tables a marketer can read.
pub fn render_text(report: &Report) -> String {
    let mut out = format!("Tailor lift report: {}\n", summary(report));
    if report.blocks.is_empty() {
        out.push_str("\nNo events in the report's window.\n");
    } else {
        out.push_str(
            "\nPersonalized traffic (rule, experiment, bandit, exploration) against the holdout \
             and the default; lift with its 95 % interval\n",
        );
        out.push_str(&table(&LIFT_HEADER, &lift_rows(report)));
        out.push_str("\nExploration\n");
        out.push_str(&table(&EXPLORATION_HEADER, &exploration_rows(report)));
    }
    if !report.experiments.is_empty() {
        out.push_str("\nExperiments: exposures per arm against the declared weights\n");
        out.push_str(&table(&EXPERIMENT_HEADER, &experiment_rows(report)));
        for e in &report.experiments {
            let _ = writeln!(out, "  {}: {}", e.experiment, sample_ratio_text(e));
        }
    }
    if let Some(text) = latency_text(report) {
        let _ = writeln!(out, "\n{text}");
    }
    clean(&out)
}

/// The report as one HTML page: the same tables, and per block a line
/// chart of conversion per day and variant.
pub fn render_html(report: &Report) -> String {
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Tailor lift report</title>\n<style>",
    );
    out.push_str(CSS);
    out.push_str("</style></head><body>\n<h1>Tailor lift report</h1>\n");
    let _ = writeln!(out, "<p class=\"summary\">{}</p>", esc(&summary(report)));
    if report.blocks.is_empty() {
        out.push_str("<p>No events in the report's window.</p>\n");
    } else {
        out.push_str(
            "<h2>Lift</h2>\n<p>Personalized traffic (rule, experiment, bandit, exploration) against \
             the holdout and the default; lift with its 95 % interval.</p>\n",
        );
        out.push_str(&html_table(&LIFT_HEADER, &lift_rows(report)));
        out.push_str("<h2>Exploration</h2>\n");
        out.push_str(&html_table(&EXPLORATION_HEADER, &exploration_rows(report)));
    }
    if !report.experiments.is_empty() {
        out.push_str("<h2>Experiments</h2>\n");
        out.push_str(&html_table(&EXPERIMENT_HEADER, &experiment_rows(report)));
        out.push_str("<ul class=\"srm\">\n");
        for e in &report.experiments {
            let class = if e.sample_ratio.is_some_and(|s| s.mismatch) {
                "mismatch"
            } else {
                "ok"
            };
            let _ = writeln!(
                out,
                "<li class=\"{class}\"><strong>{}</strong>: {}</li>",
                esc(&e.experiment),
                esc(&sample_ratio_text(e))
            );
        }
        out.push_str("</ul>\n");
    }
    if let Some(text) = latency_text(report) {
        let _ = writeln!(out, "<h2>Loop</h2>\n<p class=\"latency\">{}</p>", esc(&text));
    }
    if !report.blocks.is_empty() {
        out.push_str("<h2>Conversion over time</h2>\n");
        for block in &report.blocks {
            out.push_str(&super::chart::block_chart(block));
        }
    }
    out.push_str("</body></html>\n");
    out
}

const CSS: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;\
padding:0 1rem;color:#1d2430}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}\
table{border-collapse:collapse;margin:.5rem 0;font-variant-numeric:tabular-nums}\
th,td{padding:.3rem .7rem;border-bottom:1px solid #d8dde5;text-align:left;white-space:nowrap}\
th{background:#f2f4f7}.summary{color:#4a5568}.srm .mismatch{color:#b42318;font-weight:600}\
figure{margin:1rem 0 2rem}figcaption{font-weight:600;margin-bottom:.3rem}\
svg text{font:12px system-ui,sans-serif;fill:#4a5568}.axis{stroke:#8894a6}.grid{stroke:#e6e9ef}\
.series{fill:none;stroke-width:2}.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;\
gap:.4rem 1.2rem}.legend .swatch{display:inline-block;width:1.4rem;height:.25rem;\
vertical-align:middle;margin-right:.4rem}";

const LIFT_HEADER: [&str; 8] = [
    "block",
    "segment",
    "personalized",
    "holdout",
    "lift vs holdout",
    "default",
    "lift vs default",
    "flags",
];
const EXPLORATION_HEADER: [&str; 3] = ["block", "exposures", "exploration share"];
const EXPERIMENT_HEADER: [&str; 7] = [
    "experiment",
    "block",
    "variant",
    "expected",
    "observed",
    "exposures",
    "conversion",
];

fn summary(report: &Report) -> String {
    let days = match (report.first_day, report.last_day) {
        (Some(first), Some(last)) if first == last => format!("{} (UTC)", date(first)),
        (Some(first), Some(last)) => format!("{} to {} (UTC)", date(first), date(last)),
        _ => "no days".to_owned(),
    };
    format!(
        "{days}, {} exposures, {} conversions",
        thousands(report.exposures),
        thousands(report.conversions)
    )
}

fn lift_rows(report: &Report) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for block in &report.blocks {
        let all = std::iter::once(("(all)".to_owned(), &block.overall));
        let segments = block.segments.iter().map(|c| {
            let label = if c.segment.is_empty() {
                "(no segment)".to_owned()
            } else {
                c.segment.clone()
            };
            (label, c)
        });
        for (segment, c) in all.chain(segments) {
            let mut flags = Vec::new();
            // Small, where there is something to compare with.
            let compared = |lift: &Lift, reference: &Arm| lift.small_sample && reference.exposures > 0;
            if compared(&c.lift_vs_holdout, &c.holdout) || compared(&c.lift_vs_default, &c.default) {
                flags.push("small sample");
            }
            if c.personalized.exposures == 0 {
                flags.push("no personalized traffic");
            }
            if [c.personalized, c.holdout, c.default]
                .iter()
                .any(|a| a.overcounted)
            {
                flags.push("conversions > exposures");
            }
            rows.push(vec![
                block.block.clone(),
                segment,
                arm_text(&c.personalized),
                arm_text(&c.holdout),
                lift_text(&c.lift_vs_holdout),
                arm_text(&c.default),
                lift_text(&c.lift_vs_default),
                flags.join(", "),
            ]);
        }
    }
    rows
}

fn exploration_rows(report: &Report) -> Vec<Vec<String>> {
    report
        .blocks
        .iter()
        .map(|b: &BlockReport| {
            vec![
                b.block.clone(),
                thousands(b.exposures),
                b.exploration_share.map_or("-".to_owned(), percent),
            ]
        })
        .collect()
}

fn experiment_rows(report: &Report) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for e in &report.experiments {
        if e.arms.is_empty() {
            rows.push(vec![
                e.experiment.clone(),
                e.block.clone(),
                "(no exposures)".to_owned(),
            ]);
        }
        for arm in &e.arms {
            rows.push(vec![
                e.experiment.clone(),
                e.block.clone(),
                arm.variant.clone(),
                arm.expected_share.map_or("undeclared".to_owned(), percent),
                arm.observed_share.map_or("-".to_owned(), percent),
                thousands(arm.counts.exposures),
                arm.counts.rate.map_or("-".to_owned(), percent),
            ]);
        }
    }
    rows
}

fn sample_ratio_text(e: &ExperimentReport) -> String {
    let undeclared = e
        .arms
        .iter()
        .any(|a| a.expected_share.is_none() && a.counts.exposures > 0);
    let mut text = match (e.sample_ratio, e.declared) {
        (
            Some(SampleRatio {
                chi_square,
                degrees_of_freedom,
                p_value,
                mismatch,
            }),
            _,
        ) => format!(
            "sample ratio chi-square {chi_square:.2}, {degrees_of_freedom} df, p = {}: {}",
            p_text(p_value),
            if mismatch {
                format!("MISMATCH (p < {SRM_P_VALUE}): assignment or tracking is broken; do not trust its conversions")
            } else {
                "as declared".to_owned()
            }
        ),
        (None, false) => "not in the catalog given: no sample-ratio check".to_owned(),
        (None, true) => "no sample-ratio check (no exposures, or weights that do not fit)".to_owned(),
    };
    if undeclared {
        text.push_str("; exposures to variants the catalog does not list");
    }
    text
}

fn latency_text(report: &Report) -> Option<String> {
    let latency = report.loop_latency?;
    Some(format!(
        "Loop latency: the latest of {} publication(s) went live {} after the newest event it counted",
        latency.runs,
        duration(latency.latency_ms)
    ))
}

fn arm_text(arm: &Arm) -> String {
    match arm.rate {
        Some(rate) => format!("{} of {}", percent(rate), thousands(arm.exposures)),
        None => "-".to_owned(),
    }
}

fn lift_text(lift: &Lift) -> String {
    match (lift.lift, lift.interval, lift.small_sample) {
        (None, _, _) => "-".to_owned(),
        (Some(l), Some(i), _) => format!(
            "{} [{}, {}]",
            signed_percent(l),
            signed_percent(i.low),
            signed_percent(i.high)
        ),
        (Some(l), None, true) => format!("{} (small sample)", signed_percent(l)),
        (Some(l), None, false) => signed_percent(l),
    }
}

fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

fn signed_percent(share: f64) -> String {
    format!("{:+.1} %", share * 100.0)
}

fn p_text(p: f64) -> String {
    if p < 0.0001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

/// `1,234,567`.
pub(super) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// The UTC date of days since the epoch, `YYYY-MM-DD` (Howard Hinnant's
/// `civil_from_days`).
pub(super) fn date(days: u32) -> String {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Columns padded to their widest cell, two spaces apart.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut text = String::new();
        for (cell, width) in cells.iter().zip(&widths) {
            let _ = write!(text, "{cell:<width$}  ");
        }
        text.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.to_vec());
    out.push_str(&line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

fn html_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table><thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", esc(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    out
}

/// Text without control characters (a name from an event could move a
/// terminal's cursor), newlines and tabs of the layout kept.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\n' { '?' } else { c })
        .collect()
}

/// HTML-escaped text, for element content and quoted attributes; control
/// characters (but newlines) become U+FFFD, as catalog ids are not ours.
pub(super) fn esc(text: &str) -> String {
    let visible: String = text
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    crate::http::html::esc(&visible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_thousands_and_escapes_read_right() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(20_454), "2026-01-01");
        assert!(date(u32::MAX).len() >= 10);
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(
            esc(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(clean("a\u{1b}[2Jb\n"), "a?[2Jb\n");
    }
}
