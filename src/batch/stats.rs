//! Summary statistics of a batch: mean, standard deviation, percentiles and
//! confidence intervals of the mean; probabilities with Wilson intervals.

use serde::Serialize;

/// One column of a batch, summarised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Runs with a value.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1).
    pub sd: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 95 % confidence interval of the mean (Student t).
    pub ci95: [f64; 2],
}

/// Summary of `xs` (None when empty).
pub fn summarise(xs: &[f64]) -> Option<Summary> {
    let n = xs.len();
    if n == 0 {
        return None;
    }
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mean = xs.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let half = if n > 1 {
        t_975(n - 1) * sd / (n as f64).sqrt()
    } else {
        f64::INFINITY
    };
    Some(Summary {
        n,
        mean: tidy(mean),
        sd: tidy(sd),
        p5: tidy(quantile(&sorted, 0.05)),
        p25: tidy(quantile(&sorted, 0.25)),
        p50: tidy(quantile(&sorted, 0.5)),
        p75: tidy(quantile(&sorted, 0.75)),
        p95: tidy(quantile(&sorted, 0.95)),
        ci95: [tidy(mean - half), tidy(mean + half)],
    })
}

/// Round to 9 significant decimals so summaries print the same wherever the
/// sums were taken (they are taken in run order anyway).
fn tidy(x: f64) -> f64 {
    if x.is_finite() { (x * 1e9).round() / 1e9 } else { x }
}

/// Quantile of sorted data, linear between order statistics (Hyndman & Fan type 7).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom: exact
/// table values up to 30 (Fisher & Yates), then the Cornish–Fisher expansion
/// around z = 1.959964 (error < 1e-4).
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    if df == 0 {
        return f64::INFINITY;
    }
    if df <= 30 {
        return TABLE[df - 1];
    }
    let z: f64 = 1.959_964;
    let v = df as f64;
    z + (z.powi(3) + z) / (4.0 * v) + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
}

/// A probability estimated from `k` successes in `n` runs, with the Wilson
/// score 95 % interval (Wilson 1927), which stays inside [0, 1].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probability {
    /// Runs with a verdict.
    pub n: usize,
    /// Share of them where it held.
    pub p: f64,
    /// 95 % interval.
    pub ci95: [f64; 2],
}

/// Wilson interval for `k` of `n`.
pub fn probability(k: usize, n: usize) -> Option<Probability> {
    if n == 0 {
        return None;
    }
    let (k, nf) = (k as f64, n as f64);
    let z: f64 = 1.959_964;
    let p = k / nf;
    let denom = 1.0 + z * z / nf;
    let centre = (p + z * z / (2.0 * nf)) / denom;
    let half = z * (p * (1.0 - p) / nf + z * z / (4.0 * nf * nf)).sqrt() / denom;
    Some(Probability {
        n,
        p: tidy(p),
        ci95: [tidy((centre - half).max(0.0)), tidy((centre + half).min(1.0))],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn known_values() {
        let s = summarise(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!((s.mean, s.p50, s.n), (3.0, 3.0, 5));
        assert!((s.sd - 2.5f64.sqrt()).abs() < 1e-9);
        assert!((s.p5 - 1.2).abs() < 1e-9 && (s.p95 - 4.8).abs() < 1e-9);
        // t(4) = 2.776: 3 ± 2.776 · 1.5811 / √5.
        assert!((s.ci95[1] - (3.0 + 2.776 * 2.5f64.sqrt() / 5f64.sqrt())).abs() < 1e-6);
        assert!((t_975(60) - 2.000).abs() < 1e-3, "{}", t_975(60));
        assert!((t_975(120) - 1.980).abs() < 1e-3);
        let p = probability(0, 10).unwrap();
        assert!(p.ci95[0] == 0.0 && (p.ci95[1] - 0.2775).abs() < 1e-3, "{p:?}");
    }

    /// Over many batches of a known normal, the 95 % interval of the mean
    /// covers the true mean in about 95 % of them; the Wilson interval of a
    /// known probability likewise.
    #[test]
    fn intervals_cover_the_true_value_at_about_the_stated_rate() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let d = Normal::new(10.0, 3.0).unwrap();
        let trials = 4_000;
        let mut covered = 0;
        let mut covered_p = 0;
        for _ in 0..trials {
            let xs: Vec<f64> = (0..20).map(|_| d.sample(&mut rng)).collect();
            let s = summarise(&xs).unwrap();
            if s.ci95[0] <= 10.0 && 10.0 <= s.ci95[1] {
                covered += 1;
            }
            let k = xs.iter().filter(|&&x| x > 12.0).count();
            // P(X > 12) = 1 − Φ(2/3).
            let truth = 1.0 - crate::batch::dist::normal_cdf(2.0 / 3.0);
            let p = probability(k, xs.len()).unwrap();
            if p.ci95[0] <= truth && truth <= p.ci95[1] {
                covered_p += 1;
            }
        }
        let rate = f64::from(covered) / f64::from(trials);
        assert!((0.935..=0.965).contains(&rate), "mean interval covered {rate}");
        let rate = f64::from(covered_p) / f64::from(trials);
        assert!((0.92..=0.98).contains(&rate), "Wilson interval covered {rate}");
    }
}
