//! Boats on flood water: travel times over the terrain grid, not the roads.
//!
//! A boat moves between the 8 neighbouring cells of the flood grid whose water
//! is at least the boat's working depth, at a constant speed (diagonal steps
//! are √2 longer). [`WaterSearch::from_cell`] grows a Dijkstra tree from the
//! stranded people's cell; the road nodes in or beside a reached cell are the
//! places a boat can be launched from (its trailer drives there by road), each
//! with the water time from there to the people.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::hazard::grid::Grid;

/// A cell on the heap, smallest time first.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    time_s: f64,
    cell: usize,
}

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time_s
            .total_cmp(&self.time_s)
            .then_with(|| other.cell.cmp(&self.cell))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Reusable Dijkstra buffers for one grid size (the search touches only the
/// water it reaches, and resets only what it touched).
#[derive(Debug, Clone, Default)]
pub struct WaterSearch {
    time_s: Vec<f64>,
    prev: Vec<u32>,
    touched: Vec<usize>,
}

/// What one search found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WaterField {
    /// Reached cells with their boat time from the start, in the order reached.
    pub cells: Vec<(usize, f64)>,
}

impl WaterSearch {
    /// Boat times from cell `from` to every cell reachable over water at least
    /// `min_depth_m` deep (the start cell counts whatever its depth), at
    /// `speed_m_s`. Afterwards [`Self::path_to`] gives the route to a reached cell.
    pub fn from_cell(&mut self, depth: &Grid<f64>, min_depth_m: f64, speed_m_s: f64, from: usize) -> WaterField {
        let n = depth.data.len();
        if self.time_s.len() != n {
            self.time_s = vec![f64::INFINITY; n];
            self.prev = vec![u32::MAX; n];
            self.touched.clear();
        }
        for &k in &self.touched {
            self.time_s[k] = f64::INFINITY;
            self.prev[k] = u32::MAX;
        }
        self.touched.clear();
        let mut field = WaterField::default();
        if from >= n {
            return field;
        }
        let (nx, ny) = (depth.nx as i64, depth.ny as i64);
        let straight = depth.dx / speed_m_s;
        let diagonal = straight * std::f64::consts::SQRT_2;
        let mut heap = BinaryHeap::new();
        self.time_s[from] = 0.0;
        self.touched.push(from);
        heap.push(Entry {
            time_s: 0.0,
            cell: from,
        });
        while let Some(Entry { time_s, cell }) = heap.pop() {
            if time_s > self.time_s[cell] {
                continue;
            }
            field.cells.push((cell, time_s));
            let (i, j) = ((cell % depth.nx) as i64, (cell / depth.nx) as i64);
            for (di, dj) in NEIGHBOURS {
                let (a, b) = (i + di, j + dj);
                if a < 0 || b < 0 || a >= nx || b >= ny {
                    continue;
                }
                let k = (b * nx + a) as usize;
                if depth.data[k] < min_depth_m {
                    continue;
                }
                let t = time_s + if di != 0 && dj != 0 { diagonal } else { straight };
                if t < self.time_s[k] {
                    if self.time_s[k].is_infinite() {
                        self.touched.push(k);
                    }
                    self.time_s[k] = t;
                    self.prev[k] = cell as u32;
                    heap.push(Entry { time_s: t, cell: k });
                }
            }
        }
        field
    }

    /// Cells from the start of the last search to `to`, start first (empty
    /// when `to` was not reached).
    pub fn path_to(&self, to: usize) -> Vec<usize> {
        if self.time_s.get(to).is_none_or(|t| t.is_infinite()) {
            return Vec::new();
        }
        let mut path = vec![to];
        let mut k = to;
        while self.prev[k] != u32::MAX {
            k = self.prev[k] as usize;
            path.push(k);
        }
        path.reverse();
        path
    }
}

const NEIGHBOURS: [(i64, i64); 8] = [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)];

/// Launch points for a field: every road node whose cell was reached, or
/// touches a reached cell, with the water time from there (the smallest over
/// the cells it touches), sorted by node. The grid is `grid_nx` cells wide
/// and `grid_len` cells in all; `cell_nodes` says which nodes lie in each cell.
pub fn launch_points(field: &WaterField, grid_nx: usize, grid_len: usize, cell_nodes: &CellNodes) -> Vec<(u32, f64)> {
    let mut best: std::collections::BTreeMap<u32, f64> = std::collections::BTreeMap::new();
    let ny = grid_len / grid_nx.max(1);
    for &(cell, t) in &field.cells {
        let (i, j) = ((cell % grid_nx) as i64, (cell / grid_nx) as i64);
        for (di, dj) in NEIGHBOURS.iter().copied().chain([(0, 0)]) {
            let (a, b) = (i + di, j + dj);
            if a < 0 || b < 0 || a >= grid_nx as i64 || b >= ny as i64 {
                continue;
            }
            for &node in cell_nodes.at((b * grid_nx as i64 + a) as usize) {
                let e = best.entry(node).or_insert(f64::INFINITY);
                if t < *e {
                    *e = t;
                }
            }
        }
    }
    best.into_iter().collect()
}

/// Road nodes by terrain cell (a compressed index: cells in order, nodes per cell).
#[derive(Debug, Clone, Default)]
pub struct CellNodes {
    start: Vec<u32>,
    nodes: Vec<u32>,
}

impl CellNodes {
    /// Index `node_cell` (the cell of each node, None outside the grid) for a grid of `len` cells.
    pub fn new(node_cell: &[Option<usize>], len: usize) -> Self {
        let mut count = vec![0u32; len + 1];
        for c in node_cell.iter().flatten() {
            count[*c + 1] += 1;
        }
        for k in 1..=len {
            count[k] += count[k - 1];
        }
        let mut fill = count.clone();
        let mut nodes = vec![0u32; count[len] as usize];
        for (n, c) in node_cell.iter().enumerate() {
            if let Some(c) = c {
                nodes[fill[*c] as usize] = n as u32;
                fill[*c] += 1;
            }
        }
        CellNodes { start: count, nodes }
    }

    /// Nodes in `cell`, in id order.
    pub fn at(&self, cell: usize) -> &[u32] {
        match (self.start.get(cell), self.start.get(cell + 1)) {
            (Some(&a), Some(&b)) => &self.nodes[a as usize..b as usize],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lake(nx: usize, ny: usize, depth: f64) -> Grid<f64> {
        Grid::filled(nx, ny, 100.0, 0.0, 0.0, depth)
    }

    #[test]
    fn open_water_times_are_octile_distances() {
        let g = lake(20, 10, 1.0);
        let mut s = WaterSearch::default();
        let f = s.from_cell(&g, 0.3, 2.0, g.idx(0, 0));
        assert_eq!(f.cells.len(), 200);
        let t = |i, j| f.cells.iter().find(|c| c.0 == g.idx(i, j)).unwrap().1;
        assert!((t(10, 0) - 10.0 * 100.0 / 2.0).abs() < 1e-9);
        // 4 diagonal + 6 straight steps.
        let expect = (4.0 * 2f64.sqrt() + 6.0) * 50.0;
        assert!((t(10, 4) - expect).abs() < 1e-9);
    }

    #[test]
    fn a_boat_never_crosses_dry_land() {
        // A dry dyke across the lake with one gap at the top row.
        let mut g = lake(11, 11, 1.0);
        for j in 1..11 {
            let k = g.idx(5, j);
            g.data[k] = 0.0;
        }
        let mut s = WaterSearch::default();
        let f = s.from_cell(&g, 0.3, 1.0, g.idx(0, 10));
        let to = g.idx(10, 10);
        let path = s.path_to(to);
        assert_eq!(path.first(), Some(&g.idx(0, 10)));
        assert_eq!(path.last(), Some(&to));
        assert!(path.iter().all(|&k| g.data[k] >= 0.3));
        assert!(path.contains(&g.idx(5, 0)), "the only way is the gap");
        // Closing the gap leaves the far side unreachable.
        let k = g.idx(5, 0);
        g.data[k] = 0.1;
        let f2 = s.from_cell(&g, 0.3, 1.0, g.idx(0, 10));
        assert!(f2.cells.len() < f.cells.len());
        assert!(s.path_to(to).is_empty());
    }

    #[test]
    fn launch_points_are_nodes_on_or_beside_the_water() {
        let mut g = lake(5, 1, 0.0);
        g.data[0] = 1.0;
        g.data[1] = 1.0;
        // Nodes: 0 in cell 0 (wet), 1 in cell 2 (dry, beside cell 1), 2 in cell 4 (far).
        let cells = CellNodes::new(&[Some(0), Some(2), Some(4), None], 5);
        assert_eq!(cells.at(2), &[1]);
        let mut s = WaterSearch::default();
        let f = s.from_cell(&g, 0.3, 1.0, 0);
        let l = launch_points(&f, 5, 5, &cells);
        assert_eq!(l, vec![(0, 0.0), (1, 100.0)]);
    }
}
