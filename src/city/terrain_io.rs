//! Loading a map's terrain rasters with file/line errors. Kept apart from
//! `terrain.rs`, which the standalone terrain generator also compiles (it has
//! no `crate::Error`).

use super::terrain::{AscGrid, Terrain, read_asc};

impl Terrain {
    /// Load `NAME-dem.asc` and `NAME-landuse.asc` next to the map file `NAME.ron`.
    ///
    /// # Errors
    /// [`crate::Error::Io`] if a file cannot be read; [`crate::Error::Input`] with
    /// the line and column of a malformed raster, or if the two grids differ in shape.
    pub fn load_for_map(map_path: &std::path::Path) -> Result<Terrain, crate::Error> {
        let stem = map_path.file_stem().and_then(|s| s.to_str()).unwrap_or("map");
        let dir = map_path.parent().unwrap_or(std::path::Path::new("."));
        let dem_path = dir.join(format!("{stem}-dem.asc"));
        let lu_path = dir.join(format!("{stem}-landuse.asc"));
        let read = |p: &std::path::Path| -> Result<AscGrid, crate::Error> {
            let text = std::fs::read_to_string(p).map_err(|source| crate::Error::Io {
                path: p.to_path_buf(),
                source,
            })?;
            read_asc(&text).map_err(|e| {
                crate::Error::one(crate::Diagnostic::new(
                    p,
                    Some(crate::scenario::locate::LineCol {
                        line: e.line(),
                        col: e.column(),
                    }),
                    "",
                    e.to_string(),
                ))
            })
        };
        let dem = read(&dem_path)?.to_grid();
        let landuse = read(&lu_path)?
            .to_landuse_grid()
            .map_err(|e| crate::Error::one(crate::Diagnostic::new(&lu_path, None, "", e.to_string())))?;
        if (dem.nx, dem.ny, dem.dx, dem.x0, dem.y0) != (landuse.nx, landuse.ny, landuse.dx, landuse.x0, landuse.y0) {
            return Err(crate::Error::one(crate::Diagnostic::new(
                &lu_path,
                None,
                "",
                format!("land use grid is not on the elevation grid of {}", dem_path.display()),
            )));
        }
        if let Some(k) = dem.data.iter().position(|z| !z.is_finite()) {
            return Err(crate::Error::one(crate::Diagnostic::new(
                &dem_path,
                None,
                "",
                format!("elevation missing (NODATA) at cell {k}; the flood model needs elevation everywhere"),
            )));
        }
        Ok(Terrain { dem, landuse })
    }
}
