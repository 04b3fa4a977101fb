//! Batch throughput: 8 draws of the spine flood scenario, on 1 and 2 worker
//! threads (one Bevy world per run), through the same code as `tabletop batch`.
//!
//! `cargo bench --bench batch`

mod common;

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use rayon::prelude::*;

fn batch(c: &mut Criterion) {
    let spec = Arc::new(
        tabletop::scenario::load(&common::root().join("scenarios/linqing/wei-flood-west.ron"), None)
            .expect("bundled scenario loads"),
    );
    let mut g = c.benchmark_group("batch_8_runs_wei_flood_west");
    g.sample_size(10);
    for jobs in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build().unwrap();
        g.bench_function(format!("jobs_{jobs}"), |b| {
            b.iter(|| {
                pool.install(|| {
                    (0..8u64)
                        .collect::<Vec<_>>()
                        .par_iter()
                        .with_max_len(1)
                        .map(|&i| tabletop::batch::run::run_row(&spec, i).1.len())
                        .sum::<usize>()
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, batch);
criterion_main!(benches);
