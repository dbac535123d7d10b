//! The report page's chart: per block, an inline SVG line chart of the
//! conversion rate per UTC day, one line per variant (`polyline.series`,
//! `data-variant`), with axes, grid and an HTML legend naming each line.

use std::fmt::Write as _;

use super::render::{date, esc, thousands};
use super::BlockReport;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 48.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;
/// Colour-blind-safe (Okabe–Ito), cycled beyond eight variants.
const COLOURS: [&str; 8] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
];

/// One block's chart as an HTML `<figure>`.
pub(super) fn block_chart(block: &BlockReport) -> String {
    let name = esc(&block.block);
    let mut out = format!(
        "<figure class=\"chart\" data-block=\"{name}\"><figcaption>{name}: conversion per day</figcaption>\n"
    );
    let points = block.series.iter().flat_map(|s| &s.points);
    let (Some(first), Some(last)) = (
        points.clone().map(|p| p.day).min(),
        points.clone().map(|p| p.day).max(),
    ) else {
        out.push_str("<p>No exposures.</p></figure>\n");
        return out;
    };
    let top_rate = nice_ceiling(points.map(|p| p.rate).fold(0.0, f64::max));
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let span = f64::from(last - first);
    let x = |day: u32| {
        if span > 0.0 {
            LEFT + f64::from(day - first) / span * plot_w
        } else {
            LEFT + plot_w / 2.0
        }
    };
    let y = |rate: f64| TOP + plot_h - (rate / top_rate).clamp(0.0, 1.0) * plot_h;
    let _ = writeln!(
        out,
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" \
         aria-label=\"{name}: conversion rate per day and variant\">"
    );
    // The y axis: five gridlines, percent labels.
    let y_step = top_rate * 25.0;
    let decimals = (0..3usize)
        .find(|d| {
            let scaled = y_step * 10f64.powi(*d as i32);
            (scaled - scaled.round()).abs() < 1e-9
        })
        .unwrap_or(3);
    for i in 0..=4 {
        let rate = top_rate * f64::from(i) / 4.0;
        let at = y(rate);
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{at:.1}\" y2=\"{at:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{:.decimals$} %</text>",
            LEFT + plot_w,
            LEFT - 8.0,
            at + 4.0,
            rate * 100.0
        );
    }
    // The x axis: up to six dates.
    let step = (u64::from(last - first) / 5).max(1);
    let baseline = TOP + plot_h;
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{baseline:.1}\" y2=\"{baseline:.1}\"/>\
         <line class=\"axis\" x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{baseline:.1}\"/>",
        LEFT + plot_w
    );
    let mut day = u64::from(first);
    while day <= u64::from(last) {
        let d = u32::try_from(day).unwrap_or(last);
        let _ = writeln!(
            out,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x(d),
            baseline + 18.0,
            date(d)
        );
        day += step;
    }
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">UTC day</text>",
        LEFT + plot_w / 2.0,
        HEIGHT - 6.0
    );
    // One line per variant, a dot per day (a single day is a dot).
    for (series, colour) in block.series.iter().zip(COLOURS.iter().cycle()) {
        let variant = esc(&series.variant);
        let coordinates: Vec<String> = series
            .points
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.day), y(p.rate)))
            .collect();
        let _ = writeln!(
            out,
            "<polyline class=\"series\" data-variant=\"{variant}\" stroke=\"{colour}\" points=\"{}\"><title>{variant}</title></polyline>",
            coordinates.join(" ")
        );
        for p in &series.points {
            let _ = writeln!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"><title>{variant}, {}: {:.2} % of {}</title></circle>",
                x(p.day),
                y(p.rate),
                date(p.day),
                p.rate * 100.0,
                thousands(p.exposures)
            );
        }
    }
    out.push_str("</svg>\n<ul class=\"legend\">");
    for (series, colour) in block.series.iter().zip(COLOURS.iter().cycle()) {
        let variant = esc(&series.variant);
        let _ = write!(
            out,
            "<li data-variant=\"{variant}\"><span class=\"swatch\" style=\"background:{colour}\"></span>{variant}</li>"
        );
    }
    out.push_str("</ul></figure>\n");
    out
}

/// The smallest of 1, 2, 2.5, 5 × 10^k at or above `rate` (at least 0.1 %,
/// at most 100 %): the y axis' top.
fn nice_ceiling(rate: f64) -> f64 {
    let rate = if rate.is_finite() {
        rate.clamp(0.001, 1.0)
    } else {
        1.0
    };
    let magnitude = 10f64.powf(rate.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|top| *top >= rate * (1.0 - 1e-12))
        .unwrap_or(1.0)
        .min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_top_is_a_round_rate_above_the_highest() {
        assert_eq!(nice_ceiling(0.12), 0.2);
        assert_eq!(nice_ceiling(0.08), 0.1);
        assert_eq!(nice_ceiling(0.021), 0.025);
        assert_eq!(nice_ceiling(0.0), 0.001);
        assert_eq!(nice_ceiling(1.0), 1.0);
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
    }
}
