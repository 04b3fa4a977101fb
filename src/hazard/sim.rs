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
//! Systems (in [`SimTick`]): `start_hazards` ▶ `advance_hazards` in
//! [`SimSystems::Hazards`]; `hazard_effects` in [`SimSystems::Impacts`], before
//! groups are spawned.
//!
//! Fires ([`super::fire`]) are modelled and tested but not yet run in the
//! simulation.

use std::sync::Arc;

use bevy::prelude::*;

use super::flood::{Breach, FloodModel, FloodParams, PerCell, Rain, flood_mortality};
use super::grid::Grid;
use super::plume::{self, AeglDuration, AeglTier, Release, Stability, Terrain as Dispersion, Weather};
use crate::city::CityMap;
use crate::city::routing::RoadState;
use crate::city::terrain::{Terrain, drainage_grid, manning_grid};
use crate::scenario::{HazardDef, HazardKind, ImpactDef, RunSpec};
use crate::sim::journal::SimEvent;
use crate::sim::{City, PendingImpacts, SimClock, SimSystems, SimTick, Spec};

/// Water depth at which residents count as affected by a flood, m: water over
/// doorsteps and into ground floors (planning assumption).
pub const PEOPLE_FLOOD_DEPTH_M: f64 = 0.3;

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

/// A hazard waiting for its start, or started by an inject.
#[derive(Message, Debug, Clone)]
pub struct StartHazard(pub HazardDef);

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
}

/// The state of every hazard.
#[derive(Resource, Default)]
pub struct HazardWorld {
    /// Terrain, when loaded.
    pub terrain: Option<Arc<Terrain>>,
    /// The flood model, if the run has water.
    pub flood: Option<FloodModel>,
    /// Largest flooded area seen, m².
    pub flood_peak_area_m2: f64,
    /// People moved into affected groups by the flood.
    pub flood_affected: u64,
    /// Toxic releases.
    pub releases: Vec<ReleaseRun>,
    /// Terrain cell of each road node (None outside the grid).
    node_cell: Vec<Option<usize>>,
    /// Terrain cells along each segment.
    seg_cells: Vec<Vec<usize>>,
    /// Nodes already turned into an affected group by a hazard.
    node_affected: Vec<bool>,
    /// Scripted hazards not yet started, earliest first.
    pending: Vec<HazardDef>,
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
        .add_message::<StartHazard>()
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
                let mut cells: Vec<usize> = (0..=n)
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
        let has_water = !spec.weather.rain_mm_h.is_empty()
            || spec.hazards.iter().any(|h| matches!(h.kind, HazardKind::Breach { .. }))
            || spec.injects.iter().any(|i| {
                matches!(&i.action, crate::scenario::ActionDef::Hazard(h) if matches!(h.kind, HazardKind::Breach { .. }))
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
            if !spec.weather.rain_mm_h.is_empty() {
                model
                    .add_rain(Rain {
                        intensity_mm_h: spec.weather.rain_mm_h.clone(),
                        mask: None,
                    })
                    .expect("invariant: rain without a mask is valid");
            }
            world.flood = Some(model);
        }
        world.terrain = Some(terrain);
        world
    }
}

/// Hazards: start scripted hazards that are due, and those injects started.
fn start_hazards(
    clock: Res<SimClock>,
    spec: Res<Spec>,
    mut world: ResMut<HazardWorld>,
    mut started: ResMut<Messages<StartHazard>>,
    mut events: MessageWriter<SimEvent>,
) {
    let now = clock.now;
    let mut due: Vec<HazardDef> = started.drain().map(|m| m.0).collect();
    while world.pending.first().is_some_and(|h| h.start <= now) {
        due.push(world.pending.remove(0));
    }
    for h in due {
        events.write(SimEvent::HazardStarted {
            t: h.start,
            id: h.id.clone(),
            kind: kind_label(&h.kind).into(),
        });
        match &h.kind {
            HazardKind::Breach { inflow_m3_s } => {
                if let Some(flood) = world.flood.as_mut() {
                    let start_s = h.start.secs() as f64;
                    let hydrograph = inflow_m3_s.iter().map(|&(t, q)| (start_s + t, q)).collect();
                    let breach = Breach {
                        x_m: h.xy.x,
                        y_m: h.xy.y,
                        hydrograph,
                    };
                    if flood.add_breach(breach).is_err() {
                        events.write(SimEvent::HazardStarted {
                            t: h.start,
                            id: h.id.clone(),
                            kind: "breach outside the terrain grid (ignored)".into(),
                        });
                    }
                }
            }
            HazardKind::Release { .. } => {
                let n = spec.0.city.node_count();
                world.releases.push(ReleaseRun {
                    def: h.clone(),
                    load: vec![0.0; n],
                    peak_zone_m2: [0.0; 3],
                    evacuated: 0,
                    peak_concentration: None,
                });
            }
            HazardKind::Fire => {}
        }
    }
}

fn kind_label(k: &HazardKind) -> &'static str {
    match k {
        HazardKind::Breach { .. } => "breach",
        HazardKind::Fire => "fire (not simulated yet)",
        HazardKind::Release { .. } => "chemical release",
    }
}

/// Whether this step is a hazard step.
fn hazard_tick(clock: &SimClock, spec: &RunSpec) -> bool {
    clock.now.secs() % spec.hazard_step.secs().max(1) == 0
}

/// Hazards: advance the flood model to now.
fn advance_hazards(clock: Res<SimClock>, spec: Res<Spec>, mut world: ResMut<HazardWorld>) {
    if !hazard_tick(&clock, &spec.0) {
        return;
    }
    let now_s = clock.now.secs() as f64;
    if let Some(flood) = world.flood.as_mut() {
        let stats = flood.advance(now_s);
        world.flood_peak_area_m2 = world.flood_peak_area_m2.max(stats.flooded_area_m2);
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

/// Impacts: roads and people from the hazards' state.
fn hazard_effects(
    clock: Res<SimClock>,
    spec: Res<Spec>,
    city: Res<City>,
    weather: Res<CurrentWeather>,
    mut world: ResMut<HazardWorld>,
    mut roads: ResMut<RoadState>,
    mut impacts: ResMut<PendingImpacts>,
) {
    if !hazard_tick(&clock, &spec.0) || world.terrain.is_none() {
        return;
    }
    let now = clock.now;
    let city = &city.0;
    let world = &mut *world;
    let mut closed = vec![false; city.segments.len()];
    let mut new_groups: Vec<(u32, u32, &'static str)> = Vec::new();

    if let Some(flood) = &world.flood {
        let depth = flood.depth_m();
        for (s, cells) in world.seg_cells.iter().enumerate() {
            let d = cells.iter().map(|&k| depth.data[k]).fold(0.0, f64::max);
            roads.set_depth(s as u32, d);
        }
        for (n, cell) in world.node_cell.iter().enumerate() {
            if let Some(k) = cell
                && !world.node_affected[n]
                && city.node_people[n] > 0
                && depth.data[*k] >= PEOPLE_FLOOD_DEPTH_M
            {
                world.node_affected[n] = true;
                world.flood_affected += u64::from(city.node_people[n]);
                new_groups.push((n as u32, city.node_people[n], "flood"));
            }
        }
    }

    let local_hour = {
        let t = spec.0.start + chrono::Duration::seconds(now.secs());
        f64::from(chrono::Timelike::hour(&t)) + f64::from(chrono::Timelike::minute(&t)) / 60.0
    };
    let step_min = spec.0.hazard_step.secs() as f64 / 60.0;
    for run in &mut world.releases {
        let HazardKind::Release {
            chemical,
            rate_kg_s,
            duration_s,
            height_m,
        } = &run.def.kind
        else {
            continue;
        };
        let start_s = run.def.start.secs() as f64;
        if (now.secs() as f64) >= start_s + duration_s {
            continue;
        }
        let urban =
            city.zones[usize::from(city.node_zone[run.def.node as usize])].kind == crate::city::ZoneKind::Subdistrict;
        let met = plume_weather(
            &weather,
            local_hour,
            if urban { Dispersion::Urban } else { Dispersion::Rural },
        );
        let rel = Release {
            rate_kg_s: *rate_kg_s,
            height_m: *height_m,
            duration_s: *duration_s,
        };
        let src = (run.def.xy.x, run.def.xy.y);
        let mw = chemical.molecular_weight_g_mol;
        let aegl = |tier| chemical.aegl_kg_m3(tier, AeglDuration::Min60);
        // Peak ground concentration at each node: the steady plume times the
        // along-wind dilution of a release of finite duration (Palazzi 1982).
        let node_c: Vec<f64> = city
            .node_xy
            .iter()
            .map(|p| {
                let (x, y) = plume::to_plume_frame(&met, src, (p.x, p.y));
                plume::plume_concentration(&rel, &met, x, y, 0.0) * plume::finite_duration_factor(&rel, &met, x)
            })
            .collect();
        if let Some(p) = &chemical.probit {
            for (n, c) in node_c.iter().enumerate() {
                run.load[n] += plume::toxic_load_step(p.n, plume::to_ppm(*c, mw), step_min);
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
            plume::concentration_grid(&rel, &met, src, &mut grid);
            // The same finite-duration peak as at the nodes.
            for j in 0..grid.ny {
                for i in 0..grid.nx {
                    let (x, _) = plume::to_plume_frame(&met, src, grid.centre(i, j));
                    let k = grid.idx(i, j);
                    grid.data[k] = (f64::from(grid.data[k]) * plume::finite_duration_factor(&rel, &met, x)) as f32;
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
    for (s, c) in closed.into_iter().enumerate() {
        roads.set_hazard_closed(s as u32, c);
    }
    for (node, people, label) in new_groups {
        impacts.0.push(ImpactDef {
            at: now,
            label: label.to_string(),
            groups: vec![(node, people)],
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
}

/// Flood figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FloodOut {
    /// Largest flooded area (depth > 1 mm) seen at a hazard step, km².
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
    let releases = h
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
            ReleaseOut {
                id: r.def.id.clone(),
                chemical: format!("{} ({})", chemical.name, chemical.name_zh),
                threat_zone_km2: r.peak_zone_m2.map(|a| r3(a / 1e6)),
                evacuated_people: r.evacuated,
                expected_casualties_if_not_evacuated: r3(casualties),
                note: "Gaussian plume (no dense-gas behaviour): rough within a few hundred metres of the source".into(),
            }
        })
        .collect();
    HazardReport { flood, releases }
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
