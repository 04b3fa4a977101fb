//! The `tabletop plume` calculator: concentration at a point, or the downwind
//! lengths of the AEGL threat zones, for a quick answer at the command post —
//! the same model the simulation uses ([`super::plume`]).

use std::fmt::Write;

use super::plume::{
    AeglDuration, AeglTier, Chemical, Release, Stability, Terrain, Weather, find_chemical, finite_duration_factor,
    peak_threat_distance_m, plume_concentration, to_ppm, transport_speed_m_s,
};
use crate::error::{Diagnostic, Error};

/// One calculator question.
#[derive(Debug, Clone)]
pub struct PlumeQuery {
    /// Chemical name, Chinese name or CAS number.
    pub chemical: String,
    /// Release rate, kg/s.
    pub rate_kg_s: f64,
    /// Release duration, s (`f64::INFINITY` for continuous).
    pub duration_s: f64,
    /// Wind speed at 10 m, m/s.
    pub wind_m_s: f64,
    /// Pasquill–Gifford stability class.
    pub stability: Stability,
    /// Urban (Briggs urban) instead of rural dispersion.
    pub urban: bool,
    /// Release height, m.
    pub height_m: f64,
    /// A point (x downwind, y crosswind), m: print the concentration there.
    pub at: Option<(f64, f64)>,
    /// Which AEGL exposure duration to compare with.
    pub aegl: AeglDuration,
}

fn bad(field: &str, message: String) -> Error {
    Error::one(Diagnostic::new(
        std::path::Path::new("command line"),
        None,
        field,
        message,
    ))
}

/// Answer a query as text.
///
/// # Errors
/// [`Error::Input`] for an unknown chemical or impossible numbers.
pub fn answer(q: &PlumeQuery, chemicals: &[Chemical]) -> Result<String, Error> {
    let chem = find_chemical(chemicals, &q.chemical).ok_or_else(|| {
        let names: Vec<String> = chemicals
            .iter()
            .map(|c| format!("{} ({})", c.name, c.name_zh))
            .collect();
        bad(
            "--chemical",
            format!("unknown chemical \"{}\"; known: {}", q.chemical, names.join(", ")),
        )
    })?;
    for (flag, v, max) in [("--rate", q.rate_kg_s, 10_000.0), ("--wind", q.wind_m_s, 60.0)] {
        if !(v.is_finite() && v > 0.0 && v <= max) {
            return Err(bad(flag, format!("expected a positive number up to {max}, found {v}")));
        }
    }
    if !(q.height_m.is_finite() && (0.0..=500.0).contains(&q.height_m)) {
        return Err(bad("--height", format!("expected 0 to 500 m, found {}", q.height_m)));
    }
    if q.duration_s.is_nan() || q.duration_s <= 0.0 {
        return Err(bad("--duration", "expected a positive duration".into()));
    }
    let terrain = if q.urban { Terrain::Urban } else { Terrain::Rural };
    let rel = Release {
        rate_kg_s: q.rate_kg_s,
        height_m: q.height_m,
        duration_s: q.duration_s,
    };
    let met = Weather {
        wind_m_s: q.wind_m_s,
        wind_from_deg: 0.0,
        stability: q.stability,
        terrain,
    };
    let mw = chem.molecular_weight_g_mol;
    let mut s = String::new();
    let dur = if q.duration_s.is_finite() {
        format!("for {:.0} min", q.duration_s / 60.0)
    } else {
        "continuously".into()
    };
    let _ = writeln!(
        s,
        "{} ({}), {} kg/s {}, {} m release height; wind {} m/s at 10 m ({:.2} m/s transport), stability {:?}, {}",
        chem.name,
        chem.name_zh,
        q.rate_kg_s,
        dur,
        q.height_m,
        q.wind_m_s,
        transport_speed_m_s(&met, q.height_m),
        q.stability,
        if q.urban { "urban" } else { "rural" }
    );
    let window = match q.aegl {
        AeglDuration::Min10 => "10 min",
        AeglDuration::Min60 => "60 min",
    };
    let tiers = [
        (AeglTier::Aegl3, "AEGL-3", "red"),
        (AeglTier::Aegl2, "AEGL-2", "orange"),
        (AeglTier::Aegl1, "AEGL-1", "yellow"),
    ];
    match q.at {
        Some((x, y)) => {
            let steady = plume_concentration(&rel, &met, x, y, 0.0);
            let c = steady * finite_duration_factor(&rel, &met, x);
            let _ = writeln!(
                s,
                "at {x} m downwind, {y} m crosswind, ground level: {:.4} mg/m³ = {:.4} ppm (peak; steady plume {:.4} mg/m³)",
                c * 1e6,
                to_ppm(c, mw),
                steady * 1e6
            );
            for (tier, label, _) in tiers {
                if let Some(level) = chem.aegl_ppm(tier, q.aegl) {
                    let verdict = if to_ppm(c, mw) >= level { "EXCEEDED" } else { "below" };
                    let _ = writeln!(s, "  {label} ({window}) {level} ppm: {verdict}");
                }
            }
        }
        None => {
            let _ = writeln!(s, "  threat zone        level ({window})          downwind distance");
            for (tier, label, colour) in tiers {
                let Some(level) = chem.aegl_ppm(tier, q.aegl) else {
                    let _ = writeln!(s, "  {label:<7} {colour:<9}  not defined");
                    continue;
                };
                let thr = super::plume::from_ppm(level, mw);
                let dist = match peak_threat_distance_m(&rel, &met, thr) {
                    None => "not reached".to_string(),
                    Some(d) if d >= super::plume::THREAT_SEARCH_MAX_M => format!("> {:.0} km", d / 1000.0),
                    Some(d) if d < 1000.0 => format!("{d:.0} m"),
                    Some(d) => format!("{:.2} km", d / 1000.0),
                };
                let _ = writeln!(
                    s,
                    "  {label:<7} {colour:<9}  {level:>7} ppm ({:>8.3} mg/m³)  {dist}",
                    level * mw / 24.45
                );
            }
        }
    }
    let _ = writeln!(
        s,
        "notes: Gaussian plume, flat terrain, Briggs (1973) {} dispersion (fitted for 100 m–10 km; extrapolated beyond); peak concentration of a release of finite duration by the Palazzi (1982) along-wind correction.",
        if q.urban { "urban" } else { "rural" }
    );
    let _ = writeln!(
        s,
        "       Dense gases (chlorine, flashing ammonia) hug the ground near the source: results are rough within a few hundred metres (a dense-gas model such as Britter–McQuaid or SLAB would be needed)."
    );
    if !chem.verify.is_empty() {
        let _ = writeln!(
            s,
            "       Values still to verify against a primary source: {}.",
            chem.verify.join(", ")
        );
    }
    Ok(s)
}
