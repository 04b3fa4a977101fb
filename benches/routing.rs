//! Routing on the bundled Linqing graph: one full shortest-path tree, trees
//! as the simulation builds them (through the [`RouteCache`], which shares
//! one vehicle's segment times among its trees), one by one and prefetched
//! in parallel, trees mended after water rises or falls on a few roads (as
//! between two hazard steps of a flood), and point-to-point routes with
//! early exit.
//!
//! `cargo bench --bench routing`

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use tabletop::city::routing::{RoadState, RouteCache, TreeDir, Vehicle, route, shortest_tree};

fn routing(c: &mut Criterion) {
    let city = common::linqing();
    let roads = RoadState::all_open(city.segments.len());
    let n = city.node_count() as u32;
    c.bench_function("shortest_tree_full_linqing", |b| {
        b.iter(|| shortest_tree(&city, &roads, 0, TreeDir::From, Vehicle::dry(70.0), None))
    });
    // 64 trees from distinct roots into one fresh cache: one vehicle's
    // segment times, then 64 trees that share them (divide by 64 for a tree).
    let roots: Vec<u32> = (0..64u32).map(|i| (i * 7919) % n).collect();
    c.bench_function("route_cache_64_trees_linqing", |b| {
        b.iter(|| {
            let mut cache = RouteCache::default();
            roots
                .iter()
                .map(|&r| cache.tree(&city, &roads, r, TreeDir::To, Vehicle::dry(70.0)).root)
                .sum::<u32>()
        })
    });
    // The same 64 trees built at once on rayon's pool, then asked for.
    c.bench_function("route_cache_prefetch_64_trees_linqing", |b| {
        b.iter(|| {
            let mut cache = RouteCache::default();
            let car = Vehicle::dry(70.0);
            cache.prefetch(&city, &roads, roots.iter().map(|&r| (r, TreeDir::To, car)));
            roots
                .iter()
                .map(|&r| cache.tree(&city, &roads, r, TreeDir::To, car).root)
                .sum::<u32>()
        })
    });
    // The same 64 trees after 20 roads go from 10 cm of water to 35 cm or
    // back (past a routing threshold: a new road version): each tree is
    // mended from the one before ([`RouteCache`] keeps it as a seed).
    let wet: Vec<u32> = (0..20u32).map(|i| (i * 379) % city.segments.len() as u32).collect();
    let truck = Vehicle {
        speed_kmh: 60.0,
        wading_m: 0.6,
        protected: false,
    };
    let mut flooding = RoadState::all_open(city.segments.len());
    let mut cache = RouteCache::default();
    let mut deep = false;
    c.bench_function("route_cache_64_trees_mended_after_20_roads_change_linqing", |b| {
        b.iter(|| {
            deep = !deep;
            for &s in &wet {
                flooding.set_depth(s, if deep { 0.35 } else { 0.1 });
            }
            roots
                .iter()
                .map(|&r| cache.tree(&city, &flooding, r, TreeDir::To, truck).root)
                .sum::<u32>()
        })
    });
    // 64 fixed pairs spread over the node range (deterministic).
    let pairs: Vec<(u32, u32)> = (0..64u32).map(|i| ((i * 7919) % n, (i * 104_729 + 13) % n)).collect();
    c.bench_function("route_64_pairs_linqing", |b| {
        b.iter(|| {
            pairs
                .iter()
                .filter_map(|&(a, z)| route(&city, &roads, a, z, Vehicle::dry(70.0)))
                .count()
        })
    });
}

criterion_group!(benches, routing);
criterion_main!(benches);
