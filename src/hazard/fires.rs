//! A fire in the simulation: the land use at the ignition picks the model —
//! built-up land (villages, town blocks, industry) burns block to block by the
//! Hamada model ([`UrbanFire`]), vegetation (cropland, parks, levee grass) by
//! the Alexandridis automaton ([`WildfireCa`]) — and fire teams work on it.
//!
//! One fire uses one model over the whole terrain grid: an urban fire does not
//! run on into the fields around a village, nor a field fire into the houses
//! (a stated limit; the models do not couple). Fuel comes from
//! [`LandUse::fuel_hint`] (see `city::terrain`).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::fire::{
    Block, BlockState, BuildingBlock, CaParams, CellState, Density, ENGINE_COMPANY_URBAN_M2_PER_H,
    ENGINE_CREW_CROPLAND_M2_PER_H, FireError, Fuel, SuppressionTeam, UrbanFire, UrbanParams, Vegetation, WildfireCa,
    Wind,
};
use super::grid::Grid;
use crate::city::terrain::{DensityHint, FuelHint, LandUse, Terrain, VegetationHint};

/// Head-fire rate of spread the automaton's step stands for, m/s: 0.5 m/s, a
/// planning figure for a wind-driven wheat-stubble or grass fire (the
/// automaton's calibration, see `fire` module docs; verify against local
/// records). The step is one cell at this rate.
pub const WILDLAND_HEAD_SPREAD_M_S: f64 = 0.5;

/// Expected deaths per resident of a block the fire reaches before the
/// residents have left: 0.25 %, a planning assumption from Chinese national
/// fire statistics (residential fires ≈ 1 death per 100 fires, ≈ 4 residents
/// per dwelling; verify against the China Fire Yearbook).
pub const FIRE_DEATHS_PER_RESIDENT: f64 = 0.0025;

/// Fire-resistant share at and above which a block does not carry a spreading
/// fire: Japan's MLIT criterion for dense built-up areas, under which the
/// burn-out ratio of a district falls to almost zero once its fire-resistant
/// area ratio (不燃領域率) reaches 70 % (approximated here by the building
/// share; verify). Such blocks are open ground to the urban model: a fire in
/// one stays a building fire, outside this hazard model.
pub const NON_SPREADING_FIRE_RESISTANT_SHARE: f64 = 0.7;

/// How far from the given point an ignition may move to find something that
/// burns, cells (the raster marks whole cells as road or water).
pub const IGNITION_SEARCH_CELLS: usize = 3;

/// The fire models a fire can run on.
#[derive(Debug, Clone)]
pub enum FireModel {
    /// Building blocks, Hamada rates, earliest arrival (deterministic).
    Urban(UrbanFire),
    /// Vegetation, stochastic automaton with its own random stream.
    Wildland {
        /// The automaton (its clock starts at the ignition).
        ca: Box<WildfireCa>,
        /// Simulated second of the automaton's time 0.
        origin_s: f64,
        /// Random stream of this fire.
        rng: ChaCha8Rng,
    },
}

/// What burns at a cell, as the fire models see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Burnable {
    /// Buildings: the urban model.
    Buildings,
    /// Vegetation: the automaton.
    Vegetation,
}

fn burnable(lu: LandUse) -> Option<Burnable> {
    match lu.fuel_hint() {
        FuelHint::Unburnable => None,
        FuelHint::Buildings {
            fire_resistant_share, ..
        } if fire_resistant_share >= NON_SPREADING_FIRE_RESISTANT_SHARE => None,
        FuelHint::Buildings { .. } => Some(Burnable::Buildings),
        FuelHint::Vegetation { .. } => Some(Burnable::Vegetation),
    }
}

/// The cell nearest to `(x, y)` that can carry a spreading fire within [`IGNITION_SEARCH_CELLS`]
/// (Chebyshev rings, then squared distance, then grid index), and what burns there.
pub fn ignition_cell(landuse: &Grid<LandUse>, x: f64, y: f64) -> Option<((usize, usize), Burnable)> {
    let (ci, cj) = landuse.cell_of(x, y)?;
    let r = IGNITION_SEARCH_CELLS as isize;
    let mut best: Option<(usize, usize, (usize, usize), Burnable)> = None;
    for dj in -r..=r {
        for di in -r..=r {
            let (i, j) = (ci as isize + di, cj as isize + dj);
            if i < 0 || j < 0 || i as usize >= landuse.nx || j as usize >= landuse.ny {
                continue;
            }
            let (i, j) = (i as usize, j as usize);
            let Some(b) = burnable(landuse.data[landuse.idx(i, j)]) else {
                continue;
            };
            let key = ((di * di + dj * dj) as usize, landuse.idx(i, j));
            if best.is_none_or(|(d, k, _, _)| key < (d, k)) {
                best = Some((key.0, key.1, (i, j), b));
            }
        }
    }
    best.map(|(_, _, c, b)| (c, b))
}

/// The urban block grid of a terrain: built land uses become blocks of uniform
/// buildings, everything else open ground — and so do blocks at or above
/// [`NON_SPREADING_FIRE_RESISTANT_SHARE`].
pub fn urban_blocks(landuse: &Grid<LandUse>) -> Grid<Block> {
    let mut g = Grid::like(landuse, Block::Open);
    for (b, lu) in g.data.iter_mut().zip(&landuse.data) {
        if let FuelHint::Buildings {
            side_m,
            gap_m,
            fire_resistant_share,
        } = lu.fuel_hint()
            && fire_resistant_share < NON_SPREADING_FIRE_RESISTANT_SHARE
        {
            *b = Block::Built(BuildingBlock {
                side_m,
                gap_m,
                fire_resistant_share,
            });
        }
    }
    g
}

/// The vegetation fuel grid of a terrain (None where nothing grows).
pub fn wildland_fuel(landuse: &Grid<LandUse>) -> Grid<Option<Fuel>> {
    let mut g = Grid::like(landuse, None);
    for (f, lu) in g.data.iter_mut().zip(&landuse.data) {
        if let FuelHint::Vegetation { vegetation, density } = lu.fuel_hint() {
            *f = Some(Fuel {
                vegetation: match vegetation {
                    VegetationHint::Agriculture => Vegetation::Agriculture,
                    VegetationHint::GrassThicket => Vegetation::GrassThicket,
                    VegetationHint::Forest => Vegetation::Forest,
                },
                density: match density {
                    DensityHint::Sparse => Density::Sparse,
                    DensityHint::Normal => Density::Normal,
                    DensityHint::Dense => Density::Dense,
                },
            });
        }
    }
    g
}

impl FireModel {
    /// A fire ignited at `cell` at simulated second `now_s` on `terrain`, in
    /// `wind`; the model follows what burns there. `seed` seeds the automaton.
    ///
    /// # Errors
    /// [`FireError`] if the model refuses the terrain (e.g. a bad cell size).
    pub fn start(
        terrain: &Terrain,
        cell: (usize, usize),
        what: Burnable,
        now_s: f64,
        wind: Wind,
        seed: u64,
    ) -> Result<FireModel, FireError> {
        let mut model = match what {
            Burnable::Buildings => {
                let mut f = UrbanFire::new(
                    urban_blocks(&terrain.landuse),
                    UrbanParams {
                        wind,
                        ..UrbanParams::default()
                    },
                )?;
                f.advance(now_s);
                FireModel::Urban(f)
            }
            Burnable::Vegetation => {
                let params = CaParams {
                    step_s: terrain.dem.dx / WILDLAND_HEAD_SPREAD_M_S,
                    wind,
                    ..CaParams::default()
                };
                let ca = Box::new(WildfireCa::new(
                    wildland_fuel(&terrain.landuse),
                    terrain.dem.clone(),
                    params,
                )?);
                FireModel::Wildland {
                    ca,
                    origin_s: now_s,
                    rng: ChaCha8Rng::seed_from_u64(seed),
                }
            }
        };
        model.ignite(cell);
        Ok(model)
    }

    /// Set a cell burning (a spot fire). False if it cannot burn in this model.
    pub fn ignite(&mut self, (i, j): (usize, usize)) -> bool {
        match self {
            FireModel::Urban(f) => f.ignite(i, j),
            FireModel::Wildland { ca, .. } => ca.ignite(i, j),
        }
    }

    /// Change the wind.
    pub fn set_wind(&mut self, wind: Wind) -> Result<(), FireError> {
        match self {
            FireModel::Urban(f) => f.set_wind(wind),
            FireModel::Wildland { ca, .. } => ca.set_wind(wind),
        }
    }

    /// Run the fire to `now_s`, letting `teams` work on it as it goes (the
    /// automaton between its steps, the urban model once for the interval).
    /// Returns the cells put out.
    pub fn advance(&mut self, now_s: f64, teams: &mut [SuppressionTeam]) -> usize {
        match self {
            FireModel::Urban(f) => {
                let dt = (now_s - f.now_s()).max(0.0);
                f.advance(now_s);
                if teams.is_empty() { 0 } else { f.apply_teams(teams, dt) }
            }
            FireModel::Wildland { ca, origin_s, rng } => {
                let step = ca.params().step_s;
                let mut out = 0;
                while *origin_s + ca.time_s() + step <= now_s + 1e-9 {
                    if !teams.is_empty() {
                        out += ca.apply_teams(teams);
                    }
                    ca.step(rng);
                }
                out
            }
        }
    }

    /// Cells burning now, in grid-index order.
    pub fn burning(&self) -> Vec<(usize, usize)> {
        match self {
            FireModel::Urban(f) => f.burning_blocks(),
            FireModel::Wildland { ca, .. } => ca.burning_cells(),
        }
    }

    /// Per cell: 0 untouched, 1 burning, 2 burnt out, 3 put out by teams.
    pub fn state_grid(&self) -> Grid<u8> {
        match self {
            FireModel::Urban(f) => {
                let s = f.states();
                let mut g = Grid::like(&s, 0_u8);
                for (o, st) in g.data.iter_mut().zip(&s.data) {
                    *o = match st {
                        BlockState::Burning { .. } => 1,
                        BlockState::Burnt => 2,
                        BlockState::Extinguished => 3,
                        BlockState::Unburnable | BlockState::Unburnt => 0,
                    };
                }
                g
            }
            FireModel::Wildland { ca, .. } => {
                let s = ca.state();
                let mut g = Grid::like(s, 0_u8);
                for (o, st) in g.data.iter_mut().zip(&s.data) {
                    *o = match st {
                        CellState::Burning { .. } => 1,
                        CellState::Burnt => 2,
                        CellState::Extinguished => 3,
                        CellState::Unburnable | CellState::Fuel => 0,
                    };
                }
                g
            }
        }
    }

    /// Ground area the fire has reached (burning, burnt or put out), m².
    pub fn area_m2(&self) -> f64 {
        match self {
            FireModel::Urban(f) => f.fire_area_m2(),
            FireModel::Wildland { ca, .. } => ca.fire_area_m2(),
        }
    }

    /// Building footprint the fire has reached, m² (0 for vegetation fires).
    pub fn building_area_m2(&self) -> f64 {
        match self {
            FireModel::Urban(f) => f.building_area_reached_m2(),
            FireModel::Wildland { .. } => 0.0,
        }
    }

    /// Default capacity of one fire-rescue team on this fire, m²/h:
    /// [`ENGINE_COMPANY_URBAN_M2_PER_H`] on buildings,
    /// [`ENGINE_CREW_CROPLAND_M2_PER_H`] on vegetation (planning assumptions).
    pub fn default_team_rate_m2_per_h(&self) -> f64 {
        match self {
            FireModel::Urban(_) => ENGINE_COMPANY_URBAN_M2_PER_H,
            FireModel::Wildland { .. } => ENGINE_CREW_CROPLAND_M2_PER_H,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terrain(nx: usize, ny: usize, lu: LandUse) -> Terrain {
        Terrain {
            dem: Grid::filled(nx, ny, 100.0, 0.0, 0.0, 30.0),
            landuse: Grid::filled(nx, ny, 100.0, 0.0, 0.0, lu),
        }
    }

    #[test]
    fn ignition_moves_off_a_road_to_the_nearest_block() {
        let mut t = terrain(9, 9, LandUse::Road);
        let k = t.landuse.idx(4, 4);
        t.landuse.data[k] = LandUse::UrbanBlock; // fire-resistant: carries no spreading fire
        let k = t.landuse.idx(6, 4);
        t.landuse.data[k] = LandUse::Village;
        let k = t.landuse.idx(1, 4);
        t.landuse.data[k] = LandUse::Cropland;
        assert_eq!(
            ignition_cell(&t.landuse, 450.0, 450.0),
            Some(((6, 4), Burnable::Buildings))
        );
        let water = terrain(9, 9, LandUse::Water);
        assert_eq!(ignition_cell(&water.landuse, 450.0, 450.0), None);
        assert_eq!(ignition_cell(&water.landuse, -450.0, 450.0), None, "off the grid");
    }

    #[test]
    fn land_use_picks_the_model_and_fire_spreads_then_burns_out() {
        let town = terrain(11, 11, LandUse::Village);
        let mut f = FireModel::start(&town, (5, 5), Burnable::Buildings, 3600.0, Wind::CALM, 1).unwrap();
        assert!(matches!(f, FireModel::Urban(_)));
        assert_eq!(f.burning(), vec![(5, 5)]);
        f.advance(3600.0 + 2.0 * 3600.0, &mut []);
        assert!(f.burning().len() > 1, "spreads to neighbours");
        assert!(f.area_m2() > 10_000.0);
        assert!(f.building_area_m2() > 0.0 && f.building_area_m2() < f.area_m2());

        let fields = terrain(11, 11, LandUse::Cropland);
        let mut g = FireModel::start(&fields, (5, 5), Burnable::Vegetation, 0.0, Wind::CALM, 1).unwrap();
        assert!(matches!(g, FireModel::Wildland { .. }));
        g.advance(86_400.0, &mut []);
        assert!(g.burning().is_empty(), "a day later the field fire is out");
        assert!(g.area_m2() > 10_000.0);
        let s = g.state_grid();
        assert!(s.data.iter().all(|&v| v == 0 || v == 2));
    }

    #[test]
    fn enough_teams_put_a_small_fire_out_and_it_stays_out() {
        let mut t = terrain(21, 21, LandUse::Road);
        // A 3 × 3 village surrounded by road cells (a firebreak).
        for j in 9..12 {
            for i in 9..12 {
                let k = t.landuse.idx(i, j);
                t.landuse.data[k] = LandUse::Village;
            }
        }
        let mut f = FireModel::start(&t, (10, 10), Burnable::Buildings, 0.0, Wind::CALM, 7).unwrap();
        let rate = 20.0 * f.default_team_rate_m2_per_h();
        let mut teams: Vec<SuppressionTeam> = (0..4).map(|_| SuppressionTeam::new((10, 10), 2, rate)).collect();
        let mut now = 0.0;
        while now < 6.0 * 3600.0 {
            now += 300.0;
            f.advance(now, &mut teams);
        }
        assert!(f.burning().is_empty());
        let s = f.state_grid();
        assert!(s.data.contains(&3), "teams put blocks out");
        let before = s.clone();
        f.advance(48.0 * 3600.0, &mut teams);
        assert_eq!(f.state_grid(), before, "a contained fire stays out");
        assert!(f.area_m2() <= 9.0 * 10_000.0, "never past the road firebreak");
    }
}
