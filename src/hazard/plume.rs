//! Toxic gas release: Gaussian plume and puff dispersion, source rate, AEGL threat
//! zones and probit lethality. Hazards stage: pure functions over plain data, shared by
//! the `plume` calculator and the simulation's hazard systems.
//!
//! # Equations (SI units throughout unless a name says otherwise)
//! Continuous release of `Q` kg/s at height `H` m, wind `u` m/s, downwind `x`,
//! crosswind `y`, height `z` (all m), with total reflection at the ground:
//! ```text
//! C(x,y,z) = Q / (2π u σy σz) · exp(−y²/2σy²) · [exp(−(z−H)²/2σz²) + exp(−(z+H)²/2σz²)]   kg/m³
//! ```
//! so the ground-level centreline of a ground release is `Q / (π u σy σz)`.
//! An instantaneous release (puff) of `m` kg, centre at `x = u t`, `σx = σy`:
//! ```text
//! C = m / ((2π)^1.5 σx σy σz) · exp(−(x−ut)²/2σx²) · exp(−y²/2σy²) · [same reflection term]
//! ```
//! - Plume sigmas: Briggs (1973) open-country (rural) and urban fits, as coded in
//!   aefarrell/GasDispersion.jl `briggs.jl` (see also Griffiths 1994 on misprints of these fits).
//! - Puff sigmas: Slade (1968), `σ = a·x^b` at travel distance `x = u t`.
//! - Stability: Turner (1970) table from 10 m wind, insolation and night cloud.
//! - Wind profile: power law with the EPA ISC3 exponents (rural set from Irwin 1979).
//! - Concentration ↔ ppm: `mg/m³ = ppm × MW / 24.45` (ideal gas, 25 °C, 1 atm).
//! - Toxic load and probit: `Pr = a + b·ln(Σ Cⁿ Δt)`, C in ppm, t in min; `P(death) = Φ(Pr − 5)`.
//! - Liquid leak: Bernoulli orifice `ṁ = Cd·A·√(2ρ(ΔP + ρ g h))`.
//!
//! # Assumptions and limits
//! - Flat terrain, steady and spatially uniform wind and stability, no deposition, no
//!   chemical reaction, no mixing-layer lid, passive (neutrally buoyant) gas.
//! - **No dense-gas behaviour.** Chlorine and flashing (two-phase) ammonia releases are
//!   heavier than air near the source: they slump, spread upwind and crosswind and stay
//!   shallow. A Gaussian model is rough within a few hundred metres of such a source; a
//!   dense-gas model (Britter–McQuaid workbook, SLAB, DEGADIS) would be needed there.
//!   Reports must say so.
//! - The plume is steady-state: [`Release::duration_s`] does not shorten or dilute it. For
//!   short releases the far field (beyond about `u × duration`) is overestimated, because the
//!   finite cloud also spreads along the wind. Use the duration for exposure time.
//! - Winds below [`MIN_WIND_M_S`] are raised to it: Gaussian models are not valid in calm.
//! - The Briggs fits are for 100 m – 10 km; outside that range they are extrapolated (see
//!   [`sigmas`]). Below 100 m they are close to linear in x and behave sensibly; beyond 10 km
//!   the stable-class σz levels off, so E/F concentrations there are high (conservative).
//!
//! # References
//! - Turner, D. B. (1970). *Workbook of Atmospheric Dispersion Estimates*. US EPA AP-26.
//! - Briggs, G. A. (1973). *Diffusion Estimation for Small Emissions*. ATDL-106, NOAA.
//!   Coded as in aefarrell/GasDispersion.jl, `src/utils/equation_sets/briggs.jl`.
//! - Griffiths, R. F. (1994). Errors in the use of the Briggs parameterization for
//!   atmospheric dispersion coefficients. *Atmos. Environ.* 28(17), 2861–2865.
//! - Slade, D. H., ed. (1968). *Meteorology and Atomic Energy*. US AEC (puff sigmas, as
//!   tabulated in AIChE/CCPS (1999) *Guidelines for Consequence Analysis of Chemical Releases*).
//! - Irwin, J. S. (1979). A theoretical variation of the wind profile power-law exponent as a
//!   function of surface roughness and stability. *Atmos. Environ.* 13, 191–194; US EPA (1995)
//!   ISC3 User's Guide vol. II, EPA-454/B-95-003b (urban exponents).
//! - Withers, R. M. J. & Lees, F. P. (1985). The assessment of major hazards: the lethal
//!   toxicity of chlorine. *J. Hazard. Mater.* 12, 231–282 (chlorine probit).
//! - Crowl, D. A. & Louvar, J. F. *Chemical Process Safety* (ch. 2 probits, ch. 4 orifice
//!   flow); AIChE/CCPS (1999) *Guidelines for Consequence Analysis of Chemical Releases*.
//! - US EPA, Acute Exposure Guideline Levels (AEGL) values, in `assets/chemicals.ron`.
//! - Marsaglia, G. (2004). Evaluating the normal distribution. *J. Stat. Softw.* 11(4).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::grid::Grid;

// ---------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------

/// Molar volume of an ideal gas at 25 °C and 101.325 kPa, L/mol (the AEGL / NIOSH
/// convention behind `mg/m³ = ppm × MW / 24.45`).
pub const MOLAR_VOLUME_L_MOL: f64 = 24.45;

/// Standard gravity, m/s² (CGPM 1901).
pub const GRAVITY_M_S2: f64 = 9.80665;

/// Discharge coefficient of a sharp-edged orifice for liquid flow (Crowl & Louvar,
/// *Chemical Process Safety*, ch. 4; CCPS 1999). Use 1.0 for a conservative upper bound.
pub const DEFAULT_DISCHARGE_COEFFICIENT: f64 = 0.61;

/// Height at which [`Weather::wind_m_s`] is measured, m (WMO standard anemometer height).
pub const REFERENCE_WIND_HEIGHT_M: f64 = 10.0;

/// Lowest height used in the wind power law, m: the law gives zero wind at the ground, so
/// a ground-level release is carried by the wind at this height.
pub const MIN_WIND_HEIGHT_M: f64 = 1.0;

/// Lowest transport wind speed, m/s. The Gaussian model is not valid in calm air
/// (concentration ∝ 1/u); slower winds are raised to this, as screening tools commonly do.
pub const MIN_WIND_M_S: f64 = 1.0;

/// Shortest travel distance at which sigmas are evaluated, m. Closer to the source the
/// sigmas of a point source tend to zero and the concentration to infinity.
pub const MIN_SIGMA_DISTANCE_M: f64 = 1.0;

/// Nearest distance searched by [`threat_distance_m`], m.
pub const THREAT_SEARCH_MIN_M: f64 = 10.0;

/// Farthest distance searched by [`threat_distance_m`], m; longer zones are capped here.
pub const THREAT_SEARCH_MAX_M: f64 = 50_000.0;

/// Log-spaced sample points in the threat-zone scan (ratio ≈ 1.014 between neighbours).
const THREAT_SCAN_POINTS: usize = 600;

/// Bisection stops when the bracket is narrower than this, m.
const THREAT_TOLERANCE_M: f64 = 0.01;

// ---------------------------------------------------------------------------------------
// Stability
// ---------------------------------------------------------------------------------------

/// Pasquill–Gifford atmospheric stability class, A (very unstable) to F (moderately stable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Stability {
    /// Very unstable: strong sun, light wind.
    A,
    /// Unstable.
    B,
    /// Slightly unstable.
    C,
    /// Neutral: overcast or windy.
    D,
    /// Slightly stable: night, light wind, some cloud.
    E,
    /// Moderately stable: clear night, light wind.
    F,
}

impl Stability {
    /// All classes from A to F.
    pub const ALL: [Stability; 6] = [
        Stability::A,
        Stability::B,
        Stability::C,
        Stability::D,
        Stability::E,
        Stability::F,
    ];

    /// Position in [`Stability::ALL`] (A = 0).
    fn index(self) -> usize {
        self as usize
    }
}

/// Daytime incoming solar radiation, as in Turner's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Insolation {
    /// Solar elevation above 60° with clear sky.
    Strong,
    /// Solar elevation 35°–60°.
    Moderate,
    /// Solar elevation 15°–35°.
    Slight,
}

/// Insolation class from the sun's elevation above the horizon, degrees (Turner 1970):
/// above 60° strong, above 35° moderate, above 15° slight (upper bounds inclusive).
///
/// Returns `None` at 15° or below. Turner calls that "weak" insolation, which the table in
/// [`stability_from_weather`] has no column for. We leave the choice to the caller and
/// suggest: sun above the horizon ⇒ pass [`Insolation::Slight`] with `daytime = true`
/// (the closest column); sun below the horizon ⇒ `daytime = false`. Cloud cover should
/// lower the class further (e.g. broken mid-level cloud: one class lower); that is also
/// the caller's call.
pub fn insolation_from_solar_elevation(elevation_deg: f64) -> Option<Insolation> {
    if elevation_deg > 60.0 {
        Some(Insolation::Strong)
    } else if elevation_deg > 35.0 {
        Some(Insolation::Moderate)
    } else if elevation_deg > 15.0 {
        Some(Insolation::Slight)
    } else {
        None
    }
}

/// Upper bounds of the Turner wind bins for the 10 m wind, m/s: `< 2`, `2–3`, `3–5`,
/// `5–6`, `≥ 6`. A speed exactly on a bound belongs to the windier bin.
const TURNER_WIND_BOUNDS_M_S: [f64; 4] = [2.0, 3.0, 5.0, 6.0];

/// Turner (1970) stability table (as printed in Seinfeld & Pandis and in DOMAIN.md).
/// Rows: wind bins of [`TURNER_WIND_BOUNDS_M_S`]. Columns: day strong, day moderate,
/// day slight, night ≥ 4/8 cloud, night ≤ 3/8 cloud. Where the table gives two classes
/// ("A–B", "B–C", "C–D") we take the more unstable one. Note that for ground-level
/// releases the more unstable class gives *shorter* threat distances, so this choice is
/// not the conservative one for that case.
const TURNER_TABLE: [[Stability; 5]; 5] = {
    use Stability::*;
    [
        [A, A, B, F, F], // < 2 m/s   (day moderate: A–B)
        [A, B, C, E, F], // 2–3 m/s   (day strong: A–B)
        [B, B, C, D, E], // 3–5 m/s   (day moderate: B–C)
        [C, C, D, D, D], // 5–6 m/s   (day moderate: C–D)
        [C, D, D, D, D], // ≥ 6 m/s
    ]
};

/// Pasquill–Gifford stability class from the Turner (1970) table.
///
/// - `u10_m_s`: wind speed at 10 m, m/s (≥ 0).
/// - `daytime`: sun up (Turner counts the hour after sunrise and before sunset as night).
/// - `insolation`: used by day only.
/// - `cloud_oktas`: total cloud cover in eighths; used by night only (≥ 4 ⇒ cloudy column).
/// - `overcast`: thick overcast (8/8 low cloud) by day or night ⇒ D. Oktas alone do not imply
///   overcast, since Turner's overcast rule is about a low ceiling.
///
/// Bins: `< 2`, `[2, 3)`, `[3, 5)`, `[5, 6)`, `≥ 6` m/s. Two-class cells ("A–B") give the more
/// unstable class.
pub fn stability_from_weather(
    u10_m_s: f64,
    daytime: bool,
    insolation: Insolation,
    cloud_oktas: u8,
    overcast: bool,
) -> Stability {
    if overcast {
        return Stability::D;
    }
    let row = TURNER_WIND_BOUNDS_M_S
        .iter()
        .take_while(|&&bound| u10_m_s >= bound)
        .count();
    let column = match (daytime, insolation) {
        (true, Insolation::Strong) => 0,
        (true, Insolation::Moderate) => 1,
        (true, Insolation::Slight) => 2,
        (false, _) if cloud_oktas >= 4 => 3,
        (false, _) => 4,
    };
    TURNER_TABLE[row][column]
}

// ---------------------------------------------------------------------------------------
// Terrain, sigmas, wind profile
// ---------------------------------------------------------------------------------------

/// Surface type, which picks the dispersion fits and wind-profile exponents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Terrain {
    /// Open country (the towns around Linqing).
    Rural,
    /// Built-up area (Linqing's four subdistricts).
    Urban,
}

/// One Briggs fit `σ = a·x·(1 + k·x)^p`, x in m.
#[derive(Debug, Clone, Copy)]
struct BriggsFit {
    a: f64,
    k_per_m: f64,
    p: f64,
}

impl BriggsFit {
    const fn new(a: f64, k_per_m: f64, p: f64) -> Self {
        BriggsFit { a, k_per_m, p }
    }

    fn eval(self, x_m: f64) -> f64 {
        self.a * x_m * (1.0 + self.k_per_m * x_m).powf(self.p)
    }
}

/// Briggs (1973) fits, indexed by class A..F: (σy, σz).
/// Source: DOMAIN.md table = aefarrell/GasDispersion.jl `briggs.jl`.
const BRIGGS_RURAL: [(BriggsFit, BriggsFit); 6] = [
    (BriggsFit::new(0.22, 1e-4, -0.5), BriggsFit::new(0.20, 0.0, 1.0)),
    (BriggsFit::new(0.16, 1e-4, -0.5), BriggsFit::new(0.12, 0.0, 1.0)),
    (BriggsFit::new(0.11, 1e-4, -0.5), BriggsFit::new(0.08, 2e-4, -0.5)),
    (BriggsFit::new(0.08, 1e-4, -0.5), BriggsFit::new(0.06, 1.5e-3, -0.5)),
    (BriggsFit::new(0.06, 1e-4, -0.5), BriggsFit::new(0.03, 3e-4, -1.0)),
    (BriggsFit::new(0.04, 1e-4, -0.5), BriggsFit::new(0.016, 3e-4, -1.0)),
];

/// Briggs (1973) urban fits (McElroy–Pooler St Louis data), class A..F: (σy, σz).
const BRIGGS_URBAN: [(BriggsFit, BriggsFit); 6] = [
    (BriggsFit::new(0.32, 4e-4, -0.5), BriggsFit::new(0.24, 1e-3, 0.5)),
    (BriggsFit::new(0.32, 4e-4, -0.5), BriggsFit::new(0.24, 1e-3, 0.5)),
    (BriggsFit::new(0.22, 4e-4, -0.5), BriggsFit::new(0.20, 0.0, 1.0)),
    (BriggsFit::new(0.16, 4e-4, -0.5), BriggsFit::new(0.14, 3e-4, -0.5)),
    (BriggsFit::new(0.11, 4e-4, -0.5), BriggsFit::new(0.08, 1.5e-3, -0.5)),
    (BriggsFit::new(0.11, 4e-4, -0.5), BriggsFit::new(0.08, 1.5e-3, -0.5)),
];

/// Plume dispersion coefficients `(σy, σz)`, m, at downwind distance `x_m` (Briggs 1973).
///
/// The fits are for 100 m ≤ x ≤ 10 km and are used unchanged (extrapolated) outside that
/// range. Distances below [`MIN_SIGMA_DISTANCE_M`] (including x ≤ 0) are raised to it, so the
/// result is always small but positive (e.g. D rural at 1 m: σy ≈ 0.08 m, σz ≈ 0.06 m).
pub fn sigmas(stability: Stability, terrain: Terrain, x_m: f64) -> (f64, f64) {
    let x = x_m.max(MIN_SIGMA_DISTANCE_M);
    let table = match terrain {
        Terrain::Rural => &BRIGGS_RURAL,
        Terrain::Urban => &BRIGGS_URBAN,
    };
    let (fit_y, fit_z) = table[stability.index()];
    (fit_y.eval(x), fit_z.eval(x))
}

/// Wind-profile power-law exponents, class A..F, rural (Irwin 1979 as used in EPA ISC3).
const WIND_EXPONENT_RURAL: [f64; 6] = [0.07, 0.07, 0.10, 0.15, 0.35, 0.55];

/// Wind-profile power-law exponents, class A..F, urban (EPA 1995, ISC3 User's Guide vol. II).
const WIND_EXPONENT_URBAN: [f64; 6] = [0.15, 0.15, 0.20, 0.25, 0.30, 0.30];

/// Wind speed at height `z_m` from a speed `u_ref_m_s` measured at `z_ref_m`, by the power
/// law `u = u_ref · (z / z_ref)^p` with the EPA ISC3 exponents (rural: Irwin 1979).
///
/// `z_m` is raised to [`MIN_WIND_HEIGHT_M`] (the law gives zero wind at the ground).
/// Precondition: `z_ref_m > 0`. No lower limit on the speed: see [`transport_speed_m_s`].
pub fn wind_at_height(u_ref_m_s: f64, z_ref_m: f64, z_m: f64, stability: Stability, terrain: Terrain) -> f64 {
    let p = match terrain {
        Terrain::Rural => WIND_EXPONENT_RURAL[stability.index()],
        Terrain::Urban => WIND_EXPONENT_URBAN[stability.index()],
    };
    u_ref_m_s * (z_m.max(MIN_WIND_HEIGHT_M) / z_ref_m).powf(p)
}

/// The wind that carries a release at `height_m`, m/s: [`wind_at_height`] from the 10 m
/// wind, raised to at least [`MIN_WIND_M_S`].
pub fn transport_speed_m_s(met: &Weather, height_m: f64) -> f64 {
    wind_at_height(
        met.wind_m_s,
        REFERENCE_WIND_HEIGHT_M,
        height_m,
        met.stability,
        met.terrain,
    )
    .max(MIN_WIND_M_S)
}

// ---------------------------------------------------------------------------------------
// Plume and puff
// ---------------------------------------------------------------------------------------

/// A continuous release from a point source.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// Emission rate, kg/s.
    pub rate_kg_s: f64,
    /// Release height above ground, m (0 for a ground-level leak).
    pub height_m: f64,
    /// How long the release lasts, s. The steady-state plume does not use it; it sets the
    /// exposure time and the total mass ([`Release::total_mass_kg`]).
    pub duration_s: f64,
}

impl Release {
    /// Mass released over the whole duration, kg.
    pub fn total_mass_kg(&self) -> f64 {
        self.rate_kg_s * self.duration_s
    }
}

/// Weather for dispersion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weather {
    /// Wind speed at [`REFERENCE_WIND_HEIGHT_M`] (10 m), m/s.
    pub wind_m_s: f64,
    /// Meteorological wind direction: where the wind blows FROM, degrees clockwise from
    /// north (270 = westerly wind, blowing toward the east).
    pub wind_from_deg: f64,
    /// Stability class.
    pub stability: Stability,
    /// Surface type.
    pub terrain: Terrain,
}

/// Gaussian factor `exp(−d²/2σ²)`.
#[inline]
fn gauss(d_m: f64, sigma_m: f64) -> f64 {
    (-0.5 * (d_m / sigma_m).powi(2)).exp()
}

/// Vertical term with ground reflection: `exp(−(z−H)²/2σz²) + exp(−(z+H)²/2σz²)`.
#[inline]
fn reflected_vertical(z_m: f64, height_m: f64, sigma_z_m: f64) -> f64 {
    gauss(z_m - height_m, sigma_z_m) + gauss(z_m + height_m, sigma_z_m)
}

/// Steady-state concentration of a continuous release, kg/m³, at `x_down_m` downwind,
/// `y_cross_m` crosswind (either side) and `z_m` above ground, with ground reflection:
/// `C = Q/(2π u σy σz) · exp(−y²/2σy²) · [exp(−(z−H)²/2σz²) + exp(−(z+H)²/2σz²)]`.
///
/// `u` is [`transport_speed_m_s`] at the release height; σ from [`sigmas`] at `x_down_m`.
/// Returns 0 upwind and at the source (`x_down_m ≤ 0`) and below ground (`z_m < 0`).
pub fn plume_concentration(rel: &Release, met: &Weather, x_down_m: f64, y_cross_m: f64, z_m: f64) -> f64 {
    if !(x_down_m > 0.0 && z_m >= 0.0) {
        return 0.0;
    }
    let u = transport_speed_m_s(met, rel.height_m);
    let (sigma_y, sigma_z) = sigmas(met.stability, met.terrain, x_down_m);
    rel.rate_kg_s / (2.0 * std::f64::consts::PI * u * sigma_y * sigma_z)
        * gauss(y_cross_m, sigma_y)
        * reflected_vertical(z_m, rel.height_m, sigma_z)
}

/// An instantaneous release (puff).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Puff {
    /// Mass released, kg.
    pub mass_kg: f64,
    /// Release height above ground, m.
    pub height_m: f64,
}

/// Slade (1968) puff fits `σ = a·x^b`, class A..F: (a_y, b_y, a_z, b_z), x in m.
/// Source: DOMAIN.md; same values in CCPS (1999) and GasDispersion.jl `ccps.jl`.
const SLADE_PUFF: [(f64, f64, f64, f64); 6] = [
    (0.18, 0.92, 0.60, 0.75),
    (0.14, 0.92, 0.53, 0.73),
    (0.10, 0.92, 0.34, 0.71),
    (0.06, 0.92, 0.15, 0.70),
    (0.04, 0.92, 0.10, 0.65),
    (0.02, 0.89, 0.05, 0.61),
];

/// Puff dispersion coefficients `(σx = σy, σz)`, m, after `travel_m` of travel (Slade 1968).
/// Travel below [`MIN_SIGMA_DISTANCE_M`] is raised to it. Same for rural and urban.
pub fn puff_sigmas(stability: Stability, travel_m: f64) -> (f64, f64) {
    let x = travel_m.max(MIN_SIGMA_DISTANCE_M);
    let (a_y, b_y, a_z, b_z) = SLADE_PUFF[stability.index()];
    (a_y * x.powf(b_y), a_z * x.powf(b_z))
}

/// Concentration of a puff, kg/m³, `t_s` seconds after release, at `x_m` downwind and `y_m`
/// crosswind of the release point and `z_m` above ground. The centre moves at
/// [`transport_speed_m_s`] for the puff height; `σx = σy` and `σz` come from [`puff_sigmas`]
/// at travel distance `u·t`; ground reflection as for the plume.
///
/// Returns 0 for `t_s ≤ 0` (not yet released) and below ground (`z_m < 0`).
pub fn puff_concentration(puff: &Puff, met: &Weather, t_s: f64, x_m: f64, y_m: f64, z_m: f64) -> f64 {
    if !(t_s > 0.0 && z_m >= 0.0) {
        return 0.0;
    }
    let u = transport_speed_m_s(met, puff.height_m);
    let travel = u * t_s;
    let (sigma_xy, sigma_z) = puff_sigmas(met.stability, travel);
    let norm = (2.0 * std::f64::consts::PI).powf(1.5) * sigma_xy * sigma_xy * sigma_z;
    puff.mass_kg / norm
        * gauss(x_m - travel, sigma_xy)
        * gauss(y_m, sigma_xy)
        * reflected_vertical(z_m, puff.height_m, sigma_z)
}

// ---------------------------------------------------------------------------------------
// Units
// ---------------------------------------------------------------------------------------

/// Volume fraction in ppm of a gas at `c_kg_m3` with molecular weight `mw_g_mol`
/// (`ppm = mg/m³ × 24.45 / MW`, 25 °C, 1 atm).
pub fn to_ppm(c_kg_m3: f64, mw_g_mol: f64) -> f64 {
    c_kg_m3 * 1e6 * MOLAR_VOLUME_L_MOL / mw_g_mol
}

/// Concentration in kg/m³ of `ppm` of a gas with molecular weight `mw_g_mol`
/// (`mg/m³ = ppm × MW / 24.45`, 25 °C, 1 atm).
pub fn from_ppm(ppm: f64, mw_g_mol: f64) -> f64 {
    ppm * mw_g_mol / MOLAR_VOLUME_L_MOL * 1e-6
}

// ---------------------------------------------------------------------------------------
// Chemicals
// ---------------------------------------------------------------------------------------

/// AEGL-1/2/3 for one exposure duration, ppm; `None` where no value is defined
/// (e.g. "not recommended" AEGL-1 for phosgene).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AeglLevels {
    /// AEGL-1: notable discomfort, reversible.
    pub aegl1_ppm: Option<f64>,
    /// AEGL-2: irreversible or serious long-lasting effects, or impaired ability to escape.
    pub aegl2_ppm: Option<f64>,
    /// AEGL-3: life-threatening effects or death.
    pub aegl3_ppm: Option<f64>,
}

/// AEGL severity tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AeglTier {
    /// Discomfort.
    Aegl1,
    /// Serious or irreversible effects.
    Aegl2,
    /// Life-threatening.
    Aegl3,
}

/// AEGL exposure duration held in the data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AeglDuration {
    /// 10-minute exposure.
    Min10,
    /// 60-minute exposure (ALOHA's default for threat zones).
    Min60,
}

/// Probit constants for `Pr = a + b·ln(Σ Cⁿ Δt)`, C in ppm, Δt in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbitCoefficients {
    /// Intercept `a`.
    pub a: f64,
    /// Slope `b` (> 0).
    pub b: f64,
    /// Concentration exponent `n` (> 0).
    pub n: f64,
}

/// One toxic chemical, as written in `assets/chemicals.ron`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chemical {
    /// English name, lower case (`"chlorine"`); unique in the file.
    pub name: String,
    /// Chinese name (`"氯气"`).
    pub name_zh: String,
    /// CAS registry number.
    pub cas: String,
    /// Molecular weight, g/mol.
    pub molecular_weight_g_mol: f64,
    /// 10-minute AEGLs, ppm.
    pub aegl_10min: AeglLevels,
    /// 60-minute AEGLs, ppm.
    pub aegl_60min: AeglLevels,
    /// Lethality probit (ppm, minutes), if one is published.
    pub probit: Option<ProbitCoefficients>,
    /// Density of the liquid as stored (pressurised liquefied gas at 20 °C),
    /// kg/m³, for leaks from a tank (orifice flow); None if not given.
    #[serde(default)]
    pub liquid_density_kg_m3: Option<f64>,
    /// Fields whose values still need checking against a primary source
    /// (names from [`CHEMICAL_FIELDS`]). Reports should flag results that use them.
    #[serde(default)]
    pub verify: Vec<String>,
    /// Sources and remarks.
    #[serde(default)]
    pub notes: String,
}

/// Field names of [`Chemical`], for the `verify` list.
pub const CHEMICAL_FIELDS: [&str; 7] = [
    "name_zh",
    "cas",
    "molecular_weight_g_mol",
    "aegl_10min",
    "aegl_60min",
    "probit",
    "notes",
];

impl Chemical {
    /// The AEGL for `tier` and `duration`, ppm, if defined.
    pub fn aegl_ppm(&self, tier: AeglTier, duration: AeglDuration) -> Option<f64> {
        let levels = match duration {
            AeglDuration::Min10 => &self.aegl_10min,
            AeglDuration::Min60 => &self.aegl_60min,
        };
        match tier {
            AeglTier::Aegl1 => levels.aegl1_ppm,
            AeglTier::Aegl2 => levels.aegl2_ppm,
            AeglTier::Aegl3 => levels.aegl3_ppm,
        }
    }

    /// The AEGL for `tier` and `duration` as a concentration, kg/m³, if defined.
    pub fn aegl_kg_m3(&self, tier: AeglTier, duration: AeglDuration) -> Option<f64> {
        self.aegl_ppm(tier, duration)
            .map(|ppm| from_ppm(ppm, self.molecular_weight_g_mol))
    }

    /// Whether `field` is listed in [`Chemical::verify`].
    pub fn needs_verification(&self, field: &str) -> bool {
        self.verify.iter().any(|f| f == field)
    }
}

/// Parse and check a chemicals list (RON: a top-level list of `Chemical` structs; optional
/// values are written plainly, `aegl1_ppm: 0.5`, or as `None`).
///
/// # Errors
/// A message for a RON syntax or type error (with line:column), or one line per problem
/// found by the checks (all problems, not just the first): empty or duplicate names,
/// non-positive molecular weight or AEGL, AEGL-1 > AEGL-2 > AEGL-3 ordering broken, probit
/// `b` or `n` not positive, unknown names in `verify`. The caller adds the file name.
pub fn load_chemicals(text: &str) -> Result<Vec<Chemical>, String> {
    let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let chemicals: Vec<Chemical> = options.from_str(text).map_err(|e| e.to_string())?;
    let problems = check_chemicals(&chemicals);
    if problems.is_empty() {
        Ok(chemicals)
    } else {
        Err(problems.join("\n"))
    }
}

/// Every problem in a parsed chemicals list, one message each.
pub fn check_chemicals(chemicals: &[Chemical]) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, chem) in chemicals.iter().enumerate() {
        let mut report = |msg: String| problems.push(format!("chemicals[{i}] ({:?}): {msg}", chem.name));
        if chem.name.trim().is_empty() {
            report("name: empty".into());
        }
        if chemicals[..i]
            .iter()
            .any(|other| other.name.eq_ignore_ascii_case(&chem.name))
        {
            report("name: duplicate".into());
        }
        if !is_positive(chem.molecular_weight_g_mol) {
            report(format!(
                "molecular_weight_g_mol: {} is not a positive number",
                chem.molecular_weight_g_mol
            ));
        }
        for (field, levels) in [("aegl_10min", &chem.aegl_10min), ("aegl_60min", &chem.aegl_60min)] {
            for msg in check_aegl_levels(levels) {
                report(format!("{field}: {msg}"));
            }
        }
        if let Some(p) = &chem.probit
            && !(p.a.is_finite() && is_positive(p.b) && is_positive(p.n))
        {
            report(format!(
                "probit: need finite a and positive b, n; got a = {}, b = {}, n = {}",
                p.a, p.b, p.n
            ));
        }
        for field in &chem.verify {
            if !CHEMICAL_FIELDS.contains(&field.as_str()) {
                report(format!(
                    "verify: {field:?} is not a field (one of {})",
                    CHEMICAL_FIELDS.join(", ")
                ));
            }
        }
    }
    problems
}

/// Finite and greater than zero.
fn is_positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// Problems within one set of AEGLs: non-positive values, tiers out of order.
fn check_aegl_levels(levels: &AeglLevels) -> Vec<String> {
    let tiers = [
        ("AEGL-1", levels.aegl1_ppm),
        ("AEGL-2", levels.aegl2_ppm),
        ("AEGL-3", levels.aegl3_ppm),
    ];
    let mut problems = Vec::new();
    for (label, value) in tiers {
        if let Some(v) = value.filter(|&v| !is_positive(v)) {
            problems.push(format!("{label} = {v} ppm is not a positive number"));
        }
    }
    for (k, (lo_label, lo)) in tiers.iter().enumerate() {
        for (hi_label, hi) in &tiers[k + 1..] {
            if let (Some(lo), Some(hi)) = (lo, hi)
                && lo > hi
            {
                problems.push(format!("{lo_label} ({lo} ppm) exceeds {hi_label} ({hi} ppm)"));
            }
        }
    }
    problems
}

/// The chemical whose English name, Chinese name or CAS number matches `key`
/// (English name case-insensitive).
pub fn find_chemical<'a>(chemicals: &'a [Chemical], key: &str) -> Option<&'a Chemical> {
    let key = key.trim();
    chemicals
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(key) || c.name_zh == key || c.cas == key)
}

// ---------------------------------------------------------------------------------------
// Toxic load, probit, lethality
// ---------------------------------------------------------------------------------------

/// One step of toxic load, `Cⁿ·Δt`, ppmⁿ·min. Negative concentrations count as zero.
pub fn toxic_load_step(n: f64, conc_ppm: f64, dt_min: f64) -> f64 {
    conc_ppm.max(0.0).powf(n) * dt_min
}

/// Toxic load of a time-varying exposure, `Σ Cⁿ·Δt`, ppmⁿ·min, from
/// `(concentration ppm, step minutes)` samples.
pub fn toxic_load(n: f64, samples: impl IntoIterator<Item = (f64, f64)>) -> f64 {
    samples.into_iter().map(|(c, dt)| toxic_load_step(n, c, dt)).sum()
}

/// Probit from an accumulated toxic load: `Pr = a + b·ln(load)`. A zero load gives −∞
/// (and a lethality of 0).
pub fn probit_from_load(coef: &ProbitCoefficients, load_ppm_n_min: f64) -> f64 {
    coef.a + coef.b * load_ppm_n_min.ln()
}

/// Probit for a constant exposure of `conc_ppm` for `minutes`: `Pr = a + b·ln(Cⁿ·t)`.
pub fn probit(coef: &ProbitCoefficients, conc_ppm: f64, minutes: f64) -> f64 {
    probit_from_load(coef, toxic_load_step(coef.n, conc_ppm, minutes))
}

/// Fraction of exposed people expected to die, `Φ(Pr − 5)`, in [0, 1].
pub fn lethality(probit_value: f64) -> f64 {
    normal_cdf(probit_value - 5.0).clamp(0.0, 1.0)
}

/// Beyond this many standard deviations the normal CDF is 0 or 1 to within 1e-19.
const NORMAL_CDF_CUTOFF: f64 = 9.0;

/// Standard normal CDF `Φ(x)`, by Marsaglia's (2004) Taylor series
/// `Φ(x) = ½ + φ(x)·(x + x³/3 + x⁵/(3·5) + …)`, summed until the terms stop changing the
/// sum; absolute error about 1e-15 (Marsaglia, *J. Stat. Softw.* 11(4)). Returns exactly 0
/// or 1 beyond ±9, NaN for NaN.
pub fn normal_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= -NORMAL_CDF_CUTOFF {
        return 0.0;
    }
    if x >= NORMAL_CDF_CUTOFF {
        return 1.0;
    }
    let q = x * x;
    let (mut sum, mut term, mut odd) = (x, x, 1.0);
    loop {
        odd += 2.0;
        term *= q / odd;
        let next = sum + term;
        if next == sum {
            break;
        }
        sum = next;
    }
    let ln_sqrt_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
    0.5 + sum * (-0.5 * q - ln_sqrt_2pi).exp()
}

// ---------------------------------------------------------------------------------------
// Source: liquid leak through a hole
// ---------------------------------------------------------------------------------------

/// Liquid mass flow through a hole, kg/s, by Bernoulli's orifice equation
/// `ṁ = Cd·A·√(2ρ(ΔP + ρ g h))` (Crowl & Louvar, *Chemical Process Safety*, ch. 4;
/// CCPS 1999). `cd` is the discharge coefficient ([`DEFAULT_DISCHARGE_COEFFICIENT`] for a
/// sharp-edged hole), `head_m` the liquid height above the hole, `overpressure_pa` the
/// gauge pressure of the vapour space. Returns 0 when the driving pressure is not positive.
///
/// The liquid is assumed not to flash before it leaves the hole. For a pressurised
/// liquefied gas (chlorine, ammonia) that is the usual estimate for a hole in the tank wall;
/// through a pipe longer than about 0.1 m the flow flashes and a two-phase model (e.g.
/// Fauske's, in CCPS 1999) gives a lower rate. Overpressure is the saturation pressure
/// minus ambient for such a tank.
pub fn orifice_liquid_rate_kg_s(cd: f64, area_m2: f64, density_kg_m3: f64, head_m: f64, overpressure_pa: f64) -> f64 {
    let driving_pa = overpressure_pa + density_kg_m3 * GRAVITY_M_S2 * head_m;
    if driving_pa.is_nan() || driving_pa <= 0.0 {
        return 0.0;
    }
    cd * area_m2 * (2.0 * density_kg_m3 * driving_pa).sqrt()
}

// ---------------------------------------------------------------------------------------
// Threat zones
// ---------------------------------------------------------------------------------------

/// Ground-level centreline concentration, kg/m³, `x_down_m` downwind.
pub fn centreline_ground_concentration(rel: &Release, met: &Weather, x_down_m: f64) -> f64 {
    plume_concentration(rel, met, x_down_m, 0.0, 0.0)
}

/// Farthest downwind distance, m, at which the ground-level centreline concentration is at
/// least `threshold_kg_m3` (a threat zone's length, e.g. to an AEGL).
///
/// Scans [`THREAT_SEARCH_MIN_M`]..[`THREAT_SEARCH_MAX_M`] at log-spaced points, then bisects
/// the last crossing to 1 cm. Returns `None` if the threshold is never reached in that range
/// (or is not positive), and [`THREAT_SEARCH_MAX_M`] if it is still exceeded there (a cap:
/// treat as "at least"). Handles elevated releases, whose ground concentration first rises.
pub fn threat_distance_m(rel: &Release, met: &Weather, threshold_kg_m3: f64) -> Option<f64> {
    threat_distance_by(|x| centreline_ground_concentration(rel, met, x), threshold_kg_m3)
}

/// Like [`threat_distance_m`], but with the peak concentration of a release of
/// finite duration ([`peak_ground_concentration`]) instead of the steady plume.
pub fn peak_threat_distance_m(rel: &Release, met: &Weather, threshold_kg_m3: f64) -> Option<f64> {
    threat_distance_by(|x| peak_ground_concentration(rel, met, x), threshold_kg_m3)
}

/// Along-wind dilution of a release lasting `duration_s`, as a factor on the
/// steady-state plume (Palazzi et al. 1982, "A short-term dispersion model"):
/// a release of duration T spreads along the wind with σx ≈ σy, and the highest
/// concentration it produces at distance x is the steady one times
/// erf(u·T / (2√2·σx(x))). 1 for a continuous release (T = ∞); < 1 far away,
/// where the cloud has stretched longer than the release.
pub fn finite_duration_factor(rel: &Release, met: &Weather, x_down_m: f64) -> f64 {
    if !rel.duration_s.is_finite() {
        return 1.0;
    }
    if rel.duration_s <= 0.0 || x_down_m <= 0.0 {
        return 0.0;
    }
    let u = transport_speed_m_s(met, rel.height_m);
    let (sigma_x, _) = sigmas(met.stability, met.terrain, x_down_m);
    erf(u * rel.duration_s / (2.0 * std::f64::consts::SQRT_2 * sigma_x))
}

/// Highest ground-level centreline concentration, kg/m³, that a release of
/// `rel.duration_s` produces `x_down_m` downwind (steady plume × [`finite_duration_factor`]).
pub fn peak_ground_concentration(rel: &Release, met: &Weather, x_down_m: f64) -> f64 {
    centreline_ground_concentration(rel, met, x_down_m) * finite_duration_factor(rel, met, x_down_m)
}

/// The error function, from the normal CDF: erf(x) = 2Φ(x√2) − 1.
fn erf(x: f64) -> f64 {
    2.0 * normal_cdf(x * std::f64::consts::SQRT_2) - 1.0
}

/// Farthest distance where `conc(x) ≥ threshold`; see [`threat_distance_m`].
fn threat_distance_by(conc: impl Fn(f64) -> f64, threshold_kg_m3: f64) -> Option<f64> {
    if threshold_kg_m3.is_nan() || threshold_kg_m3 <= 0.0 {
        return None;
    }
    let above = |x: f64| conc(x) >= threshold_kg_m3;
    let ratio = (THREAT_SEARCH_MAX_M / THREAT_SEARCH_MIN_M).powf(1.0 / (THREAT_SCAN_POINTS - 1) as f64);
    let xs: Vec<f64> = (0..THREAT_SCAN_POINTS)
        .map(|k| {
            if k + 1 == THREAT_SCAN_POINTS {
                THREAT_SEARCH_MAX_M
            } else {
                THREAT_SEARCH_MIN_M * ratio.powi(k as i32)
            }
        })
        .collect();
    let last = xs.iter().rposition(|&x| above(x))?;
    if last + 1 == xs.len() {
        return Some(THREAT_SEARCH_MAX_M);
    }
    let (mut lo, mut hi) = (xs[last], xs[last + 1]);
    while hi - lo > THREAT_TOLERANCE_M {
        let mid = 0.5 * (lo + hi);
        if above(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo)
}

/// Unit vector (east, north) of the direction the wind blows toward: bearing
/// `wind_from_deg + 180°`, clockwise from north.
fn downwind_unit(met: &Weather) -> (f64, f64) {
    let bearing = (met.wind_from_deg + 180.0).to_radians();
    (bearing.sin(), bearing.cos())
}

/// Offset of `point_xy` from `source_xy` (both m east, m north) in plume coordinates:
/// `(x downwind, y crosswind)`, y positive to the left of the wind's direction of travel.
pub fn to_plume_frame(met: &Weather, source_xy: (f64, f64), point_xy: (f64, f64)) -> (f64, f64) {
    rotate_to_plume(downwind_unit(met), source_xy, point_xy)
}

#[inline]
fn rotate_to_plume((ex, ny): (f64, f64), source_xy: (f64, f64), point_xy: (f64, f64)) -> (f64, f64) {
    let (dx, dy) = (point_xy.0 - source_xy.0, point_xy.1 - source_xy.1);
    (dx * ex + dy * ny, -dx * ny + dy * ex)
}

/// Ground-level concentration, kg/m³, at map point `point_xy` from a release at map point
/// `source_xy` (both m east, m north of the map origin).
pub fn ground_concentration_at(rel: &Release, met: &Weather, source_xy: (f64, f64), point_xy: (f64, f64)) -> f64 {
    let (x, y) = to_plume_frame(met, source_xy, point_xy);
    plume_concentration(rel, met, x, y, 0.0)
}

/// The cell geometry of a grid, copied so rows can be filled while the data is borrowed.
#[derive(Clone, Copy)]
struct RowGeometry {
    dx: f64,
    x0: f64,
    y0: f64,
}

/// Fill row `j` with ground-level concentration at each cell centre (same centre formula as
/// [`Grid::centre`]).
fn fill_row(
    rel: &Release,
    met: &Weather,
    axis: (f64, f64),
    source_xy: (f64, f64),
    geo: RowGeometry,
    j: usize,
    row: &mut [f32],
) {
    let y = geo.y0 + (j as f64 + 0.5) * geo.dx;
    for (i, cell) in row.iter_mut().enumerate() {
        let x = geo.x0 + (i as f64 + 0.5) * geo.dx;
        let (xd, yc) = rotate_to_plume(axis, source_xy, (x, y));
        *cell = plume_concentration(rel, met, xd, yc, 0.0) as f32;
    }
}

/// Fill `grid` with the ground-level concentration, kg/m³, at each cell centre, for a
/// release at `source_xy` (m east, m north). Rows are filled in parallel (rayon); every cell
/// is independent, so the result is identical to [`concentration_grid_serial`].
/// Cells at or upwind of the source get 0; the cell just downwind of the source holds a
/// large, unreliable near-source value.
pub fn concentration_grid(rel: &Release, met: &Weather, source_xy: (f64, f64), grid: &mut Grid<f32>) {
    if grid.nx == 0 {
        return;
    }
    let geo = RowGeometry {
        dx: grid.dx,
        x0: grid.x0,
        y0: grid.y0,
    };
    let axis = downwind_unit(met);
    grid.data
        .par_chunks_mut(grid.nx)
        .enumerate()
        .for_each(|(j, row)| fill_row(rel, met, axis, source_xy, geo, j, row));
}

/// Serial twin of [`concentration_grid`], for comparison and single-threaded callers.
pub fn concentration_grid_serial(rel: &Release, met: &Weather, source_xy: (f64, f64), grid: &mut Grid<f32>) {
    if grid.nx == 0 {
        return;
    }
    let geo = RowGeometry {
        dx: grid.dx,
        x0: grid.x0,
        y0: grid.y0,
    };
    let axis = downwind_unit(met);
    for (j, row) in grid.data.chunks_mut(grid.nx).enumerate() {
        fill_row(rel, met, axis, source_xy, geo, j, row);
    }
}

/// Cells where the concentration is at least `threshold_kg_m3`.
pub fn footprint(concentration: &Grid<f32>, threshold_kg_m3: f64) -> Grid<bool> {
    let mut out = Grid::like(concentration, false);
    for (flag, &c) in out.data.iter_mut().zip(&concentration.data) {
        *flag = f64::from(c) >= threshold_kg_m3;
    }
    out
}

/// Area of the cells where the concentration is at least `threshold_kg_m3`, m².
pub fn footprint_area_m2(concentration: &Grid<f32>, threshold_kg_m3: f64) -> f64 {
    let cells = concentration
        .data
        .iter()
        .filter(|&&c| f64::from(c) >= threshold_kg_m3)
        .count();
    cells as f64 * concentration.cell_area()
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    const CHEMICALS_RON: &str = include_str!("../../assets/chemicals.ron");

    fn rel_err(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    fn weather(wind_m_s: f64, stability: Stability, terrain: Terrain) -> Weather {
        Weather {
            wind_m_s,
            wind_from_deg: 270.0,
            stability,
            terrain,
        }
    }

    fn ground_release(rate_kg_s: f64) -> Release {
        Release {
            rate_kg_s,
            height_m: 0.0,
            duration_s: 600.0,
        }
    }

    fn chlorine() -> Chemical {
        let all = load_chemicals(CHEMICALS_RON).expect("bundled chemicals parse");
        find_chemical(&all, "chlorine").expect("chlorine is bundled").clone()
    }

    // 1. Ground-level centreline of a ground release is Q/(π u σy σz).
    #[test]
    fn centreline_ground_release_matches_closed_form() {
        let met = weather(5.0, Stability::D, Terrain::Rural);
        let rel = ground_release(1.0);
        let x: f64 = 1000.0;
        // Independent: Briggs rural D, and the 10 m wind brought down to 1 m with p = 0.15.
        let sigma_y = 0.08 * x / (1.0 + 0.0001 * x).sqrt();
        let sigma_z = 0.06 * x / (1.0 + 0.0015 * x).sqrt();
        let u = 5.0 * (1.0_f64 / 10.0).powf(0.15);
        let expected = 1.0 / (PI * u * sigma_y * sigma_z);
        let got = plume_concentration(&rel, &met, x, 0.0, 0.0);
        assert!(rel_err(got, expected) < 1e-6, "got {got}, expected {expected}");
    }

    // 1b. Sigmas match the Briggs table at spot points in every class.
    #[test]
    fn sigmas_match_briggs_table() {
        let x: f64 = 2000.0;
        // DOMAIN.md table, transcribed independently: (rural σy, rural σz, urban σy, urban σz).
        let r = |a: f64| a * x / (1.0 + 1e-4 * x).sqrt();
        let u = |a: f64| a * x / (1.0 + 4e-4 * x).sqrt();
        let table = [
            (r(0.22), 0.20 * x, u(0.32), 0.24 * x * (1.0 + 0.001 * x).sqrt()),
            (r(0.16), 0.12 * x, u(0.32), 0.24 * x * (1.0 + 0.001 * x).sqrt()),
            (r(0.11), 0.08 * x / (1.0 + 0.0002 * x).sqrt(), u(0.22), 0.20 * x),
            (
                r(0.08),
                0.06 * x / (1.0 + 0.0015 * x).sqrt(),
                u(0.16),
                0.14 * x / (1.0 + 0.0003 * x).sqrt(),
            ),
            (
                r(0.06),
                0.03 * x / (1.0 + 0.0003 * x),
                u(0.11),
                0.08 * x / (1.0 + 0.0015 * x).sqrt(),
            ),
            (
                r(0.04),
                0.016 * x / (1.0 + 0.0003 * x),
                u(0.11),
                0.08 * x / (1.0 + 0.0015 * x).sqrt(),
            ),
        ];
        for (stability, (ry, rz, uy, uz)) in Stability::ALL.into_iter().zip(table) {
            let (sy, sz) = sigmas(stability, Terrain::Rural, x);
            assert!(
                rel_err(sy, ry) < 1e-12 && rel_err(sz, rz) < 1e-12,
                "{stability:?} rural"
            );
            let (sy, sz) = sigmas(stability, Terrain::Urban, x);
            assert!(
                rel_err(sy, uy) < 1e-12 && rel_err(sz, uz) < 1e-12,
                "{stability:?} urban"
            );
        }
        // Sigmas shrink from A to F at a fixed distance (rural).
        for pair in Stability::ALL.windows(2) {
            let (a, b) = (sigmas(pair[0], Terrain::Rural, x), sigmas(pair[1], Terrain::Rural, x));
            assert!(a.0 > b.0 && a.1 > b.1, "{:?} vs {:?}", pair[0], pair[1]);
        }
        // Tiny but positive near and behind the source.
        for x in [-5.0, 0.0, 0.5] {
            let (sy, sz) = sigmas(Stability::D, Terrain::Rural, x);
            assert!(sy > 0.0 && sy < 0.1 && sz > 0.0 && sz < 0.1, "x = {x}: {sy}, {sz}");
        }
    }

    // 2. Crosswind integral at ground level = 2Q/(u √(2π) σz) for a ground release.
    #[test]
    fn crosswind_integral_matches_closed_form() {
        let met = weather(4.0, Stability::C, Terrain::Urban);
        let rel = ground_release(2.5);
        let x = 800.0;
        let (sigma_y, sigma_z) = sigmas(met.stability, met.terrain, x);
        let u = transport_speed_m_s(&met, 0.0);
        let expected = 2.0 * rel.rate_kg_s / (u * (2.0 * PI).sqrt() * sigma_z);
        let (half_width, steps) = (10.0 * sigma_y, 4000);
        let h = 2.0 * half_width / steps as f64;
        let integral: f64 = (0..=steps)
            .map(|k| {
                let weight = if k == 0 || k == steps { 0.5 } else { 1.0 };
                weight * plume_concentration(&rel, &met, x, -half_width + k as f64 * h, 0.0)
            })
            .sum::<f64>()
            * h;
        assert!(
            rel_err(integral, expected) < 1e-6,
            "got {integral}, expected {expected}"
        );
    }

    /// Trapezoid weights and abscissae on [lo, hi] with `n` intervals.
    fn trapezoid(lo: f64, hi: f64, n: usize) -> Vec<(f64, f64)> {
        let h = (hi - lo) / n as f64;
        (0..=n)
            .map(|k| (lo + k as f64 * h, if k == 0 || k == n { 0.5 * h } else { h }))
            .collect()
    }

    // 3. A puff keeps its mass: ∭ C dx dy dz over x, y ∈ ±8σ and z ∈ [0, ∞) is m.
    #[test]
    fn puff_conserves_mass() {
        let met = weather(4.0, Stability::D, Terrain::Rural);
        let puff = Puff {
            mass_kg: 500.0,
            height_m: 5.0,
        };
        let t = 120.0;
        let u = transport_speed_m_s(&met, puff.height_m);
        let (sxy, sz) = puff_sigmas(met.stability, u * t);
        let xs = trapezoid(u * t - 8.0 * sxy, u * t + 8.0 * sxy, 100);
        let ys = trapezoid(-8.0 * sxy, 8.0 * sxy, 100);
        let zs = trapezoid(0.0, puff.height_m + 10.0 * sz, 200);
        let mut total = 0.0;
        for &(x, wx) in &xs {
            for &(y, wy) in &ys {
                for &(z, wz) in &zs {
                    total += wx * wy * wz * puff_concentration(&puff, &met, t, x, y, z);
                }
            }
        }
        assert!(
            rel_err(total, puff.mass_kg) < 1e-4,
            "integrated {total} kg of {}",
            puff.mass_kg
        );
        // Centre moves with the wind; nothing before release.
        assert!(
            puff_concentration(&puff, &met, t, u * t, 0.0, 0.0) > puff_concentration(&puff, &met, t, 0.0, 0.0, 0.0)
        );
        assert_eq!(puff_concentration(&puff, &met, 0.0, 0.0, 0.0, 0.0), 0.0);
    }

    // 3b. Slade puff sigmas at a spot point.
    #[test]
    fn puff_sigmas_match_slade() {
        // DOMAIN.md, Slade (1968): a/b/c/d per class.
        let table = [
            (0.18, 0.92, 0.60, 0.75),
            (0.14, 0.92, 0.53, 0.73),
            (0.10, 0.92, 0.34, 0.71),
            (0.06, 0.92, 0.15, 0.70),
            (0.04, 0.92, 0.10, 0.65),
            (0.02, 0.89, 0.05, 0.61),
        ];
        let x: f64 = 1500.0;
        for (stability, (a, b, c, d)) in Stability::ALL.into_iter().zip(table) {
            let (sxy, sz) = puff_sigmas(stability, x);
            assert!(rel_err(sxy, a * x.powf(b)) < 1e-12, "{stability:?} σy");
            assert!(rel_err(sz, c * x.powf(d)) < 1e-12, "{stability:?} σz");
        }
    }

    // 4. Threat distances grow with rate, and from A to F.
    #[test]
    fn threat_distance_grows_with_rate_and_stability() {
        let threshold = from_ppm(20.0, 70.90);
        let met = weather(3.0, Stability::D, Terrain::Rural);
        let by_rate: Vec<f64> = [0.1, 1.0, 10.0]
            .iter()
            .map(|&q| threat_distance_m(&ground_release(q), &met, threshold).expect("reached"))
            .collect();
        assert!(by_rate.windows(2).all(|w| w[0] < w[1]), "{by_rate:?}");
        let by_class: Vec<f64> = Stability::ALL
            .iter()
            .map(|&s| {
                threat_distance_m(&ground_release(1.0), &weather(3.0, s, Terrain::Rural), threshold).expect("reached")
            })
            .collect();
        assert!(by_class.windows(2).all(|w| w[0] < w[1]), "A..F: {by_class:?}");
        assert!(by_class[5] < THREAT_SEARCH_MAX_M, "F is capped: {by_class:?}");
        // The distance found is the crossing: above just inside, below just outside.
        let d = by_rate[1];
        let rel = ground_release(1.0);
        assert!(centreline_ground_concentration(&rel, &met, d - 0.1) >= threshold);
        assert!(centreline_ground_concentration(&rel, &met, d + 0.1) < threshold);
        // Never reached.
        assert_eq!(threat_distance_m(&ground_release(1e-9), &met, threshold), None);
        assert_eq!(threat_distance_m(&rel, &met, 0.0), None);
    }

    // 4b. Elevated release: ground concentration rises then falls; the far crossing is found.
    #[test]
    fn threat_distance_elevated_release() {
        let met = weather(3.0, Stability::D, Terrain::Rural);
        let rel = Release {
            rate_kg_s: 1.0,
            height_m: 40.0,
            duration_s: 600.0,
        };
        let near = centreline_ground_concentration(&rel, &met, 50.0);
        let peak = centreline_ground_concentration(&rel, &met, 800.0);
        assert!(near < peak);
        let threshold = 0.5 * peak;
        let d = threat_distance_m(&rel, &met, threshold).expect("reached");
        assert!(d > 800.0, "{d}");
        assert!(centreline_ground_concentration(&rel, &met, d + 1.0) < threshold);
    }

    // 5. Non-negative, falls off crosswind, zero upwind.
    #[test]
    fn concentration_nonnegative_monotone_crosswind_zero_upwind() {
        for stability in Stability::ALL {
            for terrain in [Terrain::Rural, Terrain::Urban] {
                let met = weather(2.5, stability, terrain);
                for height_m in [0.0, 10.0, 50.0] {
                    let rel = Release {
                        rate_kg_s: 1.0,
                        height_m,
                        duration_s: 60.0,
                    };
                    for x in [5.0, 100.0, 1000.0, 20_000.0] {
                        for z in [0.0, 2.0, 30.0] {
                            let mut previous = f64::INFINITY;
                            for k in 0..200 {
                                let y = k as f64 * x * 0.005;
                                let c = plume_concentration(&rel, &met, x, y, z);
                                assert!(c >= 0.0 && c.is_finite());
                                assert!(c <= previous, "{stability:?} {terrain:?} x={x} y={y} z={z}");
                                assert_eq!(c, plume_concentration(&rel, &met, x, -y, z), "symmetric");
                                previous = c;
                            }
                            for upwind in [0.0, -1.0, -500.0] {
                                assert_eq!(plume_concentration(&rel, &met, upwind, 0.0, z), 0.0);
                            }
                        }
                    }
                }
            }
        }
    }

    // 6. Chlorine probit: 433 ppm for 10 min ⇒ Pr ≈ 5, lethality ≈ 0.5.
    #[test]
    fn chlorine_probit_lc50() {
        let coef = chlorine().probit.expect("chlorine has a probit");
        assert_eq!(
            coef,
            ProbitCoefficients {
                a: -8.29,
                b: 0.92,
                n: 2.0
            }
        );
        let pr = probit(&coef, 433.0, 10.0);
        assert!((pr - 5.0).abs() < 1e-2, "Pr = {pr}");
        assert!((lethality(pr) - 0.5).abs() < 1e-2, "P = {}", lethality(pr));
        // A time-varying exposure: the load is Σ Cⁿ Δt; halves at 433 and 0 add up.
        let load = toxic_load(coef.n, [(433.0, 5.0), (0.0, 5.0), (433.0, 5.0), (-1.0, 3.0)]);
        assert!(rel_err(load, 433.0_f64.powi(2) * 10.0) < 1e-12);
        assert!((probit_from_load(&coef, load) - pr).abs() < 1e-12);
        assert_eq!(lethality(probit_from_load(&coef, 0.0)), 0.0);
        assert!(lethality(probit(&coef, 5000.0, 30.0)) > 0.999);
    }

    // 6b. Φ against tabulated values.
    #[test]
    fn normal_cdf_matches_tables() {
        let known = [
            (0.0, 0.5),
            (0.5, 0.691_462_461_274_013_1),
            (1.0, 0.841_344_746_068_542_9),
            (-1.0, 0.158_655_253_931_457_05),
            (1.96, 0.975_002_104_851_779_5),
            (2.0, 0.977_249_868_051_820_8),
            (-3.0, 0.001_349_898_031_630_094_6),
            (-5.0, 2.866_515_718_791_939e-7),
        ];
        for (x, phi) in known {
            let got = normal_cdf(x);
            assert!((got - phi).abs() < 1e-7, "Φ({x}) = {got}, expected {phi}");
            assert!((got - phi).abs() < 1e-13, "Φ({x}) = {got}, expected {phi} (tight)");
        }
        assert_eq!(normal_cdf(-20.0), 0.0);
        assert_eq!(normal_cdf(20.0), 1.0);
        assert!(normal_cdf(f64::NAN).is_nan());
    }

    // 7. ppm conversion: chlorine 1 ppm = 2.90 mg/m³, ammonia 0.697 mg/m³.
    #[test]
    fn ppm_conversion() {
        assert!((from_ppm(1.0, 70.90) * 1e6 - 2.90).abs() < 0.005);
        assert!((from_ppm(1.0, 17.03) * 1e6 - 0.697).abs() < 0.0005);
        let c = from_ppm(123.0, 70.90);
        assert!(rel_err(to_ppm(c, 70.90), 123.0) < 1e-12);
    }

    // 8. Turner table spot checks.
    #[test]
    fn turner_table_spot_checks() {
        use Insolation::*;
        use Stability::*;
        let s = stability_from_weather;
        assert_eq!(s(1.0, true, Strong, 0, false), A);
        assert_eq!(s(1.0, true, Moderate, 0, false), A); // A–B ⇒ A
        assert_eq!(s(1.0, true, Slight, 0, false), B);
        assert_eq!(s(2.5, true, Strong, 0, false), A); // A–B ⇒ A
        assert_eq!(s(4.0, true, Moderate, 0, false), B); // B–C ⇒ B
        assert_eq!(s(5.5, true, Moderate, 0, false), C); // C–D ⇒ C
        assert_eq!(s(7.0, true, Strong, 0, false), C);
        assert_eq!(s(7.0, true, Moderate, 0, false), D);
        assert_eq!(s(4.0, false, Strong, 2, false), E); // night clear
        assert_eq!(s(4.0, false, Strong, 5, false), D); // night cloudy
        assert_eq!(s(2.5, false, Slight, 4, false), E);
        assert_eq!(s(2.5, false, Slight, 3, false), F);
        assert_eq!(s(1.0, false, Slight, 8, false), F);
        assert_eq!(s(10.0, false, Slight, 0, false), D);
        assert_eq!(s(1.0, true, Strong, 0, true), D); // overcast
        assert_eq!(s(1.0, false, Slight, 0, true), D);
        // Bounds belong to the windier bin.
        assert_eq!(s(2.0, true, Slight, 0, false), C);
        assert_eq!(s(3.0, false, Slight, 0, false), E);
        assert_eq!(s(6.0, true, Moderate, 0, false), D);
        assert_eq!(insolation_from_solar_elevation(70.0), Some(Strong));
        assert_eq!(insolation_from_solar_elevation(45.0), Some(Moderate));
        assert_eq!(insolation_from_solar_elevation(35.0), Some(Slight));
        assert_eq!(insolation_from_solar_elevation(20.0), Some(Slight));
        assert_eq!(insolation_from_solar_elevation(10.0), None);
    }

    // 8b. Wind profile: identity at 10 m, power law below, and the 1 m / 1 m/s floors.
    #[test]
    fn wind_profile() {
        assert_eq!(wind_at_height(4.0, 10.0, 10.0, Stability::F, Terrain::Rural), 4.0);
        let u = wind_at_height(4.0, 10.0, 2.0, Stability::D, Terrain::Urban);
        assert!(rel_err(u, 4.0 * 0.2_f64.powf(0.25)) < 1e-12);
        assert_eq!(
            wind_at_height(4.0, 10.0, 0.0, Stability::E, Terrain::Rural),
            wind_at_height(4.0, 10.0, 1.0, Stability::E, Terrain::Rural)
        );
        // EPA ISC3 exponents (rural: Irwin 1979), A..F: u(100 m)/u(10 m) = 10^p.
        let rural = [0.07, 0.07, 0.10, 0.15, 0.35, 0.55];
        let urban = [0.15, 0.15, 0.20, 0.25, 0.30, 0.30];
        for (k, stability) in Stability::ALL.into_iter().enumerate() {
            let ratio = |terrain| wind_at_height(1.0, 10.0, 100.0, stability, terrain);
            assert!(
                rel_err(ratio(Terrain::Rural), 10f64.powf(rural[k])) < 1e-12,
                "{stability:?} rural"
            );
            assert!(
                rel_err(ratio(Terrain::Urban), 10f64.powf(urban[k])) < 1e-12,
                "{stability:?} urban"
            );
        }
        let calm = weather(0.2, Stability::F, Terrain::Rural);
        assert_eq!(transport_speed_m_s(&calm, 0.0), MIN_WIND_M_S);
    }

    // 9. The bundled chemicals parse and hold the DOMAIN.md AEGLs.
    #[test]
    fn bundled_chemicals_parse_with_domain_values() {
        let all = load_chemicals(CHEMICALS_RON).unwrap_or_else(|e| panic!("assets/chemicals.ron: {e}"));
        let cl = find_chemical(&all, "氯气").expect("chlorine by Chinese name");
        assert_eq!(cl.name, "chlorine");
        assert_eq!(cl.cas, "7782-50-5");
        assert_eq!(cl.molecular_weight_g_mol, 70.90);
        assert_eq!(
            cl.aegl_10min,
            AeglLevels {
                aegl1_ppm: Some(0.5),
                aegl2_ppm: Some(2.8),
                aegl3_ppm: Some(50.0)
            }
        );
        assert_eq!(
            cl.aegl_60min,
            AeglLevels {
                aegl1_ppm: Some(0.5),
                aegl2_ppm: Some(2.0),
                aegl3_ppm: Some(20.0)
            }
        );
        assert!(cl.needs_verification("aegl_10min"));
        let nh3 = find_chemical(&all, "7664-41-7").expect("ammonia by CAS");
        assert_eq!(nh3.name, "ammonia");
        assert_eq!(nh3.molecular_weight_g_mol, 17.03);
        assert_eq!(
            nh3.aegl_10min,
            AeglLevels {
                aegl1_ppm: Some(30.0),
                aegl2_ppm: Some(220.0),
                aegl3_ppm: Some(2700.0)
            }
        );
        assert_eq!(
            nh3.aegl_60min,
            AeglLevels {
                aegl1_ppm: Some(30.0),
                aegl2_ppm: Some(160.0),
                aegl3_ppm: Some(1100.0)
            }
        );
        assert_eq!(
            nh3.probit,
            Some(ProbitCoefficients {
                a: -35.9,
                b: 1.85,
                n: 2.0
            })
        );
        assert!(nh3.needs_verification("probit"));
        assert_eq!(
            cl.aegl_kg_m3(AeglTier::Aegl3, AeglDuration::Min60),
            Some(from_ppm(20.0, 70.90))
        );
        for chem in &all {
            assert!(!chem.notes.is_empty(), "{}: every row cites its source", chem.name);
        }
    }

    // 9b. Bad files are rejected with every problem named.
    #[test]
    fn bad_chemicals_rejected() {
        let row = |name: &str, a2: &str, mw: &str| {
            format!(
                "(name: {name:?}, name_zh: \"x\", cas: \"0\", molecular_weight_g_mol: {mw}, \
                 aegl_10min: (aegl1_ppm: None, aegl2_ppm: {a2}, aegl3_ppm: 1.0), \
                 aegl_60min: (aegl1_ppm: 0.1, aegl2_ppm: None, aegl3_ppm: 1.0), probit: None, \
                 verify: [\"colour\"], notes: \"test\")"
            )
        };
        let text = format!("[{}, {}]", row("a", "5.0", "10.0"), row("A", "0.5", "-1.0"));
        let err = load_chemicals(&text).expect_err("bad rows");
        assert!(
            err.contains("chemicals[0] (\"a\"): aegl_10min: AEGL-2 (5 ppm) exceeds AEGL-3 (1 ppm)"),
            "{err}"
        );
        assert!(err.contains("chemicals[1] (\"A\"): name: duplicate"), "{err}");
        assert!(err.contains("molecular_weight_g_mol: -1"), "{err}");
        assert!(err.contains("verify: \"colour\""), "{err}");
        let unknown = load_chemicals("[(name: \"a\", colour: \"green\")]").expect_err("unknown field");
        assert!(unknown.contains("colour"), "{unknown}");
    }

    // 10. Calculator reference: chlorine, 2 kg/s for 10 min, 3 m/s, D, rural, ground level.
    #[test]
    fn calculator_reference_chlorine_2kg_s_d3() {
        let cl = chlorine();
        let rel = Release {
            rate_kg_s: 2.0,
            height_m: 0.0,
            duration_s: 600.0,
        };
        let met = weather(3.0, Stability::D, Terrain::Rural);
        let distance = |tier| {
            let threshold = cl.aegl_kg_m3(tier, AeglDuration::Min60).expect("defined");
            threat_distance_m(&rel, &met, threshold).expect("reached")
        };
        let [d1, d2, d3] = [AeglTier::Aegl1, AeglTier::Aegl2, AeglTier::Aegl3].map(distance);
        println!("chlorine 2 kg/s, 3 m/s, D rural: AEGL-1 {d1:.0} m, AEGL-2 {d2:.0} m, AEGL-3 {d3:.0} m");
        assert!(d3 < d2 && d2 < d1, "{d3} < {d2} < {d1}");
        assert!((500.0..5_000.0).contains(&d3), "AEGL-3 {d3}");
        assert!((2_000.0..20_000.0).contains(&d2), "AEGL-2 {d2}");
        assert!((5_000.0..THREAT_SEARCH_MAX_M).contains(&d1), "AEGL-1 {d1}");
        // Known answers, from the closed form Q/(π u σy σz) solved independently (u at 1 m =
        // 3·0.1^0.15 m/s). Steady-state Gaussian: see the module doc for its limits.
        for (got, want) in [(d1, 20_648.4), (d2, 6_851.1), (d3, 1_428.5)] {
            assert!(rel_err(got, want) < 1e-4, "{got} vs {want}");
        }
    }

    // Orifice: Torricelli for an open tank; pressure adds; no flow without driving pressure.
    #[test]
    fn orifice_rate() {
        let open = orifice_liquid_rate_kg_s(DEFAULT_DISCHARGE_COEFFICIENT, 1e-3, 1000.0, 5.0, 0.0);
        let torricelli = 0.61 * 1e-3 * 1000.0 * (2.0 * 9.80665 * 5.0_f64).sqrt();
        assert!(rel_err(open, torricelli) < 1e-12, "{open} vs {torricelli}");
        let pressurised = orifice_liquid_rate_kg_s(0.61, 1e-3, 1400.0, 0.0, 6e5);
        assert!(rel_err(pressurised, 0.61 * 1e-3 * (2.0 * 1400.0 * 6e5_f64).sqrt()) < 1e-12);
        assert_eq!(orifice_liquid_rate_kg_s(0.61, 1e-3, 1000.0, 0.0, -1e3), 0.0);
    }

    fn grid_around_origin(n: usize, dx: f64) -> Grid<f32> {
        // Odd n with the origin at the centre of the middle cell.
        let half = (n as f64) * dx / 2.0;
        Grid::filled(n, n, dx, -half, -half, 0.0)
    }

    // Grid: wind direction, serial = parallel, footprint agrees with the threat distance.
    #[test]
    fn grid_fill_orientation_parallel_and_footprint() {
        let rel = ground_release(2.0);
        let mut met = weather(3.0, Stability::D, Terrain::Rural);
        let dx = 50.0;
        let mut grid = grid_around_origin(121, dx);
        let mid = 60;

        met.wind_from_deg = 270.0; // westerly: plume goes east
        concentration_grid(&rel, &met, (0.0, 0.0), &mut grid);
        assert!(*grid.at(mid + 10, mid) > 0.0);
        assert_eq!(*grid.at(mid - 10, mid), 0.0);
        assert!(
            *grid.at(mid + 10, mid) > *grid.at(mid + 10, mid + 3),
            "falls off crosswind"
        );

        met.wind_from_deg = 0.0; // northerly: plume goes south
        concentration_grid(&rel, &met, (0.0, 0.0), &mut grid);
        assert!(*grid.at(mid, mid - 10) > 0.0);
        assert_eq!(*grid.at(mid, mid + 10), 0.0);
        assert_eq!(*grid.at(mid + 10, mid), 0.0);

        met.wind_from_deg = 237.0; // oblique, for the parallel check
        let source = (120.0, -75.0);
        let mut serial = grid.clone();
        concentration_grid(&rel, &met, source, &mut grid);
        concentration_grid_serial(&rel, &met, source, &mut serial);
        assert_eq!(grid.data, serial.data);
        assert!(grid.data.iter().any(|&c| c > 0.0));
        // Every cell holds the point value at its centre.
        for j in 0..grid.ny {
            for i in 0..grid.nx {
                let at_centre = ground_concentration_at(&rel, &met, source, grid.centre(i, j)) as f32;
                assert_eq!(*grid.at(i, j), at_centre, "cell ({i}, {j})");
            }
        }

        // Footprint along the centreline ends within a cell of the threat distance.
        met.wind_from_deg = 270.0;
        concentration_grid(&rel, &met, (0.0, 0.0), &mut grid);
        let threshold = from_ppm(20.0, 70.90);
        let distance = threat_distance_m(&rel, &met, threshold).expect("reached");
        let fp = footprint(&grid, threshold);
        let last = (mid + 1..grid.nx).rev().find(|&i| *fp.at(i, mid)).expect("some cells");
        let reach = grid.centre(last, mid).0;
        assert!(
            reach <= distance + 1.0 && distance - reach <= dx + 1.0,
            "{reach} vs {distance}"
        );
        let area = footprint_area_m2(&grid, threshold);
        let cells = fp.data.iter().filter(|&&b| b).count();
        assert_eq!(area, cells as f64 * dx * dx);
        assert!(area > 0.0 && area < distance * distance, "{area}");
    }

    #[test]
    fn plume_frame_rotation() {
        let met = Weather {
            wind_m_s: 3.0,
            wind_from_deg: 45.0,
            stability: Stability::D,
            terrain: Terrain::Rural,
        };
        // From the north-east, blowing toward the south-west.
        let (x, y) = to_plume_frame(&met, (10.0, 10.0), (10.0 - 100.0, 10.0 - 100.0));
        assert!(rel_err(x, 100.0 * 2f64.sqrt()) < 1e-12 && y.abs() < 1e-9, "{x}, {y}");
        let (x, y) = to_plume_frame(&met, (0.0, 0.0), (-100.0, 100.0));
        assert!(x.abs() < 1e-9 && rel_err(y.abs(), 100.0 * 2f64.sqrt()) < 1e-12);
        assert!(ground_concentration_at(&ground_release(1.0), &met, (0.0, 0.0), (-500.0, -500.0)) > 0.0);
    }

    #[test]
    fn finite_duration_factor_is_one_for_long_releases_and_shrinks_far_away() {
        let met = Weather {
            wind_m_s: 3.0,
            wind_from_deg: 0.0,
            stability: Stability::D,
            terrain: Terrain::Rural,
        };
        let long = Release {
            rate_kg_s: 2.0,
            height_m: 0.0,
            duration_s: f64::INFINITY,
        };
        let short = Release {
            duration_s: 600.0,
            ..long
        };
        assert_eq!(finite_duration_factor(&long, &met, 5_000.0), 1.0);
        let near = finite_duration_factor(&short, &met, 500.0);
        let far = finite_duration_factor(&short, &met, 20_000.0);
        assert!(near > 0.999 && far < 0.6 && far > 0.3, "{near} {far}");
        // Closed form at 20 km: u = 2.124 m/s (1 m wind), σx = σy = 0.08·x/√(1 + 0.0001·x).
        let u = transport_speed_m_s(&met, 0.0);
        let sx = 0.08 * 20_000.0 / (1.0_f64 + 2.0).sqrt();
        let want = 2.0 * normal_cdf(u * 600.0 / (2.0 * std::f64::consts::SQRT_2 * sx) * std::f64::consts::SQRT_2) - 1.0;
        assert!((far - want).abs() < 1e-12);
        // Peak threat distances never exceed the steady ones, and match them near the source.
        let thr = from_ppm(20.0, 70.90);
        let steady = threat_distance_m(&short, &met, thr).unwrap();
        let peak = peak_threat_distance_m(&short, &met, thr).unwrap();
        assert!(peak <= steady && (steady - peak) / steady < 0.01, "{peak} {steady}");
        let thr1 = from_ppm(0.5, 70.90);
        assert!(
            peak_threat_distance_m(&short, &met, thr1).unwrap() < 0.8 * threat_distance_m(&short, &met, thr1).unwrap()
        );
    }
}
