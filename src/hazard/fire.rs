//! Stage: **hazard**. Fire spread over the map — a stochastic cellular automaton
//! for cropland, grass and woods, an earliest-arrival Hamada model for built-up
//! blocks — and how fire teams put it out. Owns the fire state; reads fuel,
//! elevation and wind handed to it as plain data; depends only on `std`,
//! `serde`, `rand` and [`Grid`].
//!
//! # Conventions
//! - Cells follow [`Grid`]: cell `(i, j)` is column `i` (east) and row `j`
//!   (north), stored row-major from the south-west corner.
//! - **Wind direction is meteorological**: [`Wind::from_deg`] is the bearing the
//!   wind blows *from*, clockwise from north (270° = westerly wind, blowing
//!   towards the east). "Downwind" is the opposite bearing.
//! - Times are simulated seconds (`_s`), except where a model is stated in
//!   minutes (`_min`); rates are m/min (`_m_min`); areas m² (`_m2`).
//! - Both models use the 8-neighbourhood (Moore neighbourhood). Neighbours are
//!   visited in the fixed order of [`NEIGHBOURS`].
//!
//! # 1. Wildland / cropland cellular automaton (Alexandridis et al. 2008)
//! Each cell is [`CellState::Unburnable`], [`CellState::Fuel`],
//! [`CellState::Burning`], [`CellState::Burnt`] or [`CellState::Extinguished`].
//! In one step (of `step_s` seconds) every cell that was burning at the start of
//! the step tries to ignite each of its 8 neighbours that is still fuel, with
//! probability
//!
//! ```text
//! p_burn = p_h · (1 + p_veg) · (1 + p_den) · p_w · p_s        (capped at 1)
//! p_w    = exp(c1 V) · exp(V c2 (cos θ − 1))
//! p_s    = exp(a θs),   θs = atan(ΔE / l)  in degrees
//! ```
//!
//! with p_h = 0.58, c1 = 0.045 s/m, c2 = 0.131 s/m, a = 0.078 /°;
//! p_veg and p_den belong to the neighbour being ignited ([`Vegetation::p_veg`],
//! [`Density::p_den`]); V is the wind speed (m/s); θ the angle between the
//! downwind direction and the direction from the burning cell to the neighbour;
//! ΔE = E(neighbour) − E(burning cell) (m), so uphill spread has θs > 0; l is the
//! cell size for edge neighbours and √2 × cell size for diagonal neighbours.
//! Ignitions take effect at the end of the step (synchronous update). A cell
//! burns for [`CaParams::burn_steps`] steps (1 in the paper), then is burnt.
//! Cells outside the grid are not fuel: fire does not leave the map.
//!
//! **Choosing `step_s`.** The automaton's front moves at most one cell per step,
//! and in the paper's calibration a step is the time for the fire to cross one
//! cell. Choose `step_s ≈ l / R_head`, with `R_head` the head-fire rate of
//! spread for the prevailing fuel and wind (observed, or from a rate-of-spread
//! model such as Rothermel's). The default, 60 s, matches the simulation's
//! one-minute tick; with 30 m cells it stands for a head fire of 0.5 m/s, a
//! planning figure for a wind-driven wheat-stubble or grass fire (verify
//! against local fire records).
//!
//! **Determinism.** [`WildfireCa::step`] visits burning cells in increasing grid
//! index, and each one's neighbours in [`NEIGHBOURS`] order; it draws exactly one
//! uniform number for each (burning cell, neighbour still fuel) pair, in that
//! order. The same grid, parameters, ignitions and RNG state therefore give the
//! same result. Because a cell's chance of catching fire is
//! 1 − Π(1 − p_k) whatever the order, the fixed order introduces no direction bias.
//!
//! # 2. Urban block fire: Hamada model (as coded in wirc-sjsu/firebench)
//! For buildings of side `a` (m) separated by gaps `d` (m), a fire-resistant
//! share `f_b` and wind `V` (m/s), the time for the fire to advance one pitch
//! `a + d` is, in minutes,
//!
//! ```text
//! T = [(1 − f_b)(3 + 0.375 a + 8 d / g) + f_b (5 + 0.625 a + 16 d / g)] / D
//!   downwind:  g = 25 + 2.5 V,   D = 1.5 (1 + 0.1 V + 0.007 V²)
//!   sideways:  g = 5 + 0.25 V,   D = 1 + 0.005 V²
//!   upwind:    g = 5 + 0.2 V,    D = 1 + 0.002 V²
//! ```
//!
//! (the factor 1.5 is in the downwind divisor only, as in firebench's
//! `Hamada_1`), and the rate of spread is `R = (a + d) / T` (m/min). Check:
//! a = 10, d = 5, V = 5, f_b = 0.4 ⇒ T_down = 4.0 min.
//!
//! Between those three directions the rate is blended as in firebench: in the
//! downwind half (k = cos φ ≥ 0, φ the angle from downwind) an ellipse with the
//! ignition point at its focus, `R = A (1 − e²) / (1 − e k)` with
//! `e = (R_d − R_s)/R_d`, `A = R_d² / (2R_d − R_s)`; in the upwind half a
//! centred ellipse `R = R_s R_u / √(R_u² (1 − k²) + R_s² k²)`. Both give R_s at
//! φ = 90°, R_d at 0°, R_u at 180° ([`spread_rate_at_angle`]).
//!
//! **At V = 0 the formulas are not isotropic**: the downwind time keeps its
//! `1.5` divisor and `25` gap speed, so T_down(0) ≈ T_side(0) / 2.7 for the
//! check block, while T_side(0) = T_up(0). firebench, given no wind, uses the
//! downwind rate in every direction; [`UrbanFire`] does the same
//! ([`directional_rate_m_min`]). The rate therefore jumps when a breeze starts;
//! that is a property of the published formulas, not of this code.
//!
//! [`UrbanFire`] treats each grid cell as a block of uniform buildings
//! ([`Block::Built`]) or as open ground that does not burn ([`Block::Open`]:
//! streets wider than a cell, water, parks; there is no spotting across them).
//! It is an **event-driven earliest-arrival ("minimum travel time") model**:
//! when a block ignites at `t`, each unignited burnable neighbour gets a
//! candidate arrival at `t + Δ` with
//! `Δ = ½ L / R_source(φ) + ½ L / R_neighbour(φ)` (L = distance between cell
//! centres, φ = angle of that direction from downwind), and a priority queue
//! (Dijkstra's algorithm) releases arrivals in time order. We chose this over a
//! time-stepped front because it has no time-step error, costs
//! O(N log N) for N ignited blocks, is deterministic (ties are broken by block
//! index), and lets [`UrbanFire::advance`] stop at any time. On the 8-neighbour
//! lattice it overestimates travel time in directions between the 8 lattice
//! directions by up to about 8 % (a known minimum-travel-time grid effect).
//!
//! A block is [`BlockState::Burning`] from ignition until
//! `max(burn_duration_s, longest Δ to its unignited neighbours)` later — it
//! keeps burning while its front is still crossing towards a neighbour — then
//! [`BlockState::Burnt`]. An extinguished block never re-ignites and its
//! pending arrivals are cancelled.
//!
//! # 3. Suppression by fire teams
//! [`plan_suppression`] is a pure helper both models use: a team
//! ([`SuppressionTeam`]) at a cell, with a capacity in m² of fire per hour,
//! works on burning cells within `reach_cells` (Chebyshev distance) of it,
//! nearest first (Euclidean distance in cells; ties by lower row, then lower
//! column, i.e. lower grid index). Capacity accrues as credit each step; a cell
//! is extinguished once the credit covers its area, and unspent credit is
//! carried over only while there is still fire in reach. Example capacities are
//! the `*_M2_PER_H` constants; they are planning assumptions, to be calibrated
//! in drills.
//!
//! # References
//! - Alexandridis, A., Vakalis, D., Siettos, C. I., Bafas, G. V. (2008). A
//!   cellular automata model for forest fire spread prediction: the case of
//!   the wildfire that swept through Spetses Island in 1990. *Applied
//!   Mathematics and Computation* 204(1), 191–201.
//! - Hamada, M. (1951). On fire spreading velocity in disasters. Sagami Shobo,
//!   Tokyo (in Japanese); as summarised by Himoto, K., Tanaka, T. (2008),
//!   *Fire Safety Journal* 43(7), 477–494, and coded in wirc-sjsu/firebench,
//!   `src/firebench/ros_models/surface_for_urban.py` (`Hamada_1`).
//! - Finney, M. A. (2002). Fire growth using minimum travel time methods.
//!   *Canadian Journal of Forest Research* 32(8), 1420–1424 (earliest-arrival
//!   fire growth on a grid).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::grid::Grid;

// ---------------------------------------------------------------------------
// Shared: neighbourhood, wind, errors
// ---------------------------------------------------------------------------

/// The 8-neighbourhood as (Δi east, Δj north), in the fixed order both models
/// visit it: south-west, south, south-east, west, east, north-west, north,
/// north-east (increasing grid index).
pub const NEIGHBOURS: [(isize, isize); 8] = [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)];

/// Distance between the centres of a cell and its neighbour in direction
/// `(di, dj)`, in cell sizes (1 or √2).
fn neighbour_distance_cells(di: isize, dj: isize) -> f64 {
    if di != 0 && dj != 0 {
        std::f64::consts::SQRT_2
    } else {
        1.0
    }
}

/// Neighbour of cell `idx` on a `nx × ny` grid in direction `(di, dj)`, if inside.
#[inline]
fn neighbour_index(nx: usize, ny: usize, idx: usize, di: isize, dj: isize) -> Option<usize> {
    let i = (idx % nx).checked_add_signed(di)?;
    let j = (idx / nx).checked_add_signed(dj)?;
    (i < nx && j < ny).then_some(j * nx + i)
}

/// Surface wind, in the same convention as the plume model's weather
/// (`wind_from_deg`). The speed is taken to be the 10 m wind of weather
/// reports; neither fire model states its reference height (assumption).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Wind {
    /// Speed, m/s (≥ 0). Both models were fitted to winds of up to about 15 m/s.
    pub speed_m_s: f64,
    /// Meteorological direction: the bearing the wind blows **from**, degrees
    /// clockwise from north (0 = northerly, 90 = easterly, 270 = westerly).
    pub from_deg: f64,
}

impl Wind {
    /// No wind.
    pub const CALM: Wind = Wind {
        speed_m_s: 0.0,
        from_deg: 0.0,
    };

    /// Unit vector (east, north) of the direction the wind blows towards.
    pub fn downwind_unit(&self) -> (f64, f64) {
        let from = self.from_deg.to_radians();
        (-from.sin(), -from.cos())
    }

    /// Cosine of the angle between the downwind direction and the displacement
    /// `(east, north)`; 1 for a calm wind or a zero displacement.
    pub fn cos_from_downwind(&self, east: f64, north: f64) -> f64 {
        let len = east.hypot(north);
        if self.speed_m_s <= 0.0 || len == 0.0 {
            return 1.0;
        }
        let (ue, un) = self.downwind_unit();
        ((ue * east + un * north) / len).clamp(-1.0, 1.0)
    }

    fn check(&self) -> Result<(), FireError> {
        check_param(
            "wind.speed_m_s",
            self.speed_m_s,
            self.speed_m_s >= 0.0,
            "a finite speed ≥ 0",
        )?;
        check_param("wind.from_deg", self.from_deg, true, "a finite bearing")
    }
}

/// Why a fire model refused its input.
#[derive(Debug, Clone, PartialEq)]
pub enum FireError {
    /// Two grids that must cover the same cells do not.
    ShapeMismatch {
        /// Which grid.
        what: &'static str,
        /// (nx, ny, dx) of the reference grid.
        expected: (usize, usize, f64),
        /// (nx, ny, dx) found.
        found: (usize, usize, f64),
    },
    /// A parameter is out of range or not finite.
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Value given.
        value: f64,
        /// What was expected.
        expected: &'static str,
    },
    /// A building block has an impossible description.
    InvalidBlock {
        /// Column of the block.
        i: usize,
        /// Row of the block.
        j: usize,
        /// What is wrong.
        problem: &'static str,
    },
}

impl fmt::Display for FireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FireError::ShapeMismatch { what, expected, found } => write!(
                f,
                "{what}: grid is {}×{} cells of {} m, expected {}×{} cells of {} m",
                found.0, found.1, found.2, expected.0, expected.1, expected.2
            ),
            FireError::InvalidParameter { name, value, expected } => {
                write!(f, "{name} = {value}: expected {expected}")
            }
            FireError::InvalidBlock { i, j, problem } => write!(f, "block ({i}, {j}): {problem}"),
        }
    }
}

impl std::error::Error for FireError {}

fn check_param(name: &'static str, value: f64, ok: bool, expected: &'static str) -> Result<(), FireError> {
    if value.is_finite() && ok {
        Ok(())
    } else {
        Err(FireError::InvalidParameter { name, value, expected })
    }
}

fn check_cell_size(dx: f64) -> Result<(), FireError> {
    check_param("grid.dx", dx, dx > 0.0, "a cell size > 0 m")
}

// ---------------------------------------------------------------------------
// 1. Wildland / cropland cellular automaton (Alexandridis et al. 2008)
// ---------------------------------------------------------------------------

/// Base ignition probability p_h between two cells of grass at normal density,
/// no wind, flat ground (Alexandridis et al. 2008, fitted to the Spetses fire).
pub const ALEXANDRIDIS_P_H: f64 = 0.58;
/// Wind coefficient c1, s/m (Alexandridis et al. 2008).
pub const ALEXANDRIDIS_C1_S_M: f64 = 0.045;
/// Wind coefficient c2, s/m (Alexandridis et al. 2008).
pub const ALEXANDRIDIS_C2_S_M: f64 = 0.131;
/// Slope coefficient a, per degree of slope (Alexandridis et al. 2008).
pub const ALEXANDRIDIS_A_PER_DEG: f64 = 0.078;
/// Default CA step, s: the simulation's one-minute tick (see the module doc on
/// choosing `step_s`).
pub const DEFAULT_CA_STEP_S: f64 = 60.0;

/// Vegetation type of a cell (Alexandridis et al. 2008, p_veg).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Vegetation {
    /// Cropland (wheat, maize, stubble): p_veg = −0.3.
    Agriculture,
    /// Grass and thickets (field margins, river banks, shrubs): p_veg = 0.
    GrassThicket,
    /// Pine forest (Aleppo pine in the paper; plantations and shelter belts
    /// here): p_veg = 0.4.
    Forest,
}

impl Vegetation {
    /// The paper's p_veg.
    pub fn p_veg(self) -> f64 {
        match self {
            Vegetation::Agriculture => -0.3,
            Vegetation::GrassThicket => 0.0,
            Vegetation::Forest => 0.4,
        }
    }
}

/// Vegetation density of a cell (Alexandridis et al. 2008, p_den).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Density {
    /// Sparse: p_den = −0.4.
    Sparse,
    /// Normal: p_den = 0.
    Normal,
    /// Dense: p_den = 0.3.
    Dense,
}

impl Density {
    /// The paper's p_den.
    pub fn p_den(self) -> f64 {
        match self {
            Density::Sparse => -0.4,
            Density::Normal => 0.0,
            Density::Dense => 0.3,
        }
    }
}

/// The fuel in a burnable cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fuel {
    /// Vegetation type.
    pub vegetation: Vegetation,
    /// Vegetation density.
    pub density: Density,
}

impl Fuel {
    /// Grass / thicket at normal density: the paper's reference fuel (factor 1).
    pub const GRASS: Fuel = Fuel {
        vegetation: Vegetation::GrassThicket,
        density: Density::Normal,
    };

    /// The fuel factor (1 + p_veg)(1 + p_den).
    pub fn factor(self) -> f64 {
        (1.0 + self.vegetation.p_veg()) * (1.0 + self.density.p_den())
    }
}

/// State of one cell of the wildland automaton.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum CellState {
    /// Cannot burn (water, roads, bare ground, built-up land, firebreaks).
    Unburnable,
    /// Fuel that has not burnt yet.
    Fuel,
    /// On fire.
    Burning {
        /// Simulated time the cell caught fire, s.
        since_s: f64,
    },
    /// Burnt out; cannot burn again.
    Burnt,
    /// Put out by a team while burning; cannot burn again.
    Extinguished,
}

impl CellState {
    /// Whether the cell is on fire.
    pub fn is_burning(&self) -> bool {
        matches!(self, CellState::Burning { .. })
    }

    /// Whether fire has reached the cell (burning, burnt or extinguished).
    pub fn was_reached(&self) -> bool {
        matches!(
            self,
            CellState::Burning { .. } | CellState::Burnt | CellState::Extinguished
        )
    }
}

/// Parameters of [`WildfireCa`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CaParams {
    /// Simulated time one step stands for, s (> 0). See the module doc.
    pub step_s: f64,
    /// Steps a cell burns before it is burnt out (≥ 1; the paper uses 1).
    pub burn_steps: u32,
    /// Wind.
    pub wind: Wind,
    /// Base probability p_h.
    pub p_h: f64,
    /// Wind coefficient c1, s/m.
    pub c1_s_m: f64,
    /// Wind coefficient c2, s/m.
    pub c2_s_m: f64,
    /// Slope coefficient a, 1/°.
    pub a_per_deg: f64,
}

impl Default for CaParams {
    /// The paper's coefficients, a 60 s step, 1 burning step, no wind.
    fn default() -> Self {
        CaParams {
            step_s: DEFAULT_CA_STEP_S,
            burn_steps: 1,
            wind: Wind::CALM,
            p_h: ALEXANDRIDIS_P_H,
            c1_s_m: ALEXANDRIDIS_C1_S_M,
            c2_s_m: ALEXANDRIDIS_C2_S_M,
            a_per_deg: ALEXANDRIDIS_A_PER_DEG,
        }
    }
}

impl CaParams {
    fn check(&self) -> Result<(), FireError> {
        check_param("step_s", self.step_s, self.step_s > 0.0, "a step > 0 s")?;
        check_param(
            "burn_steps",
            f64::from(self.burn_steps),
            self.burn_steps >= 1,
            "at least 1 step",
        )?;
        self.wind.check()?;
        check_param(
            "p_h",
            self.p_h,
            (0.0..=1.0).contains(&self.p_h),
            "a probability in [0, 1]",
        )?;
        check_param("c1_s_m", self.c1_s_m, true, "a finite coefficient")?;
        check_param("c2_s_m", self.c2_s_m, true, "a finite coefficient")?;
        check_param("a_per_deg", self.a_per_deg, true, "a finite coefficient")
    }
}

/// Wind factor p_w = exp(c1 V) · exp(V c2 (cos θ − 1)) for spread in direction
/// `(east, north)`; θ is the angle from the downwind direction.
pub fn wind_factor(wind: Wind, c1_s_m: f64, c2_s_m: f64, east: f64, north: f64) -> f64 {
    let v = wind.speed_m_s;
    let cos_theta = wind.cos_from_downwind(east, north);
    (c1_s_m * v).exp() * (v * c2_s_m * (cos_theta - 1.0)).exp()
}

/// Slope factor p_s = exp(a θs), θs = atan(rise / run) in degrees; `rise_m` is
/// the target's elevation minus the source's, `run_m` the horizontal distance.
pub fn slope_factor(a_per_deg: f64, rise_m: f64, run_m: f64) -> f64 {
    let slope_deg = (rise_m / run_m).atan().to_degrees();
    (a_per_deg * slope_deg).exp()
}

/// Probability that a burning cell ignites a neighbour holding `fuel`, in
/// direction `(di, dj)` (one of [`NEIGHBOURS`]), `rise_m` higher, on cells of
/// `cell_m`: p_h (1 + p_veg)(1 + p_den) p_w p_s, capped at 1.
pub fn burn_probability(params: &CaParams, fuel: Fuel, di: isize, dj: isize, rise_m: f64, cell_m: f64) -> f64 {
    let p_w = wind_factor(params.wind, params.c1_s_m, params.c2_s_m, di as f64, dj as f64);
    let run_m = cell_m * neighbour_distance_cells(di, dj);
    let p_s = slope_factor(params.a_per_deg, rise_m, run_m);
    (params.p_h * fuel.factor() * p_w * p_s).min(1.0)
}

/// Cell counts of a [`WildfireCa`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CaCounts {
    /// Cells burning now.
    pub burning: usize,
    /// Cells burnt out.
    pub burnt: usize,
    /// Cells put out by teams.
    pub extinguished: usize,
}

impl CaCounts {
    /// Cells the fire has reached (burning + burnt + extinguished).
    pub fn reached(&self) -> usize {
        self.burning + self.burnt + self.extinguished
    }
}

/// The Alexandridis et al. (2008) wildland fire automaton over a fuel grid.
///
/// Plain data plus a step function; see the module doc for the rule, the
/// choice of time step and the determinism guarantee.
#[derive(Debug, Clone, PartialEq)]
pub struct WildfireCa {
    params: CaParams,
    fuel: Grid<Option<Fuel>>,
    elevation_m: Grid<f64>,
    state: Grid<CellState>,
    /// p_w for each direction in [`NEIGHBOURS`], from `params.wind`.
    wind_factors: [f64; 8],
    time_s: f64,
    steps: u64,
    /// Indices of burning cells, increasing.
    burning: Vec<usize>,
    ignited: usize,
    extinguished: usize,
}

impl WildfireCa {
    /// A fire-free automaton over `fuel` (`None` = unburnable) and terrain
    /// `elevation_m`, at time 0.
    ///
    /// # Errors
    /// [`FireError::ShapeMismatch`] if the grids differ in shape or cell size;
    /// [`FireError::InvalidParameter`] for a bad parameter, cell size or a
    /// non-finite elevation.
    pub fn new(fuel: Grid<Option<Fuel>>, elevation_m: Grid<f64>, params: CaParams) -> Result<Self, FireError> {
        check_cell_size(fuel.dx)?;
        params.check()?;
        if (elevation_m.nx, elevation_m.ny, elevation_m.dx) != (fuel.nx, fuel.ny, fuel.dx) {
            return Err(FireError::ShapeMismatch {
                what: "elevation",
                expected: (fuel.nx, fuel.ny, fuel.dx),
                found: (elevation_m.nx, elevation_m.ny, elevation_m.dx),
            });
        }
        if let Some(bad) = elevation_m.data.iter().find(|e| !e.is_finite()) {
            return Err(FireError::InvalidParameter {
                name: "elevation_m",
                value: *bad,
                expected: "finite elevations",
            });
        }
        let mut state = Grid::like(&fuel, CellState::Unburnable);
        for (s, f) in state.data.iter_mut().zip(&fuel.data) {
            if f.is_some() {
                *s = CellState::Fuel;
            }
        }
        Ok(WildfireCa {
            wind_factors: directional_wind_factors(&params),
            params,
            fuel,
            elevation_m,
            state,
            time_s: 0.0,
            steps: 0,
            burning: Vec::new(),
            ignited: 0,
            extinguished: 0,
        })
    }

    /// [`WildfireCa::new`] on flat ground.
    ///
    /// # Errors
    /// As [`WildfireCa::new`].
    pub fn flat(fuel: Grid<Option<Fuel>>, params: CaParams) -> Result<Self, FireError> {
        let elevation_m = Grid::like(&fuel, 0.0);
        Self::new(fuel, elevation_m, params)
    }

    /// Parameters in force.
    pub fn params(&self) -> &CaParams {
        &self.params
    }

    /// Change the wind from the next step on.
    ///
    /// # Errors
    /// [`FireError::InvalidParameter`] for a negative or non-finite wind; the
    /// old wind stays.
    pub fn set_wind(&mut self, wind: Wind) -> Result<(), FireError> {
        wind.check()?;
        self.params.wind = wind;
        self.wind_factors = directional_wind_factors(&self.params);
        Ok(())
    }

    /// Cell states.
    pub fn state(&self) -> &Grid<CellState> {
        &self.state
    }

    /// Simulated time, s (steps × `step_s`).
    pub fn time_s(&self) -> f64 {
        self.time_s
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Set fuel cell (i, j) burning now. Returns whether it caught fire (false
    /// outside the grid or if the cell is not [`CellState::Fuel`]).
    pub fn ignite(&mut self, i: usize, j: usize) -> bool {
        if i >= self.state.nx || j >= self.state.ny {
            return false;
        }
        let idx = self.state.idx(i, j);
        if self.state.data[idx] != CellState::Fuel {
            return false;
        }
        self.state.data[idx] = CellState::Burning { since_s: self.time_s };
        self.ignited += 1;
        if let Err(pos) = self.burning.binary_search(&idx) {
            self.burning.insert(pos, idx);
        }
        true
    }

    /// Advance one step of `step_s` seconds (see the module doc for the rule and
    /// the order of random draws).
    pub fn step<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        let t_next = self.time_s + self.params.step_s;
        let spreading = std::mem::take(&mut self.burning);
        let mut new_fires = Vec::new();
        for &src in &spreading {
            self.spread_from(src, t_next, rng, &mut new_fires);
        }
        let mut still_burning = Vec::with_capacity(spreading.len() + new_fires.len());
        for src in spreading {
            if self.burns_out_by(src, t_next) {
                self.state.data[src] = CellState::Burnt;
            } else {
                still_burning.push(src);
            }
        }
        still_burning.extend(new_fires);
        still_burning.sort_unstable();
        self.burning = still_burning;
        self.time_s = t_next;
        self.steps += 1;
    }

    /// One random draw per neighbour of `src` that is still fuel, in
    /// [`NEIGHBOURS`] order; ignitions are stamped `t_next` and pushed to `out`.
    fn spread_from<R: Rng + ?Sized>(&mut self, src: usize, t_next: f64, rng: &mut R, out: &mut Vec<usize>) {
        let (nx, ny, cell_m) = (self.state.nx, self.state.ny, self.state.dx);
        for (k, &(di, dj)) in NEIGHBOURS.iter().enumerate() {
            let Some(n) = neighbour_index(nx, ny, src, di, dj) else {
                continue;
            };
            if self.state.data[n] != CellState::Fuel {
                continue;
            }
            let p = self.neighbour_probability(src, n, k, cell_m);
            if rng.random::<f64>() < p {
                self.state.data[n] = CellState::Burning { since_s: t_next };
                self.ignited += 1;
                out.push(n);
            }
        }
    }

    fn neighbour_probability(&self, src: usize, n: usize, k: usize, cell_m: f64) -> f64 {
        let fuel = self.fuel.data[n].expect("invariant: a Fuel cell has fuel");
        let (di, dj) = NEIGHBOURS[k];
        let rise_m = self.elevation_m.data[n] - self.elevation_m.data[src];
        let run_m = cell_m * neighbour_distance_cells(di, dj);
        let p_s = slope_factor(self.params.a_per_deg, rise_m, run_m);
        (self.params.p_h * fuel.factor() * self.wind_factors[k] * p_s).min(1.0)
    }

    /// Probability that a fire in cell `from` ignites its neighbour `to` in one
    /// step, under the current wind — the value [`WildfireCa::step`] uses.
    /// `None` if `to` is not one of the 8 neighbours of `from`, either is
    /// outside the grid, or `to` has no fuel (its state is ignored).
    pub fn ignition_probability(&self, from: (usize, usize), to: (usize, usize)) -> Option<f64> {
        let (nx, ny) = (self.state.nx, self.state.ny);
        if from.0 >= nx || from.1 >= ny || to.0 >= nx || to.1 >= ny {
            return None;
        }
        let d = (to.0 as isize - from.0 as isize, to.1 as isize - from.1 as isize);
        let k = NEIGHBOURS.iter().position(|&n| n == d)?;
        let n = self.state.idx(to.0, to.1);
        self.fuel.data[n]?;
        Some(self.neighbour_probability(self.state.idx(from.0, from.1), n, k, self.state.dx))
    }

    fn burns_out_by(&self, idx: usize, t_next: f64) -> bool {
        let CellState::Burning { since_s } = self.state.data[idx] else {
            unreachable!("invariant: the burning list holds burning cells")
        };
        let burnt_steps = ((t_next - since_s) / self.params.step_s).round();
        burnt_steps >= f64::from(self.params.burn_steps)
    }

    /// Cells burning now, in grid-index order.
    pub fn burning_cells(&self) -> Vec<(usize, usize)> {
        let nx = self.state.nx;
        self.burning.iter().map(|&k| (k % nx, k / nx)).collect()
    }

    /// Cell counts (O(1)).
    pub fn counts(&self) -> CaCounts {
        let burning = self.burning.len();
        CaCounts {
            burning,
            burnt: self.ignited - burning - self.extinguished,
            extinguished: self.extinguished,
        }
    }

    /// Area burning now, m².
    pub fn burning_area_m2(&self) -> f64 {
        self.counts().burning as f64 * self.state.cell_area()
    }

    /// Area whose fire is over (burnt out or extinguished), m².
    pub fn burnt_area_m2(&self) -> f64 {
        let c = self.counts();
        (c.burnt + c.extinguished) as f64 * self.state.cell_area()
    }

    /// Area the fire has reached (burning, burnt or extinguished), m².
    pub fn fire_area_m2(&self) -> f64 {
        self.counts().reached() as f64 * self.state.cell_area()
    }

    /// Put out cell (i, j) if it is burning: it becomes
    /// [`CellState::Extinguished`] and can never burn again. Returns whether it
    /// was burning.
    pub fn extinguish(&mut self, i: usize, j: usize) -> bool {
        if i >= self.state.nx || j >= self.state.ny {
            return false;
        }
        let idx = self.state.idx(i, j);
        let Ok(pos) = self.burning.binary_search(&idx) else {
            return false;
        };
        self.burning.remove(pos);
        self.state.data[idx] = CellState::Extinguished;
        self.extinguished += 1;
        true
    }

    /// Put out at most `max_cells` of the burning cells among `cells`, in the
    /// order given (cells not burning are skipped and not counted). Returns how
    /// many were put out.
    pub fn extinguish_cells(&mut self, cells: &[(usize, usize)], max_cells: usize) -> usize {
        let mut done = 0;
        for &(i, j) in cells {
            if done == max_cells {
                break;
            }
            if self.extinguish(i, j) {
                done += 1;
            }
        }
        done
    }

    /// Let each team, in slice order, work for one step (`step_s`) on the
    /// burning cells in its reach ([`plan_suppression`]); updates each team's
    /// credit. Call between steps. Returns the number of cells put out.
    pub fn apply_teams(&mut self, teams: &mut [SuppressionTeam]) -> usize {
        let cell_area_m2 = self.state.cell_area();
        let mut total = 0;
        for team in teams.iter_mut() {
            let front: Vec<FrontCell> = self
                .burning_cells()
                .into_iter()
                .filter(|&c| team.reaches(c))
                .map(|cell| FrontCell {
                    cell,
                    area_m2: cell_area_m2,
                })
                .collect();
            let plan = plan_suppression(team, &front, self.params.step_s);
            team.credit_m2 = plan.credit_m2;
            for (i, j) in plan.cells {
                total += usize::from(self.extinguish(i, j));
            }
        }
        total
    }
}

fn directional_wind_factors(params: &CaParams) -> [f64; 8] {
    NEIGHBOURS.map(|(di, dj)| wind_factor(params.wind, params.c1_s_m, params.c2_s_m, di as f64, dj as f64))
}

// ---------------------------------------------------------------------------
// 2. Urban block fire: Hamada model
// ---------------------------------------------------------------------------

/// Coefficients of one direction of Hamada's pitch time (see the module doc):
/// gap speed g = `gap_base + gap_per_v · V`, divisor
/// D = `scale · (1 + d1 · V + d2 · V²)`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct HamadaDirection {
    gap_base: f64,
    gap_per_v: f64,
    scale: f64,
    d1: f64,
    d2: f64,
}

/// Downwind: g = 25 + 2.5 V, D = 1.5 (1 + 0.1 V + 0.007 V²) (firebench `Hamada_1`).
const HAMADA_DOWNWIND: HamadaDirection = HamadaDirection {
    gap_base: 25.0,
    gap_per_v: 2.5,
    scale: 1.5,
    d1: 0.1,
    d2: 0.007,
};
/// Sideways: g = 5 + 0.25 V, D = 1 + 0.005 V² (firebench `Hamada_1`).
const HAMADA_SIDEWAYS: HamadaDirection = HamadaDirection {
    gap_base: 5.0,
    gap_per_v: 0.25,
    scale: 1.0,
    d1: 0.0,
    d2: 0.005,
};
/// Upwind: g = 5 + 0.2 V, D = 1 + 0.002 V² (firebench `Hamada_1`).
const HAMADA_UPWIND: HamadaDirection = HamadaDirection {
    gap_base: 5.0,
    gap_per_v: 0.2,
    scale: 1.0,
    d1: 0.0,
    d2: 0.002,
};

/// Hamada: base time for a wooden (non fire-resistant) building, min.
const HAMADA_WOOD_BASE_MIN: f64 = 3.0;
/// Hamada: time per metre of building side, wooden buildings, min/m (3/8).
const HAMADA_WOOD_MIN_PER_M: f64 = 0.375;
/// Hamada: gap numerator, wooden buildings (×d/g), min·(m/min)/m.
const HAMADA_WOOD_GAP: f64 = 8.0;
/// Hamada: base time for a fire-resistant (mortar-clad) building, min.
const HAMADA_RESISTANT_BASE_MIN: f64 = 5.0;
/// Hamada: time per metre of building side, fire-resistant buildings, min/m (5/8).
const HAMADA_RESISTANT_MIN_PER_M: f64 = 0.625;
/// Hamada: gap numerator, fire-resistant buildings.
const HAMADA_RESISTANT_GAP: f64 = 16.0;

/// Hamada's time per pitch in one direction, min.
fn hamada_pitch_time_min(side_m: f64, gap_m: f64, wind_m_s: f64, fb: f64, c: HamadaDirection) -> f64 {
    let v = wind_m_s;
    let g = c.gap_base + c.gap_per_v * v;
    let wood = HAMADA_WOOD_BASE_MIN + HAMADA_WOOD_MIN_PER_M * side_m + HAMADA_WOOD_GAP * gap_m / g;
    let resistant = HAMADA_RESISTANT_BASE_MIN + HAMADA_RESISTANT_MIN_PER_M * side_m + HAMADA_RESISTANT_GAP * gap_m / g;
    let divisor = c.scale * (1.0 + c.d1 * v + c.d2 * v * v);
    ((1.0 - fb) * wood + fb * resistant) / divisor
}

/// A value for each of the three principal directions relative to the wind.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Directional {
    /// Downwind (head).
    pub down: f64,
    /// Sideways (flank), 90° from downwind.
    pub side: f64,
    /// Upwind (back).
    pub up: f64,
}

/// Hamada's time for the fire to advance one pitch (a + d), min, downwind,
/// sideways and upwind.
///
/// `side_m` = a > 0, `gap_m` = d ≥ 0, `wind_m_s` = V ≥ 0,
/// `fire_resistant_share` = f_b in [0, 1]. For V ≥ 0 the results satisfy
/// down < side ≤ up (equality of side and up only at V = 0).
pub fn hamada_times_min(side_m: f64, gap_m: f64, wind_m_s: f64, fire_resistant_share: f64) -> Directional {
    debug_assert!(side_m > 0.0 && gap_m >= 0.0 && wind_m_s >= 0.0);
    debug_assert!((0.0..=1.0).contains(&fire_resistant_share));
    let t = |c| hamada_pitch_time_min(side_m, gap_m, wind_m_s, fire_resistant_share, c);
    Directional {
        down: t(HAMADA_DOWNWIND),
        side: t(HAMADA_SIDEWAYS),
        up: t(HAMADA_UPWIND),
    }
}

/// Hamada's rates of spread (a + d) / T, m/min, downwind, sideways, upwind.
/// Same preconditions as [`hamada_times_min`].
pub fn hamada_spread_rates_m_min(side_m: f64, gap_m: f64, wind_m_s: f64, fire_resistant_share: f64) -> Directional {
    let t = hamada_times_min(side_m, gap_m, wind_m_s, fire_resistant_share);
    let pitch_m = side_m + gap_m;
    Directional {
        down: pitch_m / t.down,
        side: pitch_m / t.side,
        up: pitch_m / t.up,
    }
}

/// Rate of spread at `angle_from_downwind_rad` from the downwind direction,
/// blended between `rates` (m/min in, m/min out) as in firebench: a
/// focus-centred ellipse over the downwind half, a centre-centred ellipse over
/// the upwind half (equations in the module doc). Exact at 0, ±π/2 and π.
///
/// Requires `down > 0`, `side > 0`, `up > 0` and `2·down > side` (true of all
/// Hamada rates, for which down > side).
pub fn spread_rate_at_angle(rates: Directional, angle_from_downwind_rad: f64) -> f64 {
    let k = angle_from_downwind_rad.cos().clamp(-1.0, 1.0);
    let Directional { down, side, up } = rates;
    if k >= 0.0 {
        let e = (down - side) / down;
        let semi_major = down * down / (2.0 * down - side);
        semi_major * (1.0 - e * e) / (1.0 - e * k)
    } else {
        side * up / (up * up * (1.0 - k * k) + side * side * k * k).sqrt()
    }
}

/// Rate of spread (m/min) in direction `(east, north)` for a block with Hamada
/// `rates` under `wind`: [`spread_rate_at_angle`] when there is wind, the
/// downwind rate in every direction when calm (firebench's convention).
pub fn directional_rate_m_min(rates: Directional, wind: Wind, east: f64, north: f64) -> f64 {
    if wind.speed_m_s <= 0.0 {
        return rates.down;
    }
    let angle = wind.cos_from_downwind(east, north).acos();
    spread_rate_at_angle(rates, angle)
}

/// Built-up land in one block cell: uniform square buildings on a square lattice.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BuildingBlock {
    /// Building side a, m (> 0).
    pub side_m: f64,
    /// Gap between buildings d, m (≥ 0).
    pub gap_m: f64,
    /// Share of fire-resistant buildings f_b, in [0, 1].
    pub fire_resistant_share: f64,
}

impl BuildingBlock {
    /// Share of the ground covered by buildings, (a / (a + d))².
    pub fn built_fraction(&self) -> f64 {
        let f = self.side_m / (self.side_m + self.gap_m);
        f * f
    }

    fn check(&self, i: usize, j: usize) -> Result<(), FireError> {
        let problem = if !(self.side_m.is_finite() && self.side_m > 0.0) {
            "building side must be a finite length > 0 m"
        } else if !(self.gap_m.is_finite() && self.gap_m >= 0.0) {
            "gap must be a finite length ≥ 0 m"
        } else if !(0.0..=1.0).contains(&self.fire_resistant_share) {
            "fire-resistant share must be in [0, 1]"
        } else {
            return Ok(());
        };
        Err(FireError::InvalidBlock { i, j, problem })
    }
}

/// One cell of the urban grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Block {
    /// Ground that does not burn: wide streets, squares, parks, water.
    Open,
    /// Buildings.
    Built(BuildingBlock),
}

/// State of one block of an [`UrbanFire`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum BlockState {
    /// [`Block::Open`].
    Unburnable,
    /// Buildings the fire has not reached.
    Unburnt,
    /// On fire.
    Burning {
        /// Simulated time the block caught fire, s.
        since_s: f64,
    },
    /// Burnt out.
    Burnt,
    /// Put out while burning; its pending spread is cancelled.
    Extinguished,
}

/// Default time a block burns, s: 60 min, a planning assumption for a block of
/// low-rise brick-and-timber courtyard houses burning out.
pub const DEFAULT_BLOCK_BURN_S: f64 = 3600.0;

/// Parameters of [`UrbanFire`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UrbanParams {
    /// Wind.
    pub wind: Wind,
    /// Minimum time a block burns, s (> 0); see the module doc.
    pub burn_duration_s: f64,
}

impl Default for UrbanParams {
    fn default() -> Self {
        UrbanParams {
            wind: Wind::CALM,
            burn_duration_s: DEFAULT_BLOCK_BURN_S,
        }
    }
}

/// A candidate ignition of `target` by `source` at `time_s`. Ordered so that a
/// `BinaryHeap` pops the earliest first, ties by lower target then source.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Arrival {
    time_s: f64,
    target: usize,
    source: usize,
}

impl Eq for Arrival {}

impl Ord for Arrival {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time_s
            .total_cmp(&self.time_s)
            .then_with(|| other.target.cmp(&self.target))
            .then_with(|| other.source.cmp(&self.source))
    }
}

impl PartialOrd for Arrival {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Block counts of an [`UrbanFire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UrbanCounts {
    /// Blocks burning now.
    pub burning: usize,
    /// Blocks burnt out.
    pub burnt: usize,
    /// Blocks put out by teams.
    pub extinguished: usize,
}

/// Urban conflagration over a grid of blocks, Hamada rates, earliest arrival.
///
/// Deterministic (no randomness). See the module doc for the model.
#[derive(Debug, Clone)]
pub struct UrbanFire {
    blocks: Grid<Block>,
    params: UrbanParams,
    /// Rate of spread of each built block towards each of [`NEIGHBOURS`] under
    /// the current wind, m/min.
    rates: Vec<Option<[f64; 8]>>,
    now_s: f64,
    ignition_s: Vec<f64>,
    burn_end_s: Vec<f64>,
    extinguished_s: Vec<f64>,
    queue: BinaryHeap<Arrival>,
    /// Ignited, not extinguished, `burn_end_s > now_s` at the last update; increasing.
    active: Vec<usize>,
    ignited: usize,
    extinguished: usize,
}

impl UrbanFire {
    /// A fire-free city of `blocks` at time 0.
    ///
    /// # Errors
    /// [`FireError::InvalidBlock`] for the first impossible block (in grid
    /// order); [`FireError::InvalidParameter`] for a bad wind, burn duration or
    /// cell size.
    pub fn new(blocks: Grid<Block>, params: UrbanParams) -> Result<Self, FireError> {
        check_cell_size(blocks.dx)?;
        params.wind.check()?;
        let d = params.burn_duration_s;
        check_param("burn_duration_s", d, d > 0.0, "a duration > 0 s")?;
        for (k, b) in blocks.data.iter().enumerate() {
            if let Block::Built(bb) = b {
                bb.check(k % blocks.nx, k / blocks.nx)?;
            }
        }
        let n = blocks.data.len();
        Ok(UrbanFire {
            rates: block_rates(&blocks, params.wind),
            blocks,
            params,
            now_s: 0.0,
            ignition_s: vec![f64::INFINITY; n],
            burn_end_s: vec![f64::INFINITY; n],
            extinguished_s: vec![f64::INFINITY; n],
            queue: BinaryHeap::new(),
            active: Vec::new(),
            ignited: 0,
            extinguished: 0,
        })
    }

    /// Simulated time, s.
    pub fn now_s(&self) -> f64 {
        self.now_s
    }

    /// Parameters in force.
    pub fn params(&self) -> &UrbanParams {
        &self.params
    }

    /// The blocks.
    pub fn blocks(&self) -> &Grid<Block> {
        &self.blocks
    }

    /// Ignite built, unignited block (i, j) now. Returns whether it caught fire.
    pub fn ignite(&mut self, i: usize, j: usize) -> bool {
        if i >= self.blocks.nx || j >= self.blocks.ny {
            return false;
        }
        let b = self.blocks.idx(i, j);
        if self.rates[b].is_none() || self.ignition_s[b].is_finite() {
            return false;
        }
        self.ignite_at(b, self.now_s);
        let now = self.now_s;
        self.refresh_active(now);
        true
    }

    /// Run the fire up to `until_s` (no-op if `until_s ≤ now` or not finite): release every
    /// arrival due by then in time order, ignite its block and schedule that
    /// block's neighbours. O(k log q) for k arrivals released, q queued.
    pub fn advance(&mut self, until_s: f64) {
        if !until_s.is_finite() || until_s <= self.now_s {
            return;
        }
        while let Some(next) = self.queue.peek().copied() {
            if next.time_s > until_s {
                break;
            }
            self.queue.pop();
            let already = self.ignition_s[next.target].is_finite();
            let source_out = self.extinguished_s[next.source] <= next.time_s;
            if !already && !source_out {
                self.ignite_at(next.target, next.time_s);
            }
        }
        self.now_s = until_s;
        self.refresh_active(until_s);
    }

    fn ignite_at(&mut self, b: usize, t_s: f64) {
        self.ignition_s[b] = t_s;
        self.ignited += 1;
        self.active.push(b);
        let mut longest_s: f64 = 0.0;
        for (k, &(di, dj)) in NEIGHBOURS.iter().enumerate() {
            let Some(n) = neighbour_index(self.blocks.nx, self.blocks.ny, b, di, dj) else {
                continue;
            };
            if self.rates[n].is_none() || self.ignition_s[n].is_finite() {
                continue;
            }
            let delay_s = self.travel_s(b, n, k);
            longest_s = longest_s.max(delay_s);
            self.queue.push(Arrival {
                time_s: t_s + delay_s,
                target: n,
                source: b,
            });
        }
        self.burn_end_s[b] = t_s + self.params.burn_duration_s.max(longest_s);
    }

    /// Travel time from the centre of block `a` to its neighbour `n` in
    /// direction `NEIGHBOURS[k]`: half the distance at each block's rate, s.
    fn travel_s(&self, a: usize, n: usize, k: usize) -> f64 {
        let (di, dj) = NEIGHBOURS[k];
        let half_m = 0.5 * self.blocks.dx * neighbour_distance_cells(di, dj);
        let rate = |b: usize| self.rates[b].expect("invariant: only built blocks spread fire")[k];
        60.0 * (half_m / rate(a) + half_m / rate(n))
    }

    fn refresh_active(&mut self, now_s: f64) {
        let (end, ext) = (&self.burn_end_s, &self.extinguished_s);
        self.active.retain(|&b| end[b] > now_s && ext[b].is_infinite());
        self.active.sort_unstable();
        self.active.dedup();
    }

    /// Change the wind now. Fronts already travelling between blocks keep the
    /// share of their way already covered and finish the rest at the new rate;
    /// burn-out times are only ever extended.
    ///
    /// # Errors
    /// [`FireError::InvalidParameter`] for a negative or non-finite wind; the
    /// old wind stays.
    pub fn set_wind(&mut self, wind: Wind) -> Result<(), FireError> {
        wind.check()?;
        let old_queue = std::mem::take(&mut self.queue).into_sorted_vec();
        // Delays under the old wind, for the share of the way still to go.
        let old_delays: Vec<(Arrival, f64)> = old_queue
            .into_iter()
            .map(|a| (a, a.time_s - self.ignition_s[a.source]))
            .collect();
        self.params.wind = wind;
        self.rates = block_rates(&self.blocks, wind);
        let now = self.now_s;
        for (a, old_delay_s) in old_delays {
            if self.ignition_s[a.target].is_finite() || self.extinguished_s[a.source].is_finite() {
                continue;
            }
            let k = self.direction_index(a.source, a.target);
            let left = if old_delay_s > 0.0 {
                ((a.time_s - now) / old_delay_s).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let time_s = now + left * self.travel_s(a.source, a.target, k);
            self.burn_end_s[a.source] = self.burn_end_s[a.source].max(time_s);
            self.queue.push(Arrival { time_s, ..a });
        }
        Ok(())
    }

    /// Index in [`NEIGHBOURS`] of the direction from block `from` to its neighbour `to`.
    fn direction_index(&self, from: usize, to: usize) -> usize {
        let nx = self.blocks.nx;
        let di = (to % nx) as isize - (from % nx) as isize;
        let dj = (to / nx) as isize - (from / nx) as isize;
        NEIGHBOURS
            .iter()
            .position(|&d| d == (di, dj))
            .expect("invariant: arrivals are between neighbours")
    }

    /// State of block (i, j) now.
    ///
    /// # Panics
    /// If (i, j) is outside the grid.
    pub fn state_at(&self, i: usize, j: usize) -> BlockState {
        self.state_of(self.blocks.idx(i, j))
    }

    fn state_of(&self, b: usize) -> BlockState {
        if self.rates[b].is_none() {
            BlockState::Unburnable
        } else if self.ignition_s[b] > self.now_s {
            BlockState::Unburnt
        } else if self.extinguished_s[b] <= self.now_s {
            BlockState::Extinguished
        } else if self.burn_end_s[b] > self.now_s {
            BlockState::Burning {
                since_s: self.ignition_s[b],
            }
        } else {
            BlockState::Burnt
        }
    }

    /// States of all blocks now.
    pub fn states(&self) -> Grid<BlockState> {
        let mut g = Grid::like(&self.blocks, BlockState::Unburnable);
        for (b, s) in g.data.iter_mut().enumerate() {
            *s = self.state_of(b);
        }
        g
    }

    /// Time block (i, j) caught fire, s, if it has by now.
    ///
    /// # Panics
    /// If (i, j) is outside the grid.
    pub fn ignition_time_s(&self, i: usize, j: usize) -> Option<f64> {
        let t = self.ignition_s[self.blocks.idx(i, j)];
        (t <= self.now_s).then_some(t)
    }

    /// Blocks burning now, in grid-index order.
    pub fn burning_blocks(&self) -> Vec<(usize, usize)> {
        let nx = self.blocks.nx;
        self.active.iter().map(|&b| (b % nx, b / nx)).collect()
    }

    /// Block counts (O(1)).
    pub fn counts(&self) -> UrbanCounts {
        let burning = self.active.len();
        UrbanCounts {
            burning,
            burnt: self.ignited - burning - self.extinguished,
            extinguished: self.extinguished,
        }
    }

    /// Ground area of the blocks burning now, m² (whole cells).
    pub fn burning_area_m2(&self) -> f64 {
        self.counts().burning as f64 * self.blocks.cell_area()
    }

    /// Ground area of the blocks whose fire is over (burnt or extinguished), m².
    pub fn burnt_area_m2(&self) -> f64 {
        let c = self.counts();
        (c.burnt + c.extinguished) as f64 * self.blocks.cell_area()
    }

    /// Ground area of all blocks the fire has reached, m².
    pub fn fire_area_m2(&self) -> f64 {
        self.ignited as f64 * self.blocks.cell_area()
    }

    /// Floor-plan area of buildings the fire has reached, m²:
    /// Σ cell area × (a / (a + d))².
    pub fn building_area_reached_m2(&self) -> f64 {
        let cell = self.blocks.cell_area();
        (0..self.blocks.data.len())
            .filter(|&b| self.ignition_s[b] <= self.now_s)
            .map(|b| cell * self.built_fraction(b))
            .sum()
    }

    fn built_fraction(&self, b: usize) -> f64 {
        match self.blocks.data[b] {
            Block::Built(bb) => bb.built_fraction(),
            Block::Open => 0.0,
        }
    }

    /// Put out block (i, j) now if it is burning; it stops spreading and never
    /// burns again. Returns whether it was burning.
    pub fn extinguish(&mut self, i: usize, j: usize) -> bool {
        if i >= self.blocks.nx || j >= self.blocks.ny {
            return false;
        }
        let b = self.blocks.idx(i, j);
        if !matches!(self.state_of(b), BlockState::Burning { .. }) {
            return false;
        }
        self.extinguished_s[b] = self.now_s;
        self.extinguished += 1;
        if let Ok(pos) = self.active.binary_search(&b) {
            self.active.remove(pos);
        }
        true
    }

    /// Put out at most `max_blocks` of the burning blocks among `cells`, in the
    /// order given. Returns how many were put out.
    pub fn extinguish_blocks(&mut self, cells: &[(usize, usize)], max_blocks: usize) -> usize {
        let mut done = 0;
        for &(i, j) in cells {
            if done == max_blocks {
                break;
            }
            if self.extinguish(i, j) {
                done += 1;
            }
        }
        done
    }

    /// Let each team, in slice order, work `dt_s` seconds on the burning blocks
    /// in its reach ([`plan_suppression`]); a block costs its building floor
    /// area (cell area × (a/(a+d))²). Updates each team's credit. Returns the
    /// number of blocks put out.
    pub fn apply_teams(&mut self, teams: &mut [SuppressionTeam], dt_s: f64) -> usize {
        let cell = self.blocks.cell_area();
        let mut total = 0;
        for team in teams.iter_mut() {
            let front: Vec<FrontCell> = self
                .burning_blocks()
                .into_iter()
                .filter(|&c| team.reaches(c))
                .map(|c| FrontCell {
                    cell: c,
                    area_m2: cell * self.built_fraction(self.blocks.idx(c.0, c.1)),
                })
                .collect();
            let plan = plan_suppression(team, &front, dt_s);
            team.credit_m2 = plan.credit_m2;
            for (i, j) in plan.cells {
                total += usize::from(self.extinguish(i, j));
            }
        }
        total
    }
}

impl PartialEq for UrbanFire {
    /// Equal blocks, parameters, clock, fire history and pending arrivals.
    fn eq(&self, other: &Self) -> bool {
        let sorted = |q: &BinaryHeap<Arrival>| q.clone().into_sorted_vec();
        self.blocks == other.blocks
            && self.params == other.params
            && self.now_s == other.now_s
            && self.ignition_s == other.ignition_s
            && self.burn_end_s == other.burn_end_s
            && self.extinguished_s == other.extinguished_s
            && self.active == other.active
            && sorted(&self.queue) == sorted(&other.queue)
    }
}

/// Each built block's rate of spread towards each of [`NEIGHBOURS`], m/min.
fn block_rates(blocks: &Grid<Block>, wind: Wind) -> Vec<Option<[f64; 8]>> {
    let v = wind.speed_m_s;
    let towards_neighbours = |bb: &BuildingBlock| {
        let rates = hamada_spread_rates_m_min(bb.side_m, bb.gap_m, v, bb.fire_resistant_share);
        NEIGHBOURS.map(|(di, dj)| directional_rate_m_min(rates, wind, di as f64, dj as f64))
    };
    blocks
        .data
        .iter()
        .map(|b| match b {
            Block::Open => None,
            Block::Built(bb) => Some(towards_neighbours(bb)),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// 3. Suppression by fire teams
// ---------------------------------------------------------------------------

/// Planning assumption: area of burning wheat stubble / grass one fire engine
/// crew (pumper, 2 hose lines, 6 crew) knocks down per hour, m². 1 ha/h; not
/// from a published source — calibrate in drills.
pub const ENGINE_CREW_CROPLAND_M2_PER_H: f64 = 10_000.0;

/// Planning assumption: area of burning woodland / thicket a 20-person hand
/// crew with beaters and blowers puts out per hour, m². 0.3 ha/h; not from a
/// published source — calibrate in drills.
pub const HAND_CREW_WOODLAND_M2_PER_H: f64 = 3_000.0;

/// Planning assumption: building floor area one urban engine company (2
/// attack lines, ≈ 1.9 m³/min) brings under control per hour, m². Rough figure
/// from the NFA fire-flow rule of thumb (needed flow, US gal/min ≈ involved
/// area, ft² / 3, i.e. ≈ 140 m² per 1.9 m³/min) at about 15 min per knockdown;
/// verify.
pub const ENGINE_COMPANY_URBAN_M2_PER_H: f64 = 600.0;

/// A fire team working on a fire from a cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SuppressionTeam {
    /// Cell (i, j) the team works from.
    pub at: (usize, usize),
    /// How far it works, cells (Chebyshev distance; 1 = the 8 neighbours).
    pub reach_cells: usize,
    /// Capacity, m² of fire per hour (see the `*_M2_PER_H` constants).
    pub rate_m2_per_h: f64,
    /// Work done on the next cell but not yet enough to put it out, m².
    pub credit_m2: f64,
}

impl SuppressionTeam {
    /// A team at `at` with reach `reach_cells` and capacity `rate_m2_per_h`, no credit.
    pub fn new(at: (usize, usize), reach_cells: usize, rate_m2_per_h: f64) -> Self {
        SuppressionTeam {
            at,
            reach_cells,
            rate_m2_per_h,
            credit_m2: 0.0,
        }
    }

    /// Whether `cell` is within the team's reach.
    pub fn reaches(&self, cell: (usize, usize)) -> bool {
        self.at.0.abs_diff(cell.0) <= self.reach_cells && self.at.1.abs_diff(cell.1) <= self.reach_cells
    }
}

/// A burning cell a team could work on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FrontCell {
    /// Cell (i, j).
    pub cell: (usize, usize),
    /// Area to put out, m².
    pub area_m2: f64,
}

/// What a team does in one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuppressionPlan {
    /// Cells to put out, nearest first.
    pub cells: Vec<(usize, usize)>,
    /// The team's credit after the step, m².
    pub credit_m2: f64,
}

/// Which of the `front` cells `team` puts out in `dt_s` seconds.
///
/// The team's credit grows by `rate_m2_per_h · dt_s / 3600`; the cells within
/// reach are taken nearest first (squared Euclidean distance in cells; ties by
/// lower row j, then lower column i), each costing its `area_m2`, until the
/// next one costs more than the credit left. The rest of the credit is kept
/// for that next cell; if every cell in reach was put out, it is dropped (a
/// team cannot bank idle time). Pure; O(n log n) for n front cells.
pub fn plan_suppression(team: &SuppressionTeam, front: &[FrontCell], dt_s: f64) -> SuppressionPlan {
    let mut in_reach: Vec<&FrontCell> = front.iter().filter(|f| team.reaches(f.cell)).collect();
    let (ti, tj) = team.at;
    in_reach.sort_by_key(|f| {
        let (di, dj) = (f.cell.0.abs_diff(ti), f.cell.1.abs_diff(tj));
        (di * di + dj * dj, f.cell.1, f.cell.0)
    });
    let mut credit_m2 = team.credit_m2 + team.rate_m2_per_h.max(0.0) * dt_s.max(0.0) / 3600.0;
    let mut cells = Vec::new();
    for f in &in_reach {
        if f.area_m2 > credit_m2 {
            return SuppressionPlan { cells, credit_m2 };
        }
        credit_m2 -= f.area_m2;
        cells.push(f.cell);
    }
    SuppressionPlan { cells, credit_m2: 0.0 }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    const SEEDS: u64 = 200;

    fn uniform_fuel(n: usize, fuel: Fuel) -> Grid<Option<Fuel>> {
        Grid::filled(n, n, 30.0, 0.0, 0.0, Some(fuel))
    }

    /// Per-seed fire shape around the ignition (i0, j0): farthest reach east,
    /// west, north, south (cells), then the number of reached cells strictly
    /// east, west, north and south of it.
    type Shape = [f64; 8];
    const EAST: usize = 0;
    const WEST: usize = 1;
    const NORTH: usize = 2;
    const SOUTH: usize = 3;
    /// Offset from an extent index to the matching area index.
    const AREA: usize = 4;

    fn shape(ca: &WildfireCa, i0: usize, j0: usize) -> Shape {
        let s = ca.state();
        let mut out = [0usize; 8];
        for j in 0..s.ny {
            for i in 0..s.nx {
                if !s.at(i, j).was_reached() {
                    continue;
                }
                let d = [
                    i.saturating_sub(i0),
                    i0.saturating_sub(i),
                    j.saturating_sub(j0),
                    j0.saturating_sub(j),
                ];
                for (k, dk) in d.into_iter().enumerate() {
                    out[k] = out[k].max(dk);
                    out[AREA + k] += usize::from(dk > 0);
                }
            }
        }
        out.map(|x| x as f64)
    }

    /// Mean and standard error of a sample.
    fn mean_se(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, (var / n).sqrt())
    }

    /// Run `steps` steps from a centre ignition for each of [`SEEDS`] seeds.
    fn run_shapes(ca0: &WildfireCa, steps: usize) -> Vec<Shape> {
        let c = ca0.state().nx / 2;
        (0..SEEDS)
            .map(|seed| {
                let mut ca = ca0.clone();
                assert!(ca.ignite(c, c));
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                for _ in 0..steps {
                    ca.step(&mut rng);
                }
                shape(&ca, c, c)
            })
            .collect()
    }

    /// Mean of column `k` over seeds.
    fn mean_of(shapes: &[Shape], k: usize) -> f64 {
        mean_se(&shapes.iter().map(|s| s[k]).collect::<Vec<_>>()).0
    }

    /// Mean and standard error of the per-seed difference s[a] − s[b] (paired:
    /// both sides come from the same fire).
    fn paired(shapes: &[Shape], a: usize, b: usize) -> (f64, f64) {
        mean_se(&shapes.iter().map(|s| s[a] - s[b]).collect::<Vec<_>>())
    }

    /// Assert that sides `a` and `b` agree within 3 standard errors, in extent
    /// and in area.
    fn assert_symmetric(shapes: &[Shape], a: usize, b: usize, what: &str) {
        for (off, kind) in [(0, "extent"), (AREA, "area")] {
            let (m, se) = paired(shapes, a + off, b + off);
            let (ma, mb) = (mean_of(shapes, a + off), mean_of(shapes, b + off));
            eprintln!("{what} {kind}: {ma:.2} vs {mb:.2} cells, difference {m:.3} ± {se:.3} (1 se)");
            assert!(m.abs() < 3.0 * se.max(1e-9), "{what} {kind}: difference {m} vs se {se}");
        }
    }

    /// Assert that side `a` clearly beats side `b`: the area difference is over
    /// 10 standard errors and the area ratio over `ratio`; extents are ordered.
    fn assert_favoured(shapes: &[Shape], a: usize, b: usize, ratio: f64, what: &str) {
        let (m_ext, se_ext) = paired(shapes, a, b);
        let (m, se) = paired(shapes, a + AREA, b + AREA);
        let (area_a, area_b) = (mean_of(shapes, a + AREA), mean_of(shapes, b + AREA));
        let (ext_a, ext_b) = (mean_of(shapes, a), mean_of(shapes, b));
        eprintln!(
            "{what}: extent {ext_a:.2} vs {ext_b:.2} cells ({m_ext:.2} ± {se_ext:.3}); \
             area {area_a:.1} vs {area_b:.1} cells ({m:.1} ± {se:.2})"
        );
        assert!(
            m > 10.0 * se && area_a > ratio * area_b,
            "{what}: area {area_a} vs {area_b}"
        );
        assert!(m_ext > 3.0 * se_ext, "{what}: extent {ext_a} vs {ext_b}");
    }

    /// Test 1. No wind, flat, uniform grass: east vs west and north vs south,
    /// in farthest extent and in burnt cells, agree within 3 standard errors
    /// of the paired per-seed difference. The seeds are fixed, so the test is
    /// deterministic; were the model unbiased, a 3-se bound would be exceeded
    /// by chance in 0.3 % of seed sets per comparison, while a real bias of
    /// one cell in extent (≈ 10 se here) would fail it.
    #[test]
    fn calm_flat_spread_is_symmetric() {
        let ca = WildfireCa::flat(uniform_fuel(61, Fuel::GRASS), CaParams::default()).unwrap();
        let shapes = run_shapes(&ca, 25);
        assert!(mean_of(&shapes, EAST) > 10.0, "the fire should spread");
        assert_symmetric(&shapes, EAST, WEST, "calm east/west");
        assert_symmetric(&shapes, NORTH, SOUTH, "calm north/south");
    }

    /// Test 2. A westerly wind (from 270°) of 8 m/s: the fire spreads clearly
    /// farther east (downwind) than west; north and south (crosswind) agree.
    #[test]
    fn wind_drives_spread_downwind() {
        let params = CaParams {
            wind: Wind {
                speed_m_s: 8.0,
                from_deg: 270.0,
            },
            ..CaParams::default()
        };
        let ca = WildfireCa::flat(uniform_fuel(61, Fuel::GRASS), params).unwrap();
        let shapes = run_shapes(&ca, 25);
        assert_favoured(&shapes, EAST, WEST, 3.0, "wind downwind/upwind");
        assert_symmetric(&shapes, NORTH, SOUTH, "wind crosswind");
    }

    /// Test 3. A pine patch inside a one-cell unburnable ring: no cell outside
    /// the ring ever burns, for 200 seeds, even with a strong wind.
    #[test]
    fn firebreak_ring_holds() {
        let n = 30;
        let dense_pine = Fuel {
            vegetation: Vegetation::Forest,
            density: Density::Dense,
        };
        let mut fuel = uniform_fuel(n, dense_pine);
        let (lo, hi) = (10, 19); // ring on rows/columns 10 and 19, patch inside
        let inside = |i: usize, j: usize| i > lo && i < hi && j > lo && j < hi;
        for j in lo..=hi {
            for i in lo..=hi {
                if !inside(i, j) {
                    *fuel.at_mut(i, j) = None;
                }
            }
        }
        let params = CaParams {
            wind: Wind {
                speed_m_s: 12.0,
                from_deg: 225.0,
            },
            burn_steps: 3,
            ..CaParams::default()
        };
        let ca0 = WildfireCa::flat(fuel, params).unwrap();
        let mut reached_inside = 0;
        for seed in 0..SEEDS {
            let mut ca = ca0.clone();
            ca.ignite(14, 14);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            for _ in 0..40 {
                ca.step(&mut rng);
            }
            let s = ca.state();
            for j in 0..n {
                for i in 0..n {
                    let outside = i < lo || i > hi || j < lo || j > hi;
                    if outside {
                        assert_eq!(*s.at(i, j), CellState::Fuel, "seed {seed}: ({i}, {j}) burnt");
                    }
                }
            }
            reached_inside += ca.counts().reached();
        }
        assert!(reached_inside > SEEDS as usize * 40, "the patch itself should burn");
    }

    /// Test 4. Four crews arriving after 7 steps contain the fire, it stays
    /// out (state frozen for 100 more steps), and without teams — or with one
    /// weak crew — the same seeds burn far more (those fires run to the edge
    /// of the 61 × 61 grid within the 40 steps).
    #[test]
    fn teams_contain_fire() {
        let ca0 = WildfireCa::flat(uniform_fuel(61, Fuel::GRASS), CaParams::default()).unwrap();
        let cells_per_step_to_m2_h = |cells: f64| cells * ca0.state().cell_area() * 3600.0 / ca0.params().step_s;
        let run = |seed: u64, mut teams: Vec<SuppressionTeam>| {
            let mut ca = ca0.clone();
            ca.ignite(30, 30);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            for t in 0..40 {
                ca.step(&mut rng);
                if t >= 6 {
                    ca.apply_teams(&mut teams);
                }
            }
            ca
        };
        let strong = cells_per_step_to_m2_h(8.0);
        let four: Vec<SuppressionTeam> = [(26, 30), (34, 30), (30, 26), (30, 34)]
            .into_iter()
            .map(|at| SuppressionTeam::new(at, 12, strong))
            .collect();
        let weak = vec![SuppressionTeam::new((30, 30), 12, cells_per_step_to_m2_h(3.0))];
        for seed in 0..20 {
            let contained = run(seed, four.clone());
            assert_eq!(contained.counts().burning, 0, "seed {seed}: still burning");
            assert!(contained.counts().extinguished > 0);
            let mut later = contained.clone();
            let mut rng = ChaCha8Rng::seed_from_u64(seed + 1000);
            for _ in 0..100 {
                later.step(&mut rng);
            }
            assert_eq!(later.state(), contained.state(), "seed {seed}: fire came back");
            let put_out: Vec<(usize, usize)> = (0..61 * 61)
                .map(|k| (k % 61, k / 61))
                .filter(|&(i, j)| *later.state().at(i, j) == CellState::Extinguished)
                .collect();
            assert_eq!(put_out.len(), contained.counts().extinguished);
            assert!(
                put_out.iter().all(|&(i, j)| !later.ignite(i, j)),
                "extinguished cells cannot reignite"
            );
            for other in [run(seed, Vec::new()), run(seed, weak.clone())] {
                assert!(
                    other.fire_area_m2() > 3.0 * contained.fire_area_m2(),
                    "seed {seed}: {} m² with four crews, {} m² otherwise",
                    contained.fire_area_m2(),
                    other.fire_area_m2()
                );
            }
        }
    }

    /// Test 5. Ground rising 10° northward: the fire spreads clearly farther
    /// uphill (north) than downhill; east and west (across the slope) agree.
    #[test]
    fn fire_runs_uphill() {
        let fuel = uniform_fuel(61, Fuel::GRASS);
        let mut elevation = Grid::like(&fuel, 0.0);
        let rise_per_row_m = fuel.dx * 10f64.to_radians().tan();
        for j in 0..elevation.ny {
            for i in 0..elevation.nx {
                *elevation.at_mut(i, j) = j as f64 * rise_per_row_m;
            }
        }
        let ca = WildfireCa::new(fuel, elevation, CaParams::default()).unwrap();
        let shapes = run_shapes(&ca, 25);
        assert_favoured(&shapes, NORTH, SOUTH, 1.2, "slope uphill/downhill");
        assert_symmetric(&shapes, EAST, WEST, "slope across");
    }

    /// The probability formula against hand-computed values.
    #[test]
    fn burn_probability_matches_paper_formula() {
        let p = CaParams::default();
        assert!((burn_probability(&p, Fuel::GRASS, 1, 0, 0.0, 30.0) - 0.58).abs() < 1e-12);
        let crop = Fuel {
            vegetation: Vegetation::Agriculture,
            density: Density::Sparse,
        };
        let expected = 0.58 * 0.7 * 0.6;
        assert!((burn_probability(&p, crop, 1, 1, 0.0, 30.0) - expected).abs() < 1e-12);
        // Westerly 5 m/s, spreading north (90° from downwind).
        let windy = CaParams {
            wind: Wind {
                speed_m_s: 5.0,
                from_deg: 270.0,
            },
            ..p
        };
        let pw = (0.045f64 * 5.0).exp() * (5.0 * 0.131 * (0.0 - 1.0f64)).exp();
        assert!((burn_probability(&windy, Fuel::GRASS, 0, 1, 0.0, 30.0) - 0.58 * pw).abs() < 1e-12);
        // Diagonal uphill: θs = atan(ΔE / (√2 l)).
        let rise = 5.0;
        let ps = (0.078 * (rise / (30.0 * 2f64.sqrt())).atan().to_degrees()).exp();
        assert!((burn_probability(&p, Fuel::GRASS, 1, 1, rise, 30.0) - 0.58 * ps).abs() < 1e-12);
        // Capped at 1.
        let pine = Fuel {
            vegetation: Vegetation::Forest,
            density: Density::Dense,
        };
        assert_eq!(burn_probability(&windy, pine, 1, 0, 0.0, 30.0), 1.0);
    }

    /// The automaton's own probabilities equal [`burn_probability`] in every
    /// direction, on rough terrain with mixed fuels and wind.
    #[test]
    fn automaton_uses_the_formula() {
        let mut fuel = uniform_fuel(5, Fuel::GRASS);
        let kinds = [Vegetation::Agriculture, Vegetation::GrassThicket, Vegetation::Forest];
        let dens = [Density::Sparse, Density::Normal, Density::Dense];
        for (k, f) in fuel.data.iter_mut().enumerate() {
            *f = Some(Fuel {
                vegetation: kinds[k % 3],
                density: dens[(k / 3) % 3],
            });
        }
        *fuel.at_mut(0, 0) = None;
        let mut elevation = Grid::like(&fuel, 0.0);
        for (k, e) in elevation.data.iter_mut().enumerate() {
            *e = ((k * 37) % 11) as f64 * 1.7;
        }
        let params = CaParams {
            wind: Wind {
                speed_m_s: 3.5,
                from_deg: 300.0,
            },
            ..CaParams::default()
        };
        let ca = WildfireCa::new(fuel.clone(), elevation.clone(), params).unwrap();
        let (ci, cj) = (2usize, 2usize);
        for (di, dj) in NEIGHBOURS {
            let (ni, nj) = (ci.checked_add_signed(di).unwrap(), cj.checked_add_signed(dj).unwrap());
            let rise = elevation.at(ni, nj) - elevation.at(ci, cj);
            let expected = burn_probability(&params, fuel.at(ni, nj).unwrap(), di, dj, rise, fuel.dx);
            let got = ca.ignition_probability((ci, cj), (ni, nj)).unwrap();
            assert!(
                (got - expected).abs() < 1e-12,
                "direction ({di}, {dj}): {got} vs {expected}"
            );
        }
        assert_eq!(ca.ignition_probability((1, 1), (0, 0)), None, "no fuel");
        assert_eq!(ca.ignition_probability((1, 1), (3, 1)), None, "not a neighbour");
        assert_eq!(ca.ignition_probability((4, 4), (5, 5)), None, "outside");
    }

    #[test]
    fn wind_from_convention() {
        let westerly = Wind {
            speed_m_s: 3.0,
            from_deg: 270.0,
        };
        let (e, n) = westerly.downwind_unit();
        assert!((e - 1.0).abs() < 1e-12 && n.abs() < 1e-12, "a westerly blows east");
        let northerly = Wind {
            speed_m_s: 3.0,
            from_deg: 0.0,
        };
        assert!(
            (northerly.cos_from_downwind(0.0, -1.0) - 1.0).abs() < 1e-12,
            "a northerly blows south"
        );
    }

    #[test]
    fn burn_steps_and_clock() {
        let params = CaParams {
            burn_steps: 3,
            step_s: 30.0,
            ..CaParams::default()
        };
        let mut fuel = uniform_fuel(3, Fuel::GRASS);
        fuel.data.iter_mut().for_each(|f| *f = None);
        *fuel.at_mut(1, 1) = Some(Fuel::GRASS);
        let mut ca = WildfireCa::flat(fuel, params).unwrap();
        assert!(ca.ignite(1, 1) && !ca.ignite(1, 1) && !ca.ignite(0, 0) && !ca.ignite(5, 5));
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for k in 1..=3 {
            assert!(ca.state().at(1, 1).is_burning(), "burning before step {k}");
            ca.step(&mut rng);
        }
        assert_eq!(*ca.state().at(1, 1), CellState::Burnt);
        assert_eq!(ca.time_s(), 90.0);
        assert_eq!(
            ca.counts(),
            CaCounts {
                burning: 0,
                burnt: 1,
                extinguished: 0
            }
        );
        assert_eq!(ca.burnt_area_m2(), 900.0);
    }

    #[test]
    fn bad_input_is_refused() {
        let fuel = uniform_fuel(4, Fuel::GRASS);
        let small = Grid::filled(3, 4, 30.0, 0.0, 0.0, 0.0);
        assert!(matches!(
            WildfireCa::new(fuel.clone(), small, CaParams::default()),
            Err(FireError::ShapeMismatch { what: "elevation", .. })
        ));
        let bad = CaParams {
            step_s: 0.0,
            ..CaParams::default()
        };
        let err = WildfireCa::flat(fuel.clone(), bad).unwrap_err();
        assert!(err.to_string().contains("step_s"), "{err}");
        let mut ca = WildfireCa::flat(fuel, CaParams::default()).unwrap();
        assert!(
            ca.set_wind(Wind {
                speed_m_s: f64::NAN,
                from_deg: 0.0
            })
            .is_err()
        );
        let blocks = Grid::filled(2, 2, 50.0, 0.0, 0.0, Block::Built(block(10.0, -1.0, 0.4)));
        assert!(matches!(
            UrbanFire::new(blocks, UrbanParams::default()),
            Err(FireError::InvalidBlock { i: 0, j: 0, .. })
        ));
    }

    /// Test 7. Same seed ⇒ identical state; another seed ⇒ a different one.
    #[test]
    fn same_seed_same_fire() {
        let params = CaParams {
            wind: Wind {
                speed_m_s: 4.0,
                from_deg: 200.0,
            },
            ..CaParams::default()
        };
        let fuel = uniform_fuel(
            81,
            Fuel {
                vegetation: Vegetation::Agriculture,
                density: Density::Dense,
            },
        );
        let ca0 = WildfireCa::flat(fuel, params).unwrap();
        let run = |seed: u64| {
            let mut ca = ca0.clone();
            ca.ignite(40, 40);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut teams = [SuppressionTeam::new((40, 40), 3, ENGINE_CREW_CROPLAND_M2_PER_H)];
            for _ in 0..30 {
                ca.step(&mut rng);
                ca.apply_teams(&mut teams);
            }
            ca
        };
        let (a, b, c) = (run(7), run(7), run(8));
        assert_eq!(a, b);
        assert!(a.counts().reached() > 20);
        assert_ne!(a.state(), c.state());
    }

    // --- Hamada -----------------------------------------------------------

    fn block(side_m: f64, gap_m: f64, fb: f64) -> BuildingBlock {
        BuildingBlock {
            side_m,
            gap_m,
            fire_resistant_share: fb,
        }
    }

    /// Test 6a. DOMAIN.md check value.
    #[test]
    fn hamada_check_value() {
        let t = hamada_times_min(10.0, 5.0, 5.0, 0.4);
        eprintln!("Hamada a=10 d=5 V=5 fb=0.4: T = {t:?} min");
        assert!((t.down - 4.0).abs() < 0.1, "T_down = {}", t.down);
        let r = hamada_spread_rates_m_min(10.0, 5.0, 5.0, 0.4);
        assert!((r.down - 15.0 / t.down).abs() < 1e-12);
    }

    /// firebench's regression values for `Hamada_1` (a = 20, d = 5, V = 1,
    /// f_b = 0.6 and 0.7), m/s.
    #[test]
    fn hamada_matches_firebench_regression() {
        let r = hamada_spread_rates_m_min(20.0, 5.0, 1.0, 0.6);
        assert!(
            (r.down / 60.0 - 0.040_633_342_231_713_82).abs() < 1e-9,
            "{}",
            r.down / 60.0
        );
        assert!(
            (r.up / 60.0 - 0.015_458_558_815_152_377).abs() < 1e-9,
            "{}",
            r.up / 60.0
        );
        let r7 = hamada_spread_rates_m_min(20.0, 5.0, 1.0, 0.7);
        assert!((r7.down / 60.0 - 0.038_711_215_666_327_584).abs() < 1e-9);
    }

    /// Test 6b. down > side > up for V > 0; at V = 0 side = up but down is
    /// faster (what the formulas give; see the module doc).
    #[test]
    fn hamada_direction_order() {
        for fb in [0.0, 0.4, 1.0] {
            for v in [0.5, 1.0, 5.0, 10.0, 20.0] {
                let r = hamada_spread_rates_m_min(10.0, 5.0, v, fb);
                assert!(r.down > r.side && r.side > r.up, "V = {v}, fb = {fb}: {r:?}");
            }
            let calm = hamada_times_min(10.0, 5.0, 0.0, fb);
            assert_eq!(calm.side, calm.up);
            assert!(calm.down < calm.side / 2.0, "fb = {fb}: {calm:?}");
        }
        let calm = hamada_times_min(10.0, 5.0, 0.0, 0.4);
        eprintln!("Hamada a=10 d=5 V=0 fb=0.4: T = {calm:?} min");
    }

    #[test]
    fn ellipse_blend_hits_axes_and_decreases() {
        let r = hamada_spread_rates_m_min(10.0, 5.0, 5.0, 0.4);
        let pi = std::f64::consts::PI;
        assert!((spread_rate_at_angle(r, 0.0) - r.down).abs() < 1e-12);
        assert!((spread_rate_at_angle(r, pi / 2.0) - r.side).abs() < 1e-9);
        assert!((spread_rate_at_angle(r, -pi / 2.0) - r.side).abs() < 1e-9);
        assert!((spread_rate_at_angle(r, pi) - r.up).abs() < 1e-12);
        let mut last = f64::INFINITY;
        for k in 0..=180 {
            let rate = spread_rate_at_angle(r, (k as f64).to_radians());
            assert!(rate <= last + 1e-12, "not decreasing at {k}°");
            last = rate;
        }
        assert_eq!(directional_rate_m_min(r, Wind::CALM, 0.0, -1.0), r.down);
    }

    impl UrbanFire {
        fn advanced(mut self, until_s: f64) -> Self {
            self.advance(until_s);
            self
        }
    }

    fn town(n: usize, wind: Wind) -> UrbanFire {
        let blocks = Grid::filled(n, n, 50.0, 0.0, 0.0, Block::Built(block(10.0, 5.0, 0.4)));
        UrbanFire::new(
            blocks,
            UrbanParams {
                wind,
                ..UrbanParams::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn urban_front_is_faster_downwind() {
        let mut fire = town(
            41,
            Wind {
                speed_m_s: 5.0,
                from_deg: 270.0,
            },
        );
        assert!(fire.ignite(20, 20));
        fire.advance(1.0e9);
        let east = fire.ignition_time_s(30, 20).unwrap();
        let west = fire.ignition_time_s(10, 20).unwrap();
        let north = fire.ignition_time_s(20, 30).unwrap();
        let south = fire.ignition_time_s(20, 10).unwrap();
        eprintln!("urban 10 blocks: east {east:.0} s, north {north:.0}, south {south:.0}, west {west:.0}");
        assert!(east < north && north < west);
        assert!((north - south).abs() < 1e-6 * north);
        // One block downwind: 50 m at the downwind rate.
        let r = hamada_spread_rates_m_min(10.0, 5.0, 5.0, 0.4);
        let one = fire.ignition_time_s(21, 20).unwrap();
        assert!((one - 60.0 * 50.0 / r.down).abs() < 1e-6);
    }

    #[test]
    fn urban_calm_is_isotropic_and_burns_out() {
        let mut fire = town(21, Wind::CALM);
        fire.ignite(10, 10);
        let spread = fire.clone().advanced(1.0e5);
        let at = |i, j| spread.ignition_time_s(i, j).unwrap();
        assert_eq!(at(11, 10), at(9, 10));
        assert_eq!(at(10, 11), at(10, 9));
        assert_eq!(at(11, 10), at(10, 11));
        assert_eq!(at(13, 17), at(3, 7), "mirror images arrive together");
        fire.advance(600.0);
        let t = |i, j| fire.ignition_time_s(i, j);
        assert!(matches!(fire.state_at(10, 10), BlockState::Burning { since_s } if since_s == 0.0));
        // Edge and diagonal neighbours: 50 m and 50√2 m at the calm (downwind) rate.
        let r = hamada_spread_rates_m_min(10.0, 5.0, 0.0, 0.4).down;
        let edge_s = 60.0 * 50.0 / r;
        assert_eq!(t(11, 10), None, "not before {edge_s} s");
        let later = fire.clone().advanced(1.0e6);
        assert!((later.ignition_time_s(11, 10).unwrap() - edge_s).abs() < 1e-9);
        assert!((later.ignition_time_s(11, 11).unwrap() - edge_s * 2f64.sqrt()).abs() < 1e-9);
        fire.advance(1.0e7);
        assert_eq!(
            fire.counts(),
            UrbanCounts {
                burning: 0,
                burnt: 21 * 21,
                extinguished: 0
            }
        );
        assert!((fire.fire_area_m2() - 441.0 * 2500.0).abs() < 1e-6);
        assert!((fire.building_area_reached_m2() - 441.0 * 2500.0 * 4.0 / 9.0).abs() < 1e-3);
    }

    /// A 200 m block under wind takes longer than `burn_duration_s` to pass
    /// the fire sideways; it keeps burning until the front has crossed it.
    #[test]
    fn urban_block_burns_while_front_crosses() {
        let blocks = Grid::filled(3, 3, 200.0, 0.0, 0.0, Block::Built(block(10.0, 5.0, 0.4)));
        let wind = Wind {
            speed_m_s: 5.0,
            from_deg: 270.0,
        };
        let mut fire = UrbanFire::new(
            blocks,
            UrbanParams {
                wind,
                burn_duration_s: 3600.0,
            },
        )
        .unwrap();
        fire.ignite(1, 1);
        let side_s = 60.0 * 200.0 / hamada_spread_rates_m_min(10.0, 5.0, 5.0, 0.4).side;
        assert!(side_s > 2.0 * 3600.0);
        fire.advance(side_s - 1.0);
        assert!(
            fire.state_at(1, 1) != BlockState::Burnt,
            "still crossing at {} s",
            side_s - 1.0
        );
        assert_eq!(fire.state_at(1, 2), BlockState::Unburnt);
        fire.advance(side_s + 1.0);
        assert!(fire.state_at(1, 2) != BlockState::Unburnt);
        fire.advance(1.0e6);
        assert_eq!(fire.counts().burnt, 9);
    }

    #[test]
    fn urban_open_strip_is_a_firebreak() {
        let n = 21;
        let mut blocks = Grid::filled(n, n, 50.0, 0.0, 0.0, Block::Built(block(8.0, 3.0, 0.0)));
        for j in 0..n {
            *blocks.at_mut(12, j) = Block::Open;
        }
        let wind = Wind {
            speed_m_s: 10.0,
            from_deg: 270.0,
        };
        let mut fire = UrbanFire::new(
            blocks,
            UrbanParams {
                wind,
                ..UrbanParams::default()
            },
        )
        .unwrap();
        fire.ignite(5, 10);
        fire.advance(1.0e8);
        let states = fire.states();
        for j in 0..n {
            assert_eq!(*states.at(12, j), BlockState::Unburnable);
            for i in 13..n {
                assert_eq!(*states.at(i, j), BlockState::Unburnt, "({i}, {j})");
            }
            assert_eq!(*states.at(11, j), BlockState::Burnt);
        }
    }

    #[test]
    fn urban_suppression_stops_spread_for_good() {
        let wind = Wind {
            speed_m_s: 3.0,
            from_deg: 0.0,
        };
        let mut free = town(41, wind);
        let mut fought = town(41, wind);
        for f in [&mut free, &mut fought] {
            f.ignite(20, 20);
        }
        let mut teams: Vec<SuppressionTeam> = (0..4)
            .map(|_| SuppressionTeam::new((20, 20), 4, 40.0 * ENGINE_COMPANY_URBAN_M2_PER_H))
            .collect();
        let dt_s = 60.0;
        for k in 1..=600 {
            let t = k as f64 * dt_s;
            free.advance(t);
            fought.advance(t);
            if k > 10 {
                fought.apply_teams(&mut teams, dt_s);
            }
        }
        assert_eq!(fought.counts().burning, 0);
        assert!(fought.counts().extinguished > 0);
        let frozen = fought.states();
        fought.advance(1.0e8);
        assert_eq!(fought.states(), frozen, "no re-ignition");
        free.advance(1.0e8);
        assert!(free.fire_area_m2() > 10.0 * fought.fire_area_m2());
    }

    #[test]
    fn urban_wind_shift_keeps_progress() {
        let mut a = town(21, Wind::CALM);
        a.ignite(10, 10);
        a.advance(60.0);
        let mut b = a.clone();
        b.set_wind(Wind::CALM).unwrap();
        a.advance(1.0e7);
        b.advance(1.0e7);
        assert_eq!(a.states(), b.states(), "same wind: nothing changes");
        for i in 0..21 {
            let (ta, tb) = (a.ignition_time_s(i, 3).unwrap(), b.ignition_time_s(i, 3).unwrap());
            assert!((ta - tb).abs() < 1e-6 * ta.max(1.0));
        }
        let mut c = town(21, Wind::CALM);
        c.ignite(10, 10);
        c.advance(60.0);
        c.set_wind(Wind {
            speed_m_s: 8.0,
            from_deg: 90.0,
        })
        .unwrap();
        c.advance(1.0e7);
        assert!(
            c.ignition_time_s(0, 10).unwrap() < c.ignition_time_s(20, 10).unwrap(),
            "easterly drives west"
        );
    }

    #[test]
    fn urban_is_deterministic() {
        let run = || {
            let mut f = town(
                31,
                Wind {
                    speed_m_s: 6.0,
                    from_deg: 135.0,
                },
            );
            f.ignite(15, 15);
            f.ignite(3, 7);
            f.advance(5400.0);
            f
        };
        assert_eq!(run(), run());
    }

    // --- Suppression helper -------------------------------------------------

    #[test]
    fn suppression_nearest_first_with_ties_and_credit() {
        let team = SuppressionTeam::new((5, 5), 2, 3600.0); // 1 m² per s
        let f = |i, j| FrontCell {
            cell: (i, j),
            area_m2: 10.0,
        };
        let front = [f(7, 7), f(6, 5), f(4, 5), f(5, 6), f(5, 4), f(8, 5), f(6, 6)];
        let plan = plan_suppression(&team, &front, 35.0);
        // (8, 5) is out of reach; four at distance 1, ties by row then column.
        assert_eq!(plan.cells, vec![(5, 4), (4, 5), (6, 5)]);
        assert!((plan.credit_m2 - 5.0).abs() < 1e-12);
        let team2 = SuppressionTeam {
            credit_m2: plan.credit_m2,
            ..team
        };
        let rest: Vec<FrontCell> = front
            .iter()
            .copied()
            .filter(|c| !plan.cells.contains(&c.cell))
            .collect();
        let plan2 = plan_suppression(&team2, &rest, 100.0);
        assert_eq!(plan2.cells, vec![(5, 6), (6, 6), (7, 7)]);
        assert_eq!(plan2.credit_m2, 0.0, "idle capacity is not banked");
    }
}
