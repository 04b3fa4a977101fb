//! Shared bench fixtures: the bundled Linqing map and scenarios.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tabletop::city::CityMap;
use tabletop::scenario::RunSpec;

/// Repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled Linqing map.
pub fn linqing() -> CityMap {
    CityMap::load(&root().join("assets/maps/linqing.ron")).expect("bundled map loads")
}

/// Every bundled scenario: (file stem, checked spec).
pub fn bundled_scenarios() -> Vec<(String, Arc<RunSpec>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios/linqing"))
        .expect("scenarios folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
            (
                stem,
                Arc::new(tabletop::scenario::load(Path::new(&p), None).expect("bundled scenario is valid")),
            )
        })
        .collect()
}
