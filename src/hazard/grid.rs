//! A regular raster over the map in local metres: terrain, water depth, fuel,
//! concentration. Plain data; depends on nothing but `std` and `serde`, so the
//! models and the generators in `tools/` can share it.
//!
//! Cell `(i, j)` (column `i` eastward, row `j` northward) covers
//! `[x0 + i·dx, x0 + (i+1)·dx) × [y0 + j·dx, y0 + (j+1)·dx)`; values are stored
//! row-major from the south-west corner: `data[j * nx + i]`.

use serde::{Deserialize, Serialize};

/// A raster of `T` with square cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid<T> {
    /// Columns (west → east).
    pub nx: usize,
    /// Rows (south → north).
    pub ny: usize,
    /// Cell size, m.
    pub dx: f64,
    /// x of the west edge, m (local metres east of the map origin).
    pub x0: f64,
    /// y of the south edge, m (local metres north of the map origin).
    pub y0: f64,
    /// Values, row-major from the south-west corner.
    pub data: Vec<T>,
}

impl<T: Clone> Grid<T> {
    /// A grid filled with `value`.
    pub fn filled(nx: usize, ny: usize, dx: f64, x0: f64, y0: f64, value: T) -> Self {
        Grid {
            nx,
            ny,
            dx,
            x0,
            y0,
            data: vec![value; nx * ny],
        }
    }

    /// A grid of the same shape filled with `value`.
    pub fn like<U>(other: &Grid<U>, value: T) -> Self {
        Grid::filled(other.nx, other.ny, other.dx, other.x0, other.y0, value)
    }
}

impl<T> Grid<T> {
    /// Index of cell (i, j).
    #[inline]
    pub fn idx(&self, i: usize, j: usize) -> usize {
        j * self.nx + i
    }

    /// Value at cell (i, j).
    #[inline]
    pub fn at(&self, i: usize, j: usize) -> &T {
        &self.data[j * self.nx + i]
    }

    /// Mutable value at cell (i, j).
    #[inline]
    pub fn at_mut(&mut self, i: usize, j: usize) -> &mut T {
        &mut self.data[j * self.nx + i]
    }

    /// The cell containing point (x, y), if inside the grid.
    pub fn cell_of(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let fi = ((x - self.x0) / self.dx).floor();
        let fj = ((y - self.y0) / self.dx).floor();
        if fi < 0.0 || fj < 0.0 {
            return None;
        }
        let (i, j) = (fi as usize, fj as usize);
        (i < self.nx && j < self.ny).then_some((i, j))
    }

    /// Centre of cell (i, j), m.
    pub fn centre(&self, i: usize, j: usize) -> (f64, f64) {
        (
            self.x0 + (i as f64 + 0.5) * self.dx,
            self.y0 + (j as f64 + 0.5) * self.dx,
        )
    }

    /// Area of one cell, m².
    pub fn cell_area(&self) -> f64 {
        self.dx * self.dx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_centres_agree() {
        let g = Grid::filled(4, 3, 100.0, -200.0, -150.0, 0.0_f64);
        assert_eq!(g.cell_of(-200.0, -150.0), Some((0, 0)));
        assert_eq!(g.cell_of(199.9, 149.9), Some((3, 2)));
        assert_eq!(g.cell_of(200.0, 0.0), None);
        assert_eq!(g.cell_of(-200.1, 0.0), None);
        let (x, y) = g.centre(2, 1);
        assert_eq!(g.cell_of(x, y), Some((2, 1)));
        assert_eq!(g.idx(3, 2), 11);
    }
}
