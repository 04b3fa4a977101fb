//! Fire models on the bundled Linqing terrain (100 m cells, 348 × 428).
//!
//! `cargo bench --bench fire`
//! - `urban_old_town_6h`: a Hamada urban fire lit in the old town, 6 h in
//!   5-minute hazard steps, with a north-west wind of 6 m/s and no teams;
//! - `urban_old_town_6h_teams`: the same with eight pooled engine companies;
//! - `wildland_ca_2h`: the Alexandridis automaton lit in cropland, 2 h (36
//!   steps of 200 s) with a 5 m/s wind;
//! - `start_urban_fire`: building the block grid and rates for the whole terrain.

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use tabletop::city::Xy;
use tabletop::city::terrain::{LandUse, Terrain};
use tabletop::hazard::fire::{ENGINE_COMPANY_URBAN_M2_PER_H, SuppressionTeam, Wind};
use tabletop::hazard::fires::{Burnable, FireModel, ignition_cell};

fn cell_at(terrain: &Terrain, map: &tabletop::city::CityMap, lat: f64, lon: f64) -> ((usize, usize), Burnable) {
    let Xy { x, y } = map.projection.to_xy(tabletop::city::LatLon { lat, lon });
    ignition_cell(&terrain.landuse, x, y).expect("burnable near the point")
}

fn fires(c: &mut Criterion) {
    let map_path = common::root().join("assets/maps/linqing.ron");
    let terrain = Terrain::load_for_map(&map_path).expect("bundled terrain");
    let map = common::linqing();
    let (old_town, what) = cell_at(&terrain, &map, 36.8488, 115.6895);
    assert_eq!(what, Burnable::Buildings);
    let field = (0..terrain.landuse.data.len())
        .find(|&k| {
            let (i, j) = (k % terrain.landuse.nx, k / terrain.landuse.nx);
            i > 50 && j > 50 && terrain.landuse.data[k] == LandUse::Cropland
        })
        .map(|k| (k % terrain.landuse.nx, k / terrain.landuse.nx))
        .expect("cropland");
    let nw = Wind {
        speed_m_s: 6.0,
        from_deg: 315.0,
    };
    let mut g = c.benchmark_group("fire");
    g.sample_size(10);
    g.bench_function("start_urban_fire", |b| {
        b.iter(|| FireModel::start(&terrain, old_town, Burnable::Buildings, 0.0, nw, 1).expect("starts"))
    });
    for teams in [0, 8] {
        let name = if teams == 0 {
            "urban_old_town_6h"
        } else {
            "urban_old_town_6h_teams"
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut f = FireModel::start(&terrain, old_town, Burnable::Buildings, 0.0, nw, 1).expect("starts");
                let mut crew: Vec<SuppressionTeam> = (0..teams.min(1))
                    .map(|_| SuppressionTeam::new(old_town, 1, teams as f64 * ENGINE_COMPANY_URBAN_M2_PER_H))
                    .collect();
                for k in 1..=72 {
                    f.advance(f64::from(k) * 300.0, &mut crew);
                }
                f.area_m2()
            })
        });
    }
    g.bench_function("wildland_ca_2h", |b| {
        b.iter(|| {
            let wind = Wind {
                speed_m_s: 5.0,
                from_deg: 270.0,
            };
            let mut f = FireModel::start(&terrain, field, Burnable::Vegetation, 0.0, wind, 7).expect("starts");
            f.advance(7200.0, &mut []);
            f.area_m2()
        })
    });
    g.finish();
}

criterion_group!(benches, fires);
criterion_main!(benches);
