//! The report's statistics: the interval of a relative lift and the
//! chi-square test of a sample ratio. Deterministic, no crate: the
//! chi-square survival function is the regularized upper incomplete gamma
//! function, by its series or its continued fraction (Numerical Recipes,
//! `gammq`), with Lanczos' log-gamma.

/// The standard normal quantile of 97.5 %: a two-sided 95 % interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// The 95 % interval of the relative lift `p1 / p0 − 1` of `x1` conversions
/// in `n1` exposures against `x0` in `n0`: the delta-method (Katz) interval
/// on the log risk ratio, `ln(p1/p0) ± z·√(1/x1 − 1/n1 + 1/x0 − 1/n0)`,
/// mapped back with `exp(·) − 1`. `None` when a rate is zero or undefined.
/// Conversions are capped at exposures.
pub fn lift_interval(x1: u64, n1: u64, x0: u64, n0: u64) -> Option<(f64, f64)> {
    let (x1, x0) = (x1.min(n1), x0.min(n0));
    if x1 == 0 || x0 == 0 {
        return None;
    }
    let (x1, n1, x0, n0) = (x1 as f64, n1 as f64, x0 as f64, n0 as f64);
    let log_rr = ((x1 / n1) / (x0 / n0)).ln();
    let variance = (1.0 / x1 - 1.0 / n1 + 1.0 / x0 - 1.0 / n0).max(0.0);
    let half = Z_95 * variance.sqrt();
    let (low, high) = ((log_rr - half).exp() - 1.0, (log_rr + half).exp() - 1.0);
    (low.is_finite() && high.is_finite()).then_some((low, high))
}

/// `P(X ≥ statistic)` for `X` chi-square distributed with
/// `degrees_of_freedom`: the p-value of a chi-square test. `None` for a
/// statistic that is not a number or no degrees of freedom.
pub fn chi_square_p_value(statistic: f64, degrees_of_freedom: u32) -> Option<f64> {
    if statistic.is_nan() || degrees_of_freedom == 0 {
        return None;
    }
    if statistic == f64::INFINITY {
        return Some(0.0);
    }
    Some(gamma_q(
        f64::from(degrees_of_freedom) / 2.0,
        statistic.max(0.0) / 2.0,
    ))
}

/// The regularized upper incomplete gamma function `Q(a, x)`, `a > 0`,
/// `x ≥ 0`, clamped to `[0, 1]`.
fn gamma_q(a: f64, x: f64) -> f64 {
    const ITERATIONS: u32 = 1_000;
    const EPSILON: f64 = 1e-15;
    const TINY: f64 = 1e-300;
    if x <= 0.0 {
        return 1.0;
    }
    // The common factor x^a e^(−x) / Γ(a), in logs.
    let front = (-x + a * x.ln() - ln_gamma(a)).exp();
    let q = if x < a + 1.0 {
        // The series of P(a, x); Q = 1 − P.
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..ITERATIONS {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * EPSILON {
                break;
            }
        }
        1.0 - sum * front
    } else {
        // Lentz's continued fraction of Q(a, x).
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..=ITERATIONS {
            let i = f64::from(i);
            let an = -i * (i - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < EPSILON {
                break;
            }
        }
        front * h
    };
    if q.is_nan() {
        0.0
    } else {
        q.clamp(0.0, 1.0)
    }
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, nine coefficients: ~15 digits).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let mut sum = 0.0;
    for (i, c) in COEFFICIENTS.iter().enumerate() {
        sum += if i == 0 { *c } else { c / (x + i as f64) };
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn the_chi_square_p_value_matches_the_tables() {
        // Critical values of 5 %, 1 % and 0.1 % for 1, 2, 3 and 10 degrees of freedom.
        for (statistic, df, p) in [
            (3.841_458_820_694_124, 1, 0.05),
            (6.634_896_601_021_213, 1, 0.01),
            (10.827_566_170_662_733, 1, 0.001),
            (5.991_464_547_107_979, 2, 0.05),
            (7.814_727_903_251_178, 3, 0.05),
            (18.307_038_053_275_146, 10, 0.05),
            (0.454_936_423_119_572_5, 1, 0.5),
        ] {
            let got = chi_square_p_value(statistic, df).unwrap_or(f64::NAN);
            assert!(close(got, p, 1e-9), "χ²={statistic} df={df}: {got} ≠ {p}");
        }
        // With two degrees of freedom the survival function is exp(−x/2).
        assert!(close(
            chi_square_p_value(144.0, 2).unwrap_or(1.0),
            (-72.0f64).exp(),
            1e-40
        ));
        assert_eq!(chi_square_p_value(0.0, 1), Some(1.0));
        assert_eq!(chi_square_p_value(f64::INFINITY, 1), Some(0.0));
        assert_eq!(chi_square_p_value(f64::NAN, 1), None);
        assert_eq!(chi_square_p_value(1.0, 0), None);
    }

    #[test]
    fn log_gamma_is_right_at_integers_and_halves() {
        assert!(close(ln_gamma(1.0), 0.0, 1e-13));
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-13));
        assert!(close(ln_gamma(0.5), std::f64::consts::PI.sqrt().ln(), 1e-13));
    }

    #[test]
    fn the_lift_interval_is_the_katz_interval_and_absent_without_conversions() {
        let (low, high) = lift_interval(2_400, 20_000, 1_600, 20_000).unwrap_or_default();
        let half = Z_95 * (1.0f64 / 2_400.0 - 1.0 / 20_000.0 + 1.0 / 1_600.0 - 1.0 / 20_000.0).sqrt();
        assert!(close(low, 1.5 * (-half).exp() - 1.0, 1e-12));
        assert!(close(high, 1.5 * half.exp() - 1.0, 1e-12));
        assert_eq!(lift_interval(0, 100, 5, 100), None);
        assert_eq!(lift_interval(5, 100, 0, 0), None);
    }
}
