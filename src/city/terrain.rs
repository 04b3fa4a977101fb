//! Stage 2 of the pipeline: the city's ground. Owns the terrain and land-use
//! rasters that the flood and fire models run on, their file format (ESRI ASCII
//! grid, `.asc`), and the per-class defaults the hazard models need (Manning
//! roughness, fuel, drainage capacity).
//!
//! Depends only on `std`, `serde` and [`Grid`], so the terrain generator in
//! `tools/gen_linqing_terrain/` includes this file verbatim (`#[path = ...]`)
//! and the rasters it writes always match what this reader accepts.
//!
//! # Coordinates
//! The bundled rasters (`assets/maps/linqing-dem.asc`,
//! `assets/maps/linqing-landuse.asc`) are stored in the map's **local metric
//! coordinates**: `xllcorner` / `yllcorner` are metres east / north of the map
//! origin (the equirectangular projection of [`crate::city::Projection`]), so an
//! [`AscGrid`] maps 1:1 onto a [`Grid`] ([`AscGrid::to_grid`]). A real DEM
//! (SRTM, ASTER, a survey) in geographic or UTM coordinates must first be
//! reprojected into those local metres and resampled onto the model grid
//! (issue 7 adds that import path); [`resample_bilinear`] does the resampling
//! step once the source is in local metres.
//!
//! # The `.asc` format
//! A header of `key value` lines (keys case-insensitive, in any order):
//! `ncols`, `nrows`, `xllcorner` or `xllcenter`, `yllcorner` or `yllcenter`,
//! `cellsize`, and optionally `NODATA_value`; then `nrows` lines of `ncols`
//! numbers each, the **northernmost row first**. [`read_asc`] flips the rows so
//! that [`AscGrid::data`] is row-major from the south-west corner, like
//! [`Grid`]. Every problem is reported with its 1-based line and column (the
//! column is the position of the whitespace-separated token on its line).
//!
//! # Land use
//! Codes used in the land-use `.asc` (see [`LandUse::code`]):
//!
//! | code | class | default Manning n | fuel hint | default drainage, mm/h |
//! | --- | --- | --- | --- | --- |
//! | 1 | [`LandUse::Water`] | 0.030 | unburnable | 0 |
//! | 2 | [`LandUse::Cropland`] | 0.040 | agriculture, normal density | 5 |
//! | 3 | [`LandUse::Village`] | 0.060 | building blocks (courtyard houses) | 3 |
//! | 4 | [`LandUse::UrbanBlock`] | 0.080 | building blocks (town) | 25 |
//! | 5 | [`LandUse::Industrial`] | 0.060 | building blocks (sheds) | 20 |
//! | 6 | [`LandUse::Park`] | 0.035 | grass / thicket, sparse | 15 |
//! | 7 | [`LandUse::Road`] | 0.017 | unburnable | 2 |
//!
//! Code 0 is never written (reserved for "unknown"). Where each default comes
//! from is documented on [`LandUse::default_manning_n`],
//! [`LandUse::fuel_hint`] and [`LandUse::default_drainage_mm_h`].

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

use crate::hazard::grid::Grid;

// ---------------------------------------------------------------------------
// ESRI ASCII grid
// ---------------------------------------------------------------------------

/// An ESRI ASCII grid in memory, rows flipped to start in the south.
///
/// Invariant (checked by [`read_asc`], assumed by [`write_asc`]):
/// `data.len() == ncols * nrows`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AscGrid {
    /// Columns (west → east).
    pub ncols: usize,
    /// Rows (south → north).
    pub nrows: usize,
    /// x of the west edge of the grid (`xllcenter − cellsize/2` when the file
    /// gives the centre of the south-west cell).
    pub xllcorner: f64,
    /// y of the south edge of the grid (`yllcenter − cellsize/2` likewise).
    pub yllcorner: f64,
    /// Cell size (square cells), in the file's length unit (metres here).
    pub cellsize: f64,
    /// The value that marks a missing cell, if the file declares one.
    pub nodata: Option<f64>,
    /// Values as written in the file (nodata cells keep the nodata value),
    /// row-major from the south-west corner: `data[row * ncols + col]`.
    pub data: Vec<f64>,
}

/// A problem in an `.asc` file. Lines and columns are 1-based; the column is
/// the position of the whitespace-separated token on its line.
#[derive(Debug, Clone, PartialEq)]
pub enum AscError {
    /// A required header key is absent (`key` names it, e.g. `"cellsize"` or
    /// `"xllcorner or xllcenter"`); `line` is where the data (or the file) began.
    MissingKey {
        /// The key that is missing.
        key: &'static str,
        /// Line where the header ended.
        line: usize,
        /// Always 1.
        column: usize,
    },
    /// A header line starts with a word that is not a known key.
    UnknownKey {
        /// The word found.
        key: String,
        /// Line of the key.
        line: usize,
        /// Always 1.
        column: usize,
    },
    /// A header key appears twice (also `xllcorner` together with `xllcenter`).
    DuplicateKey {
        /// The key as written the second time.
        key: String,
        /// Line of the second occurrence.
        line: usize,
        /// Always 1.
        column: usize,
        /// Line of the first occurrence.
        first_line: usize,
    },
    /// A token is not a number of the expected kind, or a value is missing.
    BadNumber {
        /// The token found (empty when the value is missing).
        found: String,
        /// What was expected, e.g. "a whole number of columns > 0".
        expected: &'static str,
        /// Line of the token.
        line: usize,
        /// Token position on the line.
        column: usize,
    },
    /// A header value is a number but out of range (cellsize ≤ 0, zero rows,
    /// a grid too large to address, an extra token after the value).
    BadHeaderValue {
        /// The key whose value is wrong.
        key: &'static str,
        /// The value (or token) found.
        found: String,
        /// What was expected.
        expected: &'static str,
        /// Line of the value.
        line: usize,
        /// Token position on the line.
        column: usize,
    },
    /// A data line has the wrong number of values. `column` points at the first
    /// extra token, or just past the last one when values are missing.
    WrongCount {
        /// Data row, 1-based from the top of the file (the northernmost row is 1).
        row: usize,
        /// `ncols`.
        expected: usize,
        /// Values found on the line.
        found: usize,
        /// Line of the data row.
        line: usize,
        /// See the variant doc.
        column: usize,
    },
    /// More data lines than `nrows`.
    TooManyRows {
        /// `nrows`.
        expected: usize,
        /// Line of the first extra row.
        line: usize,
        /// Always 1.
        column: usize,
    },
    /// The file ends before `nrows` data lines.
    TooFewRows {
        /// `nrows`.
        expected: usize,
        /// Data lines found.
        found: usize,
        /// The line after the last one in the file.
        line: usize,
        /// Always 1.
        column: usize,
    },
}

impl AscError {
    /// 1-based line of the problem.
    pub fn line(&self) -> usize {
        match *self {
            AscError::MissingKey { line, .. }
            | AscError::UnknownKey { line, .. }
            | AscError::DuplicateKey { line, .. }
            | AscError::BadNumber { line, .. }
            | AscError::BadHeaderValue { line, .. }
            | AscError::WrongCount { line, .. }
            | AscError::TooManyRows { line, .. }
            | AscError::TooFewRows { line, .. } => line,
        }
    }

    /// 1-based column (token position) of the problem.
    pub fn column(&self) -> usize {
        match *self {
            AscError::MissingKey { column, .. }
            | AscError::UnknownKey { column, .. }
            | AscError::DuplicateKey { column, .. }
            | AscError::BadNumber { column, .. }
            | AscError::BadHeaderValue { column, .. }
            | AscError::WrongCount { column, .. }
            | AscError::TooManyRows { column, .. }
            | AscError::TooFewRows { column, .. } => column,
        }
    }
}

/// The header keys [`read_asc`] accepts, for messages.
const KNOWN_KEYS: &str = "ncols, nrows, xllcorner or xllcenter, yllcorner or yllcenter, cellsize, NODATA_value";

impl fmt::Display for AscError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: ", self.line(), self.column())?;
        match self {
            AscError::MissingKey { key, .. } => {
                write!(
                    f,
                    "missing header key {key} (hint: the header needs {KNOWN_KEYS} before the data)"
                )
            }
            AscError::UnknownKey { key, .. } => {
                write!(f, "unknown header key \"{key}\" (expected one of {KNOWN_KEYS})")
            }
            AscError::DuplicateKey { key, first_line, .. } => {
                write!(f, "header key {key} given again (first on line {first_line})")
            }
            AscError::BadNumber { found, expected, .. } if found.is_empty() => {
                write!(f, "expected {expected}, found nothing")
            }
            AscError::BadNumber { found, expected, .. } => write!(f, "expected {expected}, found \"{found}\""),
            AscError::BadHeaderValue {
                key, found, expected, ..
            } => {
                write!(f, "{key}: expected {expected}, found \"{found}\"")
            }
            AscError::WrongCount {
                row, expected, found, ..
            } => {
                write!(f, "expected {expected} values on row {row}, found {found}")
            }
            AscError::TooManyRows { expected, .. } => {
                write!(f, "more data rows than nrows = {expected} (hint: check nrows)")
            }
            AscError::TooFewRows { expected, found, .. } => {
                write!(
                    f,
                    "expected {expected} data rows (nrows), found {found}: the file is truncated"
                )
            }
        }
    }
}

impl std::error::Error for AscError {}

/// Header values collected by [`read_asc`], with the line each came from.
#[derive(Default)]
struct Header {
    ncols: Option<(usize, usize)>,
    nrows: Option<(usize, usize)>,
    /// (value, is_centre, line)
    x: Option<(f64, bool, usize)>,
    y: Option<(f64, bool, usize)>,
    cellsize: Option<(f64, usize)>,
    nodata: Option<(f64, usize)>,
}

fn parse_count(key: &'static str, tok: &str, line: usize) -> Result<usize, AscError> {
    let expected = if key == "ncols" {
        "a whole number of columns > 0"
    } else {
        "a whole number of rows > 0"
    };
    match tok.parse::<usize>() {
        Ok(0) => Err(AscError::BadHeaderValue {
            key,
            found: tok.to_string(),
            expected,
            line,
            column: 2,
        }),
        Ok(n) => Ok(n),
        Err(_) => Err(AscError::BadNumber {
            found: tok.to_string(),
            expected,
            line,
            column: 2,
        }),
    }
}

fn parse_finite(tok: &str, expected: &'static str, line: usize, column: usize) -> Result<f64, AscError> {
    match tok.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(AscError::BadNumber {
            found: tok.to_string(),
            expected,
            line,
            column,
        }),
    }
}

/// Parse an ESRI ASCII grid.
///
/// Accepts `\n` or `\r\n` line ends, a leading byte-order mark, blank lines
/// anywhere, and header keys in any order and case; `xllcenter`/`yllcenter`
/// are converted to corners. Each data line must hold exactly `ncols` finite
/// numbers. Never panics, and never allocates more than the text could fill,
/// whatever the input.
///
/// # Errors
/// The first problem found, as an [`AscError`] with its line and column:
/// missing, unknown or duplicate header keys; tokens that are not numbers;
/// `cellsize ≤ 0`, `ncols`/`nrows` of 0 or too large; a data row with the
/// wrong count of values; too many or too few rows.
pub fn read_asc(text: &str) -> Result<AscGrid, AscError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().map(|(k, l)| (k + 1, l)).peekable();
    let mut h = Header::default();

    // Header: lines whose first token starts with a letter.
    while let Some(&(line, content)) = lines.peek() {
        let mut toks = content.split_whitespace();
        let Some(key) = toks.next() else {
            lines.next();
            continue;
        };
        if !key.starts_with(|c: char| c.is_alphabetic()) {
            break;
        }
        lines.next();
        let lower = key.to_ascii_lowercase();
        let value = toks.next().unwrap_or("");
        if let Some(extra) = toks.next() {
            let key = match lower.as_str() {
                "ncols" => "ncols",
                "nrows" => "nrows",
                "cellsize" => "cellsize",
                "nodata_value" => "NODATA_value",
                "xllcorner" | "xllcenter" => "xllcorner",
                "yllcorner" | "yllcenter" => "yllcorner",
                _ => {
                    return Err(AscError::UnknownKey {
                        key: key.to_string(),
                        line,
                        column: 1,
                    });
                }
            };
            return Err(AscError::BadHeaderValue {
                key,
                found: extra.to_string(),
                expected: "one value after the key and nothing else",
                line,
                column: 3,
            });
        }
        let dup = |first_line: usize| AscError::DuplicateKey {
            key: key.to_string(),
            line,
            column: 1,
            first_line,
        };
        match lower.as_str() {
            "ncols" | "nrows" => {
                let (slot, name) = if lower == "ncols" {
                    (&mut h.ncols, "ncols")
                } else {
                    (&mut h.nrows, "nrows")
                };
                if let Some((_, first)) = *slot {
                    return Err(dup(first));
                }
                *slot = Some((parse_count(name, value, line)?, line));
            }
            "xllcorner" | "xllcenter" | "yllcorner" | "yllcenter" => {
                let slot = if lower.starts_with('x') { &mut h.x } else { &mut h.y };
                if let Some((_, _, first)) = *slot {
                    return Err(dup(first));
                }
                let v = parse_finite(value, "a finite number (the south-west corner or centre)", line, 2)?;
                *slot = Some((v, lower.ends_with("center"), line));
            }
            "cellsize" => {
                if let Some((_, first)) = h.cellsize {
                    return Err(dup(first));
                }
                let v = parse_finite(value, "a finite cell size > 0", line, 2)?;
                if v <= 0.0 {
                    return Err(AscError::BadHeaderValue {
                        key: "cellsize",
                        found: value.to_string(),
                        expected: "a cell size > 0",
                        line,
                        column: 2,
                    });
                }
                h.cellsize = Some((v, line));
            }
            "nodata_value" => {
                if let Some((_, first)) = h.nodata {
                    return Err(dup(first));
                }
                h.nodata = Some((parse_finite(value, "a finite nodata value", line, 2)?, line));
            }
            _ => {
                return Err(AscError::UnknownKey {
                    key: key.to_string(),
                    line,
                    column: 1,
                });
            }
        }
    }

    let header_end = lines.peek().map_or(text.lines().count() + 1, |&(line, _)| line);
    let missing = |key: &'static str| AscError::MissingKey {
        key,
        line: header_end,
        column: 1,
    };
    let (ncols, _) = h.ncols.ok_or_else(|| missing("ncols"))?;
    let (nrows, nrows_line) = h.nrows.ok_or_else(|| missing("nrows"))?;
    let (x, x_centre, _) = h.x.ok_or_else(|| missing("xllcorner or xllcenter"))?;
    let (y, y_centre, _) = h.y.ok_or_else(|| missing("yllcorner or yllcenter"))?;
    let (cellsize, _) = h.cellsize.ok_or_else(|| missing("cellsize"))?;
    let Some(cells) = ncols.checked_mul(nrows) else {
        return Err(AscError::BadHeaderValue {
            key: "nrows",
            found: nrows.to_string(),
            expected: "ncols × nrows small enough to address",
            line: nrows_line,
            column: 2,
        });
    };

    // Data, north row first. Capacity is bounded by what the text can hold
    // (each value takes at least 2 bytes with its separator).
    let mut north_first: Vec<f64> = Vec::with_capacity(cells.min(text.len() / 2 + 1));
    let mut rows_read = 0usize;
    let mut last_line = header_end.saturating_sub(1);
    for (line, content) in lines {
        last_line = line;
        if content.trim().is_empty() {
            continue;
        }
        if rows_read == nrows {
            return Err(AscError::TooManyRows {
                expected: nrows,
                line,
                column: 1,
            });
        }
        let found = content.split_whitespace().count();
        if found != ncols {
            return Err(AscError::WrongCount {
                row: rows_read + 1,
                expected: ncols,
                found,
                line,
                column: found.min(ncols) + 1,
            });
        }
        for (k, tok) in content.split_whitespace().enumerate() {
            north_first.push(parse_finite(tok, "a finite number", line, k + 1)?);
        }
        rows_read += 1;
    }
    if rows_read < nrows {
        return Err(AscError::TooFewRows {
            expected: nrows,
            found: rows_read,
            line: last_line + 1,
            column: 1,
        });
    }

    let mut data = Vec::with_capacity(cells);
    for row in north_first.chunks_exact(ncols).rev() {
        data.extend_from_slice(row);
    }
    let half = cellsize / 2.0;
    Ok(AscGrid {
        ncols,
        nrows,
        xllcorner: if x_centre { x - half } else { x },
        yllcorner: if y_centre { y - half } else { y },
        cellsize,
        nodata: h.nodata.map(|(v, _)| v),
        data,
    })
}

/// Nodata value [`write_asc`] declares when the grid has non-finite values but
/// no [`AscGrid::nodata`] of its own (the common ESRI convention).
pub const DEFAULT_NODATA: f64 = -9999.0;

/// Write an ESRI ASCII grid: header `ncols`, `nrows`, `xllcorner`,
/// `yllcorner`, `cellsize`, `NODATA_value` (when there is one), then the rows
/// north first, values separated by one space, `\n` line ends.
///
/// Values are written with Rust's shortest round-trip formatting (`3.0` as
/// `3`, `35.27` as `35.27`), so [`read_asc`] gives back the same numbers; to
/// keep a file compact, round the values first (e.g. to 2 decimals). Non-finite
/// values are written as the nodata value ([`DEFAULT_NODATA`] if the grid
/// declares none, and then the header declares it).
///
/// # Panics
/// If `grid.data.len() != grid.ncols * grid.nrows` (a bug in the caller).
pub fn write_asc(grid: &AscGrid) -> String {
    assert_eq!(
        grid.data.len(),
        grid.ncols * grid.nrows,
        "invariant: AscGrid data holds ncols × nrows values"
    );
    let nodata = grid
        .nodata
        .or_else(|| grid.data.iter().any(|v| !v.is_finite()).then_some(DEFAULT_NODATA));
    let mut out = String::with_capacity(grid.data.len() * 7 + 160);
    let _ = write!(
        out,
        "ncols {}\nnrows {}\nxllcorner {}\nyllcorner {}\ncellsize {}\n",
        grid.ncols, grid.nrows, grid.xllcorner, grid.yllcorner, grid.cellsize
    );
    if let Some(nd) = nodata {
        let _ = writeln!(out, "NODATA_value {nd}");
    }
    if grid.ncols == 0 {
        return out;
    }
    for row in grid.data.chunks_exact(grid.ncols).rev() {
        for (k, v) in row.iter().enumerate() {
            if k > 0 {
                out.push(' ');
            }
            let v = if v.is_finite() {
                *v
            } else {
                nodata.unwrap_or(DEFAULT_NODATA)
            };
            let _ = write!(out, "{v}"); // writing to a String cannot fail
        }
        out.push('\n');
    }
    out
}

impl AscGrid {
    /// The grid as a [`Grid<f64>`] in the same coordinates (`dx = cellsize`,
    /// `x0 = xllcorner`, `y0 = yllcorner`); nodata cells become `NaN`.
    ///
    /// The bundled rasters are in the map's local metres, so this is all the
    /// conversion they need; see the module doc for other coordinate systems.
    pub fn to_grid(&self) -> Grid<f64> {
        let nodata = self.nodata;
        Grid {
            nx: self.ncols,
            ny: self.nrows,
            dx: self.cellsize,
            x0: self.xllcorner,
            y0: self.yllcorner,
            data: self
                .data
                .iter()
                .map(|&v| if Some(v) == nodata { f64::NAN } else { v })
                .collect(),
        }
    }

    /// An [`AscGrid`] holding `grid`'s values; `NaN` cells become `nodata`
    /// (or [`DEFAULT_NODATA`] when `nodata` is `None` and there are any).
    pub fn from_grid(grid: &Grid<f64>, nodata: Option<f64>) -> AscGrid {
        let nodata = nodata.or_else(|| grid.data.iter().any(|v| v.is_nan()).then_some(DEFAULT_NODATA));
        AscGrid {
            ncols: grid.nx,
            nrows: grid.ny,
            xllcorner: grid.x0,
            yllcorner: grid.y0,
            cellsize: grid.dx,
            nodata,
            data: grid
                .data
                .iter()
                .map(|&v| {
                    if v.is_nan() {
                        nodata.unwrap_or(DEFAULT_NODATA)
                    } else {
                        v
                    }
                })
                .collect(),
        }
    }

    /// Read a land-use raster: every value must be one of the codes of
    /// [`LandUse::code`].
    ///
    /// # Errors
    /// [`LandUseCodeError`] for the first cell (in file order: north row first)
    /// whose value is not a land-use code (including nodata cells).
    pub fn to_landuse_grid(&self) -> Result<Grid<LandUse>, LandUseCodeError> {
        let as_landuse = |v: f64| {
            let whole = v.fract() == 0.0 && v.abs() <= f64::from(i32::MAX);
            whole.then(|| landuse_from_code(v as i32)).flatten()
        };
        // Check in file order (north row first) so the error names the first bad cell a reader sees.
        for row in (0..self.nrows).rev() {
            for col in 0..self.ncols {
                let v = self.data.get(row * self.ncols + col).copied().unwrap_or(f64::NAN);
                if as_landuse(v).is_none() {
                    return Err(LandUseCodeError {
                        row: self.nrows - row,
                        column: col + 1,
                        value: v,
                    });
                }
            }
        }
        Ok(Grid {
            nx: self.ncols,
            ny: self.nrows,
            dx: self.cellsize,
            x0: self.xllcorner,
            y0: self.yllcorner,
            data: self
                .data
                .iter()
                .map(|&v| as_landuse(v).expect("invariant: every cell was checked above"))
                .collect(),
        })
    }

    /// An [`AscGrid`] of land-use codes (integers, no nodata).
    pub fn from_landuse_grid(grid: &Grid<LandUse>) -> AscGrid {
        AscGrid {
            ncols: grid.nx,
            nrows: grid.ny,
            xllcorner: grid.x0,
            yllcorner: grid.y0,
            cellsize: grid.dx,
            nodata: None,
            data: grid.data.iter().map(|lu| f64::from(lu.code())).collect(),
        }
    }
}

/// A land-use raster cell whose value is not a [`LandUse`] code.
#[derive(Debug, Clone, PartialEq)]
pub struct LandUseCodeError {
    /// Data row, 1-based from the top of the file (the northernmost row is 1).
    pub row: usize,
    /// Column, 1-based from the west.
    pub column: usize,
    /// The value found.
    pub value: f64,
}

impl fmt::Display for LandUseCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "data row {}, column {}: {} is not a land-use code (expected a whole number 1–7: ",
            self.row, self.column, self.value
        )?;
        for (k, lu) in LandUse::ALL.iter().enumerate() {
            let sep = if k == 0 { "" } else { ", " };
            write!(f, "{sep}{} {}", lu.code(), lu.name())?;
        }
        write!(f, ")")
    }
}

impl std::error::Error for LandUseCodeError {}

// ---------------------------------------------------------------------------
// Resampling
// ---------------------------------------------------------------------------

/// Resample `src` onto the grid `target = (nx, ny, dx, x0, y0)` (same meaning
/// as the [`Grid`] fields, same coordinate system as `src`) by bilinear
/// interpolation between `src` cell centres.
///
/// - Each target cell takes the value at its centre.
/// - `NaN`-aware: `NaN` corners are left out and the weights of the others
///   renormalised; the result is `NaN` only where every corner with a
///   non-zero weight is `NaN`.
/// - Between the outermost source cell centres and the source's outer edge the
///   value is held constant (clamped); outside the source extent it is `NaN`.
/// - A field linear in x and y is reproduced exactly (up to rounding) wherever
///   the four corners are valid.
///
/// Preconditions: `dx > 0` and finite for both grids. Complexity O(nx·ny).
pub fn resample_bilinear(src: &Grid<f64>, target: (usize, usize, f64, f64, f64)) -> Grid<f64> {
    let (nx, ny, dx, x0, y0) = target;
    let mut out = Grid::filled(nx, ny, dx, x0, y0, f64::NAN);
    if src.nx == 0 || src.ny == 0 || src.data.len() != src.nx * src.ny {
        return out;
    }
    let (sx1, sy1) = (src.x0 + src.nx as f64 * src.dx, src.y0 + src.ny as f64 * src.dx);
    // Fractional index of the cell centre below/left of t, and the weight of the next one.
    let axis = |t: f64, t0: f64, n: usize| -> (usize, usize, f64) {
        let u = ((t - t0) / src.dx - 0.5).clamp(0.0, (n - 1) as f64);
        let i0 = (u.floor() as usize).min(n.saturating_sub(2));
        let i1 = (i0 + 1).min(n - 1);
        (i0, i1, u - i0 as f64)
    };
    for j in 0..ny {
        for i in 0..nx {
            let (x, y) = out.centre(i, j);
            if !(x >= src.x0 && x <= sx1 && y >= src.y0 && y <= sy1) {
                continue;
            }
            let (i0, i1, fx) = axis(x, src.x0, src.nx);
            let (j0, j1, fy) = axis(y, src.y0, src.ny);
            let corners = [
                (*src.at(i0, j0), (1.0 - fx) * (1.0 - fy)),
                (*src.at(i1, j0), fx * (1.0 - fy)),
                (*src.at(i0, j1), (1.0 - fx) * fy),
                (*src.at(i1, j1), fx * fy),
            ];
            let (mut sum, mut wsum) = (0.0, 0.0);
            for (v, w) in corners {
                if !v.is_nan() && w > 0.0 {
                    sum += v * w;
                    wsum += w;
                }
            }
            if wsum > 1e-12 {
                *out.at_mut(i, j) = sum / wsum;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Land use
// ---------------------------------------------------------------------------

/// Land-use class of a raster cell; sets the defaults the hazard models need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LandUse {
    /// River or canal channel (code 1).
    Water,
    /// Fields: wheat–maize rotation, vegetables, field margins (code 2).
    Cropland,
    /// Village built-up land: one-storey brick courtyard houses (code 3).
    Village,
    /// Urban built-up block in the subdistricts (code 4).
    UrbanBlock,
    /// Industrial land: development zone, plants (code 5).
    Industrial,
    /// Park, square, or green embankment (levee crest) (code 6).
    Park,
    /// National or provincial road corridor (code 7).
    Road,
}

/// The land-use class with code `code` (see [`LandUse::code`]), if any.
pub fn landuse_from_code(code: i32) -> Option<LandUse> {
    LandUse::ALL.into_iter().find(|lu| lu.code() == code)
}

/// A fire-model fuel hint for a land-use class. The variants and fields mirror
/// `crate::hazard::fire` (`Fuel { vegetation, density }` for the wildland
/// automaton, `BuildingBlock` for the urban model) by name, without depending
/// on it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum FuelHint {
    /// Does not burn (water, paved road).
    Unburnable,
    /// Vegetation for the wildland automaton (Alexandridis et al. 2008).
    Vegetation {
        /// Vegetation type (`fire::Vegetation`).
        vegetation: VegetationHint,
        /// Vegetation density (`fire::Density`).
        density: DensityHint,
    },
    /// Built-up land for the urban (Hamada) model: uniform square buildings.
    Buildings {
        /// Building side a, m.
        side_m: f64,
        /// Gap between buildings d, m.
        gap_m: f64,
        /// Share of fire-resistant buildings f_b, in [0, 1].
        fire_resistant_share: f64,
    },
}

/// Vegetation type of a [`FuelHint::Vegetation`] (mirrors `fire::Vegetation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VegetationHint {
    /// Cropland.
    Agriculture,
    /// Grass and thickets.
    GrassThicket,
    /// Forest, plantations, shelter belts.
    Forest,
}

/// Vegetation density of a [`FuelHint::Vegetation`] (mirrors `fire::Density`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DensityHint {
    /// Sparse.
    Sparse,
    /// Normal.
    Normal,
    /// Dense.
    Dense,
}

impl LandUse {
    /// Every class, in code order.
    pub const ALL: [LandUse; 7] = [
        LandUse::Water,
        LandUse::Cropland,
        LandUse::Village,
        LandUse::UrbanBlock,
        LandUse::Industrial,
        LandUse::Park,
        LandUse::Road,
    ];

    /// Integer code in land-use `.asc` files: Water 1, Cropland 2, Village 3,
    /// UrbanBlock 4, Industrial 5, Park 6, Road 7 (0 is reserved for unknown
    /// and never written).
    pub fn code(self) -> i32 {
        match self {
            LandUse::Water => 1,
            LandUse::Cropland => 2,
            LandUse::Village => 3,
            LandUse::UrbanBlock => 4,
            LandUse::Industrial => 5,
            LandUse::Park => 6,
            LandUse::Road => 7,
        }
    }

    /// English name, as in the enum.
    pub fn name(self) -> &'static str {
        match self {
            LandUse::Water => "Water",
            LandUse::Cropland => "Cropland",
            LandUse::Village => "Village",
            LandUse::UrbanBlock => "UrbanBlock",
            LandUse::Industrial => "Industrial",
            LandUse::Park => "Park",
            LandUse::Road => "Road",
        }
    }

    /// Default Manning roughness n, s/m^{1/3}, for overland flow.
    ///
    /// Ranges from `shared/DOMAIN.md`, "Flood" (verify): cropland 0.035–0.05,
    /// urban blocks 0.05–0.1, roads 0.015–0.02, water ≈ 0.03. Villages and
    /// industrial land (fewer, larger obstacles than urban blocks) take the low
    /// end of the urban range; parks and grass embankments the low end of the
    /// cropland range (short grass; planning assumption). Defaults to be
    /// replaced when calibrated values are at hand.
    pub fn default_manning_n(self) -> f64 {
        match self {
            LandUse::Water => 0.030,      // DOMAIN.md (verify): ≈ 0.03
            LandUse::Cropland => 0.040,   // DOMAIN.md (verify): 0.035–0.05
            LandUse::Village => 0.060,    // DOMAIN.md (verify) urban 0.05–0.1, low end
            LandUse::UrbanBlock => 0.080, // DOMAIN.md (verify): 0.05–0.1
            LandUse::Industrial => 0.060, // DOMAIN.md (verify) urban 0.05–0.1, low end
            LandUse::Park => 0.035,       // planning assumption: short grass, cropland low end
            LandUse::Road => 0.017,       // DOMAIN.md (verify): 0.015–0.02
        }
    }

    /// Fuel hint for the fire models.
    ///
    /// Cropland → agriculture at normal density (Alexandridis et al. 2008
    /// classes, `shared/DOMAIN.md` "Fire"); parks and levee grass → grass /
    /// thicket, sparse; water and roads → unburnable. Building blocks are
    /// planning assumptions, not survey data: villages 10 m houses with 5 m
    /// gaps, 20 % fire-resistant (brick walls, timber roofs; also the old
    /// town's courtyard houses); urban blocks 12 m buildings, 8 m gaps, 70 %
    /// fire-resistant (a county town rebuilt since the 1990s in brick-concrete
    /// and reinforced concrete); industrial sheds 30 m, 20 m gaps, 70 %
    /// fire-resistant.
    pub fn fuel_hint(self) -> FuelHint {
        match self {
            LandUse::Water | LandUse::Road => FuelHint::Unburnable,
            LandUse::Cropland => FuelHint::Vegetation {
                vegetation: VegetationHint::Agriculture,
                density: DensityHint::Normal,
            },
            LandUse::Park => FuelHint::Vegetation {
                vegetation: VegetationHint::GrassThicket,
                density: DensityHint::Sparse,
            },
            LandUse::Village => FuelHint::Buildings {
                side_m: 10.0,
                gap_m: 5.0,
                fire_resistant_share: 0.2,
            },
            LandUse::UrbanBlock => FuelHint::Buildings {
                side_m: 12.0,
                gap_m: 8.0,
                fire_resistant_share: 0.7,
            },
            LandUse::Industrial => FuelHint::Buildings {
                side_m: 30.0,
                gap_m: 20.0,
                fire_resistant_share: 0.7,
            },
        }
    }

    /// Default drainage capacity, mm/h: the rate at which standing water
    /// leaves a cell through sewers, ditches and infiltration.
    ///
    /// Planning assumptions, not design data: a county town's storm sewers
    /// are designed for roughly a 1–3-year storm, i.e. about 20–30 mm/h of
    /// runoff (urban blocks 25, industrial 20, parks 15 with infiltration);
    /// rural land drains slowly, 0–5 mm/h (cropland 5 through soil and field
    /// ditches, villages 3, rural roads 2); channels 0 (they receive water).
    pub fn default_drainage_mm_h(self) -> f32 {
        match self {
            LandUse::Water => 0.0,
            LandUse::Cropland => 5.0,
            LandUse::Village => 3.0,
            LandUse::UrbanBlock => 25.0,
            LandUse::Industrial => 20.0,
            LandUse::Park => 15.0,
            LandUse::Road => 2.0,
        }
    }
}

impl fmt::Display for LandUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Per-cell default Manning n ([`LandUse::default_manning_n`]) on the land-use grid's shape.
pub fn manning_grid(landuse: &Grid<LandUse>) -> Grid<f64> {
    Grid {
        nx: landuse.nx,
        ny: landuse.ny,
        dx: landuse.dx,
        x0: landuse.x0,
        y0: landuse.y0,
        data: landuse.data.iter().map(|lu| lu.default_manning_n()).collect(),
    }
}

/// Per-cell default drainage capacity, mm/h ([`LandUse::default_drainage_mm_h`]).
pub fn drainage_grid(landuse: &Grid<LandUse>) -> Grid<f32> {
    Grid {
        nx: landuse.nx,
        ny: landuse.ny,
        dx: landuse.dx,
        x0: landuse.x0,
        y0: landuse.y0,
        data: landuse.data.iter().map(|lu| lu.default_drainage_mm_h()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "ncols 3\nnrows 2\nxllcorner -100\nyllcorner 50\ncellsize 10\nNODATA_value -9999\n\
                         1 2 3\n4 -9999 6\n";

    #[test]
    fn reads_and_flips_rows() {
        let g = read_asc(SMALL).unwrap();
        assert_eq!((g.ncols, g.nrows), (3, 2));
        assert_eq!((g.xllcorner, g.yllcorner, g.cellsize), (-100.0, 50.0, 10.0));
        assert_eq!(g.nodata, Some(-9999.0));
        // South row (the file's last line) first.
        assert_eq!(g.data, vec![4.0, -9999.0, 6.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn header_is_case_insensitive_in_any_order_with_centres_and_optional_nodata() {
        let text = "\u{feff}CELLSIZE 2.5\r\nYllCenter 1.25\r\nNROWS 1\r\nxllcenter 11.25\r\n\r\nNcols 2\r\n7 8\r\n\r\n";
        let g = read_asc(text).unwrap();
        assert_eq!((g.xllcorner, g.yllcorner, g.cellsize), (10.0, 0.0, 2.5));
        assert_eq!(g.nodata, None);
        assert_eq!(g.data, vec![7.0, 8.0]);
    }

    #[test]
    fn write_then_read_round_trips() {
        let g = AscGrid {
            ncols: 3,
            nrows: 2,
            xllcorner: -13700.0,
            yllcorner: -23100.0,
            cellsize: 100.0,
            nodata: None,
            data: vec![35.27, 34.0, 33.99, 0.1, -0.5, 1e-3],
        };
        let text = write_asc(&g);
        assert!(text.starts_with("ncols 3\nnrows 2\nxllcorner -13700\nyllcorner -23100\ncellsize 100\n"));
        assert!(text.ends_with("0.1 -0.5 0.001\n35.27 34 33.99\n"), "{text}");
        assert_eq!(read_asc(&text).unwrap(), g);
    }

    #[test]
    fn nan_is_written_as_nodata_and_read_back_as_nan() {
        let grid = Grid {
            nx: 2,
            ny: 1,
            dx: 5.0,
            x0: 0.0,
            y0: 0.0,
            data: vec![1.5, f64::NAN],
        };
        let asc = AscGrid::from_grid(&grid, None);
        let text = write_asc(&asc);
        assert!(
            text.contains("NODATA_value -9999\n") && text.ends_with("1.5 -9999\n"),
            "{text}"
        );
        let back = read_asc(&text).unwrap().to_grid();
        assert_eq!((back.nx, back.ny, back.dx), (2, 1, 5.0));
        assert_eq!(back.data[0], 1.5);
        assert!(back.data[1].is_nan());
    }

    #[test]
    fn to_grid_keeps_geometry_and_orientation() {
        let g = read_asc(SMALL).unwrap().to_grid();
        assert_eq!((g.nx, g.ny, g.dx, g.x0, g.y0), (3, 2, 10.0, -100.0, 50.0));
        // The north-west cell is the file's first value.
        assert_eq!(*g.at(0, 1), 1.0);
        assert_eq!(g.cell_of(-95.0, 65.0), Some((0, 1)));
        assert!(g.at(1, 0).is_nan());
    }

    fn err(text: &str) -> AscError {
        read_asc(text).expect_err("should fail")
    }

    #[test]
    fn wrong_count_names_row_line_and_column() {
        let mut text = String::from("ncols 350\nnrows 12\nxllcorner 0\nyllcorner 0\ncellsize 100\n");
        for r in 0..12 {
            let n = if r == 11 { 349 } else { 350 };
            text.push_str(&vec!["1"; n].join(" "));
            text.push('\n');
        }
        let e = err(&text);
        assert_eq!(
            e,
            AscError::WrongCount {
                row: 12,
                expected: 350,
                found: 349,
                line: 17,
                column: 350
            }
        );
        assert_eq!(
            e.to_string(),
            "line 17, column 350: expected 350 values on row 12, found 349"
        );
        let e = err("ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3\n");
        assert_eq!((e.line(), e.column()), (6, 3));
    }

    #[test]
    fn header_errors() {
        let e = err("nrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\n5\n");
        assert_eq!(
            e,
            AscError::MissingKey {
                key: "ncols",
                line: 5,
                column: 1
            }
        );
        assert!(
            e.to_string().starts_with("line 5, column 1: missing header key ncols"),
            "{e}"
        );
        let e = err("ncols 1\nnrows 1\nxllcorner 0\nyllcorner 0\n5\n");
        assert_eq!(
            e,
            AscError::MissingKey {
                key: "cellsize",
                line: 5,
                column: 1
            }
        );
        let e = err("ncols 1\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 0\n5\n");
        assert!(
            matches!(
                e,
                AscError::BadHeaderValue {
                    key: "cellsize",
                    line: 5,
                    column: 2,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = err("ncols 1\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize -10\n5\n");
        assert!(
            matches!(
                e,
                AscError::BadHeaderValue {
                    key: "cellsize",
                    line: 5,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = err("ncols 1\nnrows x1\n");
        assert!(matches!(e, AscError::BadNumber { line: 2, column: 2, .. }), "{e:?}");
        assert!(
            e.to_string()
                .contains("expected a whole number of rows > 0, found \"x1\""),
            "{e}"
        );
        let e = err("ncols 0\n");
        assert!(
            matches!(
                e,
                AscError::BadHeaderValue {
                    key: "ncols",
                    line: 1,
                    column: 2,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = err("ncols -3\n");
        assert!(matches!(e, AscError::BadNumber { line: 1, column: 2, .. }), "{e:?}");
        let e = err("ncols\n");
        assert!(e.to_string().contains("found nothing"), "{e}");
        let e = err("ncols 2 3\n");
        assert!(
            matches!(
                e,
                AscError::BadHeaderValue {
                    key: "ncols",
                    line: 1,
                    column: 3,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = err("ncols 2\nbanana 3\n");
        assert_eq!(
            e,
            AscError::UnknownKey {
                key: "banana".into(),
                line: 2,
                column: 1
            }
        );
        let e = err("ncols 2\nxllcorner 3\nXLLCENTER 4\n");
        assert_eq!(
            e,
            AscError::DuplicateKey {
                key: "XLLCENTER".into(),
                line: 3,
                column: 1,
                first_line: 2
            }
        );
        let e = err("ncols 1\nnrows 1\nxllcorner nan\n");
        assert!(matches!(e, AscError::BadNumber { line: 3, column: 2, .. }), "{e:?}");
    }

    #[test]
    fn data_errors() {
        let head = "ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n";
        let e = err(&format!("{head}1 2\n3 x\n"));
        assert_eq!(
            e,
            AscError::BadNumber {
                found: "x".into(),
                expected: "a finite number",
                line: 7,
                column: 2
            }
        );
        let e = err(&format!("{head}1 2\n3 inf\n"));
        assert!(matches!(e, AscError::BadNumber { line: 7, column: 2, .. }), "{e:?}");
        let e = err(&format!("{head}1 2\n3 4\n5 6\n"));
        assert_eq!(
            e,
            AscError::TooManyRows {
                expected: 2,
                line: 8,
                column: 1
            }
        );
        let e = err(&format!("{head}1 2\n"));
        assert_eq!(
            e,
            AscError::TooFewRows {
                expected: 2,
                found: 1,
                line: 7,
                column: 1
            }
        );
        assert!(e.to_string().contains("truncated"), "{e}");
        let e = err(head);
        assert_eq!(
            e,
            AscError::TooFewRows {
                expected: 2,
                found: 0,
                line: 6,
                column: 1
            }
        );
    }

    #[test]
    fn huge_headers_do_not_allocate_or_panic() {
        let e = err("ncols 18446744073709551615\nnrows 3\nxllcorner 0\nyllcorner 0\ncellsize 1\n1\n");
        assert!(matches!(e, AscError::BadHeaderValue { key: "nrows", .. }), "{e:?}");
        let e = err("ncols 1000000000\nnrows 1000000000\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2\n");
        assert!(matches!(e, AscError::WrongCount { row: 1, found: 2, .. }), "{e:?}");
        let e = err("ncols 1\nnrows 4000000000\nxllcorner 0\nyllcorner 0\ncellsize 1\n1\n");
        assert!(matches!(e, AscError::TooFewRows { found: 1, .. }), "{e:?}");
    }

    /// Garbage, empty and truncated input: errors, never panics.
    #[test]
    fn garbage_empty_and_truncated_inputs_never_panic() {
        assert!(matches!(
            err(""),
            AscError::MissingKey {
                key: "ncols",
                line: 1,
                ..
            }
        ));
        assert!(read_asc("\n\n   \n").is_err());
        assert!(read_asc("\u{feff}").is_err());
        // Every prefix of a valid file (at char boundaries) except the whole file fails cleanly.
        let full = SMALL;
        for cut in 0..full.len() {
            if full.is_char_boundary(cut) {
                let r = read_asc(&full[..cut]);
                assert!(
                    cut >= full.len() - 1 || r.is_err(),
                    "prefix {cut} parsed: {:?}",
                    &full[..cut]
                );
            }
        }
        // Deterministic pseudo-random byte soup, some of it built from header-like words.
        let words = [
            "ncols",
            "NROWS",
            "xllcorner",
            "yllcenter",
            "cellsize",
            "nodata_value",
            "1",
            "-2.5",
            "0",
            "1e309",
            "nan",
            "\n",
            "\r\n",
            " ",
            "\t",
            "é",
            "∞",
            "--",
            "3",
            "4",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let len = (next() % 40) as usize;
            let mut s = String::new();
            for _ in 0..len {
                let r = next();
                if r % 3 == 0 {
                    s.push(char::from_u32((r >> 8) as u32 % 0x800).unwrap_or('?'));
                } else {
                    s.push_str(words[(r >> 8) as usize % words.len()]);
                }
            }
            let _ = read_asc(&s);
        }
        // Well-formed headers with garbage data.
        for _ in 0..500 {
            let mut s = String::from("ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n");
            for _ in 0..(next() % 12) {
                s.push_str(words[next() as usize % words.len()]);
                s.push(' ');
            }
            let _ = read_asc(&s);
        }
    }

    #[test]
    fn bilinear_reproduces_a_linear_ramp() {
        let ramp = |x: f64, y: f64| 40.0 - 0.0003 * x + 0.0002 * y;
        let mut src = Grid::filled(20, 15, 100.0, -1000.0, -700.0, 0.0);
        for j in 0..src.ny {
            for i in 0..src.nx {
                let (x, y) = src.centre(i, j);
                *src.at_mut(i, j) = ramp(x, y);
            }
        }
        // A finer, offset target strictly inside the hull of source centres.
        let out = resample_bilinear(&src, (37, 25, 37.0, -940.0, -640.0));
        for j in 0..out.ny {
            for i in 0..out.nx {
                let (x, y) = out.centre(i, j);
                assert!(
                    (out.at(i, j) - ramp(x, y)).abs() < 1e-9,
                    "({i},{j}) {} vs {}",
                    out.at(i, j),
                    ramp(x, y)
                );
            }
        }
        // Same grid: identity.
        let same = resample_bilinear(&src, (src.nx, src.ny, src.dx, src.x0, src.y0));
        for (a, b) in same.data.iter().zip(&src.data) {
            assert!((a - b).abs() < 1e-9);
        }
    }

    #[test]
    fn bilinear_is_nan_aware_and_nan_outside() {
        let mut src = Grid::filled(2, 2, 10.0, 0.0, 0.0, 1.0);
        *src.at_mut(1, 1) = f64::NAN;
        *src.at_mut(1, 0) = 3.0;
        // Target cell centred at (10, 10): all four source centres weigh 1/4; NaN dropped.
        let out = resample_bilinear(&src, (1, 1, 2.0, 9.0, 9.0));
        assert!((out.data[0] - 5.0 / 3.0).abs() < 1e-12, "{}", out.data[0]);
        // Exactly on the NaN centre: NaN.
        let out = resample_bilinear(&src, (1, 1, 2.0, 14.0, 14.0));
        assert!(out.data[0].is_nan());
        // Outside the source extent: NaN; in the edge half-cell: clamped.
        let out = resample_bilinear(&src, (3, 1, 10.0, -10.0, 0.0));
        assert!(out.data[0].is_nan());
        assert_eq!(out.data[1], 1.0);
        // Empty source: all NaN, no panic.
        let empty: Grid<f64> = Grid::filled(0, 0, 1.0, 0.0, 0.0, 0.0);
        assert!(
            resample_bilinear(&empty, (2, 2, 1.0, 0.0, 0.0))
                .data
                .iter()
                .all(|v| v.is_nan())
        );
    }

    #[test]
    fn landuse_codes_round_trip() {
        for lu in LandUse::ALL {
            assert_eq!(landuse_from_code(lu.code()), Some(lu));
            assert_eq!(lu.to_string(), lu.name());
        }
        assert_eq!(landuse_from_code(0), None);
        assert_eq!(landuse_from_code(8), None);
        assert_eq!(landuse_from_code(-1), None);
        let codes: Vec<i32> = LandUse::ALL.iter().map(|l| l.code()).collect();
        assert_eq!(codes, (1..=7).collect::<Vec<_>>());
    }

    #[test]
    fn manning_fuel_and_drainage_defaults_are_in_documented_ranges() {
        use LandUse::*;
        assert!((0.035..=0.05).contains(&Cropland.default_manning_n()));
        assert!((0.05..=0.1).contains(&UrbanBlock.default_manning_n()));
        assert!((0.015..=0.02).contains(&Road.default_manning_n()));
        assert!((Water.default_manning_n() - 0.03).abs() < 1e-12);
        for lu in LandUse::ALL {
            let n = lu.default_manning_n();
            assert!(n > 0.0 && n <= 0.1, "{lu}: {n}");
        }
        assert_eq!(
            Cropland.fuel_hint(),
            FuelHint::Vegetation {
                vegetation: VegetationHint::Agriculture,
                density: DensityHint::Normal
            }
        );
        assert!(matches!(Village.fuel_hint(), FuelHint::Buildings { .. }));
        assert!(matches!(UrbanBlock.fuel_hint(), FuelHint::Buildings { .. }));
        assert_eq!(Water.fuel_hint(), FuelHint::Unburnable);
        assert_eq!(Road.fuel_hint(), FuelHint::Unburnable);
        assert!(matches!(
            Park.fuel_hint(),
            FuelHint::Vegetation {
                density: DensityHint::Sparse,
                ..
            }
        ));
        for lu in LandUse::ALL {
            if let FuelHint::Buildings {
                side_m,
                gap_m,
                fire_resistant_share,
            } = lu.fuel_hint()
            {
                assert!(
                    side_m > 0.0 && gap_m >= 0.0 && (0.0..=1.0).contains(&fire_resistant_share),
                    "{lu}"
                );
            }
        }
        assert!((20.0..=30.0).contains(&UrbanBlock.default_drainage_mm_h()));
        for lu in [Cropland, Village, Road, Water] {
            assert!((0.0..=5.0).contains(&lu.default_drainage_mm_h()), "{lu}");
        }
    }

    #[test]
    fn landuse_grids_convert_and_reject_bad_codes() {
        let text = "ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 100\n1 2 3\n4 5 7\n";
        let lu = read_asc(text).unwrap().to_landuse_grid().unwrap();
        assert_eq!(*lu.at(0, 1), LandUse::Water);
        assert_eq!(*lu.at(2, 0), LandUse::Road);
        let back = write_asc(&AscGrid::from_landuse_grid(&lu));
        assert_eq!(back, text);
        let n = manning_grid(&lu);
        assert_eq!(*n.at(2, 0), LandUse::Road.default_manning_n());
        let d = drainage_grid(&lu);
        assert_eq!(*d.at(0, 0), LandUse::UrbanBlock.default_drainage_mm_h());
        assert_eq!((n.nx, n.ny, d.dx), (3, 2, 100.0));

        let bad = "ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 100\n1 2 9\n4 2.5 7\n";
        let e = read_asc(bad).unwrap().to_landuse_grid().unwrap_err();
        assert_eq!((e.row, e.column, e.value), (1, 3, 9.0));
        assert!(
            e.to_string()
                .starts_with("data row 1, column 3: 9 is not a land-use code"),
            "{e}"
        );
        let bad = "ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 100\n1 3000000000\n";
        let e = read_asc(bad).unwrap().to_landuse_grid().unwrap_err();
        assert_eq!((e.row, e.column), (1, 2));
    }
}

/// The terrain a hazard run needs: elevation and land use on one grid.
#[derive(Debug, Clone)]
pub struct Terrain {
    /// Bed elevation, m above sea level.
    pub dem: Grid<f64>,
    /// Land use per cell.
    pub landuse: Grid<LandUse>,
}
