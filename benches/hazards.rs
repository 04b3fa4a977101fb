//! Hazard models at city scale.
//!
//! `cargo bench --bench hazards`
//! - `flood_72h_levee_breach_linqing`: the Linqing terrain (348 × 428 cells of
//!   100 m), one breach of 400 m³/s for ~20 h, 72 simulated hours;
//! - `flood_72h_storm_linqing`: the same terrain under a July storm over the
//!   whole grid (40 mm/h for 3 h, ramps of 2 h and 3 h: 220 mm), land-use
//!   drainage, 72 simulated hours: every cell gets wet;
//! - `plume_footprint_500x500`: ground-level concentration on 500 × 500 cells.

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use tabletop::city::terrain::{Terrain, drainage_grid, manning_grid};
use tabletop::hazard::flood::{Breach, FloodModel, FloodParams, PerCell, Rain};
use tabletop::hazard::grid::Grid;
use tabletop::hazard::plume::{Release, Stability, Terrain as Dispersion, Weather, concentration_grid};

/// A dry flood model on the Linqing terrain with land-use roughness and drainage.
fn linqing_model(terrain: &Terrain) -> FloodModel {
    let mut m = FloodModel::new(
        terrain.dem.clone(),
        PerCell::Grid(manning_grid(&terrain.landuse)),
        FloodParams::default(),
    )
    .expect("model");
    m.set_drainage(PerCell::Grid(drainage_grid(&terrain.landuse)))
        .expect("drainage");
    m
}

fn hazards(c: &mut Criterion) {
    let terrain = Terrain::load_for_map(&common::root().join("assets/maps/linqing.ron")).expect("bundled terrain");
    let mut g = c.benchmark_group("hazards");
    g.sample_size(10);
    g.bench_function("flood_72h_levee_breach_linqing", |b| {
        b.iter(|| {
            let mut m = linqing_model(&terrain);
            let h = 3600.0;
            m.add_breach(Breach {
                x_m: -10_500.0,
                y_m: 8_000.0,
                hydrograph: vec![(4.0 * h, 0.0), (7.0 * h, 400.0), (24.0 * h, 400.0), (40.0 * h, 0.0)],
            })
            .expect("breach inside the grid");
            m.advance(72.0 * h)
        })
    });
    g.bench_function("flood_72h_storm_linqing", |b| {
        b.iter(|| {
            let mut m = linqing_model(&terrain);
            let h = 3600.0;
            m.add_rain(Rain {
                intensity_mm_h: vec![(0.0, 0.0), (2.0 * h, 40.0), (5.0 * h, 40.0), (8.0 * h, 0.0)],
                mask: None,
            })
            .expect("rain");
            m.advance(72.0 * h)
        })
    });
    g.finish();
    let rel = Release {
        rate_kg_s: 2.0,
        height_m: 0.0,
        duration_s: 600.0,
    };
    let met = Weather {
        wind_m_s: 3.0,
        wind_from_deg: 112.0,
        stability: Stability::D,
        terrain: Dispersion::Rural,
    };
    let mut grid = Grid::filled(500, 500, 20.0, -5_000.0, -5_000.0, 0.0_f32);
    c.bench_function("plume_footprint_500x500", |b| {
        b.iter(|| concentration_grid(&rel, &met, (0.0, 0.0), &mut grid))
    });
}

criterion_group!(benches, hazards);
criterion_main!(benches);
