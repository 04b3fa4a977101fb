//! Hazards inside the simulation: the [`HazardPlugin`].
//!
//! The models are pure ([`super::flood`], [`super::plume`]); this module runs
//! them on the simulated clock and hands their state to roads and people at
//! every hazard step (`hazard_step`, default 5 min):
//!
//! - **flood** (levee breaches and rain over the terrain grid): the water depth on
//!   each road segment (deepest of the cells along it) sets its depth in
//!   [`RoadState`], which slows or closes it per vehicle; residents of a node
//!   whose cell is under [`PEOPLE_FLOOD_DEPTH_M`] or more become an affected group;
//! - **chemical release** (Gaussian plume while the release lasts, with the
//!   current wind and the finite-duration peak correction of Palazzi 1982): segments with an end inside the AEGL-3 (60 min) zone close to
//!   unprotected vehicles; residents inside the AEGL-2 (60 min) zone must evacuate
//!   and become an affected group; every node accumulates its toxic load
//!   Σ Cⁿ·Δt, from which the probit gives expected casualties if people stayed.
//!
//! - **fire** ([`super::fires`]: Hamada block-to-block spread on built land,
//!   the Alexandridis automaton on vegetation): segments through a burning cell
//!   close; residents of a burning cell become an affected group and a share of
//!   them ([`FIRE_DEATHS_PER_RESIDENT`]) counts as expected deaths if nobody
//!   had left; fire-rescue teams ([`super::teams`]) suppress it.
//!
//! Teams (fire-rescue, hazmat) drive and work in `advance_hazards`; a hazmat
//! team at a release stops it after its work time. They are dispatched by
//! [`dispatch_hazard_teams`], which the response runs after life-safety tasks
//! and before relief (life safety, then hazard control, then relief).
//!
//! Systems (in [`SimTick`]): `start_hazards` ▶ `advance_hazards` in
//! [`SimSystems::Hazards`]; `hazard_effects` in [`SimSystems::Impacts`], before
//! groups are spawned; `dispatch_hazard_teams` in [`SimSystems::Dispatch`].

use std::sync::Arc;

use bevy::prelude::*;

use std::collections::{BTreeSet, VecDeque};

use super::ahead::{FloodAhead, Frame};
use super::fire::{SuppressionTeam, Wind};
use super::fires::{FIRE_DEATHS_PER_RESIDENT, FireModel, ignition_cell};
use super::flood::{
    Breach, FloodModel, FloodParams, PerCell, Rain, damage_fraction_agri, damage_fraction_builtup, flood_mortality,
};
use super::grid::Grid;
use super::plume::{self, AeglDuration, AeglTier, Release, Stability, Terrain as Dispersion, Weather};
use super::teams::{self, FIRE_TEAM_REACH_CELLS, Task, TeamRun, TeamState};
use crate::city::CityMap;
use crate::city::routing::{RoadState, RouteCache, TreeDir};
use crate::city::terrain::{FuelHint, LandUse, Terrain, drainage_grid, manning_grid};
use crate::scenario::time::SimTime;
use crate::scenario::{ActionDef, EvacuationCause, HazardDef, HazardKind, ImpactDef, ReleaseSource, RunSpec, TeamKind};
use crate::sim::journal::SimEvent;
use crate::sim::rng::stream_seed;
use crate::sim::{City, PendingImpacts, SimClock, SimSystems, SimTick, Spec};

/// Water depth at which residents count as affected by a flood, m: water over
/// doorsteps and into ground floors (planning assumption).
pub const PEOPLE_FLOOD_DEPTH_M: f64 = 0.3;

/// Water depth from which a cell counts as flooded in the report's flooded
/// area, m: 10 cm, where the JRC depth–damage curves start to bite and cars
/// slow markedly (DOMAIN.md, "Flood"); thinner sheets of rain water are not
/// counted.
pub const FLOODED_DEPTH_M: f64 = 0.1;

/// How long a puff is followed after an instantaneous release, s: 3 h, by
/// when even a 0.5 m/s wind has carried it 5 km and a 3 m/s wind 30 km, past
/// the edge of the county.
pub const PUFF_TRACK_S: f64 = 3.0 * 3600.0;

/// Sampling interval of a passing puff within a hazard step, s (a puff of
/// σx ≈ 100 m at 3 m/s passes in about a minute; peak and toxic load are
/// sampled this often).
pub const PUFF_SAMPLE_S: f64 = 30.0;

/// Cell size of the grid on which threat-zone areas are measured, m.
pub const PLUME_AREA_CELL_M: f64 = 200.0;

/// The weather now (injects change the wind).
#[derive(Resource, Debug, Clone)]
pub struct CurrentWeather {
    /// Wind at 10 m, m/s.
    pub wind_m_s: f64,
    /// Direction the wind blows from, degrees.
    pub wind_from_deg: f64,
    /// Fixed stability class, if the scenario sets one.
    pub stability: Option<Stability>,
    /// Cloud, oktas.
    pub cloud_oktas: u8,
}

/// What an inject asks of the hazards: an [`ActionDef::Hazard`],
/// [`ActionDef::Rain`] or [`ActionDef::SpotFire`] (other actions are ignored).
#[derive(Message, Debug, Clone)]
pub struct HazardInject(pub ActionDef);

/// A running fire.
#[derive(Debug, Clone)]
pub struct FireRun {
    /// Definition.
    pub def: HazardDef,
    /// The model it runs on.
    pub model: FireModel,
    /// When nothing burnt any more (first hazard step with no burning cell).
    pub out_at: Option<SimTime>,
    /// People moved into affected groups because their block burnt.
    pub people_affected: u64,
    /// Expected deaths if nobody had left in time.
    pub expected_deaths: f64,
    /// Cells put out by teams.
    pub cells_put_out: usize,
}

/// A running toxic release.
#[derive(Debug, Clone)]
pub struct ReleaseRun {
    /// Definition.
    pub def: HazardDef,
    /// Toxic load per node, ppmⁿ·min.
    pub load: Vec<f64>,
    /// Largest AEGL-1/2/3 (60 min) zone areas seen, m².
    pub peak_zone_m2: [f64; 3],
    /// People moved into affected groups because they were inside AEGL-2.
    pub evacuated: u64,
    /// Highest ground concentration seen per cell of the area grid, kg/m³.
    pub peak_concentration: Option<Grid<f32>>,
    /// When a hazmat team stopped it (seconds since start), and which team.
    pub stopped: Option<(f64, String)>,
}

impl ReleaseRun {
    /// When the release ends (s): its scripted end or when a team stopped it;
    /// for a puff, [`PUFF_TRACK_S`] after the release.
    pub fn end_s(&self) -> f64 {
        let start = self.def.start.secs() as f64;
        let scripted = match &self.def.kind {
            HazardKind::Release {
                source: ReleaseSource::Continuous { duration_s, .. },
                ..
            } => start + duration_s,
            HazardKind::Release {
                source: ReleaseSource::Instant { .. },
                ..
            } => start + PUFF_TRACK_S,
            _ => return 0.0,
        };
        self.stopped.as_ref().map_or(scripted, |(t, _)| t.min(scripted))
    }

    /// Whether a team can stop it (a continuous leak, still going at `now_s`).
    pub fn stoppable(&self, now_s: f64) -> bool {
        matches!(
            self.def.kind,
            HazardKind::Release {
                source: ReleaseSource::Continuous { .. },
                ..
            }
        ) && self.def.start.secs() as f64 <= now_s
            && self.end_s() > now_s
    }

    /// Mass released by `until_s`, kg.
    pub fn released_kg(&self, until_s: f64) -> f64 {
        let start = self.def.start.secs() as f64;
        match &self.def.kind {
            HazardKind::Release {
                source: ReleaseSource::Continuous { rate_kg_s, .. },
                ..
            } => rate_kg_s * (self.end_s().min(until_s) - start).max(0.0),
            HazardKind::Release {
                source: ReleaseSource::Instant { mass_kg },
                ..
            } if until_s >= start => *mass_kg,
            _ => 0.0,
        }
    }
}

/// The state of every hazard.
#[derive(Resource, Default)]
pub struct HazardWorld {
    /// Terrain, when loaded.
    pub terrain: Option<Arc<Terrain>>,
    /// The flood model, if the run has water. While the model runs ahead on
    /// a thread of its own ([`HazardWorld::run_ahead`]) it is `None` here;
    /// read the depths with [`HazardWorld::flood_depth`].
    pub flood: Option<FloodModel>,
    /// The flood advancing through the next hazard steps on a thread of its own.
    ahead: Option<FloodAhead>,
    /// The depths at the last hazard step, kept while the model is ahead.
    depth_now: Option<Grid<f64>>,
    /// Cells of `depth_now` under at least [`FLOODED_DEPTH_M`] of water.
    flooded_now: usize,
    /// Let the flood run ahead through the hazard steps before the next
    /// change of its inputs on a thread of its own while the rest of the run
    /// follows ([`FloodAhead`]). Set by whole runs ([`crate::sim::run`]); a
    /// drill, where injects can come at any time, leaves it off. Results are
    /// the same bits either way.
    pub run_ahead: bool,
    /// Largest flooded area seen, m².
    pub flood_peak_area_m2: f64,
    /// People moved into affected groups by the flood.
    pub flood_affected: u64,
    /// Toxic releases.
    pub releases: Vec<ReleaseRun>,
    /// Fires.
    pub fires: Vec<FireRun>,
    /// Fire-rescue and hazmat teams.
    pub teams: Vec<TeamRun>,
    /// Zone of each terrain cell (nearest road node by grid steps), built when rain needs it.
    zone_cells: Option<Grid<u16>>,
    /// Wind the fires last saw.
    fire_wind: Option<Wind>,
    /// Terrain cell of each road node (None outside the grid).
    pub node_cell: Vec<Option<usize>>,
    /// Terrain cells along each segment.
    seg_cells: Vec<Vec<usize>>,
    /// First and last terrain row of each segment's cells (`(1, 0)` for none).
    seg_rows: Vec<(usize, usize)>,
    /// Deepest water on each segment's cells at the last hazard step, m.
    seg_depth_m: Vec<f64>,
    /// Rows of the depths that may have changed since `hazard_effects` last
    /// read them, as `(first, end)`; every row until it first does.
    rows_to_read: (usize, usize),
    /// Nodes already turned into an affected group by a hazard.
    node_affected: Vec<bool>,
    /// Scripted hazards not yet started, earliest first.
    pending: Vec<HazardDef>,
}

/// Water depth at every road node's terrain cell, m (empty without a flood),
/// updated at each hazard step; people read it to know who is cut off.
#[derive(Resource, Debug, Default)]
pub struct NodeWater {
    /// Depth per node.
    pub depth_m: Vec<f32>,
    /// Hazard steps seen (changes whenever depths may have changed).
    pub version: u64,
}

impl NodeWater {
    /// Depth at node `n`, m (0 without a flood).
    pub fn at(&self, n: u32) -> f64 {
        self.depth_m.get(n as usize).map_or(0.0, |&d| f64::from(d))
    }
}

/// Runs hazard models and hands their effects to roads and people.
pub struct HazardPlugin;

impl Plugin for HazardPlugin {
    fn build(&self, app: &mut App) {
        let spec = app.world().resource::<Spec>().0.clone();
        let world = HazardWorld::new(&spec);
        let w = &spec.weather;
        app.insert_resource(CurrentWeather {
            wind_m_s: w.wind_m_s,
            wind_from_deg: w.wind_from_deg,
            stability: w.stability,
            cloud_oktas: w.cloud_oktas,
        })
        .insert_resource(world)
        .init_resource::<NodeWater>()
        .add_message::<HazardInject>()
        .add_systems(
            SimTick,
            (start_hazards, advance_hazards).chain().in_set(SimSystems::Hazards),
        )
        .add_systems(
            SimTick,
            hazard_effects
                .in_set(SimSystems::Impacts)
                .before(crate::people::activate_impacts),
        );
    }
}

impl HazardWorld {
    fn new(spec: &RunSpec) -> Self {
        let city = &spec.city;
        let mut pending = spec.hazards.clone();
        pending.sort_by_key(|h| h.start);
        let mut world = HazardWorld {
            pending,
            node_affected: vec![false; city.node_count()],
            teams: spec
                .teams
                .iter()
                .filter(|t| matches!(t.kind, TeamKind::FireRescue | TeamKind::Hazmat))
                .cloned()
                .map(TeamRun::new)
                .collect(),
            ..default()
        };
        let Some(terrain) = spec.terrain.clone() else {
            return world;
        };
        let dem = &terrain.dem;
        world.node_cell = city
            .node_xy
            .iter()
            .map(|p| dem.cell_of(p.x, p.y).map(|(i, j)| dem.idx(i, j)))
            .collect();
        world.seg_cells = city
            .segments
            .iter()
            .map(|s| {
                let (a, b) = (city.node_xy[s.a as usize], city.node_xy[s.b as usize]);
                let n = ((a.dist(b) / (dem.dx / 2.0)).ceil() as usize).max(1);
                // A bridge deck stands above the water and fire below it: only
                // the cells at its two ends (the abutments) reach it.
                let mut cells: Vec<usize> = (0..=n)
                    .filter(|&k| !s.bridge || k == 0 || k == n)
                    .filter_map(|k| {
                        let t = k as f64 / n as f64;
                        dem.cell_of(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)
                            .map(|(i, j)| dem.idx(i, j))
                    })
                    .collect();
                cells.dedup();
                cells
            })
            .collect();
        world.seg_rows = world
            .seg_cells
            .iter()
            .map(|cells| {
                let rows = cells.iter().map(|&k| k / dem.nx);
                (rows.clone().min().unwrap_or(1), rows.max().unwrap_or(0))
            })
            .collect();
        world.seg_depth_m = vec![0.0; city.segments.len()];
        world.rows_to_read = (0, usize::MAX);
        let has_water = !spec.weather.rain_mm_h.is_empty()
            || spec.hazards.iter().any(|h| matches!(h.kind, HazardKind::Breach { .. }))
            || spec.injects.iter().any(|i| match &i.action {
                crate::scenario::ActionDef::Hazard(h) => matches!(h.kind, HazardKind::Breach { .. }),
                crate::scenario::ActionDef::Rain { .. } => true,
                _ => false,
            });
        if has_water {
            let manning = PerCell::Grid(manning_grid(&terrain.landuse));
            let params = FloodParams {
                parallel: true,
                ..FloodParams::default()
            };
            let mut model =
                FloodModel::new(dem.clone(), manning, params).expect("invariant: checked terrain builds a flood model");
            model
                .set_drainage(PerCell::Grid(drainage_grid(&terrain.landuse)))
                .expect("invariant: drainage grid has the terrain's shape");
            world.flood = Some(model);
            if !spec.weather.rain_mm_h.is_empty() {
                world.add_rain(city, dem, spec.weather.rain_mm_h.clone(), &spec.weather.rain_zones);
            }
        }
        world.terrain = Some(terrain);
        world
    }

    /// Water depth per terrain cell at the last hazard step (None without a flood).
    pub fn flood_depth(&self) -> Option<&Grid<f64>> {
        match &self.flood {
            Some(f) => Some(f.depth_m()),
            None => self.depth_now.as_ref().filter(|_| self.ahead.is_some()),
        }
    }

    /// The flood model, back from running ahead if it was (see
    /// [`FloodAhead::take_model`]).
    fn flood_home(&mut self) -> Option<&mut FloodModel> {
        if let Some(job) = self.ahead.take() {
            let model = job.take_model(|frame| self.take_frame(frame));
            self.flood = Some(model);
        }
        self.flood.as_mut()
    }

    /// The depths of the hazard step at `now_s` from the flood running ahead,
    /// if it is ahead of `now_s`; false if the model itself is needed.
    fn flood_frame(&mut self, now_s: f64) -> bool {
        let Some(job) = self.ahead.as_ref().filter(|a| a.until_s > now_s) else {
            return false;
        };
        let frame = job.next_frame();
        debug_assert_eq!(frame.at_s, now_s, "invariant: one frame per hazard step");
        self.take_frame(frame);
        true
    }

    /// Copy a frame's rows into the depths kept aside, and count again the
    /// flooded cells of those rows.
    fn take_frame(&mut self, frame: Frame) {
        let depth = self
            .depth_now
            .as_mut()
            .expect("invariant: the depths are kept aside while the flood is ahead");
        let cells = frame.rows.start * depth.nx..frame.rows.end * depth.nx;
        let flooded = |d: &[f64]| d.iter().filter(|&&d| d >= FLOODED_DEPTH_M).count();
        self.flooded_now -= flooded(&depth.data[cells.clone()]);
        self.flooded_now += flooded(&frame.depth_m);
        depth.data[cells].copy_from_slice(&frame.depth_m);
        self.rows_changed(frame.rows);
    }

    /// Note that the depths of `rows` may have changed ([`Self::rows_to_read`]).
    fn rows_changed(&mut self, rows: std::ops::Range<usize>) {
        if !rows.is_empty() {
            let (first, end) = &mut self.rows_to_read;
            (*first, *end) = ((*first).min(rows.start), (*end).max(rows.end));
        }
    }

    /// The flood model, about to change at `now`. Whole runs never let it run
    /// past a change they can see coming ([`flood_inputs_change_by`]).
    fn flood_to_change(&mut self, now: SimTime) -> Option<&mut FloodModel> {
        let ahead_of_now = self.ahead.as_ref().is_some_and(|a| a.until_s > now.secs() as f64);
        debug_assert!(
            !ahead_of_now,
            "invariant: the flood never runs ahead past a change of its inputs"
        );
        self.flood_home()
    }

    /// At hazard step `now`, after every reader of the flood at `now` that
    /// needs the model itself: send the model ahead through the later hazard
    /// steps (`stops`, in order) by which nothing that changes the flood's
    /// inputs is due, on a thread of its own, when the run allows it.
    fn send_flood_ahead(
        &mut self,
        now: SimTime,
        stops: impl Iterator<Item = SimTime>,
        injects: &crate::sim::PendingInjects,
    ) {
        if !self.run_ahead || self.flood.is_none() {
            return;
        }
        let stops: Vec<f64> = stops
            .take_while(|&t| !flood_inputs_change_by(t, &self.pending, injects))
            .map(|t| t.secs() as f64)
            .collect();
        if stops.is_empty() {
            return;
        }
        let Some(mut model) = self.flood.take() else { return };
        // Only the rows the flood changed since the last copy.
        let rows = model.take_changed_rows();
        match &mut self.depth_now {
            Some(d) => {
                let cells = rows.start * d.nx..rows.end * d.nx;
                d.data[cells.clone()].copy_from_slice(&model.depth_m().data[cells]);
            }
            none => *none = Some(model.depth_m().clone()),
        }
        debug_assert_eq!(model.elapsed_s(), now.secs() as f64);
        self.ahead = Some(FloodAhead::start(model, stops));
    }

    /// Add rain on `zones` (empty = everywhere) to the flood model.
    fn add_rain(&mut self, city: &CityMap, dem: &Grid<f64>, mm_h: Vec<(f64, f64)>, zones: &[usize]) {
        let mask = if zones.is_empty() {
            None
        } else {
            let zc = self.zone_cells.get_or_insert_with(|| zone_cells(city, dem));
            let mut m = Grid::like(zc, false);
            for (o, z) in m.data.iter_mut().zip(&zc.data) {
                *o = zones.contains(&usize::from(*z));
            }
            Some(m)
        };
        if let Some(flood) = self.flood_home() {
            flood
                .add_rain(Rain {
                    intensity_mm_h: mm_h,
                    mask,
                })
                .expect("invariant: the rain mask has the terrain's shape");
        }
    }
}

/// The zone of every terrain cell: the zone of the nearest road node, by a
/// breadth-first flood over the 8-neighbourhood from every node's cell (nodes
/// in index order, so ties go to the lower node). Cells no node reaches keep
/// zone 0. O(cells).
pub fn zone_cells(city: &CityMap, dem: &Grid<f64>) -> Grid<u16> {
    const UNSET: u16 = u16::MAX;
    let mut g = Grid::like(dem, UNSET);
    let mut queue = VecDeque::new();
    for (n, p) in city.node_xy.iter().enumerate() {
        if let Some((i, j)) = dem.cell_of(p.x, p.y) {
            let k = g.idx(i, j);
            if g.data[k] == UNSET {
                g.data[k] = city.node_zone[n];
                queue.push_back((i, j));
            }
        }
    }
    while let Some((i, j)) = queue.pop_front() {
        let z = g.data[g.idx(i, j)];
        for (di, dj) in super::fire::NEIGHBOURS {
            let (ni, nj) = (i as isize + di, j as isize + dj);
            if ni < 0 || nj < 0 || ni as usize >= g.nx || nj as usize >= g.ny {
                continue;
            }
            let k = g.idx(ni as usize, nj as usize);
            if g.data[k] == UNSET {
                g.data[k] = z;
                queue.push_back((ni as usize, nj as usize));
            }
        }
    }
    for v in &mut g.data {
        if *v == UNSET {
            *v = 0;
        }
    }
    g
}

/// Hazards: start scripted hazards that are due, and carry out hazard injects.
fn start_hazards(
    clock: Res<SimClock>,
    spec: Res<Spec>,
    weather: Res<CurrentWeather>,
    mut world: ResMut<HazardWorld>,
    mut injected: ResMut<Messages<HazardInject>>,
    mut events: MessageWriter<SimEvent>,
) {
    let now = clock.now;
    let spec = &spec.0;
    let mut orders: Vec<ActionDef> = injected.drain().map(|m| m.0).collect();
    while world.pending.first().is_some_and(|h| h.start <= now) {
        orders.push(ActionDef::Hazard(world.pending.remove(0)));
    }
    for order in orders {
        match order {
            ActionDef::Hazard(h) => start_hazard(spec, &weather, &mut world, h, &mut events),
            ActionDef::Rain { mm_h, zones } => {
                let Some(terrain) = world.terrain.clone() else { continue };
                events.write(SimEvent::RainStarted {
                    t: now,
                    peak_mm_h: mm_h.iter().map(|p| p.1).fold(0.0, f64::max),
                    zones: zones.iter().map(|&z| spec.city.zones[z].name.clone()).collect(),
                });
                world.add_rain(&spec.city, &terrain.dem, mm_h, &zones);
            }
            ActionDef::SpotFire { fire, xy } => {
                let Some(terrain) = world.terrain.clone() else { continue };
                let Some(run) = world.fires.iter_mut().find(|f| f.def.id == fire) else {
                    events.write(SimEvent::HazardStarted {
                        t: now,
                        id: fire,
                        kind: "spot fire of a fire that has not started (ignored)".into(),
                    });
                    continue;
                };
                let lit = ignition_cell(&terrain.landuse, xy.x, xy.y).is_some_and(|(c, _)| run.model.ignite(c));
                run.out_at = if lit { None } else { run.out_at };
                events.write(SimEvent::HazardStarted {
                    t: now,
                    id: fire,
                    kind: if lit {
                        "spot fire".into()
                    } else {
                        "spot fire where this fire's model has nothing to burn (ignored)".into()
                    },
                });
            }
            // Not a hazard action: apply_injects handles it.
            _ => {}
        }
    }
}

/// Start one hazard now.
fn start_hazard(
    spec: &RunSpec,
    weather: &CurrentWeather,
    world: &mut HazardWorld,
    h: HazardDef,
    events: &mut MessageWriter<SimEvent>,
) {
    let mut kind = kind_label(&h.kind).to_string();
    match &h.kind {
        HazardKind::Breach { inflow_m3_s } => {
            if let Some(flood) = world.flood_to_change(h.start) {
                let start_s = h.start.secs() as f64;
                let hydrograph = inflow_m3_s.iter().map(|&(t, q)| (start_s + t, q)).collect();
                let breach = Breach {
                    x_m: h.xy.x,
                    y_m: h.xy.y,
                    hydrograph,
                };
                if flood.add_breach(breach).is_err() {
                    kind = "breach outside the terrain grid (ignored)".into();
                }
            }
        }
        HazardKind::Release { .. } => {
            world.releases.push(ReleaseRun {
                def: h.clone(),
                load: vec![0.0; spec.city.node_count()],
                peak_zone_m2: [0.0; 3],
                evacuated: 0,
                peak_concentration: None,
                stopped: None,
            });
        }
        HazardKind::Fire => {
            let Some(terrain) = world.terrain.clone() else { return };
            let wind = fire_wind(weather);
            let started = ignition_cell(&terrain.landuse, h.xy.x, h.xy.y).and_then(|(cell, what)| {
                let seed = stream_seed(spec.seed, &format!("fire/{}", h.id));
                FireModel::start(&terrain, cell, what, h.start.secs() as f64, wind, seed).ok()
            });
            match started {
                Some(model) => {
                    kind = match model {
                        FireModel::Urban(_) => "fire in building blocks (Hamada)".into(),
                        FireModel::Wildland { .. } => "fire in vegetation (Alexandridis automaton)".into(),
                    };
                    world.fire_wind = Some(wind);
                    world.fires.push(FireRun {
                        def: h.clone(),
                        model,
                        out_at: None,
                        people_affected: 0,
                        expected_deaths: 0.0,
                        cells_put_out: 0,
                    });
                }
                None => kind = "fire with nothing to burn near its ignition point (ignored)".into(),
            }
        }
    }
    events.write(SimEvent::HazardStarted {
        t: h.start,
        id: h.id.clone(),
        kind,
    });
}

fn fire_wind(w: &CurrentWeather) -> Wind {
    Wind {
        speed_m_s: w.wind_m_s,
        from_deg: w.wind_from_deg,
    }
}

fn kind_label(k: &HazardKind) -> &'static str {
    match k {
        HazardKind::Breach { .. } => "breach",
        HazardKind::Fire => "fire",
        HazardKind::Release { .. } => "chemical release",
    }
}

/// Whether this step is a hazard step.
fn hazard_tick(clock: &SimClock, spec: &RunSpec) -> bool {
    clock.now.secs() % spec.hazard_step.secs().max(1) == 0
}

/// The times of the hazard steps after `clock.now`, in order.
fn hazard_ticks_after(clock: &SimClock, spec: &RunSpec) -> impl Iterator<Item = SimTime> {
    let (now, step, end) = (clock.now.secs(), clock.step.secs().max(1), clock.end.secs());
    let hazard_step = spec.hazard_step.secs().max(1);
    // Tick times are multiples of `step`; hazard steps those that are also
    // multiples of `hazard_step`.
    (1..)
        .map(move |k| now + k * step)
        .take_while(move |&t| t < end)
        .filter(move |t| t % hazard_step == 0)
        .map(SimTime)
}

/// Whether a scripted hazard or inject due by `t` changes the flood's
/// inputs (a breach, rain).
fn flood_inputs_change_by(t: SimTime, hazards: &[HazardDef], injects: &crate::sim::PendingInjects) -> bool {
    let breach = |h: &HazardDef| matches!(h.kind, HazardKind::Breach { .. });
    hazards.iter().any(|h| h.start <= t && breach(h))
        || injects.queue.iter().any(|i| {
            i.at <= t
                && match &i.action {
                    ActionDef::Hazard(h) => breach(h),
                    ActionDef::Rain { .. } => true,
                    _ => false,
                }
        })
}

/// Hazards: advance the flood and the fires to now, and move the teams.
fn advance_hazards(
    clock: Res<SimClock>,
    spec: Res<Spec>,
    weather: Res<CurrentWeather>,
    roads: Res<RoadState>,
    mut cache: ResMut<RouteCache>,
    mut world: ResMut<HazardWorld>,
    injects: Res<crate::sim::PendingInjects>,
    mut events: MessageWriter<SimEvent>,
) {
    if !hazard_tick(&clock, &spec.0) {
        return;
    }
    let now = clock.now;
    let now_s = now.secs() as f64;
    let world = &mut *world;
    if world.flood_frame(now_s) {
        // The flood is ahead: its depths at `now` are in `depth_now`.
    } else if let Some(flood) = world.flood_home() {
        flood.advance(now_s);
        let depth = flood.depth_m();
        let (flooded, rows) = (
            depth.data.iter().filter(|&&d| d >= FLOODED_DEPTH_M).count(),
            flood.changed_rows(),
        );
        world.flooded_now = flooded;
        world.rows_changed(rows);
        world.send_flood_ahead(now, hazard_ticks_after(&clock, &spec.0), &injects);
    }
    if let Some(depth) = world.flood_depth() {
        let flooded_m2 = world.flooded_now as f64 * depth.cell_area();
        world.flood_peak_area_m2 = world.flood_peak_area_m2.max(flooded_m2);
    }
    let wind = fire_wind(&weather);
    if world.fire_wind.is_some_and(|w| w != wind) {
        for f in &mut world.fires {
            // Checked at load: speed and direction are in range.
            let _ = f.model.set_wind(wind);
        }
        world.fire_wind = Some(wind);
    }
    let city = &spec.0.city;
    update_teams(world, now, city, &roads, &mut cache, &mut events);
    advance_fires(world, now, &mut events);
}

/// Hazard control: send idle fire-rescue and hazmat teams to the hazards (on
/// hazard steps). Runs in [`SimSystems::Dispatch`] after the life-safety
/// dispatch ([`crate::response::units::dispatch_units`]), which may take idle
/// fire-rescue teams to free trapped people first, and before relief trucks.
pub fn dispatch_hazard_teams(
    clock: Res<SimClock>,
    spec: Res<Spec>,
    roads: Res<RoadState>,
    mut cache: ResMut<RouteCache>,
    mut world: ResMut<HazardWorld>,
    out_of_service: Res<crate::sim::TeamsOutOfService>,
    mut events: MessageWriter<SimEvent>,
) {
    if !hazard_tick(&clock, &spec.0) || world.teams.is_empty() {
        return;
    }
    dispatch_teams(
        &mut world,
        clock.now,
        &spec.0.city,
        &roads,
        &mut cache,
        &out_of_service,
        &mut events,
    );
}

/// Teams that arrive start work; hazmat teams finish; teams get home.
fn update_teams(
    world: &mut HazardWorld,
    now: SimTime,
    city: &CityMap,
    roads: &RoadState,
    cache: &mut RouteCache,
    events: &mut MessageWriter<SimEvent>,
) {
    let cell_of = |world: &HazardWorld, n: u32| -> Option<(usize, usize)> {
        let k = (*world.node_cell.get(n as usize)?)?;
        let nx = world.terrain.as_ref()?.dem.nx;
        Some((k % nx, k / nx))
    };
    for k in 0..world.teams.len() {
        let state = world.teams[k].state.clone();
        match state {
            TeamState::EnRoute { task, arrive, to, .. } if arrive <= now => {
                let team = &mut world.teams[k];
                team.state = TeamState::Working {
                    task,
                    since: arrive,
                    node: to,
                };
                events.write(SimEvent::TeamArrived {
                    t: arrive,
                    team: team.def.id.clone(),
                    hazard: task_id(world, task),
                });
                if let Task::Fire(f) = task {
                    let rate = world.teams[k]
                        .def
                        .rate_m2_per_h
                        .unwrap_or_else(|| world.fires[f].model.default_team_rate_m2_per_h());
                    let at = cell_of(world, to).unwrap_or((0, 0));
                    world.teams[k].suppression = Some(SuppressionTeam::new(at, FIRE_TEAM_REACH_CELLS, rate));
                }
            }
            TeamState::Working {
                task: Task::Release(r),
                since,
                ..
            } => {
                let team = &mut world.teams[k];
                let done = since.plus(team.def.work);
                let run = &mut world.releases[r];
                if run.stopped.is_none() && (done.secs() as f64) < run.end_s() && done <= now {
                    run.stopped = Some((done.secs() as f64, team.def.id.clone()));
                    events.write(SimEvent::ReleaseStopped {
                        t: done,
                        id: run.def.id.clone(),
                        team: team.def.id.clone(),
                    });
                }
                if run.end_s() <= now.secs() as f64 {
                    team.worked_s += now.secs() - since.secs();
                    teams::send_home(team, now, city, roads, cache);
                }
            }
            TeamState::Returning { arrive } if arrive <= now => {
                let team = &mut world.teams[k];
                team.state = TeamState::Idle { node: team.def.base };
                events.write(SimEvent::TeamHome {
                    t: arrive,
                    team: team.def.id.clone(),
                });
                if team.shift_over(arrive) {
                    start_rest(team, arrive, events);
                } else {
                    // Back on standby at the station: the operation is over for it.
                    team.shift_start = None;
                }
            }
            TeamState::Resting { until } if until <= now => {
                let team = &mut world.teams[k];
                team.state = TeamState::Idle { node: team.def.base };
                team.shift_start = None;
            }
            // A fire team whose shift is over leaves the fire line to a fresh team.
            TeamState::Working {
                task: Task::Fire(_),
                since,
                ..
            } if world.teams[k].shift_over(now) => {
                let team = &mut world.teams[k];
                team.worked_s += now.secs() - since.secs();
                teams::send_home(team, now, city, roads, cache);
                if matches!(team.state, TeamState::Idle { node } if node == team.def.base) {
                    start_rest(team, now, events);
                }
            }
            _ => {}
        }
    }
}

fn task_id(world: &HazardWorld, task: Task) -> String {
    match task {
        Task::Fire(f) => world.fires[f].def.id.clone(),
        Task::Release(r) => world.releases[r].def.id.clone(),
    }
}

/// The team rests at its base from `t` for its rest time.
fn start_rest(team: &mut TeamRun, t: SimTime, events: &mut MessageWriter<SimEvent>) {
    let until = t.plus(team.def.rest);
    team.state = TeamState::Resting { until };
    team.rests += 1;
    events.write(SimEvent::TeamResting {
        t,
        team: team.def.id.clone(),
        until,
    });
}

/// Run every fire to now with the teams working on it; note fires that went out.
fn advance_fires(world: &mut HazardWorld, now: SimTime, events: &mut MessageWriter<SimEvent>) {
    let now_s = now.secs() as f64;
    for f in 0..world.fires.len() {
        // The teams on this fire take up places along the front; teams at the
        // same cell work as one (their capacities add up), then the fire runs.
        let burning = world.fires[f].model.burning();
        let mut groups: Vec<(SuppressionTeam, Vec<usize>)> = Vec::new();
        for (k, team) in world.teams.iter_mut().enumerate() {
            if !matches!(team.state, TeamState::Working { task: Task::Fire(g), .. } if g == f) {
                continue;
            }
            let Some(s) = team.suppression.as_mut() else { continue };
            if let Some(c) = teams::front_cell(s.at, s.reach_cells, &burning) {
                s.at = c;
            }
            match groups.iter_mut().find(|(g, _)| g.at == s.at) {
                Some((g, members)) => {
                    g.rate_m2_per_h += s.rate_m2_per_h;
                    g.credit_m2 += s.credit_m2;
                    members.push(k);
                }
                None => groups.push((*s, vec![k])),
            }
        }
        let mut sup: Vec<SuppressionTeam> = groups.iter().map(|(g, _)| *g).collect();
        let run = &mut world.fires[f];
        run.cells_put_out += run.model.advance(now_s, &mut sup);
        for (g, (_, members)) in sup.iter().zip(&groups) {
            for &k in members {
                if let Some(s) = world.teams[k].suppression.as_mut() {
                    s.credit_m2 = g.credit_m2 / members.len() as f64;
                }
            }
        }
        let run = &mut world.fires[f];
        if run.out_at.is_none() && run.model.burning().is_empty() {
            run.out_at = Some(now);
            events.write(SimEvent::FireOut {
                t: now,
                id: run.def.id.clone(),
                area_km2: r3(run.model.area_m2() / 1e6),
            });
        }
    }
}

/// Send idle teams to hazards, and teams whose hazard is over to the next one or home.
fn dispatch_teams(
    world: &mut HazardWorld,
    now: SimTime,
    city: &CityMap,
    roads: &RoadState,
    cache: &mut RouteCache,
    out_of_service: &crate::sim::TeamsOutOfService,
    events: &mut MessageWriter<SimEvent>,
) {
    let now_s = now.secs() as f64;
    let burning: Vec<usize> = (0..world.fires.len())
        .filter(|&f| world.fires[f].out_at.is_none())
        .collect();
    // Fire teams whose fire is out are free again where they stand.
    for team in &mut world.teams {
        if let TeamState::Working {
            task: Task::Fire(f),
            since,
            node,
        } = team.state
            && !burning.contains(&f)
        {
            team.worked_s += now.secs() - since.secs();
            team.suppression = None;
            team.state = TeamState::Idle { node };
        }
    }
    let leaking: Vec<usize> = (0..world.releases.len())
        .filter(|&r| world.releases[r].stoppable(now_s))
        .filter(|&r| !world.teams.iter().any(|t| t.task() == Some(Task::Release(r))))
        .collect();
    let mut hazmat_taken = BTreeSet::new();
    for k in 0..world.teams.len() {
        let TeamState::Idle { node } = world.teams[k].state else {
            continue;
        };
        if now < world.teams[k].def.available || !out_of_service.in_service(&world.teams[k].def.id) {
            continue;
        }
        if world.teams[k].shift_over(now) {
            // Home to rest (it may have become free away from its base).
            let team = &mut world.teams[k];
            if node == team.def.base {
                start_rest(team, now, events);
            } else {
                teams::send_home(team, now, city, roads, cache);
            }
            continue;
        }
        let vehicle = world.teams[k].def.vehicle;
        let candidates: Vec<(Task, u32)> = match world.teams[k].def.kind {
            TeamKind::FireRescue => burning
                .iter()
                .map(|&f| (Task::Fire(f), world.fires[f].def.node))
                .collect(),
            TeamKind::Hazmat => leaking
                .iter()
                .filter(|r| !hazmat_taken.contains(*r))
                .map(|&r| (Task::Release(r), world.releases[r].def.node))
                .collect(),
            // The other teams are the response's (`response::units`).
            TeamKind::Boat
            | TeamKind::Bus
            | TeamKind::Ambulance
            | TeamKind::RoadRepair
            | TeamKind::Town
            | TeamKind::Volunteer => Vec::new(),
        };
        // The task it reaches first (ties: the earlier hazard).
        let best = candidates
            .into_iter()
            .filter_map(|(task, to)| {
                let t = cache.tree(city, roads, to, TreeDir::To, vehicle).time_to(node)?;
                Some((t, task, to))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let team = &mut world.teams[k];
        match best {
            Some((_, task, to)) => {
                if let Some(eta) = teams::call(team, task, to, now, city, roads, cache) {
                    if let Task::Release(r) = task {
                        hazmat_taken.insert(r);
                    }
                    let hazard = match task {
                        Task::Fire(f) => world.fires[f].def.id.clone(),
                        Task::Release(r) => world.releases[r].def.id.clone(),
                    };
                    events.write(SimEvent::TeamCalled {
                        t: now,
                        team: world.teams[k].def.id.clone(),
                        hazard,
                        eta,
                    });
                }
            }
            None if node != team.def.base => teams::send_home(team, now, city, roads, cache),
            None => {}
        }
    }
}

/// The plume weather now: stability fixed by the scenario or from Turner's
/// table with the local clock hour (day 07–19 h; insolation from a crude solar
/// elevation for mid-latitude summer).
pub fn plume_weather(w: &CurrentWeather, local_hour: f64, terrain: Dispersion) -> Weather {
    let stability = w.stability.unwrap_or_else(|| {
        let daytime = (7.0..19.0).contains(&local_hour);
        let elevation = 75.0 * (1.0 - ((local_hour - 13.0) / 6.0).abs()).max(0.0);
        let insolation = plume::insolation_from_solar_elevation(elevation).unwrap_or(plume::Insolation::Slight);
        plume::stability_from_weather(w.wind_m_s, daytime, insolation, w.cloud_oktas, w.cloud_oktas >= 8)
    });
    Weather {
        wind_m_s: w.wind_m_s.max(0.5),
        wind_from_deg: w.wind_from_deg,
        stability,
        terrain,
    }
}

/// Impacts: roads and people from the hazards' state (before `activate_impacts`).
pub fn hazard_effects(
    clock: Res<SimClock>,
    spec: Res<Spec>,
    city: Res<City>,
    weather: Res<CurrentWeather>,
    mut world: ResMut<HazardWorld>,
    mut roads: ResMut<RoadState>,
    mut impacts: ResMut<PendingImpacts>,
    mut node_water: ResMut<NodeWater>,
    mut events: MessageWriter<SimEvent>,
) {
    if !hazard_tick(&clock, &spec.0) || world.terrain.is_none() {
        return;
    }
    let now = clock.now;
    let city = &city.0;
    let world = &mut *world;
    let mut closed = vec![false; city.segments.len()];
    let mut new_groups: Vec<(u32, u32, &'static str)> = Vec::new();

    let mut reached = Vec::new();
    let (first_row, end_row) = std::mem::replace(&mut world.rows_to_read, (usize::MAX, 0));
    let mut seg_depth_m = std::mem::take(&mut world.seg_depth_m);
    if let Some(depth) = world.flood_depth() {
        let mut damaged = 0;
        for (s, cells) in world.seg_cells.iter().enumerate() {
            // A segment whose rows kept their depths keeps its water.
            let (lo, hi) = world.seg_rows[s];
            if lo <= hi && lo < end_row && hi >= first_row {
                let d = cells.iter().map(|&k| depth.data[k]).fold(0.0, f64::max);
                seg_depth_m[s] = d;
                roads.set_depth(s as u32, d);
            }
            let d = seg_depth_m[s];
            if spec.0.road_damage_depth_m.is_some_and(|dd| d >= dd) && roads.set_damaged(s as u32, true) {
                damaged += 1;
            }
        }
        if damaged > 0 {
            events.write(SimEvent::RoadsChanged {
                t: now,
                state: "Damaged (flood)".into(),
                segments: damaged,
                changed: damaged,
            });
        }
        let depths: Vec<f32> = world
            .node_cell
            .iter()
            .map(|c| c.map_or(0.0, |k| depth.data[k] as f32))
            .collect();
        // A new version only when some node's water changed: boats re-plan on it.
        if depths != node_water.depth_m {
            node_water.depth_m = depths;
            node_water.version += 1;
        }
        reached.extend(world.node_cell.iter().enumerate().filter_map(|(n, cell)| {
            let k = (*cell)?;
            let new = !world.node_affected[n] && city.node_people[n] > 0 && depth.data[k] >= PEOPLE_FLOOD_DEPTH_M;
            new.then_some(n)
        }));
    }
    world.seg_depth_m = seg_depth_m;
    for n in reached {
        world.node_affected[n] = true;
        world.flood_affected += u64::from(city.node_people[n]);
        new_groups.push((n as u32, city.node_people[n], "flood"));
    }

    let local_hour = {
        let t = spec.0.start + chrono::Duration::seconds(now.secs());
        f64::from(chrono::Timelike::hour(&t)) + f64::from(chrono::Timelike::minute(&t)) / 60.0
    };
    let step_min = spec.0.hazard_step.secs() as f64 / 60.0;
    for run in &mut world.releases {
        let HazardKind::Release {
            chemical,
            source,
            height_m,
        } = &run.def.kind
        else {
            continue;
        };
        let now_s = now.secs() as f64;
        let start_s = run.def.start.secs() as f64;
        if now_s >= run.end_s() || now_s < start_s {
            continue;
        }
        let urban =
            city.zones[usize::from(city.node_zone[run.def.node as usize])].kind == crate::city::ZoneKind::Subdistrict;
        let met = plume_weather(
            &weather,
            local_hour,
            if urban { Dispersion::Urban } else { Dispersion::Rural },
        );
        let src = (run.def.xy.x, run.def.xy.y);
        let mw = chemical.molecular_weight_g_mol;
        let aegl = |tier| chemical.aegl_kg_m3(tier, AeglDuration::Min60);
        // What the release puts on the ground in this hazard step: for each
        // point, the peak concentration and Σ Cⁿ·Δt (ppmⁿ·min, for the probit).
        let n_exp = chemical.probit.as_ref().map_or(1.0, |p| p.n);
        let field: Box<dyn Fn(f64, f64) -> (f64, f64)> = match source {
            // The steady plume times the along-wind dilution of a release of
            // finite duration (Palazzi 1982), held for the whole step.
            ReleaseSource::Continuous {
                rate_kg_s, duration_s, ..
            } => {
                let rel = Release {
                    rate_kg_s: *rate_kg_s,
                    height_m: *height_m,
                    duration_s: *duration_s,
                };
                Box::new(move |px, py| {
                    let (x, y) = plume::to_plume_frame(&met, src, (px, py));
                    let c = plume::plume_concentration(&rel, &met, x, y, 0.0)
                        * plume::finite_duration_factor(&rel, &met, x);
                    (c, plume::toxic_load_step(n_exp, plume::to_ppm(c, mw), step_min))
                })
            }
            // The puff sampled every PUFF_SAMPLE_S through the step.
            ReleaseSource::Instant { mass_kg } => {
                let puff = plume::Puff {
                    mass_kg: *mass_kg,
                    height_m: *height_m,
                };
                let step_s = spec.0.hazard_step.secs() as f64;
                let samples = (step_s / PUFF_SAMPLE_S).ceil().max(1.0) as usize;
                let dt = step_s / samples as f64;
                Box::new(move |px, py| {
                    let (x, y) = plume::to_plume_frame(&met, src, (px, py));
                    let (mut peak, mut load) = (0.0_f64, 0.0);
                    for k in 0..samples {
                        let t = now_s - step_s + (k + 1) as f64 * dt - start_s;
                        let c = plume::puff_concentration(&puff, &met, t, x, y, 0.0);
                        peak = peak.max(c);
                        load += plume::toxic_load_step(n_exp, plume::to_ppm(c, mw), dt / 60.0);
                    }
                    (peak, load)
                })
            }
        };
        let at_nodes: Vec<(f64, f64)> = city.node_xy.iter().map(|p| field(p.x, p.y)).collect();
        let node_c: Vec<f64> = at_nodes.iter().map(|v| v.0).collect();
        if chemical.probit.is_some() {
            for (n, (_, l)) in at_nodes.iter().enumerate() {
                run.load[n] += l;
            }
        }
        if let Some(a3) = aegl(AeglTier::Aegl3) {
            for (s, seg) in city.segments.iter().enumerate() {
                if node_c[seg.a as usize] >= a3 || node_c[seg.b as usize] >= a3 {
                    closed[s] = true;
                }
            }
        }
        if let Some(a2) = aegl(AeglTier::Aegl2) {
            for (n, c) in node_c.iter().enumerate() {
                if *c >= a2 && !world.node_affected[n] && city.node_people[n] > 0 {
                    world.node_affected[n] = true;
                    run.evacuated += u64::from(city.node_people[n]);
                    new_groups.push((n as u32, city.node_people[n], "chemical"));
                }
            }
        }
        // Threat-zone areas on a coarse grid over the terrain extent.
        if let Some(terrain) = &world.terrain {
            let dem = &terrain.dem;
            let (w_m, h_m) = (dem.nx as f64 * dem.dx, dem.ny as f64 * dem.dx);
            let mut grid = Grid::filled(
                (w_m / PLUME_AREA_CELL_M).ceil() as usize,
                (h_m / PLUME_AREA_CELL_M).ceil() as usize,
                PLUME_AREA_CELL_M,
                dem.x0,
                dem.y0,
                0.0_f32,
            );
            for j in 0..grid.ny {
                for i in 0..grid.nx {
                    let (x, y) = grid.centre(i, j);
                    let k = grid.idx(i, j);
                    grid.data[k] = field(x, y).0 as f32;
                }
            }
            for (k, tier) in [AeglTier::Aegl1, AeglTier::Aegl2, AeglTier::Aegl3]
                .into_iter()
                .enumerate()
            {
                if let Some(thr) = aegl(tier) {
                    run.peak_zone_m2[k] = run.peak_zone_m2[k].max(plume::footprint_area_m2(&grid, thr));
                }
            }
            match &mut run.peak_concentration {
                Some(peak) => peak.data.iter_mut().zip(&grid.data).for_each(|(p, c)| *p = p.max(*c)),
                None => run.peak_concentration = Some(grid),
            }
        }
    }
    // Fires: roads through burning cells close; residents of burning cells are affected.
    for run in &mut world.fires {
        let burning = run.model.burning();
        if burning.is_empty() {
            continue;
        }
        let Some(terrain) = &world.terrain else { break };
        let nx = terrain.dem.nx;
        let mut on_fire = vec![false; terrain.dem.data.len()];
        for (i, j) in burning {
            on_fire[j * nx + i] = true;
        }
        for (s, cells) in world.seg_cells.iter().enumerate() {
            if cells.iter().any(|&k| on_fire[k]) {
                closed[s] = true;
            }
        }
        for (n, cell) in world.node_cell.iter().enumerate() {
            if let Some(k) = cell
                && on_fire[*k]
                && !world.node_affected[n]
                && city.node_people[n] > 0
            {
                world.node_affected[n] = true;
                let people = city.node_people[n];
                run.people_affected += u64::from(people);
                run.expected_deaths += f64::from(people) * FIRE_DEATHS_PER_RESIDENT;
                new_groups.push((n as u32, people, "fire"));
            }
        }
    }
    for (s, c) in closed.into_iter().enumerate() {
        roads.set_hazard_closed(s as u32, c);
    }
    for (node, people, label) in new_groups {
        let cause = match label {
            "flood" => EvacuationCause::Flood,
            "chemical" => EvacuationCause::Chemical,
            _ => EvacuationCause::Fire,
        };
        impacts.0.push(ImpactDef {
            at: now,
            label: label.to_string(),
            groups: vec![(node, people)],
            evacuate: spec.0.evacuation.as_ref().is_some_and(|e| e.on.contains(&cause)),
            trapped: Vec::new(),
        });
    }
}

/// Hazard figures for the report.
#[derive(Debug, Clone, serde::Serialize, Default)]
pub struct HazardReport {
    /// Flood, if the run had water.
    pub flood: Option<FloodOut>,
    /// Toxic releases.
    pub releases: Vec<ReleaseOut>,
    /// Fires.
    pub fires: Vec<FireOut>,
    /// Teams that acted on hazards.
    pub teams: Vec<TeamOut>,
    /// Direct economic loss from the flood and the fires.
    pub economic_loss: Option<EconomicLossOut>,
    /// Expected deaths from all hazards if nobody had left, per million residents.
    pub expected_deaths: Option<DeathsOut>,
}

/// Expected deaths from the hazards if nobody had left in time (an upper
/// bound: evacuation and rescue, modelled by the response, lower it), against
/// the plan's ceiling of 0.5 disaster deaths per million people a year.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeathsOut {
    /// Flood (mortality function).
    pub flood: f64,
    /// Fires.
    pub fire: f64,
    /// Toxic releases (probit, people outdoors).
    pub chemical: f64,
    /// Sum.
    pub total: f64,
    /// Per million residents of the map.
    pub per_million: f64,
    /// The plan's yearly ceiling, per million.
    pub target_per_million: f64,
}

/// Fire figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FireOut {
    /// Hazard id.
    pub id: String,
    /// Model it ran on.
    pub model: String,
    /// Ground area the fire reached (burning, burnt or put out), km².
    pub burnt_area_km2: f64,
    /// Building footprint the fire reached, m² (0 for vegetation fires).
    pub building_footprint_m2: f64,
    /// Hours from the start of the run until nothing burnt; null if still burning at the end.
    pub out_at_h: Option<f64>,
    /// Cells (blocks or fields) put out by teams.
    pub cells_put_out: usize,
    /// People whose block burnt (they became affected groups).
    pub people_affected: u64,
    /// Expected deaths if nobody had left before the fire arrived.
    pub expected_deaths_if_not_evacuated: f64,
}

/// What one team did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TeamOut {
    /// Team id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Tasks it was called to.
    pub tasks: u32,
    /// Hours at work on hazards.
    pub worked_h: f64,
    /// Rests taken after shifts.
    pub rests: u32,
}

/// Direct economic loss (DOMAIN.md: JRC depth–damage curves for the flood,
/// total loss for burnt buildings and crops), against the plan's target of
/// less than 1 % of GDP a year.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EconomicLossOut {
    /// Flood damage to buildings and crops at the peak depth, yuan.
    pub flood_yuan: f64,
    /// Buildings and crops the fires reached, yuan.
    pub fire_yuan: f64,
    /// Sum, yuan.
    pub total_yuan: f64,
    /// Total over the scenario's GDP, if it gives one.
    pub share_of_gdp: Option<f64>,
    /// The plan's yearly ceiling (1 %).
    pub target_share_of_gdp: f64,
    /// How it was computed.
    pub note: String,
}

/// Flood figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FloodOut {
    /// Largest area under at least [`FLOODED_DEPTH_M`] of water at a hazard step, km².
    pub peak_flooded_area_km2: f64,
    /// Deepest water seen, m.
    pub max_depth_m: f64,
    /// Breach inflow + rain, m³.
    pub volume_in_m3: f64,
    /// Drainage + outflow at the grid edges, m³.
    pub volume_out_m3: f64,
    /// Water on the grid at the end, m³.
    pub volume_on_grid_m3: f64,
    /// |in − out − on grid| / in.
    pub balance_relative_error: f64,
    /// People who became affected groups because of the water.
    pub people_affected: u64,
    /// Expected deaths if nobody left, from the peak depth at each node reached by
    /// at least [`PEOPLE_FLOOD_DEPTH_M`] and the logistic flood mortality function
    /// (DOMAIN.md, "Flood"; the fit gives 0.2 % even at zero depth, so shallower
    /// nodes are not counted).
    pub expected_deaths_if_not_evacuated: f64,
}

/// Release figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReleaseOut {
    /// Hazard id.
    pub id: String,
    /// Chemical.
    pub chemical: String,
    /// Peak AEGL-1 / 2 / 3 (60 min) zone areas, km².
    pub threat_zone_km2: [f64; 3],
    /// People inside AEGL-2 who had to evacuate.
    pub evacuated_people: u64,
    /// Expected deaths if people stayed outdoors (toxic load and probit).
    pub expected_casualties_if_not_evacuated: f64,
    /// Mass released, kg.
    pub released_kg: f64,
    /// How it escaped.
    pub source: String,
    /// Hours from the start of the run when a hazmat team stopped it, if one did.
    pub stopped_at_h: Option<f64>,
    /// The team that stopped it.
    pub stopped_by: Option<String>,
    /// Model caveat.
    pub note: String,
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Hazard figures from the world at the end of a run.
pub fn report(world: &World) -> HazardReport {
    let Some(h) = world.get_resource::<HazardWorld>() else {
        return HazardReport::default();
    };
    let city: &CityMap = &world.resource::<City>().0;
    let spec = &world.resource::<Spec>().0;
    let run_end_s = spec.end.secs() as f64;
    let flood = h.flood.as_ref().map(|f| {
        let b = f.balance();
        let on = f.volume_on_grid_m3();
        let peak = f.peak_depth_m();
        let deaths: f64 = h
            .node_cell
            .iter()
            .enumerate()
            .filter_map(|(n, c)| c.map(|k| (n, peak.data[k])))
            .filter(|&(_, d)| d >= PEOPLE_FLOOD_DEPTH_M)
            .map(|(n, d)| f64::from(city.node_people[n]) * flood_mortality(d))
            .sum();
        FloodOut {
            peak_flooded_area_km2: r3(h.flood_peak_area_m2 / 1e6),
            max_depth_m: r3(peak.data.iter().copied().fold(0.0, f64::max)),
            volume_in_m3: b.volume_in_m3().round(),
            volume_out_m3: b.volume_out_m3().round(),
            volume_on_grid_m3: on.round(),
            balance_relative_error: if b.volume_in_m3() > 0.0 {
                ((b.expected_on_grid_m3() - on).abs() / b.volume_in_m3() * 1e9).round() / 1e9
            } else {
                0.0
            },
            people_affected: h.flood_affected,
            expected_deaths_if_not_evacuated: r3(deaths),
        }
    });
    let releases: Vec<ReleaseOut> = h
        .releases
        .iter()
        .map(|r| {
            let HazardKind::Release { chemical, .. } = &r.def.kind else {
                unreachable!("invariant: releases hold releases")
            };
            let casualties = chemical.probit.as_ref().map_or(0.0, |p| {
                r.load
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| **l > 0.0)
                    .map(|(n, l)| f64::from(city.node_people[n]) * plume::lethality(plume::probit_from_load(p, *l)))
                    .sum()
            });
            let source = match &r.def.kind {
                HazardKind::Release {
                    source: ReleaseSource::Continuous { tank: Some(t), .. },
                    ..
                } => format!("tank leak: {t}"),
                HazardKind::Release {
                    source: ReleaseSource::Instant { .. },
                    ..
                } => "instantaneous (Gaussian puff)".to_string(),
                _ => "continuous (Gaussian plume)".to_string(),
            };
            ReleaseOut {
                id: r.def.id.clone(),
                chemical: format!("{} ({})", chemical.name, chemical.name_zh),
                threat_zone_km2: r.peak_zone_m2.map(|a| r3(a / 1e6)),
                evacuated_people: r.evacuated,
                expected_casualties_if_not_evacuated: r3(casualties),
                released_kg: r3(r.released_kg(run_end_s)),
                source,
                stopped_at_h: r.stopped.as_ref().map(|(t, _)| r3(t / 3600.0)),
                stopped_by: r.stopped.as_ref().map(|(_, id)| id.clone()),
                note: "Gaussian plume / puff (no dense-gas behaviour): rough within a few hundred metres of the source"
                    .into(),
            }
        })
        .collect();
    let fires: Vec<FireOut> = h
        .fires
        .iter()
        .map(|f| FireOut {
            id: f.def.id.clone(),
            model: match f.model {
                FireModel::Urban(_) => "building blocks, Hamada spread (earliest arrival)".into(),
                FireModel::Wildland { .. } => "vegetation, Alexandridis cellular automaton".into(),
            },
            burnt_area_km2: r3(f.model.area_m2() / 1e6),
            building_footprint_m2: f.model.building_area_m2().round(),
            out_at_h: f.out_at.map(|t| r3(t.hours())),
            cells_put_out: f.cells_put_out,
            people_affected: f.people_affected,
            expected_deaths_if_not_evacuated: r3(f.expected_deaths),
        })
        .collect();
    let teams = h
        .teams
        .iter()
        .filter(|t| t.tasks > 0)
        .map(|t| TeamOut {
            id: t.def.id.clone(),
            kind: format!("{:?}", t.def.kind),
            tasks: t.tasks,
            worked_h: r3(t.worked_s as f64 / 3600.0),
            rests: t.rests,
        })
        .collect();
    let economic_loss = economic_loss(h, spec);
    let expected_deaths = (flood.is_some() || !releases.is_empty() || !fires.is_empty()).then(|| {
        let fl = flood
            .as_ref()
            .map_or(0.0, |f: &FloodOut| f.expected_deaths_if_not_evacuated);
        // `+ 0.0`: an empty f64 sum is -0.0.
        let fi = fires
            .iter()
            .map(|f: &FireOut| f.expected_deaths_if_not_evacuated)
            .sum::<f64>()
            + 0.0;
        let ch: f64 = releases
            .iter()
            .map(|r: &ReleaseOut| r.expected_casualties_if_not_evacuated)
            .sum::<f64>()
            + 0.0;
        let people: f64 = city.node_people.iter().map(|&p| f64::from(p)).sum();
        let total = fl + fi + ch;
        DeathsOut {
            flood: fl,
            fire: fi,
            chemical: ch,
            total: r3(total),
            per_million: if people > 0.0 { r3(total / people * 1e6) } else { 0.0 },
            target_per_million: 0.5,
        }
    });
    HazardReport {
        flood,
        releases,
        fires,
        teams,
        economic_loss,
        expected_deaths,
    }
}

/// Direct economic loss of the flood (peak depth per cell through the JRC
/// depth–damage curves) and the fires (whole value of what they reached).
fn economic_loss(h: &HazardWorld, spec: &RunSpec) -> Option<EconomicLossOut> {
    let terrain = h.terrain.as_ref()?;
    if h.flood.is_none() && h.fires.is_empty() {
        return None;
    }
    let e = &spec.economy;
    let cell = terrain.dem.cell_area();
    let built_fraction = |lu: LandUse| match lu.fuel_hint() {
        FuelHint::Buildings { side_m, gap_m, .. } => (side_m / (side_m + gap_m)).powi(2),
        _ => 0.0,
    };
    let flood_yuan: f64 = h.flood.as_ref().map_or(0.0, |f| {
        let peak = f.peak_depth_m();
        (peak.data.iter().zip(&terrain.landuse.data))
            .filter(|(d, _)| **d > 0.0)
            .map(|(&d, &lu)| match lu {
                LandUse::Cropland => cell * e.crop_yuan_per_m2 * damage_fraction_agri(d).clamp(0.0, 1.0),
                _ => cell * built_fraction(lu) * e.building_yuan_per_m2 * damage_fraction_builtup(d).clamp(0.0, 1.0),
            })
            .sum()
    });
    let fire_yuan: f64 = h
        .fires
        .iter()
        .map(|f| {
            let states = f.model.state_grid();
            (states.data.iter().zip(&terrain.landuse.data))
                .filter(|(s, _)| **s != 0)
                .map(|(_, &lu)| match lu {
                    LandUse::Cropland => cell * e.crop_yuan_per_m2,
                    _ => cell * built_fraction(lu) * e.building_yuan_per_m2,
                })
                .sum::<f64>()
        })
        .sum();
    let total = flood_yuan + fire_yuan;
    Some(EconomicLossOut {
        flood_yuan: flood_yuan.round(),
        fire_yuan: fire_yuan.round(),
        total_yuan: total.round(),
        share_of_gdp: e.gdp_yuan.map(|g| (total / g * 1e6).round() / 1e6),
        target_share_of_gdp: 0.01,
        note: format!(
            "buildings {} yuan per m² of footprint, crops {} yuan/m² (scenario `economy`); flood: JRC Asia \
             depth–damage curves (Huizinga et al. 2017) at the peak depth; fire: whole value of the cells \
             reached; single-event figure against a yearly target",
            e.building_yuan_per_m2, e.crop_yuan_per_m2
        ),
    })
}

/// Per cell, the worst fire state of any fire (0 none, 1 burning, 2 burnt, 3
/// put out), for maps; None when the run had no fire.
pub fn fire_states(world: &World) -> Option<Grid<u8>> {
    let h = world.get_resource::<HazardWorld>()?;
    let mut out: Option<Grid<u8>> = None;
    for f in &h.fires {
        let g = f.model.state_grid();
        match &mut out {
            None => out = Some(g),
            // Where two fires met, the first fire's state is shown.
            Some(o) => o.data.iter_mut().zip(&g.data).for_each(|(a, b)| {
                if *a == 0 {
                    *a = *b;
                }
            }),
        }
    }
    out
}

/// Peak AEGL tier (1–3, 0 = none) per cell of each release's area grid, for maps.
pub fn threat_zones(world: &World) -> Vec<Grid<u8>> {
    let Some(h) = world.get_resource::<HazardWorld>() else {
        return Vec::new();
    };
    h.releases
        .iter()
        .filter_map(|r| {
            let HazardKind::Release { chemical, .. } = &r.def.kind else {
                return None;
            };
            let peak = r.peak_concentration.as_ref()?;
            let thresholds: Vec<f64> = [AeglTier::Aegl1, AeglTier::Aegl2, AeglTier::Aegl3]
                .into_iter()
                .map(|t| chemical.aegl_kg_m3(t, AeglDuration::Min60).unwrap_or(f64::INFINITY))
                .collect();
            let data = peak
                .data
                .iter()
                .map(|&c| thresholds.iter().filter(|&&t| f64::from(c) >= t).count() as u8)
                .collect();
            Some(Grid {
                nx: peak.nx,
                ny: peak.ny,
                dx: peak.dx,
                x0: peak.x0,
                y0: peak.y0,
                data,
            })
        })
        .collect()
}

/// Depth of water per cell, for maps (None when the run had no flood).
pub fn peak_depth(world: &World) -> Option<Grid<f64>> {
    world
        .get_resource::<HazardWorld>()?
        .flood
        .as_ref()
        .map(|f| f.peak_depth_m().clone())
}
