//! Geographic rasters for the import: elevation (SRTM, Copernicus DEM) and
//! population counts (WorldPop), as ESRI ASCII grids or GeoTIFF in WGS84
//! degrees (EPSG:4326), the form both are published in.

use std::path::Path;

use crate::city::terrain::{AscGrid, read_asc};
use crate::error::{Diagnostic, Error};
use crate::scenario::locate::LineCol;

/// A raster in WGS84 degrees.
#[derive(Debug, Clone)]
pub struct GeoRaster {
    /// Columns (west → east).
    pub ncols: usize,
    /// Rows (south → north).
    pub nrows: usize,
    /// Longitude of the west edge.
    pub west: f64,
    /// Latitude of the south edge.
    pub south: f64,
    /// Cell width, degrees of longitude.
    pub dlon: f64,
    /// Cell height, degrees of latitude.
    pub dlat: f64,
    /// Values, row-major from the south-west corner; NaN where missing.
    pub data: Vec<f64>,
}

impl GeoRaster {
    /// Value of cell (col, row), NaN where missing.
    fn at(&self, col: usize, row: usize) -> f64 {
        self.data[row * self.ncols + col]
    }

    /// Bilinear interpolation between cell centres at a position; None outside
    /// the raster or next to a missing cell. At the outer half cell the
    /// nearest centres are used.
    pub fn sample(&self, lat: f64, lon: f64) -> Option<f64> {
        let fx = (lon - self.west) / self.dlon - 0.5;
        let fy = (lat - self.south) / self.dlat - 0.5;
        if fx < -0.5 || fy < -0.5 || fx > self.ncols as f64 - 0.5 || fy > self.nrows as f64 - 0.5 {
            return None;
        }
        let clamp = |f: f64, n: usize| f.clamp(0.0, (n - 1) as f64);
        let (fx, fy) = (clamp(fx, self.ncols), clamp(fy, self.nrows));
        let (c0, r0) = (fx.floor() as usize, fy.floor() as usize);
        let (c1, r1) = ((c0 + 1).min(self.ncols - 1), (r0 + 1).min(self.nrows - 1));
        let (tx, ty) = (fx - c0 as f64, fy - r0 as f64);
        let v = (1.0 - ty) * ((1.0 - tx) * self.at(c0, r0) + tx * self.at(c1, r0))
            + ty * ((1.0 - tx) * self.at(c0, r1) + tx * self.at(c1, r1));
        v.is_finite().then_some(v)
    }

    /// Every cell with a finite value: `(lat, lon, value)` of its centre.
    pub fn cells(&self) -> impl Iterator<Item = (f64, f64, f64)> + '_ {
        (0..self.nrows).flat_map(move |r| {
            (0..self.ncols).filter_map(move |c| {
                let v = self.at(c, r);
                v.is_finite().then_some((
                    self.south + (r as f64 + 0.5) * self.dlat,
                    self.west + (c as f64 + 0.5) * self.dlon,
                    v,
                ))
            })
        })
    }

    /// The covered box as "lon a…b, lat c…d" for messages.
    pub fn extent(&self) -> String {
        format!(
            "lon {:.4}…{:.4}, lat {:.4}…{:.4}",
            self.west,
            self.west + self.ncols as f64 * self.dlon,
            self.south,
            self.south + self.nrows as f64 * self.dlat
        )
    }
}

/// Read a raster in WGS84 degrees: `.tif` / `.tiff` as GeoTIFF, anything else
/// as an ESRI ASCII grid.
///
/// # Errors
/// [`Error::Io`] if unreadable; [`Error::Input`] if malformed or not in
/// geographic coordinates.
pub fn read(path: &Path) -> Result<GeoRaster, Error> {
    let lower = path.to_string_lossy().to_lowercase();
    if lower.ends_with(".tif") || lower.ends_with(".tiff") {
        read_geotiff(path)
    } else {
        read_ascii(path)
    }
}

fn bad(path: &Path, message: impl Into<String>) -> Error {
    Error::one(Diagnostic::new(path, None, "", message.into()))
}

const REPROJECT_HINT: &str = "reproject to WGS84 degrees first, e.g. gdalwarp -t_srs EPSG:4326 in.tif out.tif";

fn read_ascii(path: &Path) -> Result<GeoRaster, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let g: AscGrid = read_asc(&text).map_err(|e| {
        Error::one(Diagnostic::new(
            path,
            Some(LineCol {
                line: e.line(),
                col: e.column(),
            }),
            "",
            e.to_string(),
        ))
    })?;
    let (east, north) = (
        g.xllcorner + g.ncols as f64 * g.cellsize,
        g.yllcorner + g.nrows as f64 * g.cellsize,
    );
    if g.xllcorner < -180.0 || east > 180.0 || g.yllcorner < -90.0 || north > 90.0 || g.cellsize >= 1.0 {
        return Err(Error::one(
            Diagnostic::new(
                path,
                Some(LineCol { line: 3, col: 1 }),
                "xllcorner",
                format!(
                    "expected a grid in WGS84 degrees, found corner ({}, {}) and cell size {} (projected metres?)",
                    g.xllcorner, g.yllcorner, g.cellsize
                ),
            )
            .with_hint(REPROJECT_HINT),
        ));
    }
    let grid = g.to_grid();
    Ok(GeoRaster {
        ncols: g.ncols,
        nrows: g.nrows,
        west: g.xllcorner,
        south: g.yllcorner,
        dlon: g.cellsize,
        dlat: g.cellsize,
        data: grid.data,
    })
}

/// GeoTIFF keys (GeoTIFF 1.0 spec, section 6.3).
const GT_MODEL_TYPE: u64 = 1024;
const MODEL_TYPE_GEOGRAPHIC: u64 = 2;

fn read_geotiff(path: &Path) -> Result<GeoRaster, Error> {
    use tiff::decoder::{Decoder, DecodingResult};
    use tiff::tags::Tag;
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let tiff_err = |e: tiff::TiffError| bad(path, format!("not a readable GeoTIFF: {e}"));
    let mut dec = Decoder::new(std::io::BufReader::new(file)).map_err(tiff_err)?;
    let (ncols, nrows) = dec.dimensions().map_err(tiff_err)?;
    let (ncols, nrows) = (ncols as usize, nrows as usize);
    let scale = dec
        .get_tag_f64_vec(Tag::ModelPixelScaleTag)
        .map_err(|_| bad(path, "the TIFF has no ModelPixelScale tag: not georeferenced"))?;
    let tie = dec
        .get_tag_f64_vec(Tag::ModelTiepointTag)
        .map_err(|_| bad(path, "the TIFF has no ModelTiepoint tag: not georeferenced"))?;
    if scale.len() < 2 || tie.len() < 6 || scale[0] <= 0.0 || scale[1] <= 0.0 {
        return Err(bad(path, "malformed ModelPixelScale / ModelTiepoint tags"));
    }
    // GeoKeyDirectory: header of 4 shorts, then (key, location, count, value) entries.
    if let Ok(keys) = dec.get_tag_u64_vec(Tag::GeoKeyDirectoryTag) {
        let model = keys
            .get(4..)
            .unwrap_or(&[])
            .chunks(4)
            .find(|k| k[0] == GT_MODEL_TYPE)
            .map(|k| k[3]);
        if model.is_some_and(|m| m != MODEL_TYPE_GEOGRAPHIC) {
            return Err(Error::one(
                Diagnostic::new(
                    path,
                    None,
                    "",
                    "the GeoTIFF is in projected coordinates; the import reads WGS84 degrees",
                )
                .with_hint(REPROJECT_HINT),
            ));
        }
    }
    let nodata: Option<f64> = dec
        .get_tag_ascii_string(Tag::GdalNodata)
        .ok()
        .and_then(|s| s.trim_matches(char::from(0)).trim().parse().ok());
    let values: Vec<f64> = match dec.read_image().map_err(tiff_err)? {
        DecodingResult::U8(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::U16(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::U32(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::I8(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::I16(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::I32(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::F32(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::F64(v) => v,
        _ => {
            return Err(bad(
                path,
                "unsupported GeoTIFF sample type (expected one band of integers or floats)",
            ));
        }
    };
    if values.len() != ncols * nrows {
        return Err(bad(path, "expected one band (a single value per pixel)"));
    }
    // The tie point maps raster (i, j) = (tie[0], tie[1]) to (lon, lat) = (tie[3], tie[4]);
    // rows run north to south in the file.
    let west = tie[3] - tie[0] * scale[0];
    let north = tie[4] + tie[1] * scale[1];
    let south = north - nrows as f64 * scale[1];
    if west < -180.0 || north > 90.0 || south < -90.0 || scale[0] >= 1.0 {
        return Err(Error::one(
            Diagnostic::new(path, None, "", "the GeoTIFF's corner is not in WGS84 degrees").with_hint(REPROJECT_HINT),
        ));
    }
    let mut data = Vec::with_capacity(values.len());
    for row in (0..nrows).rev() {
        data.extend(
            values[row * ncols..(row + 1) * ncols]
                .iter()
                .map(|&v| if Some(v) == nodata { f64::NAN } else { v }),
        );
    }
    Ok(GeoRaster {
        ncols,
        nrows,
        west,
        south,
        dlon: scale[0],
        dlat: scale[1],
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raster() -> GeoRaster {
        // 2 × 2 cells of 0.01°, values 0 1 (south row) and 2 3 (north row).
        GeoRaster {
            ncols: 2,
            nrows: 2,
            west: 115.0,
            south: 36.0,
            dlon: 0.01,
            dlat: 0.01,
            data: vec![0.0, 1.0, 2.0, 3.0],
        }
    }

    #[test]
    fn bilinear_between_cell_centres() {
        let r = raster();
        // Centre of the south-west cell.
        assert!((r.sample(36.005, 115.005).unwrap() - 0.0).abs() < 1e-9);
        // Midway between all four centres: the mean.
        assert!((r.sample(36.01, 115.01).unwrap() - 1.5).abs() < 1e-9);
        // Outside.
        assert_eq!(r.sample(35.9, 115.0), None);
    }

    /// A GeoTIFF written with the `tiff` encoder: 3 × 2 pixels of 0.01°,
    /// north-west corner at (115.0 E, 36.02 N), one pixel marked nodata.
    fn geotiff(model_type: u16) -> Vec<u8> {
        use tiff::encoder::{TiffEncoder, colortype};
        use tiff::tags::Tag;
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut enc = TiffEncoder::new(&mut buf).unwrap();
        let mut image = enc.new_image::<colortype::Gray32Float>(3, 2).unwrap();
        let e = image.encoder();
        e.write_tag(Tag::ModelPixelScaleTag, &[0.01f64, 0.01, 0.0][..]).unwrap();
        e.write_tag(Tag::ModelTiepointTag, &[0.0f64, 0.0, 0.0, 115.0, 36.02, 0.0][..])
            .unwrap();
        e.write_tag(Tag::GeoKeyDirectoryTag, &[1u16, 1, 0, 1, 1024, 0, 1, model_type][..])
            .unwrap();
        e.write_tag(Tag::GdalNodata, "-9999").unwrap();
        // File order: north row first.
        image.write_data(&[1.0f32, 2.0, 3.0, 4.0, 5.0, -9999.0]).unwrap();
        buf.into_inner()
    }

    #[test]
    fn geotiff_in_degrees_reads_with_rows_flipped_and_nodata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dem.tif");
        std::fs::write(&path, geotiff(2)).unwrap();
        let r = read(&path).unwrap();
        assert_eq!((r.ncols, r.nrows), (3, 2));
        assert!((r.west - 115.0).abs() < 1e-12 && (r.south - 36.0).abs() < 1e-12);
        // South row first in memory: 4 5 NaN, then 1 2 3.
        assert_eq!(r.data[..2], [4.0, 5.0]);
        assert!(r.data[2].is_nan());
        assert_eq!(r.data[3..], [1.0, 2.0, 3.0]);
        assert!((r.sample(36.015, 115.005).unwrap() - 1.0).abs() < 1e-9);
        assert_eq!(r.sample(36.005, 115.025), None, "next to the nodata pixel");
    }

    #[test]
    fn projected_geotiff_is_refused_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("utm.tif");
        std::fs::write(&path, geotiff(1)).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("projected coordinates") && err.contains("gdalwarp"),
            "{err}"
        );
        std::fs::write(&path, b"not a tiff at all").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("not a readable GeoTIFF"), "{err}");
    }

    #[test]
    fn cells_sum_is_the_total() {
        let total: f64 = raster().cells().map(|c| c.2).sum();
        assert_eq!(total, 6.0);
    }
}
