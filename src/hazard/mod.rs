//! Stage 3: hazards. Owns the raster type the hazard models share ([`grid`]),
//! the models — 2D flood ([`flood`]), fire ([`fire`]), chemical release
//! ([`plume`], with its chemicals data file) — the `tabletop plume` threat-zone
//! calculator ([`calc`]), and the plugin that runs them in a simulation ([`sim`]).

pub mod ahead;
pub mod calc;
pub mod fire;
pub mod fires;
pub mod flood;
pub mod grid;
pub mod plume;
pub mod sim;
pub mod teams;

use std::path::{Path, PathBuf};

use crate::error::{Diagnostic, Error};
use crate::scenario::locate::SourceIndex;
use plume::Chemical;

/// Find the chemicals file: `assets/chemicals.ron` in `base_dir` or its
/// ancestors, then `$TABLETOP_ASSETS/chemicals.ron`, then the crate's own.
pub fn default_chemicals_path(base_dir: &Path) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = base_dir
        .ancestors()
        .map(|d| d.join("assets").join("chemicals.ron"))
        .collect();
    if let Some(dir) = std::env::var_os("TABLETOP_ASSETS") {
        candidates.push(PathBuf::from(dir).join("chemicals.ron"));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/chemicals.ron"));
    candidates.into_iter().find(|p| p.exists())
}

/// Read and check a chemicals file (a RON list of [`Chemical`]).
///
/// # Errors
/// [`Error::Io`] if unreadable; [`Error::Input`] with every problem, positioned.
pub fn load_chemicals_file(path: &Path) -> Result<Vec<Chemical>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let chemicals: Vec<Chemical> = crate::scenario::parse_ron(path, &text)?;
    let problems = plume::check_chemicals(&chemicals);
    if problems.is_empty() {
        return Ok(chemicals);
    }
    let index = SourceIndex::build(&text);
    Err(Error::Input(
        problems
            .into_iter()
            .map(|msg| {
                // Messages start with "chemicals[i] ...": point at entry i.
                let entry = msg
                    .strip_prefix("chemicals[")
                    .and_then(|r| r.split(']').next())
                    .map_or(String::new(), |i| format!("[{i}]"));
                Diagnostic::new(path, index.locate(&entry), entry, msg)
            })
            .collect(),
    ))
}
