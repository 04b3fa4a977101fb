//! Shortest-time routing over the current road state.
//!
//! Travel time on a segment is `length / min(vehicle top speed, class speed ×
//! state factor)`; closed segments are skipped. [`shortest_tree`] is Dijkstra's
//! algorithm with a binary heap, O((V + E) log V); a tree from one source answers
//! every "how long from the depot to X" question at once, and [`RouteCache`]
//! keeps trees per (source, direction, speed cap) until the road state changes.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::sync::Arc;

use petgraph::Direction;
use petgraph::graph::EdgeIndex;
use petgraph::visit::EdgeRef;

use super::{CityMap, SegmentId};

/// What a vehicle can drive: its top speed and the water depth it can wade.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vehicle {
    /// Top speed, km/h (roads may be slower).
    pub speed_kmh: f64,
    /// Deepest water it can drive through, m.
    pub wading_m: f64,
    /// Crew in protective gear (hazmat teams): may drive roads a hazard closed
    /// to unprotected vehicles (toxic-plume and fire closures).
    pub protected: bool,
}

impl Vehicle {
    /// A vehicle that ignores water (for tests and dry maps).
    pub fn dry(speed_kmh: f64) -> Self {
        Vehicle {
            speed_kmh,
            wading_m: f64::INFINITY,
            protected: false,
        }
    }

    /// Key for caches.
    pub fn key(self) -> (u64, u64, bool) {
        (self.speed_kmh.to_bits(), self.wading_m.to_bits(), self.protected)
    }
}

/// Speed factor for driving through water `depth_m` deep in a vehicle that can
/// wade `wading_m`.
///
/// Pregnolato et al. (2017) fit car speed to depth w (mm):
/// v = 0.0009 w² − 0.5529 w + 86.9448 km/h, ≈ 0 at 300 mm (a car's limit). We
/// apply the same curve to other vehicles with depth scaled by their limit
/// (w = 300 mm × depth / wading) and return v / v(0). Planning assumption.
pub fn wading_factor(depth_m: f64, wading_m: f64) -> f64 {
    if depth_m <= 0.0 {
        return 1.0;
    }
    if depth_m >= wading_m {
        return 0.0;
    }
    let w = 300.0 * depth_m / wading_m;
    ((0.0009 * w * w - 0.5529 * w + 86.9448) / 86.9448).clamp(0.0, 1.0)
}

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
///
/// Two sources act on a segment: injects and the facilitator set an
/// [`EdgeState`]; hazards set a water depth (flood) and a hazard closure (fire,
/// toxic cloud). A vehicle's travel time combines them ([`traverse_s`]).
#[derive(Debug, Clone, bevy::prelude::Resource)]
pub struct RoadState {
    states: Vec<EdgeState>,
    /// Water depth on the segment, m, in bands of [`DEPTH_BAND_M`].
    depth_m: Vec<f32>,
    /// Segments with water on them.
    wet: usize,
    /// Depths at which passability or speed class changes, m, ascending.
    thresholds: Vec<f32>,
    /// Closed by a hazard (fire, AEGL-3 cloud).
    hazard_closed: Vec<bool>,
    /// Damaged (washed out, collapsed): closed to every vehicle until repaired.
    damaged: Vec<bool>,
    version: u64,
}

/// Water depths are kept in bands of 5 cm.
pub const DEPTH_BAND_M: f32 = 0.05;

/// Depths at which routes are re-planned, m: the first water, the car limit
/// (0.3 m, Pregnolato et al. 2017), the emergency-vehicle limit (0.6 m, Kramer
/// et al. 2016), and the light and heavy vehicle ranges of Contreras-Jara et al.
/// (2018) (0.7–0.9 m, 1.1–1.5 m). Fleets add their own wading depths
/// ([`RoadState::add_depth_threshold`]). Between two thresholds a rising flood
/// slows trucks as they drive, but cached route trees are not rebuilt.
pub const DEFAULT_DEPTH_THRESHOLDS_M: [f32; 7] = [0.05, 0.3, 0.6, 0.7, 0.9, 1.1, 1.5];

impl RoadState {
    /// All segments open.
    pub fn all_open(segments: usize) -> Self {
        RoadState {
            states: vec![EdgeState::Open; segments],
            depth_m: vec![0.0; segments],
            wet: 0,
            thresholds: DEFAULT_DEPTH_THRESHOLDS_M.to_vec(),
            hazard_closed: vec![false; segments],
            damaged: vec![false; segments],
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

    /// Re-plan routes when water crosses `depth_m` too (e.g. a fleet's wading depth).
    pub fn add_depth_threshold(&mut self, depth_m: f64) {
        let d = depth_m as f32;
        if d.is_finite() && !self.thresholds.contains(&d) {
            self.thresholds.push(d);
            self.thresholds.sort_by(f32::total_cmp);
        }
    }

    fn depth_class(&self, d: f32) -> usize {
        self.thresholds.iter().filter(|&&t| d >= t).count()
    }

    /// Set the water depth on a segment (rounded down to a 5 cm band). The
    /// version changes — and routes are re-planned — only when the depth crosses
    /// one of the thresholds. Returns whether it did.
    pub fn set_depth(&mut self, s: SegmentId, depth_m: f64) -> bool {
        let banded = ((depth_m.max(0.0) as f32) / DEPTH_BAND_M).floor() * DEPTH_BAND_M;
        let old = self.depth_m[s as usize];
        if old == banded {
            return false;
        }
        match (old > 0.0, banded > 0.0) {
            (false, true) => self.wet += 1,
            (true, false) => self.wet -= 1,
            _ => {}
        }
        self.depth_m[s as usize] = banded;
        let crossed = self.depth_class(old) != self.depth_class(banded);
        if crossed {
            self.version += 1;
        }
        crossed
    }

    /// Water depth on a segment, m (banded).
    pub fn depth(&self, s: SegmentId) -> f64 {
        f64::from(self.depth_m[s as usize])
    }

    /// Close or reopen a segment for a hazard. Returns whether it changed.
    pub fn set_hazard_closed(&mut self, s: SegmentId, closed: bool) -> bool {
        let slot = &mut self.hazard_closed[s as usize];
        if *slot == closed {
            return false;
        }
        *slot = closed;
        self.version += 1;
        true
    }

    /// Mark a segment damaged, or repaired. Returns whether it changed.
    pub fn set_damaged(&mut self, s: SegmentId, damaged: bool) -> bool {
        let slot = &mut self.damaged[s as usize];
        if *slot == damaged {
            return false;
        }
        *slot = damaged;
        self.version += 1;
        true
    }

    /// Whether a segment is damaged.
    pub fn damaged(&self, s: SegmentId) -> bool {
        self.damaged[s as usize]
    }

    /// The key under which trees for `vehicle` are cached: on a dry network
    /// every wading depth drives the same, so they share trees.
    pub fn cache_key(&self, vehicle: Vehicle) -> (u64, u64, bool) {
        if self.wet == 0 {
            Vehicle {
                protected: vehicle.protected,
                ..Vehicle::dry(vehicle.speed_kmh)
            }
            .key()
        } else {
            vehicle.key()
        }
    }

    /// Whether a hazard closes the segment.
    pub fn hazard_closed(&self, s: SegmentId) -> bool {
        self.hazard_closed[s as usize]
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

/// Seconds for `vehicle` to traverse segment `s`, or `None` if it cannot
/// (closed by an inject or a hazard, damaged, or water deeper than it can wade).
pub fn traverse_s(city: &CityMap, roads: &RoadState, s: SegmentId, vehicle: Vehicle) -> Option<f64> {
    let seg = &city.segments[s as usize];
    if roads.damaged(s) {
        return None;
    }
    let factor = match roads.get(s) {
        EdgeState::Open => 1.0,
        EdgeState::Slowed(f) => f,
        EdgeState::Closed => return None,
    };
    if roads.hazard_closed(s) && !vehicle.protected {
        return None;
    }
    let water = wading_factor(roads.depth(s), vehicle.wading_m);
    if water <= 0.0 {
        return None;
    }
    let kmh = seg.speed_kmh.min(vehicle.speed_kmh) * factor * water;
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
    vehicle: Vehicle,
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
            let Some(dt) = traverse_s(city, roads, *e.weight(), vehicle) else {
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

/// Which nodes `vehicle` can reach by road from any of `roots` (a breadth-first
/// search over drivable segments: the same reach as the union of the roots'
/// shortest-path trees, without the times).
pub fn reachable_from(city: &CityMap, roads: &RoadState, roots: &[u32], vehicle: Vehicle) -> Vec<bool> {
    let mut seen = vec![false; city.node_count()];
    let mut queue: VecDeque<u32> = VecDeque::new();
    for &r in roots {
        if !seen[r as usize] {
            seen[r as usize] = true;
            queue.push_back(r);
        }
    }
    while let Some(u) = queue.pop_front() {
        for e in city.graph.edges_directed(CityMap::gnode(u), Direction::Outgoing) {
            let v = e.target().index();
            if !seen[v] && traverse_s(city, roads, *e.weight(), vehicle).is_some() {
                seen[v] = true;
                queue.push_back(v as u32);
            }
        }
    }
    seen
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
/// let (edges, secs) = route(&city, &roads, 0, 2, Vehicle::dry(36.0)).unwrap();
/// assert_eq!(edges.len(), 2);
/// assert!((secs - 200.0).abs() < 1e-9); // 2 km at 36 km/h (10 m/s)
/// ```
pub fn route(city: &CityMap, roads: &RoadState, from: u32, to: u32, vehicle: Vehicle) -> Option<(Vec<EdgeIndex>, f64)> {
    let tree = shortest_tree(city, roads, from, TreeDir::From, vehicle, Some(to));
    let t = tree.time_to(to)?;
    Some((tree.path(city, to)?, t))
}

/// Cache of shortest-path trees, valid for one road-state version.
#[derive(Debug, Default, bevy::prelude::Resource)]
pub struct RouteCache {
    version: u64,
    trees: BTreeMap<(u32, TreeDir, (u64, u64, bool)), Arc<Tree>>,
    /// Trees computed (for measurement).
    pub computed: u64,
    /// Lookups answered from the cache.
    pub hits: u64,
}

impl RouteCache {
    /// The tree rooted at `root`, computing it if the cache lacks it or the roads changed.
    pub fn tree(&mut self, city: &CityMap, roads: &RoadState, root: u32, dir: TreeDir, vehicle: Vehicle) -> Arc<Tree> {
        if roads.version() != self.version {
            self.trees.clear();
            self.version = roads.version();
        }
        let key = (root, dir, roads.cache_key(vehicle));
        if let Some(t) = self.trees.get(&key) {
            self.hits += 1;
            return t.clone();
        }
        self.computed += 1;
        let t = Arc::new(shortest_tree(city, roads, root, dir, vehicle, None));
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
        let (edges, t) = route(&city, &roads, 0, 4, Vehicle::dry(36.0)).unwrap();
        assert_eq!(edges.len(), 4);
        assert!((t - 200.0).abs() < 1e-9, "4 × 500 m at 10 m/s = 200 s, got {t}");
        // Class speed (test segments: 40 km/h) caps a faster truck.
        let (_, t) = route(&city, &roads, 0, 4, Vehicle::dry(100.0)).unwrap();
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
        let (_, t) = route(&city, &roads, 0, 2, Vehicle::dry(100.0)).unwrap();
        assert!((t - 180.0).abs() < 1e-9, "0→2 straight: 2 km = 180 s, got {t}");
        // Close 1–2: the best detour is 0-1-4-5-2 (4 km = 360 s).
        let s12 = seg_between(&city, 1, 2);
        roads.set(s12, EdgeState::Closed);
        let (edges, t) = route(&city, &roads, 0, 2, Vehicle::dry(100.0)).unwrap();
        assert!((t - 360.0).abs() < 1e-9, "{t}");
        assert!(edges.iter().all(|e| city.segment_of(*e) != s12));
        // Halve speed on 1–4: 0-3-4-5-2 = 4 km = 360 s is as good as the slowed path?
        // slowed path 0-1-4-5-2 = 90 + 180 + 90 + 90 = 450 s, so the 0-3-4-5-2 route wins.
        roads.set(seg_between(&city, 1, 4), EdgeState::Slowed(0.5));
        let (edges, t) = route(&city, &roads, 0, 2, Vehicle::dry(100.0)).unwrap();
        assert!((t - 360.0).abs() < 1e-9);
        let first = city.graph.edge_endpoints(edges[0]).unwrap().1.index();
        assert_eq!(first, 3, "goes up first");
    }

    #[test]
    fn unreachable_is_none_not_a_hang() {
        let city = line_city(3, 100.0);
        let mut roads = RoadState::all_open(city.segments.len());
        roads.set(1, EdgeState::Closed);
        assert!(route(&city, &roads, 0, 2, Vehicle::dry(50.0)).is_none());
    }

    #[test]
    fn to_trees_give_the_same_times_as_from_trees_on_two_way_roads() {
        let city = grid_city(4, 3, 700.0);
        let roads = RoadState::all_open(city.segments.len());
        let to = shortest_tree(&city, &roads, 5, TreeDir::To, Vehicle::dry(60.0), None);
        for n in 0..city.node_count() as u32 {
            let (path, t) = route(&city, &roads, n, 5, Vehicle::dry(60.0)).unwrap();
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
        let t1 = cache.tree(&city, &roads, 0, TreeDir::From, Vehicle::dry(50.0));
        let _ = cache.tree(&city, &roads, 0, TreeDir::From, Vehicle::dry(50.0));
        assert_eq!((cache.computed, cache.hits), (1, 1));
        roads.set(1, EdgeState::Closed);
        let t2 = cache.tree(&city, &roads, 0, TreeDir::From, Vehicle::dry(50.0));
        assert!(t1.time_to(2).is_some() && t2.time_to(2).is_none());
    }

    fn seg_between(city: &CityMap, a: u32, b: u32) -> SegmentId {
        city.segments
            .iter()
            .position(|s| (s.a, s.b) == (a, b) || (s.a, s.b) == (b, a))
            .unwrap() as SegmentId
    }
}

#[cfg(test)]
mod water_tests {
    use super::*;
    use crate::testkit::{grid_city, line_city};

    #[test]
    fn reach_from_several_roots_is_the_union_of_their_trees() {
        let city = grid_city(6, 5, 500.0);
        let mut roads = RoadState::all_open(city.segments.len());
        // Cut some roads so that not everything is reachable from everywhere.
        for s in [0, 3, 7, 11, 12, 20, 21, 22] {
            roads.set(s, EdgeState::Closed);
        }
        roads.set_depth(5, 0.5);
        let car = Vehicle {
            speed_kmh: 60.0,
            wading_m: 0.3,
            protected: false,
        };
        let roots = [0, 17, 29];
        let reach = reachable_from(&city, &roads, &roots, car);
        for n in 0..city.node_count() as u32 {
            let by_trees = roots.iter().any(|&r| {
                shortest_tree(&city, &roads, r, TreeDir::From, car, None)
                    .time_to(n)
                    .is_some()
            });
            assert_eq!(reach[n as usize], by_trees, "node {n}");
        }
        // On a line 0–1–2–3–4, a closed segment and a flooded one cut it in three.
        let line = line_city(5, 500.0);
        let mut roads = RoadState::all_open(line.segments.len());
        roads.set(1, EdgeState::Closed);
        roads.set_depth(3, 0.5);
        assert_eq!(
            reachable_from(&line, &roads, &[0], car),
            vec![true, true, false, false, false]
        );
        assert_eq!(
            reachable_from(&line, &roads, &[0, 2], car),
            vec![true, true, true, true, false]
        );
    }

    #[test]
    fn wading_factor_follows_pregnolato_for_a_car() {
        // Car limit 0.3 m: 150 mm ⇒ v = 0.0009·150² − 0.5529·150 + 86.9448 = 24.2598 km/h.
        let f = wading_factor(0.15, 0.3);
        assert!((f * 86.9448 - 24.2598).abs() < 1e-9, "{f}");
        assert_eq!(wading_factor(0.0, 0.3), 1.0);
        assert_eq!(wading_factor(0.3, 0.3), 0.0);
        // A truck wading 0.9 m is less slowed by the same 0.15 m.
        assert!(wading_factor(0.15, 0.9) > f);
    }

    #[test]
    fn deep_water_closes_a_road_for_one_vehicle_but_not_another() {
        let city = line_city(3, 1000.0);
        let mut roads = RoadState::all_open(city.segments.len());
        assert!(roads.set_depth(1, 0.52));
        assert!(!roads.set_depth(1, 0.53), "no threshold crossed: routes stay");
        assert!((roads.depth(1) - 0.5).abs() < 1e-6);
        let light = Vehicle {
            speed_kmh: 60.0,
            wading_m: 0.5,
            protected: false,
        };
        let heavy = Vehicle {
            speed_kmh: 60.0,
            wading_m: 1.1,
            protected: false,
        };
        assert!(route(&city, &roads, 0, 2, light).is_none());
        let (_, t) = route(&city, &roads, 0, 2, heavy).unwrap();
        assert!(t > 180.0, "slowed by water: {t}");
        assert!(roads.set_hazard_closed(0, true));
        assert!(route(&city, &roads, 0, 2, heavy).is_none());
        let hazmat = Vehicle {
            protected: true,
            ..heavy
        };
        assert!(
            route(&city, &roads, 0, 2, hazmat).is_some(),
            "protected crews may enter"
        );
    }
}
