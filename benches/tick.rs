//! Whole runs of every bundled scenario (load and check excluded), and map loading.
//!
//! `cargo bench --bench tick`

mod common;

use criterion::{Criterion, criterion_group, criterion_main};

fn scenarios(c: &mut Criterion) {
    let mut g = c.benchmark_group("scenario");
    g.sample_size(10);
    for (name, spec) in common::bundled_scenarios() {
        g.bench_function(&name, |b| b.iter(|| tabletop::run_spec(spec.clone())));
    }
    g.finish();
    c.bench_function("load_linqing_map", |b| b.iter(common::linqing));
}

criterion_group!(benches, scenarios);
criterion_main!(benches);
