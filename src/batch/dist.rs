//! Probability distributions for what a scenario leaves uncertain.
//!
//! Written in a scenario as, e.g., `Uniform(0.7, 1.3)`, `Triangular(-2, 0, 4)`
//! (min, mode, max), `Normal(mean: 3, sd: 1, min: 0.5, max: 15)` (truncated
//! to [min, max] when given), `LogNormal(median: 1, sigma: 0.3)` or
//! `Choice([(90, 1), (135, 2)])` (values with weights).

use rand::Rng;
use rand_distr::{Distribution, LogNormal, Normal, Triangular, Uniform};
use serde::{Deserialize, Serialize};

/// A distribution of one number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Dist {
    /// Always this value.
    Fixed(f64),
    /// Uniform on [min, max].
    Uniform(f64, f64),
    /// Triangular: min, mode, max.
    Triangular(f64, f64, f64),
    /// Normal, optionally truncated to [min, max] (redrawn until inside).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (> 0).
        sd: f64,
        /// Lower bound.
        #[serde(default)]
        min: Option<f64>,
        /// Upper bound.
        #[serde(default)]
        max: Option<f64>,
    },
    /// Log-normal with the given median (e^μ) and σ of the log.
    LogNormal {
        /// Median (> 0).
        median: f64,
        /// σ of ln X (> 0).
        sigma: f64,
    },
    /// One of the values, with probability proportional to its weight.
    Choice(Vec<(f64, f64)>),
}

/// Most redraws for a truncated normal before the draw is clamped into the
/// bounds (the check refuses bounds that keep less than 1 % of the mass).
const MAX_REDRAWS: usize = 10_000;

impl Dist {
    /// What is wrong with the parameters, if anything (for the scenario check).
    pub fn problem(&self) -> Option<String> {
        let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
        match *self {
            Dist::Fixed(x) => (!x.is_finite()).then(|| format!("expected a finite value, found {x}")),
            Dist::Uniform(a, b) => {
                if !finite(&[a, b]) {
                    Some("expected finite bounds".into())
                } else if a > b {
                    Some(format!("min {a} is greater than max {b}"))
                } else {
                    None
                }
            }
            Dist::Triangular(a, m, b) => {
                if !finite(&[a, m, b]) {
                    Some("expected finite min, mode, max".into())
                } else if a > b {
                    Some(format!("min {a} is greater than max {b}"))
                } else if m < a || m > b {
                    Some(format!("mode {m} is outside [{a}, {b}]"))
                } else {
                    None
                }
            }
            Dist::Normal { mean, sd, min, max } => {
                if !finite(&[mean, sd]) {
                    Some("expected a finite mean and sd".into())
                } else if sd <= 0.0 {
                    Some(format!("expected a standard deviation above 0, found {sd}"))
                } else if let (Some(lo), Some(hi)) = (min, max)
                    && lo >= hi
                {
                    Some(format!("min {lo} is not less than max {hi}"))
                } else {
                    let lo = min.map_or(0.0, |x| normal_cdf((x - mean) / sd));
                    let hi = max.map_or(1.0, |x| normal_cdf((x - mean) / sd));
                    (hi - lo < 0.01).then(|| {
                        format!(
                            "the bounds keep only {:.2} % of this normal's mass; move them or the mean",
                            (hi - lo).max(0.0) * 100.0
                        )
                    })
                }
            }
            Dist::LogNormal { median, sigma } => {
                if !(median.is_finite() && median > 0.0) {
                    Some(format!("expected a median above 0, found {median}"))
                } else if !(sigma.is_finite() && sigma > 0.0) {
                    Some(format!("expected a sigma above 0, found {sigma}"))
                } else {
                    None
                }
            }
            Dist::Choice(ref vw) => {
                if vw.is_empty() {
                    Some("expected at least one (value, weight)".into())
                } else if vw.iter().any(|&(v, w)| !v.is_finite() || !w.is_finite() || w < 0.0) {
                    Some("expected finite values and weights of 0 or more".into())
                } else if vw.iter().map(|x| x.1).sum::<f64>() <= 0.0 {
                    Some("expected weights that add up to more than 0".into())
                } else {
                    None
                }
            }
        }
    }

    /// Smallest and largest value it can take (infinite when unbounded).
    pub fn range(&self) -> (f64, f64) {
        match *self {
            Dist::Fixed(x) => (x, x),
            Dist::Uniform(a, b) | Dist::Triangular(a, _, b) => (a, b),
            Dist::Normal { min, max, .. } => (min.unwrap_or(f64::NEG_INFINITY), max.unwrap_or(f64::INFINITY)),
            Dist::LogNormal { .. } => (0.0, f64::INFINITY),
            Dist::Choice(ref vw) => vw
                .iter()
                .filter(|x| x.1 > 0.0)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                    (lo.min(x.0), hi.max(x.0))
                }),
        }
    }

    /// One draw. Parameters must have passed [`Dist::problem`].
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Dist::Fixed(x) => x,
            Dist::Uniform(a, b) if a == b => a,
            Dist::Uniform(a, b) => Uniform::new_inclusive(a, b).map_or(a, |d| d.sample(rng)),
            Dist::Triangular(a, m, b) if a == b => m,
            Dist::Triangular(a, m, b) => Triangular::new(a, b, m).map_or(m, |d| d.sample(rng)),
            Dist::Normal { mean, sd, min, max } => {
                let Ok(d) = Normal::new(mean, sd) else { return mean };
                let (lo, hi) = (min.unwrap_or(f64::NEG_INFINITY), max.unwrap_or(f64::INFINITY));
                let mut x = d.sample(rng);
                for _ in 0..MAX_REDRAWS {
                    if (lo..=hi).contains(&x) {
                        return x;
                    }
                    x = d.sample(rng);
                }
                x.clamp(lo, hi)
            }
            Dist::LogNormal { median, sigma } => LogNormal::new(median.ln(), sigma).map_or(median, |d| d.sample(rng)),
            Dist::Choice(ref vw) => {
                let total: f64 = vw.iter().map(|x| x.1).sum();
                let mut u = rng.random::<f64>() * total;
                for &(v, w) in vw {
                    if u < w {
                        return v;
                    }
                    u -= w;
                }
                vw.iter().rev().find(|x| x.1 > 0.0).map_or(0.0, |x| x.0)
            }
        }
    }
}

/// Standard normal CDF, Φ(z) (Abramowitz & Stegun 7.1.26 for erf; error < 1.5e-7).
pub fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly =
        t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 { 0.5 * (1.0 + erf) } else { 0.5 * (1.0 - erf) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn mean_of(d: &Dist, n: usize) -> (f64, f64, f64) {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (mean, lo, hi)
    }

    #[test]
    fn sample_means_match_the_analytic_means() {
        let n = 200_000;
        let (m, lo, hi) = mean_of(&Dist::Uniform(2.0, 4.0), n);
        assert!((m - 3.0).abs() < 0.01 && lo >= 2.0 && hi <= 4.0);
        // Triangular mean = (a + m + b) / 3.
        let (m, lo, hi) = mean_of(&Dist::Triangular(-2.0, 0.0, 4.0), n);
        assert!((m - 2.0 / 3.0).abs() < 0.02 && lo >= -2.0 && hi <= 4.0, "{m}");
        // Log-normal mean = median · e^{σ²/2}.
        let (m, lo, _) = mean_of(
            &Dist::LogNormal {
                median: 1.0,
                sigma: 0.3,
            },
            n,
        );
        assert!((m - (0.045f64).exp()).abs() < 0.01 && lo > 0.0, "{m}");
        // A normal truncated symmetrically keeps its mean and its bounds.
        let d = Dist::Normal {
            mean: 3.0,
            sd: 1.0,
            min: Some(2.0),
            max: Some(4.0),
        };
        let (m, lo, hi) = mean_of(&d, n);
        assert!((m - 3.0).abs() < 0.01 && lo >= 2.0 && hi <= 4.0, "{m}");
        // Half-normal: truncated at the mean, E = mean + sd·√(2/π).
        let d = Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            min: Some(0.0),
            max: None,
        };
        let (m, lo, _) = mean_of(&d, n);
        assert!(
            (m - (2.0 / std::f64::consts::PI).sqrt()).abs() < 0.01 && lo >= 0.0,
            "{m}"
        );
        let (m, _, _) = mean_of(&Dist::Choice(vec![(90.0, 1.0), (180.0, 3.0)]), n);
        assert!((m - 157.5).abs() < 0.5, "{m}");
    }

    #[test]
    fn bad_parameters_are_named() {
        let p = |d: Dist| d.problem().unwrap_or_default();
        assert!(p(Dist::Uniform(3.0, 1.0)).contains("greater than max"));
        assert!(p(Dist::Triangular(0.0, 5.0, 4.0)).contains("mode 5 is outside"));
        assert!(
            p(Dist::Normal {
                mean: 0.0,
                sd: -1.0,
                min: None,
                max: None
            })
            .contains("standard deviation")
        );
        assert!(
            p(Dist::Normal {
                mean: 0.0,
                sd: 1.0,
                min: Some(5.0),
                max: None
            })
            .contains("mass")
        );
        assert!(
            p(Dist::LogNormal {
                median: 0.0,
                sigma: 1.0
            })
            .contains("median")
        );
        assert!(p(Dist::Choice(vec![(1.0, 0.0)])).contains("weights"));
        assert!(Dist::Uniform(1.0, 1.0).problem().is_none());
    }

    #[test]
    fn normal_cdf_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655_25).abs() < 1e-6);
    }
}
