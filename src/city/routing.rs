//! Shortest-time routing over the current road state.
//!
//! Travel time on a segment is `length / min(vehicle top speed, class speed ×
//! state factor)`; closed segments are skipped. [`shortest_tree`] is Dijkstra's
//! algorithm with a binary heap, O((V + E) log V); a tree from one source answers
//! every "how long from the depot to X" question at once, and [`RouteCache`]
//! keeps trees per (source, direction, speed cap) until the road state changes.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;

use petgraph::Direction;
use petgraph::graph::EdgeIndex;
use petgraph::visit::EdgeRef;

use super::{CityMap, SegmentId};

/// State of one road segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EdgeState {
    /// Free flow.
    Open,
    /// Speed multiplied by a factor in (0, 1).
    Slowed(f64),
    /// Impassable.
    Closed,
}

/// The state of every segment, with a version that changes whenever any state does.
#[derive(Debug, Clone, bevy::prelude::Resource)]
pub struct RoadState {
    states: Vec<EdgeState>,
    version: u64,
}

impl RoadState {
    /// All segments open.
    pub fn all_open(segments: usize) -> Self {
        RoadState {
            states: vec![EdgeState::Open; segments],
            version: 0,
        }
    }

    /// State of a segment.
    pub fn get(&self, s: SegmentId) -> EdgeState {
        self.states[s as usize]
    }

    /// Set a segment's state; bumps the version when it changes. Returns whether it changed.
    pub fn set(&mut self, s: SegmentId, st: EdgeState) -> bool {
        let slot = &mut self.states[s as usize];
        if *slot == st {
            return false;
        }
        *slot = st;
        self.version += 1;
        true
    }

    /// Changes whenever any segment's state changes.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Number of closed segments.
    pub fn closed_count(&self) -> usize {
        self.states.iter().filter(|s| **s == EdgeState::Closed).count()
    }

    /// Iterate (segment, state).
    pub fn iter(&self) -> impl Iterator<Item = (SegmentId, EdgeState)> + '_ {
        self.states.iter().enumerate().map(|(i, s)| (i as SegmentId, *s))
    }
}

/// Seconds to traverse segment `s` at top speed `cap_kmh`, or `None` if closed.
pub fn traverse_s(city: &CityMap, roads: &RoadState, s: SegmentId, cap_kmh: f64) -> Option<f64> {
    let seg = &city.segments[s as usize];
    let factor = match roads.get(s) {
        EdgeState::Open => 1.0,
        EdgeState::Slowed(f) => f,
        EdgeState::Closed => return None,
    };
    let kmh = seg.speed_kmh.min(cap_kmh) * factor;
    Some(seg.length_m / (kmh / 3.6))
}

/// Which way a tree grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TreeDir {
    /// Times *from* the root to every node.
    From,
    /// Times from every node *to* the root.
    To,
}

/// A shortest-path tree: time to/from the root for every node, and the edge
/// that leads there.
#[derive(Debug, Clone)]
pub struct Tree {
    /// Root node.
    pub root: u32,
    /// Direction.
    pub dir: TreeDir,
    /// Seconds; `f64::INFINITY` when unreachable.
    pub time_s: Vec<f64>,
    /// For `From`: the edge entering each node; for `To`: the edge leaving it toward the root.
    pub via: Vec<Option<EdgeIndex>>,
}

#[derive(PartialEq)]
struct Item(f64, u32);
impl Eq for Item {}
impl Ord for Item {
    fn cmp(&self, o: &Self) -> Ordering {
        // Min-heap on time, ties broken by node index for determinism.
        o.0.total_cmp(&self.0).then_with(|| o.1.cmp(&self.1))
    }
}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Dijkstra from (or to) `root`, optionally stopping once `stop_at` is settled.
///
/// Complexity O((V + E) log V). Closed segments are never used.
pub fn shortest_tree(
    city: &CityMap,
    roads: &RoadState,
    root: u32,
    dir: TreeDir,
    cap_kmh: f64,
    stop_at: Option<u32>,
) -> Tree {
    let n = city.node_count();
    let mut time_s = vec![f64::INFINITY; n];
    let mut via = vec![None; n];
    let mut done = vec![false; n];
    let mut heap = BinaryHeap::new();
    time_s[root as usize] = 0.0;
    heap.push(Item(0.0, root));
    let petdir = match dir {
        TreeDir::From => Direction::Outgoing,
        TreeDir::To => Direction::Incoming,
    };
    while let Some(Item(t, u)) = heap.pop() {
        if done[u as usize] {
            continue;
        }
        done[u as usize] = true;
        if Some(u) == stop_at {
            break;
        }
        for e in city.graph.edges_directed(CityMap::gnode(u), petdir) {
            let v = match dir {
                TreeDir::From => e.target(),
                TreeDir::To => e.source(),
            }
            .index() as u32;
            if done[v as usize] {
                continue;
            }
            let Some(dt) = traverse_s(city, roads, *e.weight(), cap_kmh) else {
                continue;
            };
            let nt = t + dt;
            if nt < time_s[v as usize] {
                time_s[v as usize] = nt;
                via[v as usize] = Some(e.id());
                heap.push(Item(nt, v));
            }
        }
    }
    Tree { root, dir, time_s, via }
}

impl Tree {
    /// Seconds between the root and `n` (in the tree's direction), if reachable.
    pub fn time_to(&self, n: u32) -> Option<f64> {
        let t = self.time_s[n as usize];
        t.is_finite().then_some(t)
    }

    /// The directed edges of the route root → `n` (`From` trees) or `n` → root
    /// (`To` trees), in driving order. `None` if unreachable.
    pub fn path(&self, city: &CityMap, n: u32) -> Option<Vec<EdgeIndex>> {
        self.time_to(n)?;
        let mut edges = Vec::new();
        let mut cur = n;
        while cur != self.root {
            let e = self.via[cur as usize]?;
            let (s, t) = city.graph.edge_endpoints(e)?;
            edges.push(e);
            cur = match self.dir {
                TreeDir::From => s.index() as u32,
                TreeDir::To => t.index() as u32,
            };
            if edges.len() > city.node_count() {
                return None; // invariant: trees are acyclic; never loop on a bug
            }
        }
        if self.dir == TreeDir::From {
            edges.reverse();
        }
        Some(edges)
    }
}

/// One shortest route between two nodes: edges in order and total seconds.
///
/// # Example
/// ```
/// # use tabletop::city::routing::*;
/// # let city = tabletop::testkit::line_city(3, 1000.0);
/// let roads = RoadState::all_open(city.segments.len());
/// let (edges, secs) = route(&city, &roads, 0, 2, 36.0).unwrap();
/// assert_eq!(edges.len(), 2);
/// assert!((secs - 200.0).abs() < 1e-9); // 2 km at 36 km/h (10 m/s)
/// ```
pub fn route(city: &CityMap, roads: &RoadState, from: u32, to: u32, cap_kmh: f64) -> Option<(Vec<EdgeIndex>, f64)> {
    let tree = shortest_tree(city, roads, from, TreeDir::From, cap_kmh, Some(to));
    let t = tree.time_to(to)?;
    Some((tree.path(city, to)?, t))
}

/// Cache of shortest-path trees, valid for one road-state version.
#[derive(Debug, Default, bevy::prelude::Resource)]
pub struct RouteCache {
    version: u64,
    trees: BTreeMap<(u32, TreeDir, u64), Arc<Tree>>,
    /// Trees computed (for measurement).
    pub computed: u64,
    /// Lookups answered from the cache.
    pub hits: u64,
}

impl RouteCache {
    /// The tree rooted at `root`, computing it if the cache lacks it or the roads changed.
    pub fn tree(&mut self, city: &CityMap, roads: &RoadState, root: u32, dir: TreeDir, cap_kmh: f64) -> Arc<Tree> {
        if roads.version() != self.version {
            self.trees.clear();
            self.version = roads.version();
        }
        let key = (root, dir, cap_kmh.to_bits());
        if let Some(t) = self.trees.get(&key) {
            self.hits += 1;
            return t.clone();
        }
        self.computed += 1;
        let t = Arc::new(shortest_tree(city, roads, root, dir, cap_kmh, None));
        self.trees.insert(key, t.clone());
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{grid_city, line_city};

    #[test]
    fn line_route_time_is_length_over_speed() {
        let city = line_city(5, 500.0);
        let roads = RoadState::all_open(city.segments.len());
        let (edges, t) = route(&city, &roads, 0, 4, 36.0).unwrap();
        assert_eq!(edges.len(), 4);
        assert!((t - 200.0).abs() < 1e-9, "4 × 500 m at 10 m/s = 200 s, got {t}");
        // Class speed (test segments: 40 km/h) caps a faster truck.
        let (_, t) = route(&city, &roads, 0, 4, 100.0).unwrap();
        assert!((t - 2000.0 / (40.0 / 3.6)).abs() < 1e-9);
    }

    /// 3×3 grid, 1 km spacing, 40 km/h (90 s per km):
    /// ```text
    /// 6 - 7 - 8
    /// |   |   |
    /// 3 - 4 - 5
    /// |   |   |
    /// 0 - 1 - 2
    /// ```
    #[test]
    fn grid_detours_around_a_closure_and_slowdown() {
        let city = grid_city(3, 3, 1000.0);
        let mut roads = RoadState::all_open(city.segments.len());
        let (_, t) = route(&city, &roads, 0, 2, 100.0).unwrap();
        assert!((t - 180.0).abs() < 1e-9, "0→2 straight: 2 km = 180 s, got {t}");
        // Close 1–2: the best detour is 0-1-4-5-2 (4 km = 360 s).
        let s12 = seg_between(&city, 1, 2);
        roads.set(s12, EdgeState::Closed);
        let (edges, t) = route(&city, &roads, 0, 2, 100.0).unwrap();
        assert!((t - 360.0).abs() < 1e-9, "{t}");
        assert!(edges.iter().all(|e| city.segment_of(*e) != s12));
        // Halve speed on 1–4: 0-3-4-5-2 = 4 km = 360 s is as good as the slowed path?
        // slowed path 0-1-4-5-2 = 90 + 180 + 90 + 90 = 450 s, so the 0-3-4-5-2 route wins.
        roads.set(seg_between(&city, 1, 4), EdgeState::Slowed(0.5));
        let (edges, t) = route(&city, &roads, 0, 2, 100.0).unwrap();
        assert!((t - 360.0).abs() < 1e-9);
        let first = city.graph.edge_endpoints(edges[0]).unwrap().1.index();
        assert_eq!(first, 3, "goes up first");
    }

    #[test]
    fn unreachable_is_none_not_a_hang() {
        let city = line_city(3, 100.0);
        let mut roads = RoadState::all_open(city.segments.len());
        roads.set(1, EdgeState::Closed);
        assert!(route(&city, &roads, 0, 2, 50.0).is_none());
    }

    #[test]
    fn to_trees_give_the_same_times_as_from_trees_on_two_way_roads() {
        let city = grid_city(4, 3, 700.0);
        let roads = RoadState::all_open(city.segments.len());
        let to = shortest_tree(&city, &roads, 5, TreeDir::To, 60.0, None);
        for n in 0..city.node_count() as u32 {
            let (path, t) = route(&city, &roads, n, 5, 60.0).unwrap();
            assert!((to.time_to(n).unwrap() - t).abs() < 1e-9);
            let p2 = to.path(&city, n).unwrap();
            assert_eq!(p2.len(), path.len());
        }
    }

    #[test]
    fn cache_invalidates_on_road_change() {
        let city = line_city(3, 100.0);
        let mut roads = RoadState::all_open(city.segments.len());
        let mut cache = RouteCache::default();
        let t1 = cache.tree(&city, &roads, 0, TreeDir::From, 50.0);
        let _ = cache.tree(&city, &roads, 0, TreeDir::From, 50.0);
        assert_eq!((cache.computed, cache.hits), (1, 1));
        roads.set(1, EdgeState::Closed);
        let t2 = cache.tree(&city, &roads, 0, TreeDir::From, 50.0);
        assert!(t1.time_to(2).is_some() && t2.time_to(2).is_none());
    }

    fn seg_between(city: &CityMap, a: u32, b: u32) -> SegmentId {
        city.segments
            .iter()
            .position(|s| (s.a, s.b) == (a, b) || (s.a, s.b) == (b, a))
            .unwrap() as SegmentId
    }
}
