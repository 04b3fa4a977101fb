//! How many people trapped or stranded are still alive when rescue reaches
//! them, by time since they were trapped.
//!
//! The default curve is the Tangshan 1976 earthquake rescue record, the
//! time–survival series most often cited in Chinese rescue planning: of the
//! people dug out within half an hour, 99.3 % were alive; on day 1, 81 %;
//! day 2, 53.7 %; day 3, 36.7 %; day 4, 19 %; day 5, 7.4 % (as cited in
//! Chinese earthquake-rescue literature; cross-check: the Italian 1980 survey
//! in Coburn & Spence, *Earthquake Protection*, 2002, finds 93 % of survivors
//! freed within 24 h). Each day's share is placed at the middle of its day,
//! and the curve reaches zero at 7 days (planning assumption: the end of the
//! search-and-rescue window). It stands in for people stranded on flooded
//! homes, for whom no comparable series exists (verify); a scenario may give
//! its own curve (`rescue.survival`).

/// The Tangshan 1976 series as (hours since trapped, share alive), see the module docs.
pub const TANGSHAN_1976: [(f64, f64); 8] = [
    (0.0, 1.0),
    (0.5, 0.993),
    (12.0, 0.81),
    (36.0, 0.537),
    (60.0, 0.367),
    (84.0, 0.19),
    (108.0, 0.074),
    (168.0, 0.0),
];

/// A piecewise-linear survival curve: share alive by hours since trapped.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalCurve {
    points: Vec<(f64, f64)>,
}

impl SurvivalCurve {
    /// A curve through `points` (hours strictly increasing from 0, shares in
    /// 0–1 and never increasing).
    ///
    /// # Errors
    /// A sentence saying which point is wrong.
    pub fn new(points: &[(f64, f64)]) -> Result<Self, String> {
        let Some(&(h0, _)) = points.first() else {
            return Err("expected at least one (hours, share) point".into());
        };
        if h0 != 0.0 {
            return Err(format!("the first point must be at 0 hours, found {h0}"));
        }
        for (k, &(h, s)) in points.iter().enumerate() {
            if !h.is_finite() || !(0.0..=1.0).contains(&s) {
                return Err(format!(
                    "point {k}: expected hours ≥ 0 and a share in 0–1, found ({h}, {s})"
                ));
            }
            if k > 0 {
                let (hp, sp) = points[k - 1];
                if h <= hp {
                    return Err(format!("point {k}: hours must increase, found {h} after {hp}"));
                }
                if s > sp {
                    return Err(format!("point {k}: the share alive cannot rise, found {s} after {sp}"));
                }
            }
        }
        Ok(SurvivalCurve {
            points: points.to_vec(),
        })
    }

    /// Share alive `hours` after being trapped (before the first point: the
    /// first share; after the last: the last share).
    pub fn at(&self, hours: f64) -> f64 {
        let p = &self.points;
        if hours <= p[0].0 {
            return p[0].1;
        }
        for w in p.windows(2) {
            let ((h0, s0), (h1, s1)) = (w[0], w[1]);
            if hours == h1 {
                return s1;
            }
            if hours < h1 {
                return s0 + (s1 - s0) * (hours - h0) / (h1 - h0);
            }
        }
        p[p.len() - 1].1
    }

    /// Hours after which nobody is alive any more, if the curve reaches zero.
    pub fn window_h(&self) -> Option<f64> {
        self.points.iter().find(|p| p.1 == 0.0).map(|p| p.0)
    }
}

impl Default for SurvivalCurve {
    fn default() -> Self {
        SurvivalCurve {
            points: TANGSHAN_1976.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tangshan_published_values_at_the_knots() {
        let c = SurvivalCurve::default();
        assert_eq!(c.at(0.5), 0.993);
        assert_eq!(c.at(12.0), 0.81);
        assert_eq!(c.at(36.0), 0.537);
        assert_eq!(c.at(60.0), 0.367);
        assert_eq!(c.at(84.0), 0.19);
        assert_eq!(c.at(108.0), 0.074);
        assert_eq!(c.window_h(), Some(168.0));
        assert_eq!(c.at(500.0), 0.0);
        // Halfway between day 1 and day 2 midpoints.
        assert!((c.at(24.0) - (0.81 + 0.537) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn never_rises() {
        let c = SurvivalCurve::default();
        let mut last = 1.0;
        for k in 0..2000 {
            let s = c.at(f64::from(k) * 0.1);
            assert!(s <= last + 1e-15);
            last = s;
        }
    }

    #[test]
    fn bad_curves_are_refused() {
        assert!(SurvivalCurve::new(&[]).is_err());
        assert!(SurvivalCurve::new(&[(1.0, 1.0)]).is_err());
        assert!(SurvivalCurve::new(&[(0.0, 1.0), (2.0, 0.5), (1.0, 0.4)]).is_err());
        assert!(SurvivalCurve::new(&[(0.0, 0.5), (2.0, 0.6)]).is_err());
        assert!(SurvivalCurve::new(&[(0.0, 1.2)]).is_err());
        assert!(SurvivalCurve::new(&[(0.0, 1.0), (6.0, 0.0)]).is_ok());
    }
}
