//! Stage: **hazard**. Two-dimensional flood inundation over a terrain raster
//! (levee breach, rain, urban drainage) and the effects of water depth on
//! roads, people and property. Owns [`FloodModel`] and the pure effect
//! functions; depends only on `std`, `serde`, `rayon` and [`Grid`].
//!
//! # The scheme
//! The local inertial approximation of the shallow-water equations (the
//! convective acceleration is dropped) on a staggered grid: depths `h` at
//! cell centres, discharges per unit width `q` on cell faces (Bates et al.
//! 2010), with the θ-weighted momentum update of de Almeida et al. (2012), as
//! documented for Deltares' Wflow.jl (`docs/.../lateral/local-inertial.md`,
//! "Overland flow (2D)"). For each face between cells `i` and `j`
//! (x faces shown; y faces alike):
//!
//! ```text
//! η  = z + h                                   water surface, m
//! h_f = max(η_i, η_j) − max(z_i, z_j)          flow depth on the face, m
//! q⁺ = [θ q + (1−θ)/2 (q₋ + q₊) − g h_f Δt (η_j − η_i)/Δx]
//!      / [1 + g Δt n² |q| / h_f^{7/3}]         m²/s
//! ```
//!
//! where `q₋`, `q₊` are the neighbouring faces in the same direction, `n` the
//! Manning coefficient of the face (mean of the two cells, s/m^{1/3}) and
//! `g = 9.80665 m/s²`. A face with `h_f ≤` the wet/dry threshold carries no
//! flow. Optionally (on by default, as in Wflow) `|q| ≤ h_f √(g h_f)`
//! (Froude number ≤ 1). Continuity per cell:
//!
//! ```text
//! h⁺ = h + Δt/Δx · (q_west − q_east + q_south − q_north) + sources − drainage
//! ```
//!
//! and the time step follows the CFL-like condition of Bates et al. (2010)
//! `Δt = C Δx / √(g h_max)` with `C = min(α, 0.95 √(θ/2))` (see "Stability"),
//! capped at [`FloodParams::max_dt_s`] and floored at
//! [`FloodParams::min_dt_s`]. [`FloodModel::advance`] splits the time left
//! into equal steps no longer than that, so it lands exactly on the requested
//! time without a sliver of a last step.
//!
//! ## Stability
//! A von Neumann analysis of the frictionless scheme in 2D shows that the
//! θ-smoothing, which damps short waves, also lowers the largest stable
//! Courant number `√(g h) Δt / Δx` from `1/√2` (θ = 1, Bates et al. 2010) to
//! `√(θ/2)`: the chequerboard mode has `S = 2θ − 1` in the amplification
//! polynomial `λ² − (S + 1 − 8C²) λ + S`, stable only while `8C² ≤ 4θ`. With
//! the usual θ = 0.8 and α = 0.7 a deep, nearly frictionless water body
//! (a reservoir, a river channel in the DEM) therefore blows up, which a test
//! here reproduced; friction hides it on shallow flood plains. The step is
//! sized with `min(α, 0.95 √(θ/2))` (0.60 for θ = 0.8). Uneven step lengths
//! can also pump this leapfrog-like scheme (parametric resonance: an advance
//! every minute that ended with a 0.05 s sliver after 0.95 s steps did), hence
//! the equal steps above.
//!
//! ## Order within one internal step
//! 1. new face discharges from the state at the start of the step;
//! 2. **outflow limiter** (keeps depths non-negative): for each cell the
//!    volume its outgoing faces would remove, `Δt Δx Σ q_out`, is compared
//!    with the volume it holds, `h Δx²`; if larger, every outgoing face of that
//!    cell is scaled by `h Δx / (Δt Σ q_out)`. A face is outgoing for exactly
//!    one cell (its donor), so each face is scaled at most once, and the scaled
//!    discharge is what the momentum equation remembers next step;
//! 3. continuity with the limited discharges; open-boundary outflow booked;
//! 4. sources at the end of the step: breach inflow `∫Q dt` (the exact
//!    integral of the piecewise-linear hydrograph over the step), rain
//!    `∫i dt`, then drainage `min(h, rate·Δt)`.
//!
//! Every volume that enters or leaves is booked in the [`WaterBalance`], so
//! `initial + in − out − on grid` is zero up to floating-point rounding.
//!
//! ## Boundaries
//! [`Boundary::Closed`] reflects (edge faces carry no flow).
//! [`Boundary::Open`] lets water leave with a zero-gradient condition: a ghost
//! cell beyond the edge has the edge cell's depth and a bed extrapolated from
//! the last interior bed slope, so the water-surface slope at the edge equals
//! the local bed slope (in the spirit of LISFLOOD-FP's "free" boundary); the edge discharge
//! obeys the same momentum equation, may only point outward, and never
//! exceeds the critical discharge `h √(g h)`. Where the bed rises toward the
//! edge, nothing leaves.
//!
//! ## Assumptions and limits
//! - Square cells of side `Δx`; Manning friction with the depth as hydraulic
//!   radius (wide, shallow flow); no infiltration beyond the drainage rate.
//! - The local inertial scheme is for gradually varied, subcritical flow over
//!   flood plains (Bates et al. 2010); it is not accurate for supercritical
//!   flow near a breach mouth or steep slopes.
//!
//! ## Performance
//! Dry regions are skipped: each row keeps its runs of wet cells
//! (`h >` threshold), and only faces and cells within one cell of a wet cell
//! (plus those active the step before, so that stale discharges are cleared)
//! are updated. This is exact: a face between two cells at or below the
//! threshold always has `h_f ≤` threshold and carries no flow. Runs a few
//! dry cells apart are joined (visiting a dry cell changes nothing), so a
//! row of scattered ponds costs a few runs, not its whole width. A step makes
//! three passes over the rows in that region: (1) new face discharges,
//! (2) limiter factors, (3) limited discharges stored, continuity, sources,
//! drainage and the wet runs for the next step. The face kernel runs over
//! contiguous runs of faces without bounds checks or early exits so that it
//! vectorises; its `h_f^{-7/3}` uses a division-free inverse cube root. On
//! x86-64 the row kernels are built three times, for SSE2 (two lanes), AVX2
//! (four) and AVX-512 (eight), and each step runs the best the CPU has
//! ([`Simd`]); Rust never fuses a multiply and an add, so all three give the
//! same bits (tested). AVX-512 took the serial flood of a two-day,
//! 600 m³/s levee breach on Linqing from 2.5–3.1 s to 1.9–2.5 s here.
//!
//! ## Determinism
//! With [`FloodParams::parallel`] the row kernels run on rayon's pool; every
//! per-row result is written to its own row or collected into a `Vec` in row
//! order and summed serially, so parallel and serial runs are bit-identical.
//!
//! ## References
//! - Bates, P. D., Horritt, M. S., Fewtrell, T. J. (2010). A simple inertial
//!   formulation of the shallow water equations for efficient two-dimensional
//!   flood inundation modelling. J. Hydrol. 387, 33–45.
//!   doi:10.1016/j.jhydrol.2010.03.027
//! - de Almeida, G. A. M., Bates, P., Freer, J. E., Souvignet, M. (2012).
//!   Improving the stability of a simple formulation of the shallow water
//!   equations for 2-D flood modeling. Water Resour. Res. 48, W05528.
//!   doi:10.1029/2011WR011570
//! - Deltares, Wflow.jl: documentation "Local inertial" (river and 2D overland
//!   flow, Froude limit, depth threshold 1 mm) and `surface_local_inertial.jl`
//!   (defaults `inertial_flow_alpha` = 0.7, `inertial_flow_theta` = 0.8).
//! - Effects: see [`car_speed_kmh`], [`max_depth_m`], [`flood_mortality`],
//!   [`damage_fraction_builtup`], [`damage_fraction_agri`].

use std::fmt;
use std::ops::Range;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::grid::Grid;

/// Standard acceleration of gravity, m/s² (3rd CGPM 1901; ISO 80000-3).
pub const G_M_S2: f64 = 9.80665;
/// Default θ weighting of the momentum update, dimensionless: Wflow.jl's
/// default `inertial_flow_theta`; de Almeida et al. (2012) use 0.7–1.0
/// (θ = 1 is Bates et al. 2010); DOMAIN.md "Flood" gives θ ≈ 0.7–1.0.
pub const DEFAULT_THETA: f64 = 0.8;
/// Default CFL coefficient α, dimensionless: Bates et al. (2010) advise
/// 0.2–0.7; Wflow.jl's default `inertial_flow_alpha` is 0.7.
pub const DEFAULT_ALPHA: f64 = 0.7;
/// Default wet/dry depth threshold, m (Wflow.jl default `h_thresh` = 1e-3 m;
/// DOMAIN.md "Flood").
pub const DEFAULT_WET_THRESHOLD_M: f64 = 0.001;
/// Default cap on the internal time step, s (keeps rain and drainage on
/// nearly dry ground finely resolved; a modelling choice).
pub const DEFAULT_MAX_DT_S: f64 = 60.0;
/// Default floor on the internal time step, s (a guard against a stalled
/// run; below the CFL step it can cost stability, so it is kept tiny).
pub const DEFAULT_MIN_DT_S: f64 = 0.01;
/// Broad-crested weir coefficient in SI units, m^0.5/s: critical flow over a
/// broad crest with negligible approach velocity gives `√g (2/3)^1.5 ≈ 1.705`
/// (e.g. Henderson 1966, *Open Channel Flow*, §6.2; Chow 1959). DOMAIN.md
/// lists `Q ≈ 1.7 B H^1.5` for breaches as "verify": real breaches with side
/// contraction and submergence pass less (coefficients ~1.4–1.7).
pub const BROAD_CRESTED_WEIR_C_SI: f64 = 1.7;

/// Safety factor on the θ-dependent Courant limit `√(θ/2)` (module docs,
/// "Stability"); a modelling choice.
const COURANT_SAFETY: f64 = 0.95;
/// mm/h → m/s.
const MM_H_TO_M_S: f64 = 1.0 / 3_600_000.0;
/// Rows handed to one rayon task at least: rows are short (a few hundred
/// cells), so finer splitting costs more in scheduling than it gains.
const MIN_ROWS_PER_TASK: usize = 4;

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

/// A value per cell: one for the whole grid, or a raster of the model's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PerCell<T> {
    /// The same value everywhere.
    Uniform(T),
    /// One value per cell; must have the terrain's `nx × ny`.
    Grid(Grid<T>),
}

impl<T: Copy> PerCell<T> {
    /// Value at flat index `k` (row-major, as in [`Grid`]).
    #[inline]
    fn at(&self, k: usize) -> T {
        match self {
            PerCell::Uniform(v) => *v,
            PerCell::Grid(g) => g.data[k],
        }
    }

    fn shape(&self) -> Option<(usize, usize)> {
        match self {
            PerCell::Uniform(_) => None,
            PerCell::Grid(g) => Some((g.nx, g.ny)),
        }
    }

    fn values(&self) -> Box<dyn Iterator<Item = T> + '_> {
        match self {
            PerCell::Uniform(v) => Box::new(std::iter::once(*v)),
            PerCell::Grid(g) => Box::new(g.data.iter().copied()),
        }
    }
}

/// What happens at the edges of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Boundary {
    /// Reflective walls: no flow through the edges.
    Closed,
    /// Free outflow: zero-gradient (water-surface slope = local bed slope),
    /// outward only, at most the critical discharge `h √(g h)`. Booked as
    /// [`WaterBalance::boundary_out_m3`].
    #[default]
    Open,
}

/// Numerical parameters of [`FloodModel`]. [`Default`] gives the values
/// documented on the constants.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FloodParams {
    /// θ of the momentum update, in (0, 1] ([`DEFAULT_THETA`]).
    pub theta: f64,
    /// CFL coefficient α, in (0, 1] ([`DEFAULT_ALPHA`]); the step uses
    /// `min(α, 0.95 √(θ/2))` (module docs, "Stability").
    pub alpha: f64,
    /// Wet/dry threshold, m: faces with a smaller flow depth carry nothing,
    /// and a cell counts as flooded above it ([`DEFAULT_WET_THRESHOLD_M`]).
    pub wet_threshold_m: f64,
    /// Acceleration of gravity, m/s² ([`G_M_S2`]).
    pub g_m_s2: f64,
    /// Largest internal step, s ([`DEFAULT_MAX_DT_S`]).
    pub max_dt_s: f64,
    /// Smallest internal step, s ([`DEFAULT_MIN_DT_S`]), unless less time is
    /// left to the end of an advance.
    pub min_dt_s: f64,
    /// Limit face discharges to Froude number 1 (Wflow.jl default: on).
    pub froude_limit: bool,
    /// Edge condition.
    pub boundary: Boundary,
    /// Run the row kernels on rayon's pool; results are bit-identical either way.
    pub parallel: bool,
}

impl Default for FloodParams {
    fn default() -> Self {
        FloodParams {
            theta: DEFAULT_THETA,
            alpha: DEFAULT_ALPHA,
            wet_threshold_m: DEFAULT_WET_THRESHOLD_M,
            g_m_s2: G_M_S2,
            max_dt_s: DEFAULT_MAX_DT_S,
            min_dt_s: DEFAULT_MIN_DT_S,
            froude_limit: true,
            boundary: Boundary::Open,
            parallel: true,
        }
    }
}

/// A levee breach (or any point inflow) discharging into the cell that
/// contains `(x_m, y_m)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    /// x of the breach, m (the grid's local metres).
    pub x_m: f64,
    /// y of the breach, m.
    pub y_m: f64,
    /// `(t_s, q_m3_s)` points, times non-decreasing (s since the model's
    /// start); linear between points, 0 before the first and after the last.
    pub hydrograph: Vec<(f64, f64)>,
}

impl Breach {
    /// Inflow at time `t_s`, m³/s.
    #[must_use]
    pub fn discharge_m3_s(&self, t_s: f64) -> f64 {
        series_value(&self.hydrograph, t_s)
    }
}

/// Rain falling on the grid (or on the cells of `mask`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rain {
    /// `(t_s, mm_h)` points, times non-decreasing; linear between points, 0
    /// before the first and after the last.
    pub intensity_mm_h: Vec<(f64, f64)>,
    /// Cells it falls on (`true`); `None` = everywhere. Must have the
    /// terrain's shape.
    pub mask: Option<Grid<bool>>,
}

impl Rain {
    /// Intensity at time `t_s`, mm/h.
    #[must_use]
    pub fn intensity_at_mm_h(&self, t_s: f64) -> f64 {
        series_value(&self.intensity_mm_h, t_s)
    }
}

/// The water-balance ledger, all in m³ since the model was built (or since
/// [`FloodModel::set_depth`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct WaterBalance {
    /// Water on the grid at the start, m³.
    pub initial_m3: f64,
    /// Breach inflow, m³.
    pub breach_in_m3: f64,
    /// Rain, m³.
    pub rain_in_m3: f64,
    /// Removed by urban drainage, m³.
    pub drainage_out_m3: f64,
    /// Left through the grid edges ([`Boundary::Open`]), m³.
    pub boundary_out_m3: f64,
}

impl WaterBalance {
    /// Breach inflow plus rain, m³.
    #[must_use]
    pub fn volume_in_m3(&self) -> f64 {
        self.breach_in_m3 + self.rain_in_m3
    }

    /// Drainage plus outflow through the edges, m³.
    #[must_use]
    pub fn volume_out_m3(&self) -> f64 {
        self.drainage_out_m3 + self.boundary_out_m3
    }

    /// What should be on the grid: initial + in − out, m³.
    #[must_use]
    pub fn expected_on_grid_m3(&self) -> f64 {
        self.initial_m3 + self.volume_in_m3() - self.volume_out_m3()
    }
}

/// What one [`FloodModel::advance`] did and where it ended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdvanceStats {
    /// Internal steps taken.
    pub steps: u64,
    /// Shortest step, s (`0` if no steps).
    pub min_dt_s: f64,
    /// Longest step, s (`0` if no steps).
    pub max_dt_s: f64,
    /// Deepest water on the grid at the end, m.
    pub max_depth_m: f64,
    /// Cells deeper than the wet threshold at the end.
    pub flooded_cells: usize,
    /// `flooded_cells` × cell area, m².
    pub flooded_area_m2: f64,
}

/// A bad input to [`FloodModel`].
#[derive(Debug, Clone, PartialEq)]
pub enum FloodError {
    /// A raster does not have the terrain's shape.
    ShapeMismatch {
        /// Which input.
        what: &'static str,
        /// Terrain `(nx, ny)`.
        expected: (usize, usize),
        /// The input's `(nx, ny)`.
        found: (usize, usize),
    },
    /// A point lies outside the grid.
    OutsideGrid {
        /// Which input.
        what: &'static str,
        /// x, m.
        x_m: f64,
        /// y, m.
        y_m: f64,
    },
    /// A number is out of its range (or not finite).
    InvalidValue {
        /// Which input.
        what: &'static str,
        /// The offending value.
        value: f64,
        /// The accepted range, in words.
        expected: &'static str,
    },
    /// A time series has times out of order or not finite.
    BadSeries {
        /// Which input.
        what: &'static str,
        /// Index of the first bad point.
        index: usize,
    },
}

impl fmt::Display for FloodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FloodError::ShapeMismatch { what, expected, found } => write!(
                f,
                "{what}: grid is {}×{} but the terrain is {}×{}",
                found.0, found.1, expected.0, expected.1
            ),
            FloodError::OutsideGrid { what, x_m, y_m } => {
                write!(f, "{what}: point ({x_m} m, {y_m} m) is outside the grid")
            }
            FloodError::InvalidValue { what, value, expected } => {
                write!(f, "{what}: {value} is invalid (expected {expected})")
            }
            FloodError::BadSeries { what, index } => write!(
                f,
                "{what}: point {index} has a time that is not finite or earlier than the one before"
            ),
        }
    }
}

impl std::error::Error for FloodError {}

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

/// A breach with its cell resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PlacedBreach {
    breach: Breach,
    cell: (usize, usize),
}

/// 2D local inertial flood model over a terrain raster; see the module docs
/// for the equations.
///
/// Layout: depths are a [`Grid`]; x-face discharges have `(nx+1) × ny`
/// entries, face `(i, j)` being the west face of cell `(i, j)`, positive
/// eastward; y-face discharges have `nx × (ny+1)` entries, face `(i, j)` the
/// south face of cell `(i, j)`, positive northward; both row-major from the
/// south-west like [`Grid`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FloodModel {
    terrain_m: Grid<f64>,
    manning_n: PerCell<f64>,
    depth_m: Grid<f64>,
    peak_depth_m: Grid<f64>,
    qx_m2_s: Vec<f64>,
    qy_m2_s: Vec<f64>,
    params: FloodParams,
    breaches: Vec<PlacedBreach>,
    rains: Vec<Rain>,
    drainage_mm_h: PerCell<f32>,
    elapsed_s: f64,
    total_steps: u64,
    balance: WaterBalance,
    /// The row kernels' instruction set: the best the CPU has.
    #[serde(skip, default = "Simd::detect")]
    simd: Simd,
    /// Rows whose depths may have changed since the last
    /// [`Self::take_changed_rows`], as `(first, last + 1)`; empty when
    /// `first ≥ last + 1`.
    #[serde(skip, default = "every_row")]
    changed_rows: (usize, usize),
    #[serde(skip)]
    work: Workspace,
}

/// [`FloodModel::changed_rows`] when any row may have changed.
fn every_row() -> (usize, usize) {
    (0, usize::MAX)
}

impl FloodModel {
    /// A dry model over `terrain_m` (bed elevation, m) with Manning
    /// coefficients `manning_n` (s/m^{1/3}); no sources, no drainage.
    ///
    /// # Errors
    /// [`FloodError::InvalidValue`] for an empty grid, a cell size ≤ 0, a
    /// non-finite elevation, a Manning n < 0 or out-of-range parameters;
    /// [`FloodError::ShapeMismatch`] if `manning_n` is a grid of another shape.
    pub fn new(terrain_m: Grid<f64>, manning_n: PerCell<f64>, params: FloodParams) -> Result<Self, FloodError> {
        check_params(&params)?;
        check(
            terrain_m.nx > 0 && terrain_m.ny > 0,
            "terrain size",
            0.0,
            "at least 1×1 cells",
        )?;
        check(
            terrain_m.dx > 0.0 && terrain_m.dx.is_finite(),
            "terrain cell size (m)",
            terrain_m.dx,
            "> 0",
        )?;
        check_len(&terrain_m)?;
        for &z in &terrain_m.data {
            check(z.is_finite(), "terrain elevation (m)", z, "finite")?;
        }
        check_shape("Manning n", &terrain_m, manning_n.shape())?;
        for n in manning_n.values() {
            check(n >= 0.0 && n.is_finite(), "Manning n (s/m^1/3)", n, "finite and ≥ 0")?;
        }
        let (nx, ny) = (terrain_m.nx, terrain_m.ny);
        Ok(FloodModel {
            depth_m: Grid::like(&terrain_m, 0.0),
            peak_depth_m: Grid::like(&terrain_m, 0.0),
            qx_m2_s: vec![0.0; (nx + 1) * ny],
            qy_m2_s: vec![0.0; nx * (ny + 1)],
            terrain_m,
            manning_n,
            params,
            breaches: Vec::new(),
            rains: Vec::new(),
            drainage_mm_h: PerCell::Uniform(0.0),
            elapsed_s: 0.0,
            total_steps: 0,
            balance: WaterBalance::default(),
            simd: Simd::detect(),
            changed_rows: every_row(),
            work: Workspace::default(),
        })
    }

    /// Replace the water depths (an initial condition, m). Discharges are reset
    /// to zero and the ledger restarts with this volume as
    /// [`WaterBalance::initial_m3`]; the peak-depth record is reset too.
    ///
    /// # Errors
    /// [`FloodError::ShapeMismatch`] for another shape;
    /// [`FloodError::InvalidValue`] for a negative or non-finite depth.
    pub fn set_depth(&mut self, depth_m: Grid<f64>) -> Result<(), FloodError> {
        check_shape("depth", &self.terrain_m, Some((depth_m.nx, depth_m.ny)))?;
        check_len(&depth_m)?;
        for &h in &depth_m.data {
            check(h >= 0.0 && h.is_finite(), "depth (m)", h, "finite and ≥ 0")?;
        }
        self.depth_m.data.copy_from_slice(&depth_m.data);
        self.peak_depth_m.data.copy_from_slice(&depth_m.data);
        self.qx_m2_s.fill(0.0);
        self.qy_m2_s.fill(0.0);
        self.balance = WaterBalance {
            initial_m3: self.volume_on_grid_m3(),
            ..WaterBalance::default()
        };
        self.work.ready = false;
        self.changed_rows = every_row();
        Ok(())
    }

    /// Add a point inflow.
    ///
    /// # Errors
    /// [`FloodError::OutsideGrid`] if the point is not on the grid;
    /// [`FloodError::BadSeries`] / [`FloodError::InvalidValue`] for a
    /// hydrograph with unordered times or non-finite or negative discharges.
    pub fn add_breach(&mut self, breach: Breach) -> Result<(), FloodError> {
        check_series("breach hydrograph", &breach.hydrograph)?;
        for &(_, q) in &breach.hydrograph {
            check(
                q >= 0.0 && q.is_finite(),
                "breach discharge (m³/s)",
                q,
                "finite and ≥ 0",
            )?;
        }
        let cell = self
            .terrain_m
            .cell_of(breach.x_m, breach.y_m)
            .ok_or(FloodError::OutsideGrid {
                what: "breach",
                x_m: breach.x_m,
                y_m: breach.y_m,
            })?;
        self.breaches.push(PlacedBreach { breach, cell });
        Ok(())
    }

    /// Add a rain event (several may overlap; they add up).
    ///
    /// # Errors
    /// [`FloodError::BadSeries`] / [`FloodError::InvalidValue`] for a bad
    /// intensity series; [`FloodError::ShapeMismatch`] for a mask of another shape.
    pub fn add_rain(&mut self, rain: Rain) -> Result<(), FloodError> {
        check_series("rain intensity", &rain.intensity_mm_h)?;
        for &(_, i) in &rain.intensity_mm_h {
            check(i >= 0.0 && i.is_finite(), "rain intensity (mm/h)", i, "finite and ≥ 0")?;
        }
        if let Some(mask) = &rain.mask {
            check_shape("rain mask", &self.terrain_m, Some((mask.nx, mask.ny)))?;
            check_len(mask)?;
        }
        self.rains.push(rain);
        Ok(())
    }

    /// Set the urban drainage capacity, mm/h (each step removes
    /// `min(h, rate · Δt)` from each cell).
    ///
    /// # Errors
    /// [`FloodError::ShapeMismatch`] for a grid of another shape;
    /// [`FloodError::InvalidValue`] for a negative or non-finite rate.
    pub fn set_drainage(&mut self, drainage_mm_h: PerCell<f32>) -> Result<(), FloodError> {
        check_shape("drainage", &self.terrain_m, drainage_mm_h.shape())?;
        for r in drainage_mm_h.values() {
            check(
                r >= 0.0 && r.is_finite(),
                "drainage (mm/h)",
                f64::from(r),
                "finite and ≥ 0",
            )?;
        }
        self.drainage_mm_h = drainage_mm_h;
        self.work.ready = false;
        Ok(())
    }

    /// Bed elevation, m.
    #[must_use]
    pub fn terrain_m(&self) -> &Grid<f64> {
        &self.terrain_m
    }

    /// Water depth, m.
    #[must_use]
    pub fn depth_m(&self) -> &Grid<f64> {
        &self.depth_m
    }

    /// Largest depth each cell has had since the start, m (sampled at the end
    /// of every internal step).
    #[must_use]
    pub fn peak_depth_m(&self) -> &Grid<f64> {
        &self.peak_depth_m
    }

    /// Discharge per unit width through the west face of cell `(i, j)`, m²/s,
    /// positive eastward; `i == nx` is the east edge.
    ///
    /// # Panics
    /// If `i > nx` or `j ≥ ny`.
    #[must_use]
    pub fn qx_m2_s(&self, i: usize, j: usize) -> f64 {
        let nx = self.terrain_m.nx;
        assert!(
            i <= nx && j < self.terrain_m.ny,
            "x face ({i}, {j}) is outside the grid"
        );
        self.qx_m2_s[j * (nx + 1) + i]
    }

    /// Discharge per unit width through the south face of cell `(i, j)`, m²/s,
    /// positive northward; `j == ny` is the north edge.
    ///
    /// # Panics
    /// If `i ≥ nx` or `j > ny`.
    #[must_use]
    pub fn qy_m2_s(&self, i: usize, j: usize) -> f64 {
        let nx = self.terrain_m.nx;
        assert!(
            i < nx && j <= self.terrain_m.ny,
            "y face ({i}, {j}) is outside the grid"
        );
        self.qy_m2_s[j * nx + i]
    }

    /// Depth-averaged velocity at the centre of cell `(i, j)`, m/s, as
    /// `(east, north)`: the mean of the two opposite face discharges over the
    /// cell depth; `(0, 0)` in a dry cell.
    ///
    /// # Panics
    /// If the cell is outside the grid.
    #[must_use]
    pub fn velocity_m_s(&self, i: usize, j: usize) -> (f64, f64) {
        let h = *self.depth_m.at(i, j);
        if h <= self.params.wet_threshold_m {
            return (0.0, 0.0);
        }
        let qx = 0.5 * (self.qx_m2_s(i, j) + self.qx_m2_s(i + 1, j));
        let qy = 0.5 * (self.qy_m2_s(i, j) + self.qy_m2_s(i, j + 1));
        (qx / h, qy / h)
    }

    /// The numerical parameters.
    #[must_use]
    pub fn params(&self) -> &FloodParams {
        &self.params
    }

    /// Run the row kernels on rayon (the pool of the calling thread, the
    /// global one from outside any), or on the calling thread only.
    /// Results are bit-identical either way (module docs, "Determinism").
    pub fn set_parallel(&mut self, on: bool) {
        self.params.parallel = on;
    }

    /// The rows of the depth grid whose depths may have changed since the
    /// last call (all of them at the first), and start afresh: a reader
    /// that keeps a copy of the depths need only copy these rows again.
    pub fn take_changed_rows(&mut self) -> Range<usize> {
        let rows = self.changed_rows();
        self.changed_rows = (usize::MAX, 0);
        rows
    }

    /// The rows [`Self::take_changed_rows`] would return now, without
    /// starting afresh.
    #[must_use]
    pub fn changed_rows(&self) -> Range<usize> {
        let (first, end) = self.changed_rows;
        let end = end.min(self.terrain_m.ny);
        first.min(end)..end
    }

    /// Simulated time since the start, s.
    #[must_use]
    pub fn elapsed_s(&self) -> f64 {
        self.elapsed_s
    }

    /// Internal steps since the start.
    #[must_use]
    pub fn total_steps(&self) -> u64 {
        self.total_steps
    }

    /// The water-balance ledger.
    #[must_use]
    pub fn balance(&self) -> &WaterBalance {
        &self.balance
    }

    /// Water on the grid, m³: `Σ h · Δx²`, summed per row and then over rows
    /// in order (deterministic).
    #[must_use]
    pub fn volume_on_grid_m3(&self) -> f64 {
        let nx = self.terrain_m.nx;
        let row_sums = self.depth_m.data.chunks(nx).map(|row| row.iter().sum::<f64>());
        row_sums.sum::<f64>() * self.terrain_m.cell_area()
    }

    /// `initial + in − out − on grid`, m³: zero up to rounding.
    #[must_use]
    pub fn balance_residual_m3(&self) -> f64 {
        self.balance.expected_on_grid_m3() - self.volume_on_grid_m3()
    }

    /// Cells deeper than the wet threshold.
    #[must_use]
    pub fn flooded_cells(&self) -> usize {
        let thr = self.params.wet_threshold_m;
        self.depth_m.data.iter().filter(|&&h| h > thr).count()
    }

    /// Area of the cells deeper than the wet threshold, m².
    #[must_use]
    pub fn flooded_area_m2(&self) -> f64 {
        self.flooded_cells() as f64 * self.terrain_m.cell_area()
    }

    /// Deepest water on the grid, m.
    #[must_use]
    pub fn max_depth_m(&self) -> f64 {
        self.depth_m.data.iter().copied().fold(0.0, f64::max)
    }

    /// Run internal steps until the simulated time is `until_s` (s since the
    /// start); nothing happens if it is not later than [`Self::elapsed_s`].
    /// Before each step the time left is split into the fewest equal steps no
    /// longer than `C Δx / √(g h_max)` clamped to `[min_dt_s, max_dt_s]`
    /// (module docs), so the run lands exactly on `until_s`.
    ///
    /// A non-finite `until_s` does nothing. Cost: O(steps × cells within one
    /// cell of water).
    pub fn advance(&mut self, until_s: f64) -> AdvanceStats {
        self.advance_while(until_s, || true)
    }

    /// [`Self::advance`], but stopping early, between internal steps, once
    /// `go_on` turns false (after one step at least). Each step is chosen
    /// from the time left to `until_s`, so calling this again until
    /// [`Self::elapsed_s`] reaches `until_s` takes the steps one `advance`
    /// would, with the same bits, whatever [`Self::set_parallel`] is set to
    /// in between.
    pub fn advance_while(&mut self, until_s: f64, go_on: impl Fn() -> bool + Send) -> AdvanceStats {
        if self.params.parallel && rayon::current_thread_index().is_none() {
            // Called from outside rayon's pool, each parallel pass of each
            // step would be handed to the pool and waited for on a lock:
            // two thread wake-ups per pass, three passes per step, ~11 000
            // steps in a three-day breach, which on a 2-core machine cost
            // more than the passes gain. Run the whole advance on the pool
            // instead: the passes then split by work stealing between
            // threads that are already awake. Same results, bit for bit
            // (module docs, "Determinism").
            return rayon::scope(|_| self.advance_here(until_s, go_on));
        }
        self.advance_here(until_s, go_on)
    }

    /// [`Self::advance_while`] on the current thread.
    fn advance_here(&mut self, until_s: f64, go_on: impl Fn() -> bool + Send) -> AdvanceStats {
        self.ensure_workspace();
        let until_s = if until_s.is_finite() { until_s } else { self.elapsed_s };
        let mut steps = 0_u64;
        let (mut min_dt, mut max_dt) = (f64::INFINITY, 0.0_f64);
        while self.elapsed_s < until_s && (steps == 0 || go_on()) {
            let remaining = until_s - self.elapsed_s;
            let steps_left = (remaining / self.stable_dt_s()).ceil().max(1.0);
            let last = steps_left == 1.0;
            let dt = remaining / steps_left;
            self.step(dt);
            self.elapsed_s = if last { until_s } else { self.elapsed_s + dt };
            steps += 1;
            max_dt = max_dt.max(dt);
            min_dt = min_dt.min(dt);
        }
        self.total_steps += steps;
        let flooded_cells = self.work.wet_count;
        AdvanceStats {
            steps,
            min_dt_s: if steps == 0 { 0.0 } else { min_dt },
            max_dt_s: max_dt,
            max_depth_m: self.work.max_depth_m,
            flooded_cells,
            flooded_area_m2: flooded_cells as f64 * self.terrain_m.cell_area(),
        }
    }

    /// `C Δx / √(g h_max)` (C from [`courant_number`]) clamped to the parameter bounds, s.
    fn stable_dt_s(&self) -> f64 {
        let p = &self.params;
        let h_max = self.work.max_depth_m;
        let dt = if h_max > p.wet_threshold_m {
            courant_number(p) * self.terrain_m.dx / (p.g_m_s2 * h_max).sqrt()
        } else {
            p.max_dt_s
        };
        dt.clamp(p.min_dt_s, p.max_dt_s)
    }

    /// (Re)build the scratch state after construction, `set_depth`,
    /// `set_drainage` or deserialisation: face Manning n, drainage rates, the
    /// runs of wet cells by a full scan, every face active once.
    fn ensure_workspace(&mut self) {
        if self.work.ready {
            return;
        }
        let (nx, ny) = (self.terrain_m.nx, self.terrain_m.ny);
        let thr = self.params.wet_threshold_m;
        let (n_x, n_y) = face_manning(&self.manning_n, nx, ny);
        let drain_m_s = match &self.drainage_mm_h {
            PerCell::Uniform(r) if *r == 0.0 => Vec::new(),
            d => (0..nx * ny).map(|k| f64::from(d.at(k)) * MM_H_TO_M_S).collect(),
        };
        let mut work = Workspace {
            ready: true,
            qx_new: vec![0.0; (nx + 1) * ny],
            qy_new: vec![0.0; nx * (ny + 1)],
            factor: vec![1.0; nx * ny],
            n_x,
            n_y,
            drain_m_s,
            wet: vec![Vec::new(); ny],
            damp: vec![Vec::new(); ny],
            plan: Plan {
                region: vec![Vec::new(); ny],
                y_faces: vec![Vec::new(); ny + 1],
                scan: vec![Vec::new(); ny],
                active_prev: vec![vec![Span::full(nx)]; ny],
                scratch: Vec::new(),
            },
            max_depth_m: 0.0,
            wet_count: 0,
        };
        let full = [Span::full(nx)];
        for (j, row) in self.depth_m.data.chunks(nx).enumerate() {
            let s = scan_runs(row, &full, thr, &mut work.wet[j], &mut work.damp[j]);
            work.max_depth_m = work.max_depth_m.max(s.max_depth_m);
            work.wet_count += s.wet_count;
        }
        self.work = work;
    }

    /// One internal step of `dt` seconds (see the module docs for the order).
    fn step(&mut self, dt: f64) {
        let st = self.step_dims(dt);
        let sources = self.step_sources(dt);
        let w = &mut self.work;
        w.plan.build(&w.wet, &w.damp, st.nx, &sources);
        self.update_faces(&st);
        self.update_outflow_factors(&st);
        let summaries = self.update_cells(&st, &sources);
        self.commit_north_edge(&st);
        self.fold_summaries(&summaries, &sources);
    }

    /// Pass 1: new face discharges into the workspace. Task `j` computes the
    /// x faces of row `j` and the y faces on its south side; the north edge
    /// follows on its own.
    fn update_faces(&mut self, st: &Step) {
        let w = &mut self.work;
        let faces = Faces {
            st: *st,
            z: &self.terrain_m.data,
            h: &self.depth_m.data,
            n_x: &w.n_x,
            n_y: &w.n_y,
        };
        let (qx_old, qy_old) = (&self.qx_m2_s, &self.qy_m2_s);
        let (nx, ny) = (st.nx, st.ny);
        let plan = &w.plan;
        let rows: Vec<_> = (w.qx_new.chunks_mut(nx + 1))
            .zip(w.qy_new.chunks_mut(nx))
            .enumerate()
            .filter(|(j, _)| !plan.region[*j].is_empty() || !plan.y_faces[*j].is_empty())
            .collect();
        for_rows(rows, st.p.parallel, |(j, (qx_row, qy_row))| {
            for &s in &plan.region[j] {
                faces.x_faces_row(j, s, qx_old, qx_row);
            }
            for &s in &plan.y_faces[j] {
                faces.y_faces_row(j, s, qy_old, qy_row);
            }
        });
        for &s in &plan.y_faces[ny] {
            faces.y_faces_row(ny, s, qy_old, &mut w.qy_new[ny * nx..]);
        }
    }

    /// Pass 2: outflow-limiter factors of the cells in the regions.
    fn update_outflow_factors(&mut self, st: &Step) {
        let w = &mut self.work;
        let (h, qx, qy) = (&self.depth_m.data, &w.qx_new, &w.qy_new);
        let region = &w.plan.region;
        let rows: Vec<_> = (w.factor.chunks_mut(st.nx))
            .enumerate()
            .filter(|(j, _)| !region[*j].is_empty())
            .collect();
        for_rows(rows, st.p.parallel, |(j, out)| {
            st.outflow_factors_row(j, &region[j], h, qx, qy, out)
        });
    }

    /// Pass 3: limited discharges stored, continuity, sources and drainage,
    /// the runs of wet cells for the next step, one summary per row touched.
    fn update_cells(&mut self, st: &Step, sources: &StepSources) -> Vec<RowSummary> {
        let nx = st.nx;
        let w = &mut self.work;
        let limited = Limited {
            qx: &w.qx_new,
            qy: &w.qy_new,
            factor: &w.factor,
        };
        let plan = &w.plan;
        let inputs = CellInputs {
            plan,
            limited: &limited,
            sources,
            rains: &self.rains,
            drain_m_s: &w.drain_m_s,
        };
        let rows: Vec<_> = (self.qx_m2_s.chunks_mut(nx + 1))
            .zip(self.qy_m2_s.chunks_mut(nx))
            .zip(
                self.depth_m
                    .data
                    .chunks_mut(nx)
                    .zip(self.peak_depth_m.data.chunks_mut(nx)),
            )
            .zip(w.wet.iter_mut().zip(w.damp.iter_mut()))
            .enumerate()
            .filter(|(j, _)| plan.touches_row(*j))
            .inspect(|&(j, _)| {
                let (first, end) = &mut self.changed_rows;
                (*first, *end) = ((*first).min(j), (*end).max(j + 1));
            })
            .map(|(j, (((qx, qy), (h, peak)), (wet, damp)))| CellRow {
                j,
                qx,
                qy,
                h,
                peak,
                wet,
                damp,
            })
            .collect();
        for_rows(rows, st.p.parallel, |row| st.update_cell_row(row, &inputs))
    }

    /// Store the limited discharges of the north edge faces (owned by no row task).
    fn commit_north_edge(&mut self, st: &Step) {
        let w = &self.work;
        let limited = Limited {
            qx: &w.qx_new,
            qy: &w.qy_new,
            factor: &w.factor,
        };
        let row = &mut self.qy_m2_s[st.ny * st.nx..];
        for &s in &w.plan.y_faces[st.ny] {
            for i in s.range() {
                row[i] = limited.y(st, st.ny, i);
            }
        }
    }

    /// Fold the row summaries, in row order, into the ledger and the extremes.
    /// (Rows without a summary hold no water at all; their runs are empty.)
    fn fold_summaries(&mut self, summaries: &[RowSummary], sources: &StepSources) {
        let (mut max_h, mut wet_count) = (0.0_f64, 0_usize);
        let b = &mut self.balance;
        for s in summaries {
            max_h = max_h.max(s.scanned.max_depth_m);
            wet_count += s.scanned.wet_count;
            b.boundary_out_m3 += s.boundary_out_m3;
            b.rain_in_m3 += s.rain_m3;
            b.drainage_out_m3 += s.drained_m3;
        }
        for &(_, v) in &sources.breach_m3 {
            b.breach_in_m3 += v;
        }
        self.work.max_depth_m = max_h;
        self.work.wet_count = wet_count;
    }

    /// Breach volumes and rain depths for the step `[elapsed, elapsed + dt]`.
    fn step_sources(&self, dt: f64) -> StepSources {
        let (t0, t1) = (self.elapsed_s, self.elapsed_s + dt);
        let nx = self.terrain_m.nx;
        let breach_m3 = (self.breaches.iter())
            .map(|b| (b.cell.1 * nx + b.cell.0, series_integral(&b.breach.hydrograph, t0, t1)))
            .filter(|&(_, v)| v > 0.0)
            .collect();
        let rain_m = (self.rains.iter().enumerate())
            .map(|(k, r)| (k, series_integral(&r.intensity_mm_h, t0, t1) * MM_H_TO_M_S))
            .filter(|&(_, d)| d > 0.0)
            .collect();
        StepSources { breach_m3, rain_m }
    }

    fn step_dims(&self, dt: f64) -> Step {
        let dx = self.terrain_m.dx;
        Step {
            simd: self.simd,
            nx: self.terrain_m.nx,
            ny: self.terrain_m.ny,
            dx,
            inv_dx: 1.0 / dx,
            dt,
            p: self.params,
        }
    }
}

// ---------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------

/// Grid size, step length and parameters of one step.
#[derive(Clone, Copy)]
struct Step {
    simd: Simd,
    nx: usize,
    ny: usize,
    dx: f64,
    inv_dx: f64,
    dt: f64,
    p: FloodParams,
}

/// Read-only state of the face kernels of one step (the depths at its start).
#[derive(Clone, Copy)]
struct Faces<'a> {
    st: Step,
    z: &'a [f64],
    h: &'a [f64],
    /// Manning n of the x faces and of the y faces ([`face_manning`]).
    n_x: &'a [f64],
    n_y: &'a [f64],
}

/// A run of consecutive faces: the cells on their low-index side (`a`) and
/// high-index side (`b`), their discharges before the step (`q`) and those of
/// the neighbouring faces in the same direction (`q_lo`, `q_hi`), their
/// Manning n (`n`). All slices have one entry per face.
struct FaceRun<'s> {
    z_a: &'s [f64],
    h_a: &'s [f64],
    z_b: &'s [f64],
    h_b: &'s [f64],
    q: &'s [f64],
    q_lo: &'s [f64],
    q_hi: &'s [f64],
    n: &'s [f64],
}

impl Faces<'_> {
    /// New x-face discharges of row `j` for the faces of the cells in `span`.
    fn x_faces_row(&self, j: usize, span: Span, q_old: &[f64], out: &mut [f64]) {
        let faces = span.x_faces();
        if faces.is_empty() {
            return;
        }
        let nx = self.st.nx;
        let q = &q_old[j * (nx + 1)..(j + 1) * (nx + 1)];
        if faces.start == 0 {
            out[0] = self.x_edge_q(j, 0, q[0]);
        }
        if faces.end == nx + 1 {
            out[nx] = self.x_edge_q(j, nx, q[nx]);
        }
        // Interior faces f0..f1 lie between cells f − 1 and f.
        let (f0, f1) = (faces.start.max(1), faces.end.min(nx));
        if f0 >= f1 {
            return;
        }
        let (z, h) = (&self.z[j * nx..(j + 1) * nx], &self.h[j * nx..(j + 1) * nx]);
        let (lo, hi) = (f0 - 1..f1 - 1, f0..f1);
        let run = FaceRun {
            z_a: &z[lo.clone()],
            h_a: &h[lo.clone()],
            z_b: &z[hi.clone()],
            h_b: &h[hi.clone()],
            q: &q[hi.clone()],
            q_lo: &q[lo],
            q_hi: &q[f0 + 1..f1 + 1],
            n: &self.n_x[j * (nx + 1) + f0..j * (nx + 1) + f1],
        };
        self.run_faces(&run, &mut out[hi]);
    }

    /// New y-face discharges of face row `j` (south faces of row `j`) over `span`.
    fn y_faces_row(&self, j: usize, span: Span, q_old: &[f64], out: &mut [f64]) {
        let (nx, ny) = (self.st.nx, self.st.ny);
        if span.is_empty() {
            return;
        }
        if j == 0 || j == ny {
            for i in span.range() {
                out[i] = self.y_edge_q(j, i, q_old[j * nx + i]);
            }
            return;
        }
        let cols = span.range();
        let row = |r: usize| r * nx + cols.start..r * nx + cols.end;
        let run = FaceRun {
            z_a: &self.z[row(j - 1)],
            h_a: &self.h[row(j - 1)],
            z_b: &self.z[row(j)],
            h_b: &self.h[row(j)],
            q: &q_old[row(j)],
            q_lo: &q_old[row(j - 1)],
            q_hi: &q_old[row(j + 1)],
            n: &self.n_y[row(j)],
        };
        self.run_faces(&run, &mut out[cols]);
    }

    /// The momentum update over a run of interior faces, with the θ-smoothed
    /// previous discharge.
    #[inline(always)]
    fn run_faces(&self, run: &FaceRun<'_>, out: &mut [f64]) {
        let len = out.len();
        let same = |s: &[f64]| s.len() == len;
        assert!(
            same(run.z_a) && same(run.h_a) && same(run.z_b) && same(run.h_b),
            "invariant: face run lengths"
        );
        assert!(
            same(run.q) && same(run.q_lo) && same(run.q_hi) && same(run.n),
            "invariant: face run lengths"
        );
        match self.st.simd {
            // SAFETY: `Simd::detect` found the instruction set on this CPU.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => unsafe { self.run_faces_avx512(run, out) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { self.run_faces_avx2(run, out) },
            _ => self.run_faces_plain(run, out),
        }
    }

    /// [`Self::run_faces`] compiled for the baseline instruction set.
    #[inline(always)]
    fn run_faces_plain(&self, run: &FaceRun<'_>, out: &mut [f64]) {
        if self.st.p.froude_limit {
            self.run_faces_with::<true>(run, out);
        } else {
            self.run_faces_with::<false>(run, out);
        }
    }

    /// [`Self::run_faces`] compiled with AVX2: four faces per vector
    /// instruction instead of two. Same operations (Rust never fuses a
    /// multiply and an add), hence the same bits.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn run_faces_avx2(&self, run: &FaceRun<'_>, out: &mut [f64]) {
        self.run_faces_plain(run, out);
    }

    /// [`Self::run_faces`] compiled with AVX-512: eight faces per vector
    /// instruction, same bits (see [`Self::run_faces_avx2`]).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn run_faces_avx512(&self, run: &FaceRun<'_>, out: &mut [f64]) {
        self.run_faces_plain(run, out);
    }

    /// [`Self::run_faces`] with the Froude limit on or off, in blocks of
    /// [`LANES`] faces so that no face falls to a one-lane loop: a run's last
    /// block overlaps the one before it (those faces are computed twice, to
    /// the same value), and a run shorter than a block is copied into a
    /// block padded with dry faces, whose results are dropped. Each face's
    /// operations are the same either way.
    #[inline(always)]
    fn run_faces_with<const FROUDE: bool>(&self, run: &FaceRun<'_>, out: &mut [f64]) {
        let len = out.len();
        if len < LANES {
            let mut pad = [[0.0; LANES]; 8];
            let fields = [run.z_a, run.h_a, run.z_b, run.h_b, run.q, run.q_lo, run.q_hi, run.n];
            for (p, f) in pad.iter_mut().zip(fields) {
                p[..len].copy_from_slice(f);
            }
            let [z_a, h_a, z_b, h_b, q, q_lo, q_hi, n] = &pad;
            let padded = FaceRun {
                z_a,
                h_a,
                z_b,
                h_b,
                q,
                q_lo,
                q_hi,
                n,
            };
            let mut block = [0.0; LANES];
            self.faces_block::<FROUDE>(&padded, 0, &mut block);
            out.copy_from_slice(&block[..len]);
            return;
        }
        let mut k = 0;
        while k < len {
            let k0 = k.min(len - LANES);
            let block = (&mut out[k0..k0 + LANES])
                .try_into()
                .expect("invariant: a block is LANES long");
            self.faces_block::<FROUDE>(run, k0, block);
            k = k0 + LANES;
        }
    }

    /// The faces `k0..k0 + LANES` of `run`.
    #[inline(always)]
    fn faces_block<const FROUDE: bool>(&self, run: &FaceRun<'_>, k0: usize, out: &mut [f64; LANES]) {
        let theta = self.st.p.theta;
        let w = 0.5 * (1.0 - theta);
        let block =
            |s: &[f64]| -> [f64; LANES] { s[k0..k0 + LANES].try_into().expect("invariant: a block is LANES long") };
        let (z_a, h_a, z_b, h_b) = (block(run.z_a), block(run.h_a), block(run.z_b), block(run.h_b));
        let (q, q_lo, q_hi, n) = (block(run.q), block(run.q_lo), block(run.q_hi), block(run.n));
        for k in 0..LANES {
            let q_smoothed = theta * q[k] + w * (q_lo[k] + q_hi[k]);
            out[k] = self.face_q::<FROUDE>((z_a[k], h_a[k]), (z_b[k], h_b[k]), n[k], q[k], q_smoothed);
        }
    }

    /// The de Almeida et al. (2012) momentum update for one face between cell
    /// `a = (z, h)` (low-index side) and cell `b`, m²/s; `q` is the face's
    /// discharge before the step and `q_smoothed` its θ-weighted average.
    /// Written without early returns so that runs of faces pipeline well; a
    /// face with `h_f ≤` the threshold gets exactly 0.
    #[inline(always)]
    fn face_q<const FROUDE: bool>(
        &self,
        (z_a, h_a): (f64, f64),
        (z_b, h_b): (f64, f64),
        n: f64,
        q: f64,
        q_smoothed: f64,
    ) -> f64 {
        let p = &self.st.p;
        let (eta_a, eta_b) = (z_a + h_a, z_b + h_b);
        let h_f = max_finite(eta_a, eta_b) - max_finite(z_a, z_b);
        let wet = h_f > p.wet_threshold_m;
        let h_safe = if wet { h_f } else { 1.0 };
        let g_dt = p.g_m_s2 * self.st.dt;
        let numerator = q_smoothed - g_dt * h_f * (eta_b - eta_a) * self.st.inv_dx;
        // h_f^(-7/3) = y⁷ with y = h_f^(-1/3); q = 0 or n = 0 leaves exactly 1.
        let y = inv_cbrt_positive(h_safe);
        let y2 = y * y;
        let q_new = numerator / (1.0 + g_dt * n * n * q.abs() * (y2 * y2 * y2 * y));
        let q_new = if FROUDE {
            clamp_froude(q_new, h_safe, p.g_m_s2)
        } else {
            q_new
        };
        if wet { q_new } else { 0.0 }
    }

    /// Discharge through the west (`i == 0`) or east (`i == nx`) edge of row `j`.
    fn x_edge_q(&self, j: usize, i: usize, q: f64) -> f64 {
        if self.st.p.boundary == Boundary::Closed {
            return 0.0;
        }
        let nx = self.st.nx;
        let (c, inner) = if i == 0 {
            (j * nx, j * nx + 1)
        } else {
            (j * nx + nx - 1, (j * nx + nx).saturating_sub(2))
        };
        let n = self.n_x[j * (nx + 1) + i];
        self.open_edge_q(c, (nx > 1).then_some(inner), n, q, i == 0)
    }

    /// Discharge through the south (`j == 0`) or north (`j == ny`) edge at column `i`.
    fn y_edge_q(&self, j: usize, i: usize, q: f64) -> f64 {
        if self.st.p.boundary == Boundary::Closed {
            return 0.0;
        }
        let (nx, ny) = (self.st.nx, self.st.ny);
        let (c, inner) = if j == 0 {
            (i, nx + i)
        } else {
            ((ny - 1) * nx + i, (ny * nx + i).saturating_sub(2 * nx))
        };
        let n = self.n_y[j * nx + i];
        self.open_edge_q(c, (ny > 1).then_some(inner), n, q, j == 0)
    }

    /// Zero-gradient outflow from edge cell `c` (`inner` is its neighbour
    /// inward): a ghost cell with `c`'s depth and the bed extrapolated from
    /// the `inner → c` slope; outward only; at most the critical discharge.
    /// `n` is the edge face's Manning n (the cell's); `low_side` is true on
    /// the west/south edges, where outward is negative.
    fn open_edge_q(&self, c: usize, inner: Option<usize>, n: f64, q: f64, low_side: bool) -> f64 {
        let (z_c, h_c) = (self.z[c], self.h[c]);
        let z_ghost = inner.map_or(z_c, |k| 2.0 * z_c - self.z[k]);
        let ghost = (z_ghost, h_c);
        let cell = (z_c, h_c);
        let ((z_a, h_a), (z_b, h_b)) = if low_side { (ghost, cell) } else { (cell, ghost) };
        let q_new = if self.st.p.froude_limit {
            self.face_q::<true>((z_a, h_a), (z_b, h_b), n, q, q)
        } else {
            self.face_q::<false>((z_a, h_a), (z_b, h_b), n, q, q)
        };
        let outward = if low_side { q_new.min(0.0) } else { q_new.max(0.0) };
        clamp_froude(outward, h_c, self.st.p.g_m_s2)
    }
}

/// The new discharges and limiter factors, read as the limited discharges.
struct Limited<'a> {
    qx: &'a [f64],
    qy: &'a [f64],
    factor: &'a [f64],
}

impl Limited<'_> {
    /// Limited discharge of x face `(i, j)`: scaled by its donor cell's factor.
    #[inline]
    fn x(&self, st: &Step, j: usize, i: usize) -> f64 {
        let nx = st.nx;
        let q = self.qx[j * (nx + 1) + i];
        let donor = if q > 0.0 && i > 0 {
            j * nx + i - 1
        } else if q < 0.0 && i < nx {
            j * nx + i
        } else {
            return q;
        };
        q * self.factor[donor]
    }

    /// Limited discharge of y face `(i, j)`: scaled by its donor cell's factor.
    #[inline]
    fn y(&self, st: &Step, j: usize, i: usize) -> f64 {
        let nx = st.nx;
        let q = self.qy[j * nx + i];
        let donor = if q > 0.0 && j > 0 {
            (j - 1) * nx + i
        } else if q < 0.0 && j < st.ny {
            j * nx + i
        } else {
            return q;
        };
        q * self.factor[donor]
    }
}

/// One row's share of the arrays pass 3 writes.
struct CellRow<'a> {
    j: usize,
    qx: &'a mut [f64],
    qy: &'a mut [f64],
    h: &'a mut [f64],
    peak: &'a mut [f64],
    /// The row's runs of wet and of damp cells, rewritten for the next step.
    wet: &'a mut Vec<Span>,
    damp: &'a mut Vec<Span>,
}

/// What pass 3 reads.
struct CellInputs<'a> {
    plan: &'a Plan,
    limited: &'a Limited<'a>,
    sources: &'a StepSources,
    rains: &'a [Rain],
    /// Drainage per cell, m/s; empty if none.
    drain_m_s: &'a [f64],
}

impl Step {
    /// Outflow-limiter factors (module docs, step 2) for the cells of row `j` in `runs`.
    fn outflow_factors_row(&self, j: usize, runs: &[Span], h: &[f64], qx: &[f64], qy: &[f64], out: &mut [f64]) {
        match self.simd {
            // SAFETY: `Simd::detect` found the instruction set on this CPU.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => unsafe { self.outflow_factors_row_avx512(j, runs, h, qx, qy, out) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { self.outflow_factors_row_avx2(j, runs, h, qx, qy, out) },
            _ => {
                for &s in runs {
                    self.outflow_factors_run(j, s, h, qx, qy, out);
                }
            }
        }
    }

    /// [`Self::outflow_factors_row`] compiled with AVX2 (see `Faces::run_faces_avx2`).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn outflow_factors_row_avx2(&self, j: usize, runs: &[Span], h: &[f64], qx: &[f64], qy: &[f64], out: &mut [f64]) {
        for &s in runs {
            self.outflow_factors_run(j, s, h, qx, qy, out);
        }
    }

    /// [`Self::outflow_factors_row`] compiled with AVX-512 (see `Faces::run_faces_avx2`).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn outflow_factors_row_avx512(&self, j: usize, runs: &[Span], h: &[f64], qx: &[f64], qy: &[f64], out: &mut [f64]) {
        for &s in runs {
            self.outflow_factors_run(j, s, h, qx, qy, out);
        }
    }

    /// Outflow-limiter factors for the cells of row `j` in `span`.
    #[inline(always)]
    fn outflow_factors_run(&self, j: usize, span: Span, h: &[f64], qx: &[f64], qy: &[f64], out: &mut [f64]) {
        let nx = self.nx;
        let cols = span.range();
        let row = |r: usize| r * nx + cols.start..r * nx + cols.end;
        let x0 = j * (nx + 1) + cols.start;
        let (west, east) = (&qx[x0..x0 + cols.len()], &qx[x0 + 1..x0 + 1 + cols.len()]);
        let (south, north, h) = (&qy[row(j)], &qy[row(j + 1)], &h[row(j)]);
        let out = &mut out[cols];
        let len = out.len();
        assert!(
            west.len() == len && east.len() == len && south.len() == len,
            "invariant: row lengths"
        );
        assert!(north.len() == len && h.len() == len, "invariant: row lengths");
        for c in 0..len {
            let q_out = (-west[c]).max(0.0) + east[c].max(0.0) + (-south[c]).max(0.0) + north[c].max(0.0);
            out[c] = outflow_factor(h[c], q_out, self.dt, self.dx);
        }
    }

    /// Pass 3 for one row: store its limited x faces and south y faces, then
    /// continuity (the north faces, owned by the next row, are recomputed
    /// identically), sources, drainage, peak depths and the row summary.
    fn update_cell_row(&self, row: CellRow<'_>, inp: &CellInputs<'_>) -> RowSummary {
        match self.simd {
            // SAFETY: `Simd::detect` found the instruction set on this CPU.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => unsafe { self.update_cell_row_avx512(row, inp) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { self.update_cell_row_avx2(row, inp) },
            _ => self.update_cell_row_with(row, inp),
        }
    }

    /// [`Self::update_cell_row`] compiled with AVX2 (see `Faces::run_faces_avx2`).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn update_cell_row_avx2(&self, row: CellRow<'_>, inp: &CellInputs<'_>) -> RowSummary {
        self.update_cell_row_with(row, inp)
    }

    /// [`Self::update_cell_row`] compiled with AVX-512 (see `Faces::run_faces_avx2`).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn update_cell_row_avx512(&self, row: CellRow<'_>, inp: &CellInputs<'_>) -> RowSummary {
        self.update_cell_row_with(row, inp)
    }

    #[inline(always)]
    fn update_cell_row_with(&self, row: CellRow<'_>, inp: &CellInputs<'_>) -> RowSummary {
        let CellRow {
            j,
            qx,
            qy,
            h,
            peak,
            wet,
            damp,
        } = row;
        let region = &inp.plan.region[j];
        for &s in region {
            self.commit_x_row(j, s, inp.limited, qx);
        }
        for &s in &inp.plan.y_faces[j] {
            self.commit_y_row(j, s, inp.limited, qy);
        }
        let boundary_out_m3 = self.continuity_row(j, region, qx, qy, inp.limited, h) * self.dt * self.dx;
        let rain_m3 = self.add_sources_row(j, inp, h);
        let (drained_m3, scanned) = self.drain_and_scan_row(j, inp, h, peak, wet, damp);
        RowSummary {
            scanned,
            boundary_out_m3,
            rain_m3,
            drained_m3,
        }
    }

    /// Store the limited x faces of row `j` around the cells of `span`.
    #[inline(always)]
    fn commit_x_row(&self, j: usize, span: Span, lim: &Limited<'_>, out: &mut [f64]) {
        let faces = span.x_faces();
        if faces.is_empty() {
            return;
        }
        let nx = self.nx;
        if faces.start == 0 {
            out[0] = lim.x(self, j, 0);
        }
        if faces.end == nx + 1 {
            out[nx] = lim.x(self, j, nx);
        }
        let (f0, f1) = (faces.start.max(1), faces.end.min(nx));
        if f0 < f1 {
            let q = &lim.qx[j * (nx + 1) + f0..j * (nx + 1) + f1];
            let factor = &lim.factor[j * nx..(j + 1) * nx];
            donor_scaled(q, &factor[f0 - 1..f1 - 1], &factor[f0..f1], &mut out[f0..f1]);
        }
    }

    /// Store the limited y faces of face row `j` (south faces of row `j`) over `span`.
    #[inline(always)]
    fn commit_y_row(&self, j: usize, span: Span, lim: &Limited<'_>, out: &mut [f64]) {
        let nx = self.nx;
        let cols = span.range();
        if j == 0 || j == self.ny {
            for i in cols {
                out[i] = lim.y(self, j, i);
            }
            return;
        }
        let row = |r: usize| r * nx + cols.start..r * nx + cols.end;
        donor_scaled(
            &lim.qy[row(j)],
            &lim.factor[row(j - 1)],
            &lim.factor[row(j)],
            &mut out[cols.clone()],
        );
    }

    /// Continuity for the cells of row `j` in `runs`; returns the sum of the
    /// discharges leaving through the grid edges from this row, m²/s.
    #[inline(always)]
    fn continuity_row(&self, j: usize, runs: &[Span], qx: &[f64], qy: &[f64], lim: &Limited<'_>, h: &mut [f64]) -> f64 {
        let (Some(first), Some(last)) = (runs.first(), runs.last()) else {
            return 0.0;
        };
        let (nx, ny) = (self.nx, self.ny);
        let k = self.dt * self.inv_dx;
        // Rounding after the limiter can leave −1 ulp; depths stay ≥ 0.
        let new_depth = |h: f64, w: f64, e: f64, s: f64, n: f64| (h + k * (w - e + s - n)).max(0.0);
        // Edge sums run over the cells in column order (faces between the
        // runs carry nothing).
        let (mut out, mut south_in) = (0.0, 0.0);
        for &span in runs {
            let cols = span.range();
            let (west, east, south) = (
                &qx[cols.start..cols.end],
                &qx[cols.start + 1..cols.end + 1],
                &qy[cols.clone()],
            );
            let h = &mut h[cols.clone()];
            let len = h.len();
            assert!(
                west.len() == len && east.len() == len && south.len() == len,
                "invariant: row lengths"
            );
            if j + 1 < ny {
                let row = |r: usize| r * nx + cols.start..r * nx + cols.end;
                let (q_n, f_lo, f_hi) = (&lim.qy[row(j + 1)], &lim.factor[row(j)], &lim.factor[row(j + 1)]);
                assert!(
                    q_n.len() == len && f_lo.len() == len && f_hi.len() == len,
                    "invariant: row lengths"
                );
                for c in 0..len {
                    let north = q_n[c] * if q_n[c] > 0.0 { f_lo[c] } else { f_hi[c] };
                    h[c] = new_depth(h[c], west[c], east[c], south[c], north);
                }
            } else {
                for (c, i) in cols.clone().enumerate() {
                    let north = lim.y(self, ny, i);
                    h[c] = new_depth(h[c], west[c], east[c], south[c], north);
                    out += north;
                }
            }
            if j == 0 {
                south_in = south.iter().fold(south_in, |a, &q| a + q);
            }
        }
        if first.lo == 0 {
            out -= qx[0];
        }
        if last.hi == nx - 1 {
            out += qx[nx];
        }
        out - south_in
    }

    /// Add this step's breach water and rain to row `j`; returns the rain, m³.
    #[inline(always)]
    fn add_sources_row(&self, j: usize, inp: &CellInputs<'_>, h: &mut [f64]) -> f64 {
        let nx = self.nx;
        let area = self.dx * self.dx;
        for &(cell, v) in &inp.sources.breach_m3 {
            if cell / nx == j {
                h[cell % nx] += v / area;
            }
        }
        let mut rain_depth_sum = 0.0;
        for &(k, d) in &inp.sources.rain_m {
            match &inp.rains[k].mask {
                None => {
                    h.iter_mut().for_each(|hi| *hi += d);
                    rain_depth_sum += d * nx as f64;
                }
                Some(mask) => {
                    let row = &mask.data[j * nx..(j + 1) * nx];
                    for (hi, _) in h.iter_mut().zip(row).filter(|(_, m)| **m) {
                        *hi += d;
                        rain_depth_sum += d;
                    }
                }
            }
        }
        rain_depth_sum * area
    }

    /// The end of a step for the cells of row `j` it may have changed
    /// (`plan.scan`), in one pass over them: drainage `min(h, rate·Δt)` where
    /// `h > 0`, peak depths, and the row's summary and runs of wet and damp
    /// cells for the next step. Returns the drained volume, m³.
    #[inline(always)]
    fn drain_and_scan_row(
        &self,
        j: usize,
        inp: &CellInputs<'_>,
        h: &mut [f64],
        peak: &mut [f64],
        wet: &mut Vec<Span>,
        damp: &mut Vec<Span>,
    ) -> (f64, RowScan) {
        let nx = self.nx;
        let threshold_m = self.p.wet_threshold_m;
        let rate = (!inp.drain_m_s.is_empty()).then(|| &inp.drain_m_s[j * nx..(j + 1) * nx]);
        wet.clear();
        damp.clear();
        let mut lanes = EndLanes::default();
        let mut wet_count = 0;
        for &s in &inp.plan.scan[j] {
            let cells = s.range();
            let (h, peak) = (&mut h[cells.clone()], &mut peak[cells.clone()]);
            let wet_here = match rate {
                Some(rate) => lanes.cells::<true>(h, peak, &rate[cells], self.dt, threshold_m),
                None => lanes.cells::<false>(h, peak, &[], self.dt, threshold_m),
            };
            wet_count += wet_here;
            push_wet_and_damp(h, s, wet_here, threshold_m, wet, damp);
        }
        let drained_m3 = lanes.drained_m.iter().sum::<f64>() * self.dx * self.dx;
        let max_depth_m = lanes.deepest_m.iter().fold(0.0_f64, |m, &d| m.max(d));
        (drained_m3, RowScan { max_depth_m, wet_count })
    }
}

/// Running sums and extremes of [`Step::drain_and_scan_row`], one per vector
/// lane so that its loop vectorises: the cells of a block go to lanes
/// `0..LANES` in order and the lanes are folded at the end. (Summing in lanes
/// changes the order of the drained-volume sum, not any depth.)
#[derive(Default)]
struct EndLanes {
    drained_m: [f64; LANES],
    deepest_m: [f64; LANES],
}

impl EndLanes {
    /// Drain (when `DRAIN`; `rate` in m/s, one per cell) and record the peak
    /// depths of a run of cells; returns how many are wet after.
    #[inline(always)]
    fn cells<const DRAIN: bool>(
        &mut self,
        h: &mut [f64],
        peak: &mut [f64],
        rate: &[f64],
        dt: f64,
        threshold_m: f64,
    ) -> usize {
        let len = h.len();
        assert!(
            peak.len() == len && (!DRAIN || rate.len() == len),
            "invariant: row lengths"
        );
        let mut wet = [0_u64; LANES];
        let blocks = len / LANES * LANES;
        for b in (0..blocks).step_by(LANES) {
            for k in 0..LANES {
                let r = if DRAIN { rate[b + k] } else { 0.0 };
                wet[k] += self.cell::<DRAIN>(k, &mut h[b + k], &mut peak[b + k], r, dt, threshold_m);
            }
        }
        for c in blocks..len {
            let r = if DRAIN { rate[c] } else { 0.0 };
            wet[c - blocks] += self.cell::<DRAIN>(c - blocks, &mut h[c], &mut peak[c], r, dt, threshold_m);
        }
        wet.iter().sum::<u64>() as usize
    }

    /// One cell on lane `k`; 1 if it is wet after.
    #[inline(always)]
    fn cell<const DRAIN: bool>(
        &mut self,
        k: usize,
        h: &mut f64,
        peak: &mut f64,
        rate_m_s: f64,
        dt: f64,
        threshold_m: f64,
    ) -> u64 {
        let removed = if DRAIN && *h > 0.0 {
            (rate_m_s * dt).min(*h)
        } else {
            0.0
        };
        // `h − 0` is `h` (also for −0), so undrained cells keep their bits.
        let d = *h - removed;
        *h = d;
        *peak = max_finite(*peak, d);
        self.drained_m[k] += removed;
        self.deepest_m[k] = self.deepest_m[k].max(d);
        u64::from(d > threshold_m)
    }
}

/// `out[k] = q[k] × (factor_lo[k] if q[k] > 0 else factor_hi[k])`: discharges
/// scaled by their donor cell's limiter factor (the low-index cell for
/// positive flow); zero flow stays zero.
#[inline(always)]
fn donor_scaled(q: &[f64], factor_lo: &[f64], factor_hi: &[f64], out: &mut [f64]) {
    let len = out.len();
    assert!(
        q.len() == len && factor_lo.len() == len && factor_hi.len() == len,
        "invariant: row lengths"
    );
    for (((o, &q), &lo), &hi) in out.iter_mut().zip(q).zip(factor_lo).zip(factor_hi) {
        *o = q * if q > 0.0 { lo } else { hi };
    }
}

/// The Courant number `√(g h_max) Δt / Δx` a step is sized for:
/// `min(α, 0.95 √(θ/2))` (module docs, "Stability").
fn courant_number(p: &FloodParams) -> f64 {
    p.alpha.min(COURANT_SAFETY * (p.theta / 2.0).sqrt())
}

/// Factor scaling a cell's outgoing discharges so that they remove at most
/// the `h Δx²` it holds in a step: `min(1, h Δx / (Δt Σq_out))`.
#[inline]
fn outflow_factor(h_m: f64, q_out_m2_s: f64, dt_s: f64, dx_m: f64) -> f64 {
    let wanted = q_out_m2_s * dt_s;
    let available = h_m * dx_m;
    if wanted > available { available / wanted } else { 1.0 }
}

/// `q` limited to Froude number 1 on a face of depth `h_f`: `|q| ≤ h_f √(g h_f)`.
#[inline(always)]
fn clamp_froude(q: f64, h_f: f64, g: f64) -> f64 {
    let q_crit = h_f * (g * h_f).sqrt();
    if q < -q_crit {
        -q_crit
    } else if q > q_crit {
        q_crit
    } else {
        q
    }
}

/// The instruction set the row kernels run with (module docs,
/// "Performance"): each is compiled once per variant, and all give the same
/// bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Simd {
    /// x86-64 with AVX-512F: eight `f64` lanes.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    Avx512,
    /// x86-64 with AVX2: four lanes.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    Avx2,
    /// The target's baseline (SSE2 on x86-64).
    Plain,
}

impl Simd {
    /// The best variant this CPU runs.
    fn detect() -> Simd {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Simd::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Simd::Avx2;
            }
        }
        Simd::Plain
    }

    /// The variants this CPU runs, best first.
    #[cfg(test)]
    fn available() -> Vec<Simd> {
        let best = Simd::detect();
        [Simd::Avx512, Simd::Avx2, Simd::Plain]
            .into_iter()
            .skip_while(|&s| s != best)
            .collect()
    }
}

/// `max(a, b)` for numbers that are not NaN: one instruction, where
/// [`f64::max`] adds NaN handling to every call.
#[inline(always)]
fn max_finite(a: f64, b: f64) -> f64 {
    if a > b { a } else { b }
}

/// First-guess bits of [`inv_cbrt_positive`].
const INV_CBRT_MAGIC: u64 = 0x553E_E9FC_6DA4_4800;

/// `x^(-1/3)` for a positive, finite `x` (in practice 1e-3 to 1e4 m): a
/// bit-level first guess (the exponent bits divided by −3, within 4 %) and
/// four Newton steps `y ← y (4 − x y³) / 3`, which need no division;
/// relative error < 1e-15 (see the tests). `f64::cbrt` plus the divisions it
/// implies dominated the face kernels.
#[inline]
fn inv_cbrt_positive(x: f64) -> f64 {
    let mut y = f64::from_bits(INV_CBRT_MAGIC - x.to_bits() / 3);
    for _ in 0..4 {
        y *= (4.0 - x * y * y * y) * (1.0 / 3.0);
    }
    y
}

/// Faces or cells per block of the row kernels: a whole AVX-512 vector of
/// `f64` (two AVX2 vectors, four SSE2 ones).
const LANES: usize = 8;

/// Breach volumes (flat cell index, m³) and rain depths (rain index, m) of one step.
struct StepSources {
    breach_m3: Vec<(usize, f64)>,
    rain_m: Vec<(usize, f64)>,
}

// ---------------------------------------------------------------------------
// Active regions
// ---------------------------------------------------------------------------

/// Scratch state rebuilt from the depths when missing (not serialised).
#[derive(Debug, Clone, Default)]
struct Workspace {
    ready: bool,
    qx_new: Vec<f64>,
    qy_new: Vec<f64>,
    factor: Vec<f64>,
    /// Manning n per x face and per y face ([`face_manning`]).
    n_x: Vec<f64>,
    n_y: Vec<f64>,
    /// Drainage per cell, m/s; empty if there is none.
    drain_m_s: Vec<f64>,
    /// Per row: runs of cells with `h >` threshold.
    wet: Vec<Vec<Span>>,
    /// Per row: runs of cells with `h > 0`.
    damp: Vec<Vec<Span>>,
    plan: Plan,
    max_depth_m: f64,
    wet_count: usize,
}

/// Which cells and faces one step visits, as per-row lists of runs (sorted,
/// disjoint). Runs less than [`RUN_GAP`] + 1 cells apart are joined: the
/// cells between cost less than the extra run would, and visiting a dry cell
/// changes nothing.
#[derive(Debug, Clone, Default)]
struct Plan {
    /// Per row: cells whose faces and depth are updated: within one cell of a
    /// wet cell (also across rows), joined with last step's so that stale
    /// discharges are cleared.
    region: Vec<Vec<Span>>,
    /// Per y-face row (`ny + 1`): the y faces to update, those of the regions
    /// below and above.
    y_faces: Vec<Vec<Span>>,
    /// Per row: cells whose depth may change: the region, the damp cells
    /// (drainage), the breach cells; the whole row while it rains.
    scan: Vec<Vec<Span>>,
    /// Per row: last step's cells within one cell of a wet cell; every face
    /// outside holds zero.
    active_prev: Vec<Vec<Span>>,
    scratch: Vec<Span>,
}

/// Dry cells up to which two runs of a plan are joined (see [`Plan`]).
const RUN_GAP: usize = 2;

impl Plan {
    /// The runs of this step from the wet and damp runs at its start.
    fn build(&mut self, wet: &[Vec<Span>], damp: &[Vec<Span>], nx: usize, sources: &StepSources) {
        let ny = wet.len();
        let none: &[Span] = &[];
        for j in 0..ny {
            let below = if j > 0 { &wet[j - 1][..] } else { none };
            let above = if j + 1 < ny { &wet[j + 1][..] } else { none };
            if below.is_empty() && wet[j].is_empty() && above.is_empty() && self.active_prev[j].is_empty() {
                // Dry and was dry (most rows of most steps): nothing to join.
                self.region[j].clear();
                continue;
            }
            self.scratch.clear();
            union_into(&mut self.scratch, &[below, &wet[j], above], |s| s.dilate(nx));
            self.region[j].clear();
            union_into(&mut self.region[j], &[&self.scratch, &self.active_prev[j]], |s| s);
            std::mem::swap(&mut self.active_prev[j], &mut self.scratch);
        }
        for j in 0..=ny {
            let below = if j > 0 { &self.region[j - 1][..] } else { none };
            let above = if j < ny { &self.region[j][..] } else { none };
            self.y_faces[j].clear();
            if !(below.is_empty() && above.is_empty()) {
                union_into(&mut self.y_faces[j], &[below, above], |s| s);
            }
        }
        let raining = !sources.rain_m.is_empty();
        for (j, damp) in damp.iter().enumerate() {
            let scan = &mut self.scan[j];
            scan.clear();
            if raining {
                scan.push(Span::full(nx));
                continue;
            }
            if self.region[j].is_empty() && damp.is_empty() && sources.breach_m3.is_empty() {
                continue;
            }
            self.scratch.clear();
            let in_row = sources.breach_m3.iter().filter(|(cell, _)| cell / nx == j);
            self.scratch.extend(in_row.map(|(cell, _)| Span::one(cell % nx)));
            self.scratch.sort_unstable_by_key(|s| s.lo);
            union_into(scan, &[&self.region[j], damp, &self.scratch], |s| s);
        }
    }

    /// Whether pass 3 has anything to do in row `j`.
    fn touches_row(&self, j: usize) -> bool {
        !self.region[j].is_empty() || !self.y_faces[j].is_empty() || !self.scan[j].is_empty()
    }
}

/// Append to `out` the union of up to three sorted lists of runs, each run
/// mapped by `map` (which must keep their order), joining runs at most
/// [`RUN_GAP`] cells apart.
fn union_into(out: &mut Vec<Span>, lists: &[&[Span]], map: impl Fn(Span) -> Span) {
    let mut next = [0_usize; 3];
    assert!(lists.len() <= next.len(), "invariant: at most three lists");
    loop {
        let mut best: Option<(usize, Span)> = None;
        for (k, list) in lists.iter().enumerate() {
            if let Some(&s) = list.get(next[k])
                && best.is_none_or(|(_, b)| s.lo < b.lo)
            {
                best = Some((k, s));
            }
        }
        let Some((k, s)) = best else { break };
        next[k] += 1;
        push_run(out, map(s));
    }
}

/// Append run `s` (starting at or after the last run's start) to `out`,
/// joining it to the last run if at most [`RUN_GAP`] cells apart.
#[inline]
fn push_run(out: &mut Vec<Span>, s: Span) {
    match out.last_mut() {
        Some(last) if s.lo <= last.hi + 1 + RUN_GAP => last.hi = last.hi.max(s.hi),
        _ => out.push(s),
    }
}

/// An inclusive range of columns; empty when `lo > hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    lo: usize,
    hi: usize,
}

impl Span {
    fn full(n: usize) -> Span {
        if n == 0 {
            Span { lo: 1, hi: 0 }
        } else {
            Span { lo: 0, hi: n - 1 }
        }
    }

    fn one(i: usize) -> Span {
        Span { lo: i, hi: i }
    }

    fn is_empty(self) -> bool {
        self.lo > self.hi
    }

    /// One more cell on each side, within `0..n`.
    fn dilate(self, n: usize) -> Span {
        if self.is_empty() {
            self
        } else {
            Span {
                lo: self.lo.saturating_sub(1),
                hi: (self.hi + 1).min(n - 1),
            }
        }
    }

    fn range(self) -> Range<usize> {
        if self.is_empty() { 0..0 } else { self.lo..self.hi + 1 }
    }

    /// The x faces of these cells: their west faces and the last one's east face.
    fn x_faces(self) -> Range<usize> {
        if self.is_empty() { 0..0 } else { self.lo..self.hi + 2 }
    }
}

/// What a row holds after a step.
#[derive(Debug, Clone, Copy)]
struct RowScan {
    max_depth_m: f64,
    wet_count: usize,
}

/// Summarise the depths `h` of a row over the cells of `runs` (the others
/// are dry): `wet` and `damp` get the runs of cells with `h >` threshold and
/// `h > 0` (joined as in [`push_run`]).
#[inline(always)]
fn scan_runs(h: &[f64], runs: &[Span], threshold_m: f64, wet: &mut Vec<Span>, damp: &mut Vec<Span>) -> RowScan {
    wet.clear();
    damp.clear();
    let (mut max_depth_m, mut wet_count) = (0.0_f64, 0);
    for s in runs {
        let cells = &h[s.range()];
        max_depth_m = cells.iter().fold(max_depth_m, |m, &d| m.max(d));
        let wet_here = cells.iter().map(|&d| usize::from(d > threshold_m)).sum::<usize>();
        wet_count += wet_here;
        push_wet_and_damp(cells, *s, wet_here, threshold_m, wet, damp);
    }
    RowScan { max_depth_m, wet_count }
}

/// Append the runs of wet and of damp cells among the depths `h` of the
/// cells of `s`, `wet_here` of them wet (as in [`scan_runs`]).
#[inline(always)]
fn push_wet_and_damp(h: &[f64], s: Span, wet_here: usize, threshold_m: f64, wet: &mut Vec<Span>, damp: &mut Vec<Span>) {
    if wet_here == h.len() {
        push_run(damp, s);
        push_run(wet, s);
    } else {
        runs_above(h, s.lo, 0.0, damp);
        runs_above(h, s.lo, threshold_m, wet);
    }
}

/// Append to `out` (as in [`push_run`]) the runs of cells of `h` deeper than
/// `threshold_m`; `h[0]` is column `first`.
fn runs_above(h: &[f64], first: usize, threshold_m: f64, out: &mut Vec<Span>) {
    let mut i = 0;
    while let Some(a) = h[i..].iter().position(|&d| d > threshold_m) {
        let lo = i + a;
        let hi = h[lo..]
            .iter()
            .position(|&d| d <= threshold_m)
            .map_or(h.len(), |b| lo + b);
        push_run(
            out,
            Span {
                lo: first + lo,
                hi: first + hi - 1,
            },
        );
        i = hi;
    }
}

/// Manning n of every x face and y face (layouts as in [`FloodModel`]): the
/// mean of the two cells; an edge face has its cell's.
fn face_manning(n: &PerCell<f64>, nx: usize, ny: usize) -> (Vec<f64>, Vec<f64>) {
    let mean = |a: usize, b: usize| 0.5 * (n.at(a) + n.at(b));
    let mut n_x = vec![0.0; (nx + 1) * ny];
    for j in 0..ny {
        for f in 0..=nx {
            let c = j * nx + f;
            n_x[j * (nx + 1) + f] = match f {
                0 => n.at(c),
                f if f == nx => n.at(c - 1),
                _ => mean(c - 1, c),
            };
        }
    }
    let mut n_y = vec![0.0; nx * (ny + 1)];
    for j in 0..=ny {
        for i in 0..nx {
            let c = j * nx + i;
            n_y[c] = match j {
                0 => n.at(c),
                j if j == ny => n.at(c - nx),
                _ => mean(c - nx, c),
            };
        }
    }
    (n_x, n_y)
}

/// Per-row results of pass 3.
struct RowSummary {
    scanned: RowScan,
    boundary_out_m3: f64,
    rain_m3: f64,
    drained_m3: f64,
}

/// Run `f` on every row task, on rayon's pool when `parallel`; results in
/// task order either way.
fn for_rows<W, R, F>(rows: Vec<W>, parallel: bool, f: F) -> Vec<R>
where
    W: Send,
    R: Send,
    F: Fn(W) -> R + Sync + Send,
{
    if parallel {
        rows.into_par_iter().with_min_len(MIN_ROWS_PER_TASK).map(f).collect()
    } else {
        rows.into_iter().map(f).collect()
    }
}

// ---------------------------------------------------------------------------
// Time series and validation
// ---------------------------------------------------------------------------

/// Piecewise-linear value of `(t, v)` points at `t`; 0 outside the first..last time.
fn series_value(points: &[(f64, f64)], t: f64) -> f64 {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return 0.0;
    };
    if t < first.0 || t > last.0 {
        return 0.0;
    }
    // First point with time > t; t lies in [points[k-1], points[k]].
    let k = points.partition_point(|p| p.0 <= t);
    if k == points.len() {
        return last.1;
    }
    let (a, b) = (points[k - 1], points[k]);
    a.1 + (b.1 - a.1) * (t - a.0) / (b.0 - a.0)
}

/// Exact integral over `[t0, t1]` of the piecewise-linear series (0 outside).
fn series_integral(points: &[(f64, f64)], t0: f64, t1: f64) -> f64 {
    if points.len() < 2 || t1 <= t0 {
        return 0.0;
    }
    let start = points.partition_point(|p| p.0 <= t0).saturating_sub(1);
    let mut total = 0.0;
    for w in points[start..].windows(2) {
        let (a, b) = (w[0], w[1]);
        if a.0 >= t1 {
            break;
        }
        let (s, e) = (a.0.max(t0), b.0.min(t1));
        if e > s {
            let v = |t: f64| a.1 + (b.1 - a.1) * (t - a.0) / (b.0 - a.0);
            total += 0.5 * (v(s) + v(e)) * (e - s);
        }
    }
    total
}

fn check(ok: bool, what: &'static str, value: f64, expected: &'static str) -> Result<(), FloodError> {
    if ok {
        Ok(())
    } else {
        Err(FloodError::InvalidValue { what, value, expected })
    }
}

fn check_params(p: &FloodParams) -> Result<(), FloodError> {
    check(p.theta > 0.0 && p.theta <= 1.0, "theta", p.theta, "0 < θ ≤ 1")?;
    check(p.alpha > 0.0 && p.alpha <= 1.0, "alpha", p.alpha, "0 < α ≤ 1")?;
    check(
        p.wet_threshold_m > 0.0 && p.wet_threshold_m.is_finite(),
        "wet threshold (m)",
        p.wet_threshold_m,
        "> 0",
    )?;
    check(p.g_m_s2 > 0.0 && p.g_m_s2.is_finite(), "g (m/s²)", p.g_m_s2, "> 0")?;
    check(
        p.min_dt_s > 0.0 && p.min_dt_s.is_finite(),
        "min dt (s)",
        p.min_dt_s,
        "> 0",
    )?;
    check(
        p.max_dt_s >= p.min_dt_s && p.max_dt_s.is_finite(),
        "max dt (s)",
        p.max_dt_s,
        "finite and ≥ min dt",
    )
}

fn check_shape<T>(what: &'static str, terrain: &Grid<T>, shape: Option<(usize, usize)>) -> Result<(), FloodError> {
    match shape {
        Some(found) if found != (terrain.nx, terrain.ny) => Err(FloodError::ShapeMismatch {
            what,
            expected: (terrain.nx, terrain.ny),
            found,
        }),
        _ => Ok(()),
    }
}

fn check_len<T>(g: &Grid<T>) -> Result<(), FloodError> {
    let n = g.data.len();
    check(n == g.nx * g.ny, "grid data length", n as f64, "nx × ny")
}

fn check_series(what: &'static str, points: &[(f64, f64)]) -> Result<(), FloodError> {
    let mut prev = f64::NEG_INFINITY;
    for (index, &(t, _)) in points.iter().enumerate() {
        if !t.is_finite() || t < prev {
            return Err(FloodError::BadSeries { what, index });
        }
        prev = t;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Effects
// ---------------------------------------------------------------------------

/// Pregnolato et al. (2017) depth–disruption function: coefficients of
/// `v = a w² + b w + c` (km/h, w in mm).
const PREGNOLATO_A: f64 = 0.0009;
/// See [`PREGNOLATO_A`].
const PREGNOLATO_B: f64 = -0.5529;
/// See [`PREGNOLATO_A`].
const PREGNOLATO_C: f64 = 86.9448;
/// Depth at which Pregnolato et al. (2017) take a road as closed to cars, mm.
const PREGNOLATO_CLOSED_MM: f64 = 300.0;

/// Largest safe speed of a passenger car through standing water of
/// `depth_m`, km/h: `v = 0.0009 w² − 0.5529 w + 86.9448` with `w` in mm,
/// clamped at ≥ 0, and 0 from 300 mm (the road is closed to cars).
///
/// Pregnolato, M., Ford, A., Wilkinson, S. M., Dawson, R. J. (2017). The
/// impact of flooding on road transport: a depth-disruption function.
/// Transp. Res. Part D 55, 67–81. Dry road (`depth_m ≤ 0`) gives 86.9 km/h,
/// the curve's intercept (combine with the road's own speed limit).
#[must_use]
pub fn car_speed_kmh(depth_m: f64) -> f64 {
    let w = depth_m.max(0.0) * 1000.0;
    if w >= PREGNOLATO_CLOSED_MM {
        return 0.0;
    }
    (PREGNOLATO_A * w * w + PREGNOLATO_B * w + PREGNOLATO_C).max(0.0)
}

/// Vehicle classes for road passability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum VehicleClass {
    /// Passenger car.
    Car,
    /// Emergency vehicle or SUV.
    Emergency,
    /// Light truck.
    LightTruck,
    /// Heavy truck (high-clearance).
    HeavyTruck,
    /// Boat: needs water rather than fearing it; no depth limit here.
    Boat,
}

/// Passenger car limit, m (DOMAIN.md; Pregnolato et al. 2017: roads close to cars at 0.3 m).
const CAR_MAX_DEPTH_M: f64 = 0.3;
/// Emergency vehicle / SUV limit, m (Kramer, Terheiden, Wieprecht 2016, Int. J.
/// Disaster Risk Reduct. 17, 77–84: safety criteria for trafficability of inundated roads).
const EMERGENCY_MAX_DEPTH_M: f64 = 0.6;
/// Light-truck limit, m: lower bound of 0.7–0.9 m in still water (Contreras-Jara 2018, per DOMAIN.md).
const LIGHT_TRUCK_MAX_DEPTH_M: f64 = 0.7;
/// Heavy-truck limit, m: lower bound of 1.1–1.5 m in still water (Contreras-Jara 2018, per DOMAIN.md).
const HEAVY_TRUCK_MAX_DEPTH_M: f64 = 1.1;

/// Deepest still water a vehicle of `class` can drive through, m; the lower
/// bound of each published range, so planning errs on the safe side.
/// [`VehicleClass::Boat`] has no limit (`f64::INFINITY`).
#[must_use]
pub fn max_depth_m(class: VehicleClass) -> f64 {
    match class {
        VehicleClass::Car => CAR_MAX_DEPTH_M,
        VehicleClass::Emergency => EMERGENCY_MAX_DEPTH_M,
        VehicleClass::LightTruck => LIGHT_TRUCK_MAX_DEPTH_M,
        VehicleClass::HeavyTruck => HEAVY_TRUCK_MAX_DEPTH_M,
        VehicleClass::Boat => f64::INFINITY,
    }
}

/// Whether a vehicle of `class` can pass water `depth_m` deep (strictly
/// shallower than [`max_depth_m`]).
#[must_use]
pub fn passable(class: VehicleClass, depth_m: f64) -> bool {
    depth_m < max_depth_m(class)
}

/// Logistic mortality fit: `F = 0.985 / (1 + e^(6.32 − 1.412 h))`.
const MORTALITY_MAX: f64 = 0.985;
/// See [`MORTALITY_MAX`].
const MORTALITY_A: f64 = 6.32;
/// See [`MORTALITY_MAX`], 1/m.
const MORTALITY_B_PER_M: f64 = 1.412;

/// Fraction of the exposed people who die in water `depth_m` deep:
/// `0.985 / (1 + e^(6.32 − 1.412 h))` (1/2/3/4 m ⇒ 0.007/0.029/0.11/0.33),
/// the logistic depth–mortality fit of DOMAIN.md "Flood" (its primary source is
/// not recorded there: verify). 0 for `depth_m ≤ 0`. It ignores velocity and
/// rise rate (Jonkman 2008 distinguishes breach zone, rapid and slow rise).
#[must_use]
pub fn flood_mortality(depth_m: f64) -> f64 {
    if depth_m <= 0.0 {
        return 0.0;
    }
    MORTALITY_MAX / (1.0 + (MORTALITY_A - MORTALITY_B_PER_M * depth_m).exp())
}

/// Depth from which the JRC depth–damage curves are at their maximum, m
/// (Huizinga et al. 2017 tabulate to 6 m).
const DAMAGE_FULL_DEPTH_M: f64 = 6.0;

/// `a h³ + b h² + c h`, clamped to [0, 1], and 1 from 6 m.
fn damage_polynomial(depth_m: f64, [a, b, c]: [f64; 3]) -> f64 {
    if depth_m <= 0.0 {
        return 0.0;
    }
    if depth_m >= DAMAGE_FULL_DEPTH_M {
        return 1.0;
    }
    let h = depth_m;
    (((a * h + b) * h + c) * h).clamp(0.0, 1.0)
}

/// Fraction of the maximum damage to built-up land (residential/commercial,
/// Asia) at `depth_m`: `0.00723 h³ − 0.100 h² + 0.506 h`, clamped to [0, 1],
/// 1 from 6 m (0.5/1/2/3/6 m ⇒ 0.23/0.41/0.67/0.81/1.0).
///
/// Huizinga, J., de Moel, H., Szewczyk, W. (2017). Global flood depth-damage
/// functions: methodology and the database with guidelines. JRC, EUR 28552 EN.
/// doi:10.2760/16510. Polynomial fit as given in DOMAIN.md.
#[must_use]
pub fn damage_fraction_builtup(depth_m: f64) -> f64 {
    damage_polynomial(depth_m, [0.00723, -0.100, 0.506])
}

/// Fraction of the maximum damage to agricultural land (Asia) at `depth_m`:
/// `0.00455 h³ − 0.0648 h² + 0.396 h`, clamped to [0, 1] (it reaches 1 near
/// 5.6 m), 1 from 6 m. Huizinga et al. (2017), polynomial fit as in DOMAIN.md.
#[must_use]
pub fn damage_fraction_agri(depth_m: f64) -> f64 {
    damage_polynomial(depth_m, [0.00455, -0.0648, 0.396])
}

/// Discharge over a broad-crested weir (a levee breach of width `width_m`
/// under head `head_m` above the breach sill), m³/s: `Q = 1.7 B H^1.5`
/// ([`BROAD_CRESTED_WEIR_C_SI`]; free flow, no submergence). 0 for a
/// non-positive width or head.
#[must_use]
pub fn breach_weir_q(width_m: f64, head_m: f64) -> f64 {
    if width_m <= 0.0 || head_m <= 0.0 {
        return 0.0;
    }
    BROAD_CRESTED_WEIR_C_SI * width_m * head_m.powf(1.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR_S: f64 = 3600.0;

    /// A grid whose cell values are `f(x, y)` at the cell centres (m).
    fn grid_from(nx: usize, ny: usize, dx: f64, f: impl Fn(f64, f64) -> f64) -> Grid<f64> {
        let mut g = Grid::filled(nx, ny, dx, 0.0, 0.0, 0.0);
        for j in 0..ny {
            for i in 0..nx {
                let (x, y) = g.centre(i, j);
                *g.at_mut(i, j) = f(x, y);
            }
        }
        g
    }

    fn params(parallel: bool) -> FloodParams {
        FloodParams {
            parallel,
            ..FloodParams::default()
        }
    }

    /// 50 × 40 cells of 200 m (10 × 8 km), falling east and north with bumps
    /// and hollows; a breach, rain everywhere, heavier rain on a block,
    /// drainage in a "town", open edges.
    fn balance_scenario(parallel: bool) -> FloodModel {
        let (nx, ny, dx) = (50, 40, 200.0);
        let terrain = grid_from(nx, ny, dx, |x, y| {
            40.0 - 0.0006 * x - 0.0003 * y
                + 0.8 * (x / 700.0).sin() * (y / 900.0).cos()
                + 0.3 * ((x + 2.0 * y) / 350.0).sin()
        });
        let mut m = FloodModel::new(terrain, PerCell::Uniform(0.05), params(parallel)).unwrap();
        let hydrograph = vec![
            (0.0, 0.0),
            (6.0 * HOUR_S, 150.0),
            (24.0 * HOUR_S, 150.0),
            (36.0 * HOUR_S, 0.0),
        ];
        m.add_breach(Breach {
            x_m: 1550.0,
            y_m: 4050.0,
            hydrograph,
        })
        .unwrap();
        let storm = vec![(0.0, 0.0), (2.0 * HOUR_S, 20.0), (8.0 * HOUR_S, 0.0)];
        m.add_rain(Rain {
            intensity_mm_h: storm,
            mask: None,
        })
        .unwrap();
        let mut block = Grid::filled(nx, ny, dx, 0.0, 0.0, false);
        for j in 25..35 {
            for i in 5..20 {
                *block.at_mut(i, j) = true;
            }
        }
        let burst = vec![(10.0 * HOUR_S, 30.0), (14.0 * HOUR_S, 30.0)];
        m.add_rain(Rain {
            intensity_mm_h: burst,
            mask: Some(block),
        })
        .unwrap();
        let mut drainage = Grid::filled(nx, ny, dx, 0.0, 0.0, 0.0_f32);
        for j in 10..25 {
            for i in 20..35 {
                *drainage.at_mut(i, j) = 10.0;
            }
        }
        m.set_drainage(PerCell::Grid(drainage)).unwrap();
        m
    }

    // 1. Mass conservation.
    #[test]
    fn water_balance_closes_over_72_h() {
        let mut m = balance_scenario(true);
        for hour in 1..=72 {
            m.advance(f64::from(hour) * HOUR_S);
        }
        let b = *m.balance();
        let inflow = b.volume_in_m3();
        let rel = m.balance_residual_m3().abs() / inflow;
        eprintln!(
            "balance {b:?}, on grid {:.6e} m³, relative residual {rel:.3e}, steps {}",
            m.volume_on_grid_m3(),
            m.total_steps()
        );
        // Every term of the ledger is exercised.
        assert!(b.breach_in_m3 > 1.0e7 && b.rain_in_m3 > 1.0e6);
        assert!(b.drainage_out_m3 > 0.0 && b.boundary_out_m3 > 0.0);
        // Breach volume is the exact integral of the hydrograph: 150 m³/s × (3 + 18 + 6) h.
        let breach_exact = 150.0 * 27.0 * HOUR_S;
        assert!((b.breach_in_m3 - breach_exact).abs() < 1e-9 * breach_exact);
        assert!(rel < 1e-6, "relative balance error {rel:e}");
        assert_eq!(m.elapsed_s(), 72.0 * HOUR_S);
    }

    // 2. Lake at rest.
    #[test]
    fn lake_at_rest_stays_at_rest() {
        let (nx, ny, dx) = (40, 30, 50.0);
        let terrain = grid_from(nx, ny, dx, |x, y| {
            let edge = x < dx || y < dx || x > (nx as f64 - 1.0) * dx || y > (ny as f64 - 1.0) * dx;
            if edge {
                20.0
            } else {
                5.0 + 2.0 * (x / 170.0).sin() * (y / 130.0).cos()
            }
        });
        let surface_m = 6.0;
        let depth = grid_from(nx, ny, dx, |_, _| 0.0);
        let mut depth = depth;
        for k in 0..depth.data.len() {
            depth.data[k] = (surface_m - terrain.data[k]).max(0.0);
        }
        assert!(
            depth.data.iter().filter(|&&h| h == 0.0).count() > 2 * (nx + ny),
            "the bed must have dry islands"
        );
        let mut m = FloodModel::new(terrain, PerCell::Uniform(0.03), params(true)).unwrap();
        m.set_depth(depth.clone()).unwrap();
        let stats = m.advance(6.0 * HOUR_S);
        let max_q = m.qx_m2_s.iter().chain(&m.qy_m2_s).fold(0.0_f64, |a, q| a.max(q.abs()));
        let max_dh = m
            .depth_m()
            .data
            .iter()
            .zip(&depth.data)
            .fold(0.0_f64, |a, (h, h0)| a.max((h - h0).abs()));
        eprintln!(
            "lake at rest: {} steps, max |q| {max_q:e} m²/s, max |Δh| {max_dh:e} m",
            stats.steps
        );
        assert!(stats.steps > 1000);
        assert!(max_q < 1e-9 && max_dh < 1e-9);
    }

    // 3. Flat-bed wetting front (Bates et al. 2010, §3.1, after Hunter et al. 2005).
    //
    // Without inertia, a front advancing at constant speed u over a flat bed
    // with Manning friction has h(x, t) = [−(7/3) n² u² (x − u t)]^{3/7} for
    // x ≤ u t. Cell 0 is fed the discharge u h(0, t) W that keeps the front
    // moving; we compare at t = 10 h (u = 0.1 m/s, n = 0.03, Δx = 25 m, front
    // at 3 600 m, h(0) = 0.33 m).
    //
    // Why this u: the analytic solution drops inertia. For a travelling wave
    // the local inertial equation instead gives h′ (g h − u²) = −g n² u² h^{-1/3},
    // i.e. slopes off by the factor 1/(1 − Fr²). With u = 0.1 m/s, Fr² < 0.02
    // wherever h > 5 cm, so the analytic profile is a fair reference for the
    // scheme (at u = 1 m/s, Fr² reaches 0.2 at h = 0.5 m and the front lags by
    // ~4 %, as it should).
    //
    // Tolerances (measured: RMS 0.3 %, front 50 m ahead): depth behind the
    // front (x < u t − 4Δx) within 1 % of h(0) RMS, which leaves room for the
    // source entering cell 0's centre rather than the edge x = 0 and the
    // residual Fr² effect; the front (furthest cell deeper than 1 cm) within
    // 3 cells (75 m, 2 % of the distance travelled), since the scheme smears
    // the infinitely steep tip over about two cells.
    #[test]
    fn wetting_front_matches_analytic_solution() {
        let (n, u, dx, nx) = (0.03_f64, 0.1_f64, 25.0, 200);
        let h_exact = |x: f64, t: f64| (-(7.0 / 3.0) * n * n * u * u * (x - u * t)).max(0.0).powf(3.0 / 7.0);
        let terrain = grid_from(nx, 1, dx, |_, _| 0.0);
        let p = FloodParams {
            boundary: Boundary::Closed,
            ..params(false)
        };
        let mut m = FloodModel::new(terrain, PerCell::Uniform(n), p).unwrap();
        let t_end = 36_000.0;
        let hydrograph = (0..=720).map(|k| {
            let t = f64::from(k) * 50.0;
            (t, u * h_exact(0.0, t) * dx)
        });
        m.add_breach(Breach {
            x_m: 1.0,
            y_m: 1.0,
            hydrograph: hydrograph.collect(),
        })
        .unwrap();
        m.advance(t_end);
        let h = &m.depth_m().data;
        let front_cell = h.iter().rposition(|&d| d > 0.01).unwrap();
        let front_x = (front_cell as f64 + 1.0) * dx;
        let h0 = h_exact(0.0, t_end);
        let (mut sq, mut count) = (0.0, 0);
        for (i, &d) in h.iter().enumerate() {
            let x = (i as f64 + 0.5) * dx;
            if x < u * t_end - 4.0 * dx {
                sq += (d - h_exact(x, t_end)).powi(2);
                count += 1;
            }
        }
        let rms_rel = (sq / f64::from(count)).sqrt() / h0;
        eprintln!(
            "wetting front at {front_x} m (exact 3600 m); h(0) {h0:.4} m, model {:.4} m; RMS error {:.2} %",
            h[0],
            100.0 * rms_rel
        );
        assert!((front_x - u * t_end).abs() <= 3.0 * dx, "front at {front_x} m");
        assert!(rms_rel < 0.01, "RMS depth error {rms_rel}");
    }

    // 4. Water never climbs into a dry cell above its surface.
    #[test]
    fn wall_above_the_reservoir_stays_dry() {
        let (nx, ny, dx) = (30, 10, 10.0);
        let wall_col = 10;
        let wall_z = 5.0;
        let terrain = grid_from(
            nx,
            ny,
            dx,
            |x, _| if (x / dx) as usize == wall_col { wall_z } else { 0.0 },
        );
        let depth = grid_from(
            nx,
            ny,
            dx,
            |x, _| if ((x / dx) as usize) < wall_col { 4.0 } else { 0.0 },
        );
        let p = FloodParams {
            boundary: Boundary::Closed,
            ..params(true)
        };
        let mut m = FloodModel::new(terrain, PerCell::Uniform(0.03), p).unwrap();
        m.set_depth(depth).unwrap();
        // Raise the reservoir by about 0.5 m (10 000 m² of it) in an hour,
        // into its far corner so that the water sloshes toward the wall.
        m.add_breach(Breach {
            x_m: 5.0,
            y_m: 5.0,
            hydrograph: vec![(0.0, 1.39), (3600.0, 1.39)],
        })
        .unwrap();
        let mut highest_surface = 0.0_f64;
        for minute in 1..=360 {
            m.advance(f64::from(minute) * 60.0);
            for j in 0..ny {
                highest_surface = highest_surface.max(*m.depth_m().at(wall_col - 1, j));
                for i in wall_col..nx {
                    assert_eq!(*m.depth_m().at(i, j), 0.0, "cell ({i}, {j}) got wet at minute {minute}");
                }
                assert_eq!(m.qx_m2_s(wall_col, j), 0.0);
            }
        }
        eprintln!("highest reservoir surface at the wall {highest_surface:.3} m (wall {wall_z} m)");
        assert!(highest_surface > 4.4 && highest_surface < wall_z);
    }

    // The θ-smoothing lowers the Courant limit (module docs, "Stability"): a
    // deep, nearly frictionless basin with default parameters must damp a
    // checkerboard-seeded disturbance, also when the caller advances by
    // uneven amounts (uneven steps can pump a leapfrog-like scheme).
    #[test]
    fn deep_still_basin_damps_disturbances() {
        let terrain = Grid::filled(10, 10, 10.0, 0.0, 0.0, 0.0);
        let mut depth = Grid::filled(10, 10, 10.0, 0.0, 0.0, 4.0);
        for j in 0..10 {
            for i in 0..10 {
                *depth.at_mut(i, j) += if (i + j) % 2 == 0 { 1e-4 } else { -1e-4 };
            }
        }
        let p = FloodParams {
            boundary: Boundary::Closed,
            ..params(false)
        };
        let mut m = FloodModel::new(terrain, PerCell::Uniform(0.01), p).unwrap();
        m.set_depth(depth).unwrap();
        let mut t = 0.0;
        for k in 0..400 {
            t += [1.0, 7.3, 0.4, 13.0][k % 4];
            m.advance(t);
        }
        let max_q = m.qx_m2_s.iter().chain(&m.qy_m2_s).fold(0.0_f64, |a, q| a.max(q.abs()));
        eprintln!("after {t} s: max |q| {max_q:e} m²/s");
        assert!(max_q < 1e-6, "max |q| {max_q}");
    }

    #[test]
    fn a_copy_of_the_changed_rows_keeps_up_with_the_depths() {
        // A breach on a flat plain, no rain: the water spreads over a few
        // rows around the breach, and only those are reported changed.
        let (nx, ny, dx) = (30, 40, 100.0);
        let mut m = FloodModel::new(
            grid_from(nx, ny, dx, |_, _| 10.0),
            PerCell::Uniform(0.05),
            params(false),
        )
        .unwrap();
        m.add_breach(Breach {
            x_m: 1_500.0,
            y_m: 2_000.0,
            hydrograph: vec![(0.0, 50.0), (HOUR_S, 50.0)],
        })
        .unwrap();
        assert_eq!(m.take_changed_rows(), 0..ny, "at first every row counts as changed");
        let mut copy = m.depth_m().clone();
        for k in 1..=3 {
            m.advance(f64::from(k) * 600.0);
            let rows = m.take_changed_rows();
            assert!(rows.contains(&20), "the breach row changed: {rows:?}");
            // (The first step visits every row once, to clear stale discharges.)
            if k > 1 {
                assert!(rows.len() < ny / 2, "the water has not reached every row: {rows:?}");
            }
            let cells = rows.start * nx..rows.end * nx;
            copy.data[cells.clone()].copy_from_slice(&m.depth_m().data[cells]);
            assert_eq!(
                copy.data,
                m.depth_m().data,
                "{k}0 min: the rows outside {rows:?} did not change"
            );
        }
        assert!(m.take_changed_rows().is_empty(), "nothing changed since the last call");
    }

    /// Assert that two models hold the same state, bit for bit: steps,
    /// depths, peak depths, discharges and the water ledger.
    fn assert_same_bits(a: &FloodModel, b: &FloodModel, what: &str) {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let ledger = |m: &FloodModel| {
            let l = m.balance();
            bits(&[l.breach_in_m3, l.rain_in_m3, l.drainage_out_m3, l.boundary_out_m3])
        };
        assert_eq!(a.total_steps(), b.total_steps(), "{what}: steps");
        assert_eq!(bits(&a.depth_m().data), bits(&b.depth_m().data), "{what}: depths");
        assert_eq!(
            bits(&a.peak_depth_m().data),
            bits(&b.peak_depth_m().data),
            "{what}: peak depths"
        );
        assert_eq!(bits(&a.qx_m2_s), bits(&b.qx_m2_s), "{what}: qx");
        assert_eq!(bits(&a.qy_m2_s), bits(&b.qy_m2_s), "{what}: qy");
        assert_eq!(ledger(a), ledger(b), "{what}: ledger");
    }

    // 5. Serial and parallel runs are bit-identical.
    #[test]
    fn serial_and_parallel_runs_are_bit_identical() {
        let run = |parallel: bool| {
            let mut m = balance_scenario(parallel);
            for hour in 1..=12 {
                m.advance(f64::from(hour) * HOUR_S);
            }
            m
        };
        let serial = run(false);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let parallel = pool.install(|| run(true));
        assert_same_bits(&serial, &parallel, "serial against parallel");
        assert!(serial.flooded_cells() > 100, "the comparison must cover a real flood");
    }

    // 5a. An advance broken off every few steps and resumed, the kernels
    // switched between serial and parallel at each break (as the flood
    // running ahead does when the run starts or stops waiting for it), gives
    // the bits of one serial advance.
    #[test]
    fn an_advance_broken_off_and_resumed_with_other_kernels_gives_the_same_bits() {
        let until_s = 12.0 * HOUR_S;
        let mut whole = balance_scenario(false);
        whole.advance(until_s);
        let mut pieces = balance_scenario(false);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let (mut calls, mut parallel) = (0, false);
        while pieces.elapsed_s() < until_s {
            parallel = !parallel;
            pieces.set_parallel(parallel);
            let left = std::sync::atomic::AtomicU32::new(7);
            let go_on = || left.fetch_sub(1, std::sync::atomic::Ordering::Relaxed) > 1;
            let stats = if parallel {
                pool.install(|| pieces.advance_while(until_s, go_on))
            } else {
                pieces.advance_while(until_s, go_on)
            };
            assert!((1..=7).contains(&stats.steps), "{} steps in one piece", stats.steps);
            calls += 1;
        }
        assert!(calls > 10, "the advance must be broken off often: {calls} pieces");
        assert_eq!(pieces.elapsed_s(), until_s);
        assert_same_bits(&whole, &pieces, "one advance against pieces");
        assert!(whole.flooded_cells() > 100, "the comparison must cover a real flood");
    }

    // 5b. Every instruction set the CPU runs gives the same bits.
    #[test]
    fn every_instruction_set_gives_the_same_bits() {
        let run = |simd: Simd| {
            let mut m = balance_scenario(false);
            m.simd = simd;
            for hour in 1..=12 {
                m.advance(f64::from(hour) * HOUR_S);
            }
            m
        };
        let plain = run(Simd::Plain);
        assert!(plain.flooded_cells() > 100, "the comparison must cover a real flood");
        let available = Simd::available();
        eprintln!("instruction sets on this CPU: {available:?}");
        for simd in available {
            assert_same_bits(&run(simd), &plain, &format!("{simd:?}"));
        }
    }

    // 6. Depths never go negative; the flooded area is reported consistently.
    #[test]
    fn depth_never_negative_and_flooded_area_consistent() {
        // Steep (2 %), rough terrain with 20 m cells, strong drainage, pulses of
        // rain and inflow: thin films on slopes that the limiter must hold.
        let terrain = grid_from(60, 40, 20.0, |x, y| {
            60.0 - 0.02 * x + 1.5 * (x / 47.0).sin() * (y / 31.0).cos() + 0.01 * y
        });
        let mut m = FloodModel::new(terrain, PerCell::Uniform(0.035), params(true)).unwrap();
        let pulses = vec![
            (0.0, 0.0),
            (600.0, 20.0),
            (1200.0, 0.0),
            (3000.0, 0.0),
            (3300.0, 40.0),
            (3600.0, 0.0),
        ];
        m.add_breach(Breach {
            x_m: 100.0,
            y_m: 400.0,
            hydrograph: pulses,
        })
        .unwrap();
        m.add_rain(Rain {
            intensity_mm_h: vec![(0.0, 60.0), (1800.0, 60.0), (1800.0, 0.0)],
            mask: None,
        })
        .unwrap();
        m.set_drainage(PerCell::Uniform(40.0)).unwrap();
        let cell_area = 400.0;
        let mut saw_flood = false;
        for k in 1..=36 {
            let stats = m.advance(f64::from(k) * 300.0);
            let h = &m.depth_m().data;
            assert!(h.iter().all(|&d| d >= 0.0), "negative depth after {k} × 5 min");
            let counted = h.iter().filter(|&&d| d > m.params().wet_threshold_m).count();
            assert_eq!(stats.flooded_cells, counted);
            assert_eq!(stats.flooded_cells, m.flooded_cells());
            assert_eq!(stats.flooded_area_m2, counted as f64 * cell_area);
            assert_eq!(stats.flooded_area_m2, m.flooded_area_m2());
            assert_eq!(stats.max_depth_m, m.max_depth_m());
            saw_flood |= counted > 50;
        }
        assert!(saw_flood);
        let rel = m.balance_residual_m3().abs() / m.balance().volume_in_m3();
        assert!(rel < 1e-9, "balance {rel:e}");
    }

    #[test]
    fn limiter_keeps_a_thin_film_on_a_cliff_non_negative() {
        // 5 mm of water on a 1 m cell above a 1 m drop, a 60 s step: unlimited,
        // the face would move ~25 times what the cell holds.
        let terrain = Grid {
            nx: 2,
            ny: 1,
            dx: 1.0,
            x0: 0.0,
            y0: 0.0,
            data: vec![1.0, 0.0],
        };
        let p = FloodParams {
            boundary: Boundary::Closed,
            froude_limit: false,
            min_dt_s: 60.0,
            ..params(false)
        };
        let mut m = FloodModel::new(terrain, PerCell::Uniform(0.0), p).unwrap();
        m.set_depth(Grid {
            nx: 2,
            ny: 1,
            dx: 1.0,
            x0: 0.0,
            y0: 0.0,
            data: vec![0.005, 0.0],
        })
        .unwrap();
        m.advance(60.0);
        let h = &m.depth_m().data;
        assert_eq!(h[0], 0.0);
        assert!((h[1] - 0.005).abs() < 1e-15);
        assert!((m.qx_m2_s(1, 0) - 0.005 / 60.0).abs() < 1e-15);
    }

    #[test]
    fn inverse_cube_root_is_accurate_over_flood_depths() {
        let mut worst = 0.0_f64;
        let mut x = 1e-4_f64;
        while x < 1e4 {
            let exact = 1.0 / x.cbrt();
            worst = worst.max((inv_cbrt_positive(x) - exact).abs() / exact);
            x *= 1.0007;
        }
        assert!(worst < 1e-15, "relative error {worst:e}");
    }

    #[test]
    fn outflow_factor_scales_only_overdraft() {
        assert_eq!(outflow_factor(1.0, 0.5, 10.0, 100.0), 1.0);
        assert!((outflow_factor(0.01, 0.5, 10.0, 100.0) - 0.2).abs() < 1e-15);
        assert_eq!(outflow_factor(0.0, 0.5, 10.0, 100.0), 0.0);
    }

    #[test]
    fn open_edges_drain_downhill_and_closed_edges_hold() {
        let terrain = grid_from(20, 5, 50.0, |x, _| 10.0 - 0.001 * x);
        let depth = grid_from(20, 5, 50.0, |_, _| 0.5);
        let run = |boundary| {
            let mut m = FloodModel::new(
                terrain.clone(),
                PerCell::Uniform(0.04),
                FloodParams {
                    boundary,
                    ..params(true)
                },
            )
            .unwrap();
            m.set_depth(depth.clone()).unwrap();
            m.advance(6.0 * HOUR_S);
            m
        };
        let open = run(Boundary::Open);
        let closed = run(Boundary::Closed);
        assert!(open.balance().boundary_out_m3 > 0.1 * open.balance().initial_m3);
        assert!(open.balance_residual_m3().abs() < 1e-9 * open.balance().initial_m3);
        assert_eq!(closed.balance().boundary_out_m3, 0.0);
        assert!(closed.balance_residual_m3().abs() < 1e-9 * closed.balance().initial_m3);
        // Only the low (east) edge lets water out: the west face stays dry or inward-free.
        for j in 0..5 {
            assert_eq!(open.qx_m2_s(0, j), 0.0);
            assert!(open.qx_m2_s(20, j) >= 0.0);
        }
    }

    #[test]
    fn hydrographs_interpolate_and_integrate_exactly() {
        let s = vec![(10.0, 0.0), (20.0, 100.0), (40.0, 100.0), (50.0, 0.0)];
        assert_eq!(series_value(&s, 5.0), 0.0);
        assert_eq!(series_value(&s, 15.0), 50.0);
        assert_eq!(series_value(&s, 30.0), 100.0);
        assert_eq!(series_value(&s, 50.0), 0.0);
        assert_eq!(series_value(&s, 60.0), 0.0);
        assert_eq!(series_integral(&s, 0.0, 100.0), 500.0 + 2000.0 + 500.0);
        assert_eq!(series_integral(&s, 15.0, 45.0), 375.0 + 2000.0 + 375.0);
        // Step-wise accumulation equals the whole.
        let parts: f64 = (0..100)
            .map(|k| series_integral(&s, f64::from(k) * 0.7, f64::from(k + 1) * 0.7))
            .sum();
        assert!((parts - 3000.0).abs() < 1e-9);
        // A step in the series (two points at one time) is allowed.
        let step = vec![(0.0, 5.0), (10.0, 5.0), (10.0, 0.0)];
        assert_eq!(series_integral(&step, 0.0, 20.0), 50.0);
    }

    #[test]
    fn bad_inputs_are_rejected() {
        let terrain = grid_from(4, 3, 10.0, |_, _| 0.0);
        let other = Grid::filled(3, 3, 10.0, 0.0, 0.0, 0.03);
        let err = FloodModel::new(terrain.clone(), PerCell::Grid(other), FloodParams::default()).unwrap_err();
        assert_eq!(
            err,
            FloodError::ShapeMismatch {
                what: "Manning n",
                expected: (4, 3),
                found: (3, 3)
            }
        );
        let bad_theta = FloodParams {
            theta: 1.5,
            ..FloodParams::default()
        };
        assert!(matches!(
            FloodModel::new(terrain.clone(), PerCell::Uniform(0.03), bad_theta),
            Err(FloodError::InvalidValue { what: "theta", .. })
        ));
        let mut m = FloodModel::new(terrain, PerCell::Uniform(0.03), FloodParams::default()).unwrap();
        let outside = Breach {
            x_m: 45.0,
            y_m: 5.0,
            hydrograph: vec![(0.0, 1.0)],
        };
        assert!(matches!(m.add_breach(outside), Err(FloodError::OutsideGrid { .. })));
        let unordered = Breach {
            x_m: 5.0,
            y_m: 5.0,
            hydrograph: vec![(10.0, 1.0), (5.0, 1.0)],
        };
        assert_eq!(
            m.add_breach(unordered),
            Err(FloodError::BadSeries {
                what: "breach hydrograph",
                index: 1
            })
        );
        assert!(m.set_drainage(PerCell::Uniform(-1.0)).is_err());
        assert!(m.set_depth(Grid::filled(4, 3, 10.0, 0.0, 0.0, -0.1)).is_err());
        let msg = FloodError::ShapeMismatch {
            what: "rain mask",
            expected: (4, 3),
            found: (2, 2),
        }
        .to_string();
        assert_eq!(msg, "rain mask: grid is 2×2 but the terrain is 4×3");
    }

    #[test]
    fn advance_lands_exactly_and_is_resumable() {
        let mut m = balance_scenario(false);
        let a = m.advance(1234.5);
        assert_eq!(m.elapsed_s(), 1234.5);
        assert!(a.steps > 0 && a.max_dt_s <= DEFAULT_MAX_DT_S);
        assert_eq!(m.advance(1000.0).steps, 0);
        // Serialising and restoring mid-run continues the same run.
        let mut restored: FloodModel = m.clone();
        restored.work = Workspace::default();
        m.advance(3.0 * HOUR_S);
        restored.advance(3.0 * HOUR_S);
        let bits = |m: &FloodModel| m.depth_m().data.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&m), bits(&restored));
    }

    // Effects.

    #[test]
    fn car_speed_follows_pregnolato() {
        assert!((car_speed_kmh(0.0) - 86.9448).abs() < 1e-12);
        assert!((car_speed_kmh(0.1) - (0.0009 * 1e4 - 55.29 + 86.9448)).abs() < 1e-9);
        assert!(car_speed_kmh(0.299) > 0.0 && car_speed_kmh(0.299) < 3.0);
        assert_eq!(car_speed_kmh(0.3), 0.0);
        assert_eq!(car_speed_kmh(2.0), 0.0);
        assert_eq!(car_speed_kmh(-1.0), car_speed_kmh(0.0));
    }

    #[test]
    fn vehicle_depth_limits() {
        assert_eq!(max_depth_m(VehicleClass::Car), 0.3);
        assert_eq!(max_depth_m(VehicleClass::Emergency), 0.6);
        assert_eq!(max_depth_m(VehicleClass::LightTruck), 0.7);
        assert_eq!(max_depth_m(VehicleClass::HeavyTruck), 1.1);
        assert!(passable(VehicleClass::Boat, 10.0));
        assert!(passable(VehicleClass::Emergency, 0.5) && !passable(VehicleClass::Emergency, 0.6));
        assert!(!passable(VehicleClass::Car, 0.35));
    }

    #[test]
    fn mortality_matches_domain_table() {
        for (h, f) in [(1.0, 0.007), (2.0, 0.029), (3.0, 0.11), (4.0, 0.33)] {
            assert!(
                (flood_mortality(h) - f).abs() < 0.005,
                "F({h}) = {}",
                flood_mortality(h)
            );
        }
        assert_eq!(flood_mortality(0.0), 0.0);
        assert!(flood_mortality(20.0) <= 0.985);
    }

    #[test]
    fn damage_curves_match_jrc_asia() {
        for (h, f) in [(0.5, 0.23), (1.0, 0.41), (2.0, 0.67), (3.0, 0.81), (6.0, 1.0)] {
            assert!(
                (damage_fraction_builtup(h) - f).abs() < 0.01,
                "built-up {h} m: {}",
                damage_fraction_builtup(h)
            );
        }
        // Agriculture: the DOMAIN.md polynomial at a few depths, its clamp at 1, and 1 from 6 m.
        for (h, f) in [(0.5, 0.1824), (1.0, 0.3357), (2.0, 0.5696), (3.0, 0.7277)] {
            assert!(
                (damage_fraction_agri(h) - f).abs() < 0.001,
                "agri {h} m: {}",
                damage_fraction_agri(h)
            );
        }
        assert_eq!(damage_fraction_agri(5.8), 1.0);
        assert_eq!(damage_fraction_agri(6.0), 1.0);
        assert_eq!(damage_fraction_builtup(10.0), 1.0);
        assert_eq!(damage_fraction_builtup(-1.0), 0.0);
        let mut prev = (0.0, 0.0);
        for k in 1..=700 {
            let h = f64::from(k) * 0.01;
            let now = (damage_fraction_builtup(h), damage_fraction_agri(h));
            assert!(now.0 >= prev.0 && now.1 >= prev.1 && now.0 <= 1.0 && now.1 <= 1.0);
            prev = now;
        }
    }

    #[test]
    fn weir_coefficient_is_critical_flow_over_a_broad_crest() {
        let theory = G_M_S2.sqrt() * (2.0_f64 / 3.0).powf(1.5);
        assert!((BROAD_CRESTED_WEIR_C_SI - theory).abs() < 0.01);
        assert!((breach_weir_q(100.0, 2.0) - 1.7 * 100.0 * 2.0_f64.powf(1.5)).abs() < 1e-9);
        assert_eq!(breach_weir_q(100.0, -1.0), 0.0);
    }

    /// City-scale timing: 350 × 300 cells of 100 m (≈ 35 × 30 km), bed falling
    /// SW → NE at 0.3 m/km with ±0.3 m micro-relief, a 24 h breach peaking at
    /// 400 m³/s, 72 h. Run with
    /// `cargo test --release -- --ignored --nocapture city_scale_timing`.
    #[test]
    #[ignore = "timing run; see its doc"]
    fn city_scale_timing() {
        for parallel in [false, true] {
            let mut m = city_scale_model(parallel);
            let start = std::time::Instant::now();
            let mut steps = 0;
            for hour in 1..=72 {
                steps += m.advance(f64::from(hour) * HOUR_S).steps;
            }
            let wall = start.elapsed().as_secs_f64();
            eprintln!(
                "parallel={parallel}: {wall:.2} s wall, {steps} steps, max depth {:.2} m, flooded {:.1} km², residual {:.1e}",
                m.max_depth_m(),
                m.flooded_area_m2() / 1e6,
                m.balance_residual_m3() / m.balance().volume_in_m3()
            );
        }
    }

    /// Storm timing on the bundled Linqing terrain (348 × 428 cells of 100 m,
    /// land-use Manning n and drainage): a July storm over the whole grid
    /// (0 → 40 mm/h in 2 h, 40 mm/h for 3 h, → 0 in 3 h: 220 mm), 72 h; as
    /// the `flood_72h_storm_linqing` bench. Prints, per 6 h, the steps, the
    /// step lengths, the deepest water and the flooded cells. Run with
    /// `cargo test --release --lib -- --ignored --nocapture linqing_storm_timing`.
    #[test]
    #[ignore = "timing run; see its doc"]
    fn linqing_storm_timing() {
        use crate::city::terrain::{Terrain, drainage_grid, manning_grid};
        let map = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/maps/linqing.ron");
        let terrain = Terrain::load_for_map(&map).expect("bundled terrain");
        let manning = PerCell::Grid(manning_grid(&terrain.landuse));
        let mut m = FloodModel::new(terrain.dem.clone(), manning, FloodParams::default()).unwrap();
        m.set_drainage(PerCell::Grid(drainage_grid(&terrain.landuse))).unwrap();
        let storm = vec![
            (0.0, 0.0),
            (2.0 * HOUR_S, 40.0),
            (5.0 * HOUR_S, 40.0),
            (8.0 * HOUR_S, 0.0),
        ];
        m.add_rain(Rain {
            intensity_mm_h: storm,
            mask: None,
        })
        .unwrap();
        let start = std::time::Instant::now();
        for k in 1..=12 {
            let s = m.advance(f64::from(6 * k) * HOUR_S);
            eprintln!(
                "{:2} h: {:5} steps, dt {:5.2}–{:5.2} s, max depth {:.3} m, {:6} cells wet, {:6.2} s wall",
                6 * k,
                s.steps,
                s.min_dt_s,
                s.max_dt_s,
                s.max_depth_m,
                s.flooded_cells,
                start.elapsed().as_secs_f64()
            );
        }
        let b = m.balance();
        eprintln!(
            "{:.2} s wall, {} steps; rain {:.4e} m³, drained {:.4e} m³, out {:.4e} m³, on grid {:.4e} m³, residual {:.1e}",
            start.elapsed().as_secs_f64(),
            m.total_steps(),
            b.rain_in_m3,
            b.drainage_out_m3,
            b.boundary_out_m3,
            m.volume_on_grid_m3(),
            m.balance_residual_m3() / b.volume_in_m3()
        );
    }

    /// The model of [`city_scale_timing`].
    pub(super) fn city_scale_model(parallel: bool) -> FloodModel {
        let slope = 0.0003 / std::f64::consts::SQRT_2;
        let terrain = grid_from(350, 300, 100.0, |x, y| {
            38.0 - slope * (x + y) + 0.3 * (x / 830.0).sin() * (y / 610.0).cos()
        });
        let mut m = FloodModel::new(terrain, PerCell::Uniform(0.05), params(parallel)).unwrap();
        let hydrograph = vec![
            (0.0, 0.0),
            (4.0 * HOUR_S, 400.0),
            (16.0 * HOUR_S, 400.0),
            (24.0 * HOUR_S, 0.0),
        ];
        m.add_breach(Breach {
            x_m: 8_050.0,
            y_m: 10_050.0,
            hydrograph,
        })
        .unwrap();
        m
    }
}
