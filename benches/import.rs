//! `tabletop import osm` on a synthetic county extract (see
//! `tabletop::import::synthetic`): reading OSM XML and building the map.
//! The full-size figure (≈ 1 million nodes, XML and PBF) is measured with the
//! `synthetic_osm` example and `/usr/bin/time` (docs/import.md).
//!
//! `cargo bench --bench import`

use criterion::{Criterion, criterion_group, criterion_main};
use tabletop::import::{ImportOptions, import, synthetic};

fn import_bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("county-100k.osm");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    synthetic::write_county(&mut out, 100_000).expect("write the extract");
    drop(out);
    let opts = ImportOptions {
        input: path,
        bbox: None,
        name: "synthetic".into(),
        name_zh: None,
        elevation: None,
        population_csv: None,
        population_raster: None,
        admin_level: None,
        cell_m: 100.0,
        max_edge_m: 500.0,
    };
    let mut g = c.benchmark_group("import");
    g.sample_size(10);
    g.bench_function("osm_xml_100k_nodes", |b| b.iter(|| import(&opts).expect("imports")));
    g.finish();
}

criterion_group!(benches, import_bench);
criterion_main!(benches);
