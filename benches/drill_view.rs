//! What the drill window reads from the simulation every time it moves: the
//! unit markers, the groups, the scoreboard and the new log lines, on the
//! largest bundled drill (the levee breach with evacuation and rescue) at
//! 20 h, when the flood, the boats and the relief trucks are all busy. The
//! window's own drawing (meshes, textures, egui) is not in here: it needs a
//! GPU; `tabletop drill --frame-stats` measures the frame.
//!
//! `cargo bench --bench drill_view`

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use tabletop::drill::Drill;
use tabletop::drill::view::{self, Trails};
use tabletop::scenario::time::SimTime;

fn drill_view(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut drill = Drill::start(&root.join("scenarios/linqing/wei-breach-evacuation.ron"), None).unwrap();
    drill.run_until(SimTime(20 * 3600));
    let world = drill.world();
    let mut trails = Trails::default();
    let mut g = c.benchmark_group("drill_view");
    g.bench_function("units", |b| b.iter(|| view::units(world, &mut trails)));
    g.bench_function("groups", |b| b.iter(|| view::groups(world)));
    g.bench_function("scoreboard", |b| b.iter(|| view::scoreboard(world)));
    let n = view::journal_len(world);
    g.bench_function("log_last_100", |b| {
        b.iter(|| view::log_lines(world, n.saturating_sub(100)))
    });
    g.finish();
    // One simulation step at 20 h, for scale (a 600× frame runs about one).
    let mut g = c.benchmark_group("drill_step");
    g.sample_size(10);
    g.bench_function("at_20h", |b| {
        b.iter_batched(
            || {
                let mut d = Drill::start(&root.join("scenarios/linqing/wei-breach-evacuation.ron"), None).unwrap();
                d.run_until(SimTime(20 * 3600));
                d
            },
            |mut d| d.step(),
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, drill_view);
criterion_main!(benches);
