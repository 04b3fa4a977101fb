//! Shortest-time routing over the current road state.
//!
//! Travel time on a segment is `length / min(vehicle top speed, class speed ×
//! state factor)`; closed segments are skipped. [`shortest_tree`] is Dijkstra's
//! algorithm with a binary heap, O((V + E) log V); a tree from one source answers
//! every "how long from the depot to X" question at once, and [`RouteCache`]
//! keeps trees per (source, direction, speed cap) until the road state changes.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use std::sync::Arc;

use petgraph::Direction;
use petgraph::graph::{DiGraph, EdgeIndex};
use petgraph::visit::EdgeRef;
use rayon::prelude::*;

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
    /// Counts every change of a banded depth, also those that leave `version` alone.
    depth_changes: u64,
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
            depth_changes: 0,
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
        self.depth_changes += 1;
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

    /// Changes whenever a segment's banded depth changes, even within a
    /// threshold band (where [`RoadState::version`] stays): travel times
    /// ([`traverse_s`]) depend on `(version, depth_changes)` and nothing else.
    pub fn depth_changes(&self) -> u64 {
        self.depth_changes
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

/// The road graph as compressed sparse rows, one per direction, built once
/// with the map (`CityMap::adjacency`).
///
/// petgraph keeps a node's edges in a linked list, a dependent load per edge;
/// Dijkstra walks every edge of every settled node for every tree, and a large
/// drill builds about ten thousand trees. Here a node's edges lie side by side,
/// **in petgraph's own iteration order**, so a tree relaxes edges in exactly
/// the order it did over the graph: among equally short routes the same edge
/// wins, and trees (and reports) are unchanged.
///
/// Precondition: `CityMap::graph` does not change after the map is built.
#[derive(Debug, Clone, Default)]
pub(crate) struct Adjacency {
    out: Rows,
    inc: Rows,
}

/// One direction of [`Adjacency`].
#[derive(Debug, Clone, Default)]
struct Rows {
    /// The links of node `u` are `links[first[u]..first[u + 1]]`.
    first: Vec<u32>,
    links: Vec<Link>,
    /// For each link, the index of the same graph edge among the other
    /// direction's `links`: where a tree grown the other way relaxes it, so
    /// that [`repair`] can rank equally short routes as [`grow`] does.
    twin: Vec<u32>,
    /// The indices in `links` of segment `s`'s links are
    /// `by_segment[segment_first[s]..segment_first[s + 1]]`.
    segment_first: Vec<u32>,
    by_segment: Vec<u32>,
}

/// A directed graph edge seen from one of its ends.
#[derive(Debug, Clone, Copy)]
struct Link {
    /// The node at the other end (target of an outgoing edge, source of an incoming one).
    other: u32,
    /// The segment it drives.
    seg: SegmentId,
    /// The petgraph edge.
    edge: u32,
}

impl Adjacency {
    /// Both directions of `graph`. O(V + E).
    pub(crate) fn new(graph: &DiGraph<u32, SegmentId>) -> Self {
        let rows = |dir: Direction| {
            let mut first = Vec::with_capacity(graph.node_count() + 1);
            let mut links = Vec::with_capacity(graph.edge_count());
            for u in graph.node_indices() {
                first.push(links.len() as u32);
                links.extend(graph.edges_directed(u, dir).map(|e| {
                    Link {
                        other: match dir {
                            Direction::Outgoing => e.target(),
                            Direction::Incoming => e.source(),
                        }
                        .index() as u32,
                        seg: *e.weight(),
                        edge: e.id().index() as u32,
                    }
                }));
            }
            first.push(links.len() as u32);
            let segments = links.iter().map(|l| l.seg as usize + 1).max().unwrap_or(0);
            let mut segment_first = vec![0_u32; segments + 1];
            for l in &links {
                segment_first[l.seg as usize + 1] += 1;
            }
            for s in 0..segments {
                segment_first[s + 1] += segment_first[s];
            }
            let mut at = segment_first.clone();
            let mut by_segment = vec![0_u32; links.len()];
            for (i, l) in links.iter().enumerate() {
                by_segment[at[l.seg as usize] as usize] = i as u32;
                at[l.seg as usize] += 1;
            }
            Rows {
                first,
                links,
                twin: Vec::new(),
                segment_first,
                by_segment,
            }
        };
        let (mut out, mut inc) = (rows(Direction::Outgoing), rows(Direction::Incoming));
        let index_of_edge = |r: &Rows| {
            let mut at = vec![0_u32; graph.edge_count()];
            for (i, l) in r.links.iter().enumerate() {
                at[l.edge as usize] = i as u32;
            }
            at
        };
        let (out_at, inc_at) = (index_of_edge(&out), index_of_edge(&inc));
        out.twin = out.links.iter().map(|l| inc_at[l.edge as usize]).collect();
        inc.twin = inc.links.iter().map(|l| out_at[l.edge as usize]).collect();
        Adjacency { out, inc }
    }

    /// The links a `dir` tree relaxes from a settled node.
    fn rows(&self, dir: TreeDir) -> &Rows {
        match dir {
            TreeDir::From => &self.out,
            TreeDir::To => &self.inc,
        }
    }

    /// Indices in `rows(dir).links` of the links that drive segment `s`.
    fn links_of_segment(&self, dir: TreeDir, s: SegmentId) -> &[u32] {
        let r = self.rows(dir);
        match (r.segment_first.get(s as usize), r.segment_first.get(s as usize + 1)) {
            (Some(&a), Some(&b)) => &r.by_segment[a as usize..b as usize],
            _ => &[],
        }
    }

    /// The links by which a `dir` tree reaches a node: from its parent's side.
    fn back_rows(&self, dir: TreeDir) -> &Rows {
        match dir {
            TreeDir::From => &self.inc,
            TreeDir::To => &self.out,
        }
    }
}

impl Rows {
    #[inline]
    fn of(&self, u: u32) -> &[Link] {
        &self.links[self.range(u)]
    }

    /// Where the links of `u` lie in `links`.
    #[inline]
    fn range(&self, u: u32) -> std::ops::Range<usize> {
        let u = u as usize;
        self.first[u] as usize..self.first[u + 1] as usize
    }
}

/// Dijkstra from (or to) `root`, optionally stopping once `stop_at` is settled.
///
/// Complexity O((V + E) log V). Closed segments are never used. Among equally
/// short routes the tree keeps the first found: nodes are settled in order of
/// (time, node index) and a node's edges are relaxed in the graph's order.
pub fn shortest_tree(
    city: &CityMap,
    roads: &RoadState,
    root: u32,
    dir: TreeDir,
    vehicle: Vehicle,
    stop_at: Option<u32>,
) -> Tree {
    let cost = |s: SegmentId| traverse_s(city, roads, s, vehicle).unwrap_or(f64::INFINITY);
    grow(city, root, dir, stop_at, cost, &mut Scratch::default())
}

/// Seconds for `vehicle` to drive each segment, `f64::INFINITY` where it
/// cannot ([`traverse_s`]).
fn segment_costs(city: &CityMap, roads: &RoadState, vehicle: Vehicle) -> Vec<f64> {
    (0..city.segments.len() as SegmentId)
        .map(|s| traverse_s(city, roads, s, vehicle).unwrap_or(f64::INFINITY))
        .collect()
}

/// The body of [`shortest_tree`]: Dijkstra over [`Adjacency`] with `cost(s)`
/// seconds per segment (`f64::INFINITY` for impassable: `t + ∞` never beats
/// a time, so such an edge is never taken, exactly as if it were skipped).
///
/// The heap is lazy (a node may be in it several times; only the entry that
/// carries its current time counts, and that one is popped at its final
/// time), so nodes settle in the order of [`heap_key`], (time, node index),
/// as they did with the original `BinaryHeap` of (time, node) pairs. (Keys are
/// unique: a node is pushed again only with a strictly shorter time.)
///
/// No "settled" flags are needed: an entry whose time is not the node's
/// current time is stale, and an edge into a settled node `v` never relaxes
/// it, since `time(v) ≤ t ≤ t + cost` (costs are never negative).
fn grow(
    city: &CityMap,
    root: u32,
    dir: TreeDir,
    stop_at: Option<u32>,
    cost: impl Fn(SegmentId) -> f64,
    scratch: &mut Scratch,
) -> Tree {
    let n = city.node_count();
    let rows = city.adjacency.rows(dir);
    let mut time_s = vec![f64::INFINITY; n];
    let mut via = vec![None; n];
    let heap = &mut scratch.heap;
    heap.clear();
    time_s[root as usize] = 0.0;
    heap.push(Reverse(heap_key(0.0, root)));
    while let Some(Reverse(key)) = heap.pop() {
        // The low 32 bits are the node, the high ones its time (`heap_key`).
        let u = key as u32;
        let t = time_s[u as usize];
        if (key >> 32) as u64 != ordered_bits(t) {
            continue;
        }
        if Some(u) == stop_at {
            break;
        }
        for link in rows.of(u) {
            let v = link.other as usize;
            let nt = t + cost(link.seg);
            if nt < time_s[v] {
                time_s[v] = nt;
                via[v] = Some(EdgeIndex::new(link.edge as usize));
                heap.push(Reverse(heap_key(nt, link.other)));
            }
        }
    }
    Tree { root, dir, time_s, via }
}

/// The tree for `key` on `costs`: mended from the last one built for that
/// key when there is one ([`repair`]), grown otherwise. The same tree either way.
fn build(city: &CityMap, key: TreeKey, costs: &[f64], seed: Option<&Seed>, scratch: &mut Scratch) -> Tree {
    let (root, dir, _) = key;
    match seed {
        Some((tree, old)) => repair(city, tree, old, costs, scratch),
        None => grow(city, root, dir, None, |s| costs[s as usize], scratch),
    }
}

/// Segments whose cost [`repair`] finds changed by more than this share of
/// the map are not worth mending: the tree is grown afresh.
const REPAIR_MAX_CHANGED: f64 = 0.2;

/// The tree [`grow`] would build with the segment costs `new`, mended from
/// `seed`, the tree grown (or mended) from the same root in the same
/// direction with the costs `old`. The same times and the same edges, bit
/// for bit, for a fraction of the work when few segments changed, as between
/// two hazard steps of a flood. Falls back to [`grow`] when many segments
/// changed, or when a segment costs nothing (see the proof's condition).
///
/// The incremental shortest-path algorithm of Ramalingam and Reps (1996, "An
/// incremental algorithm for a generalization of the shortest-path
/// problem", J. Algorithms 21(2)), for many changed segments at once:
/// 1. nodes below a tree link that got slower (or closed) lose their times;
/// 2. each of them takes the best time a neighbour that kept its time
///    offers, and links that got faster offer theirs to their far ends;
/// 3. Dijkstra from those offers, on to every node whose time falls.
///
/// Why the times are grow's, bit for bit: both satisfy `t(root) = 0` and
/// `t(v) = min over links u → v of (t(u) + c)`, each sum rounded as grow
/// rounds it, and with costs above zero (so that `t + c > t`) there is one
/// such fixed point: take the smallest value at which two solutions differ;
/// the smaller one there comes from a smaller time where they agree, and
/// then the other cannot be larger.
///
/// Why the edges are grow's: grow keeps for each node the first link that
/// reached its final time, the one from the node settled first (by time,
/// then index; see [`heap_key`]) and, from that node, the first in its row.
/// That choice depends on the node's time, its neighbours' times and the
/// costs of its links; where any of these changed the node chooses again by
/// the same rule, and elsewhere it keeps its edge.
fn repair(city: &CityMap, seed: &Tree, old: &[f64], new: &[f64], scratch: &mut Scratch) -> Tree {
    let dir = seed.dir;
    let n = city.node_count();
    let changed = &mut scratch.changed;
    changed.clear();
    changed.extend(
        (0..new.len())
            .filter(|&s| new[s].to_bits() != old[s].to_bits())
            .map(|s| s as SegmentId),
    );
    if changed.is_empty() {
        return seed.clone();
    }
    let too_many = changed.len() as f64 > REPAIR_MAX_CHANGED * new.len() as f64;
    if too_many || seed.time_s.len() != n || changed.iter().any(|&s| new[s as usize] <= 0.0) {
        return grow(city, seed.root, dir, None, |s| new[s as usize], scratch);
    }
    let adjacency = &city.adjacency;
    let (rows, back) = (adjacency.rows(dir), adjacency.back_rows(dir));
    let mut time_s = seed.time_s.clone();
    let mut via = seed.via.clone();
    let Scratch {
        heap,
        changed,
        mark,
        children,
        stack,
        touched,
        again,
        ..
    } = scratch;
    mark.clear();
    mark.resize(n, 0);
    touched.clear();
    // The links of a changed segment, as (tail, head, link index in `rows`).
    let links_of = |s: SegmentId| {
        (adjacency.links_of_segment(dir, s).iter()).map(|&i| {
            let i = i as usize;
            (back.links[rows.twin[i] as usize].other, rows.links[i].other, i)
        })
    };

    // 1. The subtrees below tree links that got slower lose their times.
    stack.clear();
    for &s in changed.iter().filter(|&&s| new[s as usize] > old[s as usize]) {
        for (_, head, i) in links_of(s) {
            if via[head as usize] == Some(EdgeIndex::new(rows.links[i].edge as usize)) {
                stack.push(head);
            }
        }
    }
    if !stack.is_empty() {
        children.build(city, dir, &via);
    }
    while let Some(v) = stack.pop() {
        let v = v as usize;
        if mark[v] & INVALID != 0 {
            continue;
        }
        mark[v] |= INVALID | TOUCHED;
        touched.push(v as u32);
        time_s[v] = f64::INFINITY;
        stack.extend_from_slice(children.of(v));
    }

    // 2. Offers: from neighbours that kept their times, and along faster links.
    heap.clear();
    for &v in touched.iter() {
        let best = (back.of(v).iter())
            .filter(|l| mark[l.other as usize] & INVALID == 0)
            .map(|l| time_s[l.other as usize] + new[l.seg as usize])
            .fold(f64::INFINITY, f64::min);
        if best < f64::INFINITY {
            time_s[v as usize] = best;
            heap.push(Reverse(heap_key(best, v)));
        }
    }
    // Offer `nt` to `v`: taken if shorter, and then `v` is pending.
    let offer =
        |v: u32, nt: f64, time_s: &mut [f64], heap: &mut BinaryHeap<_>, mark: &mut [u8], touched: &mut Vec<u32>| {
            if nt < time_s[v as usize] {
                time_s[v as usize] = nt;
                heap.push(Reverse(heap_key(nt, v)));
                if mark[v as usize] & TOUCHED == 0 {
                    mark[v as usize] |= TOUCHED;
                    touched.push(v);
                }
            }
        };
    for &s in changed.iter().filter(|&&s| new[s as usize] < old[s as usize]) {
        for (tail, head, _) in links_of(s) {
            let t = time_s[tail as usize];
            if t.is_finite() && mark[tail as usize] & INVALID == 0 {
                offer(head, t + new[s as usize], &mut time_s, heap, mark, touched);
            }
        }
    }

    // 3. Dijkstra from the offers (as in `grow`).
    while let Some(Reverse(key)) = heap.pop() {
        let u = key as u32;
        let t = time_s[u as usize];
        if (key >> 32) as u64 != ordered_bits(t) {
            continue;
        }
        for link in rows.of(u) {
            offer(link.other, t + new[link.seg as usize], &mut time_s, heap, mark, touched);
        }
    }

    // Edges: choose again where the time, a neighbour's time or a link's
    // cost changed: the touched nodes, their heads, the changed links' heads.
    again.clear();
    let mut add = |v: u32, again: &mut Vec<u32>| {
        if mark[v as usize] & AGAIN == 0 {
            mark[v as usize] |= AGAIN;
            again.push(v);
        }
    };
    for &u in touched.iter() {
        add(u, again);
        for link in rows.of(u) {
            add(link.other, again);
        }
    }
    for &s in changed.iter() {
        for (_, head, _) in links_of(s) {
            add(head, again);
        }
    }
    for &v in again.iter() {
        let t = time_s[v as usize];
        if v == seed.root || !t.is_finite() {
            via[v as usize] = None;
            continue;
        }
        // Among the links that give `t`: the earliest settled tail, then its first link.
        let range = back.range(v);
        via[v as usize] = (back.links[range.clone()].iter().zip(&back.twin[range]))
            .filter(|(l, _)| time_s[l.other as usize] + new[l.seg as usize] == t)
            .min_by_key(|(l, twin)| (ordered_bits(time_s[l.other as usize]), l.other, **twin))
            .map(|(l, _)| EdgeIndex::new(l.edge as usize));
    }
    Tree {
        root: seed.root,
        dir,
        time_s,
        via,
    }
}

/// [`repair`]'s marks on a node: lost its time (below a slower tree link) ...
const INVALID: u8 = 1;
/// ... got a time (offered or relaxed) ...
const TOUCHED: u8 = 2;
/// ... chooses its tree edge again.
const AGAIN: u8 = 4;

/// A tree's children per node, as compressed rows ([`repair`]).
#[derive(Debug, Default)]
struct Children {
    first: Vec<u32>,
    list: Vec<u32>,
}

impl Children {
    /// The children of every node in the tree `via` grown in direction `dir`.
    fn build(&mut self, city: &CityMap, dir: TreeDir, via: &[Option<EdgeIndex>]) {
        let n = via.len();
        let parent = |v: usize| {
            let (a, b) = city.graph.edge_endpoints(via[v]?)?;
            Some(match dir {
                TreeDir::From => a.index(),
                TreeDir::To => b.index(),
            })
        };
        self.first.clear();
        self.first.resize(n + 2, 0);
        for v in 0..n {
            if let Some(p) = parent(v) {
                self.first[p + 2] += 1;
            }
        }
        for k in 2..n + 2 {
            self.first[k] += self.first[k - 1];
        }
        // `first[p + 1]` is where `p`'s children go, and moves on as they do.
        self.list.clear();
        self.list.resize(self.first[n + 1] as usize, 0);
        for v in 0..n {
            if let Some(p) = parent(v) {
                let at = &mut self.first[p + 1];
                self.list[*at as usize] = v as u32;
                *at += 1;
            }
        }
    }

    fn of(&self, v: usize) -> &[u32] {
        &self.list[self.first[v] as usize..self.first[v + 1] as usize]
    }
}

/// Working memory of [`grow`] and [`repair`], kept between trees so that a
/// tree allocates little more than what it returns.
#[derive(Debug, Default)]
struct Scratch {
    /// Pending (time, node) pairs as [`heap_key`]s, smallest first.
    heap: BinaryHeap<Reverse<u128>>,
    /// [`repair`]: segments whose cost changed, marks per node, the seed's
    /// children, a work stack, the nodes that got a time.
    changed: Vec<SegmentId>,
    mark: Vec<u8>,
    children: Children,
    stack: Vec<u32>,
    touched: Vec<u32>,
    again: Vec<u32>,
}

/// `t`'s bits as an integer whose order is that of [`f64::total_cmp`]: flip
/// the magnitude bits of negative numbers, so that the bits order as signed
/// integers; then flip the sign bit, so that they order as unsigned ones.
#[inline]
fn ordered_bits(t: f64) -> u64 {
    let b = t.to_bits() as i64;
    (b ^ ((((b >> 63) as u64) >> 1) as i64)) as u64 ^ (1 << 63)
}

/// `(t, node)` as one integer whose order is that of `t` ([`f64::total_cmp`])
/// and then of the node index: the order in which Dijkstra settles nodes.
/// One integer compares in two instructions, where a pair of a float and an
/// index took a chain of branches; the heap operations are most of a tree's
/// cost.
#[inline]
fn heap_key(t: f64, node: u32) -> u128 {
    (u128::from(ordered_bits(t)) << 32) | u128::from(node)
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
    let rows = city.adjacency.rows(TreeDir::From);
    while let Some(u) = queue.pop_front() {
        for link in rows.of(u) {
            let v = link.other as usize;
            if !seen[v] && traverse_s(city, roads, link.seg, vehicle).is_some() {
                seen[v] = true;
                queue.push_back(link.other);
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
///
/// Trees are asked for one at a time ([`RouteCache::tree`]); a caller that
/// knows which trees it is about to ask for can have them built in parallel
/// first ([`RouteCache::prefetch`]).
#[derive(Debug, Default, bevy::prelude::Resource)]
pub struct RouteCache {
    version: u64,
    trees: BTreeMap<TreeKey, Cached>,
    /// The road state `costs` were computed for: `(version, depth_changes)`.
    costs_at: (u64, u64),
    /// Seconds per segment for each vehicle key ([`segment_costs`]), shared
    /// by the trees of that vehicle built while the roads stay as they are.
    /// Depths also change within a threshold band without a new version (trees
    /// built then see the new depths, trees built before are kept), so these
    /// follow `depth_changes` too: a tree gets exactly the times
    /// [`traverse_s`] gives at the moment it is built.
    costs: BTreeMap<VehicleKey, Arc<Vec<f64>>>,
    /// The last tree built for each key, with the costs it was built on:
    /// the next tree for that key is mended from it ([`repair`]).
    seeds: BTreeMap<TreeKey, Seed>,
    /// Dijkstra's working memory, reused by every tree built on this thread.
    scratch: Scratch,
    /// Trees built for a request. A prefetched tree counts when it is first
    /// asked for (and not at all if it never is), so the count is the same
    /// with or without prefetching.
    pub computed: u64,
    /// Lookups answered from the cache.
    pub hits: u64,
}

/// A vehicle's cache key ([`RoadState::cache_key`]).
type VehicleKey = (u64, u64, bool);

/// Root, direction and vehicle key of a cached tree.
type TreeKey = (u32, TreeDir, VehicleKey);

/// A tree and the segment costs it was built on.
type Seed = (Arc<Tree>, Arc<Vec<f64>>);

/// A tree in the [`RouteCache`].
#[derive(Debug)]
struct Cached {
    tree: Arc<Tree>,
    /// The segment costs it was built on.
    costs: Arc<Vec<f64>>,
    /// Whether [`RouteCache::tree`] has returned it yet (a prefetched tree
    /// has not).
    asked: bool,
}

impl RouteCache {
    /// The tree rooted at `root`, computing it if the cache lacks it or the roads changed.
    pub fn tree(&mut self, city: &CityMap, roads: &RoadState, root: u32, dir: TreeDir, vehicle: Vehicle) -> Arc<Tree> {
        self.follow(roads);
        let vkey = roads.cache_key(vehicle);
        let key = (root, dir, vkey);
        if let Some(c) = self.trees.get_mut(&key) {
            if std::mem::replace(&mut c.asked, true) {
                self.hits += 1;
            } else {
                self.computed += 1;
            }
            return c.tree.clone();
        }
        self.computed += 1;
        // Vehicles that share a key drive every segment in the same time
        // (`RoadState::cache_key`), so the costs of the first one serve all.
        let costs = self
            .costs
            .entry(vkey)
            .or_insert_with(|| Arc::new(segment_costs(city, roads, vehicle)))
            .clone();
        let tree = Arc::new(build(city, key, &costs, self.seeds.get(&key), &mut self.scratch));
        self.trees.insert(
            key,
            Cached {
                tree: tree.clone(),
                costs,
                asked: true,
            },
        );
        tree
    }

    /// The tree [`RouteCache::tree`] would return now, if the cache holds it
    /// (built or prefetched); unlike that, it neither builds nor counts.
    pub fn peek(&self, roads: &RoadState, root: u32, dir: TreeDir, vehicle: Vehicle) -> Option<&Tree> {
        if roads.version() != self.version {
            return None;
        }
        let c = self.trees.get(&(root, dir, roads.cache_key(vehicle)))?;
        // A prefetched tree no one has asked for is good only for the travel
        // times it was built on (`follow`).
        let same_times = (roads.version(), roads.depth_changes()) == self.costs_at;
        (c.asked || same_times).then_some(&*c.tree)
    }

    /// Build the trees among `wanted` that the cache lacks, on rayon's pool,
    /// so that the [`RouteCache::tree`] calls that follow find them.
    ///
    /// Each tree is a function of the road state alone, so which thread
    /// builds it changes nothing: the trees, and everything planned on them,
    /// are the same bits as when built one by one on demand. Asking for a
    /// tree that is then never used costs its time but nothing else (see
    /// [`RouteCache::computed`]). With fewer than two trees missing nothing
    /// is built here.
    ///
    /// Cost: O((V + E) log V) per missing tree, spread over the pool.
    pub fn prefetch(
        &mut self,
        city: &CityMap,
        roads: &RoadState,
        wanted: impl IntoIterator<Item = (u32, TreeDir, Vehicle)>,
    ) {
        self.follow(roads);
        let mut seen = BTreeSet::new();
        let mut missing: Vec<(TreeKey, Vehicle)> = Vec::new();
        for (root, dir, vehicle) in wanted {
            let key = (root, dir, roads.cache_key(vehicle));
            if !self.trees.contains_key(&key) && seen.insert(key) {
                missing.push((key, vehicle));
            }
        }
        if missing.len() < 2 {
            return;
        }
        for &((_, _, vkey), vehicle) in &missing {
            self.costs
                .entry(vkey)
                .or_insert_with(|| Arc::new(segment_costs(city, roads, vehicle)));
        }
        let (costs, seeds) = (&self.costs, &self.seeds);
        let built: Vec<Tree> = missing
            .par_iter()
            .map_init(Scratch::default, |scratch, &(key, _)| {
                build(city, key, &costs[&key.2], seeds.get(&key), scratch)
            })
            .collect();
        for ((key, _), tree) in missing.into_iter().zip(built) {
            let tree = Arc::new(tree);
            let costs = self.costs[&key.2].clone();
            self.trees.insert(
                key,
                Cached {
                    tree,
                    costs,
                    asked: false,
                },
            );
        }
    }

    /// Drop the trees when the road version changes, and the segment costs
    /// and the trees nobody has asked for yet whenever any travel time may
    /// have changed: a tree first asked for now must be built on the times
    /// of now, as it would have been without prefetching.
    fn follow(&mut self, roads: &RoadState) {
        if roads.version() != self.version {
            for (key, c) in std::mem::take(&mut self.trees) {
                self.seeds.insert(key, (c.tree, c.costs));
            }
            self.version = roads.version();
        }
        let at = (roads.version(), roads.depth_changes());
        if at != self.costs_at {
            self.costs.clear();
            for (key, c) in self.trees.extract_if(.., |_, c| !c.asked) {
                self.seeds.insert(key, (c.tree, c.costs));
            }
            self.costs_at = at;
        }
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

    /// Dijkstra as it was first written, straight over petgraph with a
    /// `BinaryHeap` of (time, node): the reference for the tie-breaking that
    /// [`grow`] must keep (on a grid of equal blocks most routes tie).
    fn reference_tree(city: &CityMap, roads: &RoadState, root: u32, dir: TreeDir, vehicle: Vehicle) -> Tree {
        use std::cmp::Ordering;
        #[derive(PartialEq)]
        struct Item(f64, u32);
        impl Eq for Item {}
        impl Ord for Item {
            fn cmp(&self, o: &Self) -> Ordering {
                o.0.total_cmp(&self.0).then_with(|| o.1.cmp(&self.1))
            }
        }
        impl PartialOrd for Item {
            fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
                Some(self.cmp(o))
            }
        }
        let n = city.node_count();
        let (mut time_s, mut via, mut done) = (vec![f64::INFINITY; n], vec![None; n], vec![false; n]);
        let mut heap = BinaryHeap::new();
        time_s[root as usize] = 0.0;
        heap.push(Item(0.0, root));
        let petdir = match dir {
            TreeDir::From => Direction::Outgoing,
            TreeDir::To => Direction::Incoming,
        };
        while let Some(Item(t, u)) = heap.pop() {
            if std::mem::replace(&mut done[u as usize], true) {
                continue;
            }
            for e in city.graph.edges_directed(CityMap::gnode(u), petdir) {
                let v = match dir {
                    TreeDir::From => e.target(),
                    TreeDir::To => e.source(),
                }
                .index();
                let Some(dt) = traverse_s(city, roads, *e.weight(), vehicle).filter(|_| !done[v]) else {
                    continue;
                };
                if t + dt < time_s[v] {
                    time_s[v] = t + dt;
                    via[v] = Some(e.id());
                    heap.push(Item(t + dt, v as u32));
                }
            }
        }
        Tree { root, dir, time_s, via }
    }

    #[test]
    fn trees_match_the_reference_dijkstra_edge_for_edge() {
        let city = grid_city(7, 6, 400.0);
        let mut roads = RoadState::all_open(city.segments.len());
        for s in [2, 9, 30] {
            roads.set(s, EdgeState::Closed);
        }
        roads.set(14, EdgeState::Slowed(0.5));
        roads.set_depth(20, 0.2);
        roads.set_depth(21, 0.45);
        roads.set_hazard_closed(25, true);
        let car = Vehicle {
            speed_kmh: 60.0,
            wading_m: 0.3,
            protected: false,
        };
        let mut cache = RouteCache::default();
        for vehicle in [car, Vehicle::dry(40.0), Vehicle { protected: true, ..car }] {
            for dir in [TreeDir::From, TreeDir::To] {
                for root in 0..city.node_count() as u32 {
                    let want = reference_tree(&city, &roads, root, dir, vehicle);
                    for got in [
                        shortest_tree(&city, &roads, root, dir, vehicle, None),
                        (*cache.tree(&city, &roads, root, dir, vehicle)).clone(),
                    ] {
                        assert_eq!(got.time_s, want.time_s, "{vehicle:?} {dir:?} {root}");
                        assert_eq!(got.via, want.via, "{vehicle:?} {dir:?} {root}");
                    }
                }
            }
        }
    }

    /// Water rising within a threshold band keeps the cached trees but not
    /// the cached segment times: a tree built after it sees the new depth.
    #[test]
    fn cache_trees_built_later_see_depths_that_moved_within_a_band() {
        let city = line_city(4, 1000.0);
        let mut roads = RoadState::all_open(city.segments.len());
        let truck = Vehicle {
            speed_kmh: 60.0,
            wading_m: 0.9,
            protected: false,
        };
        roads.set_depth(1, 0.1);
        let mut cache = RouteCache::default();
        let before = cache.tree(&city, &roads, 0, TreeDir::From, truck);
        assert!(!roads.set_depth(1, 0.25), "0.1 → 0.25 m crosses no threshold");
        let kept = cache.tree(&city, &roads, 0, TreeDir::From, truck);
        assert!(Arc::ptr_eq(&before, &kept), "same version: the tree is kept");
        let later = cache.tree(&city, &roads, 3, TreeDir::To, truck);
        let fresh = shortest_tree(&city, &roads, 3, TreeDir::To, truck, None);
        assert_eq!(later.time_s, fresh.time_s);
        assert!(
            later.time_to(0).unwrap() > before.time_to(3).unwrap(),
            "deeper water, slower"
        );
    }

    /// Prefetched trees are the trees built on demand, bit for bit; they
    /// count as computed only when asked for; one not yet asked for when the
    /// water moves within a band is built again on the new depths.
    #[test]
    fn prefetched_trees_are_the_trees_built_on_demand() {
        let city = grid_city(6, 5, 400.0);
        let mut roads = RoadState::all_open(city.segments.len());
        roads.set(3, EdgeState::Closed);
        roads.set_depth(8, 0.1);
        let car = Vehicle {
            speed_kmh: 60.0,
            wading_m: 0.3,
            protected: false,
        };
        let asked = [(0, TreeDir::From), (7, TreeDir::To), (29, TreeDir::From)];
        let mut on_demand = RouteCache::default();
        let mut prefetched = RouteCache::default();
        let extra = (12, TreeDir::To, Vehicle::dry(40.0));
        prefetched.prefetch(&city, &roads, asked.iter().map(|&(r, d)| (r, d, car)).chain([extra]));
        assert_eq!(prefetched.computed, 0, "nothing asked for yet");
        assert!(prefetched.peek(&roads, 7, TreeDir::To, car).is_some());
        for &(root, dir) in &asked {
            let want = on_demand.tree(&city, &roads, root, dir, car);
            let got = prefetched.tree(&city, &roads, root, dir, car);
            assert_eq!((&got.time_s, &got.via), (&want.time_s, &want.via), "{root} {dir:?}");
        }
        assert_eq!((prefetched.computed, prefetched.hits), (3, 0));
        let _ = prefetched.tree(&city, &roads, 0, TreeDir::From, car);
        assert_eq!((prefetched.computed, prefetched.hits), (3, 1));
        // Deeper water within the band: no new version, the asked-for trees
        // stay, the prefetched one nobody asked for is gone.
        assert!(!roads.set_depth(8, 0.2));
        assert!(prefetched.peek(&roads, 0, TreeDir::From, car).is_some());
        assert!(prefetched.peek(&roads, extra.0, extra.1, extra.2).is_none());
        let later = prefetched.tree(&city, &roads, extra.0, extra.1, extra.2);
        let fresh = shortest_tree(&city, &roads, extra.0, extra.1, extra.2, None);
        assert_eq!((&later.time_s, &later.via), (&fresh.time_s, &fresh.via));
        assert_eq!(prefetched.computed, 4);
    }

    /// The same on the bundled map, with its one-way streets, under a flood.
    #[test]
    fn linqing_trees_match_the_reference_dijkstra() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/maps/linqing.ron");
        let city = CityMap::load(&path).expect("bundled map loads");
        let mut roads = RoadState::all_open(city.segments.len());
        for s in (0..city.segments.len() as SegmentId).step_by(7) {
            roads.set_depth(s, f64::from(s % 13) * 0.05);
        }
        let truck = Vehicle {
            speed_kmh: 70.0,
            wading_m: 0.5,
            protected: false,
        };
        let n = city.node_count() as u32;
        for dir in [TreeDir::From, TreeDir::To] {
            for root in (0..n).step_by(n as usize / 10) {
                let want = reference_tree(&city, &roads, root, dir, truck);
                let got = shortest_tree(&city, &roads, root, dir, truck, None);
                assert_eq!(got.time_s, want.time_s, "{dir:?} {root}");
                assert_eq!(got.via, want.via, "{dir:?} {root}");
            }
        }
    }

    /// Trees mended after the roads change ([`repair`], through the cache's
    /// seeds) are the trees grown afresh, time for time and edge for edge:
    /// roads closing, reopening, slowing, speeding up, water rising and
    /// falling, a few segments at a time and many at once, on the Linqing map
    /// and on a grid of equal blocks, where most routes tie.
    #[test]
    fn mended_trees_are_the_trees_grown_afresh() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/maps/linqing.ron");
        let linqing = CityMap::load(&path).expect("bundled map loads");
        let grid = grid_city(9, 8, 400.0);
        let truck = Vehicle {
            speed_kmh: 60.0,
            wading_m: 0.3,
            protected: false,
        };
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move |k: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % k
        };
        for city in [&linqing, &grid] {
            let segments = city.segments.len() as u64;
            let mut roads = RoadState::all_open(city.segments.len());
            let mut cache = RouteCache::default();
            let n = city.node_count() as u32;
            let roots: Vec<u32> = (0..n).step_by((n as usize / 6).max(1)).collect();
            for round in 0..40 {
                // Few changes in most rounds, many now and then.
                let changes = if round % 10 == 9 { segments / 3 } else { 1 + next(6) };
                for _ in 0..changes {
                    let s = next(segments) as SegmentId;
                    match next(6) {
                        0 => roads.set(s, EdgeState::Closed),
                        1 => roads.set(s, EdgeState::Open),
                        2 => roads.set(s, EdgeState::Slowed(0.25 + 0.25 * next(3) as f64)),
                        3 => roads.set_damaged(s, next(2) == 0),
                        _ => roads.set_depth(s, next(8) as f64 * 0.05),
                    };
                }
                for &root in &roots {
                    for dir in [TreeDir::From, TreeDir::To] {
                        let want = shortest_tree(city, &roads, root, dir, truck, None);
                        let got = cache.tree(city, &roads, root, dir, truck);
                        assert_eq!(got.time_s, want.time_s, "round {round}, {dir:?} from {root}");
                        assert_eq!(got.via, want.via, "round {round}, {dir:?} from {root}");
                    }
                }
            }
        }
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
